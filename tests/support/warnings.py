"""A valid area warning draft, for the tests of warnings and of who may call what."""

from __future__ import annotations

from typing import Any


def warning_body(expires_at: str, area_ids: list[Any], **change: Any) -> dict[str, Any]:
    """A flood warning for ``area_ids`` until ``expires_at`` (ISO 8601), with ``change``."""
    return {
        "category": "Met",
        "event": {"id": "Banjir", "en": "Flood"},
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Likely",
        "headline": {"id": "Banjir di Mandonga", "en": "Flooding in Mandonga"},
        "instruction": {"id": "Jauhi sungai.", "en": "Keep away from the river."},
        "expires_at": expires_at,
        "area_ids": area_ids,
        **change,
    }
