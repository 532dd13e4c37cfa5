"""Who is told what about a case event, in which words, and how the worker retries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.domain import notifications as n
from api.domain.notifications import Audience, EventFacts

CASE = uuid.UUID("12345678-1234-5678-1234-567812345678")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def facts(kind: str, **kw: object) -> EventFacts:
    base: dict[str, object] = {
        "kind": kind,
        "case_id": CASE,
        "reference": "KDI-261123-7F3K",
        "priority": "P2",
        "status": "new",
        "previous_status": "new",
        "team_id": None,
        "category_name": {"id": "Sampah menumpuk", "en": "Uncollected rubbish"},
        "address": "Jl. Ahmad Yani",
    }
    base.update(kw)
    return EventFacts(**base)  # type: ignore[arg-type]


def audiences(f: EventFacts) -> list[tuple[Audience, str]]:
    return [(m.audience, m.kind) for m in n.plan(f)]


def test_dispatch_tells_the_assigned_team_and_the_citizens() -> None:
    f = facts("dispatched", status="dispatched", previous_status="new", team_id=7)
    assert audiences(f) == [(Audience.TEAM, "assigned"), (Audience.CITIZENS, "status")]


def test_reassignment_tells_the_new_team_but_not_the_citizens_again() -> None:
    f = facts("reassigned", status="dispatched", previous_status="dispatched", team_id=8)
    assert audiences(f) == [(Audience.TEAM, "assigned")]


def test_a_disputed_resolution_tells_the_agency_dispatchers_and_citizens() -> None:
    f = facts("reopened", status="reopened", previous_status="resolved")
    assert audiences(f) == [
        (Audience.COORDINATORS, "reopened"),
        (Audience.DISPATCHERS, "reopened"),
        (Audience.CITIZENS, "status"),
    ]
    payload = n.build_payload(n.plan(f)[0], "en")
    assert payload["title"] == "Case reopened: the resolution was disputed"
    assert payload["url"] == f"/cases/{CASE}"


def test_a_new_p1_case_tells_the_dispatchers_only_p1() -> None:
    assert audiences(facts("created", priority="P1", previous_status=None)) == [
        (Audience.DISPATCHERS, "new_p1")
    ]
    assert audiences(facts("created", priority="P2", previous_status=None)) == []


def test_sla_breach_tells_team_coordinators_and_dispatchers() -> None:
    f = facts("escalated", status="dispatched", previous_status="dispatched", team_id=3,
              data={"stage": "accept"})  # fmt: skip
    assert audiences(f) == [
        (Audience.TEAM, "sla_breach"),
        (Audience.COORDINATORS, "sla_breach"),
        (Audience.DISPATCHERS, "sla_breach"),
    ]
    unassigned = facts("escalated", data={"stage": "accept"})
    assert Audience.TEAM not in [a for a, _ in audiences(unassigned)]


@pytest.mark.parametrize(
    ("previous", "status", "told"),
    [
        ("dispatched", "accepted", False),  # still "in process"
        ("on_scene", "resolved", True),  # in process -> finished
        ("dispatched", "returned", True),  # back to "not yet acted on"
        ("resolved", "closed", False),  # finished either way
        ("resolved", "reopened", True),
        ("new", "invalid", True),
    ],
)
def test_citizens_hear_only_of_public_status_changes(
    previous: str, status: str, told: bool
) -> None:
    f = facts("note", status=status, previous_status=previous)
    assert ((Audience.CITIZENS, "status") in audiences(f)) is told


def test_payload_speaks_the_recipients_language_and_links_deep() -> None:
    f = facts("dispatched", status="dispatched", previous_status="new", team_id=7)
    team, citizens = n.plan(f)
    id_ = team.payload("id")
    en = team.payload("en")
    assert id_["title"] == "Kasus baru untuk tim Anda"
    assert en["title"] == "New case for your team"
    assert en["body"] == "KDI-261123-7F3K · Uncollected rubbish · Jl. Ahmad Yani"
    assert id_["url"] == f"/cases/{CASE}" and id_["case_id"] == str(CASE)
    assert id_["reference"] == "KDI-261123-7F3K" and id_["priority"] == "P2"
    c = citizens.payload("en")
    assert c["url"] == "/lacak/KDI-261123-7F3K" and "case_id" not in c
    assert c["title"] == "Report KDI-261123-7F3K"
    assert c["body"] == "Your report is now: In process."
    assert citizens.payload("id")["body"] == "Status laporan Anda kini: Dalam proses."
    assert team.payload("fr")["lang"] == "id"  # unknown languages fall back to Indonesian


def test_sla_texts_name_the_missed_stage() -> None:
    f = facts("escalated", team_id=1, data={"stage": "arrive"})
    m = n.plan(f)[0]
    assert m.payload("en")["title"] == "Arrival deadline missed"
    assert m.payload("id")["title"] == "Batas waktu kedatangan terlewati"


def test_urgency_topic_and_ttl() -> None:
    p1 = n.plan(facts("dispatched", priority="P1", status="dispatched", team_id=1))[0]
    p3 = n.plan(facts("dispatched", priority="P3", status="dispatched", team_id=1))[0]
    assert p1.urgency == "high" and p3.urgency == "normal"
    assert p1.topic == p3.topic and len(p1.topic) <= 32
    assert all(c.isalnum() or c in "-_" for c in p1.topic)
    status = n.plan(facts("note", status="resolved", previous_status="on_scene"))[0]
    assert status.topic != p1.topic  # a newer status replaces an older status, nothing else
    assert 0 < p1.ttl_s < status.ttl_s


def test_long_bodies_are_cut() -> None:
    f = facts("dispatched", team_id=1, status="dispatched", address="x" * 1000)
    body = n.plan(f)[0].payload("id")["body"]
    assert len(body) == n.MAX_BODY_CHARS and body.endswith("…")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, "sent"),
        (202, "sent"),
        (404, "gone"),
        (410, "gone"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (None, "retry"),
        (400, "failed"),
        (403, "failed"),
        (413, "failed"),
    ],
)
def test_outcome_of_push_service_answers(status: int | None, outcome: str) -> None:
    assert n.outcome_of(status) == outcome


def test_retry_after_seconds_and_http_dates() -> None:
    assert n.parse_retry_after("7", NOW) == 7.0
    date = "Mon, 23 Nov 2026 08:00:30 GMT"
    assert n.parse_retry_after(date, NOW) == 30.0
    assert n.parse_retry_after("garbage", NOW) is None
    assert n.parse_retry_after(None, NOW) is None


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    assert n.backoff(1, 0.0) == 1.0 and n.backoff(1, 0.999) < 2.0
    assert n.backoff(3, 0.0) == 4.0 and n.backoff(3, 0.999) < 8.0
    assert n.backoff(30, 0.999) <= n.MAX_RETRY_S
    # Retry-After wins over the backoff, in both directions, within reason.
    assert n.retry_delay(5, 1.0, 0.5) == 1.0
    assert n.retry_delay(1, 90.0, 0.5) == 90.0
    assert n.retry_delay(1, 10**9, 0.5) == n.MAX_RETRY_AFTER_S


def test_giving_up_and_the_ttl_left() -> None:
    created = NOW - timedelta(seconds=100)
    assert not n.should_give_up(1, created, 3600, NOW)
    assert n.should_give_up(n.MAX_ATTEMPTS, created, 3600, NOW)
    assert n.should_give_up(1, created, 100, NOW)
    assert n.remaining_ttl(created, 3600, NOW) == 3500
    assert n.remaining_ttl(created, 50, NOW) == 1
