"""The rules of area warnings without a database: who may issue, the two-person rule, push
messages, and CAP's formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from api.domain import cap
from api.domain.warnings import (
    WarningText,
    approval_refusal,
    may_issue,
    push_payload,
    push_ttl_s,
    push_urgency,
    status_after,
)


def test_only_supervisors_and_bpbd_coordinators_issue_warnings() -> None:
    assert may_issue("supervisor", None)
    assert may_issue("coordinator", "BPBD")
    assert not may_issue("coordinator", "DLHK")
    assert not may_issue("admin", None)
    assert not may_issue("field_officer", "BPBD")


def test_the_drafter_never_approves_and_targets_must_be_in_force() -> None:
    ok = {"status": "draft", "drafted_by": 1, "approver": 2, "target_status": None}
    assert approval_refusal(**ok) is None  # type: ignore[arg-type]
    assert approval_refusal(**{**ok, "approver": 1}) == "warning_self_approval"  # type: ignore[arg-type]
    assert approval_refusal(**{**ok, "status": "published"}) == "warning_not_draft"  # type: ignore[arg-type]
    stale = {**ok, "target_status": "cancelled"}
    assert approval_refusal(**stale) == "warning_target_inactive"  # type: ignore[arg-type]
    assert status_after("Update") == "superseded" and status_after("Cancel") == "cancelled"
    assert status_after("Alert") is None


def test_push_messages_speak_the_devices_language_and_wake_for_danger() -> None:
    w = WarningText(7, 3, "Update", "Severe", {"id": "Banjir", "en": "Flood"},
                    {"id": "Naik ke tempat tinggi. " * 20, "en": "Go to high ground."})  # fmt: skip
    en = push_payload(w, "en", staff=False)
    assert en["title"] == "Warning update: Flood" and en["url"] == "/peringatan/7"
    assert en["tag"] == "warning-3"
    assert len(push_payload(w, "id", staff=True)["body"]) <= 180
    assert push_urgency("Minor", "Immediate") == "high"
    assert push_urgency("Moderate", "Expected") == "normal"
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert push_ttl_s(now + timedelta(hours=1), now) == 3600
    assert push_ttl_s(now - timedelta(hours=1), now) == 60


def test_cap_times_are_utc_with_a_numeric_offset_and_polygons_are_lat_lon_closed() -> None:
    wita = timezone(timedelta(hours=8))
    assert (
        cap.cap_time(datetime(2026, 12, 5, 8, 0, 0, 123, tzinfo=wita))
        == "2026-12-05T00:00:00-00:00"
    )
    square = {"type": "Polygon", "coordinates": [[[122.5, -3.9], [122.6, -3.9], [122.6, -4.0]]]}
    (ring,) = cap.polygons(square)
    points = ring.split(" ")
    assert points[0] == "-3.900000,122.500000" and points[0] == points[-1] and len(points) == 4
