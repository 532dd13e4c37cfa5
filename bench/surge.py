"""Disaster surge: the whole base mix at once, open loop, and the largest multiple ``k`` it holds.

The base mix (``k = 1``), all at the same time for ``--surge-seconds`` (60 by default):

- intake ``POST /api/cases`` at 3.2/s (NYC311's busiest-day mean) and call logging
  ``POST /api/calls`` at 3.2/s, by an operator;
- position pings ``POST /api/teams/{id}/positions`` from 2,000 on-duty officers every 15 s (133/s);
- 300 listeners on ``GET /api/events`` (SSE): 60 dispatchers (every event) and 240 field officers
  (their agency's). Citizens have no live stream in Tanggap: they are told by Web Push (below);
- citizens reading their case status ``GET /api/public/cases/{reference}`` at 20/s;
- 20 dispatchers reloading the map ``GET /api/cases.geojson`` (a ~2,000-case box) every 5 s;
- ``tanggap worker`` delivering the outbox to the local push service
  (``tests/support/push_service.py``, which decrypts every message).

``k`` multiplies every request rate (pings: each officer pings ``k`` times per 15 s); the 300
listeners stay 300 people, who receive ``k`` times the events. Requests leave at their scheduled
time whether or not earlier ones returned (open loop), and latency runs from the scheduled time,
so a stalled server or a late load generator shows in the figures (no coordinated omission).

Per step: p50/p95/p99 and errors (by status) per path; lost writes (acknowledged cases, calls and
pings not in the database afterwards); lost events (timeline rows committed during the step that
a listener entitled to them never received, after the reconnect-and-replay a browser does); the
push delay (from the notification row, written in the committing transaction, to the push
service's receipt). A step holds when every path's p95 is under 500 ms, nothing is lost and no
request failed. Before the first step the worker drains what the generated data queued (its first
SLA scans escalate the data's overdue cases: :func:`settle`). ``k`` goes 1, 2, 3, 5, 8, ... in
short steps until one fails, is bisected in the time left, and the best ``k`` is then run for
the full ``--surge-seconds``.

Requests come from this process; the listeners from a second one
(``python -m bench.surge --listen``), both asyncio + aiohttp on uvloop. Their CPU is reported:
on 2 cores the load generator competes with the server, so a measured ``k`` is a lower bound.
``TANGGAP_SURGE_TRACE=FILE`` appends every request of every step to ``FILE`` (JSON lines: when it
was due, sent and answered, and its status), to line stalls up with what the server was doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import resource
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

from bench.harness import (
    ROOT,
    Figure,
    Proc,
    cpu_seconds,
    descendants,
    pct,
    start_api,
    start_worker,
)

if TYPE_CHECKING:
    from bench.__main__ import Context

# The base mix (k = 1): requests per second by path.
OFFICERS = 2000
PING_PERIOD_S = 15.0
MAP_DISPATCHERS = 20
MAP_PERIOD_S = 5.0
BASE_RATES = {
    "intake": 3.2,
    "calls": 3.2,
    "pings": OFFICERS / PING_PERIOD_S,
    "status": 20.0,
    "map": MAP_DISPATCHERS / MAP_PERIOD_S,
}
DISPATCHER_LISTENERS = 60
OFFICER_LISTENERS = 240
CITIZENS = 1000
P95_LIMIT_MS = 500.0
REQUEST_TIMEOUT_S = 10.0
LADDER = [1, 2, 3, 5, 8, 12, 16, 24, 32]
PUSH_DEVICES = 3
# After a step, how long the listeners get to catch up: an event not received by then is lost.
CATCH_UP_S = 60.0


# ------------------------------------------------------------ pure parts (unit-tested)
def schedule(rate: float, seconds: float, phase: float = 0.0) -> list[float]:
    """Send times (seconds from the start) of an open-loop load at ``rate`` per second:
    evenly spaced, the first at ``phase`` (a fraction of one interval), all before ``seconds``."""
    if rate <= 0 or seconds <= 0:
        return []
    count = max(0, math.ceil(seconds * rate - phase - 1e-9))
    return [(i + phase) / rate for i in range(count)]


@dataclass
class PathStats:
    """One path's outcome over a step: latencies of the successful requests, statuses of all."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status[:1] in ("2", "3"):
            self.latencies_ms.append(ms)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> dict[str, int]:
        """Anything but a 2xx/3xx answer (``timeout``, ``connection``: no answer at all)."""
        return {k: v for k, v in self.statuses.items() if k[:1] not in ("2", "3")}

    def summary(self) -> dict[str, Any]:
        ms = self.latencies_ms
        return {
            "requests": self.requests,
            "p50_ms": pct(ms, 0.50),
            "p95_ms": pct(ms, 0.95),
            "p99_ms": pct(ms, 0.99),
            "errors": self.errors,
        }


def lost_events(
    committed: dict[int, set[int | None]], listeners: Iterable[tuple[int | None, Iterable[int]]]
) -> dict[str, int]:
    """Events a listener was entitled to and never received.

    ``committed``: timeline id -> the agencies that may see it (a city-wide listener, scope
    ``None``, sees all). ``listeners``: ``(scope, ids received)``. Received ids outside
    ``committed`` (before or after the window) are ignored."""
    expected = missing = count = 0
    worst = 0
    for scope, received in listeners:
        got = set(received)
        want = [i for i, seen_by in committed.items() if scope is None or scope in seen_by]
        lost = sum(1 for i in want if i not in got)
        expected += len(want)
        missing += lost
        worst = max(worst, lost)
        count += 1
    return {"listeners": count, "expected": expected, "missing": missing, "worst": worst}


def holds(step: dict[str, Any]) -> bool:
    """Every path's p95 under the limit, no failed request, nothing lost."""
    for s in step["paths"].values():
        if s["errors"] or not s["p95_ms"] < P95_LIMIT_MS:
            return False
    lost = step["lost_writes"]
    return not any(lost.values()) and not any(v["missing"] for v in step["lost_events"].values())


def next_k(results: dict[float, bool]) -> float | None:
    """The next ``k`` to try: up the ladder while every step held, then bisect between the best
    that held and the lowest that failed (halving below 1 when even the base mix fails); ``None``
    when nothing is left to learn."""
    passed = [k for k, ok in results.items() if ok]
    failed = [k for k, ok in results.items() if not ok]
    if not failed:
        best = max(passed, default=0)
        return next((k for k in LADDER if k > best), None)
    high = min(failed)
    if not passed:  # even the base mix fails: halve it, down to a quarter
        return high / 2 if high > 0.25 else None
    low = max(k for k in passed if k < high)
    if high - low <= 1:
        return None
    return (low + high) // 2


# ------------------------------------------------------------------------ setup
@dataclass
class Actor:
    user_id: int
    token: str
    agency_id: int | None
    team_id: int | None = None


@dataclass
class Cast:
    operator: Actor
    officers: list[Actor]
    dispatchers: list[Actor]
    citizens: list[tuple[str, str]]  # (reference, tracking token)
    boxes: list[str]
    categories: list[int]
    bbox: tuple[float, float, float, float]


async def _users(
    conn: asyncpg.Connection, prefix: str, role: str, agencies: list[int | None], pw: str
) -> list[int]:
    """``len(agencies)`` users ``<prefix>NNNN`` (made once, with one precomputed hash)."""
    names = [f"{prefix}{i:04d}" for i in range(len(agencies))]
    await conn.execute(
        "INSERT INTO users (username, full_name, role, agency_id, password_hash, language, "
        "active) SELECT u, 'Surge ' || u, $3, a, $4, 'id', true "
        "FROM unnest($1::text[], $2::int[]) AS x(u, a) ON CONFLICT (username) DO NOTHING",
        names,
        agencies,
        role,
        pw,
    )
    rows = await conn.fetch(
        "SELECT id FROM users WHERE username = ANY($1::text[]) ORDER BY username", names
    )
    return [r["id"] for r in rows]


def _tokens(data_dir: Path, actors: list[tuple[int, str, int | None]]) -> tuple[list[str], list]:
    """Access tokens signed with the app's own key and code, and their session rows."""
    from api.adapters import keys
    from api.config import Settings
    from api.security import make_access_token

    secret = keys.token_key(replace(Settings(), data_dir=data_dir))
    now = datetime.now(UTC)
    tokens, sessions = [], []
    for user_id, role, agency in actors:
        sid = uuid.uuid4()
        tokens.append(
            make_access_token(
                secret,
                user_id=user_id,
                session_id=sid,
                role=role,
                agency_id=agency,
                now=now,
                ttl=timedelta(hours=2),
            )
        )
        sessions.append((sid, user_id, secrets.token_hex(32), now + timedelta(hours=2)))
    return tokens, sessions


async def cast(dsn: str, data_dir: Path) -> Cast:
    """The people of the surge: 2,000 officers in on-duty teams, dispatchers, an operator and
    citizens holding tracking tokens, each with a session (no argon2 per person, no login)."""
    from api.security import hash_password, token_digest
    from bench.map import calibrate

    conn = await asyncpg.connect(dsn)
    try:
        pw = hash_password(secrets.token_urlsafe(16))
        teams = await conn.fetch(
            "SELECT id, agency_id FROM teams WHERE on_duty ORDER BY id LIMIT $1", OFFICERS
        )
        picks = [teams[i % len(teams)] for i in range(OFFICERS)]
        officer_ids = await _users(
            conn, "surge.petugas.", "field_officer", [t["agency_id"] for t in picks], pw
        )
        await conn.execute(
            "INSERT INTO team_members (team_id, user_id) SELECT * FROM unnest($1::int[], "
            "$2::int[]) ON CONFLICT DO NOTHING",
            [t["id"] for t in picks],
            officer_ids,
        )
        n_disp = DISPATCHER_LISTENERS + MAP_DISPATCHERS
        disp_ids = await _users(conn, "surge.dispatcher.", "dispatcher", [None] * n_disp, pw)
        op = await conn.fetchrow("SELECT id, agency_id FROM users WHERE username = 'operator'")
        people = (
            [(op["id"], "operator", op["agency_id"])]
            + [
                (u, "field_officer", t["agency_id"])
                for u, t in zip(officer_ids, picks, strict=True)
            ]
            + [(u, "dispatcher", None) for u in disp_ids]
        )
        tokens, sessions = _tokens(data_dir, people)
        await conn.executemany(
            "INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at, created_at, "
            "user_agent) VALUES ($1, $2, $3, $4, now(), 'surge')",
            sessions,
        )
        reporters = await conn.fetch(
            "SELECT r.id, c.reference FROM case_reporters r JOIN cases c ON c.id = r.case_id "
            "ORDER BY r.id DESC LIMIT $1",
            CITIZENS,
        )
        citizen_tokens = [secrets.token_urlsafe(32) for _ in reporters]
        await conn.execute(
            "UPDATE case_reporters r SET tracking_token_hash = x.h FROM unnest($1::bigint[], "
            "$2::text[]) AS x(id, h) WHERE r.id = x.id",
            [r["id"] for r in reporters],
            [token_digest(t) for t in citizen_tokens],
        )
        cats = [r["id"] for r in await conn.fetch("SELECT id FROM categories WHERE active")]
        ext = await conn.fetchrow(
            "SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 "
            "FROM (SELECT ST_Extent(location::geometry) AS e FROM cases) s"
        )
    finally:
        await conn.close()
    boxes = [",".join(f"{v:.6f}" for v in b) for b in await calibrate(dsn, n=12)]
    actors = [Actor(u, tok, a) for (u, _, a), tok in zip(people, tokens, strict=True)]
    for actor, t in zip(actors[1 : 1 + OFFICERS], picks, strict=True):
        actor.team_id = t["id"]
    return Cast(
        operator=actors[0],
        officers=actors[1 : 1 + OFFICERS],
        dispatchers=actors[1 + OFFICERS :],
        citizens=[(r["reference"], tok) for r, tok in zip(reporters, citizen_tokens, strict=True)],
        boxes=boxes,
        categories=cats,
        bbox=(ext["x0"], ext["y0"], ext["x1"], ext["y1"]),
    )


# ------------------------------------------------------------------ the push service
class PushServiceProc:
    """``python -m tests.support.push_service`` in its own process (its CPU is not ours)."""

    def __init__(self, logs: Path) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tests.support.push_service"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=open(logs / "surge-push-service.log", "wb"),  # noqa: SIM115
            text=True,
            start_new_session=True,
        )
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"push service did not start: {line!r}")
        self.url = line.split()[1]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, 15)
        self.popen.wait(10)


async def subscribe_devices(dsn: str, service: str, n: int = PUSH_DEVICES) -> None:
    """Devices of the demo dispatcher on the push service: each P1 case reaches them."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        subs = []
        for _ in range(n):
            async with http.post(f"{service}/_control/subscribe") as r:
                subs.append(await r.json())
    conn = await asyncpg.connect(dsn)
    try:
        uid = await conn.fetchval("SELECT id FROM users WHERE username = 'dispatcher'")
        for s in subs:
            await conn.execute(
                "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, language, "
                "user_agent) VALUES ($1, $2, $3, $4, 'id', 'surge') ON CONFLICT DO NOTHING",
                uid,
                s["endpoint"],
                s["keys"]["p256dh"],
                s["keys"]["auth"],
            )
    finally:
        await conn.close()


# --------------------------------------------------------------------- listeners
CASE_ID = re.compile(rb"id: (\d+)\r\nevent: case\r\n")


async def _listen(url: str, token: str, state: dict[str, Any], ready: asyncio.Event) -> None:
    """One browser tab on ``/api/events``: reconnects with ``Last-Event-ID`` as EventSource
    does, and keeps the case event ids it got."""
    import aiohttp

    ids: list[int] = state["ids"]
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as http:
        while not state["stop"]:
            headers = {"Authorization": f"Bearer {token}"}
            if ids:
                headers["Last-Event-ID"] = str(ids[-1])
            try:
                async with http.get(url, headers=headers) as r:
                    if r.status != 200:
                        state["errors"][str(r.status)] = state["errors"].get(str(r.status), 0) + 1
                        await asyncio.sleep(1)
                        continue
                    buf = b""
                    async for chunk in r.content.iter_any():
                        ready.set()
                        buf += chunk
                        cut = buf.rfind(b"\r\n\r\n")
                        if cut < 0:
                            continue
                        done, buf = buf[: cut + 4], buf[cut + 4 :]
                        ids.extend(int(x) for x in CASE_ID.findall(done))
                        state["positions"] += done.count(b"event: position")
                        state["bytes"] += len(done)
            except (aiohttp.ClientError, TimeoutError) as exc:
                name = type(exc).__name__
                state["errors"][name] = state["errors"].get(name, 0) + 1
            if not state["stop"]:
                state["reconnects"] += 1
                await asyncio.sleep(0.5)


async def _listen_all(config: dict[str, Any]) -> None:
    url = config["base_url"] + "/api/events"
    states = [
        {
            "scope": s,
            "ids": [],
            "positions": 0,
            "bytes": 0,
            "reconnects": 0,
            "errors": {},
            "stop": False,
        }
        for s in config["scopes"]
    ]
    readies = [asyncio.Event() for _ in states]
    tasks = [
        asyncio.create_task(_listen(url, tok, st, ev))
        for tok, st, ev in zip(config["tokens"], states, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 120)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    citywide = [s for s in states if s["scope"] is None]
    # "mark <last committed id> <file>" after each step: catch up, write what was heard so far.
    while (line := await loop.run_in_executor(None, sys.stdin.readline)).startswith("mark"):
        _, last, path = line.split()
        deadline = time.monotonic() + CATCH_UP_S
        # Poll: the streams append ids as bytes arrive; waiting here changes nothing they do.
        while time.monotonic() < deadline and any(  # noqa: ASYNC110
            (max(s["ids"], default=0) < int(last)) for s in citywide
        ):
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the agency listeners' last events are on the same NOTIFY
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out = {"listeners": states, "cpu_s": usage.ru_utime + usage.ru_stime}
        await loop.run_in_executor(None, Path(path).write_text, json.dumps(out, default=str))
        print("DONE", flush=True)
    for s in states:
        s["stop"] = True
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def listen_main(config_path: str) -> None:
    import uvloop

    uvloop.run(_listen_all(json.loads(Path(config_path).read_text())))


class Listeners:
    """The listener process: every stream open before the first step, heard until the last."""

    def __init__(self, work: Path, base_url: str, cast_: Cast) -> None:
        people = cast_.dispatchers[:DISPATCHER_LISTENERS] + cast_.officers[:OFFICER_LISTENERS]
        self.work = work
        self.cpu_s = 0.0
        config = work / "surge-listen-config.json"
        config.write_text(
            json.dumps(
                {
                    "base_url": base_url,
                    "tokens": [a.token for a in people],
                    "scopes": [a.agency_id for a in people],
                }
            )
        )
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bench.surge", "--listen", str(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if line.strip() != "READY":
            self.popen.kill()
            raise RuntimeError(f"listeners did not start: {line!r}")

    def mark(self, last_id: int, step: int) -> dict[str, Any]:
        """What every listener has heard so far, once the city-wide ones reached ``last_id``;
        ``cpu_s`` is the listener process's CPU since the previous mark."""
        assert self.popen.stdin is not None and self.popen.stdout is not None
        out = self.work / f"surge-listen-{step}.json"
        self.popen.stdin.write(f"mark {last_id} {out}\n")
        self.popen.stdin.flush()
        if self.popen.stdout.readline().strip() != "DONE":
            raise RuntimeError("the listener process died")
        heard = dict(json.loads(out.read_text()))
        heard["cpu_s"], self.cpu_s = heard["cpu_s"] - self.cpu_s, heard["cpu_s"]
        return heard

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            assert self.popen.stdin is not None
            self.popen.stdin.close()
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)


# ---------------------------------------------------------------------- the driver
@dataclass
class Acks:
    cases: list[str] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    pings: list[tuple[int, int, datetime]] = field(default_factory=list)


Request = tuple[str, str, dict[str, str], Any]  # method, path, headers, json body


async def drive(base_url: str, c: Cast, k: float, seconds: float, seed: int) -> dict[str, Any]:
    """Every path at its own rate, all at once, open loop. Returns per-path stats and acks."""
    import aiohttp

    rng = random.Random(seed)
    stats = {name: PathStats() for name in BASE_RATES}
    acks = Acks()
    lags: list[float] = []
    samples: dict[str, str] = {}  # the first answer of each 5xx status, as evidence
    op = {"Authorization": f"Bearer {c.operator.token}"}
    x0, y0, x1, y1 = c.bbox

    def intake(i: int) -> Request:
        body = {
            "category_id": rng.choice(c.categories),
            "lat": rng.uniform(y0, y1),
            "lon": rng.uniform(x0, x1),
            "description": f"Surge {seed}-{i}: mohon segera ditangani",
            "address": f"Jl. Surge No. {i % 250}",
            "reporter": {"name": f"Warga {i}", "phone": f"0812{rng.randrange(10**8):08d}"},
        }
        return "POST", "/api/cases", op, body

    def call(i: int) -> Request:
        body = {
            "number": f"0813{rng.randrange(10**8):08d}",
            "channel": "phone",
            "duration_s": 60,
            "notes": f"Surge call {seed}-{i}",
        }
        return "POST", "/api/calls", op, body

    def ping(i: int) -> Request:
        a = c.officers[i % len(c.officers)]
        body = {
            "lat": rng.uniform(y0, y1),
            "lon": rng.uniform(x0, x1),
            "accuracy_m": 12.0,
            "at": datetime.now(UTC).isoformat(),
        }
        return (
            "POST",
            f"/api/teams/{a.team_id}/positions",
            {"Authorization": f"Bearer {a.token}", "X-Officer": str(i)},
            body,
        )

    def status(i: int) -> Request:
        ref, tok = c.citizens[rng.randrange(len(c.citizens))]
        return "GET", f"/api/public/cases/{ref}", {"X-Tracking-Token": tok}, None

    def map_(i: int) -> Request:
        d = c.dispatchers[DISPATCHER_LISTENERS + i % MAP_DISPATCHERS]
        box = c.boxes[i % len(c.boxes)]
        return (
            "GET",
            f"/api/cases.geojson?bbox={box}",
            {"Authorization": f"Bearer {d.token}", "Accept-Encoding": "gzip"},
            None,
        )

    makers: dict[str, Callable[[int], Request]] = {
        "intake": intake,
        "calls": call,
        "pings": ping,
        "status": status,
        "map": map_,
    }
    connector = aiohttp.TCPConnector(limit=4000, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()
    # TANGGAP_SURGE_TRACE=FILE: every request of the step as a JSON line, to find stalls.
    trace_file = os.environ.get("TANGGAP_SURGE_TRACE")
    trace: list[tuple[str, float, float, float, str]] | None = [] if trace_file else None
    start = 0.0

    async def one(name: str, due: float, req: Request) -> None:
        method, path, headers, body = req
        sent = loop.time()
        lags.append(sent - due)
        try:
            async with http.request(method, base_url + path, headers=headers, json=body) as r:
                payload = await r.read()
                code = str(r.status)
        except TimeoutError:
            code, payload = "timeout", b""
        except aiohttp.ClientError as exc:
            code, payload = type(exc).__name__, b""
        stats[name].add(code, (loop.time() - due) * 1000)
        if trace is not None:
            # Seconds from the step's start: when it was due, sent and answered.
            trace.append(
                (name, round(due - start, 4), round(sent - start, 4), loop.time() - start, code)
            )
        if code[:1] == "5" and code not in samples:
            samples[code] = f"{method} {path}: {payload[:300]!r}"
        if code == "201" and name in ("intake", "calls"):
            d = json.loads(payload)
            (acks.cases if name == "intake" else acks.calls).append(d["id"])  # type: ignore[arg-type]
        elif code[:1] == "2" and name == "pings":
            a = c.officers[int(headers["X-Officer"]) % len(c.officers)]
            acks.pings.append((a.team_id or 0, a.user_id, datetime.fromisoformat(body["at"])))

    async def fire(name: str, start: float, times: list[float]) -> None:
        make = makers[name]
        for i, t in enumerate(times):
            due = start + t
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(name, due, make(i)))
            pending.add(task)
            task.add_done_callback(pending.discard)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start = loop.time() + 0.2
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(
            *(
                fire(name, start, schedule(rate * k, seconds, phase=rng.random()))
                for name, rate in BASE_RATES.items()
            )
        )
        if pending:
            await asyncio.wait(set(pending))
        wall = loop.time() - start
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
    if trace_file and trace is not None:
        _write_trace(trace_file, k, time.time() - (loop.time() - start), trace)
    cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    return {
        "stats": stats,
        "acks": acks,
        "wall_s": wall,
        "cpu_s": cpu,
        "send_lag_p99_ms": pct([x * 1000 for x in lags], 0.99),
        "samples": samples,
    }


def _write_trace(path: str, k: float, wall_start: float, trace: list[Any]) -> None:
    """Append a step's requests (after its load has ended) as JSON lines: a header with the
    step's wall-clock start, then ``[path, due, sent, answered, status]`` in seconds from it."""
    with open(path, "a") as f:
        f.write(json.dumps({"k": k, "wall_clock_start": wall_start}) + "\n")
        f.writelines(json.dumps(r) + "\n" for r in trace)


# ----------------------------------------------------------------- accounting
async def db_mark(dsn: str) -> tuple[int, datetime]:
    """Where a step starts: the last timeline id, and the database's clock."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT coalesce(max(id), 0) AS id, now() AS at FROM case_events")
    finally:
        await conn.close()
    assert row is not None
    return int(row["id"]), row["at"]


async def account(
    dsn: str, acks: Acks, since_event: int, since: datetime, service: str
) -> dict[str, Any]:
    """Lost writes, the committed events of the step, and the push delays."""
    conn = await asyncpg.connect(dsn)
    try:
        cases = await conn.fetchval(
            "SELECT count(*) FROM cases WHERE id = ANY($1::uuid[])", acks.cases
        )
        calls = await conn.fetchval(
            "SELECT count(*) FROM calls WHERE id = ANY($1::bigint[])", acks.calls
        )
        pings = await conn.fetchval(
            "SELECT count(*) FROM unnest($1::int[], $2::int[], $3::timestamptz[]) AS x(t, u, a) "
            "WHERE EXISTS (SELECT 1 FROM team_positions p WHERE p.team_id = x.t "
            "AND p.user_id = x.u AND p.at = x.a)",
            [p[0] for p in acks.pings],
            [p[1] for p in acks.pings],
            [p[2] for p in acks.pings],
        )
        events = await conn.fetch(
            "SELECT e.id, c.agency_id, e.kind, e.data->>'from_agency_id' AS from_agency "
            "FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.id > $1",
            since_event,
        )
        # Wait (up to 30 s) for the worker to deliver what the step queued.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE status = 'pending' AND created_at >= $1",
                since,
            )
            if not left:
                break
            await asyncio.sleep(0.5)
        notes = await conn.fetch(
            "SELECT n.id, n.created_at, n.status FROM notifications n "
            "JOIN push_subscriptions s ON s.id = n.subscription_id "
            "WHERE n.created_at >= $1 AND s.endpoint LIKE $2",
            since,
            service + "/%",
        )
        max_id = max((e["id"] for e in events), default=since_event)
    finally:
        await conn.close()
    committed: dict[int, set[int | None]] = {}
    for e in events:
        seen = {e["agency_id"]}
        if e["kind"] == "transferred" and e["from_agency"]:
            seen.add(int(e["from_agency"]))
        committed[e["id"]] = seen
    return {
        "lost_writes": {
            "intake": len(acks.cases) - int(cases),
            "calls": len(acks.calls) - int(calls),
            "pings": len(acks.pings) - int(pings),
        },
        "committed": committed,
        "max_event": max_id,
        "notifications": {n["id"]: (n["created_at"].timestamp(), n["status"]) for n in notes},
    }


async def push_received(service: str) -> dict[int, float]:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(f"{service}/_control/received") as r:
        data = await r.json()
    return {int(m["nid"]): float(m["at"]) for m in data["messages"] if m.get("nid") is not None}


def push_delays(notes: dict[int, tuple[float, str]], got: dict[int, float]) -> dict[str, Any]:
    delays = [(got[i] - t) * 1000 for i, (t, _) in notes.items() if i in got]
    return {
        "queued": len(notes),
        "delivered": len(delays),
        "undelivered": len(notes) - len(delays),
        "p50_ms": pct(delays, 0.5),
        "p95_ms": pct(delays, 0.95),
    }


# ------------------------------------------------------------------------- steps
@dataclass
class Rig:
    ctx: Context
    api: Proc
    worker: Proc
    push: PushServiceProc
    cast: Cast
    listeners: Listeners


def step(rig: Rig, k: float, seconds: float, n: int) -> dict[str, Any]:
    ctx = rig.ctx
    dsn = ctx.dataset.dsn
    since_event, since = asyncio.run(db_mark(dsn))
    pids = rig.api.python_processes()
    worker_pids = rig.worker.python_processes()
    api_cpu0, worker_cpu0 = cpu_seconds(pids), cpu_seconds(worker_pids)
    pg_cpu0 = cpu_seconds(_postgres_pids(ctx))
    load0 = os.getloadavg()[0]
    import uvloop

    result = uvloop.run(drive(rig.api.base_url, rig.cast, k, seconds, seed=1000 + n))
    api_cpu = cpu_seconds(pids) - api_cpu0
    worker_cpu = cpu_seconds(worker_pids) - worker_cpu0
    # Backends come and go: those that ended during the step are missed (a lower bound).
    pg_cpu = max(0.0, cpu_seconds(_postgres_pids(ctx)) - pg_cpu0)
    load1 = os.getloadavg()[0]
    acc = asyncio.run(account(dsn, result["acks"], since_event, since, rig.push.url))
    heard = rig.listeners.mark(acc["max_event"], n)
    got = asyncio.run(push_received(rig.push.url))
    lst = heard["listeners"]
    wall = result["wall_s"]
    out = {
        "k": k,
        "seconds": wall,
        "paths": {name: s.summary() for name, s in result["stats"].items()},
        "lost_writes": acc["lost_writes"],
        "acknowledged": {
            "intake": len(result["acks"].cases),
            "calls": len(result["acks"].calls),
            "pings": len(result["acks"].pings),
        },
        "lost_events": {
            "dispatchers": lost_events(
                acc["committed"], [(None, s["ids"]) for s in lst if s["scope"] is None]
            ),
            "officers": lost_events(
                acc["committed"], [(s["scope"], s["ids"]) for s in lst if s["scope"] is not None]
            ),
        },
        "events_committed": len(acc["committed"]),
        "positions_streamed": sum(s["positions"] for s in lst),
        "reconnects": sum(s["reconnects"] for s in lst),
        "listener_errors": _merge(s["errors"] for s in lst),
        "push": push_delays(acc["notifications"], got),
        "cpu_share": {  # of one core, over the step
            "requests (load generator)": result["cpu_s"] / wall,
            "listeners (load generator)": heard["cpu_s"] / wall,
            "API workers": api_cpu / wall,
            "push worker": worker_cpu / wall,
            "PostgreSQL": pg_cpu / wall,
        },
        # The machine's 1-minute load average before and after (2 cores): other work on it.
        "load_average": [round(load0, 1), round(load1, 1)],
        "send_lag_p99_ms": result["send_lag_p99_ms"],
        "server_errors": result["samples"],
    }
    out["holds"] = holds(out)
    # What the system under test (API, push worker, PostgreSQL) spent per second of the base
    # mix, and the k two idle cores would give at 70% busy: an estimate, not a measurement.
    served = (api_cpu + worker_cpu + pg_cpu) / wall
    out["cpu_per_base_mix"] = served / k
    out["projected_k"] = 0.7 * (os.cpu_count() or 2) / out["cpu_per_base_mix"] if served else 0.0
    return out


def _postgres_pids(ctx: Context) -> list[int]:
    """The cluster's postmaster and its backends."""
    try:
        pid = int((ctx.dataset.cluster.pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [pid, *descendants(pid)]


def _merge(dicts: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for key, v in d.items():
            out[key] = out.get(key, 0) + v
    return out


def line(r: dict[str, Any]) -> str:
    paths = "  ".join(
        f"{name} {s['p50_ms']:.0f}/{s['p95_ms']:.0f}/{s['p99_ms']:.0f}"
        + (f" err {s['errors']}" if s["errors"] else "")
        for name, s in r["paths"].items()
    )
    lost_ev = sum(v["missing"] for v in r["lost_events"].values())
    owed = sum(v["expected"] for v in r["lost_events"].values())
    cpu = ", ".join(f"{k} {v * 100:.0f}%" for k, v in r["cpu_share"].items())
    return (
        f"k={r['k']:g} {r['seconds']:.0f}s {'HOLDS' if r['holds'] else 'fails'}: {paths} (ms "
        f"p50/p95/p99); lost writes {sum(r['lost_writes'].values())}, lost events {lost_ev} "
        f"of {owed} owed ({r['events_committed']} events), push p95 {r['push']['p95_ms']:.0f} ms "
        f"({r['push']['delivered']}/{r['push']['queued']}), reconnects {r['reconnects']}, "
        f"send lag p99 {r['send_lag_p99_ms']:.0f} ms; CPU {cpu}; load average "
        f"{r['load_average']}; served CPU {r['cpu_per_base_mix']:.2f} core per base mix, "
        f"projected k on 2 idle cores {r['projected_k']:.1f}"
        + "".join(f"\n    first {k}: {v}" for k, v in r["server_errors"].items())
    )


# Until the queue has had nothing due for QUIET_S, after the worker's first SLA scans, at most
# SETTLE_MAX_S.
FIRST_SCANS_S = 35.0
QUIET_S = 5.0
SETTLE_MAX_S = 180.0


async def settle(dsn: str) -> str:
    """Wait for the worker to drain what the generated data queued (escalations and their
    pushes) before the first step; what happened, for the log."""
    conn = await asyncpg.connect(dsn)
    try:
        start = quiet_since = time.monotonic()
        while (now := time.monotonic()) - start < SETTLE_MAX_S:
            due = await conn.fetchval(
                "SELECT count(*) FROM pgqueuer WHERE execute_after <= now() "
                "AND status IN ('queued', 'picked')"
            )
            if due:
                quiet_since = now
            elif now - start >= FIRST_SCANS_S and now - quiet_since >= QUIET_S:
                return f"queue drained in {now - start:.0f} s"
            await asyncio.sleep(0.5)
        return f"queue still busy after {SETTLE_MAX_S:.0f} s: steps start anyway"
    finally:
        await conn.close()


# Before the counted steps: the base mix for this long (see run()).
WARM_UP_K, WARM_UP_S = 1.0, 20.0


def run(
    ctx: Context,
    *,
    seconds: float = 60.0,
    quick: bool = False,
    ks: list[float] | None = None,
    budget_s: float | None = None,
) -> list[Figure]:
    """The surge steps (short ones to find ``k``, then a full one at it) and their figures."""
    explore = min(seconds, 10.0 if quick else 15.0)
    budget = budget_s if budget_s is not None else (150.0 if quick else 240.0)
    ctx.log("  surge: setting up 2,000 officers, dispatchers, citizens, push devices")
    ctx.logs.mkdir(parents=True, exist_ok=True)
    push = PushServiceProc(ctx.logs)
    api = worker = listeners = None
    try:
        asyncio.run(subscribe_devices(ctx.dataset.dsn, push.url))
        c = asyncio.run(cast(ctx.dataset.dsn, ctx.data_dir))
        api = start_api(ctx.dataset.url, ctx.data_dir, ctx.logs, workers=ctx.api_workers)
        worker = start_worker(
            ctx.dataset.url,
            ctx.data_dir,
            ctx.logs,
            push_allow_http=1,
            push_allowed_hosts="127.0.0.1",
            log_level="WARNING",
        )
        # The generated city has overdue open cases: the worker's first SLA scans escalate them
        # and push to every device. That backlog is the data's, not the mix's: let it drain.
        ctx.log(f"  surge: {asyncio.run(settle(ctx.dataset.dsn))}")
        ctx.log("  surge: opening 300 live streams")
        listeners = Listeners(ctx.work, api.base_url, c)
        rig = Rig(ctx, api, worker, push, c, listeners)
        # The first step of a run also measured the 300 streams opening at once (a dispatcher's
        # with every on-duty team's position) and every pool growing from nothing, and failed
        # where a later, larger step held: a short step at the base mix first, reported apart.
        warm = step(rig, WARM_UP_K, WARM_UP_S, 0)
        ctx.log("  surge: warm-up, not counted: " + line(warm))
        ctx.record["surge_warm_up"] = warm
        steps: list[dict[str, Any]] = []
        if ks:
            for k in ks:
                steps.append(step(rig, k, seconds, len(steps) + 1))
                ctx.log("  " + line(steps[-1]))
        else:
            results: dict[float, bool] = {}
            t0 = time.monotonic()
            while (k := next_k(results)) is not None and time.monotonic() - t0 < budget:
                steps.append(step(rig, k, explore, len(steps) + 1))
                results[k] = steps[-1]["holds"]
                ctx.log("  " + line(steps[-1]))
            best = max((k for k, ok in results.items() if ok), default=min(results, default=1))
            steps.append(step(rig, best, seconds, len(steps) + 1))
            ctx.log("  " + line(steps[-1]))
    finally:
        if listeners is not None:
            listeners.stop()
        for p in (worker, api):
            if p is not None:
                p.stop()
        push.stop()
    ctx.record["surge"] = steps
    out = figures(steps)
    # Nothing may be lost in the warm-up either: it is a step like the others, only not counted.
    lost = sum(warm["lost_writes"].values()) + sum(
        v["missing"] for v in warm["lost_events"].values()
    )
    out.append(
        Figure(
            "Disaster surge (open loop, all paths at once)",
            f"lost writes and events in the warm-up (k = {WARM_UP_K:g}, {WARM_UP_S:.0f} s)",
            lost,
            "",
            better="lower",
            target="0",
            met=lost == 0,
        )
    )
    return out


def figures(steps: list[dict[str, Any]]) -> list[Figure]:
    out = []
    held = [s for s in steps if s["holds"]]
    final = steps[-1]
    best = max((s["k"] for s in held), default=0)
    out.append(
        Figure(
            "Disaster surge (open loop, all paths at once)",
            "largest k held (p95 < 500 ms every path, nothing lost, no error)",
            best,
            "x base mix",
            target=">= 5",
            met=best >= 5,
            note="steps: "
            + ", ".join(
                f"k={s['k']:g} {s['seconds']:.0f}s {'ok' if s['holds'] else 'fail'}" for s in steps
            ),
        )
    )
    out.append(
        Figure(
            "Disaster surge (open loop, all paths at once)",
            "projected k on 2 idle cores (estimate)",
            final["projected_k"],
            "x base mix",
            note=f"API + push worker + PostgreSQL spent {final['cpu_per_base_mix']:.2f} core per "
            f"base mix in the last step (k = {final['k']:g}); 70% of 2 cores over that. Load "
            f"average during it: {final['load_average']}",
        )
    )
    for s in steps:
        group = f"Disaster surge, k = {s['k']:g} ({s['seconds']:.0f} s)"
        for name, p in s["paths"].items():
            out.append(
                Figure(
                    group,
                    f"{name}: p95 ({BASE_RATES[name] * s['k']:.1f}/s)",
                    p["p95_ms"],
                    "ms",
                    better="lower",
                    target="< 500 ms",
                    met=p["p95_ms"] < P95_LIMIT_MS,
                    note=f"p50 {p['p50_ms']:.0f}, p99 {p['p99_ms']:.0f} ms; {p['requests']} "
                    f"requests; errors {p['errors'] or 0}",
                )
            )
        lost_ev = sum(v["missing"] for v in s["lost_events"].values())
        out += [
            Figure(
                group,
                "lost writes",
                sum(s["lost_writes"].values()),
                "",
                better="lower",
                target="0",
                met=not any(s["lost_writes"].values()),
                note=", ".join(
                    f"{k} {v} of {s['acknowledged'][k]} acknowledged"
                    for k, v in s["lost_writes"].items()
                ),
            ),
            Figure(
                group,
                "lost events",
                lost_ev,
                "",
                better="lower",
                target="0",
                met=lost_ev == 0,
                note=f"{s['events_committed']} committed; "
                + "; ".join(
                    f"{k}: {v['listeners']} listeners, {v['expected']} expected"
                    for k, v in s["lost_events"].items()
                )
                + f"; {s['reconnects']} reconnects",
            ),
            Figure(
                group,
                "push delay p95 (commit to push service)",
                s["push"]["p95_ms"],
                "ms",
                better="lower",
                note=f"{s['push']['delivered']}/{s['push']['queued']} delivered",
            ),
            Figure(
                group,
                "load generator CPU (share of one core)",
                100
                * (
                    s["cpu_share"]["requests (load generator)"]
                    + s["cpu_share"]["listeners (load generator)"]
                ),
                "%",
                better="lower",
                note=f"API workers {100 * s['cpu_share']['API workers']:.0f}%, push worker "
                f"{100 * s['cpu_share']['push worker']:.0f}%; send lag p99 "
                f"{s['send_lag_p99_ms']:.0f} ms",
            ),
        ]
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--listen":
        listen_main(sys.argv[2])
    else:
        raise SystemExit("run it through `python -m bench --only surge`")
