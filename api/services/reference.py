"""Reference data every signed-in user reads: the active agencies and categories, names in the
caller's language (both names too, so a client can switch language without asking again)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import admin as q
from api.db.admin import CategoryRow
from api.db.models import Agency, Category
from api.services.results import result


class AgencyItem(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str
    # Both names, so a client can switch language without asking again.
    name_id: str
    name_en: str


class CategoryItem(msgspec.Struct):
    id: int
    code: str
    name: str
    name_id: str
    name_en: str
    group: str
    agency_id: int
    supporting_agency_ids: list[int]
    priority: str
    dedupe_radius_m: int
    sla_accept_min: int
    sla_arrive_min: int
    sla_resolve_min: int
    photo_required: bool
    attributes: list[dict[str, Any]]
    sensitive: bool = False  # its cases never appear on a public surface


def _name(row: Agency | CategoryRow, lang: str) -> str:
    return row.name_en if lang == "en" else row.name_id


async def agencies(db: AsyncSession, lang: str) -> list[AgencyItem]:
    rows = await q.all_rows(db, Agency, Agency.code, Agency.active)
    return [result(AgencyItem, a, name=_name(a, lang)) for a in rows]


async def categories(db: AsyncSession, lang: str) -> list[CategoryItem]:
    rows = await q.category_rows(db, Category.active)
    return [result(CategoryItem, c, name=_name(c, lang)) for c in rows]
