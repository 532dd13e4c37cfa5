"""Reads off the primary, against a real streaming hot standby (``pg_basebackup -R``).

Both nodes log every statement to a log of their own; the test counts them per node and per
request: the map layer, statistics, exports, Open311 and public reads run on the standby (the
primary sees only the sign-in session check of a staff request, which must see a logout at
once), and the writes (intake, a dispatch, a citizen's report) run on the primary. A report
tracked while the standby's replay is paused is found on the primary; with the standby stopped,
every read still answers 200 from the primary and readiness says degraded.

A drill: ``uv run pytest tests/fault/test_replica_reads.py`` runs it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.config import Settings
from api.metrics import REGISTRY
from tests.conftest import login, migrate_and_seed
from tests.integration.test_public_reports import report_body
from tests.support.replica import Pair, primary_and_standby

pytestmark = pytest.mark.fault

Client = AsyncTestClient[Litestar]
BBOX = "122.40,-4.13,122.70,-3.90"
HERE = (-3.97, 122.52)
# The auth middleware's check of a staff request's session: on the primary by design.
SESSION_CHECK = "FROM auth_sessions s JOIN users u"
# Transaction control and the read router's lag probe: not the route's own reads.
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_standby(migrate_and_seed) as p:
        yield p


@contextlib.asynccontextmanager
async def api(pair: Pair, settings: Settings, **over: Any) -> AsyncIterator[Client]:
    """The API on the primary, with the standby as its read replica."""
    with_replica = replace(settings, database_replica_url=pair.standby.url, **over)
    app = create_app(with_replica, database_url=pair.primary.url)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        yield c


@pytest_asyncio.fixture
async def client(pair: Pair, settings: Settings) -> AsyncIterator[Client]:
    async with api(pair, settings) as c:
        yield c


def _queries(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.rstrip(";").upper().startswith(CONTROL)]


async def _count(pair: Pair, request: Any) -> tuple[Any, list[str], list[str]]:
    """Run one request; the statements each node ran for it (primary, standby)."""
    primary, standby = pair.log(pair.primary), pair.log(pair.standby)
    primary.mark()
    standby.mark()
    # A server logs a statement before it runs it: all are in the files once this answers.
    response = await request
    return response, primary.since_mark(), standby.since_mark()


def _begins_read_only(statement: str) -> bool:
    return statement.startswith("BEGIN") and statement.endswith("READ ONLY;")


def _fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("tanggap_replica_fallbacks_total", {"reason": reason}) or 0.0


async def test_lag_tolerant_reads_go_to_the_standby_and_writes_to_the_primary(
    pair: Pair, client: Client
) -> None:
    began = time.monotonic()
    op = await login(client, "operator")
    disp = await login(client, "dispatcher")
    sup = await login(client, "supervisor")
    figures: dict[str, tuple[int, int]] = {}

    # ---- writes: an operator's intake, a dispatch, a citizen's report: primary only.
    cats = (await client.get("/api/categories", headers=op)).json()
    tree = next(c for c in cats if c["code"] == "POHON_TUMBANG")
    r, on_primary, on_standby = await _count(
        pair,
        client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": tree["id"],
                "lat": HERE[0],
                "lon": HERE[1],
                "description": "Pohon tumbang menutup jalan",
                "address": "Jl. Malaka",
            },
        ),
    )
    assert r.status_code == 201, r.text
    case = r.json()
    # The case's insert (inside a CTE that also returns its agency's names: api/db/intake.py).
    assert any("INSERT INTO CASES" in s.upper() for s in on_primary), on_primary
    assert on_standby == [], on_standby
    figures["POST /api/cases (intake)"] = (len(_queries(on_primary)), len(on_standby))

    pair.wait_replayed()
    teams = (await client.get("/api/teams", headers=disp)).json()
    team = next(t for t in teams if t["agency_id"] == case["agency_id"])
    r, on_primary, on_standby = await _count(
        pair,
        client.post(
            f"/api/cases/{case['id']}/assign",
            headers=disp,
            json={"team_id": team["id"], "version": case["version"]},
        ),
    )
    assert r.status_code == 200, r.text
    # The case's update (inside the statement that also stores its event: api/db/intake.py).
    assert any("UPDATE CASES" in s.upper() for s in on_primary), on_primary
    assert on_standby == [], on_standby
    figures["POST /api/cases/{id}/assign (transition)"] = (
        len(_queries(on_primary)),
        len(on_standby),
    )

    # ---- a citizen reports and tracks at once, while the standby replays nothing: the
    # standby does not know the case yet, so the read looks again on the primary.
    pair.pause_replay()
    try:
        r, on_primary, on_standby = await _count(
            pair,
            client.post("/api/public/reports", json=report_body()),
        )
        assert r.status_code == 201, r.text
        assert on_standby == [], on_standby
        figures["POST /api/public/reports"] = (len(_queries(on_primary)), 0)
        report = r.json()
        token = {"X-Tracking-Token": report["tracking_token"]}
        r, on_primary, on_standby = await _count(
            pair, client.get(f"/api/public/cases/{report['reference']}", headers=token)
        )
        assert r.status_code == 200, r.text
        assert r.json()["reference"] == report["reference"]
        # Tried on the standby first (the lag probe, then the case, not found there) ...
        assert any("cases.reference" in s for s in on_standby), on_standby
        # ... then found on the primary, read-only.
        assert any(_begins_read_only(s) for s in on_primary), on_primary
        assert any("cases.reference" in s for s in on_primary), on_primary
        figures["GET /api/public/cases/{ref}, just reported (replay paused)"] = (
            len(_queries(on_primary)),
            len(_queries(on_standby)),
        )
        # The dispatch map reloads on the report's live event: it must show the new case, so
        # with the event's id (?after_event=) the standby that lacks it is passed over.
        event = int(pair.primary.psql("SELECT max(id) FROM case_events", database="tanggap"))
        path = f"/api/cases.geojson?bbox={BBOX}"
        r, on_primary, on_standby = await _count(
            pair, client.get(f"{path}&after_event={event}", headers=disp)
        )
        assert report["reference"] in {f["properties"]["reference"] for f in r.json()["features"]}
        assert any("FROM cases" in s for s in on_primary), on_primary
        assert [s for s in _queries(on_standby) if "case_events" not in s] == [], on_standby
        figures["GET /api/cases.geojson?after_event= (replay paused)"] = (
            len(_queries(on_primary)),
            len(_queries(on_standby)),
        )
        # Without it, the map layer is read off the standby, as it was before the report.
        r = await client.get(path, headers=disp)
        assert report["reference"] not in {
            f["properties"]["reference"] for f in r.json()["features"]
        }
    finally:
        pair.resume_replay()
    replayed_in = pair.wait_replayed()

    # ---- lag-tolerant reads: the standby only (the primary checks a staff session, no more).
    month = case["created_at"][:7]
    reads = {
        "GET /api/cases.geojson (map layer)": ("/api/cases.geojson?bbox=" + BBOX, disp),
        "GET /api/teams (map's teams)": ("/api/teams", disp),
        "GET /api/stats/cases": (f"/api/stats/cases?month={month}", sup),
        "GET /api/stats/calls": (f"/api/stats/calls?month={month}", sup),
        "GET /api/stats/response-times": (f"/api/stats/response-times?month={month}", sup),
        "GET /api/stats/sla": (f"/api/stats/sla?month={month}", sup),
        "GET /api/stats/hotspots": (f"/api/stats/hotspots?month={month}", sup),
        "GET /api/stats/monthly": (f"/api/stats/monthly?month={month}", sup),
        "GET /api/reports/monthly": (f"/api/reports/monthly?month={month}", sup),
        "GET /api/exports/cases.csv": (f"/api/exports/cases.csv?month={month}", sup),
        "GET /api/exports/calls.csv": (f"/api/exports/calls.csv?month={month}", sup),
        "GET /open311/v2/services.json": ("/open311/v2/services.json", None),
        "GET /open311/v2/requests.json": ("/open311/v2/requests.json", None),
        "GET /open311/v2/requests/{id}.json": (
            f"/open311/v2/requests/{report['reference']}.json",
            None,
        ),
        "GET /api/public/categories": ("/api/public/categories", None),
        "GET /api/public/similar": (
            f"/api/public/similar?category=KECELAKAAN_LALU_LINTAS&lat={HERE[0]}&lon={HERE[1]}",
            None,
        ),
        "GET /api/public/cases/{ref}": (f"/api/public/cases/{report['reference']}", token),
        "GET /api/geography (public map)": ("/api/geography", None),
    }
    for name, (path, headers) in reads.items():
        r, on_primary, on_standby = await _count(pair, client.get(path, headers=headers))
        assert r.status_code == 200, (name, r.text)
        assert [s for s in on_primary if SESSION_CHECK not in s] == [], (name, on_primary)
        assert _queries(on_standby), (name, on_standby)
        assert _begins_read_only(on_standby[0]), (name, on_standby)
        figures[name] = (len(on_primary), len(_queries(on_standby)))
    # The report is on the map, in the statistics and in Open311: the standby has it all.
    r = await client.get(f"/open311/v2/requests/{report['reference']}.json")
    assert r.json()[0]["service_request_id"] == report["reference"]
    r = await client.get("/api/cases.geojson?bbox=" + BBOX, headers=disp)
    assert case["id"] in {f["id"] for f in r.json()["features"]}

    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json()["replica"]["status"] == "up"
    assert r.json()["replica"]["lag_s"] < 5
    assert not {"replica_down", "replica_lagging"} & set(r.json()["reasons"])

    print("\nstatements per request (primary, standby; BEGIN/COMMIT not counted):")
    for name, (p, s) in figures.items():
        print(f"  {name}: primary {p}, standby {s}")
    print(f"standby replayed the paused WAL in {replayed_in:.2f} s")
    print(f"test body: {time.monotonic() - began:.1f} s")


# A few reads of each kind, for the tests below.
SOME_READS = {
    "map layer": ("/api/cases.geojson?bbox=" + BBOX, "dispatcher"),
    "statistics": ("/api/stats/cases", "supervisor"),
    "Open311": ("/open311/v2/services.json", None),
    "public": ("/api/public/categories", None),
}


async def _sign_in(client: Client) -> dict[str, dict[str, str]]:
    return {user: await login(client, user) for _, user in SOME_READS.values() if user}


async def _some_reads(
    pair: Pair, client: Client, signed_in: dict[str, dict[str, str]]
) -> dict[str, tuple[list[str], list[str]]]:
    """Each read of :data:`SOME_READS` (200 asserted): the statements of each node, but the
    primary's staff session checks."""
    out = {}
    for name, (path, user) in SOME_READS.items():
        headers = signed_in[user] if user else None
        r, on_primary, on_standby = await _count(pair, client.get(path, headers=headers))
        assert r.status_code == 200, (name, r.text)
        out[name] = ([s for s in on_primary if SESSION_CHECK not in s], on_standby)
    return out


async def _ready_until(client: Client, done: Any, what: str, timeout: float = 15.0) -> Any:
    """Poll readiness until ``done(body)``; the body."""
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get("/health/ready")
        assert r.status_code == 200, r.text
        if done(r.json()):
            return r.json()
        assert time.monotonic() < deadline, f"readiness never said {what}: {r.json()}"
        await asyncio.sleep(0.1)


async def test_a_standby_lagging_past_the_threshold_is_passed_over_and_readiness_says_so(
    pair: Pair, settings: Settings
) -> None:
    async with api(pair, settings, replica_max_lag_seconds=1) as client:
        users = await _sign_in(client)
        before = _fallbacks("lagging")
        pair.pause_replay()
        try:
            # A write the standby receives but does not replay: it falls behind.
            await login(client, "operator")
            began = time.monotonic()
            body = await _ready_until(
                client, lambda b: "replica_lagging" in b["reasons"], "replica_lagging"
            )
            seen_after, lag = time.monotonic() - began, body["replica"]["lag_s"]
            assert body["status"] == "degraded" and body["replica"]["status"] == "up"
            assert body["replica"]["lag_s"] >= 1 and body["replica"]["max_lag_s"] == 1.0
            for name, (on_primary, on_standby) in (await _some_reads(pair, client, users)).items():
                # The standby answered the probe only; the primary read it all.
                assert _queries(on_primary), (name, on_primary)
                assert not [s for s in _queries(on_standby) if "pg_is_in_recovery" not in s]
            assert _fallbacks("lagging") - before >= len(SOME_READS)
        finally:
            pair.resume_replay()
        pair.wait_replayed()
        await _ready_until(
            client, lambda b: "replica_lagging" not in b["reasons"], "the lag was gone"
        )
        for name, (on_primary, on_standby) in (await _some_reads(pair, client, users)).items():
            assert on_primary == [] and _queries(on_standby), (name, on_primary, on_standby)
    print(f"\nreplay paused: readiness said replica_lagging after {seen_after:.1f} s (lag {lag} s)")


async def test_with_the_standby_stopped_reads_answer_from_the_primary_until_it_is_back(
    pair: Pair, client: Client
) -> None:
    users = await _sign_in(client)
    assert all(
        on_primary == [] for on_primary, _ in (await _some_reads(pair, client, users)).values()
    )
    before = _fallbacks("unreachable")
    pair.standby.stop("fast")
    try:
        began = time.monotonic()
        for name, (on_primary, on_standby) in (await _some_reads(pair, client, users)).items():
            assert on_standby == [] and _queries(on_primary), (name, on_primary)
        answered_in = time.monotonic() - began
        assert _fallbacks("unreachable") - before >= len(SOME_READS)
        body = await _ready_until(client, lambda b: True, "anything")
        assert body["status"] == "degraded" and "replica_down" in body["reasons"], body
        assert body["replica"] == {"status": "down", "lag_s": None, "max_lag_s": 5.0}
    finally:
        pair.standby.start()
    # Back: after the retry pause, reads go to the standby again, and readiness says so.
    back = time.monotonic()
    reasons = ("unreachable", "lagging")
    counted = [_fallbacks(r) for r in reasons]
    await _ready_until(client, lambda b: b["replica"]["status"] == "up", "the replica is up")
    deadline = time.monotonic() + 20
    while any(on_primary for on_primary, _ in (await _some_reads(pair, client, users)).values()):
        assert time.monotonic() < deadline, "reads never went back to the standby"
        await asyncio.sleep(0.2)
    meanwhile = {r: int(_fallbacks(r) - n) for r, n in zip(reasons, counted, strict=True)}
    print(
        f"\nstandby stopped: {len(SOME_READS)} reads answered by the primary in "
        f"{answered_in:.2f} s; reads back on the restarted standby after "
        f"{time.monotonic() - back:.1f} s (reads on the primary meanwhile: {meanwhile})"
    )
