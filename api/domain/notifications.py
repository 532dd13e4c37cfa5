"""Who is told what about a case event, in which words, and how hard the worker tries.

Pure rules, no I/O. :func:`plan` turns the facts of one timeline event into messages, each for
one audience (the assigned team, the dispatchers, the agency's coordinators, the citizens who
follow the case); the service resolves audiences into devices and writes one outbox row per
device. The retry rules (:func:`outcome_of`, :func:`retry_delay`) are used by the worker.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Literal

from api.domain.lifecycle import PUBLIC_STATUS_TEXT, public_status
from api.i18n import LANGUAGES, t


class Audience(StrEnum):
    TEAM = "team"  # every member of the case's (new) team
    DISPATCHERS = "dispatchers"  # every active dispatcher of the city
    COORDINATORS = "coordinators"  # the active coordinators of the case's agency
    CITIZENS = "citizens"  # every citizen device following the case


# How long a push service keeps a message for an offline device. Past it the news is stale.
TTL_ASSIGNED_S = 4 * 3600
TTL_NEW_P1_S = 3600
TTL_SLA_S = 2 * 3600
TTL_CITIZEN_S = 3 * 24 * 3600

# Web Push payloads must stay under 4 KB once encrypted; bodies are cut well before that.
MAX_BODY_CHARS = 180

ASSIGNMENT_KINDS = frozenset({"dispatched", "reassigned"})


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What :func:`plan` needs to know about one event and its case."""

    kind: str
    case_id: uuid.UUID
    reference: str
    priority: str
    status: str  # the case's status after the event
    previous_status: str | None  # before the event; ``None`` at intake
    team_id: int | None  # the team the case is now with
    category_name: dict[str, str] = field(default_factory=dict)  # {"id": ..., "en": ...}
    address: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """One notification for every device of an audience; the payload is built per language."""

    audience: Audience
    kind: Literal["assigned", "new_p1", "sla_breach", "reopened", "status"]
    facts: EventFacts
    urgency: Literal["high", "normal"]
    topic: str
    ttl_s: int

    def payload(self, lang: str) -> dict[str, Any]:
        return build_payload(self, lang)


def urgency_for(priority: str) -> Literal["high", "normal"]:
    """``Urgency: high`` wakes a sleeping phone at once: only for P1 (life and property)."""
    return "high" if priority == "P1" else "normal"


def topic_for(prefix: str, case_id: uuid.UUID) -> str:
    """A Web Push ``Topic`` (at most 32 URL-safe characters): a newer message with the same topic
    replaces an older one the push service still holds for an offline device."""
    return prefix + base64.urlsafe_b64encode(case_id.bytes).rstrip(b"=").decode()


def is_public_change(previous_status: str | None, status: str) -> bool:
    """Citizens are told when one of the city's three words changes, not at intake."""
    return previous_status is not None and public_status(previous_status) != public_status(status)


def plan(f: EventFacts) -> list[Message]:
    """The messages one event causes, most specific first.

    A device reached by two audiences (say a coordinator who is also in the team) gets only the
    first message: the outbox is unique per event and device.
    """
    out: list[Message] = []
    urgency = urgency_for(f.priority)
    if f.kind in ASSIGNMENT_KINDS and f.team_id is not None:
        out.append(
            Message(
                Audience.TEAM,
                "assigned",
                f,
                urgency,
                topic_for("as", f.case_id),
                TTL_ASSIGNED_S,
            )
        )
    if f.kind == "created" and f.priority == "P1":
        out.append(
            Message(
                Audience.DISPATCHERS, "new_p1", f, urgency, topic_for("p1", f.case_id), TTL_NEW_P1_S
            )
        )
    if f.kind == "escalated":
        topic = topic_for("sl", f.case_id)
        if f.team_id is not None:
            out.append(Message(Audience.TEAM, "sla_breach", f, urgency, topic, TTL_SLA_S))
        out.append(Message(Audience.COORDINATORS, "sla_breach", f, urgency, topic, TTL_SLA_S))
        out.append(Message(Audience.DISPATCHERS, "sla_breach", f, urgency, topic, TTL_SLA_S))
    if f.kind == "reopened":
        # A disputed resolution is back in the agency's queue: its coordinators and the
        # dispatchers must hear of it, not only see it on the map.
        topic = topic_for("ro", f.case_id)
        out.append(Message(Audience.COORDINATORS, "reopened", f, urgency, topic, TTL_SLA_S))
        out.append(Message(Audience.DISPATCHERS, "reopened", f, urgency, topic, TTL_SLA_S))
    if is_public_change(f.previous_status, f.status):
        out.append(
            Message(
                Audience.CITIZENS,
                "status",
                f,
                urgency,
                topic_for("st", f.case_id),
                TTL_CITIZEN_S,
            )
        )
    return out


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_BODY_CHARS else text[: MAX_BODY_CHARS - 1] + "…"


def build_payload(m: Message, lang: str) -> dict[str, Any]:
    """Title and body in ``lang``, the case reference, a deep link and the priority.

    Staff open ``/cases/<id>``; citizens open their public tracking page ``/lacak/<reference>``.
    ``tag`` lets the service worker replace an older notification of the same kind on screen.
    """
    lang = lang if lang in LANGUAGES else "id"
    f = m.facts
    category = f.category_name.get(lang) or f.category_name.get("id") or ""
    summary = _cut(" · ".join(p for p in (f.reference, category, f.address) if p))
    if m.kind == "assigned":
        title = t("push_assigned_title", lang)
        body = summary
    elif m.kind == "new_p1":
        title = t("push_new_p1_title", lang)
        body = summary
    elif m.kind == "reopened":
        title = t("push_reopened_title", lang)
        body = summary
    elif m.kind == "sla_breach":
        stage = str(f.data.get("stage", ""))
        title = t("push_sla_title", lang, stage=t(f"push_sla_stage_{stage}", lang))
        body = summary
    else:
        words = PUBLIC_STATUS_TEXT[public_status(f.status)][lang]
        title = t("push_status_title", lang, reference=f.reference)
        body = t("push_status_body", lang, status=words)
    url = f"/lacak/{f.reference}" if m.audience is Audience.CITIZENS else f"/cases/{f.case_id}"
    out: dict[str, Any] = {
        "title": title,
        "body": body,
        "url": url,
        "reference": f.reference,
        "priority": f.priority,
        "kind": m.kind,
        "tag": m.topic,
        "lang": lang,
    }
    if m.audience is not Audience.CITIZENS:  # citizens know their case by its reference only
        out["case_id"] = str(f.case_id)
    return out


# ------------------------------------------------------------------ delivery
Outcome = Literal["sent", "gone", "retry", "failed"]

MAX_ATTEMPTS = 12
INITIAL_RETRY_S = 2.0
MAX_RETRY_S = 600.0
# A Retry-After longer than this is treated as this: the message would be stale anyway.
MAX_RETRY_AFTER_S = 3600.0


def outcome_of(status: int | None) -> Outcome:
    """What a push service's answer means. ``None``: no answer (refused, reset, timed out)."""
    if status is None:
        return "retry"
    if 200 <= status < 300:
        return "sent"
    if status in (404, 410):  # the subscription expired or was unsubscribed
        return "gone"
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    return "failed"  # 400, 401/403 (VAPID refused), 413 (too large): retrying will not help


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def backoff(attempt: int, rand: float) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped.

    ``attempt`` counts from 1 (the attempt that just failed); ``rand`` is uniform in [0, 1).
    """
    base = min(MAX_RETRY_S, INITIAL_RETRY_S * 2 ** max(0, attempt - 1))
    return base / 2 + (base / 2) * rand


def retry_delay(attempt: int, retry_after_s: float | None, rand: float) -> float:
    """The push service's Retry-After when it gave one (never sooner), else the backoff."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S)
    return backoff(attempt, rand)


def should_give_up(attempts: int, created_at: datetime, ttl_s: int, now: datetime) -> bool:
    """Stop after :data:`MAX_ATTEMPTS`, or once the message's TTL has run out."""
    return attempts >= MAX_ATTEMPTS or now - created_at >= timedelta(seconds=ttl_s)


def remaining_ttl(created_at: datetime, ttl_s: int, now: datetime) -> int:
    """A retried message keeps its original expiry: the TTL sent shrinks with its age."""
    left = ttl_s - int((now - created_at).total_seconds())
    return max(1, min(ttl_s, left))
