"""The statistics API reproduces the figures Kendari published (api/seed_data/call-stats.csv)."""

from __future__ import annotations

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import login
from tests.support.stats_data import (
    PeriodFacts,
    dsn,
    facts,
    load_call_facts,
    load_ticket_facts,
    read_call_stats,
)

Client = AsyncTestClient[Litestar]

WITH_CALLS = [f for f in read_call_stats() if f.calls_total and f.calls_valid is not None]


async def _load(database_url: str, f: PeriodFacts, per_agency: dict | None = None) -> None:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        async with conn.transaction():
            if f.calls_total:
                await load_call_facts(conn, f)
            if f.tickets_created:
                await load_ticket_facts(conn, f, per_agency)
    finally:
        await conn.close()


async def test_november_2025_gives_3218_calls_2527_valid_79_percent(
    client: Client, database_url: str
) -> None:
    nov = facts("2025-11")
    await _load(database_url, nov)
    auth = await login(client, "supervisor")

    r = await client.get("/api/stats/calls", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    h = body["headline"]
    assert h["total"]["value"] == 3218
    assert h["valid"]["value"] == 2527
    assert h["valid_percent"]["value"] == 79
    assert h["valid_ratio"]["value"] == 0.7853
    assert h["prank_or_ghost"]["value"] == 691
    assert body["by_class"]["total"] == 3218
    assert sum(d["total"] for d in body["by_day"]) == 3218
    assert sum(x["total"] for x in body["by_hour"]) == 3218
    assert body["by_day"][0]["date"] == "2025-11-01"
    assert len(body["by_day"]) == 30
    assert body["period"] == {
        "kind": "month",
        "label": "2025-11",
        "from": "2025-11-01",
        "to": "2025-11-30",
        "start": "2025-10-31T16:00:00Z",
        "end": "2025-11-30T16:00:00Z",
        "days": 30,
        "timezone": "Asia/Makassar",
    }
    assert body["source"] == "rollup"

    r = await client.get("/api/stats/cases", params={"month": "2025-11"}, headers=auth)
    assert r.json()["headline"]["created"]["value"] == 118

    r = await client.get("/api/stats/monthly", params={"month": "2025-11"}, headers=auth)
    m = r.json()
    assert m["calls"]["received"] == 3218
    assert m["calls"]["valid"] == 2527
    assert m["calls"]["valid_percent"] == 79
    assert m["calls"]["prank_or_ghost"] == 691
    assert m["tickets"]["created"] == 118


@pytest.mark.parametrize("f", WITH_CALLS, ids=[f.period for f in WITH_CALLS])
async def test_every_published_period_is_reproduced(
    client: Client, database_url: str, f: PeriodFacts
) -> None:
    await _load(database_url, f)
    auth = await login(client, "supervisor")
    r = await client.get(
        "/api/stats/monthly" if "month" in f.query else "/api/stats/calls",
        params=f.query,
        headers=auth,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    if "month" in f.query:
        calls = body["calls"]
        assert calls["received"] == f.calls_total
        assert calls["valid"] == f.calls_valid
        assert calls["prank_or_ghost"] == (f.prank_or_ghost or 0)
        assert body["tickets"]["created"] == (f.tickets_created or 0)
        if f.tickets_finished is not None:
            assert body["tickets"]["selesai"] == f.tickets_finished
    else:
        h = body["headline"]
        assert h["total"]["value"] == f.calls_total
        assert h["valid"]["value"] == f.calls_valid
        assert h["prank_or_ghost"]["value"] == f.prank_or_ghost


async def test_january_2026_tickets_per_agency_match_the_press(
    client: Client, database_url: str
) -> None:
    """ "Valid 76%; DLHK finished 8/57, Dishub 24/62, BPBD 23/25" (289 tickets, 169 finished)."""
    jan = facts("2026-01")
    await _load(database_url, jan, {"DLHK": (57, 8), "DISHUB": (62, 24), "BPBD": (25, 23)})
    auth = await login(client, "supervisor")
    r = await client.get("/api/stats/monthly", params={"month": "2026-01"}, headers=auth)
    body = r.json()
    assert body["calls"]["received"] == 4336
    assert body["calls"]["valid_percent"] == 76
    assert body["tickets"]["created"] == 289
    assert body["tickets"]["selesai"] == 169
    rows = {a["code"]: a for a in body["agencies"]}
    assert (rows["DLHK"]["selesai"], rows["DLHK"]["created"]) == (8, 57)
    assert (rows["DISHUB"]["selesai"], rows["DISHUB"]["created"]) == (24, 62)
    assert (rows["BPBD"]["selesai"], rows["BPBD"]["created"]) == (23, 25)
    for a in rows.values():
        assert a["selesai"] + a["dalam_proses"] + a["belum_ditindaklanjuti"] == a["created"]
    # The previous month has no data in this database: its figures are zeros, not errors.
    assert body["calls"]["previous_received"] == 0
    assert body["calls"]["previous_valid_percent"] is None
