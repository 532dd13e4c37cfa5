"""Web Push over HTTP: the VAPID public key, and device subscriptions for staff and for citizens.

A signed-in user may register a few devices; a citizen registers with the tracking token they
got when reporting. The endpoint must be a push service, each token and each user has at most
``TANGGAP_PUSH_MAX_SUBSCRIPTIONS`` devices, and subscribing is rate-limited per address (the
use cases are in :mod:`api.services.push`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody

from api.routes.deps import Cfg, Db, Lang, MaybeUser, Now, client_ip
from api.services import push as service

Endpoint = Annotated[str, msgspec.Meta(min_length=10, max_length=2000)]
Token = Annotated[str, msgspec.Meta(min_length=8, max_length=200)]


class PublicKeyOut(msgspec.Struct):
    """``applicationServerKey`` for ``pushManager.subscribe`` (base64url, uncompressed P-256)."""

    public_key: str


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: Annotated[str, msgspec.Meta(min_length=80, max_length=200)]
    auth: Annotated[str, msgspec.Meta(min_length=16, max_length=100)]


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``PushSubscription.toJSON()`` from the browser, plus who it is for.

    Without ``tracking_token`` the device is the signed-in user's; with it, the device follows
    that citizen's case. ``expirationTime`` is accepted and ignored.
    """

    endpoint: Endpoint
    keys: SubscriptionKeys
    expirationTime: int | None = None  # the browser's own field name
    tracking_token: Token | None = None
    language: Literal["id", "en"] | None = None


class SubscriptionDelete(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: Endpoint
    tracking_token: Token | None = None


class SubscriptionOut(msgspec.Struct):
    id: int
    owner: Literal["user", "citizen"]
    language: str


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/public-key", summary="The VAPID public key (applicationServerKey)")
    async def public_key(self, request: Request[Any, Any, Any]) -> PublicKeyOut:
        return PublicKeyOut(request.app.state.vapid_public_key)

    @post("/subscriptions", summary="Register a device for push notifications")
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        lang: Lang,
        now: Now,
        maybe_principal: MaybeUser,
        data: JSONBody[SubscriptionIn],
    ) -> SubscriptionOut:
        """Signed-in staff register their devices; a citizen registers with the case's tracking
        token (at most ``TANGGAP_PUSH_MAX_SUBSCRIPTIONS`` devices each). Registering the same
        endpoint again updates it. Only push service endpoints with valid keys are taken."""
        done = await service.subscribe(
            db,
            settings,
            service.Device(
                endpoint=data.endpoint,
                p256dh=data.keys.p256dh,
                auth=data.keys.auth,
                user_agent=request.headers.get("user-agent", ""),
                tracking_token=data.tracking_token,
                language=data.language,
            ),
            maybe_principal,
            ip=client_ip(request),
            lang=lang,
            now=now,
        )
        return SubscriptionOut(done.id, done.owner, done.language)

    @delete("/subscriptions", summary="Stop push notifications to a device", status_code=204)
    async def unsubscribe(
        self, db: Db, maybe_principal: MaybeUser, data: JSONBody[SubscriptionDelete]
    ) -> None:
        await service.unsubscribe(db, data.endpoint, data.tracking_token, maybe_principal)
