"""A citizen's photos: adding them to their report (the one upload use case of
:mod:`api.services.photos`, under the citizens' rules), and serving the public copies.

The public sees a thumbnail or a display copy (never the original, never EXIF) of a photo that
:func:`api.domain.disclosure.photo_is_public` allows, of a case that is not sensitive, to the
holder of a tracking token of that case or of a signed URL from its tracking page.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import photos as db_photos
from api.db import public as db_public
from api.domain import disclosure
from api.domain.lifecycle import VOID
from api.domain.photos import COPY_CONTENT_TYPE, Variant, etag
from api.errors import Conflict, NotFound, Unauthorized
from api.services.abuse import checked
from api.services.photos import Uploader
from api.services.tracking import Access, belongs, reporter_by_token

# Signed public photo URLs stay valid this long (the tracking page is reloaded far sooner).
PHOTO_URL_TTL = timedelta(hours=6)


async def citizen_uploader(db: AsyncSession, granted: Access) -> Uploader:
    """The citizens' rules for an upload to their case: not to a void case, at most
    ``photo_max_files`` citizen photos per case, the caption under the text rules, no event."""
    case = granted.case
    if case.status in VOID:
        raise Conflict("case_not_followable")
    return Uploader(
        case,
        "citizen",
        caption=lambda raw: checked("caption", raw),
        with_event=False,
        citizen_photos=await db_photos.photo_count(db, case.id, "citizen"),
    )


def photo_signature(secret: str, photo_id: uuid.UUID, variant: str, expires: int) -> str:
    msg = f"public-photo:{photo_id}:{variant}:{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def signed_photo_path(secret: str, photo_id: uuid.UUID, variant: Variant, now: datetime) -> str:
    """A URL for an ``<img>``: it works without the token until it expires."""
    expires = int((now + PHOTO_URL_TTL).timestamp())
    sig = photo_signature(secret, photo_id, variant, expires)
    return f"/api/public/photos/{photo_id}?variant={variant}&expires={expires}&sig={sig}"


@dataclass(frozen=True)
class PublicCopy:
    key: str
    content_type: str
    etag: str


async def public_photo(
    db: AsyncSession,
    secret: str,
    photo_id: uuid.UUID,
    variant: Variant,
    *,
    token: str | None,
    expires: int | None,
    sig: str | None,
    now: datetime,
) -> PublicCopy:
    """A public copy (thumbnail or display, never the original) of a public photo, for the
    holder of a tracking token of its case or of a signed URL from the tracking page."""
    if variant not in ("thumb", "display"):
        raise NotFound("photo_not_found")
    token = (token or "").strip()
    if not token and not (sig and expires):
        raise Unauthorized("tracking_token_required")
    photo = await db_photos.photo(db, photo_id)
    if photo is None:
        raise NotFound("photo_not_found")
    if not disclosure.photo_is_public(photo.source, photo.public, photo.published_at is not None):
        raise NotFound("photo_not_found")
    case = await db_public.case_by_id(db, photo.case_id)
    # A sensitive case has no public photo, not even for its reporter's signed URL.
    if case is None or disclosure.is_sensitive(await db_public.facts_of(db, case)):
        raise NotFound("photo_not_found")
    if token:
        reporter = await reporter_by_token(db, token)
        if reporter is None or reporter.follower or not belongs(reporter, photo.case_id):
            raise NotFound("photo_not_found")
    else:
        assert sig is not None and expires is not None
        good = photo_signature(secret, photo_id, variant, expires)
        if not hmac.compare_digest(good, sig) or expires < now.timestamp():
            raise NotFound("photo_not_found")
    key = photo.display_key if variant == "display" else photo.thumb_key
    return PublicCopy(key, COPY_CONTENT_TYPE, etag(photo.id, variant))
