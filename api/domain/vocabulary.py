"""The words the whole system shares: case statuses and their groups, timeline event kinds, call
classes, priorities, staff roles and role groups, and intake channels.

Each concept is defined here once, as a ``Literal`` type (for route and response types, and so for
the OpenAPI schema and the PWA's generated types) and as a tuple of its values (for database check
constraints and iteration). Models, routes, services, i18n and the domain import from here; nothing
else spells these lists out. Their words for people are in ``api/i18n/labels.toml`` (and the
PWA's catalogue says the same words), keyed by these values.
"""

from __future__ import annotations

from typing import Literal, get_args

# ---------------------------------------------------------------- case statuses
Status = Literal[
    "new",
    "dispatched",
    "accepted",
    "en_route",
    "on_scene",
    "resolved",
    "closed",
    "returned",
    "duplicate",
    "invalid",
    "cancelled",
    "reopened",
]
STATUSES: tuple[Status, ...] = get_args(Status)

#: Waiting at dispatch: no team has it.
AWAITING_DISPATCH: frozenset[Status] = frozenset({"new", "returned", "reopened"})
#: A team is working on it.
IN_FIELD: frozenset[Status] = frozenset({"dispatched", "accepted", "en_route", "on_scene"})
#: The clock runs and the case shows on the live map.
OPEN: frozenset[Status] = AWAITING_DISPATCH | IN_FIELD
#: Work done.
FINISHED: frozenset[Status] = frozenset({"resolved", "closed"})
#: Never was a case of its own: joined to another, found invalid, or withdrawn.
VOID: frozenset[Status] = frozenset({"duplicate", "invalid", "cancelled"})

# ---------------------------------------------------------------- timeline events
#: Every kind of event on a case's timeline: a move records the status it reached, by its name.
EventKind = Literal[
    "created",  # intake (call, citizen, Open311)
    "dispatched",  # first team assigned; data: team_id
    "reassigned",  # another team; data: team_id, previous_team_id
    "transferred",  # another agency ("bukan wewenang"); data: from_agency_id, to_agency_id
    "accepted",
    "en_route",
    "on_scene",
    "resolved",
    "closed",
    "returned",  # team cannot handle it; note holds the reason
    "merged",  # on the parent: a duplicate joined; data: child_id, child_reference
    "duplicate",  # on the child: data: parent_id, parent_reference
    "invalid",
    "cancelled",
    "reopened",  # a citizen disputed the resolution
    "escalated",  # an SLA deadline passed; data: stage
    "note",  # a note or a photo without a status change
    "rated",  # citizen rating; data: score
    "reporter_added",  # another caller reported the same case
    "handed_off",  # given to a neighbouring region; data: neighbour_id, incident_id
    "handed_in",  # imported from a neighbour's hand-off document; data: incident_id
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

# ---------------------------------------------------------------- calls
CallClass = Literal["valid", "informasi", "curhat", "prank", "ghost", "wrong_number"]
CALL_CLASSES: tuple[CallClass, ...] = get_args(CallClass)

# ---------------------------------------------------------------- priorities
Priority = Literal["P1", "P2", "P3"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)

# ---------------------------------------------------------------- intake channels
Channel = Literal["phone", "walk_in", "social", "app", "web", "open311", "whatsapp", "sms"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
#: Channels through which a citizen reports without staff in between.
CITIZEN_CHANNELS: frozenset[Channel] = frozenset({"web", "open311"})

# ---------------------------------------------------------------- staff roles
Role = Literal["admin", "supervisor", "operator", "dispatcher", "coordinator", "field_officer"]
ROLES: tuple[Role, ...] = get_args(Role)

#: Roles that see the whole city, whatever their agency.
CITYWIDE_ROLES: frozenset[Role] = frozenset({"admin", "supervisor", "operator", "dispatcher"})
#: Roles that belong to one agency and see its work only.
AGENCY_ROLES: frozenset[Role] = frozenset({"coordinator", "field_officer"})
#: Roles that take calls and create cases from them.
INTAKE_ROLES: frozenset[Role] = frozenset({"operator", "dispatcher", "admin"})
#: Roles that may dispatch: assign, reassign, transfer and return cases to the queue.
DISPATCH_ROLES: frozenset[Role] = frozenset({"operator", "dispatcher", "admin"})
#: Roles that hand a case to a neighbouring region and read its hand-off document.
HANDOFF_ROLES: frozenset[Role] = DISPATCH_ROLES | {"supervisor"}
#: Every staff role.
STAFF_ROLES: frozenset[Role] = frozenset(ROLES)
#: Roles that read the call log.
CALL_LOG_ROLES: frozenset[Role] = frozenset({"operator", "dispatcher", "supervisor", "admin"})
#: Roles that oversee dispatch: merge, cancel, and review others' moves.
OVERSIGHT_ROLES: frozenset[Role] = frozenset({"dispatcher", "supervisor", "admin"})
#: Roles that read the dashboards.
STATS_ROLES: frozenset[Role] = frozenset({"admin", "supervisor", "dispatcher", "coordinator"})
#: Roles that read the call-centre figures.
CALL_STATS_ROLES: frozenset[Role] = frozenset({"admin", "supervisor", "dispatcher"})
#: Roles that may publish a staff photo to the public view of a case.
PUBLISH_ROLES: frozenset[Role] = frozenset(
    {"operator", "dispatcher", "coordinator", "supervisor", "admin"}
)
