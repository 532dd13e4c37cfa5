"""Incoming CAP: a local file feed (an Atom index of CAP 1.2 alerts, each valid against the
OASIS schema) is polled twice and each alert stored once; expired alerts, alerts outside the
city and cancelled ones are not listed; a supervisor re-issues one as a draft city warning; who
may read and re-issue; hostile or broken XML changes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.adapters.cap_feed import CapFeedClient
from api.config import Settings
from api.db.models import AreaWarning, IncomingCapAlert
from api.db.session import make_engine, make_sessionmaker
from api.domain.cap import cap_time
from api.domain.cap_incoming import CapParseError, feed_links, parse_alert
from api.services import cap_incoming as service
from tests.conftest import Clock, login

Client = AsyncTestClient[Litestar]
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "support/cap/CAP-v1.2.xsd")))
SENDER = "bmkg.go.id"
# lat,lon rings: one over Kendari city, one far away (Jakarta).
KENDARI = "-3.99,122.45 -3.99,122.60 -3.93,122.60 -3.93,122.45 -3.99,122.45"
JAKARTA = "-6.25,106.75 -6.25,106.90 -6.10,106.90 -6.10,106.75 -6.25,106.75"


def alert_xml(
    ident: str,
    sent: datetime,
    expires: datetime,
    *,
    polygon: str | None = KENDARI,
    circle: str | None = None,
    msg_type: str = "Alert",
    references: str = "",
) -> bytes:
    area = f"<polygon>{polygon}</polygon>" if polygon else ""
    area += f"<circle>{circle}</circle>" if circle else ""
    refs = f"<references>{references}</references>" if references else ""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{ident}</identifier><sender>{SENDER}</sender><sent>{cap_time(sent)}</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info>
    <language>id-ID</language><category>Met</category><event>Hujan Lebat</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>{cap_time(expires)}</expires>
    <senderName>BMKG</senderName><headline>Hujan lebat {ident}</headline>
    <description>Hujan lebat disertai kilat.</description>
    <area><areaDesc>Sulawesi Tenggara</areaDesc>{area}</area>
  </info>
</alert>"""
    data = xml.encode()
    assert SCHEMA.validate(etree.fromstring(data)), SCHEMA.error_log
    return data


def write_feed(folder: Path, alerts: dict[str, bytes]) -> str:
    entries = ""
    for name, data in alerts.items():
        (folder / name).write_bytes(data)
        entries += (
            f"<entry><id>{name}</id><title>{name}</title><updated>2026-12-05T00:00:00Z</updated>"
            f'<link rel="alternate" type="application/cap+xml" href="{name}"/></entry>'
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>bmkg</id><title>BMKG</title><updated>2026-12-05T00:00:00Z</updated>{entries}</feed>"
    )
    (folder / "index.atom").write_text(feed)
    return (folder / "index.atom").as_uri()


async def poll(db: AsyncSession, url: str) -> int:
    client = CapFeedClient()
    try:
        new = await service.poll(db, client, url)
        await db.commit()
        return new
    finally:
        await client.aclose()


async def stored(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count()).select_from(IncomingCapAlert))).scalar_one())


async def test_feed_stored_once_and_only_active_city_alerts_listed(
    client: Client, db: AsyncSession, clock: Clock, tmp_path: Path
) -> None:
    now = clock()
    later, earlier = now + timedelta(hours=3), now - timedelta(hours=1)
    feed = write_feed(
        tmp_path,
        {
            "city.xml": alert_xml("a1", earlier, later),
            "circle.xml": alert_xml("a2", earlier, later, polygon=None, circle="-3.97,122.51 5"),
            "expired.xml": alert_xml("a3", now - timedelta(hours=5), earlier),
            "jakarta.xml": alert_xml("a4", earlier, later, polygon=JAKARTA),
        },
    )
    assert await poll(db, feed) == 4
    assert await poll(db, feed) == 0  # the second poll stores nothing again
    assert await stored(db) == 4

    headers = await login(client, "dispatcher")
    r = await client.get("/api/cap/incoming", headers=headers)
    assert r.status_code == 200, r.text
    listed = {a["identifier"]: a for a in r.json()}
    assert set(listed) == {"a1", "a2"}
    assert listed["a1"]["area"]["type"] == "MultiPolygon"
    assert listed["a1"]["headline"] == "Hujan lebat a1" and listed["a1"]["sender"] == SENDER

    # A Cancel of a1 (in a later poll of the same feed) retires it.
    cancel = alert_xml(
        "a1-cancel", now, later, msg_type="Cancel", references=f"{SENDER},a1,{cap_time(earlier)}"
    )
    (tmp_path / "cancel.xml").write_bytes(cancel)
    feed = write_feed(tmp_path, {"city.xml": alert_xml("a1", earlier, later), "cancel.xml": cancel})
    assert await poll(db, feed) == 1
    r = await client.get("/api/cap/incoming", headers=headers)
    assert [a["identifier"] for a in r.json()] == ["a2"]

    # Time passes: a2 expires too.
    clock.advance(hours=4)
    headers = await login(client, "dispatcher")  # the earlier session has run out too
    r = await client.get("/api/cap/incoming", headers=headers)
    assert r.json() == []


async def test_reissue_makes_a_draft_warning_and_bad_ids_change_nothing(
    client: Client, db: AsyncSession, clock: Clock, tmp_path: Path
) -> None:
    now = clock()
    feed = write_feed(
        tmp_path,
        {
            "city.xml": alert_xml("b1", now, now + timedelta(hours=3)),
            "jakarta.xml": alert_xml("b2", now, now + timedelta(hours=3), polygon=JAKARTA),
        },
    )
    await poll(db, feed)
    ids = {
        r.identifier: r.id
        for r in (await db.execute(select(IncomingCapAlert.identifier, IncomingCapAlert.id)))
    }
    supervisor = await login(client, "supervisor")
    for alert_id, status, code in (
        (999_999, 404, "cap_alert_not_found"),
        (ids["b2"], 409, "cap_alert_inactive"),  # outside the city: not an active city alert
    ):
        r = await client.post(f"/api/cap/incoming/{alert_id}/reissue", headers=supervisor)
        assert r.status_code == status and r.json()["code"] == code, r.text
    r = await client.post("/api/cap/incoming/abc/reissue", headers=supervisor)
    assert r.status_code in (400, 404)
    assert (await db.execute(select(func.count()).select_from(AreaWarning))).scalar_one() == 0

    r = await client.post(f"/api/cap/incoming/{ids['b1']}/reissue", headers=supervisor)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["msg_type"] == "Alert"
    assert draft["headline_id"] == draft["headline_en"] == "Hujan lebat b1"
    assert draft["severity"] == "Severe" and draft["area_ids"]  # the kecamatan it touches
    # The two-person rule still holds: the re-issuer cannot publish it.
    r = await client.post(f"/api/warnings/{draft['id']}/approve", headers=supervisor)
    assert r.status_code == 403 and r.json()["code"] == "warning_self_approval"


@pytest.mark.parametrize(
    ("username", "read", "reissue"),
    [
        ("dispatcher", 200, 403),
        ("supervisor", 200, 201),
        ("koordinator.dlhk", 403, 403),  # another agency's coordinator
        ("operator", 403, 403),
        ("petugas.bpbd", 403, 403),
        ("admin", 403, 403),
    ],
)
async def test_who_may_read_and_reissue(
    client: Client,
    db: AsyncSession,
    clock: Clock,
    tmp_path: Path,
    username: str,
    read: int,
    reissue: int,
) -> None:
    now = clock()
    await poll(db, write_feed(tmp_path, {"c.xml": alert_xml("c1", now, now + timedelta(hours=2))}))
    alert_id = (await db.execute(select(IncomingCapAlert.id))).scalar_one()
    headers = await login(client, username)
    assert (await client.get("/api/cap/incoming", headers=headers)).status_code == read
    r = await client.post(f"/api/cap/incoming/{alert_id}/reissue", headers=headers)
    assert r.status_code == reissue, r.text
    assert (await client.get("/api/cap/incoming")).status_code == 401


async def test_hostile_and_broken_documents_are_refused(
    db: AsyncSession, clock: Clock, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    entity = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    ).encode()
    for bad in (entity, b"<not-xml", b"<html/>", b"<alert/>"):
        with pytest.raises(CapParseError):
            parse_alert(bad)
    with pytest.raises(CapParseError):
        feed_links(entity)
    # A feed whose alerts are broken stores nothing and does not fail the poll.
    (tmp_path / "x.xml").write_bytes(entity)
    (tmp_path / "y.xml").write_bytes(b"<alert")
    feed = write_feed(tmp_path, {"x.xml": entity, "y.xml": b"<alert"})
    assert await poll(db, feed) == 0
    assert await stored(db) == 0
    now = clock()
    bad_polygon = alert_xml("d1", now, now + timedelta(hours=1)).replace(
        b"-3.99,122.45 -3.99,122.60", b"-3.99,122.45 -399,122.60"
    )
    with pytest.raises(CapParseError):
        parse_alert(bad_polygon)


@pytest.fixture
def web_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local web server (127.0.0.1 only) serving ``tmp_path``, like a CAP publisher's site."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


async def test_the_worker_poll_reads_a_web_feed_and_never_a_local_file_it_links(
    database_url: str, db: AsyncSession, clock: Clock, web_folder: tuple[Path, str]
) -> None:
    folder, base = web_folder
    now = clock()
    write_feed(folder, {"w1.xml": alert_xml("w1", now, now + timedelta(hours=2))})
    # A second index whose entry points at a local file: not followed from a web feed.
    (folder / "local.xml").write_bytes(alert_xml("w2", now, now + timedelta(hours=2)))
    (folder / "evil.atom").write_text(
        (folder / "index.atom")
        .read_text()
        .replace('href="w1.xml"', f'href="{folder.as_uri()}/local.xml"')
    )
    engine = make_engine(database_url, pool_size=2)
    try:
        sessions = make_sessionmaker(engine)
        settings = Settings(cap_feed_url=f"{base}/index.atom")
        assert await service.poll_configured(sessions, settings) == 1
        assert await service.poll_configured(sessions, settings) == 0
        evil = Settings(cap_feed_url=f"{base}/evil.atom")
        assert await service.poll_configured(sessions, evil) == 0
        missing = Settings(cap_feed_url=f"{base}/nothing-here.atom")
        assert await service.poll_configured(sessions, missing) == 0  # logged, not raised
    finally:
        await engine.dispose()
    names = (await db.execute(select(IncomingCapAlert.identifier))).scalars().all()
    assert names == ["w1"]


async def test_an_update_replaces_what_it_references_and_a_bowtie_still_reissues(
    client: Client, db: AsyncSession, clock: Clock, tmp_path: Path
) -> None:
    now = clock()
    first = now - timedelta(minutes=30)
    update = alert_xml(
        "u2", now, now + timedelta(hours=2), msg_type="Update",
        references=f"{SENDER},u1,{cap_time(first)}",
        # A ring that crosses itself (a bow tie), as some senders draw them.
        polygon="-3.99,122.45 -3.93,122.60 -3.99,122.60 -3.93,122.45 -3.99,122.45",
    )  # fmt: skip
    await poll(db, write_feed(tmp_path, {"u1.xml": alert_xml("u1", first, now + timedelta(hours=1)),
                                         "u2.xml": update}))  # fmt: skip
    supervisor = await login(client, "supervisor")
    r = await client.get("/api/cap/incoming", headers=supervisor)
    assert [a["identifier"] for a in r.json()] == ["u2"]
    r = await client.post(f"/api/cap/incoming/{r.json()[0]['id']}/reissue", headers=supervisor)
    assert r.status_code == 201, r.text


async def test_the_worker_polls_the_configured_feed_on_its_schedule(
    database_url: str, db: AsyncSession, clock: Clock, settings: Settings, tmp_path: Path
) -> None:
    now = clock()
    feed = write_feed(tmp_path, {"s.xml": alert_xml("s1", now, now + timedelta(hours=2))})
    polling = dataclasses.replace(settings, cap_feed_url=feed, cap_feed_poll_seconds=1)
    async with worker.running(polling, database_url, clock=clock):
        for _ in range(150):
            if await stored(db):
                break
            await asyncio.sleep(0.1)
    assert await stored(db) == 1
