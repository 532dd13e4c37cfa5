"""Area warnings: the words of a warning (CAP 1.2's value lists), who may issue one, the
two-person rule, and the push message it becomes.

A BPBD coordinator or a supervisor drafts a warning; a second such person approves it, which
publishes it. An update or a cancellation is a new warning that references the one it changes
(CAP ``msgType`` ``Update`` / ``Cancel``) and goes through the same approval. Pure rules, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from api.i18n import LANGUAGES, t

# ---------------------------------------------------------------- CAP 1.2 value lists
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
MsgType = Literal["Alert", "Update", "Cancel"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
CERTAINTIES: tuple[Certainty, ...] = get_args(Certainty)
CAP_CATEGORIES: tuple[CapCategory, ...] = get_args(CapCategory)
MSG_TYPES: tuple[MsgType, ...] = get_args(MsgType)

#: draft → published (approved); published → superseded (an update was published) or
#: cancelled (a cancellation was published). A draft may also be withdrawn.
WarningStatus = Literal["draft", "published", "superseded", "cancelled", "withdrawn"]
WARNING_STATUSES: tuple[WarningStatus, ...] = get_args(WarningStatus)

#: Staff who may draft and approve warnings: supervisors, and the coordinators of this agency.
WARNING_ROLES = frozenset({"supervisor", "coordinator"})
WARNING_AGENCY = "BPBD"

#: A picked kecamatan with no imported boundary stands for a circle this wide around its centre.
FALLBACK_RADIUS_M = 2000

# Web Push bodies stay short (the payload must fit in 4 KB once encrypted).
MAX_BODY_CHARS = 180


def may_issue(role: str, agency_code: str | None) -> bool:
    """Supervisors, and BPBD's coordinators, draft and approve warnings."""
    return role == "supervisor" or (role == "coordinator" and agency_code == WARNING_AGENCY)


ApprovalRefusal = Literal["warning_self_approval", "warning_not_draft", "warning_target_inactive"]


def approval_refusal(
    *,
    status: str,
    drafted_by: int | None,
    approver: int,
    target_status: str | None,
) -> ApprovalRefusal | None:
    """Why this person may not approve this draft (None: they may). The drafter never approves
    their own warning; an update or cancellation needs its target still published."""
    if status != "draft":
        return "warning_not_draft"
    if drafted_by == approver:
        return "warning_self_approval"
    if target_status is not None and target_status != "published":
        return "warning_target_inactive"
    return None


def status_after(msg_type: str) -> WarningStatus | None:
    """What publishing an update or a cancellation does to the warning it references."""
    return {"Update": "superseded", "Cancel": "cancelled"}.get(msg_type)  # type: ignore[return-value]


def push_urgency(severity: str, urgency: str) -> Literal["high", "normal"]:
    """Wake the phone at once for a severe, immediate danger; otherwise normal delivery."""
    return "high" if severity in ("Extreme", "Severe") or urgency == "Immediate" else "normal"


def push_ttl_s(expires_at: datetime, now: datetime, floor_s: int = 60) -> int:
    """A push service keeps the message until the warning expires (never below a minute)."""
    return max(floor_s, int((expires_at - now).total_seconds()))


@dataclass(frozen=True, slots=True)
class WarningText:
    """What a person reads of a warning, in both languages."""

    id: int
    root_id: int  # the first warning of the chain: its updates replace it on screen
    msg_type: str
    severity: str
    headline: dict[str, str]
    instruction: dict[str, str]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_BODY_CHARS else text[: MAX_BODY_CHARS - 1] + "…"


def push_payload(w: WarningText, lang: str, *, staff: bool) -> dict[str, Any]:
    """The push message of a warning in ``lang``; ``tag`` makes an update or cancellation
    replace the earlier notification of the same warning on screen."""
    lang = lang if lang in LANGUAGES else "id"
    title_key = {"Cancel": "warning_push_cancel_title", "Update": "warning_push_update_title"}
    title = t(title_key.get(w.msg_type, "warning_push_title"), lang, headline=w.headline[lang])
    return {
        "title": _cut(title),
        "body": _cut(w.instruction[lang]),
        "url": f"/dispatch?warning={w.id}" if staff else f"/peringatan/{w.id}",
        "kind": "warning",
        "severity": w.severity,
        "tag": f"warning-{w.root_id}",
    }


def topic(root_id: int) -> str:
    """The Web Push ``Topic``: a newer message of the same warning replaces an undelivered one."""
    return f"warning-{root_id}"
