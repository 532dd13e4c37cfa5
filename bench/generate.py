"""Benchmark data: a throwaway PostGIS cluster holding a big, realistic Kendari.

``build()`` starts an :class:`~api.adapters.pgcluster.EmbeddedPostgres` cluster, migrates it with
:func:`api.db.migrate.upgrade`, seeds the reference city with :func:`api.seed.seed_reference`, then
loads, with COPY:

- ``teams`` (5,000 by default) spread over the agencies in proportion to their workload; most on
  duty with a fresh last position around the districts, some stale, some off duty;
- ``cases`` (1,000,000 by default) over three years: categories by weight (street lights, rubbish
  and fallen trees far more often than drownings), statuses by age (old cases closed, invalid or
  duplicate; the last week still open), locations clustered around the 11 kecamatan centres with
  a city-wide background, SLA deadlines from each category;
- one ``created`` event per case and one for the status it reached; reporters for most cases.

The load runs with durability off (it is a throwaway) and with triggers off in the loading
session (``session_replication_role = replica``); ``stats_rebuild()`` then recomputes the
statistics rollups in one pass, and the secondary indexes are rebuilt after the load, exactly as
the migrations defined them. :meth:`Dataset.restart` brings the same cluster back with fsync on,
so the write benchmarks measure honest commits.

``python -m bench.generate --cases 100000`` builds a smaller one and leaves it running.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from api.adapters.pgcluster import EmbeddedPostgres

# Service area the generator draws from (a little inside the city's configured bbox).
CITY_BBOX = (122.43, -4.10, 122.66, -3.93)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Share of cases per category (relative weights). The city's own figures are not public; these
# follow what the press names most: street lights, rubbish, fallen trees, power cuts, roads.
CATEGORY_WEIGHTS: dict[str, float] = {
    "LAMPU_JALAN": 14,
    "SAMPAH_MENUMPUK": 11,
    "SAMPAH_LIAR": 6,
    "POHON_TUMBANG": 7,
    "PEMANGKASAN_POHON": 3,
    "LISTRIK_PADAM": 7,
    "JALAN_RUSAK": 6,
    "DRAINASE": 4,
    "PIPA_PDAM": 5,
    "PARKIR_LIAR": 3,
    "KEMACETAN": 2,
    "LAMPU_LALU_LINTAS": 2,
    "ODGJ": 3,
    "GEPENG": 2,
    "ORANG_TERLANTAR": 1,
    "KEBISINGAN": 3,
    "PKL_BANGUNAN_LIAR": 2,
    "HEWAN_TERNAK": 2,
    "KECELAKAAN_LALU_LINTAS": 3,
    "GAWAT_DARURAT_MEDIS": 3,
    "BANJIR": 2,
    "TAWURAN": 1.5,
    "BALAP_LIAR": 1.5,
    "KRIMINALITAS": 1.5,
    "KEBAKARAN_BANGUNAN": 1,
    "HEWAN_LIAR": 1,
    "SARANG_TAWON": 1,
}
DEFAULT_CATEGORY_WEIGHT = 0.5  # every other category (drownings, landslides, KDRT, ...)

# Relative population of each kecamatan (where reports come from).
AREA_WEIGHTS: dict[str, float] = {
    "Kadia": 1.3,
    "Wua-Wua": 1.2,
    "Mandonga": 1.3,
    "Baruga": 0.9,
    "Poasia": 1.1,
    "Kambu": 1.0,
    "Puuwatu": 1.0,
    "Kendari Barat": 0.9,
    "Kendari": 0.6,
    "Abeli": 0.6,
    "Nambo": 0.3,
}

# Final status of a case older than a week, and of one from the last week.
OLD_STATUSES = {"closed": 84, "resolved": 4, "invalid": 5, "duplicate": 4, "cancelled": 3}
RECENT_STATUSES = {
    "new": 8,
    "dispatched": 8,
    "accepted": 5,
    "en_route": 4,
    "on_scene": 6,
    "returned": 2,
    "reopened": 1,
    "resolved": 22,
    "closed": 34,
    "invalid": 5,
    "duplicate": 3,
    "cancelled": 2,
}
CHANNELS = {"phone": 82, "app": 10, "walk_in": 3, "social": 3, "web": 2}
WITH_TEAM = {
    "dispatched",
    "accepted",
    "en_route",
    "on_scene",
    "resolved",
    "closed",
}

STREETS = [
    "Jl. Ahmad Yani",
    "Jl. MT Haryono",
    "Jl. Sao-Sao",
    "Jl. Brigjen Z.A. Sugianto",
    "Jl. Malaka",
    "Jl. Chairil Anwar",
    "Jl. Orinunggu",
    "Jl. Poros Bandara",
    "Jl. Abdullah Silondae",
    "Jl. Saranani",
    "Jl. Bunga Kamboja",
    "Jl. Syech Yusuf",
    "Jl. Lasandara",
    "Jl. Made Sabara",
    "Jl. Tebaununggu",
    "Jl. Edi Sabara",
]
LANDMARKS = [
    "depan masjid",
    "dekat pasar",
    "samping sekolah",
    "depan Indomaret",
    "belakang kantor lurah",
    "dekat pos ronda",
    "ujung lorong",
    "seberang puskesmas",
    "dekat jembatan",
    "depan gereja",
]
DETAILS = [
    "sudah sejak kemarin",
    "warga mohon segera ditangani",
    "mengganggu pengguna jalan",
    "pelapor menunggu di lokasi",
    "sudah dilaporkan ke RT",
    "terjadi lagi malam ini",
    "beberapa rumah terdampak",
    "mohon petugas datang",
]


@dataclass
class Dataset:
    """A running cluster with the generated city, and what was loaded into it."""

    root: Path
    cluster: EmbeddedPostgres
    cases: int
    teams: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    durable: bool = False

    @property
    def url(self) -> str:
        return self.cluster.url

    @property
    def dsn(self) -> str:
        return self.cluster.dsn()

    def restart(self, *, durable: bool) -> None:
        """Stop and start the same data, with fsync and synchronous commit on or off.

        Going durable, everything the load left in the page cache is written out first, so the
        first checkpoint does not stall the measured commits behind gigabytes of writeback.
        """
        self.cluster.stop("fast")
        if durable:
            os.sync()
        self.cluster = EmbeddedPostgres(
            self.cluster.root,
            port=self.cluster.port,
            database=self.cluster.database,
            durable=durable,
            extra_options=self.cluster.extra_options,
        )
        self.cluster.start()
        if durable:
            self.cluster.psql("CHECKPOINT", database=self.cluster.database)
        self.durable = durable

    def stop(self) -> None:
        self.cluster.stop("immediate")


def server_options(shared_buffers_mb: int = 1024) -> list[str]:
    """Production-like server settings for a 2-core, 24 GiB machine (the same for every run)."""
    return [
        f"-c shared_buffers={shared_buffers_mb}MB",
        "-c max_connections=300",
        "-c max_wal_size=8GB",
        "-c checkpoint_timeout=30min",
        "-c work_mem=16MB",
        "-c maintenance_work_mem=1GB",
        "-c effective_cache_size=16GB",
        "-c random_page_cost=1.1",
        "-c jit=off",
        # Statements slower than this are logged; the runner reports them with the results.
        "-c log_min_duration_statement=100",
    ]


def _weighted(rng: random.Random, table: dict[str, float], k: int) -> list[str]:
    keys = list(table)
    return rng.choices(keys, weights=[table[x] for x in keys], k=k)


def _tail(n: int, width: int = 4) -> str:
    out = []
    for _ in range(width):
        out.append(ALPHABET[n % 32])
        n //= 32
    return "".join(reversed(out))


def _ts(t: datetime) -> str:
    return t.isoformat()


def _point(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon:.6f} {lat:.6f})"


@dataclass(frozen=True)
class Reference:
    """The seeded city the generator draws from."""

    categories: list[dict[str, Any]]
    agencies: dict[int, str]
    areas: list[tuple[int, str, float, float]]  # id, name, lon, lat
    operator_id: int


class Places:
    """Points clustered around district centres, with a city-wide background."""

    def __init__(self, rng: random.Random, areas: list[tuple[int, str, float, float]]) -> None:
        self.rng = rng
        self.areas = areas
        self.weights = [AREA_WEIGHTS.get(name, 0.8) for _, name, _, _ in areas]

    def draw(self) -> tuple[float, float, int]:
        rng = self.rng
        min_lon, min_lat, max_lon, max_lat = CITY_BBOX
        if rng.random() < 0.12:
            lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        else:
            _, _, clon, clat = rng.choices(self.areas, weights=self.weights)[0]
            # Dense centre (~700 m) and a wider ring (~2.5 km): neighbourhoods, not blobs.
            sigma = 0.0065 if rng.random() < 0.6 else 0.022
            lon = min(max(rng.gauss(clon, sigma), min_lon), max_lon)
            lat = min(max(rng.gauss(clat, sigma), min_lat), max_lat)
        return lon, lat, self.nearest_area(lon, lat)

    def nearest_area(self, lon: float, lat: float) -> int:
        best, best_d = self.areas[0][0], math.inf
        for aid, _, clon, clat in self.areas:
            d = (clon - lon) ** 2 + (clat - lat) ** 2
            if d < best_d:
                best, best_d = aid, d
        return best


async def _reference(conn: asyncpg.Connection) -> Reference:
    cats = [
        dict(r)
        for r in await conn.fetch(
            "SELECT id, code, name_id, agency_id, priority, sla_accept_min, sla_arrive_min, "
            "sla_resolve_min FROM categories WHERE active ORDER BY id"
        )
    ]
    agencies = {r["id"]: r["code"] for r in await conn.fetch("SELECT id, code FROM agencies")}
    areas = [
        (r["id"], r["name"], r["lon"], r["lat"])
        for r in await conn.fetch(
            "SELECT id, name, ST_X(center::geometry) AS lon, ST_Y(center::geometry) AS lat "
            "FROM areas ORDER BY id"
        )
    ]
    operator_id = await conn.fetchval("SELECT id FROM users WHERE username = 'operator'")
    return Reference(cats, agencies, areas, int(operator_id))


def team_rows(
    rng: random.Random, ref: Reference, places: Places, n: int, now: datetime
) -> tuple[list[str], dict[int, int]]:
    """TSV lines for ``teams``; returns the lines and the number of teams per agency."""
    load: dict[int, float] = {}
    for c in ref.categories:
        w = CATEGORY_WEIGHTS.get(c["code"], DEFAULT_CATEGORY_WEIGHT)
        load[c["agency_id"]] = load.get(c["agency_id"], 0) + w
    total = sum(load.values())
    per_agency = {aid: max(20, round(n * w / total)) for aid, w in load.items()}
    # Exactly n in all: the busiest agency absorbs the rounding.
    busiest = max(per_agency, key=lambda a: per_agency[a])
    per_agency[busiest] += n - sum(per_agency.values())
    lines = []
    for aid, count in sorted(per_agency.items()):
        code = ref.agencies[aid]
        for i in range(count):
            r = rng.random()
            on_duty = r < 0.7
            if r < 0.6:  # on duty, position pinged in the last few minutes
                lon, lat, _ = places.draw()
                at = now - timedelta(seconds=rng.uniform(5, 600))
                pos, pos_at, acc = _point(lon, lat), _ts(at), f"{rng.uniform(5, 60):.1f}"
            elif r < 0.8:  # stale (on duty without a fresh fix, or off duty since hours)
                lon, lat, _ = places.draw()
                at = now - timedelta(hours=rng.uniform(1, 72))
                pos, pos_at, acc = _point(lon, lat), _ts(at), f"{rng.uniform(5, 200):.1f}"
            else:
                pos = pos_at = acc = "\\N"
            lines.append(
                f"{aid}\t{code} Regu {i + 1:04d}\t{'t' if on_duty else 'f'}\t{pos}\t{pos_at}\t"
                f"{acc}\t{_ts(now - timedelta(days=400))}\n"
            )
    return lines, per_agency


@dataclass
class CaseSpec:
    """What the case generator needs besides randomness."""

    ref: Reference
    teams_by_agency: dict[int, list[int]]
    now: datetime
    n: int
    seed: int


def case_batches(spec: CaseSpec, batch: int = 20_000) -> Iterator[tuple[bytes, bytes, bytes]]:
    """TSV chunks for (cases, case_events, case_reporters), ``batch`` cases at a time."""
    rng = random.Random(spec.seed)
    ref = spec.ref
    places = Places(rng, ref.areas)
    cats = ref.categories
    cat_weights = [CATEGORY_WEIGHTS.get(c["code"], DEFAULT_CATEGORY_WEIGHT) for c in cats]
    start = spec.now - timedelta(days=3 * 365)
    span_s = (spec.now - start).total_seconds()
    per_day: dict[str, int] = {}
    old_keys, old_w = list(OLD_STATUSES), list(OLD_STATUSES.values())
    new_keys, new_w = list(RECENT_STATUSES), list(RECENT_STATUSES.values())
    ch_keys, ch_w = list(CHANNELS), list(CHANNELS.values())
    last_id: dict[int, str] = {}
    op = ref.operator_id
    done = 0
    while done < spec.n:
        k = min(batch, spec.n - done)
        cases, events, reporters = io.StringIO(), io.StringIO(), io.StringIO()
        chosen = rng.choices(cats, weights=cat_weights, k=k)
        channels = rng.choices(ch_keys, weights=ch_w, k=k)
        for i in range(k):
            c = chosen[i]
            # Growth: more reports as the line becomes known (density rising over time).
            created = start + timedelta(seconds=span_s * math.sqrt(rng.random()))
            recent = spec.now - created < timedelta(days=7)
            status = rng.choices(new_keys, weights=new_w)[0] if recent else None
            status = status or rng.choices(old_keys, weights=old_w)[0]
            cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            local = created + timedelta(hours=8)
            day = f"{local:%y%m%d}"
            seq = per_day.get(day, 0)
            per_day[day] = seq + 1
            reference = f"KDI-{day}-{_tail(seq * 7919 + 13)}"
            lon, lat, area_id = places.draw()
            agency = c["agency_id"]
            team = "\\N"
            if status in WITH_TEAM:
                pool = spec.teams_by_agency.get(agency)
                if pool:
                    team = str(rng.choice(pool))
            accept_by = created + timedelta(minutes=c["sla_accept_min"])
            arrive_by = created + timedelta(minutes=c["sla_arrive_min"])
            resolve_by = created + timedelta(minutes=c["sla_resolve_min"])
            dispatched = accepted = arrived = resolved = closed = "\\N"
            updated = created
            if status in WITH_TEAM:
                t = created + timedelta(minutes=rng.expovariate(1 / 4))
                dispatched = _ts(t)
                updated = t
                if status != "dispatched":
                    t += timedelta(minutes=rng.expovariate(1 / 6))
                    accepted = _ts(t)
                    updated = t
                if status in {"on_scene", "resolved", "closed"}:
                    t += timedelta(minutes=rng.expovariate(1 / 20))
                    arrived = _ts(t)
                    updated = t
                if status in {"resolved", "closed"}:
                    t += timedelta(minutes=rng.expovariate(1 / 180))
                    resolved = _ts(t)
                    updated = t
                if status == "closed":
                    t += timedelta(hours=rng.expovariate(1 / 24))
                    closed = _ts(t)
                    updated = t
            elif status != "new":
                updated = created + timedelta(minutes=rng.expovariate(1 / 30))
            updated = min(updated, spec.now)
            dup = last_id.get(c["id"], "\\N") if status == "duplicate" else "\\N"
            street = STREETS[rng.randrange(len(STREETS))]
            landmark = LANDMARKS[rng.randrange(len(LANDMARKS))]
            detail = DETAILS[rng.randrange(len(DETAILS))]
            description = f"{c['name_id']} {landmark}, {street}; {detail}"
            cases.write(
                f"{cid}\t{reference}\t{c['id']}\t{agency}\t{team}\t{c['priority']}\t{status}\t"
                f"{_point(lon, lat)}\t{street} No. {rng.randint(1, 250)}\t{landmark}\t{area_id}\t"
                f"{description}\t{channels[i]}\t\\N\t{dup}\tf\t{_ts(accept_by)}\t"
                f"{_ts(arrive_by)}\t{_ts(resolve_by)}\t{dispatched}\t{accepted}\t{arrived}\t"
                f"{resolved}\t{closed}\t{{}}\t{op}\t{2 if status != 'new' else 1}\t"
                f"{_ts(created)}\t{_ts(updated)}\n"
            )
            events.write(
                f"{cid}\tcreated\t\\N\tnew\t{op}\tuser\t{_ts(created)}\t\t"
                f'{{"channel": "{channels[i]}", "agency_id": {agency}}}\tt\n'
            )
            if status != "new":
                kind = status if status not in {"returned"} else "returned"
                events.write(
                    f"{cid}\t{kind}\tnew\t{status}\t{op}\tuser\t{_ts(updated)}\t\t{{}}\tt\n"
                )
            if rng.random() < 0.7:
                phone = f"+628{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}"
                reporters.write(
                    f"{cid}\t{cid}\t\\N\t\\N\t{phone}\t{channels[i]}\tid\t{_ts(created)}\n"
                )
            last_id[c["id"]] = cid
        done += k
        yield (
            cases.getvalue().encode(),
            events.getvalue().encode(),
            reporters.getvalue().encode(),
        )


CASE_COLUMNS = [
    "id",
    "reference",
    "category_id",
    "agency_id",
    "team_id",
    "priority",
    "status",
    "location",
    "address",
    "landmark",
    "area_id",
    "description",
    "channel",
    "call_id",
    "duplicate_of_id",
    "out_of_area",
    "accept_by",
    "arrive_by",
    "resolve_by",
    "dispatched_at",
    "accepted_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "escalated_stages",
    "created_by_id",
    "version",
    "created_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "case_id",
    "kind",
    "from_status",
    "to_status",
    "actor_id",
    "actor_kind",
    "at",
    "note",
    "data",
    "public",
]
REPORTER_COLUMNS = [
    "case_id",
    "original_case_id",
    "call_id",
    "name",
    "phone",
    "channel",
    "language",
    "created_at",
]
TEAM_COLUMNS = [
    "agency_id",
    "name",
    "on_duty",
    "last_position",
    "last_position_at",
    "last_accuracy_m",
    "created_at",
]
BULK_TABLES = ["cases", "case_events", "case_reporters", "stats_cases"]


async def _chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX ...)`` of the bulk tables' indexes that back no constraint."""
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        BULK_TABLES,
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def load(dsn: str, *, cases: int, teams: int, seed: int, log: Any = print) -> dict[str, int]:
    """Load teams and cases into a migrated, seeded database; return the row counts."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        ref = await _reference(conn)
        rng = random.Random(seed)
        places = Places(rng, ref.areas)
        lines, _ = team_rows(rng, ref, places, teams, now)
        await conn.copy_to_table(
            "teams", source=_chunks("".join(lines).encode()), columns=TEAM_COLUMNS, format="text"
        )
        teams_by_agency: dict[int, list[int]] = {}
        for r in await conn.fetch("SELECT id, agency_id FROM teams ORDER BY id"):
            teams_by_agency.setdefault(r["agency_id"], []).append(r["id"])
        log(f"  teams: {teams} loaded")

        indexes = await _secondary_indexes(conn)
        for name, _ in indexes:
            await conn.execute(f'DROP INDEX "{name}"')
        # Triggers (statistics rollups, foreign keys) off for this session only: the rollups
        # are rebuilt in one pass below, and the generator only references rows it created.
        await conn.execute("SET session_replication_role = replica")
        spec = CaseSpec(ref, teams_by_agency, now, cases, seed + 1)
        t0 = time.perf_counter()
        loaded = 0
        # The next batch is generated in a thread while the current one is copied.
        batches = case_batches(spec, batch=50_000)
        loop = asyncio.get_running_loop()
        upcoming = loop.run_in_executor(None, next, batches, None)
        while (batch := await upcoming) is not None:
            upcoming = loop.run_in_executor(None, next, batches, None)
            case_tsv, event_tsv, reporter_tsv = batch
            async with conn.transaction():
                await conn.copy_to_table(
                    "cases", source=_chunks(case_tsv), columns=CASE_COLUMNS, format="text"
                )
                await conn.copy_to_table(
                    "case_events", source=_chunks(event_tsv), columns=EVENT_COLUMNS, format="text"
                )
                await conn.copy_to_table(
                    "case_reporters",
                    source=_chunks(reporter_tsv),
                    columns=REPORTER_COLUMNS,
                    format="text",
                )
            loaded += case_tsv.count(b"\n")
            if loaded % 200_000 < 50_000:
                log(f"  cases: {loaded:,} ({time.perf_counter() - t0:.0f} s)")
        await conn.execute("SET session_replication_role = origin")
        t1 = time.perf_counter()
        await conn.execute("SELECT stats_rebuild()")
        log(f"  stats rollups rebuilt ({time.perf_counter() - t1:.0f} s)")
        t1 = time.perf_counter()
        for _, ddl in indexes:
            await conn.execute(ddl)
        log(f"  {len(indexes)} secondary indexes rebuilt ({time.perf_counter() - t1:.0f} s)")
        await conn.execute("VACUUM ANALYZE")
        counts = {}
        for table in ["cases", "case_events", "case_reporters", "teams", "stats_cases"]:
            counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
        return counts
    finally:
        await conn.close()


async def _seed(url: str) -> None:
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed_demo_users, seed_reference

    engine = make_engine(url, 1, 0)
    try:
        async with make_sessionmaker(engine)() as db, db.begin():
            await seed_reference(db)
            await seed_demo_users(db)  # the benchmarks sign in as demo users
    finally:
        await engine.dispose()


def build(
    root: Path,
    *,
    cases: int = 1_000_000,
    teams: int = 5_000,
    seed: int = 112,
    log: Any = print,
) -> Dataset:
    """A new cluster in ``root`` with the generated city (left running, durability off)."""
    from api.db import migrate

    started = time.perf_counter()
    cluster = EmbeddedPostgres(
        root / "pg", durable=False, database="tanggap_bench", extra_options=server_options()
    )
    cluster.start()
    try:
        migrate.upgrade(cluster.url)
        asyncio.run(_seed(cluster.url))
        log(f"  migrated and seeded ({time.perf_counter() - started:.0f} s)")
        counts = asyncio.run(load(cluster.dsn(), cases=cases, teams=teams, seed=seed, log=log))
    except BaseException:
        cluster.stop("immediate")
        raise
    return Dataset(
        root, cluster, cases, teams, round(time.perf_counter() - started, 1), counts, False
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path(".data/bench"))
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--teams", type=int, default=5_000)
    args = p.parse_args()
    ds = build(args.root, cases=args.cases, teams=args.teams)
    print(f"Loaded {ds.rows} in {ds.seconds} s; {ds.url} (still running)")


if __name__ == "__main__":
    main()
