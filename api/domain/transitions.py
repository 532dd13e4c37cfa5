"""The case state machine: who may move a case from which status to which, and what each move needs.

This is the only place these rules live. :func:`decide` answers whether a move is allowed with a
:class:`Decision` (the new status and the timeline event to record) or raises
:class:`TransitionRefused` with a stable code. :func:`plan`, :func:`plan_dispute` and
:func:`plan_merge` add the checks on what a move names (the team, the agency, the parent case) and
answer with its :class:`Effects`: the fields to set and the event to append. The service loads the
facts, asks here, and persists the effects; the notifications follow from the events
(:mod:`api.services.notify` writes them to the outbox in the same transaction). No I/O.

Relationships matter as much as roles: a field officer acts only on cases assigned to one of
their teams; a coordinator acts only within their agency; the control room acts city-wide.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from api.domain.lifecycle import FINISHED, OPEN, VOID
from api.domain.vocabulary import DISPATCH_ROLES, OVERSIGHT_ROLES

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
ACTIONS: tuple[Action, ...] = get_args(Action)
# Actions a field officer's phone sends through the transitions endpoint.
FIELD_ACTIONS = ("accept", "en_route", "on_scene", "resolve", "return")


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
    # The moments the bookkeeping of a move looks at (see :func:`plan`).
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None


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
            return role in DISPATCH_ROLES or coordinator
        case "transfer" | "merge":
            return role in DISPATCH_ROLES or coordinator
        case "close":
            return role in OVERSIGHT_ROLES or coordinator
        case "cancel" | "invalid":
            return role in DISPATCH_ROLES
        case "reopen":
            return role in OVERSIGHT_ROLES
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


# ------------------------------------------------------------------ effects
@dataclass(frozen=True, slots=True)
class Ask:
    """What a staff member's move names: the note, and for ``assign`` the team (with its
    agency, ``None`` when no such team exists), for ``transfer`` the agency (and whether it
    exists and is active)."""

    note: str = ""
    team_id: int | None = None
    team_agency_id: int | None = None
    agency_id: int | None = None
    agency_active: bool = False


@dataclass(frozen=True, slots=True)
class Happened:
    """An event to append to the case's timeline."""

    kind: str
    from_status: str | None = None
    to_status: str | None = None
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    public: bool = True


@dataclass(frozen=True, slots=True)
class Effects:
    """Everything a move does to one case: the fields to set, and the event to append. The
    case's ``version`` goes up by one and ``updated_at`` becomes the move's time as well."""

    changes: Mapping[str, Any]
    event: Happened


def _bookkeeping(decision: Decision, case: CaseFacts, now: datetime) -> dict[str, Any]:
    """The fields each outcome sets, besides the status."""
    to = decision.to_status
    changes: dict[str, Any] = {}
    if decision.clears_team:
        changes["team_id"] = None
    if to == "dispatched" and case.dispatched_at is None:
        changes["dispatched_at"] = now
    if to in {"dispatched", "returned", "new", "reopened"}:
        # Whoever takes the case now must accept and arrive again.
        changes["accepted_at"] = None
        changes["arrived_at"] = None
    if to == "accepted":
        changes["accepted_at"] = now
    if to == "on_scene":
        changes["arrived_at"] = now
        changes["accepted_at"] = case.accepted_at or now
    if to == "resolved":
        changes["resolved_at"] = now
    if to == "closed":
        changes["closed_at"] = now
    if to == "reopened":
        changes["resolved_at"] = None
        changes["closed_at"] = None
    changes["status"] = to
    return changes


def plan(action: Action, actor: Actor, case: CaseFacts, ask: Ask, now: datetime) -> Effects:
    """The effects of a staff member's move (everything but merge), or
    :class:`TransitionRefused`: an unknown team or agency, a team already dispatched, and every
    refusal of :func:`decide`."""
    if action == "assign":
        if ask.team_id is not None and ask.team_agency_id is None:
            raise TransitionRefused("unknown_reference", 422, field="team_id")
        if ask.team_id is not None and ask.team_id == case.team_id and case.status == "dispatched":
            raise TransitionRefused("already_assigned", 409)
    if action == "transfer" and ask.agency_id is not None and not ask.agency_active:
        raise TransitionRefused("unknown_reference", 422, field="agency_id")
    targets = {"target_agency_id": ask.agency_id, "target_team_agency_id": ask.team_agency_id}
    decision = decide(action, actor, case, note=ask.note, **targets)
    changes = _bookkeeping(decision, case, now)
    data: dict[str, Any] = {}
    if action == "assign":
        changes["team_id"] = ask.team_id
        data = {"team_id": ask.team_id, "previous_team_id": case.team_id}
    elif action == "transfer":
        changes["agency_id"] = ask.agency_id
        data = {
            "from_agency_id": case.agency_id,
            "to_agency_id": ask.agency_id,
            "previous_team_id": case.team_id,
        }
    elif decision.clears_team and case.team_id is not None:
        data = {"previous_team_id": case.team_id}
    event = Happened(decision.event_kind, case.status, decision.to_status, ask.note.strip(), data)
    return Effects(changes, event)


def plan_dispute(case: CaseFacts, reporter_id: int, note: str, now: datetime) -> Effects:
    """A citizen disputes the resolution: the case reopens (its agency is told by the event)."""
    decision = decide("reopen", Actor(kind="citizen"), case, note=note)
    event = Happened(
        "reopened", case.status, decision.to_status, note.strip(), {"reporter_id": reporter_id}
    )
    return Effects(_bookkeeping(decision, case, now), event)


@dataclass(frozen=True, slots=True)
class CaseRef:
    """A case as a merge names it."""

    id: uuid.UUID
    reference: str
    status: str


@dataclass(frozen=True, slots=True)
class MergePlan:
    """A merge: the child becomes a duplicate of the parent, and its reporters follow it."""

    child: Effects
    note: str

    def parent(self, child: CaseRef, reporter_ids: list[int]) -> Effects:
        """The parent's side, once the reporters who moved are known."""
        data = {
            "child_id": str(child.id),
            "child_reference": child.reference,
            "reporter_ids": reporter_ids,
        }
        return Effects({}, Happened("merged", note=self.note, data=data))


def merge_refusal(case_id: object, parent_id: object) -> None:
    """A case cannot be merged into itself (checked before either case is loaded)."""
    if case_id == parent_id:
        raise TransitionRefused("merge_into_itself", 422)


def plan_merge(
    actor: Actor, child: CaseFacts, parent: CaseRef, note: str, now: datetime
) -> MergePlan:
    """The effects of merging ``child`` into ``parent``, or :class:`TransitionRefused`."""
    if parent.status in VOID:
        raise TransitionRefused("merge_target_closed", 422)
    decision = decide("merge", actor, child, note=note)
    changes = _bookkeeping(decision, child, now) | {"duplicate_of_id": parent.id, "team_id": None}
    event = Happened(
        "duplicate",
        child.status,
        decision.to_status,
        note.strip(),
        {"parent_id": str(parent.id), "parent_reference": parent.reference},
    )
    return MergePlan(Effects(changes, event), note.strip())


def check_rating(*, follower: bool, status: str) -> None:
    """A citizen rates a case once it is finished, and only as its original reporter (a
    follower of a merged or similar case never does); :class:`TransitionRefused` otherwise."""
    if follower:
        raise TransitionRefused("rating_followers_cannot", 403)
    if status not in FINISHED:
        raise TransitionRefused("rating_not_allowed", 409)
