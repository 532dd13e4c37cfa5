"""Dependencies shared by every route: settings, clock, database sessions (the primary's, and
the read-only one of lag-tolerant reads), caller language, object storage, and a citizen's
tracking credentials."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Annotated, Any, TypeVar

from litestar import Request, post
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.adapters.storage import Storage
from api.auth import Principal, provide_optional_principal, provide_principal
from api.config import Settings
from api.db import direct
from api.db.replica import on_primary
from api.db.session import session_scope
from api.domain.abuse import client_address
from api.domain.open311 import Open311Refused
from api.errors import NotFound, Unavailable
from api.i18n import negotiate
from api.services import tracking
from api.services.audit import Actor

#: A POST that creates nothing (a change to a record, or a question): answered 200, not 201.
post_ok = partial(post, status_code=200)

#: For an answer that carries a secret shown once (a new password, an Open311 key): no cache,
#: browser or proxy, may keep it.
SHOWN_ONCE = CacheControlHeader(no_store=True)


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """Litestar's ``KwargsModel.resolve_dependencies``, one dependency after the other.

    Litestar resolves the dependencies of one level concurrently, each in a task of an anyio
    task group (litestar-org/litestar#4563). Ours return at once or check out one pooled
    connection, so the group bought nothing and cost a position ping about a tenth of its CPU
    (four tasks per request; docs/performance.md). Litestar also drops the group when a
    provider fails, leaving the ones already entered (a database session) open: they are closed
    here with the error."""
    cleanup = DependencyCleanupGroup()
    try:
        for batch in self.dependency_batches:
            for dependency in batch:
                await resolve_dependency(dependency, connection, kwargs, cleanup)
    except BaseException as exc:
        with suppress(Exception):
            await cleanup.close(exc)
        raise
    return cleanup


def resolve_dependencies_in_turn() -> None:
    """Install :func:`_resolve_in_turn` (``create_app`` does; idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async for session in session_scope(state.sessionmaker):
        yield session


async def provide_read_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A read-only session for a read that tolerates a few seconds of lag: on the read replica
    (``TANGGAP_DATABASE_REPLICA_URL``) when it answers and is recent enough, else on the
    primary (:class:`api.db.replica.ReadRouter`). A route takes it only when nothing on its
    path writes: the transaction is ``READ ONLY`` on either node."""
    async with await state.reads.open() as session:
        yield session


async def provide_one_statement(state: State) -> AsyncGenerator[direct.OneStatement, None]:
    """A connection to the primary for a request answered by one statement (a read, or a write
    that is whole in one statement, such as a position ping): in autocommit, so it costs that
    statement's round trip only (no BEGIN and COMMIT around it). The statement is its own
    transaction: it commits, and its NOTIFYs go out, when it ends. On the process's asyncpg
    pool (``api/db/direct.py``), or SQLAlchemy's connection behind a transaction pooler."""
    async with direct.connection(state.direct, state.engine) as conn:
        yield conn


#: The id of the last live case event a screen has applied (``GET /api/events``).
AfterEvent = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=2**63 - 1,
        description=(
            "The id of the last live case event this screen has applied: the answer includes "
            "that event's change (from the primary if the read replica has not replayed it yet)."
        ),
    ),
]


async def provide_live_read_db(
    state: State, after_event: AfterEvent = None
) -> AsyncGenerator[AsyncSession, None]:
    """:func:`provide_read_db` for a screen kept live by the event stream, which reloads on an
    event and must then see it: never older than the event ``after_event``."""
    async with await state.reads.open(after_event) as session:
        yield session


T = TypeVar("T")


async def read_fresh(
    state: State, db: AsyncSession, read: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """``read(db)``; when a read from the replica finds nothing (a 404), once more on the
    primary: a citizen who opens the case they reported a moment ago must not get a 404
    because the replica has not replayed it yet. One extra query, in that rare case only."""
    try:
        return await read(db)
    except (NotFound, Open311Refused) as exc:
        if on_primary(db) or getattr(exc, "status", 404) != 404:
            raise
    async with state.reads.primary() as fresh:
        return await read(fresh)


def engine_of(db: AsyncSession) -> AsyncEngine:
    """The engine a read session reads from, for a stream that opens its own connection."""
    assert db.bind is not None
    return db.bind  # type: ignore[return-value]


def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def provide_now(state: State) -> datetime:
    return state.clock()  # type: ignore[no-any-return]


def provide_lang(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


def provide_storage(state: State) -> Storage:
    return state.storage  # type: ignore[no-any-return]


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
#: Lag-tolerant reads (the parameter is named ``read_db``): see :func:`provide_read_db`.
ReadDb = NamedDependency[AsyncSession]
#: The same for a screen the event stream keeps live (``live_read_db``, ``?after_event=``).
LiveReadDb = NamedDependency[AsyncSession]
#: One statement on the primary, in autocommit: a read, or a write whole in one statement
#: (:func:`provide_one_statement`).
OneStatement = NamedDependency[direct.OneStatement]
Cfg = NamedDependency[Settings]
Now = NamedDependency[datetime]
Lang = NamedDependency[str]
CurrentUser = NamedDependency[Principal]
MaybeUser = NamedDependency[Principal | None]
Store = NamedDependency[Storage]


def provide_actor(principal: CurrentUser, now: Now) -> Actor:
    """The ``actor`` dependency: the signed-in admin making a change, and when (for the audit)."""
    return Actor(principal.user_id, now)


By = NamedDependency[Actor]


# ------------------------------------------------------- citizen credentials
TokenHeader = Annotated[str | None, HeaderParameter(name="X-Tracking-Token", required=False)]
PhoneHeader = Annotated[str | None, HeaderParameter(name="X-Reporter-Phone", required=False)]
PinHeader = Annotated[str | None, HeaderParameter(name="X-Tracking-Pin", required=False)]


@dataclass(frozen=True)
class CitizenAccess:
    """A citizen's tracking credentials as sent, ready to open one case with."""

    db: AsyncSession
    settings: Settings
    now: datetime
    pin_key: str
    credentials: tracking.Credentials

    def on(self, db: AsyncSession) -> CitizenAccess:
        """The same credentials, opening the case through another session (a read's)."""
        return replace(self, db=db)

    async def open(self, reference: str, *, for_update: bool = False) -> tracking.Access:
        """The case and the reporter behind the credentials: 401 without any, and the same 404
        as for an unknown reference when they are wrong (wrong PINs are counted per address)."""
        return await tracking.access(
            self.db,
            self.settings,
            self.pin_key,
            reference,
            self.credentials,
            now=self.now,
            for_update=for_update,
        )


async def provide_citizen_access(
    request: Request[Any, Any, Any],
    db: Db,
    settings: Cfg,
    now: Now,
    x_tracking_token: TokenHeader = None,
    x_reporter_phone: PhoneHeader = None,
    x_tracking_pin: PinHeader = None,
) -> CitizenAccess:
    """The ``citizen_access`` dependency: a route that takes ``citizen_access: Citizen`` gets
    the three headers documented and opens its case with ``await citizen_access.open(ref)``."""
    sent = tracking.Credentials(
        x_tracking_token, x_reporter_phone, x_tracking_pin, client_ip(request)
    )
    return CitizenAccess(db, settings, now, request.app.state.pin_key, sent)


Citizen = NamedDependency[CitizenAccess]

DEPENDENCIES = {
    "db": Provide(provide_db),
    "read_db": Provide(provide_read_db),
    "live_read_db": Provide(provide_live_read_db),
    "one_statement": Provide(provide_one_statement),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "now": Provide(provide_now, sync_to_thread=False),
    "lang": Provide(provide_lang, sync_to_thread=False),
    "principal": Provide(provide_principal),
    "maybe_principal": Provide(provide_optional_principal),
    "storage": Provide(provide_storage, sync_to_thread=False),
    "citizen_access": Provide(provide_citizen_access),
    "actor": Provide(provide_actor, sync_to_thread=False),
}
