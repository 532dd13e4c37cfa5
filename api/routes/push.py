"""Web Push: the VAPID public key, and device subscriptions for staff and for citizens.

A signed-in user may register many devices. A citizen follows a case with the tracking token
they got when reporting: the subscription is tied to their ``CaseReporter`` row. One browser
endpoint is one row; it may serve a signed-in user and a followed case at once.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.config import Settings
from api.db.models import CaseReporter, PushSubscription
from api.errors import NotFound, Unauthorized, Unprocessable
from api.routes.deps import Cfg, Db, Lang, MaybeUser
from api.security import token_digest

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


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _check(data: SubscriptionIn, settings: Settings) -> None:
    parts = urlsplit(data.endpoint)
    secure = parts.scheme == "https" or (parts.scheme == "http" and settings.push_allow_http)
    if not secure or not parts.hostname:
        raise Unprocessable("push_subscription_invalid", detail="endpoint")
    try:
        key, auth = _b64url(data.keys.p256dh), _b64url(data.keys.auth)
    except (binascii.Error, ValueError):
        raise Unprocessable("push_subscription_invalid", detail="keys") from None
    if len(key) != 65 or key[0] != 4 or len(auth) != 16:
        raise Unprocessable("push_subscription_invalid", detail="keys")


async def _reporter(db: AsyncSession, token: str) -> CaseReporter:
    reporter = (
        await db.execute(
            select(CaseReporter).where(CaseReporter.tracking_token_hash == token_digest(token))
        )
    ).scalar_one_or_none()
    if reporter is None:
        raise NotFound("tracking_token_invalid")
    return reporter


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
        maybe_principal: MaybeUser,
        data: JSONBody[SubscriptionIn],
    ) -> SubscriptionOut:
        """Signed-in staff register their devices (many per user); a citizen registers with the
        case's tracking token. Registering the same endpoint again updates it."""
        _check(data, settings)
        values: dict[str, Any] = {
            "endpoint": data.endpoint,
            "p256dh": data.keys.p256dh,
            "auth": data.keys.auth,
            "user_agent": request.headers.get("user-agent", "")[:300],
        }
        owner: Literal["user", "citizen"]
        if data.tracking_token is not None:
            reporter = await _reporter(db, data.tracking_token)
            values["reporter_id"] = reporter.id
            values["language"] = data.language or lang
            owner = "citizen"
        else:
            principal: Principal | None = maybe_principal
            if principal is None:
                raise Unauthorized()
            values["user_id"] = principal.user_id
            values["language"] = data.language or principal.language
            owner = "user"
        update = {k: v for k, v in values.items() if k != "endpoint"}
        stmt = (
            insert(PushSubscription)
            .values(values)
            .on_conflict_do_update(index_elements=[PushSubscription.endpoint], set_=update)
            .returning(PushSubscription.id)
        )
        sub_id = (await db.execute(stmt)).scalar_one()
        return SubscriptionOut(sub_id, owner, values["language"])

    @delete("/subscriptions", summary="Stop push notifications to a device", status_code=204)
    async def unsubscribe(
        self, db: Db, maybe_principal: MaybeUser, data: JSONBody[SubscriptionDelete]
    ) -> None:
        sub = (
            await db.execute(
                select(PushSubscription)
                .where(PushSubscription.endpoint == data.endpoint)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if sub is None:
            raise NotFound("push_subscription_not_found")
        if data.tracking_token is not None:
            reporter = await _reporter(db, data.tracking_token)
            if sub.reporter_id != reporter.id:
                raise NotFound("push_subscription_not_found")
            sub.reporter_id = None
        else:
            principal: Principal | None = maybe_principal
            if principal is None:
                raise Unauthorized()
            if sub.user_id != principal.user_id:
                raise NotFound("push_subscription_not_found")
            sub.user_id = None
        if sub.user_id is None and sub.reporter_id is None:
            await db.delete(sub)
        await db.flush()
