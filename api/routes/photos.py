"""Photo evidence over HTTP: upload to a case, fetch a copy, delete (admin).

Uploads are read straight off the request stream (see :mod:`api.adapters.uploads`), so the
handler takes the raw request rather than a parsed ``MultipartBody``; the OpenAPI request body is
declared by hand below.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, Protocol

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.enums import MediaType
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from api.adapters.storage import ObjectMissing, Storage, StorageError
from api.auth import requires_login, requires_roles
from api.config import Settings
from api.domain.photos import etag_matches, may_view
from api.errors import NotFound
from api.routes.deps import Cfg, CurrentUser, Db, Now, Store, upload_slot
from api.services import photos as service

# Who may show a team photo to the public.
PUBLISH_ROLES = ("operator", "dispatcher", "coordinator", "supervisor", "admin")


class GeoPoint(msgspec.Struct):
    lon: float
    lat: float


class PhotoUrls(msgspec.Struct):
    thumb: str
    display: str
    original: str | None  # only for those who may fetch the original


class PhotoOut(msgspec.Struct):
    id: uuid.UUID
    case_id: uuid.UUID
    event_id: int | None
    source: str
    team_id: int | None
    uploaded_by_id: int | None
    caption: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    # Evidence from the original's EXIF: only for those who may fetch the original.
    taken_at: datetime | None
    location: GeoPoint | None
    created_at: datetime
    # True when this upload matched a photo already on the case (nothing new was stored).
    duplicate: bool
    urls: PhotoUrls


class PhotoUploadOut(msgspec.Struct):
    photos: list[PhotoOut]


def photo_out(stored: service.StoredPhoto, role: str) -> PhotoOut:
    p = stored.photo
    evidence = may_view(role, "original")
    base = f"/api/photos/{p.id}"
    return PhotoOut(
        id=p.id,
        case_id=p.case_id,
        event_id=p.event_id,
        source=p.source,
        team_id=p.team_id,
        uploaded_by_id=p.uploaded_by_id,
        caption=p.caption,
        content_type=p.content_type,
        size_bytes=p.size_bytes,
        width=p.width,
        height=p.height,
        sha256=p.sha256,
        taken_at=p.taken_at if evidence else None,
        location=GeoPoint(*stored.location) if evidence and stored.location else None,
        created_at=p.created_at,
        duplicate=not stored.created,
        urls=PhotoUrls(
            thumb=f"{base}?variant=thumb",
            display=f"{base}?variant=display",
            original=f"{base}?variant=original" if evidence else None,
        ),
    )


@dataclass
class UploadOperation(Operation):
    """OpenAPI for a photo upload (staff here, citizens in ``api/routes/public.py``): a
    multipart body the handler reads as a stream. A subclass changes the class variables."""

    body_text: ClassVar[str] = (
        "One or several photos (JPEG, PNG, WebP or HEIC), checked by content."
    )
    with_event: ClassVar[bool] = True  # the optional ``event_id`` field

    def __post_init__(self) -> None:
        fields: dict[str, Schema | Reference] = {
            "files": Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
            ),
            "caption": Schema(type=OpenAPIType.STRING, max_length=service.MAX_CAPTION),
        }
        if self.with_event:
            fields["event_id"] = Schema(type=OpenAPIType.INTEGER)
        self.request_body = RequestBody(
            required=True,
            description=self.body_text,
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, required=["files"], properties=fields)
                )
            },
        )


async def receive_photos(
    request: Request[Any, Any, Any],
    db: Db,
    settings: Settings,
    storage: Storage,
    now: datetime,
    uploader: Callable[[], Awaitable[service.Uploader]],
) -> tuple[list[service.StoredPhoto], int]:
    """The request's multipart body through the one upload use case, for the staff and the
    citizens' upload routes: an upload slot is taken first (503 when none is free), then the
    uploader (who, to which case, under which rules) is settled. Answers the photos and the
    status: 201 when something was stored, 200 when every photo was already on the case."""
    length = request.headers.get("content-length")
    async with upload_slot(request):
        result = await service.upload(
            db,
            storage,
            settings,
            await uploader(),
            body=request.stream(),
            content_type=request.headers.get("content-type", ""),
            content_length=int(length) if length and length.isdigit() else None,
            now=now,
        )
    return result.photos, 201 if result.created else 200


class PhotoController(Controller):
    path = "/api"
    tags = ["photos"]
    guards = [requires_login]

    @post(
        "/cases/{case_id:uuid}/photos",
        summary="Add photos to a case",
        description=(
            "Multipart upload of one or several photos (field `files`), with an optional "
            "`caption` and `event_id` (an event of this case). 201 when something was stored, "
            "200 when every photo was already on the case."
        ),
        operation_class=UploadOperation,
        # Bounded by the photo limits instead (files x size), checked as the body streams in.
        request_max_body_size=None,
    )
    async def upload_photos(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentUser,
        settings: Cfg,
        now: Now,
        storage: Store,
        case_id: FromPath[uuid.UUID],
    ) -> Response[PhotoUploadOut]:
        photos, status = await receive_photos(
            request,
            db,
            settings,
            storage,
            now,
            lambda: service.upload_right(db, principal, case_id),
        )
        return Response(
            PhotoUploadOut([photo_out(p, principal.role) for p in photos]), status_code=status
        )

    @get(
        "/photos/{photo_id:uuid}",
        summary="A photo: thumbnail, display copy or (staff) the original",
        description=(
            "Redirects (307) to a short-lived presigned URL when photos are in S3/MinIO, "
            "otherwise streams the bytes. The original keeps its EXIF and is for the control "
            "room and the owning agency only."
        ),
        opt={"skip_compression": True},
    )
    async def get_photo(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentUser,
        settings: Cfg,
        storage: Store,
        photo_id: FromPath[uuid.UUID],
        variant: FromQuery[Literal["thumb", "display", "original"]] = "display",
    ) -> Response[Any]:
        copy = await service.photo_copy(db, principal, photo_id, variant)
        # Private: the copies are evidence of a case, never for shared caches.
        return await serve_copy(
            request, settings, storage, copy, f"{photo_id}-{variant}", vary="Authorization"
        )

    @post(
        "/photos/{photo_id:uuid}/publish",
        summary="Show (or hide again) a team photo on the citizen's tracking page",
        status_code=200,
        guards=[requires_roles(*PUBLISH_ROLES)],
    )
    async def publish_photo(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        photo_id: FromPath[uuid.UUID],
        data: JSONBody[PublishIn],
    ) -> PublishedOut:
        """A staff photo (team or control room) is never public until staff publish it; a
        sensitive case's photos stay private whatever this says (docs/security.md)."""
        photo = await service.publish_photo(db, principal, photo_id, data.published, now)
        return PublishedOut(photo.id, photo.published_at is not None, photo.published_at)

    @delete(
        "/photos/{photo_id:uuid}",
        summary="Delete a photo (soft: kept as evidence, no longer shown or counted)",
        guards=[requires_roles("admin")],
        media_type=MediaType.JSON,
    )
    async def delete_photo(
        self, db: Db, principal: CurrentUser, now: Now, photo_id: FromPath[uuid.UUID]
    ) -> None:
        await service.delete_photo(db, photo_id, by_user_id=principal.user_id, now=now)


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    published: bool = True


class PublishedOut(msgspec.Struct):
    id: uuid.UUID
    published: bool
    published_at: datetime | None


class StoredCopy(Protocol):
    """What serving needs of a copy: the officers' PhotoCopy and the citizens' PublicCopy."""

    @property
    def key(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def etag(self) -> str: ...


async def serve_copy(
    request: Request[Any, Any, Any],
    settings: Settings,
    storage: Storage,
    copy: StoredCopy,
    name: str,
    *,
    vary: str | None = None,
) -> Response[Any]:
    """Answer with a stored copy: a presigned redirect (S3/MinIO), a 304, or the bytes streamed.

    Shared by the officers' photo route and the citizens' public one; cached privately only.
    """
    cache = {"Cache-Control": f"private, max-age={settings.presign_seconds // 2}"}
    if vary:
        cache["Vary"] = vary
    try:
        url = await storage.presigned_url(
            copy.key,
            expires=timedelta(seconds=settings.presign_seconds),
            content_type=copy.content_type,
            cache_control=f"private, max-age={settings.presign_seconds}",
        )
        if url is not None:
            return Response(b"", status_code=307, headers={"Location": url, **cache})
        headers = {"ETag": copy.etag, **cache}
        if etag_matches(request.headers.get("if-none-match"), copy.etag):
            return Response(b"", status_code=304, headers=headers)
        info, chunks = await storage.read(copy.key)
    except ObjectMissing:
        raise NotFound("photo_not_found") from None
    except StorageError:
        raise service.storage_unavailable() from None
    extension = copy.key.rsplit(".", 1)[-1]
    return Stream(
        chunks,
        media_type=copy.content_type,
        headers={
            **headers,
            "Content-Length": str(info.size),
            "Content-Disposition": f'inline; filename="{name}.{extension}"',
        },
    )
