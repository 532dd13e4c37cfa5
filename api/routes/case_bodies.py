"""The bodies the case routes accept: a new case, a move, an assignment, a transfer, a merge, a
note. Each refuses unknown fields and carries its bounds, so bad input is a 400 before any
handler runs."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from api.domain.vocabulary import Priority
from api.routes.params import Id, Lat, Lon, PlusCodeText

Accuracy = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Version = Annotated[int, msgspec.Meta(ge=1)]


# ----------------------------------------------------------------- bodies
class ReporterIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    category_id: Id
    description: Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]
    # The place: lat and lon, or a Plus Code (exactly one of the two).
    lat: Lat | None = None
    lon: Lon | None = None
    plus_code: PlusCodeText | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    landmark: Annotated[str, msgspec.Meta(max_length=500)] = ""
    priority: Priority | None = None
    channel: Literal["phone", "walk_in", "social", "app", "whatsapp", "sms"] = "phone"
    call_id: Id | None = None
    reporter: ReporterIn | None = None
    # About a person (a victim, a patient...): never on a public surface. A case in a
    # sensitive category always is.
    sensitive: bool = False
    # The operator confirms a place outside the city's service area on purpose.
    allow_out_of_area: bool = False


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal[
        "accept",
        "en_route",
        "on_scene",
        "resolve",
        "return",
        "close",
        "cancel",
        "invalid",
        "reopen",
    ]
    version: Version | None = None
    note: Note = ""
    lat: Lat | None = None
    lon: Lon | None = None
    accuracy_m: Accuracy | None = None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    team_id: Id
    version: Version
    note: Note = ""


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    agency_id: Id
    version: Version
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    parent_id: uuid.UUID
    version: Version
    note: Note = ""


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    public: bool = False
