"""The case lifecycle: statuses, what citizens and Open311 see, and the event kinds.

The transition rules themselves (who may move a case from which status to which, and what each
move requires) live in :mod:`api.domain.transitions`.
"""

from __future__ import annotations

from typing import Literal

from api.domain.vocabulary import (
    AWAITING_DISPATCH,
    EVENT_KINDS,
    FINISHED,
    IN_FIELD,
    OPEN,
    STATUSES,
    VOID,
    EventKind,
)

__all__ = [
    "AWAITING_DISPATCH",
    "EVENT_KINDS",
    "FINISHED",
    "IN_FIELD",
    "OPEN",
    "STATUSES",
    "VOID",
    "EventKind",
]

PublicStatus = Literal["belum_ditindaklanjuti", "dalam_proses", "selesai"]

# The city's three words, in the citizen's language.
PUBLIC_STATUS_TEXT: dict[str, dict[str, str]] = {
    "belum_ditindaklanjuti": {"id": "Belum ditindaklanjuti", "en": "Not yet acted on"},
    "dalam_proses": {"id": "Dalam proses", "en": "In process"},
    "selesai": {"id": "Selesai", "en": "Finished"},
}


def public_status(status: str) -> PublicStatus:
    """What a citizen sees: not yet acted on, in process, or finished.

    A case waiting at dispatch (new, returned, reopened) is not yet acted on; once a team has it,
    it is in process; resolved, closed and voided cases are finished.
    """
    if status in AWAITING_DISPATCH:
        return "belum_ditindaklanjuti"
    if status in IN_FIELD:
        return "dalam_proses"
    return "selesai"


def open311_status(status: str) -> Literal["open", "closed"]:
    return "open" if status in OPEN else "closed"
