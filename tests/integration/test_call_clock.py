"""The call-answer clock: PBX events in any order, the figures against a month computed by hand,
the rollup against the raw table, and the live queue board."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import msgspec
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Call
from api.domain.stats import month_period, previous_period
from api.services import call_clock as svc
from api.services.calls import sign
from api.services.notify import LIVE_CHANNEL
from api.services.stats import StatsScope
from tests.conftest import Clock, login
from tests.support.stats_data import WITA, dsn, wita

Client = AsyncTestClient[Litestar]

# The rollup must hold exactly what this computes from scratch from the raw table.
EXPECTED_CLOCK_HOURS = """
    SELECT date_trunc('hour', started_at, 'UTC') AS bucket, coalesce(operator_id, 0) AS op,
           count(*)::int AS offered,
           count(answered_at)::int AS answered,
           count(*) FILTER (WHERE answered_at - started_at <= interval '15 s')::int,
           count(*) FILTER (WHERE answered_at - started_at <= interval '20 s')::int,
           count(*) FILTER (WHERE answered_at IS NULL)::int,
           count(transferred_at)::int,
           coalesce(sum(round(extract(epoch FROM answered_at - started_at) * 1000)), 0)::bigint,
           count(*) FILTER (WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL)::int,
           coalesce(sum(round(extract(epoch FROM greatest(ended_at - answered_at, '0'))
                              * 1000)), 0)::bigint,
           count(*) FILTER (WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL
                              AND wrapped_at IS NOT NULL)::int,
           coalesce(sum(round(extract(epoch FROM greatest(wrapped_at - ended_at, '0')) * 1000))
                    FILTER (WHERE answered_at IS NOT NULL), 0)::bigint
    FROM calls
    WHERE pbx_call_id IS NOT NULL AND (answered_at IS NOT NULL OR ended_at IS NOT NULL)
    GROUP BY 1, 2
"""
ROLLUP = """
    SELECT bucket, operator_id, offered, answered, within_15, within_20, abandoned, transferred,
           queue_ms, talk_n, talk_ms, wrapup_n, wrapup_ms
    FROM stats_call_clock_hours
"""


async def assert_rollup_exact(conn: asyncpg.Connection) -> None:
    missing = await conn.fetch(f"({EXPECTED_CLOCK_HOURS}) EXCEPT ALL ({ROLLUP})")
    extra = await conn.fetch(f"({ROLLUP}) EXCEPT ALL ({EXPECTED_CLOCK_HOURS})")
    assert not missing and not extra, (missing[:3], extra[:3])


@pytest_asyncio.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn(database_url))
    yield conn
    await conn.close()


class Pbx:
    """A PBX posting signed events, each with its own timestamp (a retry is a new request)."""

    def __init__(self, client: Client, clock: Clock) -> None:
        self.client, self.clock, self.n = client, clock, 0

    async def post(self, body: dict[str, object]) -> dict[str, object]:
        self.n += 1
        ts = str(int(self.clock.now.timestamp()) + self.n % 50)
        raw = json.dumps(body).encode()
        headers = {
            "X-Tanggap-Timestamp": ts,
            "X-Tanggap-Signature": sign(self.client.app.state.pbx_secret, ts, raw),
            "Content-Type": "application/json",
        }
        r = await self.client.post("/api/pbx/events", content=raw, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["call"]  # type: ignore[no-any-return]


def event(kind: str, call_id: str, at: datetime, **extra: object) -> dict[str, object]:
    return {"event": f"call.{kind}", "call_id": call_id, "at": at.isoformat(), **extra}


async def test_late_repeated_and_shuffled_pbx_events_give_the_same_clock(
    client: Client, db: AsyncSession, pg: asyncpg.Connection, clock: Clock
) -> None:
    pbx = Pbx(client, clock)
    t0 = clock.now - timedelta(minutes=10)
    events = [
        event("ringing", "pbx-a", t0, number="081277770001"),
        event("answered", "pbx-a", t0 + timedelta(seconds=12), operator="operator"),
        event("transferred", "pbx-a", t0 + timedelta(seconds=70)),
        event("ended", "pbx-a", t0 + timedelta(seconds=100)),
        event("wrapup_ended", "pbx-a", t0 + timedelta(seconds=160)),
    ]
    rng = random.Random(21)
    for order in range(4):
        call_id = f"pbx-{order}"
        shuffled = [e | {"call_id": call_id} for e in events]
        shuffled += rng.sample(shuffled, 3)  # some arrive twice
        rng.shuffle(shuffled)
        for e in shuffled:
            await pbx.post(e)
        call = (await db.execute(select(Call).where(Call.pbx_call_id == call_id))).scalar_one()
        await db.refresh(call)
        assert call.started_at == t0
        assert call.answered_at == t0 + timedelta(seconds=12)
        assert call.transferred_at == t0 + timedelta(seconds=70)
        assert call.ended_at == t0 + timedelta(seconds=100)
        assert call.wrapped_at == t0 + timedelta(seconds=160)
        assert call.duration_s == 100
        assert call.number == "+6281277770001"
        operator_id = await pg.fetchval("SELECT id FROM users WHERE username = 'operator'")
        assert call.operator_id == operator_id
    # Each call's answer carries its spans: queue 12 s, talk 88 s, wrap-up 60 s.
    again = await pbx.post(events[0] | {"call_id": "pbx-0"})
    assert (again["queue_s"], again["talk_s"], again["wrapup_s"]) == (12.0, 88.0, 60.0)
    # An abandoned call: rang 25 s, the caller hung up; a late "answered" for another call
    # naming an unknown agent still records the answer.
    await pbx.post(event("abandoned", "pbx-x", t0 + timedelta(seconds=25)))
    await pbx.post(event("started", "pbx-x", t0))
    out = await pbx.post(event("answered", "pbx-y", t0 + timedelta(seconds=3), operator="nobody"))
    assert out["answered_at"] is not None and out["operator_id"] is None
    await assert_rollup_exact(pg)
    rows = await pg.fetch(
        "SELECT operator_id, offered, answered, within_15, abandoned, transferred, queue_ms, "
        "talk_ms, wrapup_ms FROM stats_call_clock_hours ORDER BY operator_id"
    )
    by_op = {r["operator_id"]: dict(r) for r in rows}
    assert by_op[operator_id]["answered"] == 4 and by_op[operator_id]["within_15"] == 4
    assert by_op[operator_id]["queue_ms"] == 4 * 12_000
    assert by_op[operator_id]["talk_ms"] == 4 * 88_000
    assert by_op[operator_id]["wrapup_ms"] == 4 * 60_000
    assert by_op[0]["abandoned"] == 1 and by_op[0]["answered"] == 1


async def test_an_unknown_pbx_event_is_refused_and_changes_nothing(
    client: Client, pg: asyncpg.Connection, clock: Clock
) -> None:
    before = await pg.fetchval("SELECT count(*) FROM calls")
    raw = json.dumps(event("picked_up", "pbx-z", clock.now)).encode()
    ts = str(int(clock.now.timestamp()))
    headers = {
        "X-Tanggap-Timestamp": ts,
        "X-Tanggap-Signature": sign(client.app.state.pbx_secret, ts, raw),
        "Content-Type": "application/json",
    }
    r = await client.post("/api/pbx/events", content=raw, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "validation_failed"
    assert await pg.fetchval("SELECT count(*) FROM calls") == before


async def test_classifying_the_call_in_the_app_ends_its_wrap_up(
    client: Client, clock: Clock
) -> None:
    pbx = Pbx(client, clock)
    t0 = clock.now - timedelta(minutes=2)
    await pbx.post(event("ringing", "pbx-w", t0))
    await pbx.post(event("answered", "pbx-w", t0 + timedelta(seconds=5), operator="operator"))
    call = await pbx.post(event("ended", "pbx-w", t0 + timedelta(seconds=65)))
    headers = await login(client, "operator")
    r = await client.patch(f"/api/calls/{call['id']}", json={"class": "valid"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["wrapped_at"] == clock.now.isoformat().replace("+00:00", "Z")
    # A later change keeps the first end of the wrap-up.
    clock.advance(seconds=30)
    r = await client.patch(f"/api/calls/{call['id']}", json={"notes": "x"}, headers=headers)
    r = await client.patch(f"/api/calls/{call['id']}", json={"class": "info"}, headers=headers)
    r = await client.patch(f"/api/calls/{call['id']}", json={"class": "informasi"}, headers=headers)
    assert r.json()["wrapped_at"] == (clock.now - timedelta(seconds=30)).isoformat().replace(
        "+00:00", "Z"
    )


async def test_queue_board_shows_ringing_calls_longest_first_and_polls_cost_a_304(
    client: Client, clock: Clock
) -> None:
    pbx = Pbx(client, clock)
    await pbx.post(event("ringing", "q-1", clock.now - timedelta(seconds=40)))
    await pbx.post(event("ringing", "q-2", clock.now - timedelta(seconds=90)))
    await pbx.post(event("ringing", "q-old", clock.now - timedelta(hours=2)))  # lost its end
    await pbx.post(event("ringing", "q-3", clock.now - timedelta(seconds=5)))
    await pbx.post(event("answered", "q-3", clock.now))
    headers = await login(client, "supervisor")
    r = await client.get("/api/calls/queue", headers=headers)
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["ringing"] == 2
    since = [c["ringing_since"] for c in board["calls"]]
    assert since == sorted(since) and board["longest_since"] == since[0]
    tag = r.headers["etag"]
    assert "no-cache" in r.headers["cache-control"]
    clock.advance(seconds=3)  # time passes, the queue is the same
    r = await client.get("/api/calls/queue", headers=headers | {"If-None-Match": tag})
    assert r.status_code == 304 and r.content == b""
    await pbx.post(event("abandoned", "q-2", clock.now))
    r = await client.get("/api/calls/queue", headers=headers | {"If-None-Match": tag})
    assert r.status_code == 200 and r.json()["ringing"] == 1 and r.headers["etag"] != tag
    # Call takers answer calls; the board is the supervisor's (and dispatcher's, admin's).
    r = await client.get("/api/calls/queue", headers=await login(client, "operator"))
    assert r.status_code == 403


# ------------------------------------------------------------ a month by hand
@dataclass(frozen=True)
class GenCall:
    started: datetime
    queue_s: int  # ringing -> answered, or -> hung up when abandoned
    answered: bool
    talk_s: int
    wrap_s: int | None
    operator: int | None
    transferred: bool


def generate_month(
    rng: random.Random, first: date, days: int, operators: list[int]
) -> list[GenCall]:
    out = []
    for d in range(days):
        for _ in range(rng.randint(20, 40)):
            hour = rng.choices(range(24), weights=[1] * 6 + [4] * 12 + [2] * 6)[0]
            started = wita(first.year, first.month, first.day + d, hour) + timedelta(
                seconds=rng.randrange(3600)
            )
            answered = rng.random() > 0.18
            out.append(
                GenCall(
                    started,
                    rng.choice([2, 8, 14, 15, 16, 19, 20, 21, 35, 70]),
                    answered,
                    rng.randint(20, 400),
                    rng.choice([None, 0, 30, 95]) if answered else None,
                    rng.choice(operators) if answered else None,
                    answered and rng.random() < 0.1,
                )
            )
    return out


async def insert_generated(conn: asyncpg.Connection, calls: list[GenCall]) -> None:
    records = []
    for i, c in enumerate(calls):
        answered_at = c.started + timedelta(seconds=c.queue_s) if c.answered else None
        ended_at = (
            (answered_at + timedelta(seconds=c.talk_s))
            if answered_at
            else (c.started + timedelta(seconds=c.queue_s))
        )
        wrapped_at = ended_at + timedelta(seconds=c.wrap_s) if c.wrap_s is not None else None
        records.append(
            (
                f"gen-{i}",
                "phone",
                c.started,
                answered_at,
                answered_at + timedelta(seconds=9) if c.transferred and answered_at else None,
                ended_at,
                wrapped_at,
                c.operator,
                "",
            )
        )
    cols = [
        "pbx_call_id",
        "channel",
        "started_at",
        "answered_at",
        "transferred_at",
        "ended_at",
        "wrapped_at",
        "operator_id",
        "notes",
    ]
    await conn.copy_records_to_table("calls", records=records, columns=cols)


def half_up(part: int, whole: int, digits: int = 4) -> float | None:
    if not whole:
        return None
    q = Decimal(1).scaleb(-digits)
    return float((Decimal(part) / Decimal(whole)).quantize(q, rounding=ROUND_HALF_UP))


def avg(values: list[int]) -> float | None:
    if not values:
        return None
    return float((Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP))


async def test_call_clock_figures_match_a_month_computed_by_hand(
    client: Client, db: AsyncSession, pg: asyncpg.Connection, clock: Clock
) -> None:
    ops = [
        r["id"]
        for r in await pg.fetch(
            "SELECT id FROM users WHERE username IN ('operator', 'dispatcher', 'admin')"
        )
    ]
    rng = random.Random(2026)
    month = generate_month(rng, date(2026, 10, 1), 31, ops)
    previous = generate_month(rng, date(2026, 9, 1), 30, ops)
    # Around the edges: the hours just before and after the month (city time).
    edges = [
        GenCall(wita(2026, 9, 30, 23, 59, 50), 5, True, 30, 0, ops[0], False),
        GenCall(wita(2026, 11, 1, 0, 0, 0), 5, False, 0, None, None, False),
    ]
    await insert_generated(pg, month + previous + edges)
    previous = [*previous, edges[0]]  # the last seconds of September count there, not in October
    # Still ringing, and a call logged by hand: neither is on the clock.
    await pg.execute(
        "INSERT INTO calls (pbx_call_id, channel, started_at, notes) "
        "VALUES ('ringing', 'phone', $1, '')",
        wita(2026, 10, 5, 10),
    )
    await pg.execute(
        "INSERT INTO calls (channel, started_at, ended_at, notes) VALUES ('walk_in', $1, $2, '')",
        wita(2026, 10, 5, 10),
        wita(2026, 10, 5, 10, 5),
    )
    await assert_rollup_exact(pg)

    r = await client.get(
        "/api/stats/call-clock?month=2026-10", headers=await login(client, "supervisor")
    )
    assert r.status_code == 200, r.text
    got = r.json()

    def shares(calls: list[GenCall], within: int) -> tuple[int, float | None]:
        n = sum(1 for c in calls if c.answered and c.queue_s <= within)
        return n, half_up(n, len(calls))

    for target in got["answer_targets"]:
        n, share = shares(month, target["within_s"])
        assert target["calls"] == n and target["share"]["value"] == share
        assert target["share"]["previous"] == shares(previous, target["within_s"])[1]
        assert target["met"] == (share >= target["target"])
    assert [t["target"] for t in got["answer_targets"]] == [0.9, 0.95]
    head = got["headline"]
    abandoned = sum(1 for c in month if not c.answered)
    assert head["offered"] == {"value": len(month), "previous": len(previous)}
    assert head["abandoned"]["value"] == abandoned
    assert head["abandoned_rate"]["value"] == half_up(abandoned, len(month))
    assert head["abandoned_rate"]["previous"] == half_up(
        sum(1 for c in previous if not c.answered), len(previous)
    )
    assert head["transferred"]["value"] == sum(1 for c in month if c.transferred)
    taken = [c for c in month if c.answered]
    assert head["averages"]["queue_s"] == avg([c.queue_s for c in taken])
    assert head["averages"]["talk_s"] == avg([c.talk_s for c in taken])
    assert head["averages"]["wrapup_s"] == avg([c.wrap_s for c in taken if c.wrap_s is not None])

    busy: Counter[tuple[int, int]] = Counter()
    for c in month:
        local = c.started.astimezone(WITA)
        busy[(local.isoweekday(), local.hour)] += 1
    assert len(got["busy_hours"]) == 168
    assert {(b["weekday"], b["hour"]): b["calls"] for b in got["busy_hours"]} == {
        (d, h): busy[(d, h)] for d in range(1, 8) for h in range(24)
    }

    per_op: dict[int, list[GenCall]] = defaultdict(list)
    for c in taken:
        assert c.operator is not None
        per_op[c.operator].append(c)
    assert {o["operator_id"] for o in got["operators"]} == set(per_op)
    for o in got["operators"]:
        mine = per_op[o["operator_id"]]
        talk = avg([c.talk_s for c in mine])
        wrap = avg([c.wrap_s for c in mine if c.wrap_s is not None])
        assert o["answered"] == len(mine) and o["name"]
        assert o["averages"]["talk_s"] == talk and o["averages"]["wrapup_s"] == wrap
        assert o["averages"]["handling_s"] == round(talk + (wrap or 0), 1)

    # The raw path (zones not a whole number of hours from UTC) gives the same numbers.
    tz = WITA
    p = month_period(2026, 10, tz)
    scope = StatsScope(p, previous_period(p, tz), tz, None, datetime.now(UTC), "id")  # type: ignore[arg-type]
    rolled = await svc.call_clock_stats(db, scope, rollup=True)
    raw = await svc.call_clock_stats(db, scope, rollup=False)
    assert msgspec.structs.replace(raw, source="rollup") == rolled
    await db.rollback()  # end the read: the rebuild below truncates the rollup

    # Changes after the fact keep the rollup exact: a late answer, a re-timed ring, deletes.
    await pg.execute(
        "UPDATE calls SET answered_at = started_at + interval '3 s', operator_id = $1 "
        "WHERE answered_at IS NULL AND id % 3 = 0",
        ops[0],
    )
    await pg.execute(
        "UPDATE calls SET started_at = started_at - interval '50 min' WHERE id % 5 = 0"
    )
    await pg.execute("UPDATE calls SET wrapped_at = NULL WHERE id % 7 = 0")
    await pg.execute("DELETE FROM calls WHERE id % 11 = 0")
    await assert_rollup_exact(pg)
    await pg.execute("SELECT call_clock_rebuild()")
    await assert_rollup_exact(pg)


async def test_each_pbx_clock_event_tells_the_live_stream_the_queue_changed(
    client: Client, pg: asyncpg.Connection, clock: Clock
) -> None:
    """The supervisor's board reloads on a ``queue`` live event (GET /api/events relays it to
    call-statistics roles only); it names the call, never the caller's number."""
    heard: list[dict[str, object]] = []
    got = asyncio.Event()

    def listener(_c: object, _pid: int, _channel: str, payload: str) -> None:
        message = json.loads(payload)
        if message.get("t") == "queue":
            heard.append(message)
            got.set()

    await pg.add_listener(LIVE_CHANNEL, listener)
    pbx = Pbx(client, clock)
    ringing = await pbx.post(event("ringing", "live-1", clock.now, number="081277770002"))
    await asyncio.wait_for(got.wait(), 10)
    assert heard == [{"t": "queue", "call_id": ringing["id"]}]
    got.clear()
    await pbx.post(event("answered", "live-1", clock.now, operator="operator"))
    await asyncio.wait_for(got.wait(), 10)
    # A location moves no moment of the clock: the queue is the same, nothing is sent.
    await pbx.post(event("location", "live-1", clock.now, lat=-3.97, lon=122.51, source="aml"))
    await pbx.post(event("ended", "live-1", clock.now))
    await asyncio.sleep(0.5)
    assert len(heard) == 3 and "081277770002" not in json.dumps(heard)
    await pg.remove_listener(LIVE_CHANNEL, listener)
