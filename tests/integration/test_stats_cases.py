"""Case statistics: response times from hand-made timelines, SLA, overdue, scoping, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.domain.stats import SLA_STAGES, compliance, sla_outcome
from tests.conftest import Clock, login
from tests.support.stats_data import (
    WITA,
    CaseSpec,
    Reference,
    dsn,
    insert_calls,
    insert_cases,
    insert_ratings,
    reference,
    wita,
)

Client = AsyncTestClient[Litestar]


@pytest_asyncio.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn(database_url))
    yield conn
    await conn.close()


def timeline(created: datetime, *steps: tuple[str, float]) -> list[tuple[str, datetime]]:
    return [("created", created)] + [(k, created + timedelta(minutes=m)) for k, m in steps]


# ----------------------------------------------------------- response times
async def test_response_times_are_medians_and_p90_of_the_timeline(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 10, 9, 0)
    specs = [
        CaseSpec(
            "DLHK",
            t0,
            "closed",
            timeline(t0, ("dispatched", 2), ("accepted", 5), ("on_scene", 20), ("resolved", 60)),
        ),
        CaseSpec(
            "DLHK",
            t0 + timedelta(hours=1),
            "resolved",
            timeline(
                t0 + timedelta(hours=1),
                ("dispatched", 4),
                ("accepted", 10),
                ("on_scene", 40),
                ("resolved", 120),
            ),
        ),
        CaseSpec(
            "DLHK",
            t0 + timedelta(hours=2),
            "closed",
            timeline(
                t0 + timedelta(hours=2),
                ("dispatched", 6),
                ("accepted", 15),
                ("on_scene", 30),
                ("resolved", 90),
            ),
        ),
        CaseSpec(
            "DLHK",
            t0 + timedelta(hours=3),
            "accepted",
            timeline(t0 + timedelta(hours=3), ("dispatched", 1), ("accepted", 3)),
        ),
        # Returned once and dispatched again: the case's own columns hold the second cycle
        # (accepted after 35 min) but the timeline's first acceptance, after 12 min, counts.
        CaseSpec(
            "DLHK",
            t0 + timedelta(hours=4),
            "resolved",
            timeline(
                t0 + timedelta(hours=4),
                ("dispatched", 10),
                ("accepted", 12),
                ("returned", 20),
                ("dispatched", 30),
                ("accepted", 35),
                ("on_scene", 50),
                ("resolved", 100),
            ),
            columns={"accepted_at": t0 + timedelta(hours=4, minutes=35)},
        ),
        CaseSpec("BPBD", t0, "dispatched", timeline(t0, ("dispatched", 3))),
        # No "created" event (imported before the timeline existed): no response times.
        CaseSpec(
            "BPBD",
            t0,
            "dispatched",
            [("dispatched", t0 + timedelta(minutes=1))],
        ),
        # Previous month.
        CaseSpec(
            "DLHK",
            wita(2025, 10, 15, 8),
            "dispatched",
            timeline(wita(2025, 10, 15, 8), ("dispatched", 7)),
        ),
        # Next month: outside the period.
        CaseSpec(
            "DLHK",
            wita(2025, 12, 1, 0, 30),
            "dispatched",
            timeline(wita(2025, 12, 1, 0, 30), ("dispatched", 99)),
        ),
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    r = await client.get("/api/stats/response-times", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {row["key"]["code"]: row for row in body["rows"]}
    d = rows["DLHK"]
    # dispatch [1, 2, 4, 6, 10] min, accept [3, 5, 10, 12, 15], arrive [20, 30, 40, 50],
    # resolve [60, 90, 100, 120]; p90 interpolates: 6 + 0.6 * (10 - 6) = 8.4 min, etc.
    assert d["dispatch"] == {"n": 5, "median_s": 240.0, "p90_s": 504.0, "estimated": False}
    assert d["accept"] == {"n": 5, "median_s": 600.0, "p90_s": 828.0, "estimated": False}
    assert d["arrive"] == {"n": 4, "median_s": 2100.0, "p90_s": 2820.0, "estimated": False}
    assert d["resolve"] == {"n": 4, "median_s": 5700.0, "p90_s": 6840.0, "estimated": False}
    assert rows["BPBD"]["dispatch"] == {
        "n": 1,
        "median_s": 180.0,
        "p90_s": 180.0,
        "estimated": False,
    }
    assert rows["BPBD"]["accept"] == {"n": 0, "median_s": None, "p90_s": None, "estimated": False}
    # Overall dispatch [1, 2, 3, 4, 6, 10]: median 3.5 min, p90 6 + 0.5 * 4 = 8 min.
    h = body["headline"]["dispatch"]
    assert (h["n"], h["median_s"], h["p90_s"]) == (6, 210.0, 480.0)
    assert (h["previous_n"], h["previous_median_s"]) == (1, 420.0)
    # A month of 8 cases is far under TANGGAP_STATS_ESTIMATE_ABOVE: every figure is exact.
    assert not h["estimated"] and not h["previous_estimated"]
    assert body["stage_events"] == {
        "created": "created",
        "dispatch": "dispatched",
        "accept": "accepted",
        "arrive": "on_scene",
        "resolve": "resolved",
    }
    assert d["cases_filter"]["agency_id"] == rows["DLHK"]["key"]["id"]
    assert d["cases_filter"]["created_from"] == "2025-10-31T16:00:00+00:00"


# ---------------------------------------------------------------------- SLA
async def test_sla_compliance_follows_the_domain_rule_per_agency_and_category(
    client: Client, pg: asyncpg.Connection, clock: Clock
) -> None:
    ref = await reference(pg)
    now = clock.now
    cat = ref.agency_category[ref.agencies["DLHK"]]
    _, _, _, acc, arr, res = ref.categories[cat]
    old = now - timedelta(minutes=res + 60)  # every deadline has passed
    fresh = now - timedelta(minutes=1)  # no deadline has passed yet
    specs = [
        # met accept, met arrive, met resolve
        CaseSpec(
            "DLHK",
            old,
            "closed",
            timeline(
                old, ("dispatched", 1), ("accepted", acc), ("on_scene", arr), ("resolved", res)
            ),
        ),
        # late acceptance, then nothing more: open and overdue on arrive and resolve
        CaseSpec("DLHK", old, "accepted", timeline(old, ("dispatched", 1), ("accepted", acc + 1))),
        # nothing at all, overdue on every stage
        CaseSpec("DLHK", old, "new", timeline(old)),
        # resolved by the control room without a team: only resolve counts
        CaseSpec("DLHK", old, "resolved", timeline(old, ("resolved", 5))),
        # pending on every stage
        CaseSpec("DLHK", fresh, "new", timeline(fresh)),
        # voided: does not count
        CaseSpec("DLHK", old, "cancelled", timeline(old, ("accepted", 1))),
        # another agency
        CaseSpec(
            "BPBD", old, "closed", timeline(old, ("accepted", 1), ("on_scene", 2), ("resolved", 3))
        ),
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    today = now.astimezone(WITA).date()
    first = min(old, fresh).astimezone(WITA).date()
    params = {"from": first.isoformat(), "to": today.isoformat()}
    r = await client.get("/api/stats/sla", params=params, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {row["key"]["code"]: row for row in body["rows"]}
    d = rows["DLHK"]
    assert d["accept"] == {
        "met": 1,
        "missed": 2,
        "pending": 1,
        "compliance": 0.3333,
        "compliance_percent": 33,
    }
    assert (d["arrive"]["met"], d["arrive"]["missed"], d["arrive"]["pending"]) == (1, 2, 1)
    assert (d["resolve"]["met"], d["resolve"]["missed"], d["resolve"]["pending"]) == (2, 2, 1)
    assert rows["BPBD"]["all"]["compliance"] == 1.0

    # The same numbers from the pure rule, stage by stage, case by case.
    for code in ("DLHK", "BPBD"):
        for stage in SLA_STAGES:
            outcomes = []
            for s in specs:
                if s.agency_code != code:
                    continue
                first_ev = {}
                for kind, at in s.events:
                    first_ev.setdefault(kind, at)
                moment = first_ev.get(
                    {"accept": "accepted", "arrive": "on_scene", "resolve": "resolved"}[stage]
                )
                minutes = {"accept": acc, "arrive": arr, "resolve": res}[stage]
                if code != "DLHK":
                    bcat = ref.agency_category[ref.agencies[code]]
                    minutes = ref.categories[bcat][3 + SLA_STAGES.index(stage)]
                deadline = s.created_at + timedelta(minutes=minutes)
                outcomes.append(sla_outcome(moment, deadline, s.status, now))
            got = rows[code][stage]
            assert got["met"] == outcomes.count("met"), (code, stage)
            assert got["missed"] == outcomes.count("missed"), (code, stage)
            assert got["pending"] == outcomes.count("pending"), (code, stage)
            assert got["compliance"] == compliance(got["met"], got["missed"])

    r = await client.get("/api/stats/sla", params={**params, "group_by": "category"}, headers=auth)
    by_cat = {row["key"]["code"]: row for row in r.json()["rows"]}
    assert by_cat[cat]["accept"]["met"] == 1
    assert r.json()["overall"]["accept"]["met"] == 2


async def test_sla_overall_row_is_the_same_whatever_the_grouping(
    client: Client, pg: asyncpg.Connection, clock: Clock
) -> None:
    """Per key the SLA table is one hash pass and its overall row the keys' sum: the sum must
    equal the ungrouped figure for every grouping, cases without a kecamatan included, and an
    empty period still has an overall row of zeros."""
    ref = await reference(pg)
    now = clock.now
    old = now - timedelta(days=3)
    fresh = now - timedelta(minutes=1)
    area = next(iter(ref.areas))
    specs = [
        CaseSpec("DLHK", old, "closed", timeline(old, ("accepted", 1), ("resolved", 9_000))),
        CaseSpec("DLHK", old, "new", timeline(old), area_name=area),
        CaseSpec("BPBD", fresh, "dispatched", timeline(fresh, ("dispatched", 0.5))),
        CaseSpec("BPBD", old, "invalid", timeline(old)),
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    today = now.astimezone(WITA).date()
    params = {"from": old.astimezone(WITA).date().isoformat(), "to": today.isoformat()}
    overall = None
    for dim in ("agency", "category", "area", "priority"):
        r = await client.get("/api/stats/sla", params={**params, "group_by": dim}, headers=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        overall = overall or body["overall"]
        assert body["overall"] == {**overall, "key": None}, dim
        for stage in ("accept", "arrive", "resolve"):
            for field in ("met", "missed", "pending"):
                assert sum(row[stage][field] for row in body["rows"]) == overall[stage][field]
    assert overall is not None
    assert overall["accept"]["met"] + overall["accept"]["missed"] >= 2
    empty = {"from": "2020-01-01", "to": "2020-01-31", "group_by": "category"}
    r = await client.get("/api/stats/sla", params=empty, headers=auth)
    assert r.json()["rows"] == []
    assert r.json()["overall"]["all"] == {
        "met": 0,
        "missed": 0,
        "pending": 0,
        "compliance": None,
        "compliance_percent": None,
    }


# ----------------------------------------------------------------- overdue
async def test_overdue_now_counts_what_the_case_list_drill_down_shows(
    client: Client, pg: asyncpg.Connection, clock: Clock
) -> None:
    now = clock.now
    old = now - timedelta(days=2)
    fresh = now - timedelta(seconds=30)
    specs = [
        CaseSpec("DLHK", old, "new", timeline(old)),
        CaseSpec("DLHK", old, "dispatched", timeline(old, ("dispatched", 1))),
        CaseSpec("DLHK", fresh, "new", timeline(fresh)),
        CaseSpec("DLHK", old, "closed", timeline(old, ("resolved", 1), ("closed", 2))),
        CaseSpec("BPBD", old, "new", timeline(old)),
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    r = await client.get("/api/stats/cases", headers=auth)
    body = r.json()
    assert body["headline"]["overdue_now"] == 3
    rows = {row["key"]["code"]: row for row in body["rows"]}
    assert rows["DLHK"]["overdue_now"] == 2
    for code in ("DLHK", "BPBD"):
        f = body["overdue_filter"] | {"agency_id": rows[code]["key"]["id"]}
        listed = await client.get("/api/cases", params={**f, "limit": 200}, headers=auth)
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == rows[code]["overdue_now"]
    # The status words' drill-down lists exactly the cases counted in each column.
    dl = rows["DLHK"]
    for word in ("belum_ditindaklanjuti", "dalam_proses", "selesai"):
        params = {**dl["cases_filter"], "status": body["status_filters"][word], "limit": 200}
        listed = await client.get("/api/cases", params=params, headers=auth)
        assert len(listed.json()["items"]) == dl[word], word


# --------------------------------------------------------- statuses, ratings
async def test_cases_by_the_citizens_three_words_with_ratings_and_days(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 30, 23, 30)  # last day of the month, late evening
    specs = [
        CaseSpec("DLHK", t0, "new", timeline(t0)),
        CaseSpec("DLHK", t0, "returned", timeline(t0)),
        CaseSpec("DLHK", t0, "on_scene", timeline(t0, ("dispatched", 1))),
        CaseSpec("DLHK", wita(2025, 11, 1, 0, 0), "closed", [], ratings=[5, 4]),
        CaseSpec("DLHK", wita(2025, 11, 2), "cancelled", []),
        CaseSpec("BPBD", wita(2025, 11, 2), "resolved", [], ratings=[2]),
        CaseSpec("BPBD", wita(2025, 12, 1, 0, 30), "new", []),  # next month in city time
        CaseSpec("BPBD", wita(2025, 10, 31, 23, 59), "new", []),  # previous month
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    r = await client.get("/api/stats/cases", params={"month": "2025-11"}, headers=auth)
    body = r.json()
    h = body["headline"]
    assert h["created"] == {"value": 6, "previous": 1}
    assert h["belum_ditindaklanjuti"]["value"] == 2
    assert h["dalam_proses"]["value"] == 1
    assert h["selesai"]["value"] == 3
    assert h["finished_percent"]["value"] == 50
    assert h["ratings"]["value"] == 3
    assert h["rating_average"]["value"] == 3.67
    assert body["ratings"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert body["by_status"]["cancelled"] == 1
    days = {d["date"]: d for d in body["by_day"]}
    assert days["2025-11-30"]["created"] == 3
    assert days["2025-11-01"]["selesai"] == 1
    rows = {row["key"]["code"]: row for row in body["rows"]}
    assert (rows["DLHK"]["created"], rows["DLHK"]["selesai"], rows["DLHK"]["void"]) == (5, 2, 1)
    assert rows["DLHK"]["ratings"]["average"] == 4.5
    assert body["status_filters"]["belum_ditindaklanjuti"] == "new,returned,reopened"

    r = await client.get(
        "/api/stats/cases", params={"month": "2025-12", "group_by": "priority"}, headers=auth
    )
    assert r.json()["headline"]["created"]["value"] == 1
    assert {row["key"]["code"] for row in r.json()["rows"]} <= {"P1", "P2", "P3"}

    # Ratings change after the fact: the rollup follows.
    cid = specs[5].id
    await insert_ratings(pg, [(cid, 5, "", wita(2025, 11, 3))])
    r = await client.get("/api/stats/cases", params={"month": "2025-11"}, headers=auth)
    assert r.json()["headline"]["ratings"]["value"] == 4


async def test_calls_at_the_edges_of_the_month_fall_in_city_time(
    client: Client, pg: asyncpg.Connection
) -> None:
    await insert_calls(
        pg,
        [
            (wita(2025, 11, 1, 0, 0), "valid", "+6281100000001"),
            (wita(2025, 11, 30, 23, 30), "prank", "+6281100000002"),
            (wita(2025, 11, 30, 23, 59, 59), "prank", "+6281100000002"),
            (wita(2025, 12, 1, 0, 30), "ghost", None),  # 16:30 UTC on 30 November
            (wita(2025, 10, 31, 23, 59, 59), "valid", "+6281100000003"),
        ],
    )
    auth = await login(client, "supervisor")
    nov = (await client.get("/api/stats/calls", params={"month": "2025-11"}, headers=auth)).json()
    assert nov["by_class"]["total"] == 3
    assert nov["by_class"]["prank"] == 2 and nov["by_class"]["ghost"] == 0
    assert nov["by_hour"][23]["prank"] == 2
    assert nov["by_hour"][0]["valid"] == 1
    assert nov["by_day"][-1]["date"] == "2025-11-30" and nov["by_day"][-1]["prank"] == 2
    assert nov["headline"]["total"] == {"value": 3, "previous": 1}
    assert nov["repeated_prank_numbers"][0]["number"] == "+6281100000002"
    assert nov["repeated_prank_numbers"][0]["calls"] == 2
    dec = (await client.get("/api/stats/calls", params={"month": "2025-12"}, headers=auth)).json()
    assert dec["by_class"]["ghost"] == 1 and dec["by_class"]["total"] == 1
    assert dec["by_hour"][0]["ghost"] == 1
    assert dec["by_day"][0]["date"] == "2025-12-01" and dec["by_day"][0]["ghost"] == 1
    day = await client.get("/api/stats/calls", params={"day": "2025-11-30"}, headers=auth)
    assert day.json()["by_class"]["total"] == 2
    week = await client.get("/api/stats/calls", params={"week": "2025-W48"}, headers=auth)
    assert week.json()["period"]["from"] == "2025-11-24"
    assert week.json()["by_class"]["total"] == 2


# ----------------------------------------------------------------- hot spots
async def test_hotspots_are_geojson_points_weighted_by_count(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 5, 10)
    specs = [
        CaseSpec("DLHK", t0, "new", [], lon=122.5101, lat=-3.9701, area_name="Kadia"),
        CaseSpec("DLHK", t0, "new", [], lon=122.5102, lat=-3.9702, area_name="Kadia"),
        CaseSpec("BPBD", t0, "closed", [], lon=122.6000, lat=-4.0300, area_name="Abeli"),
    ]
    await insert_cases(pg, specs)
    auth = await login(client, "supervisor")
    r = await client.get("/api/stats/hotspots", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    counts = sorted(f["properties"]["count"] for f in fc["features"])
    assert counts == [1, 2]
    top = fc["features"][0]
    west, south, east, north = top["properties"]["cell"]
    lon, lat = top["geometry"]["coordinates"]
    assert west <= 122.5101 <= east and south <= -3.9701 <= north
    assert lon == pytest.approx((west + east) / 2, abs=1e-6)
    assert lat == pytest.approx((south + north) / 2, abs=1e-6)
    assert fc["meta"]["total"] == 3 and fc["meta"]["cell_m"] == 500

    r = await client.get(
        "/api/stats/hotspots", params={"month": "2025-11", "by": "area"}, headers=auth
    )
    features = {f["properties"]["name"]: f for f in r.json()["features"]}
    assert features["Kadia"]["properties"]["count"] == 2
    assert features["Kadia"]["geometry"]["coordinates"] == [122.515, -3.995]
    r = await client.get(
        "/api/stats/hotspots", params={"month": "2025-11", "open_only": "true"}, headers=auth
    )
    assert r.json()["meta"]["total"] == 2


# ------------------------------------------------------------------ access
async def test_coordinators_see_their_agency_only_and_no_call_figures(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 5, 10)
    await insert_cases(pg, [CaseSpec("DLHK", t0, "new", []), CaseSpec("BPBD", t0, "new", [])])
    ref: Reference = await reference(pg)
    auth = await login(client, "koordinator.dlhk")
    r = await client.get("/api/stats/cases", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200
    assert [row["key"]["code"] for row in r.json()["rows"]] == ["DLHK"]
    assert r.json()["headline"]["created"]["value"] == 1
    assert r.json()["cases_filter"]["agency_id"] == ref.agencies["DLHK"]
    r = await client.get(
        "/api/stats/cases",
        params={"month": "2025-11", "agency_id": ref.agencies["BPBD"]},
        headers=auth,
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    for path in ("/api/stats/calls", "/api/exports/calls.csv"):
        assert (await client.get(path, headers=auth)).status_code == 403
    r = await client.get("/api/stats/monthly", params={"month": "2025-11"}, headers=auth)
    assert r.json()["calls"] is None and r.json()["tickets"]["created"] == 1


@pytest.mark.parametrize("username", ["operator", "petugas.dlhk"])
async def test_operators_and_field_officers_cannot_read_statistics(
    client: Client, username: str
) -> None:
    auth = await login(client, username)
    for path in (
        "/api/stats/calls",
        "/api/stats/cases",
        "/api/stats/response-times",
        "/api/stats/sla",
        "/api/stats/hotspots",
        "/api/stats/monthly",
        "/api/exports/cases.csv",
        "/api/reports/monthly",
    ):
        r = await client.get(path, headers=auth)
        assert r.status_code == 403, path


async def test_dispatchers_and_admins_read_the_whole_city(client: Client) -> None:
    for username in ("dispatcher", "admin"):
        auth = await login(client, username)
        for path in ("/api/stats/calls", "/api/stats/cases", "/api/stats/sla"):
            assert (await client.get(path, headers=auth)).status_code == 200, (username, path)
    assert (await client.get("/api/stats/cases")).status_code == 401


BAD_FILTERS = [
    ({"month": "2025-13"}, "stats_month_invalid"),
    ({"month": "nov"}, "stats_month_invalid"),
    ({"week": "2025-W60"}, "stats_week_invalid"),
    ({"from": "2025-11-10", "to": "2025-11-01"}, "stats_period_order"),
    ({"from": "2025-11-01", "to": "2025-12-02"}, "stats_period_too_long"),
    ({"month": "2025-11", "day": "2025-11-03"}, "stats_period_conflict"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "stats_period_out_of_range"),
    ({"agency_id": "999999"}, "unknown_reference"),
    ({"category_id": "999999"}, "unknown_reference"),
    ({"area_id": "999999"}, "unknown_reference"),
    ({"agency_id": "99999999999"}, "validation_failed"),
    ({"agency_id": "abc"}, "validation_failed"),
    ({"priority": "P9"}, "validation_failed"),
    ({"day": "2025-02-30"}, "validation_failed"),
    ({"group_by": "team"}, "validation_failed"),
]


async def test_bad_filters_are_400_problems(client: Client) -> None:
    auth = await login(client, "supervisor")
    for params, code in BAD_FILTERS:
        # Exports take no group_by and may cover a year.
        exportable = "group_by" not in params and code != "stats_period_too_long"
        paths = ["/api/stats/cases"] + (["/api/exports/cases.csv"] if exportable else [])
        for path in paths:
            r = await client.get(path, params=params, headers=auth)
            assert r.status_code == 400, (path, params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == code, (path, params)


async def test_exports_may_cover_a_year_but_statistics_a_month(client: Client) -> None:
    auth = await login(client, "supervisor")
    year = {"from": "2025-01-01", "to": "2025-12-31"}
    assert (
        await client.get("/api/exports/cases.csv", params=year, headers=auth)
    ).status_code == 200
    assert (await client.get("/api/stats/cases", params=year, headers=auth)).status_code == 400
    longer = {"from": "2024-12-30", "to": "2025-12-31"}  # 367 days
    r = await client.get("/api/exports/calls.csv", params=longer, headers=auth)
    assert r.status_code == 400 and r.json()["code"] == "stats_period_too_long"


async def test_period_errors_are_explained_in_indonesian_or_english(client: Client) -> None:
    auth = await login(client, "supervisor")
    params = {"from": "2024-01-01", "to": "2025-06-30"}
    r = await client.get("/api/stats/calls", params=params, headers=auth)
    assert r.json()["detail"] == "Periode paling panjang 31 hari."
    r = await client.get(
        "/api/stats/calls", params=params, headers={**auth, "Accept-Language": "en"}
    )
    assert r.json()["detail"] == "A period can be at most 31 days long."
    r = await client.get(
        "/api/stats/monthly", params={"from": "2025-11-01", "to": "2025-11-30"}, headers=auth
    )
    assert r.status_code == 400 and r.json()["code"] == "stats_month_required"
