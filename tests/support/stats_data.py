"""Bulk test data for the statistics: the city's published figures turned into calls and cases.

``api/seed_data/call-stats.csv`` holds what Kendari told the press each month (calls received,
valid calls, prank or ghost calls, tickets created and finished). :func:`load_call_facts` and
:func:`load_ticket_facts` generate rows that add up to exactly those figures, with COPY, spread
over the period in city time from its first second to its last.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

import api.seed_data
from api.domain.stats import local_midnight

WITA = ZoneInfo("Asia/Makassar")
CSV_PATH = Path(api.seed_data.__file__).parent / "call-stats.csv"


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


@dataclass(frozen=True)
class PeriodFacts:
    """One line of call-stats.csv."""

    period: str
    calls_total: int | None
    calls_valid: int | None
    prank_or_ghost: int | None
    unanswered: int | None
    tickets_created: int | None
    tickets_finished: int | None
    note: str

    @property
    def days(self) -> tuple[date, date]:
        """First and last local day of the period (``2025-11`` or ``2025-06-10..2025-06-30``)."""
        if ".." in self.period:
            a, b = self.period.split("..")
            return date.fromisoformat(a), date.fromisoformat(b)
        y, m = (int(x) for x in self.period.split("-"))
        nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
        return date(y, m, 1), nxt - timedelta(days=1)

    @property
    def query(self) -> dict[str, str]:
        """The statistics query parameters for this period."""
        if ".." in self.period:
            a, b = self.days
            return {"from": a.isoformat(), "to": b.isoformat()}
        return {"month": self.period}


def read_call_stats() -> list[PeriodFacts]:
    with CSV_PATH.open(newline="", encoding="utf-8") as fh:
        return [
            PeriodFacts(
                row["period"],
                _int(row["calls_total"]),
                _int(row["calls_valid"]),
                _int(row["calls_prank_or_ghost"]),
                _int(row["calls_unanswered"]),
                _int(row["tickets_created"]),
                _int(row["tickets_finished"]),
                row["source_note"],
            )
            for row in csv.DictReader(fh)
        ]


def facts(period: str) -> PeriodFacts:
    return next(f for f in read_call_stats() if f.period == period)


def spread(first: date, last: date, n: int, tz: ZoneInfo = WITA) -> list[datetime]:
    """``n`` instants evenly over the local days, from the first second to the last one."""
    start = local_midnight(first, tz)
    span = (local_midnight(last + timedelta(days=1), tz) - start).total_seconds() - 1
    if n == 1:
        return [start]
    return [start + timedelta(seconds=int(span * i / (n - 1))) for i in range(n)]


def dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


# -------------------------------------------------------------------- calls
CallRow = tuple[datetime, str | None, str | None]  # started_at, class, number


async def insert_calls(conn: asyncpg.Connection, rows: Iterable[CallRow]) -> int:
    """COPY calls (one statement: the rollup trigger runs once)."""
    records = [
        (number, "phone", at, at + timedelta(seconds=40), 40, cls, "") for at, cls, number in rows
    ]
    await conn.copy_records_to_table(
        "calls",
        records=records,
        columns=["number", "channel", "started_at", "ended_at", "duration_s", "class", "notes"],
    )
    return len(records)


def call_rows_for(f: PeriodFacts, seed: int = 112) -> list[CallRow]:
    """Calls adding up to the published figures: ``calls_valid`` valid, ``prank_or_ghost``
    split between prank and ghost, the rest (unanswered or not reported) unclassified."""
    assert f.calls_total is not None and f.calls_valid is not None
    pg = f.prank_or_ghost or 0
    rest = f.calls_total - f.calls_valid - pg
    assert rest >= 0, f"{f.period}: the published figures do not add up"
    classes: list[str | None] = (
        ["valid"] * f.calls_valid + ["prank"] * (pg - pg // 2) + ["ghost"] * (pg // 2)
    )
    classes += [None] * rest
    rng = random.Random(seed)
    rng.shuffle(classes)
    first, last = f.days
    pranksters = [f"+62812000{i:05d}" for i in range(25)]
    rows: list[CallRow] = []
    for i, (at, cls) in enumerate(zip(spread(first, last, len(classes)), classes, strict=True)):
        number = rng.choice(pranksters) if cls == "prank" else f"+62813{i:07d}"
        rows.append((at, cls, None if cls == "ghost" else number))
    return rows


async def load_call_facts(conn: asyncpg.Connection, f: PeriodFacts) -> int:
    return await insert_calls(conn, call_rows_for(f))


# -------------------------------------------------------------------- cases
@dataclass
class CaseSpec:
    """A case to insert with its timeline: ``events`` maps a kind to its moment(s)."""

    agency_code: str
    created_at: datetime
    status: str = "new"
    events: list[tuple[str, datetime]] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    category_code: str | None = None
    area_name: str | None = None
    lon: float = 122.51
    lat: float = -3.97
    # Case columns (current cycle), when a test wants them to differ from the timeline.
    columns: dict[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Reference:
    agencies: dict[str, int]
    categories: dict[str, tuple[int, int, str, int, int, int]]  # code: id, agency, prio, sla
    agency_category: dict[int, str]
    areas: dict[str, int]


async def reference(conn: asyncpg.Connection) -> Reference:
    agencies = {r["code"]: r["id"] for r in await conn.fetch("SELECT id, code FROM agencies")}
    cats = {
        r["code"]: (
            r["id"],
            r["agency_id"],
            r["priority"],
            r["sla_accept_min"],
            r["sla_arrive_min"],
            r["sla_resolve_min"],
        )
        for r in await conn.fetch("SELECT * FROM categories ORDER BY code")
    }
    agency_category: dict[int, str] = {}
    for code, c in cats.items():
        agency_category.setdefault(c[1], code)
    areas = {r["name"]: r["id"] for r in await conn.fetch("SELECT id, name FROM areas")}
    return Reference(agencies, cats, agency_category, areas)


_ref_seq = iter(range(1, 10**9))


async def insert_cases(
    conn: asyncpg.Connection, specs: Sequence[CaseSpec], ref: Reference | None = None
) -> list[uuid.UUID]:
    """COPY cases into a staging table, INSERT ... SELECT them (geography built in SQL), then
    COPY their timeline events and ratings, each in one statement."""
    ref = ref or await reference(conn)
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stage_cases (id uuid, reference text, category_id int, "
        "agency_id int, priority text, status text, lon float8, lat float8, area_id int, "
        "accept_by timestamptz, arrive_by timestamptz, resolve_by timestamptz, "
        "dispatched_at timestamptz, accepted_at timestamptz, arrived_at timestamptz, "
        "resolved_at timestamptz, closed_at timestamptz, created_at timestamptz)"
    )
    await conn.execute("TRUNCATE stage_cases")
    records = []
    for s in specs:
        agency_id = ref.agencies[s.agency_code]
        cat_code = s.category_code or ref.agency_category.get(agency_id) or min(ref.categories)
        cat_id, _, prio, acc, arr, res = ref.categories[cat_code]
        first = {}
        for kind, at in s.events:
            first.setdefault(kind, at)
        cols = {
            "dispatched_at": first.get("dispatched"),
            "accepted_at": first.get("accepted"),
            "arrived_at": first.get("on_scene"),
            "resolved_at": first.get("resolved"),
            "closed_at": first.get("closed"),
            **s.columns,
        }
        records.append(
            (
                s.id,
                f"TST-{next(_ref_seq):07d}",
                cat_id,
                agency_id,
                prio,
                s.status,
                s.lon,
                s.lat,
                ref.areas.get(s.area_name) if s.area_name else None,
                s.created_at + timedelta(minutes=acc),
                s.created_at + timedelta(minutes=arr),
                s.created_at + timedelta(minutes=res),
                cols["dispatched_at"],
                cols["accepted_at"],
                cols["arrived_at"],
                cols["resolved_at"],
                cols["closed_at"],
                s.created_at,
            )
        )
    await conn.copy_records_to_table("stage_cases", records=records)
    await conn.execute(
        """
        INSERT INTO cases (id, reference, category_id, agency_id, priority, status, location,
            address, landmark, area_id, description, channel, out_of_area, accept_by, arrive_by,
            resolve_by, dispatched_at, accepted_at, arrived_at, resolved_at, closed_at,
            escalated_stages, version, created_at, updated_at)
        SELECT id, reference, category_id, agency_id, priority, status,
            ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, '', '', area_id,
            'Laporan uji statistik', 'phone', false, accept_by, arrive_by, resolve_by,
            dispatched_at, accepted_at, arrived_at, resolved_at, closed_at, '{}', 1,
            created_at, created_at
        FROM stage_cases
        """
    )
    events = [(s.id, kind, at, "system", "", "{}", True) for s in specs for kind, at in s.events]
    if events:
        await conn.copy_records_to_table(
            "case_events",
            records=events,
            columns=["case_id", "kind", "at", "actor_kind", "note", "data", "public"],
        )
    ratings = [(s.id, score, "", s.created_at) for s in specs for score in s.ratings]
    if ratings:
        await insert_ratings(conn, ratings)
    return [s.id for s in specs]


async def insert_ratings(
    conn: asyncpg.Connection, ratings: Sequence[tuple[uuid.UUID, int, str, datetime]]
) -> None:
    """Ratings without a reporter (the unique (case, reporter) allows several NULLs)."""
    await conn.copy_records_to_table(
        "case_ratings", records=ratings, columns=["case_id", "score", "comment", "created_at"]
    )


def lifecycle(
    created: datetime, status: str, minutes: Sequence[float] = (2, 6, 25, 90)
) -> list[tuple[str, datetime]]:
    """A plausible timeline for a case that is now in ``status``."""
    d, a, o, r = (created + timedelta(minutes=m) for m in minutes)
    steps = [("created", created)]
    if status in {"dispatched", "accepted", "en_route", "on_scene", "resolved", "closed"}:
        steps.append(("dispatched", d))
    if status in {"accepted", "en_route", "on_scene", "resolved", "closed"}:
        steps.append(("accepted", a))
    if status in {"on_scene", "resolved", "closed"}:
        steps.append(("on_scene", o))
    if status in {"resolved", "closed"}:
        steps.append(("resolved", r))
    if status == "closed":
        steps.append(("closed", r + timedelta(hours=1)))
    return steps


# Open statuses the generated unfinished tickets cycle through: two "in process", one "not yet".
UNFINISHED = ("dispatched", "new", "on_scene")


def ticket_specs(
    f: PeriodFacts, per_agency: dict[str, tuple[int, int]] | None = None
) -> list[CaseSpec]:
    """Tickets adding up to the published figures: ``tickets_created`` cases of which
    ``tickets_finished`` are closed; ``per_agency`` fixes (created, finished) for some
    agencies and the rest goes round the other agencies."""
    assert f.tickets_created is not None
    finished_total = f.tickets_finished if f.tickets_finished is not None else 0
    per_agency = dict(per_agency or {})
    rest_created = f.tickets_created - sum(c for c, _ in per_agency.values())
    rest_finished = finished_total - sum(x for _, x in per_agency.values())
    assert rest_created >= 0 and 0 <= rest_finished <= rest_created
    others = ["DISKOMINFO", "DAMKARMAT", "DINSOS", "PUPR", "SATPOLPP", "DINKES", "PLN", "PDAM"]
    others = [a for a in others if a not in per_agency]
    plan: list[tuple[str, bool]] = []
    for code, (created, done) in per_agency.items():
        plan += [(code, i < done) for i in range(created)]
    plan += [(others[i % len(others)], i < rest_finished) for i in range(rest_created)]
    first, last = f.days
    out = []
    areas = ["Mandonga", "Kadia", "Poasia", "Baruga", "Kendari Barat"]
    for i, ((code, done), at) in enumerate(zip(plan, spread(first, last, len(plan)), strict=True)):
        status = "closed" if done else UNFINISHED[i % len(UNFINISHED)]
        out.append(
            CaseSpec(
                code,
                at,
                status,
                lifecycle(at, status),
                area_name=areas[i % len(areas)],
                lon=122.48 + (i % 7) * 0.01,
                lat=-4.04 + (i % 5) * 0.01,
            )
        )
    return out


async def load_ticket_facts(
    conn: asyncpg.Connection,
    f: PeriodFacts,
    per_agency: dict[str, tuple[int, int]] | None = None,
) -> list[uuid.UUID]:
    return await insert_cases(conn, ticket_specs(f, per_agency))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA).astimezone(UTC)  # type: ignore[misc]
