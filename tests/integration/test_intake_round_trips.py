"""Intake's round trips to PostgreSQL, counted on the real database (deterministic, unlike its
speed, which ``make bench`` measures): the statements one ``POST /api/cases`` sends."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case, CaseEvent, CaseReporter
from api.services import cases as case_service
from tests.conftest import login
from tests.factories import category_by_code
from tests.integration.test_admin_catalogue import statements_on

Client = AsyncTestClient[Litestar]
MANDONGA = (-3.966, 122.508)


async def _intake_body(db: AsyncSession) -> dict[str, Any]:
    tree = await category_by_code(db, "POHON_TUMBANG")
    return {
        "category_id": tree.id,
        "lat": MANDONGA[0],
        "lon": MANDONGA[1],
        "description": "Pohon tumbang menutup jalan",
        "reporter": {"name": "Wa Ode", "phone": "0812-3456-7890"},
    }


@dataclass
class Sent:
    statements: list[str] = field(default_factory=list)  # cursor executions
    writes: int = 0  # socket writes to PostgreSQL: BEGIN and COMMIT included
    begins: int = 0


@contextmanager
def counted() -> Iterator[Sent]:
    """What the app sends PostgreSQL meanwhile, through SQLAlchemy or on asyncpg itself (the
    test client talks to the app in memory, so every TCP write is one to the database)."""
    sent = Sent()
    send = socket.socket.send

    def counting(sock: socket.socket, data: Any, *flags: Any) -> int:
        # Not the event loop's own wake-ups, nor asyncpg's Parse of a statement new to the
        # connection (once per pooled connection, whichever the pool hands out).
        if sock.family != socket.AF_UNIX and bytes(data[:1]) != b"P":
            sent.writes += 1
            sent.begins += bytes(data[:1]) == b"Q" and b"BEGIN" in bytes(data[:40])
        return send(sock, data, *flags)

    with statements_on() as sent.statements:
        socket.socket.send = counting  # type: ignore[method-assign]
        try:
            yield sent
        finally:
            socket.socket.send = send  # type: ignore[method-assign]


async def test_a_plain_intake_is_two_statements_once_the_session_is_known(
    client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    body = await _intake_body(db)
    with counted() as first:
        await client.post("/api/cases", headers=op, json=body)
    # The session check, the first time this process sees the session (then remembered: see
    # tests/integration/test_session_memory.py).
    assert "auth_sessions" in first.statements[0] and len(first.statements) == 3, first.statements
    with counted() as sent:
        r = await client.post("/api/cases", headers=op, json=body)
    assert r.status_code == 201, r.text
    # Category, area and route; then ONE statement: the case (with its agency's names), the
    # reporter and the created event with its live NOTIFY. Nothing re-read for the answer, and
    # no BEGIN or COMMIT: each statement is its own transaction.
    assert len(sent.statements) == 2, sent.statements
    assert "routing_rules" in sent.statements[0]
    whole = sent.statements[1]
    for part in (
        "INSERT INTO cases",
        "ON CONFLICT (reference) DO NOTHING",
        "INSERT INTO case_reporters",
        "INSERT INTO case_events",
        "FROM new_case",
        "pg_notify",
        "JOIN agencies",
    ):
        assert part in whole, part
    assert sent.writes == 2 and sent.begins == 0
    case = r.json()
    assert case["area_name"] and case["agency_name"] and case["caller_tracking"]["pin"]
    created = (
        await db.execute(select(CaseEvent).where(CaseEvent.case_id == case["id"]))
    ).scalar_one()
    # Converted as SQLAlchemy converts them: the event's data a JSON object, the point a
    # geography, the case's stage list an empty array.
    assert created.kind == "created" and created.data["agency_id"] == case["agency_id"]
    stored = (await db.execute(select(Case).where(Case.id == case["id"]))).scalar_one()
    assert stored.escalated_stages == [] and not stored.sensitive and not stored.out_of_area
    point = text(
        "SELECT ST_Y(location::geometry), ST_X(location::geometry) FROM cases WHERE id = :i"
    )
    assert tuple((await db.execute(point, {"i": case["id"]})).one()) == pytest.approx(MANDONGA)
    reporter = (
        await db.execute(select(CaseReporter).where(CaseReporter.case_id == case["id"]))
    ).scalar_one()
    assert reporter.original_case_id == reporter.case_id and reporter.phone == "+6281234567890"
    assert reporter.name == "Wa Ode" and not reporter.follower


async def test_an_intake_with_more_to_write_keeps_one_transaction(
    client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    body = await _intake_body(db)
    # A P1 case: its Web Push outbox rows join the case's transaction.
    with counted() as sent:
        r = await client.post("/api/cases", headers=op, json={**body, "priority": "P1"})
    assert r.status_code == 201, r.text
    assert "INSERT INTO case_events" in sent.statements[2]
    # BEGIN and COMMIT around the intake's statements and the outbox's look-ups.
    assert "push_subscriptions" in sent.statements[-1] and sent.begins == 1, sent.statements
    # An Idempotency-Key: its record joins the case's transaction (looked up, then stored).
    key = {**op, "Idempotency-Key": "intake-round-trips-1"}
    with counted() as sent:
        r = await client.post("/api/cases", headers=key, json=body)
    assert r.status_code == 201, r.text
    # (The session is known from the request before: no session check.)
    assert len(sent.statements) == 4, sent.statements
    assert (
        "idempotent_requests" in sent.statements[0]
        and "INSERT INTO case_events" in sent.statements[2]
    )
    assert "idempotent_requests" in sent.statements[3]
    assert sent.begins == 1


@pytest.fixture
def taken_first(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """References drawn for new cases: the first draw of the next intake repeats the last
    reference drawn before it (taken), so intake must draw again."""
    drawn: list[str] = []
    draw = case_service.new_reference

    def again(*args: Any, **kw: Any) -> str:
        ref = drawn[0] if len(drawn) == 1 else draw(*args, **kw)
        drawn.append(ref)
        return ref

    monkeypatch.setattr(case_service, "new_reference", again)
    yield drawn


async def test_a_taken_reference_stores_and_announces_nothing_and_is_drawn_again(
    client: Client, db: AsyncSession, database_url: str, taken_first: list[str]
) -> None:
    op = await login(client, "operator")
    body = await _intake_body(db)
    first = await client.post("/api/cases", headers=op, json=body)
    assert first.status_code == 201, first.text
    taken = first.json()["reference"]
    assert taken_first == [taken]
    heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.add_listener("tanggap_live", lambda *a: heard.put_nowait(json.loads(a[3])))
    try:
        second = await client.post("/api/cases", headers=op, json=body)
        assert second.status_code == 201, second.text
        message = await asyncio.wait_for(heard.get(), 10)
        await asyncio.sleep(0.2)
        assert heard.empty()  # the refused draw sent nothing
    finally:
        await conn.close()
    case = second.json()
    # Drawn twice: the taken reference, then a free one.
    assert taken_first[1] == taken and case["reference"] == taken_first[2] != taken
    stored = (await db.execute(select(Case).where(Case.reference == taken))).scalars().all()
    assert [str(c.id) for c in stored] == [first.json()["id"]]  # the first case is untouched
    for model in (CaseEvent, CaseReporter):
        count = select(func.count()).select_from(model).where(model.case_id == case["id"])
        assert (await db.execute(count)).scalar_one() == 1
    total = select(func.count()).select_from(Case).where(Case.description == body["description"])
    assert (await db.execute(total)).scalar_one() == 2
    created = (
        await db.execute(select(CaseEvent).where(CaseEvent.case_id == case["id"]))
    ).scalar_one()
    # The live message names the case's final reference and the stored event's id.
    assert message["t"] == "case" and message["id"] == created.id
    assert message["reference"] == case["reference"] and message["kind"] == "created"
    assert message["case_id"] == case["id"] and message["data"] == created.data
