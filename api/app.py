"""``create_app()``: the one place where settings, stores, plugins and routes meet."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api import __version__
from api.adapters import keys
from api.adapters.events import ListenBackend, channels_plugin, libpq_dsn
from api.adapters.storage import make_storage
from api.adapters.uploads import UploadSlots
from api.adapters.whatsapp import HttpWhatsApp
from api.auth import auth_middleware_factory
from api.compression import GzipMiddleware
from api.config import Settings
from api.db import direct, principals
from api.db.replica import ReadRouter
from api.db.session import make_engine, make_sessionmaker
from api.errors import ProblemDocumentedJson, exception_handlers
from api.metrics import count_replica_fallback, metrics_middleware
from api.middleware import (
    configure_logging,
    refuse_credentials_in_query,
    request_context_middleware,
    security_headers,
)
from api.routes import (
    admin,
    aml,
    audit,
    auth,
    call_clock,
    calls,
    cases,
    config,
    coordinator,
    events,
    geography,
    health,
    metrics,
    neighbours,
    places,
    pwa,
    reference,
    teams,
    warnings,
)
from api.routes import cap_incoming as cap_incoming_routes
from api.routes import conversations as conversation_routes
from api.routes.deps import DEPENDENCIES, resolve_dependencies_in_turn
from api.routes.exports import STATS_HANDLERS
from api.routes.open311 import Open311KeyController, open311_router
from api.routes.photos import PhotoController
from api.routes.pluscodes import read_plus_code
from api.routes.public import PublicController
from api.routes.push import PushController
from api.routes.sms import CallerSmsController
from api.services.notify import LIVE_CHANNEL


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Litestar:
    """Build the API. ``database_url`` overrides settings (the embedded cluster's URL)."""
    settings = settings or Settings.from_env()
    url = database_url or settings.database_url
    if not url:
        raise RuntimeError(
            "No database URL: set TANGGAP_DATABASE_URL, or start with `tanggap dev`, which runs "
            "the embedded PostGIS cluster."
        )
    configure_logging(settings.log_level)
    resolve_dependencies_in_turn()
    # LISTEN needs a session of its own: the direct URL when the database URL is a pooler.
    listen = ListenBackend(libpq_dsn(settings.listen_url(url)))
    # Live sessions' answers, forgotten when a trigger says the session or its user changed;
    # used only while that LISTEN connection is up (api/db/principals.py).
    session_memory = principals.SessionMemory(
        settings.session_cache_seconds, lambda: listen.listening
    )
    listen.watch(principals.AUTH_CHANNEL, session_memory.heard)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = make_engine(
            url, settings.db_pool_size, settings.db_max_overflow, pooled=settings.database_pooled
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        # One-statement requests on asyncpg itself; behind a transaction pooler, on the engine.
        app.state.direct = (
            None
            if settings.database_pooled
            else await direct.open_pool(url, settings.db_direct_pool_size)
        )
        principals.register(session_memory)
        try:
            yield
        finally:
            principals.unregister(session_memory)
            if app.state.direct is not None:
                await app.state.direct.close()
            await engine.dispose()

    @asynccontextmanager
    async def read_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        # Lag-tolerant reads: on the replica when one is set (its own engine), else the primary.
        replica = settings.database_replica_url
        app.state.reads = ReadRouter(
            app.state.engine,
            make_engine(
                replica,
                settings.db_pool_size,
                settings.db_max_overflow,
                pooled=settings.database_pooled,
            )
            if replica
            else None,
            max_lag_s=settings.replica_max_lag_seconds,
            on_fallback=count_replica_fallback,
        )
        # What start-up built (modules, routes, mappers: ~200k objects) lives as long as the
        # process: frozen, the collector stops rescanning it whenever a request allocates a lot
        # (a 2,000-feature map layer cost twice the CPU without this; docs/performance.md).
        # Thawed at shutdown: a process that builds many apps (the tests) can collect them.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await app.state.reads.dispose()

    app = Litestar(
        route_handlers=[
            health.live,
            health.ready,
            metrics.metrics,
            auth.AuthController,
            auth.SecurityAlertController,
            reference.ReferenceController,
            *admin.CONTROLLERS,
            audit.AuditController,
            *neighbours.HANDLERS,
            cases.CaseController,
            cases.cases_geojson,
            CallerSmsController,
            calls.CallController,
            calls.flagged_numbers,
            calls.pbx_webhook,
            *call_clock.HANDLERS,
            *aml.HANDLERS,
            *conversation_routes.HANDLERS,
            teams.TeamFieldController,
            coordinator.CoordinatorTeamController,
            config.app_config,
            geography.city_geography,
            geography.search_places,
            read_plus_code,
            places.PlaceController,
            PhotoController,
            PushController,
            PublicController,
            open311_router,
            Open311KeyController,
            events.live_events,
            events.event_ticket,
            *STATS_HANDLERS,
            *warnings.HANDLERS,
            *cap_incoming_routes.HANDLERS,
            pwa.spa,
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=exception_handlers(),
        middleware=[request_context_middleware, metrics_middleware, auth_middleware_factory],
        before_request=refuse_credentials_in_query,
        before_send=[security_headers(settings.photo_origin, settings.map_tile_origin)],
        lifespan=[lifespan, read_lifespan, events.live_hub_lifespan],
        plugins=[channels_plugin(listen, [LIVE_CHANNEL])],
        openapi_config=OpenAPIConfig(
            title="Tanggap 112 API",
            version=__version__,
            description="Emergency and complaint line: calls, cases, dispatch, field teams.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), ProblemDocumentedJson()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                }
            ),
            security=[{"bearer": []}],
        ),
        compression_config=CompressionConfig(
            # Photos are already compressed: their handlers opt out.
            backend="gzip",
            minimum_size=1024,
            # gzip written by ISA-L (api/compression.py): a 2,000-case map layer in a fifth of
            # zlib's time at level 3, and smaller.
            middleware_class=GzipMiddleware,
            exclude_opt_key="skip_compression",
        ),
        # Every body is small unless its route says otherwise (photo uploads, area boundaries).
        # A larger Content-Length is refused (413) before a byte of the body is read.
        request_max_body_size=settings.request_max_body_bytes,
        debug=False,
        logging_config=None,  # ours: JSON lines with the request id (api.middleware)
    )
    app.state.settings = settings
    app.state.listen = listen
    app.state.session_memory = session_memory
    app.state.clock = clock
    # One key per purpose, each derived from the root secret (rotated one at a time).
    app.state.token_key = keys.token_key(settings)
    app.state.pin_key = keys.pin_key(settings)
    app.state.photo_url_key = keys.photo_url_key(settings)
    app.state.vapid_public_key = keys.vapid_keys(settings).public_key
    app.state.storage = make_storage(settings)
    app.state.upload_slots = UploadSlots(settings.upload_concurrency)
    app.state.pbx_secret = keys.pbx_secret(settings)
    app.state.aml_secret = keys.aml_secret(settings)
    app.state.whatsapp_secret = keys.whatsapp_secret(settings)
    app.state.whatsapp_verify_token = keys.whatsapp_verify_token(settings)
    app.state.sms_inbound_secret = keys.sms_inbound_secret(settings)
    app.state.whatsapp = HttpWhatsApp(settings)
    app.state.aml_identifier_key = keys.aml_identifier_key(settings)
    return app
