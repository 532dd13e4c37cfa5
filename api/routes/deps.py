"""Dependencies shared by every route: settings, clock, database session, caller language."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, provide_optional_principal, provide_principal
from api.config import Settings
from api.db.session import session_scope
from api.domain.abuse import client_address
from api.errors import Unavailable
from api.i18n import negotiate


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async for session in session_scope(state.sessionmaker):
        yield session


def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def provide_now(state: State) -> datetime:
    return state.clock()  # type: ignore[no-any-return]


def provide_lang(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer's, or what a trusted proxy (``TANGGAP_TRUSTED_PROXIES``)
    says in ``X-Forwarded-For`` / ``X-Real-IP``; from anyone else those headers are ignored."""
    peer = request.client.host if request.client else "unknown"
    trusted: tuple[str, ...] = request.app.state.settings.trusted_proxies
    if not trusted:
        return peer
    return client_address(
        peer,
        request.headers.get("x-forwarded-for"),
        request.headers.get("x-real-ip"),
        trusted,
    )[:64]


# How soon a client turned away by a full upload bound should try again, in seconds.
UPLOAD_RETRY_AFTER = 5


@asynccontextmanager
async def upload_slot(request: Request[Any, Any, Any]) -> AsyncIterator[None]:
    """Hold one of the process's upload slots (``TANGGAP_UPLOAD_CONCURRENCY``) for the upload;
    when all are taken, 503 with Retry-After before anything is read or stored."""
    slots = request.app.state.upload_slots
    if not slots.try_take():
        raise Unavailable("uploads_busy", retry_after=UPLOAD_RETRY_AFTER)
    try:
        yield
    finally:
        slots.give_back()


# Explicit markers for handler parameters (Litestar 3 drops inferred injection).
Db = NamedDependency[AsyncSession]
Cfg = NamedDependency[Settings]
Now = NamedDependency[datetime]
Lang = NamedDependency[str]
CurrentUser = NamedDependency[Principal]
MaybeUser = NamedDependency[Principal | None]

DEPENDENCIES = {
    "db": Provide(provide_db),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "now": Provide(provide_now, sync_to_thread=False),
    "lang": Provide(provide_lang, sync_to_thread=False),
    "principal": Provide(provide_principal),
    "maybe_principal": Provide(provide_optional_principal),
}
