"""Citizens without an account against a real PostGIS: report, track, follow, rate, dispute.

The privacy test walks every key and value of the public answers: nothing about the reporter,
the officers or the staff's notes, no EXIF, no original photo.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from typing import Any

import asyncpg
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    Case,
    CaseEvent,
    CaseRating,
    CaseReporter,
    Notification,
    Team,
)
from tests.conftest import Clock, login
from tests.factories import field_team, make_user, user_by_name
from tests.support import images, push_fixtures

# The app accepts the local push address of _browser_subscription(), allowed explicitly.
app = push_fixtures.app

Client = AsyncTestClient[Litestar]
# Mandonga, inside Kendari's service area.
HERE = (-3.9665, 122.5085)
REPORTER_NAME = "Siti Pelapor Rahasia"
REPORTER_PHONE = "0812-7777-1234"
REPORTER_E164 = "+6281277771234"


# ----------------------------------------------------------------- helpers
def report_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "KECELAKAAN_LALU_LINTAS",
        "description": "Tabrakan motor di perempatan, satu orang luka",
        "lat": HERE[0],
        "lon": HERE[1],
        "location_source": "gps",
        "accuracy_m": 12,
        "address": "Jl. Sao-Sao",
        "name": REPORTER_NAME,
        "phone": REPORTER_PHONE,
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


async def report(client: Client, **over: Any) -> dict[str, Any]:
    r = await client.post("/api/public/reports", json=report_body(**over))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def tracked(token: str) -> dict[str, str]:
    return {"X-Tracking-Token": token}


async def case_of(db: AsyncSession, reference: str) -> Case:
    db.expire_all()
    return (await db.execute(select(Case).where(Case.reference == reference))).scalar_one()


async def work_to_resolved(
    client: Client, db: AsyncSession, clock: Clock, reference: str, *, note: str = "Sudah beres"
) -> Case:
    """Dispatcher assigns the agency's team; its field officer accepts, goes, arrives, resolves
    (the real API, as staff do)."""
    case = await case_of(db, reference)
    team, username = await field_team(db, case.agency_id)
    disp = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{case.id}/assign",
        headers=disp,
        json={"team_id": team.id, "version": case.version},
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    fo = await login(client, username)
    for action in ("accept", "en_route", "on_scene"):
        clock.advance(minutes=2)
        r = await client.post(
            f"/api/cases/{case.id}/transitions",
            headers=fo,
            json={"action": action, "version": version},
        )
        assert r.status_code == 200, (action, r.text)
        version = r.json()["version"]
    clock.advance(minutes=5)
    r = await client.post(
        f"/api/cases/{case.id}/transitions",
        headers=fo,
        json={"action": "resolve", "version": version, "note": note},
    )
    assert r.status_code == 200, r.text
    return await case_of(db, reference)


def walk(value: Any, path: str = "$") -> list[tuple[str, str, Any]]:
    """Every (path, key, value) in a JSON document, depth first."""
    out: list[tuple[str, str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((f"{path}.{k}", k, v))
            out.extend(walk(v, f"{path}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(walk(v, f"{path}[{i}]"))
    return out


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


# ------------------------------------------------------------------- tests
async def test_citizen_reports_with_a_photo_and_tracks_it_by_token(
    client: Client, db: AsyncSession
) -> None:
    cats = (await client.get("/api/public/categories")).json()
    assert "KECELAKAAN_LALU_LINTAS" in {c["code"] for c in cats}
    made = await report(client)
    ref, token = made["reference"], made["tracking_token"]
    assert ref.startswith("KDI-") and len(token) >= 40 and len(made["pin"]) == 6
    assert made["status"] == "belum_ditindaklanjuti"
    assert made["status_text"] == "Belum ditindaklanjuti"
    assert made["tracking_url"] == f"/lacak/{ref}"
    # What the PWA needs to subscribe this device to the case.
    assert made["push"]["subscribe_url"] == "/api/push/subscriptions"
    assert made["push"]["public_key"]
    assert REPORTER_NAME not in json.dumps(made) and "7777" not in json.dumps(made)
    # The reporter is private, the token is stored only as a hash.
    reporter = (
        await db.execute(
            select(CaseReporter)
            .join(Case, Case.id == CaseReporter.case_id)
            .where(Case.reference == ref)
        )
    ).scalar_one()
    assert reporter.phone == REPORTER_E164 and reporter.channel == "web"
    assert reporter.tracking_token_hash and token not in reporter.tracking_token_hash
    case = await case_of(db, ref)
    assert case.channel == "web"

    # A photo with GPS in its EXIF, through the photo pipeline.
    r = await client.post(
        made["photos_url"],
        headers=tracked(token),
        files=[("files", ("tkp.jpg", images.photo_with_gps(), "image/jpeg"))],
        data={"caption": "foto lokasi"},
    )
    assert r.status_code == 201, r.text
    [uploaded] = r.json()["photos"]

    r = await client.get(f"/api/public/cases/{ref}", headers=tracked(token))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    view = r.json()
    assert view["reference"] == ref and view["status"] == "belum_ditindaklanjuti"
    assert view["agency"] == "Kepolisian Resor Kota Kendari"
    assert [e["kind"] for e in view["timeline"]] == ["created"]
    assert view["timeline"][0]["label"] == "Laporan diterima"
    assert [p["id"] for p in view["photos"]] == [uploaded["id"]]
    assert view["can_rate"] is False and view["can_dispute"] is False
    # In English; a token in the URL is refused (it would sit in logs and history).
    r = await client.get(
        f"/api/public/cases/{ref}", headers={**tracked(token), "Accept-Language": "en"}
    )
    assert r.status_code == 200 and r.json()["status_text"] == "Not yet acted on"
    r = await client.get(f"/api/public/cases/{ref}?token={token}")
    assert r.status_code == 400 and r.json()["code"] == "credentials_in_query"

    # The display copy behind the signed URL has no EXIF at all; the thumbnail by token too.
    photo = view["photos"][0]
    r = await client.get(photo["display_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert not images.has_gps(r.content)
    assert images.metadata_of(r.content)["exif"] == {}
    r = await client.get(f"/api/public/photos/{photo['id']}?variant=thumb", headers=tracked(token))
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as img:
        assert max(img.size) <= 320
    # Never the original.
    r = await client.get(
        f"/api/public/photos/{photo['id']}?variant=original", headers=tracked(token)
    )
    assert r.status_code == 400
    # A tampered or expired signature is a plain 404.
    r = await client.get(photo["display_url"].replace("sig=", "sig=0"))
    assert r.status_code == 404


async def test_a_wrong_token_gets_the_same_404_as_an_unknown_reference(client: Client) -> None:
    mine = await report(client)
    other = await report(client, phone=None, name=None, description="Kecelakaan lain di sini")
    ref = mine["reference"]
    wrong = await client.get(f"/api/public/cases/{ref}", headers=tracked("x" * 43))
    unknown = await client.get("/api/public/cases/KDI-000000-ZZZZ", headers=tracked("x" * 43))
    others = await client.get(f"/api/public/cases/{ref}", headers=tracked(other["tracking_token"]))
    unknown_with_good_token = await client.get(
        "/api/public/cases/KDI-000000-ZZZZ", headers=tracked(mine["tracking_token"])
    )
    bodies = []
    for r in (wrong, unknown, others, unknown_with_good_token):
        body = assert_problem(r, 404, "case_not_found")
        bodies.append({k: v for k, v in body.items() if k not in {"instance", "request_id"}})
        assert set(body) <= {"type", "title", "status", "code", "detail", "instance", "request_id"}
    assert all(b == bodies[0] for b in bodies)
    # No credential at all: told what is missing, before anything is looked up.
    assert_problem(await client.get(f"/api/public/cases/{ref}"), 401, "tracking_token_required")
    # Photos and actions obey the same rule.
    r = await client.post(
        f"/api/public/cases/{ref}/rating", headers=tracked("y" * 43), json={"score": 5}
    )
    assert_problem(r, 404, "case_not_found")


async def test_the_public_answer_holds_no_private_data(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    # Away from where the photos' EXIF says they were taken (GPS_LAT_DEG, GPS_LON_DEG).
    made = await report(client, lat=-3.9902, lon=122.5203, description="Motor terbalik di jalan")
    ref, token = made["reference"], made["tracking_token"]
    r = await client.post(
        made["photos_url"],
        headers=tracked(token),
        files=[("files", ("a.jpg", images.photo_with_gps(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    case = await case_of(db, ref)
    # Staff work the case: private and "public" notes, a team photo with GPS, a resolve note.
    op = await login(client, "operator")
    for note, public in (("CATATAN-INTERNAL-RAHASIA", False), ("CATATAN-PUBLIK-STAF", True)):
        r = await client.post(
            f"/api/cases/{case.id}/notes", headers=op, json={"note": note, "public": public}
        )
        assert r.status_code == 201, r.text
    resolved = await work_to_resolved(client, db, clock, ref, note="CATATAN-SELESAI-RAHASIA")
    fo = await login(client, "petugas.polresta")
    r = await client.post(
        f"/api/cases/{resolved.id}/photos",
        headers=fo,
        files=[("files", ("tim.jpg", images.photo_with_gps(orientation=1), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    # A team photo is public only once staff publish it.
    r = await client.post(
        f"/api/photos/{r.json()['photos'][0]['id']}/publish", headers=op, json={"published": True}
    )
    assert r.status_code == 200 and r.json()["published"] is True, r.text
    officer = await user_by_name(db, "petugas.polresta")
    dispatcher = await user_by_name(db, "dispatcher")
    operator = await user_by_name(db, "operator")
    team = await db.get(Team, resolved.team_id)
    assert team is not None

    r = await client.get(f"/api/public/cases/{ref}", headers=tracked(token))
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "selesai" and view["can_rate"] and view["can_dispute"]
    assert len(view["photos"]) == 2
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds[0] == "created" and "resolved" in kinds and "note" in kinds

    forbidden_keys = {
        "phone", "reporter", "reporters", "reporter_id", "actor_id", "actor_name",
        "actor_kind", "user_id", "team_id", "team", "team_name", "officer", "note", "notes",
        "data", "exif", "exif_location", "taken_at", "location", "original", "original_key",
        "original_url", "display_key", "thumb_key", "sha256", "uploaded_by_id", "caption",
        "call_id", "created_by_id", "priority", "version", "id_card",
    }  # fmt: skip
    forbidden_text = [
        REPORTER_NAME, REPORTER_E164, "7777", officer.full_name, officer.username,
        dispatcher.full_name, operator.full_name, team.name, "CATATAN-INTERNAL-RAHASIA",
        "CATATAN-PUBLIK-STAF", "CATATAN-SELESAI-RAHASIA", "variant=original", "/api/photos/",
        "TestCam",
    ]  # fmt: skip
    staff_ids = {officer.id, dispatcher.id, operator.id, team.id}
    gps = (round(images.GPS_LAT_DEG, 3), round(images.GPS_LON_DEG, 3))
    for where, key, value in walk(view):
        assert key not in forbidden_keys, where
        # The only name in the answer is the category's.
        assert key != "name" or where == "$.category.name", where
        if isinstance(value, str):
            for bad in forbidden_text:
                assert bad not in value, (where, bad)
            # No storage key, and every URL is a public copy behind the public route.
            assert not value.startswith("photos/"), where
            if key.endswith("_url"):
                assert value.startswith("/api/public/photos/"), where
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert round(float(value), 3) not in gps, where
            assert value not in staff_ids or isinstance(value, float), where
    for photo in view["photos"]:
        assert set(photo) == {"id", "source", "created_at", "thumb_url", "display_url"}
        for variant in ("thumb_url", "display_url"):
            r = await client.get(photo[variant])
            assert r.status_code == 200
            assert images.metadata_of(r.content)["exif"] == {}
            assert images.metadata_of(r.content)["gps"] == {}
    # The raw text too (labels of staff notes are generic, never the note).
    raw = (await client.get(f"/api/public/cases/{ref}", headers=tracked(token))).text
    for bad in forbidden_text:
        assert bad not in raw


async def test_too_many_reports_get_429_with_retry_after(
    make_app: Any, clock: Clock, db: AsyncSession
) -> None:
    app = make_app(public_reports_per_ip=2, public_report_window_minutes=60)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        for i in range(2):
            await report(client, phone=None, name=None, description=f"Laporan nomor {i} di sini")
            clock.advance(minutes=10)
        r = await client.post(
            "/api/public/reports",
            json=report_body(phone=None, name=None),
            headers={"Accept-Language": "en"},
        )
        body = assert_problem(r, 429, "report_rate_limited")
        retry = int(r.headers["retry-after"])
        # The first report leaves the 60-minute window 40 minutes from now.
        assert 40 * 60 - 5 <= retry <= 40 * 60
        assert "Too many reports" in body["detail"] and str(retry) in body["detail"]
        r = await client.post("/api/public/reports", json=report_body(phone=None, name=None))
        assert "Terlalu banyak laporan" in assert_problem(r, 429, "report_rate_limited")["detail"]
        # Refused reports changed nothing.
        assert await db.scalar(select(func.count()).select_from(Case)) == 2
        clock.advance(seconds=retry)
        await report(client, phone=None, name=None)


async def test_too_many_reports_from_one_phone_get_429(make_app: Any) -> None:
    app = make_app(public_reports_per_phone=1)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        await report(client)
        # The same number written differently is the same number.
        r = await client.post("/api/public/reports", json=report_body(phone="+62 812 7777 1234"))
        assert_problem(r, 429, "phone_rate_limited")
        assert int(r.headers["retry-after"]) > 0
        # Following a case counts too.
        made = await report(client, phone="0813 1111 2222")
        r = await client.post(
            f"/api/public/cases/{made['reference']}/follow", json={"phone": REPORTER_PHONE}
        )
        assert_problem(r, 429, "phone_rate_limited")


async def test_abuse_rules_are_clear_translated_refusals(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    en = {"Accept-Language": "en"}
    # Outside the city.
    r = await client.post("/api/public/reports", json=report_body(lat=-6.2, lon=106.8), headers=en)
    assert "Kendari" in assert_problem(r, 422, "out_of_service_area")["detail"]
    # Text limits.
    r = await client.post("/api/public/reports", json=report_body(description="x" * 4001))
    body = assert_problem(r, 400, "text_too_long")
    assert "4000" in body["detail"] and "description" in body["detail"]
    r = await client.post("/api/public/reports", json=report_body(description="   ab  "))
    assert_problem(r, 400, "text_too_short")
    r = await client.post("/api/public/reports", json=report_body(name="n" * 201))
    assert_problem(r, 400, "text_too_long")
    # Unknown category, impossible coordinates, a bad phone.
    r = await client.post("/api/public/reports", json=report_body(category="NOPE"))
    assert_problem(r, 422, "unknown_category")
    r = await client.post("/api/public/reports", json=report_body(lat=0.0, lon=0.0))
    assert_problem(r, 400, "invalid_coordinates")
    r = await client.post("/api/public/reports", json=report_body(phone="12"))
    assert_problem(r, 400, "invalid_phone")
    # A number flagged for prank calls (three within a day, logged by the operator).
    op = await login(client, "operator")
    for _ in range(3):
        clock.advance(minutes=2)
        r = await client.post(
            "/api/calls",
            headers=op,
            json={
                "number": "0852 9999 0000",
                "class": "prank",
                "started_at": clock.now.isoformat(),
            },
        )
        assert r.status_code == 201, r.text
    r = await client.post("/api/public/reports", json=report_body(phone="085299990000"), headers=en)
    assert "prank" in assert_problem(r, 403, "reporter_flagged")["detail"]
    assert await db.scalar(select(func.count()).select_from(Case)) == 0


async def test_citizen_follows_a_similar_case_instead_of_filing_a_duplicate(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    first = await report(client)
    clock.advance(minutes=3)
    # Before submitting, a second citizen 60 m away sees the open case of the same category.
    r = await client.get(
        "/api/public/similar",
        params={"category": "KECELAKAAN_LALU_LINTAS", "lat": HERE[0] + 0.0005, "lon": HERE[1]},
    )
    assert r.status_code == 200, r.text
    [near] = r.json()
    assert near["reference"] == first["reference"] and near["followable"] is True
    assert 30 < near["distance_m"] < 90
    assert set(near) == {
        "reference", "category", "status", "status_text", "followable", "distance_m", "lat",
        "lon", "address", "description", "created_at",
    }  # fmt: skip
    assert REPORTER_NAME not in r.text and "7777" not in r.text
    # Another category or far away: nothing.
    r = await client.get(
        "/api/public/similar", params={"category": "POHON_TUMBANG", "lat": HERE[0], "lon": HERE[1]}
    )
    assert r.json() == []

    r = await client.post(
        f"/api/public/cases/{first['reference']}/follow",
        json={"name": "Budi Kedua", "phone": "0813-2222-3333", "language": "en"},
    )
    assert r.status_code == 201, r.text
    followed = r.json()
    assert followed["reference"] == first["reference"]
    assert followed["tracking_token"] != first["tracking_token"]
    assert followed["status_text"] == "Not yet acted on"
    case = await case_of(db, first["reference"])
    reporters = (
        (await db.execute(select(CaseReporter).where(CaseReporter.case_id == case.id)))
        .scalars()
        .all()
    )
    assert sorted(r.phone or "" for r in reporters) == [REPORTER_E164, "+6281322223333"]
    added = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "reporter_added"
            )
        )
    ).scalar_one()
    # Following adds no public timeline event (docs/security.md, "Who may see what").
    assert not added.public and added.actor_kind == "citizen" and added.note == ""
    # Only one case exists; the follower tracks it with their own token.
    assert await db.scalar(select(func.count()).select_from(Case)) == 1
    r = await client.get(
        f"/api/public/cases/{first['reference']}", headers=tracked(followed["tracking_token"])
    )
    assert [e["kind"] for e in r.json()["timeline"]] == ["created"]
    assert "Budi Kedua" not in r.text
    # A finished case cannot be followed.
    await work_to_resolved(client, db, clock, first["reference"])
    r = await client.post(f"/api/public/cases/{first['reference']}/follow", json={})
    assert_problem(r, 409, "case_not_followable")
    r = await client.post("/api/public/cases/KDI-000000-ZZZZ/follow", json={})
    assert_problem(r, 404, "case_not_found")


async def test_rating_only_after_resolution_once_per_reporter(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    made = await report(client)
    ref, token = made["reference"], made["tracking_token"]
    follower = (await client.post(f"/api/public/cases/{ref}/follow", json={})).json()
    r = await client.post(
        f"/api/public/cases/{ref}/rating", headers=tracked(token), json={"score": 5}
    )
    assert_problem(r, 409, "rating_not_allowed")
    await work_to_resolved(client, db, clock, ref)
    r = await client.post(
        f"/api/public/cases/{ref}/rating", headers=tracked(token), json={"score": 6}
    )
    assert r.status_code == 400
    r = await client.post(
        f"/api/public/cases/{ref}/rating",
        headers=tracked(token),
        json={"score": 4, "comment": "Cepat, terima kasih"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["score"] == 4
    r = await client.post(
        f"/api/public/cases/{ref}/rating", headers=tracked(token), json={"score": 1}
    )
    assert_problem(r, 409, "already_rated")
    # A follower gets status updates only: they cannot rate.
    r = await client.post(
        f"/api/public/cases/{ref}/rating",
        headers=tracked(follower["tracking_token"]),
        json={"score": 2},
    )
    assert_problem(r, 403, "rating_followers_cannot")
    case = await case_of(db, ref)
    scores = sorted(
        (await db.execute(select(CaseRating.score).where(CaseRating.case_id == case.id))).scalars()
    )
    assert scores == [4]
    rated = (
        (
            await db.execute(
                select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "rated")
            )
        )
        .scalars()
        .all()
    )
    assert len(rated) == 1 and all(e.actor_kind == "citizen" for e in rated)
    view = (await client.get(f"/api/public/cases/{ref}", headers=tracked(token))).json()
    assert view["rated"] is True and view["can_rate"] is False
    assert "Cepat, terima kasih" not in json.dumps(view)


async def test_dispute_reopens_the_case_and_the_agency_hears_of_it(
    client: Client, db: AsyncSession, clock: Clock, database_url: str
) -> None:
    made = await report(client)
    ref, token = made["reference"], made["tracking_token"]
    r = await client.post(
        f"/api/public/cases/{ref}/dispute", headers=tracked(token), json={"reason": "Belum beres"}
    )
    assert_problem(r, 409, "dispute_not_allowed")
    resolved = await work_to_resolved(client, db, clock, ref)
    r = await client.post(
        f"/api/public/cases/{ref}/dispute", headers=tracked(token), json={"reason": "x"}
    )
    assert_problem(r, 400, "text_too_short")

    # The agency's coordinator has a phone subscribed for push.
    coordinator = await make_user(db, "coordinator", agency_id=resolved.agency_id)
    await db.commit()
    coord = await login(client, coordinator.username, "password123")
    r = await client.post("/api/push/subscriptions", headers=coord, json=_browser_subscription())
    assert r.status_code == 201, r.text
    # The control room listens for live events (the agency's dispatchers and coordinators).
    heard: list[dict[str, Any]] = []
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await conn.add_listener("tanggap_live", lambda *a: heard.append(json.loads(a[3])))
    try:
        clock.advance(minutes=30)
        r = await client.post(
            f"/api/public/cases/{ref}/dispute",
            headers=tracked(token),
            json={"reason": "Korban masih di lokasi, belum ditangani"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "reopened"
        for _ in range(100):
            if any(m.get("kind") == "reopened" for m in heard):
                break
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    [live] = [m for m in heard if m.get("kind") == "reopened"]
    told = (
        (await db.execute(select(Notification).where(Notification.user_id == coordinator.id)))
        .scalars()
        .all()
    )
    assert [n.kind for n in told] == ["reopened"]
    assert told[0].payload["reference"] == ref
    assert live["reference"] == ref and live["agency_id"] == resolved.agency_id
    assert live["status"] == "reopened"
    case = await case_of(db, ref)
    assert case.status == "reopened" and case.resolved_at is None
    event = (
        await db.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "reopened")
        )
    ).scalar_one()
    assert event.actor_kind == "citizen" and event.from_status == "resolved"
    view = (await client.get(f"/api/public/cases/{ref}", headers=tracked(token))).json()
    assert view["status"] == "belum_ditindaklanjuti" and view["timeline"][-1]["kind"] == "reopened"
    assert "Korban masih" not in json.dumps(view)
    # Staff see the reason on their timeline.
    disp = await login(client, "dispatcher")
    staff = (await client.get(f"/api/cases/{case.id}", headers=disp)).json()
    assert staff["timeline"][-1]["note"] == "Korban masih di lokasi, belum ditangani"
    # Once reopened, it cannot be disputed again until resolved again.
    r = await client.post(
        f"/api/public/cases/{ref}/dispute", headers=tracked(token), json={"reason": "Lagi ya"}
    )
    assert_problem(r, 409, "dispute_not_allowed")


async def test_phone_and_pin_open_the_case_and_wrong_pins_are_limited(
    make_app: Any, clock: Clock
) -> None:
    app = make_app(public_pin_failures_per_ip=3)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        made = await report(client)
        ref, pin = made["reference"], made["pin"]
        ok = {"X-Reporter-Phone": "+62 812-7777-1234", "X-Tracking-Pin": pin}
        r = await client.get(f"/api/public/cases/{ref}", headers=ok)
        assert r.status_code == 200 and r.json()["reference"] == ref
        wrong_pin = str((int(pin) + 1) % 1_000_000).zfill(6)
        other_phone = {"X-Reporter-Phone": "0813 0000 1111", "X-Tracking-Pin": pin}
        for headers in (
            {"X-Reporter-Phone": REPORTER_PHONE, "X-Tracking-Pin": wrong_pin},
            other_phone,
            {"X-Reporter-Phone": "not a phone", "X-Tracking-Pin": pin},
        ):
            assert_problem(
                await client.get(f"/api/public/cases/{ref}", headers=headers), 404, "case_not_found"
            )
        # Three wrong tries from this address: even the right PIN waits here now (the token
        # still works; another address is not held up, see test_privacy.py).
        r = await client.get(f"/api/public/cases/{ref}", headers=ok)
        assert_problem(r, 429, "pin_rate_limited")
        assert int(r.headers["retry-after"]) > 0
        r = await client.get(f"/api/public/cases/{ref}", headers=tracked(made["tracking_token"]))
        assert r.status_code == 200
        clock.advance(minutes=61)
        assert (await client.get(f"/api/public/cases/{ref}", headers=ok)).status_code == 200


def _browser_subscription() -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return {
        # A local address the module's app allows explicitly (push services only by default).
        "endpoint": f"http://127.0.0.1:9/send/{uuid.uuid4().hex}",
        "keys": {"p256dh": b64(raw), "auth": b64(uuid.uuid4().bytes)},
    }


async def test_the_citizen_subscribes_with_the_token_and_is_told_of_changes(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    made = await report(client, language="en")
    sub = {**_browser_subscription(), "tracking_token": made["tracking_token"], "language": "en"}
    r = await client.post(made["push"]["subscribe_url"], json=sub)
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == "citizen"
    case = await case_of(db, made["reference"])
    team = (
        await db.execute(select(Team).where(Team.agency_id == case.agency_id).limit(1))
    ).scalar_one()
    disp = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{case.id}/assign", headers=disp, json={"team_id": team.id, "version": 1}
    )
    assert r.status_code == 200, r.text
    told = (
        (await db.execute(select(Notification).where(Notification.case_id == case.id)))
        .scalars()
        .all()
    )
    mine = [n for n in told if n.kind == "status"]
    assert len(mine) == 1
    assert mine[0].payload["url"] == f"/lacak/{made['reference']}"
    assert (
        mine[0].payload["body"].endswith("In process.") or "In process" in mine[0].payload["body"]
    )
    assert "case_id" not in mine[0].payload


async def test_a_merged_report_points_to_the_case_it_joined(
    client: Client, db: AsyncSession
) -> None:
    parent = await report(client, phone=None, name=None)
    child = await report(client, phone=None, name=None, description="Tabrakan yang sama")
    child_case = await case_of(db, child["reference"])
    child_id, version = child_case.id, child_case.version
    parent_id = (await case_of(db, parent["reference"])).id
    disp = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{child_id}/merge",
        headers=disp,
        json={"parent_id": str(parent_id), "version": version},
    )
    assert r.status_code == 200, r.text
    token = child["tracking_token"]
    view = (
        await client.get(f"/api/public/cases/{child['reference']}", headers=tracked(token))
    ).json()
    assert view["merged_into"] == parent["reference"] and view["status"] == "selesai"
    assert view["timeline"][-1]["kind"] == "duplicate"
    # The same token now follows the parent, which shows the merge.
    r = await client.get(f"/api/public/cases/{parent['reference']}", headers=tracked(token))
    assert r.status_code == 200
    assert [e["kind"] for e in r.json()["timeline"]] == ["created", "merged"]


async def test_a_replayed_report_is_answered_again_and_no_token_is_stored(
    client: Client, db: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "lapor-offline-0001"}
    first = await client.post("/api/public/reports", json=report_body(), headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/api/public/reports", json=report_body(), headers=headers)
    assert again.status_code == 201, again.text
    ref = first.json()["reference"]
    assert again.json()["reference"] == ref
    assert (await db.execute(select(func.count()).select_from(Case))).scalar() == 1
    # The replay got a fresh token that works; the unseen first one no longer does.
    token = again.json()["tracking_token"]
    assert token and token != first.json()["tracking_token"]
    assert (await client.get(f"/api/public/cases/{ref}", headers=tracked(token))).status_code == 200
    old = await client.get(
        f"/api/public/cases/{ref}", headers=tracked(first.json()["tracking_token"])
    )
    assert old.status_code == 404
    # Only hashes of tracking tokens are ever kept.
    stored = (await db.execute(text("SELECT body FROM idempotent_requests"))).scalars().all()
    assert stored and not any(
        token.encode() in b or first.json()["tracking_token"].encode() in b for b in stored
    )


def test_every_route_that_opens_a_case_documents_the_credential_headers() -> None:
    """One citizen-access dependency (``provide_citizen_access``) serves every route that opens
    a case with tracking credentials: each documents the same three headers, and the citizens'
    upload has no ``event_id`` while the staff's has (one upload operation, two policies)."""
    from tests.integration.test_fuzz import served_spec

    paths = served_spec()["paths"]
    base = "/api/public/cases/{reference}"
    opened = [
        ("get", base),
        ("post", base + "/photos"),
        ("post", base + "/rating"),
        ("post", base + "/dispute"),
    ]
    for method, path in opened:
        headers = {p["name"] for p in paths[path][method]["parameters"] if p["in"] == "header"}
        assert {"X-Tracking-Token", "X-Reporter-Phone", "X-Tracking-Pin"} <= headers, path

    def upload_fields(path: str) -> set[str]:
        body = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]
        return set(body["schema"]["properties"])

    assert upload_fields(base + "/photos") == {"files", "caption"}
    assert upload_fields("/api/cases/{case_id}/photos") == {"files", "caption", "event_id"}
