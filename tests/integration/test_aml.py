"""Advanced Mobile Location over HTTPS and SMS: authentication, storage, matching to the call.

The payloads follow the standard's examples (tests/unit/test_aml_rules.py reads them verbatim),
placed in Kendari and timed now so they pass the freshness check.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import Call
from api.db.session import make_engine, make_sessionmaker
from api.domain.aml import parse_sms
from api.services import caller_locations
from api.services.calls import sign
from tests.conftest import Clock, login
from tests.unit.test_aml_rules import with_length

Client = AsyncTestClient[Litestar]
NUMBER = "+6281277778888"
IMSI, IMEI = "510101234567890", "356708041746734"


def sms_text(at: datetime, *, lat: str = "-03.97000", rd: str = "50", pm: str = "G") -> str:
    return with_length(
        f'A"ML=1;lt={lat};lg=+122.51000;rd={rd};top={at:%Y%m%d%H%M%S};lc=68;pm={pm};'
        f"si={IMSI};ei={IMEI};mcc=510;mnc=10;ml="
    )


def https_form(at: datetime, *, accuracy: str = "12.5", number: str = NUMBER) -> str:
    return urlencode(
        {
            "v": "1",
            "emergency_number": "112",
            "source": "call",
            "device_number": number,
            "location_latitude": "-3.9712345",
            "location_longitude": "122.5154321",
            "location_time": str(int(at.timestamp() * 1000)),
            "location_accuracy": accuracy,
            "location_source": "gps",
            "location_confidence": "0.6827",
            "device_imsi": IMSI,
            "device_imei": IMEI,
        }
    )


def signed(secret: str, raw: bytes, at: datetime, content_type: str) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    return {
        "X-Tanggap-Timestamp": ts,
        "X-Tanggap-Signature": sign(secret, ts, raw),
        "Content-Type": content_type,
    }


async def post_sms(client: Client, clock: Clock, body: str, sender: str = NUMBER) -> object:
    raw = json.dumps({"from": sender, "text": body}).encode()
    headers = signed(client.app.state.aml_secret, raw, clock.now, "application/json")
    return await client.post("/api/aml/sms", content=raw, headers=headers)


async def post_https(client: Client, clock: Clock, form: str) -> object:
    raw = form.encode()
    headers = signed(
        client.app.state.aml_secret, raw, clock.now, "application/x-www-form-urlencoded"
    )
    return await client.post("/api/aml/https", content=raw, headers=headers)


async def open_call(client: Client, clock: Clock, pbx_id: str, number: str = NUMBER) -> int:
    body = {"event": "call.started", "call_id": pbx_id, "at": clock.now.isoformat()}
    raw = json.dumps(body | {"number": number}).encode()
    headers = signed(client.app.state.pbx_secret, raw, clock.now, "application/json")
    r = await client.post("/api/pbx/events", content=raw, headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["call"]["id"])


async def count(db: AsyncSession, table: str) -> int:
    sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - the test's own table names
    return int((await db.execute(text(sql))).scalar_one())


async def test_an_https_fix_locates_the_ringing_call(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    call_id = await open_call(client, clock, "pbx-aml-1")
    clock.advance(seconds=3)
    r = await post_https(client, clock, https_form(clock.now - timedelta(seconds=2)))
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": True, "matched": True}
    op = await login(client, "operator")
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 1
    fix = loc["fix"]
    assert (fix["lat"], fix["lon"], fix["accuracy_m"]) == (-3.9712345, 122.5154321, 12.5)
    assert fix["method"] == "gnss" and fix["confidence_pct"] == 68
    row = (
        await db.execute(
            text(
                "SELECT location_source, location_accuracy_m, ST_Y(location::geometry) AS lat "
                "FROM calls WHERE id = :id"
            ),
            {"id": call_id},
        )
    ).one()
    assert (row.location_source, row.location_accuracy_m, row.lat) == ("aml", 12.5, -3.9712345)


async def test_an_sms_fix_that_comes_before_its_call_waits_for_it(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    r = await post_sms(client, clock, sms_text(clock.now))
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": True, "matched": False}
    # Another number's call does not take it.
    other = await open_call(client, clock, "pbx-aml-other", "+6281200001111")
    clock.advance(seconds=4)
    call_id = await open_call(client, clock, "pbx-aml-2")
    op = await login(client, "operator")
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 1 and loc["fix"]["method"] == "gnss"
    assert loc["fix"]["accuracy_m"] == 50.0 and loc["fix"]["lat"] == -3.97
    empty = (await client.get(f"/api/calls/{other}/location", headers=op)).json()
    assert empty == {"call_id": other, "fix": None, "updates": 0}


async def test_a_call_reported_after_its_fix_but_started_before_it_takes_the_fix(
    client: Client, clock: Clock
) -> None:
    r = await post_sms(client, clock, sms_text(clock.now))
    assert r.json() == {"stored": True, "matched": False}
    # The PBX reports the call a second later, with the moment it started: before the fix came.
    at = clock.now - timedelta(seconds=2)
    clock.advance(seconds=1)
    raw = json.dumps(
        {"event": "call.started", "call_id": "pbx-aml-5", "at": at.isoformat(), "number": NUMBER}
    ).encode()
    headers = signed(client.app.state.pbx_secret, raw, clock.now, "application/json")
    r = await client.post("/api/pbx/events", content=raw, headers=headers)
    call_id = r.json()["call"]["id"]
    op = await login(client, "operator")
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 1 and loc["fix"]["accuracy_m"] == 50.0


async def test_a_fix_that_comes_while_its_call_is_being_opened_meets_it(
    database_url: str, settings: Settings, clock: Clock
) -> None:
    """The PBX's transaction has opened the call, not yet committed, when the fix comes: the fix
    waits for it (it would otherwise see no call, and the call would have seen no fix)."""
    engine = make_engine(database_url, 2, 0)
    sessions = make_sessionmaker(engine)
    fix = parse_sms(sms_text(clock.now), clock.now).fix
    try:
        async with sessions() as pbx, sessions() as gateway:
            call = Call(number=NUMBER, channel="phone", started_at=clock.now, pbx_call_id="pbx-r")
            pbx.add(call)
            await caller_locations.on_call_opened(pbx, call)  # no fix yet; the number is held
            fix_arrives = asyncio.create_task(
                caller_locations.record(
                    gateway, settings, "k", number=NUMBER, fix=fix, channel="sms", now=clock.now
                )
            )
            await asyncio.sleep(0.3)
            await pbx.commit()
            ack = await fix_arrives
            await gateway.commit()
        assert ack.matched is True
    finally:
        await engine.dispose()


async def test_a_fix_outside_the_match_window_finds_no_call(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    r = await post_sms(client, clock, sms_text(clock.now))
    assert r.json()["matched"] is False
    clock.advance(minutes=6)  # past TANGGAP_AML_MATCH_WINDOW_S (300 s)
    call_id = await open_call(client, clock, "pbx-aml-late")
    op = await login(client, "operator")
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 0 and loc["fix"] is None
    # ... and a call that ended long before a fix is not given it either.
    clock.advance(minutes=10)
    r = await post_sms(client, clock, sms_text(clock.now))
    assert r.json() == {"stored": True, "matched": False}


async def test_every_update_is_kept_and_the_most_accurate_recent_one_wins(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    call_id = await open_call(client, clock, "pbx-aml-3")
    for seconds, rd in ((1, "900"), (3, "8"), (20, "40")):
        clock.advance(seconds=seconds)
        r = await post_sms(client, clock, sms_text(clock.now, rd=rd))
        assert r.status_code == 200 and r.json()["matched"] is True, r.text
    op = await login(client, "operator")
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 3 and loc["fix"]["accuracy_m"] == 8.0
    # Two minutes on the caller may have moved: a newer, coarser fix takes over.
    clock.advance(minutes=2)
    r = await post_https(client, clock, https_form(clock.now, accuracy="65"))
    assert r.status_code == 200, r.text
    loc = (await client.get(f"/api/calls/{call_id}/location", headers=op)).json()
    assert loc["updates"] == 4 and loc["fix"]["accuracy_m"] == 65.0
    acc = (
        await db.execute(
            text("SELECT location_accuracy_m FROM calls WHERE id = :i"), {"i": call_id}
        )
    ).scalar_one()
    assert acc == 65.0


async def test_imsi_and_imei_are_dropped_by_default_and_hashed_when_set(
    client: Client,
    db: AsyncSession,
    clock: Clock,
    make_app,  # type: ignore[no-untyped-def]
) -> None:
    await post_sms(client, clock, sms_text(clock.now))
    async with AsyncTestClient(
        app=make_app(aml_identifiers="hash"), base_url="http://127.0.0.1"
    ) as hc:
        r = await post_https(hc, clock, https_form(clock.now))
        assert r.status_code == 200, r.text
    rows = (
        await db.execute(
            text("SELECT channel, imsi_hash, imei_hash FROM caller_locations ORDER BY id")
        )
    ).all()
    assert rows[0] == ("sms", None, None)
    assert rows[1].channel == "https" and len(rows[1].imsi_hash) == 64
    assert IMSI not in rows[1].imsi_hash and rows[1].imsi_hash != rows[1].imei_hash
    dump = (await db.execute(text("SELECT row_to_json(c)::text FROM caller_locations c"))).all()
    assert not any(IMSI in d[0] or IMEI in d[0] for d in dump)


async def test_senders_must_sign_with_the_aml_secret_and_cannot_replay(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    raw = json.dumps({"from": NUMBER, "text": sms_text(clock.now)}).encode()
    r = await client.post("/api/aml/sms", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.json()["code"] == "webhook_signature_invalid"
    pbx_signed = signed(client.app.state.pbx_secret, raw, clock.now, "application/json")
    r = await client.post("/api/aml/sms", content=raw, headers=pbx_signed)
    assert r.status_code == 401
    stale = signed(client.app.state.aml_secret, raw, clock.now - timedelta(hours=1), "text/plain")
    r = await client.post("/api/aml/sms", content=raw, headers=stale)
    assert r.status_code == 401 and r.json()["code"] == "webhook_stale"
    assert await count(db, "caller_locations") == 0
    good = signed(client.app.state.aml_secret, raw, clock.now, "application/json")
    assert (await client.post("/api/aml/sms", content=raw, headers=good)).status_code == 200
    r = await client.post("/api/aml/sms", content=raw, headers=good)
    assert r.status_code == 409 and r.json()["code"] == "webhook_replayed"
    assert await count(db, "caller_locations") == 1


async def test_in_proxy_mode_the_verified_client_certificate_is_required(
    db: AsyncSession,
    clock: Clock,
    make_app,  # type: ignore[no-untyped-def]
) -> None:
    form = https_form(clock.now).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with AsyncTestClient(app=make_app(aml_auth="proxy"), base_url="http://127.0.0.1") as pc:
        r = await pc.post("/api/aml/https", content=form, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "aml_client_unverified"
        assert "sertifikat" in r.json()["detail"]
        cert = {**headers, "X-Client-Cert-Subject": "CN=aml.operator.example"}
        r = await pc.post("/api/aml/https", content=form, headers=cert)
        assert r.status_code == 200, r.text
    assert await count(db, "caller_locations") == 1


async def test_a_calls_location_is_for_call_staff_only(client: Client, clock: Clock) -> None:
    call_id = await open_call(client, clock, "pbx-aml-4")
    assert (await client.get(f"/api/calls/{call_id}/location")).status_code == 401
    fo = await login(client, "petugas.dlhk")
    assert (await client.get(f"/api/calls/{call_id}/location", headers=fo)).status_code == 403
    op = await login(client, "operator")
    r = await client.get("/api/calls/999999/location", headers=op)
    assert r.status_code == 404


async def test_a_message_breaking_the_standard_is_a_clear_400_in_both_languages(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    r = await post_sms(client, clock, sms_text(clock.now, lat="-95.00000"))
    assert r.status_code == 400
    problem = r.json()
    assert problem["code"] == "aml_malformed" and problem["field"] == "lt"
    assert "ETSI TS 103 625" in problem["detail"] and "lt" in problem["detail"]
    raw = json.dumps({"from": NUMBER, "text": sms_text(clock.now, pm="Q")}).encode()
    headers = signed(client.app.state.aml_secret, raw, clock.now, "application/json")
    r = await client.post("/api/aml/sms", content=raw, headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 400 and "does not follow" in r.json()["detail"]
    assert await count(db, "caller_locations") == 0
    assert await count(db, "idempotent_requests") == 0


async def test_no_position_is_acknowledged_and_an_oversized_body_refused(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    no_position = with_length('A"ML=1;lt=;lg=;rd=;top=;lc=;pm=N;si=;ei=;mcc=510;mnc=10;ml=')
    r = await post_sms(client, clock, no_position)
    assert r.status_code == 200 and r.json() == {"stored": False, "matched": False}
    huge = https_form(clock.now) + "&device_model=" + "x" * 5000
    r = await post_https(client, clock, huge)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    assert await count(db, "caller_locations") == 0
