"""The citizen's API, without an account: report, find similar cases, follow one, track it,
add photos, rate the service or dispute the resolution.

A citizen proves who they are with the tracking token returned when they reported or followed
(header ``X-Tracking-Token``), or with the phone number they gave and the PIN shown with the
reference (headers ``X-Reporter-Phone`` and ``X-Tracking-Pin``). Credentials travel only in
headers, never in the URL (a ``?token=`` is refused: see ``api/middleware.py``). A wrong
credential gets the same 404 as an unknown reference. Answers hold public fields only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain import pluscode
from api.domain.abuse import tracking_pin
from api.domain.lifecycle import OPEN, PUBLIC_STATUS_TEXT, public_status
from api.i18n import t
from api.routes.conditional import conditional
from api.routes.deps import (
    Cfg,
    Citizen,
    Db,
    Lang,
    Now,
    ReadDb,
    Store,
    TokenHeader,
    client_ip,
    read_fresh,
)
from api.routes.params import Lat, Lon, PlusCodeText
from api.routes.photos import UploadOperation, receive_photos, serve_copy
from api.security import token_digest
from api.services import abuse, citizen, pluscodes, public_photos, tracking
from api.services.idempotency import idempotent
from api.services.photos import Uploader

# Generous wire bounds; the precise, translated limits are checked by the citizen service.
Text = Annotated[str, msgspec.Meta(max_length=20_000)]
Reference = Annotated[str, msgspec.Meta(max_length=40)]
# A category code as the catalog writes them; anything else (a NUL byte) never reaches SQL.
CategoryCode = Annotated[
    str, msgspec.Meta(min_length=1, max_length=48, pattern=r"^\s*[A-Za-z0-9_.-]+\s*$")
]
JSON_LIMIT = 64 * 1024


# ----------------------------------------------------------------- bodies
class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    """A citizen's report. ``category`` is a category code from ``GET /api/public/categories``;
    ``attributes`` answers that category's questions (a list for multi-choice ones). Name and
    phone are optional and stay private."""

    category: Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
    description: Text
    # The place: lat and lon, or a Plus Code (full, or short near the city); exactly one.
    lat: Lat | None = None
    lon: Lon | None = None
    plus_code: PlusCodeText | None = None
    location_source: Literal["gps", "map"] = "map"
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None
    address: Text = ""
    landmark: Text = ""
    name: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    language: Literal["id", "en"] | None = None
    attributes: dict[str, str | list[str]] = {}


class FollowIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    language: Literal["id", "en"] | None = None


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Text = ""


class DisputeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


# ---------------------------------------------------------------- answers
class PushInfo(msgspec.Struct):
    """What the PWA needs to subscribe this citizen's device: ``POST subscribe_url`` with the
    browser's subscription and ``tracking_token`` (see ``api/routes/push.py``)."""

    public_key: str
    subscribe_url: str


class ReportOut(msgspec.Struct):
    """The reference and the secret tracking token (shown once; only its hash is kept). The
    PIN, with the phone given on the report, opens the case without the token."""

    reference: str
    tracking_token: str
    pin: str
    tracking_url: str
    photos_url: str
    status: str
    status_text: str
    agency: str
    expected_resolution: datetime
    created_at: datetime
    push: PushInfo


class CategoryOut(msgspec.Struct):
    code: str
    name: str
    group: str
    agency: str
    attributes: list[dict[str, Any]]


class SimilarOut(msgspec.Struct):
    reference: str
    category: str
    status: str
    status_text: str
    followable: bool
    distance_m: int
    lat: float
    lon: float
    address: str
    # Only what the reporter wrote to be public (web, Open311), contacts redacted.
    description: str | None
    created_at: datetime


class TimelineItem(msgspec.Struct):
    kind: str
    at: datetime
    label: str


class PublicPhotoOut(msgspec.Struct):
    id: uuid.UUID
    source: str
    created_at: datetime
    thumb_url: str
    display_url: str


class CategoryRef(msgspec.Struct):
    code: str
    name: str


class TrackOut(msgspec.Struct):
    reference: str
    status: str
    status_text: str
    category: CategoryRef
    agency: str
    # Empty (address, area, point, photos) when the holder sees status words and times only:
    # a sensitive case, or a follower (docs/security.md, "Who may see what").
    description: str | None
    address: str
    area: str | None
    lat: float | None
    lon: float | None
    plus_code: str | None  # of the point shown (so never finer than it)
    created_at: datetime
    updated_at: datetime
    expected_resolution: datetime
    merged_into: str | None
    timeline: list[TimelineItem]
    photos: list[PublicPhotoOut]
    can_rate: bool
    can_dispute: bool
    rated: bool


class RatingOut(msgspec.Struct):
    reference: str
    score: int
    created_at: datetime


class PhotosOut(msgspec.Struct):
    photos: list[PublicPhotoOut]


# ---------------------------------------------------------------- helpers
def _pin_key(request: Request[Any, Any, Any]) -> str:
    return request.app.state.pin_key  # type: ignore[no-any-return]


def _photo_key(request: Request[Any, Any, Any]) -> str:
    return request.app.state.photo_url_key  # type: ignore[no-any-return]


def _status(status: str, lang: str) -> tuple[str, str]:
    word = public_status(status)
    return word, PUBLIC_STATUS_TEXT[word][lang]


def _photo_out(secret: str, p: Any, now: datetime) -> PublicPhotoOut:
    return PublicPhotoOut(
        id=p.id,
        source=p.source,
        created_at=p.created_at,
        thumb_url=public_photos.signed_photo_path(secret, p.id, "thumb", now),
        display_url=public_photos.signed_photo_path(secret, p.id, "display", now),
    )


class CitizenUploadOperation(UploadOperation):
    """The citizens' upload: the same multipart body, without ``event_id``."""

    body_text = (
        "Photos (JPEG, PNG, WebP or HEIC), checked by content; EXIF is removed "
        "from every copy anyone else sees."
    )
    with_event = False


class PublicController(Controller):
    path = "/api/public"
    tags = ["citizens"]
    security = [{}]  # no account needed

    @get("/categories", summary="What a citizen can report, with each category's questions")
    async def categories(self, read_db: ReadDb, lang: Lang) -> list[CategoryOut]:
        return [
            CategoryOut(
                c.category.code,
                c.category.name_en if lang == "en" else c.category.name_id,
                c.category.group,
                c.agency_name_en if lang == "en" else c.agency_name_id,
                list(c.category.attributes or []),
            )
            for c in await citizen.categories(read_db)
        ]

    @get("/similar", summary="Open cases of the same category nearby, before reporting")
    async def similar(
        self,
        read_db: ReadDb,
        now: Now,
        lang: Lang,
        category: FromQuery[CategoryCode],
        lat: FromQuery[Lat],
        lon: FromQuery[Lon],
    ) -> list[SimilarOut]:
        """Same category, within its duplicate radius, open or finished in the last days,
        nearest first. Public fields only; follow one with ``POST /cases/{reference}/follow``."""
        cat, found = await citizen.similar(read_db, category, lat, lon, now)
        name = cat.name_en if lang == "en" else cat.name_id
        out = []
        for n in found:
            word, text = _status(n.case.status, lang)
            out.append(
                SimilarOut(
                    reference=n.case.reference,
                    category=name,
                    status=word,
                    status_text=text,
                    followable=n.case.status in OPEN,
                    distance_m=round(n.distance_m),
                    lat=n.shown.lat,
                    lon=n.shown.lon,
                    address=n.shown.address,
                    description=n.shown.description[:500] if n.shown.description else None,
                    created_at=n.case.created_at,
                )
            )
        return out

    @post(
        "/reports",
        summary="Report a problem without an account",
        request_max_body_size=JSON_LIMIT,
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        now: Now,
        lang: Lang,
        data: JSONBody[ReportIn],
    ) -> Response[ReportOut]:
        """Creates the case (routed to its agency, with its SLA) and answers with its reference
        and the secret tracking token. Photos follow with ``POST photos_url``. Refused with a
        translated 4xx: unknown category, outside the service area, text too long, a number
        flagged for prank calls (403), too many reports from this address or phone (429)."""
        language = data.language or lang
        given = msgspec.structs.asdict(data)
        code = given.pop("plus_code")
        given["lat"], given["lon"] = pluscodes.located(settings, data.lat, data.lon, code)
        report = citizen.Report(
            **given
            | {
                "language": language,
                "location_source": "plus_code" if code else data.location_source,
                "attributes": {
                    k: v if isinstance(v, list) else [v] for k, v in data.attributes.items()
                },
            }
        )

        async def run() -> ReportOut:
            created = await citizen.intake(
                db,
                settings,
                report,
                now=now,
                channel="web",
                actor_kind="citizen",
                counters=[abuse.per_ip(settings, client_ip(request))],
                issue_token=True,
            )
            assert created.tracking_token is not None
            return await _answer(
                request, db, citizen.Tracked(created.case, created.tracking_token), language
            )

        async def reissue(stored: ReportOut) -> ReportOut:
            # The replay proves itself with the Idempotency-Key: give it a fresh token.
            return await _answer(
                request, db, await citizen.reissue_token(db, stored.reference), language
            )

        # A phone that queued the report offline replays it with the same Idempotency-Key. The
        # stored answer keeps no tracking token (only its hash is ever kept).
        answer = await idempotent(
            request,
            db,
            None,
            ReportOut,
            run,
            redact=lambda a: msgspec.structs.replace(a, tracking_token="", pin=""),
            restore=reissue,
        )
        return Response(answer, status_code=201)

    @post(
        "/cases/{reference:str}/follow",
        summary="Follow a similar open case instead of filing a duplicate",
        request_max_body_size=JSON_LIMIT,
    )
    async def follow(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        now: Now,
        lang: Lang,
        reference: FromPath[Reference],
        data: JSONBody[FollowIn],
    ) -> Response[ReportOut]:
        """Adds the citizen as one more reporter of the case (with their own tracking token)
        and answers like a new report. The same abuse rules apply."""
        language = data.language or lang
        followed = await citizen.follow(
            db,
            settings,
            reference,
            name=data.name,
            phone=data.phone,
            language=language,
            ip=client_ip(request),
            now=now,
        )
        return Response(
            await _answer(request, db, followed, language),
            status_code=201,
        )

    @get("/cases/{reference:str}", summary="Track a case (tracking token, or phone and PIN)")
    async def track(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        read_db: ReadDb,
        settings: Cfg,
        now: Now,
        lang: Lang,
        reference: FromPath[Reference],
        citizen_access: Citizen,
    ) -> Response[TrackOut]:
        """The city's three words, the public timeline, the responsible agency and the public
        photos. Never personal data: no reporter, no officer, no note."""

        async def read(session: AsyncSession) -> tracking.PublicView:
            granted = await citizen_access.on(session).open(reference)
            return await tracking.public_view(session, settings, granted, now)

        async def read_by_token(session: AsyncSession) -> tracking.PublicView:
            return await tracking.token_view(session, settings, reference, token, now)

        # With the token: a pure read in one statement, off the primary (the primary again on a
        # 404: a case just reported). With phone and PIN (a blank token is none): on the
        # primary, which counts wrong PINs.
        token = (citizen_access.credentials.token or "").strip()
        if token:
            view = await read_fresh(request.app.state, read_db, read_by_token)
        else:
            view = await read(db)
        c = view.case
        word, text = _status(c.status, lang)
        body = TrackOut(
            reference=c.reference,
            status=word,
            status_text=text,
            category=CategoryRef(
                view.category.code,
                view.category.name_en if lang == "en" else view.category.name_id,
            ),
            agency=view.agency.name_en if lang == "en" else view.agency.name_id,
            description=view.shown.description if view.shown else None,
            address=view.shown.address if view.shown else "",
            area=view.area_name,
            lat=view.shown.lat if view.shown else None,
            lon=view.shown.lon if view.shown else None,
            plus_code=pluscode.encode(view.shown.lat, view.shown.lon) if view.shown else None,
            created_at=c.created_at,
            updated_at=c.updated_at,
            expected_resolution=c.resolve_by,
            merged_into=view.parent_reference,
            timeline=[
                TimelineItem(e.kind, e.at, t(f"public_event_{e.kind}", lang)) for e in view.events
            ],
            photos=[_photo_out(_photo_key(request), p, now) for p in view.photos],
            can_rate=view.can_rate,
            can_dispute=view.can_dispute,
            rated=view.rated,
        )
        # Personal to the holder of the token: never stored by a cache. A client that keeps its
        # own copy (the tracking page polling the status) revalidates it with If-None-Match:
        # the 304 comes after the same credential check as the 200, so it tells nothing more.
        encoded = msgspec.json.encode(body)
        return conditional(  # type: ignore[return-value]
            request, encoded, "application/json", "private, no-store"
        )

    @post(
        "/cases/{reference:str}/photos",
        summary="Add photos to one's report",
        operation_class=CitizenUploadOperation,
        # Bounded by the photo limits instead (files x size), checked as the body streams in.
        request_max_body_size=None,
    )
    async def photos(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        now: Now,
        storage: Store,
        reference: FromPath[Reference],
        citizen_access: Citizen,
    ) -> Response[PhotosOut]:
        """Multipart upload (field ``files``, optional ``caption``) through the photo pipeline:
        checked by content, EXIF only in the private original. 201 when something was stored."""

        async def uploader() -> Uploader:
            return await public_photos.citizen_uploader(db, await citizen_access.open(reference))

        photos, status = await receive_photos(request, db, settings, storage, now, uploader)
        key = _photo_key(request)
        return Response(
            PhotosOut([_photo_out(key, p.photo, now) for p in photos]), status_code=status
        )

    @post(
        "/cases/{reference:str}/rating",
        summary="Rate the service once the case is resolved",
        request_max_body_size=JSON_LIMIT,
    )
    async def rating(
        self,
        db: Db,
        now: Now,
        reference: FromPath[Reference],
        citizen_access: Citizen,
        data: JSONBody[RatingIn],
    ) -> Response[RatingOut]:
        """A score from 1 to 5 and an optional comment: once per reporter, only when the case
        is resolved or closed (409 otherwise)."""
        granted = await citizen_access.open(reference, for_update=True)
        rating = await tracking.rate(db, granted, score=data.score, comment=data.comment, now=now)
        return Response(
            RatingOut(granted.case.reference, rating.score, rating.created_at), status_code=201
        )

    @post(
        "/cases/{reference:str}/dispute",
        summary="Dispute the resolution: the case reopens",
        status_code=200,
        request_max_body_size=JSON_LIMIT,
    )
    async def dispute(
        self,
        db: Db,
        settings: Cfg,
        now: Now,
        lang: Lang,
        reference: FromPath[Reference],
        citizen_access: Citizen,
        data: JSONBody[DisputeIn],
    ) -> TimelineItem:
        """With a reason; only once the case is resolved or closed. The responsible agency is
        told through the usual notifications."""
        granted = await citizen_access.open(reference, for_update=True)
        await tracking.dispute(db, settings, granted, reason=data.reason, now=now)
        return TimelineItem("reopened", now, t("public_event_reopened", lang))

    @get(
        "/photos/{photo_id:uuid}",
        summary="A public copy of a photo (thumbnail or display, never the original)",
        opt={"skip_compression": True},
    )
    async def photo(
        self,
        request: Request[Any, Any, Any],
        read_db: ReadDb,
        settings: Cfg,
        now: Now,
        storage: Store,
        photo_id: FromPath[uuid.UUID],
        variant: FromQuery[Literal["thumb", "display"]] = "display",
        x_tracking_token: TokenHeader = None,
        expires: FromQuery[int | None] = None,
        sig: FromQuery[Annotated[str, msgspec.Meta(max_length=64)] | None] = None,
    ) -> Response[Any]:
        """For the holder of a tracking token of the photo's case, or a signed URL from the
        tracking page. The copies carry no EXIF; the original is never served here."""
        copy = await read_fresh(
            request.app.state,
            read_db,
            lambda db: public_photos.public_photo(
                db,
                _photo_key(request),
                photo_id,
                variant,
                token=x_tracking_token,
                expires=expires,
                sig=sig,
                now=now,
            ),
        )
        return await serve_copy(request, settings, storage, copy, f"{photo_id}-{variant}")


async def _answer(
    request: Request[Any, Any, Any], db: AsyncSession, tracked: citizen.Tracked, lang: str
) -> ReportOut:
    """The answer to a report or a follow: everything the PWA needs to track and subscribe."""
    case, token = tracked.case, tracked.tracking_token
    agency = await citizen.agency(db, case)
    word, text = _status(case.status, lang)
    return ReportOut(
        reference=case.reference,
        tracking_token=token,
        pin=tracking_pin(_pin_key(request), token_digest(token)),
        tracking_url=citizen.tracking_path(case.reference),
        photos_url=f"/api/public/cases/{case.reference}/photos",
        status=word,
        status_text=text,
        agency=(agency.name_en if lang == "en" else agency.name_id) if agency else "",
        expected_resolution=case.resolve_by,
        created_at=case.created_at,
        push=PushInfo(
            public_key=request.app.state.vapid_public_key,
            subscribe_url="/api/push/subscriptions",
        ),
    )
