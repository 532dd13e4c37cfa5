"""SLA: deadlines from a category's targets, and which deadlines a case has missed.

Three stages, each measured from the case's creation: accept (a team took it), arrive (the team
is on scene) and resolve. A stage is met when its moment happened before its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.domain.vocabulary import OPEN, Status

STAGES = ("accept", "arrive", "resolve")

# Statuses in which the clock still runs (the vocabulary's open statuses), by the name the
# statistics and escalation code know them.
OPEN_STATUSES: frozenset[Status] = OPEN


@dataclass(frozen=True, slots=True)
class SlaTargets:
    accept_min: int
    arrive_min: int
    resolve_min: int


@dataclass(frozen=True, slots=True)
class Deadlines:
    accept_by: datetime
    arrive_by: datetime
    resolve_by: datetime

    def of(self, stage: str) -> datetime:
        return {"accept": self.accept_by, "arrive": self.arrive_by, "resolve": self.resolve_by}[
            stage
        ]


def deadlines(created_at: datetime, targets: SlaTargets) -> Deadlines:
    return Deadlines(
        accept_by=created_at + timedelta(minutes=targets.accept_min),
        arrive_by=created_at + timedelta(minutes=targets.arrive_min),
        resolve_by=created_at + timedelta(minutes=targets.resolve_min),
    )


@dataclass(frozen=True, slots=True)
class Progress:
    """What a case has achieved so far (the moments are ``None`` until they happen)."""

    status: str
    accepted_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None


def _moment(progress: Progress, stage: str) -> datetime | None:
    return {
        "accept": progress.accepted_at,
        "arrive": progress.arrived_at,
        "resolve": progress.resolved_at,
    }[stage]


def overdue_stages(progress: Progress, d: Deadlines, now: datetime) -> list[str]:
    """The stages whose deadline has passed without the stage being reached."""
    if progress.status not in OPEN:
        return []
    return [s for s in STAGES if _moment(progress, s) is None and now >= d.of(s)]


def stages_to_escalate(
    progress: Progress, d: Deadlines, now: datetime, already: list[str] | tuple[str, ...]
) -> list[str]:
    """Overdue stages not escalated yet: each stage escalates once per case."""
    return [s for s in overdue_stages(progress, d, now) if s not in already]


def met(progress: Progress, d: Deadlines, stage: str) -> bool | None:
    """Whether a stage was reached in time; ``None`` while it is still pending."""
    moment = _moment(progress, stage)
    if moment is None:
        return None
    return moment <= d.of(stage)
