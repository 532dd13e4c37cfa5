"""Routing: which agency is responsible for a case, and which team to suggest first.

The category names the responsible agency; an area rule may override it for one kecamatan (for
one category, or for all of them), and may name a preferred team. The most specific rule wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AreaRule:
    area_id: int
    category_id: int | None
    agency_id: int | None
    team_id: int | None
    team_agency_id: int | None = None  # the agency the named team belongs to
    id: int | None = None  # the rule's id, to say which rule decided


@dataclass(frozen=True, slots=True)
class Route:
    agency_id: int
    preferred_team_id: int | None
    supporting_agency_ids: tuple[int, ...]
    rule_id: int | None = None  # the rule that chose the agency, else the team (None: no rule)


def route(
    category_id: int,
    category_agency_id: int,
    supporting_agency_ids: list[int] | tuple[int, ...],
    area_id: int | None,
    rules: list[AreaRule],
) -> Route:
    agency_id = category_agency_id
    team_id: int | None = None
    applicable = [
        r
        for r in rules
        if area_id is not None and r.area_id == area_id and r.category_id in (None, category_id)
    ]
    # Category-specific rules first, then area-wide ones.
    applicable.sort(key=lambda r: r.category_id is None)
    deciding: AreaRule | None = None
    for r in applicable:
        if r.agency_id is not None:
            agency_id = r.agency_id
            deciding = r
            break
    for r in applicable:
        # A team can only be suggested to work for its own agency.
        if r.team_id is not None and r.team_agency_id == agency_id:
            team_id = r.team_id
            deciding = deciding or r
            break
    support = tuple(a for a in sorted(set(supporting_agency_ids)) if a != agency_id)
    return Route(agency_id, team_id, support, deciding.id if deciding else None)
