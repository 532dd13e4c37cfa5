"""The effects of each lifecycle move, and the checks on what a move names, without a database.

:func:`plan`, :func:`plan_dispute` and :func:`plan_merge` answer with data (the fields to set and
the event to append); the service only persists it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.domain.transitions import (
    Actor,
    Ask,
    CaseFacts,
    CaseRef,
    Happened,
    TransitionRefused,
    check_rating,
    merge_refusal,
    plan,
    plan_dispute,
    plan_merge,
)

AGENCY, OTHER_AGENCY, TEAM, OTHER_TEAM = 10, 20, 100, 200
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=30)
DISPATCHER = Actor(role="dispatcher")
OFFICER = Actor(role="field_officer", agency_id=AGENCY, team_ids=frozenset({TEAM}))


def refusal(call: object) -> tuple[int, str, dict[str, object]]:
    with pytest.raises(TransitionRefused) as exc:
        call()  # type: ignore[operator]
    return exc.value.status, exc.value.code, exc.value.params


def test_assigning_sets_the_team_and_the_first_dispatch_time_and_records_both_teams() -> None:
    case = CaseFacts("new", AGENCY, None)
    effects = plan("assign", DISPATCHER, case, Ask(team_id=TEAM, team_agency_id=AGENCY), NOW)
    assert effects.changes == {
        "status": "dispatched",
        "team_id": TEAM,
        "dispatched_at": NOW,
        "accepted_at": None,
        "arrived_at": None,
    }
    assert effects.event == Happened(
        "dispatched", "new", "dispatched", "", {"team_id": TEAM, "previous_team_id": None}
    )


def test_reassigning_keeps_the_first_dispatch_time_and_names_the_previous_team() -> None:
    case = CaseFacts("accepted", AGENCY, TEAM, dispatched_at=EARLIER, accepted_at=EARLIER)
    ask = Ask(note=" pindah ", team_id=OTHER_TEAM, team_agency_id=AGENCY)
    effects = plan("assign", DISPATCHER, case, ask, NOW)
    assert "dispatched_at" not in effects.changes
    assert effects.changes["accepted_at"] is None
    assert effects.event.kind == "reassigned"
    assert effects.event.note == "pindah"
    assert effects.event.data == {"team_id": OTHER_TEAM, "previous_team_id": TEAM}


def test_assigning_an_unknown_team_or_the_same_team_again_is_refused() -> None:
    new = CaseFacts("new", AGENCY, None)
    unknown = Ask(team_id=999, team_agency_id=None)
    assert refusal(lambda: plan("assign", DISPATCHER, new, unknown, NOW)) == (
        422,
        "unknown_reference",
        {"field": "team_id"},
    )
    dispatched = CaseFacts("dispatched", AGENCY, TEAM)
    same = Ask(team_id=TEAM, team_agency_id=AGENCY)
    assert refusal(lambda: plan("assign", DISPATCHER, dispatched, same, NOW))[:2] == (
        409,
        "already_assigned",
    )
    # Once the team has accepted, naming it again is a reassignment, not a repeat.
    accepted = CaseFacts("accepted", AGENCY, TEAM)
    assert plan("assign", DISPATCHER, accepted, same, NOW).event.kind == "reassigned"


def test_assigning_without_a_team_is_refused_once_by_the_rules() -> None:
    new = CaseFacts("new", AGENCY, None)
    assert refusal(lambda: plan("assign", DISPATCHER, new, Ask(), NOW))[:2] == (
        422,
        "team_required",
    )


def test_transferring_moves_the_case_to_the_agency_and_clears_the_team() -> None:
    case = CaseFacts("accepted", AGENCY, TEAM)
    ask = Ask(note="bukan wewenang", agency_id=OTHER_AGENCY, agency_active=True)
    effects = plan("transfer", DISPATCHER, case, ask, NOW)
    assert effects.changes["agency_id"] == OTHER_AGENCY
    assert effects.changes["team_id"] is None
    assert effects.changes["status"] == "new"
    assert effects.event.kind == "transferred"
    assert effects.event.data == {
        "from_agency_id": AGENCY,
        "to_agency_id": OTHER_AGENCY,
        "previous_team_id": TEAM,
    }


def test_transferring_to_an_unknown_or_inactive_agency_is_refused() -> None:
    case = CaseFacts("new", AGENCY, None)
    ask = Ask(note="bukan wewenang", agency_id=OTHER_AGENCY, agency_active=False)
    assert refusal(lambda: plan("transfer", DISPATCHER, case, ask, NOW)) == (
        422,
        "unknown_reference",
        {"field": "agency_id"},
    )


def test_returning_clears_the_team_and_names_it_on_the_timeline() -> None:
    case = CaseFacts("en_route", AGENCY, TEAM, accepted_at=EARLIER)
    effects = plan("return", OFFICER, case, Ask(note="ban bocor"), NOW)
    assert effects.changes == {
        "team_id": None,
        "accepted_at": None,
        "arrived_at": None,
        "status": "returned",
    }
    assert effects.event == Happened(
        "returned", "en_route", "returned", "ban bocor", {"previous_team_id": TEAM}
    )


def test_arriving_keeps_the_acceptance_time_or_sets_it_now() -> None:
    accepted = CaseFacts("accepted", AGENCY, TEAM, accepted_at=EARLIER)
    assert plan("on_scene", OFFICER, accepted, Ask(), NOW).changes == {
        "arrived_at": NOW,
        "accepted_at": EARLIER,
        "status": "on_scene",
    }
    unrecorded = CaseFacts("en_route", AGENCY, TEAM)
    assert plan("on_scene", OFFICER, unrecorded, Ask(), NOW).changes["accepted_at"] == NOW


def test_resolving_needs_a_team_photo_where_the_category_asks_for_one() -> None:
    no_photo = CaseFacts("on_scene", AGENCY, TEAM, photo_required=True, team_photo_count=0)
    assert refusal(lambda: plan("resolve", OFFICER, no_photo, Ask(note="selesai"), NOW))[:2] == (
        422,
        "photo_required",
    )
    with_photo = CaseFacts("on_scene", AGENCY, TEAM, photo_required=True, team_photo_count=1)
    effects = plan("resolve", OFFICER, with_photo, Ask(note="selesai"), NOW)
    assert effects.changes == {"resolved_at": NOW, "status": "resolved"}


def test_a_citizen_dispute_reopens_the_case_and_forgets_its_resolution() -> None:
    resolved = CaseFacts("resolved", AGENCY, TEAM)
    effects = plan_dispute(resolved, 7, " belum beres ", NOW)
    assert effects.changes == {
        "accepted_at": None,
        "arrived_at": None,
        "resolved_at": None,
        "closed_at": None,
        "status": "reopened",
    }
    assert effects.event == Happened(
        "reopened", "resolved", "reopened", "belum beres", {"reporter_id": 7}
    )


def test_a_citizen_cannot_dispute_an_open_case_or_without_a_reason() -> None:
    assert refusal(lambda: plan_dispute(CaseFacts("accepted", AGENCY, TEAM), 7, "x", NOW))[:2] == (
        409,
        "transition_not_allowed",
    )
    assert refusal(lambda: plan_dispute(CaseFacts("closed", AGENCY, None), 7, " ", NOW))[:2] == (
        422,
        "note_required",
    )


def test_merging_makes_the_child_a_duplicate_and_tells_the_parent_who_followed() -> None:
    parent = CaseRef(uuid.uuid4(), "KDI-1", "dispatched")
    child = CaseRef(uuid.uuid4(), "KDI-2", "new")
    merged = plan_merge(DISPATCHER, CaseFacts("new", AGENCY, TEAM), parent, " sama ", NOW)
    assert merged.child.changes == {
        "status": "duplicate",
        "duplicate_of_id": parent.id,
        "team_id": None,
    }
    assert merged.child.event == Happened(
        "duplicate",
        "new",
        "duplicate",
        "sama",
        {"parent_id": str(parent.id), "parent_reference": "KDI-1"},
    )
    side = merged.parent(child, [3, 4])
    assert side.changes == {}
    assert side.event == Happened(
        "merged",
        note="sama",
        data={"child_id": str(child.id), "child_reference": "KDI-2", "reporter_ids": [3, 4]},
    )


def test_merging_into_itself_or_into_a_void_case_is_refused() -> None:
    same = uuid.uuid4()
    assert refusal(lambda: merge_refusal(same, same))[:2] == (422, "merge_into_itself")
    merge_refusal(same, uuid.uuid4())
    for status in ("duplicate", "invalid", "cancelled"):
        void = CaseRef(uuid.uuid4(), "KDI-1", status)
        child = CaseFacts("new", AGENCY, None)
        assert refusal(lambda v=void, c=child: plan_merge(DISPATCHER, c, v, "", NOW))[:2] == (
            422,
            "merge_target_closed",
        )


def test_only_the_control_room_or_the_agency_coordinator_may_merge() -> None:
    parent = CaseRef(uuid.uuid4(), "KDI-1", "new")
    case = CaseFacts("new", AGENCY, TEAM)
    assert refusal(lambda: plan_merge(OFFICER, case, parent, "", NOW))[:2] == (403, "forbidden")
    coordinator = Actor(role="coordinator", agency_id=AGENCY)
    assert plan_merge(coordinator, case, parent, "", NOW).child.changes["status"] == "duplicate"


def test_only_an_original_reporter_rates_and_only_a_finished_case() -> None:
    for status in ("resolved", "closed"):
        check_rating(follower=False, status=status)
    assert refusal(lambda: check_rating(follower=True, status="resolved"))[:2] == (
        403,
        "rating_followers_cannot",
    )
    for status in ("new", "dispatched", "on_scene", "reopened", "duplicate"):
        assert refusal(lambda s=status: check_rating(follower=False, status=s))[:2] == (
            409,
            "rating_not_allowed",
        )
