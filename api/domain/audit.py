"""The admin audit record's rules: what an entry says, and what a snapshot may hold.

Every admin change is recorded with the changed record before and after. A snapshot is the
record as the admin API answers it, minus anything secret: a password, its hash, an Open311 key
or its hash never reach the record, whatever record they come from. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

AuditAction = Literal[
    "create",
    "update",
    "delete",
    "deactivate",
    "reactivate",
    "reset_password",
    "revoke",
    "set_members",
    "approve",
]
_CityEntity = Literal[
    "agency", "category", "area", "team", "user", "routing_rule", "open311_key", "place"
]
# A neighbouring region (hand-off), and an incident handed to one or taken in from one.
_HandoffEntity = Literal["neighbour_area", "case_handoff"]
# An area warning: drafted, approved (published), withdrawn.
_WarningEntity = Literal["area_warning"]
AuditEntity = Literal[_CityEntity, _HandoffEntity, _WarningEntity]
ACTIONS: tuple[str, ...] = get_args(AuditAction)
ENTITIES: tuple[str, ...] = get_args(AuditEntity)

#: Field names whose values are secrets: left out of every snapshot, at any depth.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "api_key", "key_hash", "secret", "token", "refresh_token"}
)


def redact(value: Any) -> Any:
    """``value`` (plain JSON-like data) without any secret field, at any depth."""
    if isinstance(value, Mapping):
        return {str(k): redact(v) for k, v in value.items() if str(k) not in SECRET_FIELDS}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def snapshot(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the audit keeps of a record (plain data): everything but its secrets."""
    if record is None:
        return None
    kept: dict[str, Any] = redact(record)
    return kept


def page_size(limit: int, maximum: int = 200) -> int:
    """A page of the audit record holds 1 to ``maximum`` entries."""
    return max(1, min(limit, maximum))
