"""Seed the reference city (Kendari by default), and on the demo path its demo users.

Idempotent: a second run changes nothing. Rows are inserted only when missing (matched by their
natural key), so an admin's later edits are never overwritten by a re-seed.

Reference data (agencies, categories, areas, teams) creates no account: a real city gets its
first admin from ``tanggap users create``. The demo users, who share the published
:data:`DEMO_PASSWORD`, exist only on the demo path (``tanggap dev``, ``tanggap seed --demo``), and
``tanggap serve`` refuses to start while an active account still has that password.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.geography import place_centres_of_kecamatan
from api.db.models import (
    Agency,
    Area,
    Category,
    NeighbourArea,
    Team,
    User,
    category_supporting_agencies,
    team_members,
)
from api.domain.vocabulary import ROLES, Role
from api.security import hash_password

DEMO_PASSWORD = "tanggap112"  # noqa: S105 - documented demo credential, printed by `tanggap dev`
# Passwords anyone can read in this repository: `tanggap serve` refuses accounts that have one.
KNOWN_PASSWORDS = (DEMO_PASSWORD,)

# (username, full name, role, agency code or None)
DEMO_USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin", "Admin Kota", "admin", None),
    ("supervisor", "Sari Supervisor", "supervisor", None),
    ("operator", "Ode Operator", "operator", None),
    ("dispatcher", "Dimas Dispatcher", "dispatcher", None),
    ("koordinator.dlhk", "Kurnia Koordinator DLHK", "coordinator", "DLHK"),
    ("petugas.dlhk", "Putra Petugas DLHK", "field_officer", "DLHK"),
    ("petugas2.dlhk", "Rina Petugas DLHK", "field_officer", "DLHK"),
    ("koordinator.damkar", "Kadir Koordinator Damkar", "coordinator", "DAMKARMAT"),
    ("petugas.damkar", "Andi Petugas Damkar", "field_officer", "DAMKARMAT"),
    ("petugas2.damkar", "Wawan Petugas Damkar", "field_officer", "DAMKARMAT"),
    ("petugas.bpbd", "Budi Petugas BPBD", "field_officer", "BPBD"),
    ("petugas.dishub", "Dewi Petugas Dishub", "field_officer", "DISHUB"),
    ("petugas.dinsos", "Sitti Petugas Dinsos", "field_officer", "DINSOS"),
    ("petugas.pupr", "Yusuf Petugas PUPR", "field_officer", "PUPR"),
    ("petugas.polresta", "Bripka Hendra", "field_officer", "POLRESTA"),
    ("petugas.pln", "Agus Petugas PLN", "field_officer", "PLN"),
    ("petugas.pdam", "Rahmat Petugas PDAM", "field_officer", "PDAM"),
    ("petugas.dinkes", "Nurul Petugas PSC 119", "field_officer", "DINKES"),
    ("petugas.satpolpp", "La Ode Petugas Satpol PP", "field_officer", "SATPOLPP"),
    ("petugas.dp3a", "Wa Ode Petugas DP3A", "field_officer", "DP3A"),
    ("petugas.distan", "Hasan Petugas Keswan", "field_officer", "DISTAN"),
    ("petugas.basarnas", "Irwan Petugas SAR", "field_officer", "BASARNAS"),
    ("petugas.diskominfo", "Fitri Petugas Diskominfo", "field_officer", "DISKOMINFO"),
]


def demo_logins() -> list[str]:
    """One demo account per role, in the order of :data:`ROLES` (what ``tanggap dev`` prints)."""
    first: dict[str, str] = {}
    for username, _full_name, role, _agency in DEMO_USERS:
        first.setdefault(role, username)
    return [first[role] for role in ROLES]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("api.seed_data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def agencies() -> list[dict[str, str]]:
    return _rows("agencies.csv")


def categories() -> list[dict[str, str]]:
    return _rows("categories.csv")


def areas() -> list[dict[str, str]]:
    return _rows("areas.csv")


@dataclass(frozen=True)
class SeedTeam:
    """A team of the reference city (``teams.csv``); its members exist on the demo path only."""

    agency: str
    name: str
    on_duty: bool
    demo_members: tuple[str, ...]


def teams() -> list[SeedTeam]:
    """The teams of the agencies that take most of the work."""
    return [
        SeedTeam(
            row["agency"],
            row["name"],
            _yes(row["on_duty"]),
            tuple(filter(None, row["demo_members"].split(";"))),
        )
        for row in _rows("teams.csv")
    ]


def _yes(text: str) -> bool:
    return text.strip().lower() == "true"


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(self.created.values())


async def seed_reference(db: AsyncSession) -> SeedReport:
    """Agencies, categories, areas and teams: no user accounts."""
    report = SeedReport()
    existing = {a.code: a for a in (await db.execute(select(Agency))).scalars()}
    for row in agencies():
        if row["code"] not in existing:
            a = Agency(
                code=row["code"],
                name_id=row["name_id"],
                name_en=row["name_en"],
                kind=row["kind"],
                notes=row["notes"],
                active=True,
            )
            db.add(a)
            existing[row["code"]] = a
            report.add("agencies")
    await db.flush()

    have_cat = set((await db.execute(select(Category.code))).scalars())
    for row in categories():
        if row["code"] in have_cat:
            continue
        c = Category(
            code=row["code"],
            name_id=row["name_id"],
            name_en=row["name_en"],
            group=row["group"],
            agency_id=existing[row["agency"]].id,
            priority=row["priority"],
            dedupe_radius_m=int(row["dedupe_radius_m"]),
            sla_accept_min=int(row["accept_min"]),
            sla_arrive_min=int(row["arrive_min"]),
            sla_resolve_min=int(row["resolve_h"]) * 60,
            photo_required=_yes(row["photo_required_to_resolve"]),
            # About a person rather than a place: never on a public surface.
            sensitive=_yes(row.get("sensitive", "")),
            attributes=[],
            active=True,
        )
        db.add(c)
        await db.flush()
        for code in filter(None, row["support_agencies"].split(";")):
            await db.execute(
                category_supporting_agencies.insert().values(
                    category_id=c.id, agency_id=existing[code.strip()].id
                )
            )
        report.add("categories")

    have_area = set((await db.execute(select(Area.name))).scalars())
    for row in areas():
        if row["kecamatan"] not in have_area:
            db.add(
                Area(
                    name=row["kecamatan"],
                    kind="kecamatan",
                    center=f"SRID=4326;POINT({row['center_lon']} {row['center_lat']})",
                )
            )
            report.add("areas")

    # The gazetteer starts with the kecamatan centres and nothing else: no invented places.
    await db.flush()
    if placed := await place_centres_of_kecamatan(db):
        report.add("places", placed)

    have_team = {(t.agency_id, t.name) for t in (await db.execute(select(Team))).scalars()}
    for team in teams():
        agency_id = existing[team.agency].id
        if (agency_id, team.name) in have_team:
            continue
        db.add(Team(agency_id=agency_id, name=team.name, on_duty=team.on_duty))
        report.add("teams")
    await db.flush()
    return report


async def seed_demo_users(db: AsyncSession) -> SeedReport:
    """The demo users (password :data:`DEMO_PASSWORD`) and their team places: demo path only."""
    report = SeedReport()
    agency_ids = {a.code: a.id for a in (await db.execute(select(Agency))).scalars()}
    users = {u.username: u for u in (await db.execute(select(User))).scalars()}
    password_hash: str | None = None
    for username, full_name, role, agency in DEMO_USERS:
        if username in users:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        u = User(
            username=username,
            full_name=full_name,
            role=role,
            agency_id=agency_ids[agency] if agency else None,
            password_hash=password_hash,
            language="id",
            active=True,
        )
        db.add(u)
        users[username] = u
        report.add("users")
    await db.flush()
    if not report.created:
        return report
    team_ids = {(t.agency_id, t.name): t.id for t in (await db.execute(select(Team))).scalars()}
    for team in teams():
        team_id = team_ids.get((agency_ids[team.agency], team.name))
        for m in team.demo_members if team_id is not None else []:
            await db.execute(
                insert(team_members)
                .values(team_id=team_id, user_id=users[m].id)
                .on_conflict_do_nothing()
            )
    await db.flush()
    return report


def _multipolygon(geometry: dict[str, Any]) -> str:
    """A GeoJSON Polygon as EWKT MultiPolygon."""
    rings = ", ".join(
        "(" + ", ".join(f"{lon} {lat}" for lon, lat in ring) + ")"
        for ring in geometry["coordinates"]
    )
    return f"SRID=4326;MULTIPOLYGON(({rings}))"


async def seed_neighbours(db: AsyncSession) -> int:
    """The city's neighbours (``neighbours.geojson``: approximate polygons, no contacts, since
    none are published): demo path only, each added when missing."""
    have = set((await db.execute(select(NeighbourArea.name_id))).scalars())
    text = resources.files("api.seed_data").joinpath("neighbours.geojson").read_text("utf-8")
    added = 0
    for feature in json.loads(text)["features"]:
        about = feature["properties"]
        if about["name_id"] in have:
            continue
        db.add(
            NeighbourArea(
                name_id=about["name_id"],
                name_en=about["name_en"],
                approximate=bool(about["approximate"]),
                boundary=_multipolygon(feature["geometry"]),
                contact_112="",
                contact_phone="",
                contact_email="",
                contact_radio="",
            )
        )
        added += 1
    await db.flush()
    return added


async def seed(db: AsyncSession, **options: Any) -> SeedReport:
    """The reference city; with ``demo_users=True`` also the demo users; with ``demo=`` (a
    :class:`DemoContext`) the demo users and a living control room."""
    report = await seed_reference(db)
    demo = options.get("demo")
    if demo is not None or options.get("demo_users"):
        for what, n in (await seed_demo_users(db)).created.items():
            report.add(what, n)
        if added := await seed_neighbours(db):
            report.add("neighbours", added)
    if demo is not None:
        from api.seed_demo import seed_demo_city

        report.add("cases", await seed_demo_city(db, demo))
    return report
