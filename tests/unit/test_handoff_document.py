"""The hand-off document's schema and its checker, without a database: the published copy in
``docs/`` is the schema the API serves, and a fault is named by its field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from api.domain import handoff as doc

PUBLISHED = Path(__file__).parents[2] / "docs" / "eido-handoff-v1.schema.json"
AT = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "version": "1",
    "incident": {
        "id": "urn:tanggap112:kdi:4b8f0e0e-1111-4a4a-9c9c-123456789abc",
        "reference": "KDI-261205-7F3K",
        "created_at": "2026-12-05T08:30:00+00:00",
        "priority": "P2",
        "sensitive": False,
        "description": "Pohon tumbang menutup jalan",
        "source": {"control_room": "Kendari", "system": "Tanggap 112"},
    },
    "location": {"lat": -3.8, "lon": 122.3, "address": "", "landmark": "", "area": None},
    "category": {"code": "POHON_TUMBANG", "name_id": "Pohon tumbang", "name_en": "Fallen tree"},
    "agencies": [
        {"role": "primary", "code": "BPBD", "name_id": "BPBD", "name_en": "Disaster agency"}
    ],
    "timeline": [{"at": "2026-12-05T08:30:00Z", "kind": "created", "status": "new", "by": None}],
    "notes": [],
}


def test_the_published_file_is_the_schema_the_api_serves() -> None:
    assert json.loads(PUBLISHED.read_text("utf-8")) == doc.SCHEMA_V1
    Draft202012Validator.check_schema(doc.SCHEMA_V1)
    assert doc.SCHEMA_PATH.endswith("/v1.json") and doc.SCHEMA_ID.endswith("/v1.json")


def test_a_good_document_has_no_fault() -> None:
    assert doc.fault(GOOD) is None


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("version",), None, "version"),
        (("incident", "priority"), "P0", "incident.priority"),
        (("incident", "created_at"), "5 Desember 2026", "incident.created_at"),
        (("location", "lat"), -90.5, "location.lat"),
        (("category", "code"), "bad code", "category.code"),
        (
            ("agencies",),
            [{"role": "boss", "code": "X1", "name_id": "X", "name_en": "X"}],
            "agencies.0.role",
        ),
    ],
)
def test_a_fault_is_named_by_its_field(path: tuple[str, ...], value: Any, named: str) -> None:
    broken = copy.deepcopy(GOOD)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert doc.fault(broken) == named


def test_a_missing_field_is_named_itself_and_a_non_object_is_the_document() -> None:
    broken = copy.deepcopy(GOOD)
    del broken["incident"]["description"]
    assert doc.fault(broken) == "incident.description"
    assert doc.fault("not a document") == "document"


def test_events_become_a_timeline_and_notes_carried_after_an_imported_history() -> None:
    events = [
        doc.Event(AT, "created", "new", "Operator", ""),
        doc.Event(AT, "note", None, "Dispatcher", "Dicek ke lokasi"),
    ]
    timeline, notes = doc.entries(events)
    assert [e["kind"] for e in timeline] == ["created", "note"]
    assert notes == [{"at": AT.isoformat(), "by": "Dispatcher", "text": "Dicek ke lokasi"}]
    came = {"notes": [{"at": "2026-12-05T07:00:00Z", "by": None, "text": "Dari Konawe"}]}
    assert [n["text"] for n in doc.carried(came, "notes", notes)] == [
        "Dari Konawe",
        "Dicek ke lokasi",
    ]
    assert doc.carried(None, "notes", notes) == notes
    assert doc.incident_id("KDI", "abc") == "urn:tanggap112:kdi:abc"
