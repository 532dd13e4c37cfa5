"""The case state machine: who may move a case from which status to which, and what each move needs.

This is the only place these rules live. Services ask :func:`decide` before changing a case; it
answers with a :class:`Decision` (the new status and the timeline event to record) or raises
:class:`TransitionRefused` with a stable code. No I/O: the caller passes in the facts.

Relationships matter as much as roles: a field officer acts only on cases assigned to one of
their teams; a coordinator acts only within their agency; the control room acts city-wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from api.domain.lifecycle import OPEN

Action = Literal[
    "assign",
    "accept",
    "en_route",
    "on_scene",
    "resolve",
    "return",
    "transfer",
    "close",
    "cancel",
    "invalid",
    "reopen",
    "merge",
]
ACTIONS: tuple[Action, ...] = (
    "assign",
    "accept",
    "en_route",
    "on_scene",
    "resolve",
    "return",
    "transfer",
    "close",
    "cancel",
    "invalid",
    "reopen",
    "merge",
)
# Actions a field officer's phone sends through the transitions endpoint.
FIELD_ACTIONS = ("accept", "en_route", "on_scene", "resolve", "return")

CONTROL_ROOM = frozenset({"operator", "dispatcher", "admin"})
OVERSIGHT = frozenset({"dispatcher", "supervisor", "admin"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks. ``kind`` is "user" for staff, "citizen" for a reporter with a tracking token,
    "system" for jobs (SLA escalation, auto-close)."""

    kind: Literal["user", "citizen", "system"] = "user"
    role: str | None = None
    agency_id: int | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    status: str
    agency_id: int
    team_id: int | None
    photo_required: bool = False
    team_photo_count: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    to_status: str
    event_kind: str
    clears_team: bool = False


class TransitionRefused(Exception):
    """``status`` is the HTTP status the refusal maps to: 403 (not yours to do), 409 (not from
    this status), 422 (something required is missing)."""

    def __init__(self, code: str, status: int, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = params


# From which statuses each action may start, and where it leads.
SOURCES: dict[Action, frozenset[str]] = {
    "assign": frozenset(
        {"new", "returned", "reopened", "dispatched", "accepted", "en_route", "on_scene"}
    ),
    "accept": frozenset({"dispatched"}),
    "en_route": frozenset({"accepted"}),
    # A team already close by may arrive without announcing the journey.
    "on_scene": frozenset({"accepted", "en_route"}),
    "resolve": frozenset({"on_scene"}),
    "return": frozenset({"dispatched", "accepted", "en_route", "on_scene"}),
    "transfer": OPEN,
    "close": frozenset({"resolved"}),
    "cancel": OPEN,
    "invalid": frozenset({"new", "returned", "reopened", "dispatched"}),
    "reopen": frozenset({"resolved", "closed"}),
    "merge": OPEN,
}
TARGET: dict[Action, str] = {
    "assign": "dispatched",
    "accept": "accepted",
    "en_route": "en_route",
    "on_scene": "on_scene",
    "resolve": "resolved",
    "return": "returned",
    "transfer": "new",
    "close": "closed",
    "cancel": "cancelled",
    "invalid": "invalid",
    "reopen": "reopened",
    "merge": "duplicate",
}
NOTE_REQUIRED: frozenset[Action] = frozenset(
    {"return", "transfer", "cancel", "invalid", "reopen", "resolve"}
)


def _is_team_member(actor: Actor, case: CaseFacts) -> bool:
    return case.team_id is not None and case.team_id in actor.team_ids


def _is_agency_coordinator(actor: Actor, case: CaseFacts) -> bool:
    return actor.role == "coordinator" and actor.agency_id == case.agency_id


def may(action: Action, actor: Actor, case: CaseFacts) -> bool:
    """Whether this actor may take this action on this case (status aside)."""
    if actor.kind == "system":
        return action in {"close"}
    if actor.kind == "citizen":
        return action == "reopen"
    role = actor.role
    field_work = _is_team_member(actor, case) and role == "field_officer"
    coordinator = _is_agency_coordinator(actor, case)
    match action:
        case "accept" | "en_route" | "on_scene" | "resolve" | "return":
            return field_work or coordinator
        case "assign":
            return role in CONTROL_ROOM or coordinator
        case "transfer" | "merge":
            return role in CONTROL_ROOM or coordinator
        case "close":
            return role in OVERSIGHT or coordinator
        case "cancel" | "invalid":
            return role in CONTROL_ROOM
        case "reopen":
            return role in OVERSIGHT
    return False


def decide(
    action: Action,
    actor: Actor,
    case: CaseFacts,
    *,
    note: str = "",
    target_agency_id: int | None = None,
    target_team_agency_id: int | None = None,
) -> Decision:
    """The outcome of ``action`` by ``actor`` on ``case``, or :class:`TransitionRefused`."""
    if action not in SOURCES:
        raise TransitionRefused("unknown_action", 422, action=action)
    if not may(action, actor, case):
        raise TransitionRefused("forbidden", 403)
    if case.status not in SOURCES[action]:
        raise TransitionRefused("transition_not_allowed", 409, action=action, current=case.status)
    if action in NOTE_REQUIRED and not note.strip():
        raise TransitionRefused("note_required", 422, action=action)
    if action == "resolve" and case.photo_required and case.team_photo_count < 1:
        raise TransitionRefused("photo_required", 422)
    if action == "assign":
        if target_team_agency_id is None:
            raise TransitionRefused("team_required", 422)
        if target_team_agency_id != case.agency_id:
            raise TransitionRefused("team_wrong_agency", 422)
        kind = "reassigned" if case.team_id is not None else "dispatched"
        return Decision("dispatched", kind)
    if action == "transfer":
        if target_agency_id is None:
            raise TransitionRefused("agency_required_for_transfer", 422)
        if target_agency_id == case.agency_id:
            raise TransitionRefused("transfer_same_agency", 422)
        return Decision("new", "transferred", clears_team=True)
    if action == "merge":
        return Decision("duplicate", "duplicate")
    clears = action in {"return", "cancel", "invalid"}
    # The event is named after the status reached: accepted, resolved, returned, ...
    return Decision(TARGET[action], TARGET[action], clears_team=clears)


def available_actions(actor: Actor, case: CaseFacts) -> list[Action]:
    """The actions this actor could take now (for the UI's buttons; requirements aside)."""
    return [a for a in ACTIONS if case.status in SOURCES[a] and may(a, actor, case)]
