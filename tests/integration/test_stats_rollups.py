"""The rollups never disagree with the raw tables, whatever is written and however."""

from __future__ import annotations

import asyncio
import os
import random
import re
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import stats as q
from api.db import stats_calls, stats_sla
from api.db.session import make_engine, make_sessionmaker
from api.db.stats import CaseFilter
from api.domain.stats import month_period, previous_period
from api.domain.vocabulary import OPEN
from api.services import stats as svc
from tests.conftest import Server, login
from tests.support.processes import run_cli
from tests.support.stats_data import (
    WITA,
    CaseSpec,
    dsn,
    insert_calls,
    insert_cases,
    spread,
    utc,
    wita,
)

Client = AsyncTestClient[Litestar]

# What each rollup must hold, computed from scratch from the raw tables.
EXPECTED_CALL_HOURS = """
    SELECT date_trunc('hour', started_at, 'UTC') AS bucket,
           coalesce(class, 'unclassified') AS class, count(*)::int AS calls
    FROM calls GROUP BY 1, 2
"""
EXPECTED_CASES = """
    SELECT c.id AS case_id, c.created_at, c.agency_id, c.category_id, c.area_id, c.priority,
           c.status, ST_X(c.location::geometry) AS lon, ST_Y(c.location::geometry) AS lat,
           c.accept_by, c.arrive_by, c.resolve_by,
           (SELECT min(at) FROM case_events e WHERE e.case_id = c.id AND kind = 'created')
               AS opened_at,
           (SELECT min(at) FROM case_events e WHERE e.case_id = c.id AND kind = 'dispatched')
               AS dispatched_at,
           (SELECT min(at) FROM case_events e WHERE e.case_id = c.id AND kind = 'accepted')
               AS accepted_at,
           (SELECT min(at) FROM case_events e WHERE e.case_id = c.id AND kind = 'on_scene')
               AS arrived_at,
           (SELECT min(at) FROM case_events e WHERE e.case_id = c.id AND kind = 'resolved')
               AS resolved_at,
           (SELECT count(*) FROM case_ratings r WHERE r.case_id = c.id AND score = 1)::int,
           (SELECT count(*) FROM case_ratings r WHERE r.case_id = c.id AND score = 2)::int,
           (SELECT count(*) FROM case_ratings r WHERE r.case_id = c.id AND score = 3)::int,
           (SELECT count(*) FROM case_ratings r WHERE r.case_id = c.id AND score = 4)::int,
           (SELECT count(*) FROM case_ratings r WHERE r.case_id = c.id AND score = 5)::int
    FROM cases c
"""
ROLLUP_CASES = """
    SELECT case_id, created_at, agency_id, category_id, area_id, priority, status, lon, lat,
           accept_by, arrive_by, resolve_by, opened_at, dispatched_at, accepted_at, arrived_at,
           resolved_at, rating_1, rating_2, rating_3, rating_4, rating_5
    FROM stats_cases
"""

# The day counts, from the per-case rows (themselves checked against the raw tables), in the
# zone stats_settings names; combinations whose cases all moved on are rows of zeros.
EXPECTED_CASE_DAYS = """
    SELECT (created_at AT TIME ZONE (SELECT timezone FROM stats_settings))::date AS day,
           agency_id, category_id, area_id, priority, status, count(*)::int AS cases,
           sum(rating_1)::int, sum(rating_2)::int, sum(rating_3)::int, sum(rating_4)::int,
           sum(rating_5)::int,
           count(*) FILTER (WHERE accepted_at <= accept_by)::int,
           count(*) FILTER (WHERE accepted_at > accept_by)::int,
           count(*) FILTER (WHERE arrived_at <= arrive_by)::int,
           count(*) FILTER (WHERE arrived_at > arrive_by)::int,
           count(*) FILTER (WHERE resolved_at <= resolve_by)::int,
           count(*) FILTER (WHERE resolved_at > resolve_by)::int
    FROM stats_cases GROUP BY 1, 2, 3, 4, 5, 6
"""
ROLLUP_CASE_DAYS = """
    SELECT day, agency_id, category_id, area_id, priority, status, cases,
           rating_1, rating_2, rating_3, rating_4, rating_5, accept_met, accept_late,
           arrive_met, arrive_late, resolve_met, resolve_late
    FROM stats_case_days
    WHERE cases <> 0
"""


async def assert_rollups_exact(conn: asyncpg.Connection) -> None:
    assert not await conn.fetch(  # nothing below zero; a combination of no cases counts nothing
        "SELECT * FROM stats_case_days WHERE least(cases, rating_1, rating_2, rating_3, "
        "rating_4, rating_5, accept_met, accept_late, arrive_met, arrive_late, resolve_met, "
        "resolve_late) < 0 OR (cases = 0 AND greatest(rating_1, rating_2, rating_3, rating_4, "
        "rating_5, accept_met, accept_late, arrive_met, arrive_late, resolve_met, "
        "resolve_late) > 0)"
    )
    for expected, actual in (
        (EXPECTED_CALL_HOURS, "SELECT bucket, class, calls FROM stats_call_hours"),
        (EXPECTED_CASES, ROLLUP_CASES),
        (EXPECTED_CASE_DAYS, ROLLUP_CASE_DAYS),
    ):
        missing = await conn.fetch(f"({expected}) EXCEPT ALL ({actual})")
        extra = await conn.fetch(f"({actual}) EXCEPT ALL ({expected})")
        assert not missing and not extra, (expected[:40], missing[:3], extra[:3])


@pytest_asyncio.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn(database_url))
    yield conn
    await conn.close()


async def test_rollups_agree_with_raw_tables_after_inserts_updates_and_deletes(
    pg: asyncpg.Connection,
) -> None:
    rng = random.Random(7)
    classes = ["valid", "informasi", "curhat", "prank", "ghost", "wrong_number", None]
    # Bulk COPY, then single-row inserts, several calls in one statement.
    times = spread(date(2025, 10, 25), date(2025, 11, 5), 600)
    await insert_calls(
        pg, [(t, rng.choice(classes), f"+62811{i:07d}") for i, t in enumerate(times)]
    )
    for i in range(20):
        await pg.execute(
            "INSERT INTO calls (number, channel, started_at, class, notes) "
            "VALUES ($1, 'phone', $2, $3, '')",
            "+6281199",
            times[i * 7] + timedelta(minutes=3),
            rng.choice(classes),
        )
    await pg.execute(
        "INSERT INTO calls (channel, started_at, class, notes) "
        "SELECT 'walk_in', $1::timestamptz + g * interval '17 minutes', 'informasi', '' "
        "FROM generate_series(1, 50) g",
        times[100],
    )
    await assert_rollups_exact(pg)
    # Classify the unclassified, reclassify some, move some to another hour, delete some.
    await pg.execute("UPDATE calls SET class = 'valid' WHERE class IS NULL AND id % 2 = 0")
    await pg.execute("UPDATE calls SET class = NULL WHERE class = 'curhat' AND id % 3 = 0")
    await pg.execute(
        "UPDATE calls SET started_at = started_at + interval '59 minutes' WHERE id % 5 = 0"
    )
    await pg.execute("UPDATE calls SET notes = 'x' WHERE id % 7 = 0")  # nothing the stats read
    await pg.execute("DELETE FROM calls WHERE id % 11 = 0")
    await assert_rollups_exact(pg)

    # Cases through the bulk path, then every kind of change to them.
    t0 = wita(2025, 11, 3, 8)
    specs = []
    for i in range(60):
        created = t0 + timedelta(minutes=37 * i)
        events = [("created", created)]
        if i % 4:
            events.append(("dispatched", created + timedelta(minutes=rng.randint(1, 30))))
        if i % 4 > 1:
            events.append(("accepted", created + timedelta(minutes=rng.randint(31, 60))))
        specs.append(
            CaseSpec(
                rng.choice(["DLHK", "BPBD", "DISHUB"]),
                created,
                "dispatched" if i % 4 else "new",
                events,
                ratings=[rng.randint(1, 5)] if i % 5 == 0 else [],
                area_name=rng.choice(["Kadia", "Mandonga", None]),
            )
        )
    ids = await insert_cases(pg, specs)
    await assert_rollups_exact(pg)

    # Later events, one statement each and in bulk; an earlier moment arriving late wins.
    for cid in ids[:10]:
        await pg.execute(
            "INSERT INTO case_events (case_id, kind, at, actor_kind, note, data, public) "
            "SELECT $1, 'on_scene', c.created_at + interval '90 minutes', 'user', '', '{}', true "
            "FROM cases c WHERE c.id = $1",
            cid,
        )
    await pg.execute(
        "INSERT INTO case_events (case_id, kind, at, actor_kind, note, data, public) "
        "SELECT id, k, created_at + interval '1 minute', 'user', '', '{}', true "
        "FROM cases, unnest(ARRAY['dispatched', 'note', 'resolved']) k WHERE status = 'new'"
    )
    await pg.execute(
        "INSERT INTO case_events (case_id, kind, at, actor_kind, note, data, public) "
        "SELECT id, 'accepted', created_at + interval '30 seconds', 'user', '', '{}', true "
        "FROM cases WHERE agency_id = (SELECT id FROM agencies WHERE code = 'DLHK')"
    )
    # Status changes, a transfer, a new place, new deadlines; then a deletion.
    await pg.execute("UPDATE cases SET status = 'resolved' WHERE status = 'new'")
    await pg.execute(
        "UPDATE cases SET agency_id = (SELECT id FROM agencies WHERE code = 'PUPR') "
        "WHERE id = ANY($1::uuid[])",
        ids[20:25],
    )
    await pg.execute(
        "UPDATE cases SET location = ST_SetSRID(ST_MakePoint(122.55, -4.01), 4326)::geography, "
        "area_id = NULL, priority = 'P1', accept_by = accept_by + interval '1 hour' "
        "WHERE id = ANY($1::uuid[])",
        ids[25:30],
    )
    await pg.execute("UPDATE cases SET version = version + 1, updated_at = now()")
    loose = await insert_cases(pg, [CaseSpec("DLHK", t0, "new", [])])
    await pg.execute("DELETE FROM cases WHERE id = $1", loose[0])
    # Ratings: added, changed, removed.
    await pg.execute(
        "INSERT INTO case_ratings (case_id, score, comment, created_at) "
        "SELECT id, 3, '', now() FROM cases WHERE status = 'resolved'"
    )
    await pg.execute("UPDATE case_ratings SET score = 5 WHERE score = 3 AND id % 2 = 0")
    await pg.execute("DELETE FROM case_ratings WHERE score = 1")
    await assert_rollups_exact(pg)

    # Rebuilding from scratch gives the same tables.
    before = await pg.fetch(ROLLUP_CASES + " ORDER BY case_id")
    hours = await pg.fetch("SELECT * FROM stats_call_hours ORDER BY bucket, class")
    await pg.execute("SELECT stats_rebuild()")
    assert await pg.fetch(ROLLUP_CASES + " ORDER BY case_id") == before
    assert await pg.fetch("SELECT * FROM stats_call_hours ORDER BY bucket, class") == hours
    await assert_rollups_exact(pg)
    assert not await pg.fetch(  # the rebuild went through the day counts' triggers: no zeros
        "SELECT * FROM stats_case_days WHERE cases = 0"
    )
    await pg.execute("SELECT stats_case_days_rebuild()")
    await assert_rollups_exact(pg)


async def test_rollup_rows_written_in_a_rolled_back_transaction_vanish_with_it(
    pg: asyncpg.Connection,
) -> None:
    tr = pg.transaction()
    await tr.start()
    await insert_calls(pg, [(wita(2025, 11, 3, 9), "valid", "+628111")])
    await insert_cases(
        pg, [CaseSpec("DLHK", wita(2025, 11, 3, 9), "new", [("created", wita(2025, 11, 3, 9))])]
    )
    await tr.rollback()
    assert await pg.fetchval("SELECT count(*) FROM stats_call_hours") == 0
    assert await pg.fetchval("SELECT count(*) FROM stats_cases") == 0


async def test_call_figures_from_the_rollup_equal_those_from_the_raw_calls(
    pg: asyncpg.Connection, database_url: str
) -> None:
    rng = random.Random(3)
    classes = ["valid", "prank", "ghost", "informasi", None]
    times = spread(date(2025, 10, 20), date(2025, 12, 3), 2000)
    await insert_calls(
        pg, [(t, rng.choice(classes), f"+6281{rng.randint(0, 40):03d}") for t in times]
    )
    nov = month_period(2025, 11, WITA)
    scope = svc.StatsScope(
        nov,
        previous_period(nov, WITA),
        WITA,
        CaseFilter(nov.start, nov.end),
        wita(2026, 1, 1),
        "id",
    )
    engine = make_engine(database_url, 1, 0)
    db: AsyncSession
    async with make_sessionmaker(engine)() as db:
        rolled = await svc.call_stats(db, scope, rollup=True)
        raw = await svc.call_stats(db, scope, rollup=False)
    await engine.dispose()
    assert (rolled.source, raw.source) == ("rollup", "raw")
    assert replace_source(rolled) == replace_source(raw)
    assert rolled.by_class.total == sum(1 for t in times if nov.start <= t < nov.end)


async def test_local_days_by_offset_arithmetic_equal_the_time_zone_rules(
    pg: asyncpg.Connection, database_url: str
) -> None:
    rng = random.Random(5)
    times = spread(date(2025, 10, 28), date(2025, 12, 3), 1500)
    await insert_calls(pg, [(t, rng.choice(["valid", "prank", None]), None) for t in times])
    await insert_cases(
        pg,
        [
            CaseSpec(rng.choice(["DLHK", "BPBD"]), t, rng.choice(["new", "closed"]), [])
            for t in times[::7]
        ],
    )
    nov = month_period(2025, 11, WITA)
    f = CaseFilter(nov.start, nov.end)
    engine = make_engine(database_url, 1, 0)
    db: AsyncSession
    async with make_sessionmaker(engine)() as db:
        for rollup in (True, False):
            by_zone = await stats_calls.call_counts(
                db, "Asia/Makassar", nov.start, nov.end, rollup=rollup
            )
            by_offset = await stats_calls.call_counts(
                db, "Asia/Makassar", nov.start, nov.end, rollup=rollup, offset=8 * 3600
            )
            assert sorted(map(repr, by_zone)) == sorted(map(repr, by_offset))
        prev = previous_period(nov, WITA).start
        by_zone_c = await q.case_counts(db, "Asia/Makassar", f, prev, "agency")
        by_offset_c = await q.case_counts(db, "Asia/Makassar", f, prev, "agency", offset=28800)
        assert sorted(map(repr, by_zone_c)) == sorted(map(repr, by_offset_c))
        assert any(r.day == date(2025, 11, 30) for r in by_offset_c)
    await engine.dispose()


def replace_source(stats: svc.CallStats) -> svc.CallStats:
    return msgspec.structs.replace(stats, source="rollup")


async def test_a_city_half_an_hour_off_utc_is_counted_from_the_raw_calls(
    make_app: Callable[..., Litestar], pg: asyncpg.Connection
) -> None:
    """India (UTC+5:30): local days do not start on a UTC hour, so hourly buckets cannot be
    used; the figures come from the calls themselves and stay exact."""
    kolkata_midnight = utc(2025, 11, 30, 18, 30)  # 1 December 00:00 in Asia/Kolkata
    await pg.execute(
        "INSERT INTO calls (channel, started_at, class, notes) VALUES "
        "('phone', $1::timestamptz - interval '1 second', 'valid', ''), "
        "('phone', $1::timestamptz, 'prank', '')",
        kolkata_midnight,
    )
    app = make_app(city_timezone="Asia/Kolkata")
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        auth = await login(client, "supervisor")
        nov = (
            await client.get("/api/stats/calls", params={"month": "2025-11"}, headers=auth)
        ).json()
        dec = (
            await client.get("/api/stats/calls", params={"month": "2025-12"}, headers=auth)
        ).json()
    assert nov["source"] == "raw"
    assert nov["by_class"]["valid"] == 1 and nov["by_class"]["total"] == 1
    assert nov["by_hour"][23]["valid"] == 1
    assert dec["by_class"]["prank"] == 1 and dec["by_hour"][0]["prank"] == 1


async def overall_sla(
    db: AsyncSession, f: CaseFilter, now: Any, tz: str | None = None
) -> stats_sla.SlaRow:
    return next(r for r in await stats_sla.sla_counts(db, f, now, None, tz) if r.overall)


async def test_case_counts_from_the_day_counts_equal_those_from_every_case(
    pg: asyncpg.Connection, database_url: str
) -> None:
    """Whatever the grouping and the narrowing, the day counts give the figures counting every
    case gives; a period that is not whole local days, or a zone the days were not counted in,
    is counted from the cases; moving the city to another zone recounts the days."""
    rng = random.Random(11)
    times = spread(date(2025, 9, 25), date(2025, 12, 3), 900)
    areas = ["Mandonga", "Kadia", "Poasia", None]
    reached = {  # how far each status got on its timeline
        "new": [],
        "dispatched": ["dispatched"],
        "on_scene": ["dispatched", "accepted", "on_scene"],
        "resolved": ["dispatched", "accepted", "on_scene", "resolved"],
        "closed": ["dispatched", "accepted", "resolved"],
        "invalid": ["dispatched"],
    }

    def timeline(t: Any, status: str) -> list[tuple[str, Any]]:
        # Stages reached at random: some in time, some late, against the category's SLA.
        events, at = [("created", t)], t
        for kind in reached[status]:
            at = at + timedelta(minutes=rng.randint(1, 400))
            events.append((kind, at))
        return events

    specs = []
    for t in times:
        status = rng.choice(list(reached))
        specs.append(
            CaseSpec(
                rng.choice(["DLHK", "BPBD", "PUPR"]),
                t,
                status,
                timeline(t, status),
                ratings=rng.choice([[], [], [4], [1, 5]]),
                area_name=rng.choice(areas),
            )
        )
    await insert_cases(pg, specs)
    # Some cases move on after the fact: day counts are decremented and incremented.
    await pg.execute(
        "UPDATE cases SET status = 'closed' WHERE status = 'resolved' AND created_at < $1",
        utc(2025, 11, 10),
    )
    nov = month_period(2025, 11, WITA)
    prev = previous_period(nov, WITA).start
    dlhk = await pg.fetchval("SELECT id FROM agencies WHERE code = 'DLHK'")
    filters = [
        CaseFilter(nov.start, nov.end),
        CaseFilter(nov.start, nov.end, agency_id=dlhk),
        CaseFilter(nov.start, nov.end, priority="P2", area_id=None),
    ]

    # The clock inside the period: open cases both past and before their deadlines.
    now = utc(2025, 11, 28, 6)

    async def counts(db: AsyncSession, tz: str, f: CaseFilter, start: Any) -> list[str]:
        out = []
        for dim in ("agency", "category", "area", "priority"):
            for by_day in (True, False):
                rows = await q.case_counts(db, tz, f, start, dim, by_day=by_day)  # type: ignore[arg-type]
                out += sorted(f"{dim} {by_day} {r!r}" for r in rows)
        for sla_dim in ("agency", "category", "area", "priority", None):
            sla = await stats_sla.sla_counts(db, f, now, sla_dim, tz)  # type: ignore[arg-type]
            out += sorted(f"sla {sla_dim} {r!r}" for r in sla)
        return out

    engine = make_engine(database_url, 1, 0)
    db: AsyncSession
    async with make_sessionmaker(engine)() as db:
        counted: list[list[str]] = [await counts(db, "Asia/Makassar", f, prev) for f in filters]
        assert any(
            " True " in line and "day=datetime.date(2025, 11, 30)" in line for line in counted[0]
        )
        overall = next(
            r for r in await stats_sla.sla_counts(db, filters[0], now, None) if r.overall
        )
        for tally in overall.stages.values():  # every kind of outcome is there to compare
            assert tally.met and tally.missed and tally.pending, overall
        # They were read from the day counts.
        bump = (
            "UPDATE stats_case_days SET cases = cases + $1, accept_met = accept_met + $1 "
            "WHERE (day, agency_id, status) = "
            "(SELECT day, agency_id, status FROM stats_case_days WHERE day = '2025-11-15' "
            "AND cases > 0 ORDER BY agency_id, status LIMIT 1)"
        )
        sla_tz = next(
            r
            for r in await stats_sla.sla_counts(db, filters[0], now, None, "Asia/Makassar")
            if r.overall
        )
        assert sla_tz == overall  # from the day counts, the same as from every case
        await pg.execute(bump, 1000)
        assert await counts(db, "Asia/Makassar", filters[0], prev) != counted[0]
        bumped = next(
            r
            for r in await stats_sla.sla_counts(db, filters[0], now, None, "Asia/Makassar")
            if r.overall
        )
        assert bumped.stages["accept"].met == overall.stages["accept"].met + 1000
        await pg.execute(bump, -1000)
        # The same figures from every case: the days are said to be counted in another zone.
        await pg.execute("UPDATE stats_settings SET timezone = 'UTC'")
        assert [await counts(db, "Asia/Makassar", f, prev) for f in filters] == counted
        await pg.execute("UPDATE stats_settings SET timezone = 'Asia/Makassar'")
        # A period not made of whole local days is counted from the cases, exactly.
        odd = CaseFilter(nov.start + timedelta(hours=5), nov.end)
        by_rows = await q.case_counts(db, "Asia/Makassar", odd, prev, "agency", by_day=False)
        expected = await pg.fetchval(
            "SELECT count(*) FROM cases WHERE created_at >= $1 AND created_at < $2",
            odd.start,
            odd.end,
        )
        assert sum(r.cases for r in by_rows if r.current) == expected
        # The city moves to another zone: the days are recounted in it, and agree again.
        jakarta = ZoneInfo("Asia/Jakarta")
        nov_j = month_period(2025, 11, jakarta)
        prev_j = previous_period(nov_j, jakarta).start
        f_j = CaseFilter(nov_j.start, nov_j.end)
        assert await q.use_city_timezone(db, "Asia/Jakarta") is True
        assert await q.use_city_timezone(db, "Asia/Jakarta") is False
        await db.commit()
        in_jakarta = await counts(db, "Asia/Jakarta", f_j, prev_j)
        await assert_rollups_exact(pg)
        await pg.execute("UPDATE stats_settings SET timezone = 'UTC'")
        assert await counts(db, "Asia/Jakarta", f_j, prev_j) == in_jakarta
    await engine.dispose()


async def test_the_schema_upgrade_counts_days_in_the_city_zone(
    empty_database_url: str, pg_server: Server, tmp_path: Path
) -> None:
    """``tanggap db upgrade`` (what the compose file's migrate service runs) leaves the day
    counts counted in ``TANGGAP_CITY_TIMEZONE``: a city in Papua gets its own days."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        TANGGAP_DATABASE_URL=empty_database_url,
        TANGGAP_DATA_DIR=str(tmp_path),
        TANGGAP_CITY_TIMEZONE="Asia/Jayapura",
        TANGGAP_LOG_LEVEL="WARNING",
    )
    done = await asyncio.to_thread(run_cli, ["db", "upgrade"], env)
    assert done.returncode == 0, done.stderr
    assert "Asia/Jayapura" in done.stdout
    conn = await asyncpg.connect(pg_server.dsn(empty_database_url.rsplit("/", 1)[-1]))
    try:
        assert await conn.fetchval("SELECT timezone FROM stats_settings") == "Asia/Jayapura"
    finally:
        await conn.close()


async def test_the_open_cases_index_holds_exactly_the_open_statuses(pg: asyncpg.Connection) -> None:
    """The SLA's clock-dependent part reads ``ix_stats_cases_open_deadlines``; its predicate
    (written in migration 0023) names the statuses ``api.domain.vocabulary.OPEN`` names."""
    definition = await pg.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_stats_cases_open_deadlines'"
    )
    named = set(re.findall(r"'([a-z_]+)'::", definition))
    assert named == set(OPEN), definition
