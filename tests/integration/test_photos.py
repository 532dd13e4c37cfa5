"""Photo evidence end to end, on both storage backends (a local folder, and S3 over HTTP).

Every test here runs twice through the ``storage_backend`` fixture. Photos are made with Pillow in
the tests; what the API stored is checked by reading the bytes back (through the API, the
presigned URL, or the storage itself) and the rows in PostGIS.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import Storage, make_storage
from api.config import Settings
from api.db.models import Case, CaseEvent, Photo, Team, team_members
from api.db.session import make_engine, make_sessionmaker
from api.services.photo_check import sweep_orphans
from api.services.photos import PhotoFile, store_photos, team_photo_count
from tests.conftest import login
from tests.factories import category_by_code, make_case, user_by_name
from tests.support import images
from tests.support.s3_server import StorageBackend, s3_server, storage_backend  # noqa: F401

Client = AsyncTestClient[Litestar]
STAFF_WHO_SEE_DLHK_CASES = [
    "admin",
    "supervisor",
    "operator",
    "dispatcher",
    "koordinator.dlhk",
    "petugas.dlhk",
    "petugas2.dlhk",
]


@pytest_asyncio.fixture
async def api(
    make_app: Callable[..., Litestar],
    storage_backend: StorageBackend,  # noqa: F811
) -> AsyncIterator[Client]:
    async with AsyncTestClient(
        app=make_app(**storage_backend.overrides), base_url="http://127.0.0.1"
    ) as c:
        yield c


def storage_of(client: Client) -> Storage:
    return client.app.state.storage  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def case(db: AsyncSession) -> Case:
    """A DLHK case (illegal dumping) worked on scene by team "TRC DLHK 1" (petugas.dlhk)."""
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    c = await make_case(
        db, category=await category_by_code(db, "SAMPAH_LIAR"), team=team, status="on_scene"
    )
    await db.commit()
    return c


async def upload(
    client: Client,
    case_id: uuid.UUID,
    headers: dict[str, str] | None,
    *photos: tuple[str, bytes],
    **fields: str,
) -> httpx.Response:
    # Every part claims image/jpeg: the server must judge by content, not by the claim.
    parts: list[tuple[str, Any]] = [("files", (n, data, "image/jpeg")) for n, data in photos]
    parts += [(name, (None, value)) for name, value in fields.items()]
    return await client.post(f"/api/cases/{case_id}/photos", headers=headers or {}, files=parts)


async def fetch(
    client: Client, photo_id: str, variant: str, headers: dict[str, str] | None
) -> tuple[httpx.Response, bytes]:
    """GET a photo copy as a browser would: follow the redirect to S3, or read the stream."""
    r = await client.get(
        f"/api/photos/{photo_id}?variant={variant}", headers=headers or {}, follow_redirects=False
    )
    if r.status_code != 307:
        return r, r.content
    async with httpx.AsyncClient() as http:
        target = await http.get(r.headers["location"])
    assert target.status_code == 200, target.text
    return r, target.content


async def stored(db: AsyncSession, client: Client, case_id: uuid.UUID) -> tuple[int, list[str]]:
    """Photo rows of the case, and every photo object in storage."""
    rows = await db.scalar(select(func.count()).select_from(Photo).where(Photo.case_id == case_id))
    keys = [o.key async for o in storage_of(client).iter_objects("photos/")]
    return int(rows or 0), sorted(keys)


def assert_problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


# ------------------------------------------------------------------ upload + serve
async def test_team_photo_keeps_evidence_private_and_serves_clean_upright_copies(
    api: Client,
    db: AsyncSession,
    case: Case,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    original = images.photo_with_gps((2400, 1800), orientation=6)
    fo = await login(api, "petugas.dlhk")
    r = await upload(api, case.id, fo, ("IMG_0001.jpg", original), caption="Sampah di bahu jalan")
    assert r.status_code == 201, r.text
    [photo] = r.json()["photos"]
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    assert photo["source"] == "team" and photo["team_id"] == team.id
    assert photo["caption"] == "Sampah di bahu jalan" and photo["duplicate"] is False
    assert (photo["width"], photo["height"]) == (1800, 2400)
    assert photo["sha256"] == hashlib.sha256(original).hexdigest()
    assert photo["size_bytes"] == len(original) and photo["content_type"] == "image/jpeg"
    assert photo["taken_at"] == "2025-03-04T02:11:12Z"
    assert photo["location"] == pytest.approx(
        {"lon": images.GPS_LON_DEG, "lat": images.GPS_LAT_DEG}
    )

    # The database has the evidence from EXIF.
    row = await db.get(Photo, uuid.UUID(photo["id"]))
    assert row is not None and row.taken_at == datetime(2025, 3, 4, 2, 11, 12, tzinfo=UTC)
    lon, lat = (
        await db.execute(
            text(
                "SELECT ST_X(exif_location::geometry), ST_Y(exif_location::geometry) "
                "FROM photos WHERE id = :id"
            ),
            {"id": row.id},
        )
    ).one()
    assert (lon, lat) == pytest.approx((images.GPS_LON_DEG, images.GPS_LAT_DEG))

    # The original comes back byte for byte, with its GPS.
    resp, body = await fetch(api, photo["id"], "original", fo)
    assert body == original and images.has_gps(body)
    # The copies: JPEG, upright, within size, with no EXIF, XMP or comment at all.
    for variant, long_side in (("display", 1600), ("thumb", 320)):
        resp, body = await fetch(api, photo["id"], variant, fo)
        assert "private" in resp.headers["cache-control"]
        if storage_backend.name == "s3":
            assert resp.status_code == 307
            assert "X-Amz-Expires=300" in resp.headers["location"]
        else:
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "image/jpeg"
            assert resp.headers["etag"] == f'"{uuid.UUID(photo["id"]).hex}-{variant}"'
            assert "content-encoding" not in resp.headers
        meta = images.metadata_of(body)
        assert meta["exif"] == {} and meta["gps"] == {}
        assert not {"exif", "xmp", "comment"} & set(meta["info"])  # type: ignore[arg-type]
        assert b"TestCam" not in body and b"taken in the field" not in body
        with Image.open(io.BytesIO(body)) as img:
            assert img.format == "JPEG" and img.size == (long_side * 3 // 4, long_side)


async def test_local_copies_answer_if_none_match_with_304(
    api: Client,
    case: Case,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    op = await login(api, "operator")
    photo = (await upload(api, case.id, op, ("a.jpg", images.jpeg()))).json()["photos"][0]
    r = await api.get(
        f"/api/photos/{photo['id']}?variant=thumb", headers=op, follow_redirects=False
    )
    if storage_backend.name == "s3":
        assert r.status_code == 307  # S3 answers conditional requests itself
        return
    r2 = await api.get(
        f"/api/photos/{photo['id']}?variant=thumb",
        headers={**op, "If-None-Match": r.headers["etag"]},
    )
    assert r2.status_code == 304 and r2.content == b""


async def test_who_may_see_which_copy(api: Client, case: Case) -> None:
    op = await login(api, "operator")
    r = await upload(api, case.id, op, ("a.jpg", images.photo_with_gps((800, 600))))
    photo_id = r.json()["photos"][0]["id"]
    for username in STAFF_WHO_SEE_DLHK_CASES:
        headers = await login(api, username)
        for variant in ("thumb", "display", "original"):
            resp, body = await fetch(api, photo_id, variant, headers)
            assert resp.status_code in (200, 307), (username, variant, resp.text)
            assert body[:3] == b"\xff\xd8\xff"
    # Another agency's people cannot see the case, so the photo does not exist for them.
    for username in ("petugas.damkar", "koordinator.damkar"):
        headers = await login(api, username)
        for variant in ("thumb", "display", "original"):
            resp, _ = await fetch(api, photo_id, variant, headers)
            assert_problem(resp, 404, "photo_not_found")
    resp, _ = await fetch(api, photo_id, "thumb", None)
    assert_problem(resp, 401, "not_authenticated")
    resp, _ = await fetch(api, photo_id, "poster", op)
    assert resp.status_code == 400
    resp, _ = await fetch(api, str(uuid.uuid4()), "thumb", op)
    assert_problem(resp, 404, "photo_not_found")


async def test_who_may_upload_and_as_whom(api: Client, db: AsyncSession, case: Case) -> None:
    # Same agency, not in the assigned team: may see the case, may not add photos to it.
    r = await upload(api, case.id, await login(api, "petugas2.dlhk"), ("a.jpg", images.jpeg()))
    assert_problem(r, 403, "photo_upload_forbidden")
    # Another agency: the case does not exist for them.
    r = await upload(api, case.id, await login(api, "petugas.damkar"), ("a.jpg", images.jpeg()))
    assert_problem(r, 404, "case_not_found")
    r = await upload(api, case.id, None, ("a.jpg", images.jpeg()))
    assert_problem(r, 401, "not_authenticated")
    assert await stored(db, api, case.id) == (0, [])
    # The coordinator (not in the team) and the control room add photos as the control room.
    for seed, username in enumerate(["koordinator.dlhk", "operator", "dispatcher", "admin"]):
        r = await upload(
            api, case.id, await login(api, username), ("a.jpg", images.jpeg(seed=seed))
        )
        assert r.status_code == 201, (username, r.text)
        photo = r.json()["photos"][0]
        assert photo["source"] == "control_room" and photo["team_id"] is None, username
    assert await team_photo_count(db, case.id) == 0
    r = await upload(api, case.id, await login(api, "petugas.dlhk"), ("a.jpg", images.jpeg(seed=9)))
    assert r.status_code == 201 and r.json()["photos"][0]["source"] == "team"
    assert await team_photo_count(db, case.id) == 1
    # A coordinator who is in the assigned team adds photos as the team.
    coordinator = await user_by_name(db, "koordinator.dlhk")
    await db.execute(team_members.insert().values(team_id=case.team_id, user_id=coordinator.id))
    await db.commit()
    r = await upload(
        api, case.id, await login(api, "koordinator.dlhk"), ("a.jpg", images.jpeg(seed=10))
    )
    assert r.status_code == 201
    assert (r.json()["photos"][0]["source"], r.json()["photos"][0]["team_id"]) == (
        "team",
        case.team_id,
    )
    assert await team_photo_count(db, case.id) == 2
    assert (await stored(db, api, case.id))[0] == 6


async def test_several_photos_in_one_upload_and_an_event_of_the_case(
    api: Client, db: AsyncSession, case: Case, clock: Any
) -> None:
    other = await make_case(db, category=await category_by_code(db, "SAMPAH_LIAR"))
    mine = CaseEvent(case_id=case.id, kind="on_scene", at=clock.now, note="", data={})
    theirs = CaseEvent(case_id=other.id, kind="created", at=clock.now, note="", data={})
    db.add_all([mine, theirs])
    await db.commit()
    fo = await login(api, "petugas.dlhk")
    r = await upload(api, case.id, fo, ("a.jpg", images.jpeg()), event_id=str(theirs.id))
    assert_problem(r, 422, "event_not_in_case")
    r = await upload(api, case.id, fo, ("a.jpg", images.jpeg()), event_id="not a number")
    assert_problem(r, 422, "event_not_in_case")
    assert await stored(db, api, case.id) == (0, [])
    r = await upload(
        api,
        case.id,
        fo,
        ("a.jpg", images.jpeg()),
        ("b.png", images.png()),
        ("c.webp", images.webp()),
        ("d.heic", images.heic()),
        event_id=str(mine.id),
    )
    assert r.status_code == 201, r.text
    photos = r.json()["photos"]
    assert [p["content_type"] for p in photos] == [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
    ]
    assert {p["event_id"] for p in photos} == {mine.id}
    rows, keys = await stored(db, api, case.id)
    assert rows == 4 and len(keys) == 12
    assert {k.rsplit("/", 1)[-1] for k in keys} == {
        "original.jpg",
        "original.png",
        "original.webp",
        "original.heic",
        "display.jpg",
        "thumb.jpg",
    }


# ---------------------------------------------------------------------- refusals
def _php() -> list[tuple[str, bytes]]:
    return [("shell.jpg", b"<?php system($_GET['cmd']); ?>\n")]


REFUSED: dict[str, tuple[Callable[[], list[tuple[str, bytes]]], int, str]] = {
    "a 50-megapixel bomb": (
        lambda: [("bomb.png", images.bomb_png())],
        422,
        "photo_too_many_pixels",
    ),
    "a truncated JPEG": (
        lambda: [("cut.jpg", images.truncated(images.jpeg((1200, 900))))],
        422,
        "photo_corrupt",
    ),
    "a PHP file named .jpg": (_php, 415, "photo_type_unsupported"),
    "HTML named .jpg": (
        lambda: [("page.jpg", b"<!doctype html><script>alert(1)</script>")],
        415,
        "photo_type_unsupported",
    ),
    "a GIF named .jpg": (
        lambda: [("anim.jpg", b"GIF89a" + b"\x00" * 64)],
        415,
        "photo_type_unsupported",
    ),
    "a JPEG with PHP after its end": (
        lambda: [("poly.jpg", images.jpeg() + b"<?php system($_GET['cmd']); ?>")],
        422,
        "photo_trailing_data",
    ),
    "a JPEG with a script in its comment": (
        lambda: [("poly.jpg", images.jpeg(comment=b"<script>alert(document.cookie)</script>"))],
        422,
        "photo_active_content",
    ),
    "an 11 MB photo": (
        lambda: [("big.png", images.noise_png(11 * 1024 * 1024))],
        413,
        "photo_too_large",
    ),
    "9 photos": (
        lambda: [(f"{i}.jpg", images.jpeg((64, 64), seed=i)) for i in range(9)],
        413,
        "too_many_photos",
    ),
    "a good photo with a bad one": (
        lambda: [("ok.jpg", images.jpeg()), *_php()],
        415,
        "photo_type_unsupported",
    ),
    "no photo at all": (lambda: [], 400, "photo_missing"),
}


@pytest.mark.parametrize("what", list(REFUSED))
async def test_refused_uploads_store_nothing(
    api: Client, db: AsyncSession, case: Case, what: str
) -> None:
    make, status, code = REFUSED[what]
    fo = await login(api, "petugas.dlhk")
    r = await upload(api, case.id, fo, *make(), caption="x")
    assert_problem(r, status, code)
    assert await stored(db, api, case.id) == (0, [])


async def test_uploads_must_be_multipart_with_known_fields(
    api: Client, db: AsyncSession, case: Case
) -> None:
    fo = await login(api, "petugas.dlhk")
    r = await api.post(f"/api/cases/{case.id}/photos", headers=fo, json={"files": []})
    assert_problem(r, 415, "multipart_required")
    r = await api.post(
        f"/api/cases/{case.id}/photos",
        headers=fo,
        files=[("avatar", ("a.jpg", images.jpeg(), "image/jpeg"))],
    )
    assert_problem(r, 400, "upload_field_unknown")
    r = await upload(api, case.id, fo, ("a.jpg", images.jpeg()), caption="x" * 1001)
    assert_problem(r, 400, "upload_field_too_long")
    r = await api.post(
        f"/api/cases/{case.id}/photos",
        headers={**fo, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a"\r\n\r\n',
    )
    assert_problem(r, 400, "multipart_invalid")
    assert await stored(db, api, case.id) == (0, [])


# ------------------------------------------------------------------ consistency
async def test_storage_outage_is_a_retryable_503_and_leaves_no_row(
    make_app: Callable[..., Litestar],
    storage_backend: StorageBackend,  # noqa: F811
    data_dir: Path,
    db: AsyncSession,
    case: Case,
) -> None:
    app = make_app(**storage_backend.outage(data_dir))
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as down:
        fo = await login(down, "petugas.dlhk")
        r = await upload(down, case.id, fo, ("a.jpg", images.jpeg()), ("b.jpg", images.png()))
        assert_problem(r, 503, "storage_unavailable")
        assert int(r.headers["retry-after"]) > 0
    rows = await db.scalar(select(func.count()).select_from(Photo))
    assert rows == 0
    if storage_backend.name == "local":
        # The disk comes back: the same upload now succeeds.
        (data_dir / "photos").unlink()
        async with AsyncTestClient(app=make_app(), base_url="http://127.0.0.1") as up:
            r = await upload(up, case.id, await login(up, "petugas.dlhk"), ("a.jpg", images.jpeg()))
            assert r.status_code == 201, r.text


async def test_identical_reupload_is_answered_with_the_existing_photo(
    api: Client, db: AsyncSession, case: Case
) -> None:
    data = images.photo_with_gps((1000, 750))
    fo = await login(api, "petugas.dlhk")
    first = await upload(api, case.id, fo, ("a.jpg", data))
    assert first.status_code == 201
    again = await upload(api, case.id, fo, ("same-again.jpg", data))
    assert again.status_code == 200, again.text
    [photo] = again.json()["photos"]
    assert photo["id"] == first.json()["photos"][0]["id"] and photo["duplicate"] is True
    assert photo["location"] is not None and photo["taken_at"] is not None
    # Twice in one upload: stored once.
    r = await upload(api, case.id, fo, ("x.jpg", data), ("y.jpg", data), ("z.jpg", images.jpeg()))
    assert r.status_code == 201
    assert [p["duplicate"] for p in r.json()["photos"]] == [True, False]
    rows, keys = await stored(db, api, case.id)
    assert rows == 2 and len(keys) == 6
    # The same photo on another case is that case's evidence too.
    other = await make_case(db, category=await category_by_code(db, "SAMPAH_LIAR"))
    await db.commit()
    r = await upload(api, other.id, await login(api, "operator"), ("a.jpg", data))
    assert r.status_code == 201 and r.json()["photos"][0]["duplicate"] is False


async def test_objects_are_removed_when_the_database_refuses_the_row(
    db: AsyncSession,
    case: Case,
    clock: Any,
    database_url: str,
    settings: Settings,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    """Another writer stores the same photo first: our insert waits on the unique index, then
    fails after our objects were written. They are removed; the answer is the winner's photo.

    Run on the service: the test client serialises requests, so a request cannot be caught
    half-way through it.
    """
    settings = settings.with_(**storage_backend.overrides)
    storage = make_storage(settings)
    data = images.jpeg(seed=11)
    src = Path(settings.data_dir) / "upload.jpg"
    src.write_bytes(data)
    rival = Photo(
        id=uuid.uuid4(),
        case_id=case.id,
        source="control_room",
        caption="",
        content_type="image/jpeg",
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        width=800,
        height=600,
        original_key="photos/rival/x/original.jpg",
        display_key="photos/rival/x/display.jpg",
        thumb_key="photos/rival/x/thumb.jpg",
        public=True,
        created_at=clock.now,
    )
    db.add(rival)
    await db.flush()  # uncommitted: holds the (case, sha256) unique entry
    engine = make_engine(database_url, 1, 0)
    try:
        async with make_sessionmaker(engine)() as ours:
            task = asyncio.create_task(
                store_photos(
                    ours,
                    storage,
                    settings,
                    case_id=case.id,
                    files=[PhotoFile(src)],
                    source="control_room",
                    now=clock.now,
                )
            )
            deadline = time.monotonic() + 20
            while not task.done():
                # Statistics views are snapshotted per transaction: take a fresh look each time.
                await db.execute(text("SELECT pg_stat_clear_snapshot()"))
                waiting = await db.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                if waiting:
                    break
                assert time.monotonic() < deadline, "the insert never had to wait"
                await asyncio.sleep(0.02)
            assert not task.done()
            # Blocked on the insert, with its three objects already written.
            assert len([o async for o in storage.iter_objects("photos/")]) == 3
            await db.commit()  # the rival wins; our insert fails with a unique violation
            result = await task
            await ours.commit()
    finally:
        await engine.dispose()
    [photo] = result.photos
    assert photo.photo.id == rival.id and photo.created is False
    assert [o.key async for o in storage.iter_objects("photos/")] == []
    assert await db.scalar(select(func.count()).select_from(Photo)) == 1


# --------------------------------------------------------------------- deleting
async def test_only_admins_delete_and_deleting_is_soft(
    api: Client, db: AsyncSession, case: Case, clock: Any
) -> None:
    fo = await login(api, "petugas.dlhk")
    photo = (await upload(api, case.id, fo, ("a.jpg", images.jpeg()))).json()["photos"][0]
    assert await team_photo_count(db, case.id) == 1
    for username in ("operator", "supervisor", "koordinator.dlhk", "petugas.dlhk"):
        r = await api.delete(f"/api/photos/{photo['id']}", headers=await login(api, username))
        assert_problem(r, 403, "forbidden")
    admin = await login(api, "admin")
    r = await api.delete(f"/api/photos/{photo['id']}", headers=admin)
    assert r.status_code == 204, r.text
    row = await db.get(Photo, uuid.UUID(photo["id"]))
    assert row is not None
    await db.refresh(row)
    assert row.deleted_at == clock.now and row.deleted_by_id is not None
    assert await team_photo_count(db, case.id) == 0
    resp, _ = await fetch(api, photo["id"], "thumb", fo)
    assert_problem(resp, 404, "photo_not_found")
    assert_problem(
        await api.delete(f"/api/photos/{photo['id']}", headers=admin), 404, "photo_not_found"
    )
    # The evidence stays in storage; uploading it again makes a new photo.
    assert len((await stored(db, api, case.id))[1]) == 3
    r = await upload(api, case.id, fo, ("a.jpg", images.jpeg()))
    assert r.status_code == 201 and r.json()["photos"][0]["id"] != photo["id"]
    assert await team_photo_count(db, case.id) == 1


# --------------------------------------------------------------------- sweeping
async def test_sweep_deletes_old_orphans_and_nothing_a_row_names(
    api: Client, db: AsyncSession, case: Case
) -> None:
    admin = await login(api, "admin")
    kept = (await upload(api, case.id, admin, ("a.jpg", images.jpeg()))).json()["photos"][0]
    deleted = (await upload(api, case.id, admin, ("b.jpg", images.jpeg(seed=2)))).json()
    await api.delete(f"/api/photos/{deleted['photos'][0]['id']}", headers=admin)
    storage = storage_of(api)
    orphan = f"photos/{case.id}/{uuid.uuid4()}/original.jpg"
    await storage.put_bytes(orphan, b"left by a crash", "image/jpeg")
    await storage.put_bytes("photos/stray.bin", b"?", "application/octet-stream")
    before = (await stored(db, api, case.id))[1]
    assert len(before) == 8

    now = datetime.now(UTC)
    young = await sweep_orphans(db, storage, older_than=timedelta(minutes=60), now=now)
    assert (young.scanned, young.orphans, young.deleted) == (8, 2, 0)
    later = now + timedelta(hours=2)
    dry = await sweep_orphans(
        db, storage, older_than=timedelta(minutes=60), now=later, dry_run=True
    )
    assert dry.deleted == 2 and (await stored(db, api, case.id))[1] == before
    report = await sweep_orphans(db, storage, older_than=timedelta(minutes=60), now=later)
    assert report.deleted == 2
    after = (await stored(db, api, case.id))[1]
    assert orphan not in after and "photos/stray.bin" not in after and len(after) == 6
    for variant in ("thumb", "display", "original"):
        resp, _ = await fetch(api, kept["id"], variant, admin)
        assert resp.status_code in (200, 307)


async def test_sweep_command(
    api: Client,
    db: AsyncSession,
    case: Case,
    database_url: str,
    data_dir: Path,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    from api.cli import main

    r = await upload(api, case.id, await login(api, "operator"), ("a.jpg", images.jpeg()))
    assert r.status_code == 201
    storage = storage_of(api)
    await storage.put_bytes(f"photos/{case.id}/{uuid.uuid4()}/thumb.jpg", b"x", "image/jpeg")
    env = {"TANGGAP_DATABASE_URL": database_url, "TANGGAP_DATA_DIR": str(data_dir)}
    for name, value in storage_backend.overrides.items():
        env[f"TANGGAP_{name.upper()}"] = str(int(value) if isinstance(value, bool) else value)
    runner = CliRunner()
    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(
        runner.invoke, main, ["photos", "sweep", "--older-than", "0"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "deleted 1" in result.output
    assert len((await stored(db, api, case.id))[1]) == 3
    assert os.environ.get("TANGGAP_DATABASE_URL") != database_url
