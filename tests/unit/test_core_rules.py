"""Calls, routing, SLA, references, places and team suggestions: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from api.domain.calls import PrankPolicy, auto_class, flagged_until, is_flagged
from api.domain.dispatch import Candidate, suggest_teams
from api.domain.lifecycle import STATUSES, open311_status, public_status
from api.domain.places import in_service_area, valid_coordinates
from api.domain.references import looks_like_reference, new_reference, normalise_reference
from api.domain.routing import AreaRule, route
from api.domain.sla import (
    Deadlines,
    Progress,
    SlaTargets,
    deadlines,
    met,
    overdue_stages,
    stages_to_escalate,
)

T0 = datetime(2025, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 WITA


def test_a_short_silent_call_is_a_ghost_call() -> None:
    assert auto_class(5, False, None) == "ghost"
    assert auto_class(9, False, None) == "ghost"
    assert auto_class(10, False, None) is None
    assert auto_class(5, True, None) is None  # something was said
    assert auto_class(5, False, "prank") == "prank"  # the operator's choice stands
    assert auto_class(None, False, None) is None  # still ringing


def test_prank_flag_needs_the_threshold_within_the_window() -> None:
    p = PrankPolicy(threshold=3, window=timedelta(hours=24), flag_for=timedelta(hours=24))
    two = [T0, T0 + timedelta(hours=1)]
    assert flagged_until(two, p) is None
    three = [*two, T0 + timedelta(hours=2)]
    assert flagged_until(three, p) == T0 + timedelta(hours=26)
    assert is_flagged(three, p, T0 + timedelta(hours=25))
    assert not is_flagged(three, p, T0 + timedelta(hours=26))
    spread = [T0, T0 + timedelta(hours=20), T0 + timedelta(hours=40)]
    assert flagged_until(spread, p) is None


def test_category_routes_to_its_agency_unless_an_area_rule_says_otherwise() -> None:
    r = route(1, 10, [20, 10, 30], area_id=5, rules=[])
    assert r.agency_id == 10 and r.preferred_team_id is None
    assert r.supporting_agency_ids == (20, 30)
    # Team 77 belongs to agency 10; team 88 to agency 40.
    rules = [AreaRule(5, None, None, 77, 10), AreaRule(5, 1, 40, None), AreaRule(6, 1, 50, None)]
    r = route(1, 10, [20], area_id=5, rules=rules)
    assert r.agency_id == 40
    assert r.preferred_team_id is None  # team 77 cannot work for agency 40
    r = route(1, 10, [], area_id=5, rules=[*rules, AreaRule(5, 1, None, 88, 40)])
    assert (r.agency_id, r.preferred_team_id) == (40, 88)
    r = route(2, 10, [], area_id=5, rules=rules)
    assert (r.agency_id, r.preferred_team_id) == (10, 77)
    r = route(1, 10, [], area_id=6, rules=rules)
    assert (r.agency_id, r.preferred_team_id) == (50, None)
    r = route(2, 10, [], area_id=None, rules=rules)
    assert (r.agency_id, r.preferred_team_id) == (10, None)


def test_sla_deadlines_and_overdue_stages() -> None:
    d = deadlines(T0, SlaTargets(2, 15, 240))
    assert d.accept_by == T0 + timedelta(minutes=2)
    waiting = Progress("dispatched", None, None, None)
    assert overdue_stages(waiting, d, T0 + timedelta(minutes=1)) == []
    assert overdue_stages(waiting, d, T0 + timedelta(minutes=2)) == ["accept"]
    assert overdue_stages(waiting, d, T0 + timedelta(minutes=15)) == ["accept", "arrive"]
    accepted = Progress("accepted", T0 + timedelta(minutes=1), None, None)
    assert overdue_stages(accepted, d, T0 + timedelta(minutes=16)) == ["arrive"]
    done = Progress("resolved", T0, T0, T0 + timedelta(minutes=1))
    assert overdue_stages(done, d, T0 + timedelta(days=9)) == []
    assert stages_to_escalate(waiting, d, T0 + timedelta(minutes=20), ["accept"]) == ["arrive"]
    assert met(accepted, d, "accept") is True
    assert met(accepted, d, "arrive") is None
    late = Progress("accepted", T0 + timedelta(minutes=3), None, None)
    assert met(late, d, "accept") is False
    assert Deadlines(T0, T0, T0).of("resolve") == T0


def test_citizens_see_three_words() -> None:
    words = {s: public_status(s) for s in STATUSES}
    assert words["new"] == words["returned"] == words["reopened"] == "belum_ditindaklanjuti"
    assert {words[s] for s in ["dispatched", "accepted", "en_route", "on_scene"]} == {
        "dalam_proses"
    }
    assert {words[s] for s in ["resolved", "closed", "duplicate", "invalid", "cancelled"]} == {
        "selesai"
    }
    assert open311_status("en_route") == "open" and open311_status("closed") == "closed"


def test_references_use_the_city_date_and_an_unambiguous_alphabet() -> None:
    ref = new_reference("KDI", T0, ZoneInfo("Asia/Makassar"))
    assert ref.startswith("KDI-251130-")  # 23:30 WITA is still the 30th there
    assert looks_like_reference(ref)
    assert not any(ch in ref.split("-")[2] for ch in "ILOU")
    assert normalise_reference(" kdi-251130-7f3o ") == "KDI-251130-7F30"
    assert not looks_like_reference("hello")


def test_places() -> None:
    bbox = (122.40, -4.13, 122.70, -3.90)
    assert in_service_area(-3.97, 122.51, bbox)
    assert not in_service_area(-6.2, 106.8, bbox)
    assert not valid_coordinates(0, 0)
    assert not valid_coordinates(float("nan"), 1)
    assert valid_coordinates(-3.97, 122.51)


def test_team_suggestions_order() -> None:
    now = T0
    fresh = timedelta(minutes=15)
    c = [
        Candidate(1, "far", 3000, now, 0),
        Candidate(2, "near busy", 100, now, 3),
        Candidate(3, "near idle", 200, now, 0),
        Candidate(4, "stale", 50, now - timedelta(hours=2), 0),
        Candidate(5, "nowhere", None, None, 1),
        Candidate(6, "preferred", 5000, now, 4, preferred=True),
    ]
    order = [s.name for s in suggest_teams(c, now, fresh)]
    assert order == ["preferred", "near idle", "near busy", "far", "stale", "nowhere"]
