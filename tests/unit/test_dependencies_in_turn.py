"""Dependencies resolved one after the other (api/routes/deps.py, ``_resolve_in_turn``): no
anyio task group per request, the same values, and a provider already entered is closed when a
later one fails."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from api.routes.deps import resolve_dependencies_in_turn


@pytest.fixture
def no_task_groups(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refused() -> Any:
        raise AssertionError("a task group was made to resolve dependencies")

    resolve_dependencies_in_turn()
    monkeypatch.setattr(kwargs_model, "create_task_group", refused)
    yield


def _app(events: list[str], fail: bool) -> Litestar:
    async def provide_session() -> AsyncGenerator[str, None]:
        events.append("opened")
        try:
            yield "session"
        except Exception as exc:
            events.append(f"rolled back: {type(exc).__name__}")
            raise
        else:
            events.append("closed")

    def provide_number() -> int:
        return 42

    # Needs the session: resolved after it, so the session is always entered when it fails.
    async def provide_name(session: NamedDependency[str]) -> str:
        if fail:
            raise NotAuthorizedException()
        return "petugas"

    @get("/")
    async def handler(
        session: NamedDependency[str], number: NamedDependency[int], name: NamedDependency[str]
    ) -> dict[str, Any]:
        return {"session": session, "number": number, "name": name}

    return Litestar(
        [handler],
        dependencies={
            "session": Provide(provide_session),
            "number": Provide(provide_number, sync_to_thread=False),
            "name": Provide(provide_name),
        },
    )


def test_every_dependency_is_resolved_without_a_task_group(no_task_groups: None) -> None:
    events: list[str] = []
    with TestClient(_app(events, fail=False)) as client:
        r = client.get("/")
    assert r.status_code == 200
    assert r.json() == {"session": "session", "number": 42, "name": "petugas"}
    assert events == ["opened", "closed"]


def test_a_failing_provider_closes_the_ones_already_entered(no_task_groups: None) -> None:
    events: list[str] = []
    with TestClient(_app(events, fail=True)) as client:
        r = client.get("/")
    assert r.status_code == 401
    # Litestar alone would leave the session open: ["opened"].
    assert events == ["opened", "rolled back: NotAuthorizedException"]
