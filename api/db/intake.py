"""The intake's SQL at the database's terms: SQLAlchemy Core statements built once at import
(their compiled form is cached by SQLAlchemy, their prepared form by asyncpg per connection),
each doing as much as one round trip can.

- :data:`_PLACE_SQL`: a category, the kecamatan at a point and where a case of it goes there
  (supporting agencies and the area's routing rules), in one query;
- :func:`insert_intake`: the case (``INSERT ... ON CONFLICT DO NOTHING RETURNING``), its
  reporter and its ``created`` event with the live ``NOTIFY``, and the names the answer shows,
  in one statement (no savepoint, no re-read);
- :func:`insert_event`: a timeline event and its live ``NOTIFY`` in one statement (every other
  move's).

The ORM stays where cost does not matter; these statements never touch the session's identity
map, so nothing here is re-read or flushed.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import cast as as_table

import msgspec
from sqlalchemy import (
    BindParameter,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.direct import OneStatement, Statement, in_transaction, one_row
from api.db.models import Agency, Case, CaseEvent, CaseReporter
from api.domain import routing

# --------------------------------------------------------------- place and route
_PLACE_SQL = text(
    """
    SELECT cat.id, cat.code, cat.name_id, cat.name_en, cat.agency_id, cat.priority,
           cat.sensitive, cat.active, cat.sla_accept_min, cat.sla_arrive_min,
           cat.sla_resolve_min,
           a.id AS area_id, a.name AS area_name,
           ARRAY(SELECT s.agency_id FROM category_supporting_agencies s
                 WHERE s.category_id = cat.id) AS support,
           (SELECT coalesce(json_agg(json_build_array(r.area_id, r.category_id, r.agency_id,
                                                      r.team_id, t.agency_id, r.id)), '[]')::text
            FROM routing_rules r LEFT JOIN teams t ON t.id = r.team_id
            WHERE r.area_id = a.id) AS rules
    FROM categories cat
    CROSS JOIN (SELECT CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography) AS pt) p
    LEFT JOIN LATERAL (
        SELECT ar.id, ar.name FROM areas ar
        ORDER BY coalesce(ST_Covers(ar.boundary, p.pt), false) DESC, ar.center <-> p.pt
        LIMIT 1
    ) a ON true
    WHERE cat.id = :category_id
    """
)
_PLACE = Statement(_PLACE_SQL)

_RULES = msgspec.json.Decoder(list[tuple[int, int | None, int | None, int | None, int | None, int]])


@dataclass(frozen=True, slots=True)
class Place:
    """A category as intake needs it, the kecamatan at the point, and the route there."""

    category_id: int
    category_code: str
    category_name_id: str
    category_name_en: str
    category_agency_id: int
    priority: str
    sensitive: bool
    active: bool
    sla_accept_min: int
    sla_arrive_min: int
    sla_resolve_min: int
    area_id: int | None
    area_name: str | None
    route: routing.Route


async def place(
    db: AsyncSession | OneStatement, category_id: int, lon: float, lat: float
) -> Place | None:
    """The category (``None``: no such category), the area at the point and the route."""
    params = {"lon": float(lon), "lat": float(lat), "category_id": category_id}
    row = await one_row(db, _PLACE, params)
    if row is None:
        return None
    area_id = row["area_id"]
    rules = [routing.AreaRule(*r) for r in _RULES.decode(row["rules"])] if area_id else []
    route = routing.route(row["id"], row["agency_id"], list(row["support"]), area_id, rules)
    return Place(
        row["id"],
        row["code"],
        row["name_id"],
        row["name_en"],
        row["agency_id"],
        row["priority"],
        row["sensitive"],
        row["active"],
        row["sla_accept_min"],
        row["sla_arrive_min"],
        row["sla_resolve_min"],
        area_id,
        row["area_name"],
        route,
    )


def _params(table: Table, columns: list[str], prefix: str = "") -> list[BindParameter[Any]]:
    """A bound parameter per column, named ``prefix + column`` and typed as the column (a
    prefix keeps apart the same column names of two tables in one statement)."""
    return [bindparam(prefix + n, type_=table.c[n].type) for n in columns]


def _insert(table: Table, columns: list[str]) -> Insert:
    """``INSERT INTO table (columns) VALUES (:column, ...)``, each value bound by its column's
    name and type (built once; executed with a dict of the values)."""
    return insert(table).values(dict(zip(columns, _params(table, columns), strict=True)))


# ------------------------------------------------------------------ the case
_cases = as_table(Table, Case.__table__)
# Every column of a new case; the stage times and ``closed_at`` come later.
_CASE_COLUMNS = [
    c.key
    for c in _cases.c
    if c.key not in ("dispatched_at", "accepted_at", "arrived_at", "resolved_at", "closed_at")
]

_new_case = (
    _insert(_cases, _CASE_COLUMNS)
    .on_conflict_do_nothing(index_elements=[_cases.c.reference])
    .returning(_cases.c.id, _cases.c.agency_id)
    .cte("new_case")
)


@dataclass(frozen=True, slots=True)
class AgencyNames:
    code: str
    name_id: str
    name_en: str

    def names(self) -> tuple[str, str, str]:
        return self.code, self.name_id, self.name_en


def case_values(case: Case) -> dict[str, Any]:
    """The columns :func:`insert_intake` stores, from a new (transient) case."""
    return {name: getattr(case, name) for name in _CASE_COLUMNS}


# --------------------------------------------------------------- the reporter
_reporters = as_table(Table, CaseReporter.__table__)
_REPORTER_COLUMNS = [c.key for c in _reporters.c if c.key != "id"]


# ------------------------------------------------------------------ the event
_events = as_table(Table, CaseEvent.__table__)
_EVENT_COLUMNS = [c.key for c in _events.c if c.key != "id"]
_new_event = _insert(_events, _EVENT_COLUMNS).returning(_events.c.id).cte("new_event")


def _notified(event_id: Any, channel: str = "channel") -> Any:
    """The event's live ``NOTIFY`` on the channel bound as ``channel``, encoded around its id
    (known only once inserted): the payload is ``head || id || tail``, the same bytes as
    encoding the whole message with its id."""
    payload = bindparam("head", type_=String) + cast(event_id, Text)
    return func.pg_notify(bindparam(channel), payload + bindparam("tail", type_=String))


_INSERT_EVENT = select(_new_event.c.id, _notified(_new_event.c.id).label("notified"))
_INSERT_EVENT_SILENT = select(_new_event.c.id)
_EVENT, _EVENT_SILENT = Statement(_INSERT_EVENT), Statement(_INSERT_EVENT_SILENT)


@functools.lru_cache(maxsize=64)
def _moving(columns: tuple[str, ...], live: bool) -> Statement:
    """The event's statement that also updates the case's ``columns`` (bound as
    ``c_<column>``; the case as ``moved_case``). One per set of columns a move changes: a
    dozen or so, each compiled once."""
    moved = (
        update(_cases)
        .where(_cases.c.id == bindparam("moved_case", type_=_cases.c.id.type))
        .values(dict(zip(columns, _params(_cases, list(columns), "c_"), strict=True)))
        .cte("moved")
    )
    return Statement((_INSERT_EVENT if live else _INSERT_EVENT_SILENT).add_cte(moved))


async def insert_event(
    db: AsyncSession,
    event: CaseEvent,
    notify: tuple[str, str, str] | None,
    case_changes: Mapping[str, Any] | None = None,
) -> int:
    """Store a timeline event and, with ``notify = (channel, head, tail)``, send its live
    message (``head || id || tail``) in the same statement; its id, also set on ``event``.
    ``case_changes`` (column → value) update the event's case in the same statement too (a
    lifecycle move: its status, stage times, version); the caller marks them stored on the
    ORM's case (:func:`api.db.cases.stored`). On the session's own connection, inside its
    transaction."""
    values = {name: getattr(event, name) for name in _EVENT_COLUMNS}
    if notify is not None:
        values["channel"], values["head"], values["tail"] = notify
    if case_changes:
        statement = _moving(tuple(sorted(case_changes)), notify is not None)
        values |= {f"c_{name}": value for name, value in case_changes.items()}
        values["moved_case"] = event.case_id
    else:
        statement = _EVENT if notify is not None else _EVENT_SILENT
    [row] = await (await in_transaction(db)).rows(statement, values)
    event.id = int(row["id"])
    return event.id


# ------------------------------------------------------- a whole intake, at once
def _insert_for(table: Table, columns: list[str], prefix: str, case_columns: list[str]) -> Insert:
    """``INSERT INTO table (columns, case_columns) SELECT :prefix_column, ..., new_case.id, ...
    FROM new_case``: a row of the case :data:`_new_case` stores in the same statement, and none
    when it stores none (a taken reference). ``case_columns`` hold the new case's id."""
    held = [_new_case.c.id.label(n) for n in case_columns]
    return insert(table).from_select(
        [*columns, *case_columns], select(*_params(table, columns, prefix), *held)
    )


# The case, its reporter and its ``created`` event with the live NOTIFY in one statement: the
# reporter and the event select from the case's insert, so a taken reference stores nothing
# (and sends nothing) and is drawn again. Parameters: the case's columns by name, the
# reporter's as ``r_<column>``, the event's as ``e_<column>``, and the NOTIFY's parts.
# Columns bound from values (the rest hold the new case's id).
_OWN_REPORTER = [n for n in _REPORTER_COLUMNS if n not in ("case_id", "original_case_id")]
_OWN_EVENT = [n for n in _EVENT_COLUMNS if n != "case_id"]
_intake_reporter = (
    _insert_for(_reporters, _OWN_REPORTER, "r_", ["case_id", "original_case_id"])
    .returning(_reporters.c.id)
    .cte("new_reporter")
)
_intake_event = (
    _insert_for(_events, _OWN_EVENT, "e_", ["case_id"]).returning(_events.c.id).cte("created_event")
)
_INTAKE = select(
    Agency.code,
    Agency.name_id,
    Agency.name_en,
    _intake_event.c.id.label("event_id"),
    # The case's ``channel`` column is bound as ``channel``: the NOTIFY's is another name.
    _notified(_intake_event.c.id, "live_channel").label("notified"),
).join_from(_new_case, Agency, Agency.id == _new_case.c.agency_id)
_INTAKE = _INTAKE.join(_intake_event, true())
_INTAKE_WITH_REPORTER = _INTAKE.add_columns(_intake_reporter.c.id.label("reporter_id")).join(
    _intake_reporter, true()
)
_WITHOUT_REPORTER, _WITH_REPORTER = Statement(_INTAKE), Statement(_INTAKE_WITH_REPORTER)


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing an intake tells: its agency's names and the new rows' ids."""

    agency: AgencyNames
    event_id: int
    reporter_id: int | None


async def insert_intake(
    db: AsyncSession | OneStatement,
    case: Case,
    reporter: CaseReporter | None,
    event: CaseEvent,
    notify: tuple[str, str, str],
) -> Stored | None:
    """Store a new case, its reporter (if any) and its ``created`` event, and send the event's
    live message (``notify = (channel, head, tail)``), in one statement; ``None`` when the
    case's reference is taken (nothing stored: draw another). Sets the new rows' ids.

    ``db``: the case's transaction, or a connection in autocommit when the statement is the
    whole write (:func:`api.db.direct.connection`)."""
    values = case_values(case)
    values.update({"e_" + n: getattr(event, n) for n in _OWN_EVENT})
    values["live_channel"], values["head"], values["tail"] = notify
    stmt = _WITHOUT_REPORTER
    if reporter is not None:
        values.update({"r_" + n: getattr(reporter, n) for n in _OWN_REPORTER})
        # Unset on a new (transient) row: the column's default, bound here for every path.
        values["r_follower"] = bool(reporter.follower)
        stmt = _WITH_REPORTER
    row = await one_row(db, stmt, values)
    if row is None:
        return None
    event.id = int(row["event_id"])
    reporter_id = None
    if reporter is not None:
        reporter.id = reporter_id = int(row["reporter_id"])
    agency = AgencyNames(row["code"], row["name_id"], row["name_en"])
    return Stored(agency, event.id, reporter_id)


# ------------------------------------------------------------------ points
_EWKB_POINT = struct.Struct("<dd")


def lon_lat(location: Any) -> tuple[float, float] | None:
    """The longitude and latitude of a point as the ORM holds it: EWKT text of a new row
    (``SRID=4326;POINT(lon lat)``) or the little-endian EWKB of a loaded one; ``None`` when it is
    neither."""
    if isinstance(location, str):
        inner = location.partition("POINT(")[2].rstrip(")")
        lon, _, lat = inner.partition(" ")
        return float(lon), float(lat)
    data = getattr(location, "data", None)
    if isinstance(data, str):
        data = bytes.fromhex(data)
    if isinstance(data, bytes | memoryview) and len(data) in (21, 25) and data[0] == 1:
        lon, lat = _EWKB_POINT.unpack_from(bytes(data), len(data) - 16)
        return lon, lat
    return None
