"""Web Push: the VAPID public key, and device subscriptions for staff and for citizens.

A signed-in user may register a few devices; a citizen follows a case with the tracking token
they got when reporting: the subscription is tied to their ``CaseReporter`` row. One browser
endpoint is one row; it may serve a signed-in user and a followed case at once.

The endpoint is a URL the worker will POST to, so it must be a push service: its host, its
resolved addresses and its keys are checked (:mod:`api.domain.push_endpoints`), each token and
each user has at most ``TANGGAP_PUSH_MAX_SUBSCRIPTIONS`` devices, and subscribing is
rate-limited per address.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.webpush import check_reachable
from api.auth import Principal
from api.config import Settings
from api.db.models import CaseReporter, PushSubscription
from api.domain.abuse import Limit, address_group, limit_key
from api.domain.push_endpoints import EndpointRefused, check_endpoint, check_keys
from api.errors import Conflict, NotFound, Unauthorized, Unprocessable
from api.i18n import t
from api.routes.deps import Cfg, Db, Lang, MaybeUser, Now, client_ip
from api.security import token_digest
from api.services.citizen import Counter, check_limit, record_hit, report_window

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


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(
        "push_subscription_invalid", reason_id=t(reason, "id"), reason_en=t(reason, "en")
    )


async def _check(data: SubscriptionIn, settings: Settings) -> None:
    """422 unless the endpoint is a push service we may reach and the keys can be used."""
    try:
        check_keys(data.keys.p256dh, data.keys.auth)
    except EndpointRefused:
        raise _invalid("push_invalid_keys") from None
    try:
        target = check_endpoint(
            data.endpoint,
            allow_http=settings.push_allow_http,
            extra_hosts=settings.push_allowed_hosts,
        )
        await check_reachable(target)
    except EndpointRefused:
        raise _invalid("push_invalid_endpoint") from None


def _per_ip(settings: Settings, ip: str) -> Counter:
    return Counter(
        limit_key("push-ip", address_group(ip)),
        Limit("push", settings.push_subscribes_per_ip, report_window(settings)),
        "push_rate_limited",
    )


async def _check_cap(db: AsyncSession, settings: Settings, owner: Any, endpoint: str) -> None:
    """409 when the owner (a tracking token's reporter, or a user) already has the most
    devices; registering one of their own endpoints again is an update, always allowed."""
    held = (
        await db.execute(
            select(func.count())
            .select_from(PushSubscription)
            .where(owner, PushSubscription.endpoint != endpoint)
        )
    ).scalar_one()
    if held >= settings.push_max_subscriptions:
        raise Conflict("push_subscriptions_full", max=settings.push_max_subscriptions)


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
        now: Now,
        maybe_principal: MaybeUser,
        data: JSONBody[SubscriptionIn],
    ) -> SubscriptionOut:
        """Signed-in staff register their devices; a citizen registers with the case's tracking
        token (at most ``TANGGAP_PUSH_MAX_SUBSCRIPTIONS`` devices each). Registering the same
        endpoint again updates it. Only push service endpoints with valid keys are taken."""
        counter = _per_ip(settings, client_ip(request))
        await check_limit(db, counter, now)
        await record_hit(db, counter, now)
        # The attempt counts even when refused below: commit it with the answer.
        await db.commit()
        await _check(data, settings)
        values: dict[str, Any] = {
            "endpoint": data.endpoint,
            "p256dh": data.keys.p256dh,
            "auth": data.keys.auth,
            "user_agent": request.headers.get("user-agent", "")[:300],
        }
        owner: Literal["user", "citizen"]
        if data.tracking_token is not None:
            reporter = await _reporter(db, data.tracking_token)
            await _check_cap(
                db, settings, PushSubscription.reporter_id == reporter.id, data.endpoint
            )
            values["reporter_id"] = reporter.id
            values["language"] = data.language or lang
            owner = "citizen"
        else:
            principal: Principal | None = maybe_principal
            if principal is None:
                raise Unauthorized()
            await _check_cap(
                db, settings, PushSubscription.user_id == principal.user_id, data.endpoint
            )
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
