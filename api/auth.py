"""Who is calling: bearer-token authentication, role guards and agency scoping.

Every later route reuses these: ``guards=[requires_roles("dispatcher", ...)]`` and
``principal.agency_scope`` (``None`` means "sees every agency").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from api.db.principals import SessionMemory, read_session
from api.domain.vocabulary import CITYWIDE_ROLES
from api.errors import Forbidden, Unauthorized
from api.security import decode_access_token


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of a request: read from the database, or remembered from a read since
    which neither the session nor the user changed (:mod:`api.db.principals`)."""

    user_id: int
    username: str
    role: str
    agency_id: int | None
    language: str
    session_id: uuid.UUID

    @property
    def agency_scope(self) -> int | None:
        """The only agency this user may see, or ``None`` for city-wide roles (the agency roles
        are scoped to their own agency)."""
        return None if self.role in CITYWIDE_ROLES else self.agency_id

    def may_see_agency(self, agency_id: int | None) -> bool:
        scope = self.agency_scope
        return scope is None or scope == agency_id


def auth_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Resolve ``Authorization: Bearer`` into ``scope["user"]`` (``None`` when absent).

    A present but invalid, expired or revoked token is refused here with 401, so no handler
    ever runs for it. A live session's answer is remembered by the process for up to
    ``TANGGAP_SESSION_CACHE_SECONDS`` and forgotten as soon as the session or its user changes
    (:mod:`api.db.principals`).
    Routes that need a user add :func:`requires_login` or :func:`requires_roles`.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        scope["user"] = None
        if scope["path"] == "/metrics":
            # Its bearer token is the metrics token, not a session (api/routes/metrics.py).
            await app(scope, receive, send)
            return
        header = ""
        for k, v in scope.get("headers", []):
            if k == b"authorization":
                header = v.decode("latin-1")
                break
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("token_invalid")
            litestar_app = scope["app"]
            claims = decode_access_token(
                litestar_app.state.token_key, token.strip(), litestar_app.state.clock()
            )
            if claims is None:
                raise Unauthorized("token_invalid")
            try:
                sid = uuid.UUID(str(claims.get("sid")))
                uid = int(claims["sub"])
            except (ValueError, TypeError, KeyError):
                raise Unauthorized("token_invalid") from None
            memory: SessionMemory | None = getattr(litestar_app.state, "session_memory", None)
            principal = memory.recall(sid, uid) if memory is not None else None
            if principal is None:
                changes = memory.changes if memory is not None else 0
                row = await read_session(litestar_app.state.engine, sid, uid)
                if row is None:
                    raise Unauthorized("token_invalid")
                principal = Principal(
                    user_id=row.id,
                    username=row.username,
                    role=row.role,
                    agency_id=row.agency_id,
                    language=row.language,
                    session_id=sid,
                )
                if memory is not None:
                    memory.keep(sid, uid, principal, row.remaining_s, changes)
            scope["user"] = principal
        await app(scope, receive, send)

    return middleware


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized()
    return user


# Guards are coroutines: Litestar runs a plain function guard in a worker thread per request.
async def requires_login(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    current_principal(connection)


def requires_roles(*roles: str) -> Any:
    """A guard that admits only the given roles (after authentication)."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if current_principal(connection).role not in allowed:
            raise Forbidden()

    guard.__name__ = f"requires_{'_or_'.join(sorted(allowed))}"
    return guard


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency: the signed-in user (401 when anonymous)."""
    return current_principal(request)


async def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None
