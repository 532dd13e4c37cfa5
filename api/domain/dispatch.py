"""Team suggestions: which available teams to offer the dispatcher first.

A team an area rule names for the place comes first. Then teams with a fresh position, nearest
first; teams about as near as each other (in the same 250 m band) are ordered by how many cases
they are already working. Teams without a fresh position follow, least busy first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DISTANCE_BAND_M = 250


@dataclass(frozen=True, slots=True)
class Candidate:
    team_id: int
    name: str
    distance_m: float | None  # None when the team has no position at all
    position_at: datetime | None
    open_cases: int
    preferred: bool = False  # named by an area rule


@dataclass(frozen=True, slots=True)
class Suggestion(Candidate):
    """A candidate with the age of its position judged: fresh or not."""

    position_age_s: int | None = None
    fresh: bool = False


def suggest_teams(
    candidates: list[Candidate], now: datetime, fresh_within: timedelta
) -> list[Suggestion]:
    out = []
    for c in candidates:
        age = int((now - c.position_at).total_seconds()) if c.position_at else None
        fresh = age is not None and c.distance_m is not None and age <= fresh_within.total_seconds()
        out.append(
            Suggestion(
                *(c.team_id, c.name, c.distance_m, c.position_at, c.open_cases, c.preferred),
                position_age_s=age,
                fresh=fresh,
            )
        )

    def key(s: Suggestion) -> tuple[object, ...]:
        band = int((s.distance_m or 0) // DISTANCE_BAND_M) if s.fresh else 0
        return (
            not s.preferred,
            not s.fresh,
            band,
            s.open_cases,
            s.distance_m if s.fresh and s.distance_m is not None else 0.0,
            s.team_id,
        )

    return sorted(out, key=key)
