"""The hand-off document: an incident as one control room gives it to another, modelled on
NENA's Emergency Incident Data Object (EIDO): the incident, its location, its category, the
agencies involved, its timeline and its notes.

The JSON Schema (:data:`SCHEMA_V1`) is published with the API (``GET`` :data:`SCHEMA_PATH`,
without signing in) and in ``docs/eido-handoff-v1.schema.json``; a document is built from plain
facts here and checked against the schema here, with the first fault named by its field
(``location.lat``). No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

VERSION = "1"
#: Where the API publishes the schema; a new version gets a new path and ``$id``, never a change.
SCHEMA_PATH = "/api/schemas/eido-handoff/v1.json"
SCHEMA_ID = "https://tanggap112.id/schemas/eido-handoff/v1.json"

_TEXT = {"type": "string", "maxLength": 4000}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
# RFC 3339 with its offset, spelled out: the format keyword alone asserts nothing by default.
_TIME = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$",
}
_NAMED_FIELDS: dict[str, Any] = {
    "code": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,47}$"},
    "name_id": _NAME,
    "name_en": _NAME,
}
_NAMED = {
    "type": "object",
    "required": ["code", "name_id", "name_en"],
    "additionalProperties": False,
    "properties": _NAMED_FIELDS,
}

#: Version 1 of the hand-off document's JSON Schema (draft 2020-12).
SCHEMA_V1: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Tanggap 112 incident hand-off, version 1 (after NENA EIDO)",
    "type": "object",
    "required": ["version", "incident", "location", "category", "agencies", "timeline", "notes"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": VERSION},
        "incident": {
            "type": "object",
            "required": ["id", "reference", "created_at", "priority", "description", "source"],
            "additionalProperties": False,
            "properties": {
                # Kept across systems: an imported incident exports under its first id.
                "id": {"type": "string", "pattern": "^urn:[a-z0-9][a-z0-9-]{0,31}:[^\\s]{1,60}$"},
                "reference": {"type": "string", "minLength": 1, "maxLength": 40},
                "created_at": _TIME,
                "priority": {"enum": ["P1", "P2", "P3"]},
                "sensitive": {"type": "boolean"},
                "description": {"type": "string", "minLength": 1, "maxLength": 4000},
                "source": {
                    "type": "object",
                    "required": ["control_room"],
                    "additionalProperties": False,
                    "properties": {"control_room": _NAME, "system": _NAME},
                },
                "destination": {
                    "type": "object",
                    "required": ["name_id", "name_en"],
                    "additionalProperties": False,
                    "properties": {"name_id": _NAME, "name_en": _NAME},
                },
                "sent_at": _TIME,
            },
        },
        "location": {
            "type": "object",
            "required": ["lat", "lon"],
            "additionalProperties": False,
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "address": _TEXT,
                "landmark": _TEXT,
                "area": {"type": ["string", "null"], "maxLength": 200},
            },
        },
        "category": _NAMED,
        "agencies": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["role", "code", "name_id", "name_en"],
                "additionalProperties": False,
                "properties": {"role": {"enum": ["primary", "supporting"]}, **_NAMED_FIELDS},
            },
        },
        "timeline": {
            "type": "array",
            "maxItems": 2000,
            "items": {
                "type": "object",
                "required": ["at", "kind"],
                "additionalProperties": False,
                "properties": {
                    "at": _TIME,
                    "kind": {"type": "string", "pattern": "^[a-z_]{1,24}$"},
                    "status": {"type": ["string", "null"], "pattern": "^[a-z_]{1,16}$"},
                    "by": {"type": ["string", "null"], "maxLength": 200},
                },
            },
        },
        "notes": {
            "type": "array",
            "maxItems": 2000,
            "items": {
                "type": "object",
                "required": ["at", "text"],
                "additionalProperties": False,
                "properties": {
                    "at": _TIME,
                    "by": {"type": ["string", "null"], "maxLength": 200},
                    "text": {"type": "string", "minLength": 1, "maxLength": 4000},
                },
            },
        },
    },
}

_VALIDATOR = Draft202012Validator(SCHEMA_V1, format_checker=Draft202012Validator.FORMAT_CHECKER)


def fault(document: Any) -> str | None:
    """The field of the first schema fault in ``document`` (``location.lat``, ``incident``, or
    ``document`` for the whole), or None when it is a valid version-1 hand-off document."""
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    path = [str(p) for p in errors[0].absolute_path]
    missing = errors[0].validator == "required" and isinstance(errors[0].instance, dict)
    if missing:  # name the missing field itself, not its parent
        wanted = [str(r) for r in errors[0].validator_value if r not in errors[0].instance]
        path += wanted[:1]
    return ".".join(path) or "document"


def incident_id(city_code: str, case_id: object) -> str:
    """The id a case's incident carries out of this city for the first time."""
    return f"urn:tanggap112:{city_code.lower()}:{case_id}"


@dataclass(frozen=True, slots=True)
class Event:
    """One timeline entry or note as the document carries it."""

    at: datetime
    kind: str
    status: str | None
    by: str | None
    note: str


def stamp(at: datetime) -> str:
    return at.isoformat()


def entries(events: Sequence[Event]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A case's events as the document's timeline (status changes and the like) and notes
    (every event that carries words)."""
    timeline = [{"at": stamp(e.at), "kind": e.kind, "status": e.status, "by": e.by} for e in events]
    notes = [{"at": stamp(e.at), "by": e.by, "text": e.note} for e in events if e.note.strip()]
    return timeline, notes


def carried(previous: dict[str, Any] | None, key: str, own: list[dict[str, Any]]) -> list[Any]:
    """An imported incident's history (``key``: timeline or notes) as it came in, then what
    happened here since."""
    return [*(previous or {}).get(key, []), *own]
