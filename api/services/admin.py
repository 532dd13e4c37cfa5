"""The admin console's use cases for the catalogue: agencies, categories and routing rules, and
the checks every admin write shares (not found, duplicate name, unknown reference).

Every write validates its references before touching anything, so bad input gives a 4xx
problem-details answer and changes nothing. Areas are in :mod:`api.services.areas`, teams in
:mod:`api.services.teams`, users in :mod:`api.services.users`.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import admin as q
from api.db.admin import CategoryRow
from api.db.models import Agency, Area, Category, RoutingRule, Team
from api.domain import questions
from api.domain.audit import AuditAction, AuditEntity
from api.errors import Conflict, NotFound, Unprocessable, field_conflict
from api.services.audit import Actor, record
from api.services.results import result

M = TypeVar("M")
S = TypeVar("S", bound=msgspec.Struct)

#: A request body as plain data: every field for a create, only the fields sent for a change
#: (``msgspec.to_builtins`` of the parsed body leaves unset fields out).
Fields = dict[str, Any]


# ------------------------------------------------------------ shared checks
async def get_or_404(db: AsyncSession, model: type[M], ident: int) -> M:
    obj = await db.get(model, ident)
    if obj is None:
        raise NotFound()
    return obj


async def get_ref(db: AsyncSession, model: type[M], ident: int, field: str) -> M:
    """Like :func:`get_or_404` for a reference inside a body: 422, not 404."""
    obj = await db.get(model, ident)
    if obj is None:
        raise Unprocessable("unknown_reference", field=field)
    return obj


async def add(db: AsyncSession, obj: M) -> M:
    """Insert a new row; its id and server defaults are read back."""
    db.add(obj)
    await db.flush()
    await db.refresh(obj)
    return obj


def apply_changes(obj: object, changes: Fields, skip: tuple[str, ...] = ()) -> None:
    for field, value in changes.items():
        if field not in skip:
            setattr(obj, field, value)


async def change_recorded(
    db: AsyncSession,
    by: Actor,
    action: AuditAction,
    entity: AuditEntity,
    row: Any,
    out: type[S],
    changes: Fields,
) -> S:
    """Apply ``changes`` to the loaded ``row`` and record ``action`` in the audit with the row
    before and after (both answered as ``out``); the row as it is now is returned."""
    before = result(out, row)
    apply_changes(row, changes)
    await db.flush()
    after = result(out, row)
    await record(db, by, action, entity, row.id, before=before, after=after)
    return after


async def ensure_unique(
    db: AsyncSession, column: Any, value: object, what: str, exclude_id: int | None = None
) -> None:
    """409 when another row already has ``value`` in the unique ``column`` (None passes)."""
    if value is not None and await q.value_taken(db, column, value, exclude_id):
        raise Conflict("already_exists", what=what)


async def ensure_agencies(db: AsyncSession, ids: list[int | None] | None, field: str) -> None:
    """422 naming ``field`` unless every id given is an agency's."""
    wanted = [i for i in ids or () if i is not None]
    if wanted and set(wanted) - await q.known_ids(db, Agency.id, wanted):
        raise Unprocessable("unknown_reference", field=field)


async def delete_row(db: AsyncSession, model: type[Any], ident: int) -> None:
    """Delete one row by id (404 when there is none)."""
    await db.delete(await get_or_404(db, model, ident))


# ---------------------------------------------------------------- agencies
class AgencyOut(msgspec.Struct):
    id: int
    code: str
    name_id: str
    name_en: str
    kind: str
    notes: str
    active: bool


async def list_agencies(db: AsyncSession) -> list[AgencyOut]:
    return [result(AgencyOut, a) for a in await q.all_rows(db, Agency, Agency.code)]


async def get_agency(db: AsyncSession, agency_id: int) -> AgencyOut:
    return result(AgencyOut, await get_or_404(db, Agency, agency_id))


async def create_agency(db: AsyncSession, fields: Fields, by: Actor) -> AgencyOut:
    await ensure_unique(db, Agency.code, fields["code"], "agency")
    out = result(AgencyOut, await add(db, Agency(**fields)))
    await record(db, by, "create", "agency", out.id, after=out)
    return out


async def update_agency(db: AsyncSession, agency_id: int, changes: Fields, by: Actor) -> AgencyOut:
    agency = await get_or_404(db, Agency, agency_id)
    await ensure_unique(db, Agency.code, changes.get("code"), "agency", agency_id)
    return await change_recorded(db, by, "update", "agency", agency, AgencyOut, changes)


async def delete_agency(db: AsyncSession, agency_id: int, by: Actor) -> None:
    """Delete an agency that nothing refers to (409 otherwise)."""
    agency = await get_or_404(db, Agency, agency_id)
    if await q.agency_in_use(db, agency_id):
        raise Conflict("in_use", what="agency")
    before = result(AgencyOut, agency)
    await db.delete(agency)
    await record(db, by, "delete", "agency", agency_id, before=before)


# -------------------------------------------------------------- categories
async def _category(db: AsyncSession, category_id: int) -> CategoryRow:
    return (await q.category_rows(db, Category.id == category_id))[0]


SLA_STAGES = ("sla_accept_min", "sla_arrive_min", "sla_resolve_min")


def refused_fields(found: list[questions.Problem]) -> Unprocessable:
    """A 422 naming every field at fault (``attributes[2].code``), each with its own code and
    message, so a form shows each beside its field; the first one is the answer's code."""
    errors = [{"key": p.field, "source": "body", "code": p.code} for p in found]
    return Unprocessable(found[0].code, extra={"errors": errors})


def _check_questions(fields: Fields) -> None:
    """The extra questions sent, in their stored shape (in ``fields``), or a 422 naming each
    fault beside its field."""
    if "attributes" in fields:
        asked = questions.normalised(fields["attributes"])
        found = questions.problems(asked)
        if found:
            raise refused_fields(found)
        fields["attributes"] = asked


async def _check_category(db: AsyncSession, fields: Fields, current: Category | None) -> None:
    """SLA stages in order (accept ≤ arrive ≤ resolve), a new code, every agency exists, and
    the extra questions are well made."""
    _check_questions(fields)
    accept, arrive, resolve = (int(fields.get(f, getattr(current, f, 0))) for f in SLA_STAGES)
    if not accept <= arrive <= resolve:
        raise Unprocessable("sla_order")
    await ensure_unique(
        db, Category.code, fields.get("code"), "category", current.id if current else None
    )
    await ensure_agencies(db, [fields.get("agency_id")], "agency_id")
    await ensure_agencies(db, fields.get("supporting_agency_ids"), "supporting_agency_ids")


async def _save_category(db: AsyncSession, category: Category, fields: Fields) -> CategoryRow:
    apply_changes(category, fields, skip=("supporting_agency_ids",))
    await db.flush()
    if "supporting_agency_ids" in fields:
        await q.replace_supporting_agencies(db, category.id, fields["supporting_agency_ids"])
    return await _category(db, category.id)


async def list_categories(db: AsyncSession) -> list[CategoryRow]:
    return await q.category_rows(db)


async def get_category(db: AsyncSession, category_id: int) -> CategoryRow:
    await get_or_404(db, Category, category_id)
    return await _category(db, category_id)


async def create_category(db: AsyncSession, fields: Fields, by: Actor) -> CategoryRow:
    await _check_category(db, fields, None)
    category = Category()
    db.add(category)
    out = await _save_category(db, category, fields)
    await record(db, by, "create", "category", out.id, after=out)
    return out


async def update_category(
    db: AsyncSession, category_id: int, changes: Fields, by: Actor
) -> CategoryRow:
    """Change a category (its supporting agencies too); cases already made keep theirs."""
    category = await get_or_404(db, Category, category_id)
    await _check_category(db, changes, category)
    before = await _category(db, category_id)
    out = await _save_category(db, category, changes)
    await record(db, by, "update", "category", category_id, before=before, after=out)
    return out


async def retire_category(db: AsyncSession, category_id: int, by: Actor) -> None:
    """Categories are kept for the cases' history: deleting one retires it."""
    category = await get_or_404(db, Category, category_id)
    before = await _category(db, category_id)
    category.active = False
    await db.flush()
    after = await _category(db, category_id)
    await record(db, by, "deactivate", "category", category_id, before=before, after=after)


# ----------------------------------------------------------- routing rules
class RoutingRuleOut(msgspec.Struct):
    id: int
    area_id: int
    category_id: int | None
    agency_id: int | None
    team_id: int | None
    note: str


async def list_rules(db: AsyncSession) -> list[RoutingRuleOut]:
    return [result(RoutingRuleOut, r) for r in await q.all_rows(db, RoutingRule, RoutingRule.id)]


async def create_rule(db: AsyncSession, fields: Fields, by: Actor) -> RoutingRuleOut:
    """A rule sends an area's cases (of one category, or all) to an agency, or a team first."""
    agency_id, team_id = fields.get("agency_id"), fields.get("team_id")
    if agency_id is None and team_id is None:
        raise Unprocessable("routing_rule_empty")
    await get_ref(db, Area, fields["area_id"], "area_id")
    if fields.get("category_id") is not None:
        await get_ref(db, Category, fields["category_id"], "category_id")
    # One rule per area and category: a second would leave the routing to chance.
    if await q.rule_taken(db, fields["area_id"], fields.get("category_id")):
        raise field_conflict("routing_rule_exists", "category_id")
    await ensure_agencies(db, [agency_id], "agency_id")
    if team_id is not None:
        team = await get_ref(db, Team, team_id, "team_id")
        if agency_id is not None and team.agency_id != agency_id:
            raise Unprocessable("team_wrong_agency")
    out = result(RoutingRuleOut, await add(db, RoutingRule(**fields)))
    await record(db, by, "create", "routing_rule", out.id, after=out)
    return out


async def delete_rule(db: AsyncSession, rule_id: int, by: Actor) -> None:
    before = result(RoutingRuleOut, await get_or_404(db, RoutingRule, rule_id))
    await delete_row(db, RoutingRule, rule_id)
    await record(db, by, "delete", "routing_rule", rule_id, before=before)
