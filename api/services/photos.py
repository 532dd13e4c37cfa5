"""Photo evidence use cases: adding photos to a case, serving their copies, deleting.

One upload use case serves staff and citizens (:func:`upload`); who uploads and the rules their
upload follows (source, caption rule, event, cap) come in an :class:`Uploader`.

Consistency between the database and object storage, in one direction only: a photo row never
points at a missing object. Objects are written first and the row after; if storage fails, no row
is written (503, retry); if the database fails after the objects were written, they are removed
at once, and whatever a crash still leaves behind is deleted by
:func:`api.services.photo_check.sweep_orphans` (``tanggap photos sweep``), which removes objects
that no row names once they are old enough, and reports rows whose objects are missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters import imaging
from api.adapters.storage import Storage, StorageError
from api.adapters.uploads import receive_upload
from api.auth import Principal
from api.config import Settings
from api.db import photos as db_photos
from api.db.models import Case, Photo
from api.db.photos import photo_locations
from api.db.session import release_connection
from api.domain.photos import (
    COPY_CONTENT_TYPE,
    COPY_EXTENSION,
    EXTENSIONS,
    PhotoLimits,
    PhotoRejected,
    Source,
    Variant,
    etag,
    may_view,
    object_key,
    upload_source,
)
from api.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unavailable,
    Unprocessable,
)
from api.services.access import visible_case

log = logging.getLogger("tanggap.photos")

# How soon a client should retry after a storage outage.
STORAGE_RETRY_AFTER = 10
_STATUS = {
    "too_many_photos": 413,
    "photo_too_large": 413,
    "body_too_large": 413,
    "photo_type_unsupported": 415,
    "multipart_required": 415,
    "multipart_invalid": 400,
    "upload_field_unknown": 400,
    "upload_field_too_long": 400,
}


def limits_of(settings: Settings) -> PhotoLimits:
    return PhotoLimits(
        settings.photo_max_bytes, settings.photo_max_files, settings.photo_max_pixels
    )


def rejection(exc: PhotoRejected) -> AppError:
    """The problem-details error for a broken photo rule (4xx; 422 unless more specific)."""
    return AppError(exc.code, _STATUS.get(exc.code, 422), **exc.params)


def storage_unavailable() -> Unavailable:
    return Unavailable("storage_unavailable", retry_after=STORAGE_RETRY_AFTER)


# ------------------------------------------------------------------ reading
async def team_photo_count(db: AsyncSession, case_id: uuid.UUID) -> int:
    """Photos the team uploaded to this case and nobody deleted (the resolve rule counts them)."""
    return await db_photos.photo_count(db, case_id, "team")


# ------------------------------------------------------------------ adding
MAX_CAPTION = 1000


def staff_caption(raw: str) -> str:
    """A staff caption: stripped, at most :data:`MAX_CAPTION` characters."""
    caption = raw.strip()
    if len(caption) > MAX_CAPTION:
        raise BadRequest("upload_field_too_long", field="caption")
    return caption


@dataclass(frozen=True)
class Uploader:
    """Who adds photos to which case, as whom, and the rules their upload follows."""

    case: Case
    source: Source
    team_id: int | None = None
    uploaded_by_id: int | None = None
    # The caption's check: the staff rule, or the citizens' text rule (api.domain.abuse).
    caption: Callable[[str], str] = staff_caption
    # Staff may tie the photos to an event of the case; a citizen's ``event_id`` is ignored.
    with_event: bool = True
    # Citizens' photos already on the case when their number is capped (photo_max_files in
    # all); None for staff, who have no such cap.
    citizen_photos: int | None = None


async def upload_right(db: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Uploader:
    """404 for a case the user cannot see, 403 for one they see but may not add photos to."""
    case = await visible_case(db, principal, case_id)
    in_team = False
    if case.team_id is not None and principal.role in {"field_officer", "coordinator"}:
        in_team = await db_photos.in_team(db, case.team_id, principal.user_id)
    source = upload_source(principal.role, in_team=in_team)
    if source is None:
        raise Forbidden("photo_upload_forbidden")
    return Uploader(
        case, source, case.team_id if source == "team" else None, uploaded_by_id=principal.user_id
    )


@dataclass(frozen=True)
class PhotoFile:
    """A photo waiting on disk to be stored. The hash is computed if not given."""

    path: Path
    sha256: str | None = None


@dataclass(frozen=True)
class StoredPhoto:
    photo: Photo
    created: bool  # False: an identical photo was already on the case; this is that one
    location: tuple[float, float] | None  # (lon, lat) from EXIF


@dataclass
class StoreResult:
    photos: list[StoredPhoto] = field(default_factory=list)
    # Objects this call wrote: if the caller's commit fails, pass them to :func:`discard`.
    written_keys: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return any(p.created for p in self.photos)


class _DuplicateRace(Exception):
    """Another request stored the same photo on the same case between our check and insert."""


async def store_photos(
    db: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    case_id: uuid.UUID,
    files: Sequence[PhotoFile],
    source: Source,
    now: datetime,
    uploaded_by_id: int | None = None,
    team_id: int | None = None,
    event_id: int | None = None,
    caption: str = "",
) -> StoreResult:
    """Check, copy and store photos for a case, and add their rows (flushed, not committed).

    All or nothing: every file is validated (by content) before anything is stored, and a
    rejected file refuses the whole call (4xx, nothing stored). An identical photo already on
    the case (same SHA-256, not deleted) is not stored again: the answer is the existing one.
    A storage outage raises a 503 ``storage_unavailable`` with no row written. The caller
    commits; if that commit fails, it calls :func:`discard` with ``written_keys`` (the sweep
    is the safety net). The citizen report route calls this with ``source="citizen"``.
    """
    limits = limits_of(settings)
    if not files:
        raise BadRequest("photo_missing")
    try:
        limits.check_count(len(files))
        for f in files:
            limits.check_size(f.path.stat().st_size)
    except PhotoRejected as exc:
        raise rejection(exc) from None
    hashed: list[tuple[Path, str]] = []
    for f in files:
        hashed.append((f.path, f.sha256 if f.sha256 else await asyncio.to_thread(_sha256, f.path)))
    unique: dict[str, Path] = {}
    for path, sha in hashed:
        unique.setdefault(sha, path)
    with tempfile.TemporaryDirectory(prefix="tanggap-photos-") as tmp:
        # Every file is checked and copied (CPU, in the imaging pool) before the first database
        # statement: no transaction waits on the decoding (docs/security.md, "Limits").
        prepared: dict[str, tuple[Path, imaging.PreparedPhoto]] = {}
        for sha, path in unique.items():
            try:
                prepared[sha] = (path, await imaging.prepare(path, limits, settings.tz, Path(tmp)))
            except PhotoRejected as exc:
                raise rejection(exc) from None
        for attempt in (1, 2):
            try:
                return await _store_once(
                    db,
                    storage,
                    prepared,
                    case_id=case_id,
                    source=source,
                    now=now,
                    uploaded_by_id=uploaded_by_id,
                    team_id=team_id,
                    event_id=event_id,
                    caption=caption,
                )
            except _DuplicateRace:
                if attempt == 2:
                    raise Conflict() from None
    raise AssertionError("unreachable")


async def _store_once(
    db: AsyncSession,
    storage: Storage,
    prepared: dict[str, tuple[Path, imaging.PreparedPhoto]],
    *,
    case_id: uuid.UUID,
    source: Source,
    now: datetime,
    uploaded_by_id: int | None,
    team_id: int | None,
    event_id: int | None,
    caption: str,
) -> StoreResult:
    existing = await db_photos.existing_by_hash(db, case_id, prepared)
    result = StoreResult()
    new_rows: dict[str, tuple[Photo, tuple[float, float] | None]] = {}
    try:
        for sha, (path, p) in prepared.items():
            if sha in existing:
                continue
            photo_id = uuid.uuid4()
            keys = {
                "original": object_key(case_id, photo_id, "original", EXTENSIONS[p.kind]),
                "display": object_key(case_id, photo_id, "display", COPY_EXTENSION),
                "thumb": object_key(case_id, photo_id, "thumb", COPY_EXTENSION),
            }
            for variant, source_path, content_type in (
                ("original", path, p.content_type),
                ("display", p.display_path, COPY_CONTENT_TYPE),
                ("thumb", p.thumb_path, COPY_CONTENT_TYPE),
            ):
                # Recorded before the write: a write that fails half-way is removed too.
                result.written_keys.append(keys[variant])
                await storage.put_file(keys[variant], source_path, content_type)
            row = Photo(
                id=photo_id,
                case_id=case_id,
                event_id=event_id,
                uploaded_by_id=uploaded_by_id,
                source=source,
                team_id=team_id,
                caption=caption,
                content_type=p.content_type,
                sha256=sha,
                size_bytes=path.stat().st_size,
                width=p.width,
                height=p.height,
                original_key=keys["original"],
                display_key=keys["display"],
                thumb_key=keys["thumb"],
                taken_at=p.taken_at,
                exif_location=(
                    f"SRID=4326;POINT({p.location[0]} {p.location[1]})" if p.location else None
                ),
                public=True,
                created_at=now,
            )
            new_rows[sha] = (row, p.location)
    except StorageError:
        await discard(storage, result.written_keys)
        raise storage_unavailable() from None
    except BaseException:
        await discard(storage, result.written_keys)
        raise
    # A savepoint, so a lost race on the unique index leaves the caller's transaction usable.
    savepoint = await db.begin_nested()
    try:
        db.add_all([row for row, _ in new_rows.values()])
        await db.flush()
    except BaseException as exc:
        # The connection may have gone with the error (timeout, outage): the original error is
        # what matters, not a failed rollback.
        with contextlib.suppress(Exception):
            await savepoint.rollback()
        await discard(storage, result.written_keys)
        if isinstance(exc, IntegrityError) and "uq_photos_case_id_sha256" in str(exc.orig):
            raise _DuplicateRace() from exc
        raise
    await savepoint.commit()
    known = await photo_locations(db, [p.id for p in existing.values()])
    for sha in prepared:
        if sha in new_rows:
            row, location = new_rows[sha]
            result.photos.append(StoredPhoto(row, True, location))
        else:
            old = existing[sha]
            result.photos.append(StoredPhoto(old, False, known.get(old.id)))
    return result


async def discard(storage: Storage, keys: Iterable[str]) -> None:
    """Remove objects no row will point to. If storage is down too, the sweep removes them."""
    keys = list(keys)
    if not keys:
        return
    try:
        await storage.remove(keys)
    except StorageError:
        log.warning("could not remove %d orphaned photo objects; the sweep will", len(keys))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


async def check_event(db: AsyncSession, case_id: uuid.UUID, raw: str | None) -> int | None:
    """The timeline event a photo belongs to: it must be an event of this case."""
    if raw is None or not raw.strip():
        return None
    try:
        event_id = int(raw)
    except ValueError:
        raise Unprocessable("event_not_in_case") from None
    if not await db_photos.event_in_case(db, event_id, case_id):
        raise Unprocessable("event_not_in_case")
    return event_id


async def upload(
    db: AsyncSession,
    storage: Storage,
    settings: Settings,
    uploader: Uploader,
    *,
    body: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
    now: datetime,
) -> StoreResult:
    """The upload use case, for staff and citizens alike: read the multipart body off the
    stream, check it under the uploader's rules, store its photos, commit (once, at the end)."""
    # Nothing is written yet: no pooled connection is held while a slow phone sends megabytes.
    await release_connection(db)
    with tempfile.TemporaryDirectory(prefix="tanggap-upload-") as tmp:
        try:
            received = await receive_upload(
                body, content_type, content_length, limits_of(settings), Path(tmp)
            )
        except PhotoRejected as exc:
            raise rejection(exc) from None
        caption = uploader.caption(received.fields.get("caption", ""))
        already = uploader.citizen_photos
        if (
            already is not None
            and received.files
            and (already + len(received.files) > settings.photo_max_files)
        ):
            raise Unprocessable("too_many_citizen_photos", max=settings.photo_max_files)
        event_id = None
        if uploader.with_event:
            event_id = await check_event(db, uploader.case.id, received.fields.get("event_id"))
        # ... nor while the photos decode.
        await release_connection(db)
        result = await store_photos(
            db,
            storage,
            settings,
            case_id=uploader.case.id,
            files=[PhotoFile(f.path, f.sha256) for f in received.files],
            source=uploader.source,
            team_id=uploader.team_id,
            uploaded_by_id=uploader.uploaded_by_id,
            event_id=event_id,
            caption=caption,
            now=now,
        )
    try:
        await db.commit()
    except BaseException:
        await discard(storage, result.written_keys)
        raise
    return result


# ------------------------------------------------------------------ serving
@dataclass(frozen=True)
class PhotoCopy:
    photo: Photo
    variant: Variant
    key: str
    content_type: str
    etag: str


async def _visible_photo(
    db: AsyncSession, principal: Principal, photo_id: uuid.UUID, *, for_update: bool = False
) -> Photo:
    """The photo, if this user may see its case; 404 otherwise."""
    photo = await db_photos.photo(db, photo_id, for_update=for_update)
    if photo is None:
        raise NotFound("photo_not_found")
    try:
        await visible_case(db, principal, photo.case_id)
    except NotFound:
        raise NotFound("photo_not_found") from None
    return photo


async def photo_copy(
    db: AsyncSession, principal: Principal, photo_id: uuid.UUID, variant: Variant
) -> PhotoCopy:
    """One copy of a photo, if this user may see it: 404 when they may not see the case."""
    photo = await _visible_photo(db, principal, photo_id)
    if not may_view(principal.role, variant):
        raise Forbidden("photo_original_forbidden")
    if variant == "original":
        key, content_type = photo.original_key, photo.content_type
    elif variant == "display":
        key, content_type = photo.display_key, COPY_CONTENT_TYPE
    else:
        key, content_type = photo.thumb_key, COPY_CONTENT_TYPE
    return PhotoCopy(photo, variant, key, content_type, etag(photo.id, variant))


async def publish_photo(
    db: AsyncSession, principal: Principal, photo_id: uuid.UUID, published: bool, now: datetime
) -> Photo:
    """Staff publish a team or control-room photo to the public (or withdraw it)."""
    photo = await _visible_photo(db, principal, photo_id, for_update=True)
    if published and photo.published_at is None:
        photo.published_at = now
    elif not published:
        photo.published_at = None
    await db.flush()
    return photo


# ------------------------------------------------------------------ deleting
async def delete_photo(
    db: AsyncSession, photo_id: uuid.UUID, *, by_user_id: int, now: datetime
) -> None:
    """Soft delete: the row and the objects stay (evidence); the photo stops counting and
    stops being served."""
    photo = await db_photos.photo(db, photo_id, for_update=True)
    if photo is None:
        raise NotFound("photo_not_found")
    photo.deleted_at = now
    photo.deleted_by_id = by_user_id
    await db.flush()
