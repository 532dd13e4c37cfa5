"""Factories for every model: sensible defaults, override what the test is about."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Agency, Area, Case, Category, Team, User, team_members
from api.security import hash_password

_seq = itertools.count(1)
_HASH = hash_password("password123")


async def make_agency(db: AsyncSession, **kw: Any) -> Agency:
    n = next(_seq)
    a = Agency(
        **{
            "code": f"AG{n}",
            "name_id": f"Dinas {n}",
            "name_en": f"Agency {n}",
            "kind": "opd",
            "notes": "",
            "active": True,
            **kw,
        }
    )
    db.add(a)
    await db.flush()
    return a


async def make_category(db: AsyncSession, **kw: Any) -> Category:
    n = next(_seq)
    if "agency_id" not in kw:
        kw["agency_id"] = (await make_agency(db)).id
    c = Category(
        **{
            "code": f"CAT_{n}",
            "name_id": f"Kategori {n}",
            "name_en": f"Category {n}",
            "group": "layanan",
            "priority": "P3",
            "dedupe_radius_m": 100,
            "sla_accept_min": 10,
            "sla_arrive_min": 30,
            "sla_resolve_min": 120,
            "photo_required": False,
            "attributes": [],
            "active": True,
            **kw,
        }
    )
    db.add(c)
    await db.flush()
    return c


async def make_area(db: AsyncSession, lat: float = -4.0, lon: float = 122.5, **kw: Any) -> Area:
    n = next(_seq)
    a = Area(
        **{
            "name": f"Kecamatan {n}",
            "kind": "kecamatan",
            "center": f"SRID=4326;POINT({lon} {lat})",
            **kw,
        }
    )
    db.add(a)
    await db.flush()
    return a


async def make_user(db: AsyncSession, role: str = "operator", **kw: Any) -> User:
    n = next(_seq)
    if role in {"coordinator", "field_officer"} and "agency_id" not in kw:
        kw["agency_id"] = (await make_agency(db)).id
    u = User(
        **{
            "username": f"user{n}",
            "full_name": f"User {n}",
            "role": role,
            "password_hash": _HASH,
            "language": "id",
            "active": True,
            **kw,
        }
    )
    db.add(u)
    await db.flush()
    return u


async def make_team(db: AsyncSession, members: list[User] | None = None, **kw: Any) -> Team:
    n = next(_seq)
    if "agency_id" not in kw:
        kw["agency_id"] = (await make_agency(db)).id
    t = Team(**{"name": f"Tim {n}", "on_duty": True, **kw})
    db.add(t)
    await db.flush()
    for m in members or []:
        await db.execute(team_members.insert().values(team_id=t.id, user_id=m.id))
    return t


async def agency_by_code(db: AsyncSession, code: str) -> Agency:
    return (await db.execute(select(Agency).where(Agency.code == code))).scalar_one()


async def category_by_code(db: AsyncSession, code: str) -> Category:
    return (await db.execute(select(Category).where(Category.code == code))).scalar_one()


async def user_by_name(db: AsyncSession, username: str) -> User:
    return (await db.execute(select(User).where(User.username == username))).scalar_one()


async def field_team(db: AsyncSession, agency_id: int) -> tuple[Team, str]:
    """The agency's first team and the username of its first field officer (seeded data)."""
    team = (
        await db.execute(select(Team).where(Team.agency_id == agency_id).order_by(Team.id).limit(1))
    ).scalar_one()
    username = (
        await db.execute(
            select(User.username)
            .join(team_members, team_members.c.user_id == User.id)
            .where(team_members.c.team_id == team.id, User.role == "field_officer")
            .order_by(User.id)
            .limit(1)
        )
    ).scalar_one()
    return team, username


async def make_case(
    db: AsyncSession,
    *,
    category: Category | None = None,
    lat: float = -3.97,
    lon: float = 122.51,
    status: str = "new",
    team: Team | None = None,
    created_at: Any = None,
    **kw: Any,
) -> Case:
    """A case inserted directly (no timeline): for tests about things other than intake."""
    from datetime import UTC, datetime

    from api.domain.sla import SlaTargets, deadlines

    n = next(_seq)
    category = category or await make_category(db)
    created_at = created_at or datetime.now(UTC)
    d = deadlines(
        created_at,
        SlaTargets(category.sla_accept_min, category.sla_arrive_min, category.sla_resolve_min),
    )
    c = Case(
        **{
            "id": uuid.uuid4(),
            "reference": f"TST-{n:06d}",
            "category_id": category.id,
            "agency_id": category.agency_id,
            "team_id": team.id if team else None,
            "priority": category.priority,
            "status": status,
            "location": f"SRID=4326;POINT({lon} {lat})",
            "address": "",
            "landmark": "",
            "description": f"Kasus uji {n}",
            "channel": "phone",
            "accept_by": d.accept_by,
            "arrive_by": d.arrive_by,
            "resolve_by": d.resolve_by,
            "escalated_stages": [],
            "version": 1,
            "created_at": created_at,
            "updated_at": created_at,
            **kw,
        }
    )
    db.add(c)
    await db.flush()
    return c
