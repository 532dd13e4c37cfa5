"""Every allowed and every forbidden transition, for every role, without a database.

The expectations below are written out by hand from the lifecycle in docs/architecture.md, not
derived from the module under test.
"""

from __future__ import annotations

import itertools

import pytest

from api.domain.lifecycle import STATUSES
from api.domain.transitions import (
    ACTIONS,
    Actor,
    CaseFacts,
    TransitionRefused,
    available_actions,
    decide,
)

AGENCY, OTHER_AGENCY, TEAM, OTHER_TEAM = 10, 20, 100, 200
OPEN = {"new", "dispatched", "accepted", "en_route", "on_scene", "returned", "reopened"}

ACTORS = {
    "admin": Actor(role="admin"),
    "supervisor": Actor(role="supervisor"),
    "operator": Actor(role="operator"),
    "dispatcher": Actor(role="dispatcher"),
    "coordinator_same_agency": Actor(role="coordinator", agency_id=AGENCY),
    "coordinator_other_agency": Actor(role="coordinator", agency_id=OTHER_AGENCY),
    "officer_of_assigned_team": Actor(
        role="field_officer", agency_id=AGENCY, team_ids=frozenset({TEAM})
    ),
    "officer_of_other_team": Actor(
        role="field_officer", agency_id=AGENCY, team_ids=frozenset({OTHER_TEAM})
    ),
    "officer_of_other_agency": Actor(
        role="field_officer", agency_id=OTHER_AGENCY, team_ids=frozenset({300})
    ),
    "citizen": Actor(kind="citizen"),
    "system": Actor(kind="system"),
}

# Who may take each action (relationship included).
WHO = {
    "accept": {"officer_of_assigned_team", "coordinator_same_agency"},
    "en_route": {"officer_of_assigned_team", "coordinator_same_agency"},
    "on_scene": {"officer_of_assigned_team", "coordinator_same_agency"},
    "resolve": {"officer_of_assigned_team", "coordinator_same_agency"},
    "return": {"officer_of_assigned_team", "coordinator_same_agency"},
    "assign": {"operator", "dispatcher", "admin", "coordinator_same_agency"},
    "transfer": {"operator", "dispatcher", "admin", "coordinator_same_agency"},
    "merge": {"operator", "dispatcher", "admin", "coordinator_same_agency"},
    "close": {"dispatcher", "supervisor", "admin", "coordinator_same_agency", "system"},
    "cancel": {"operator", "dispatcher", "admin"},
    "invalid": {"operator", "dispatcher", "admin"},
    "reopen": {"dispatcher", "supervisor", "admin", "citizen"},
}
# From which statuses, and to which.
FROM = {
    "assign": OPEN - {"dispatched"} | {"dispatched"},
    "accept": {"dispatched"},
    "en_route": {"accepted"},
    "on_scene": {"accepted", "en_route"},
    "resolve": {"on_scene"},
    "return": {"dispatched", "accepted", "en_route", "on_scene"},
    "transfer": OPEN,
    "merge": OPEN,
    "close": {"resolved"},
    "cancel": OPEN,
    "invalid": {"new", "returned", "reopened", "dispatched"},
    "reopen": {"resolved", "closed"},
}
TO = {
    "assign": "dispatched",
    "accept": "accepted",
    "en_route": "en_route",
    "on_scene": "on_scene",
    "resolve": "resolved",
    "return": "returned",
    "transfer": "new",
    "merge": "duplicate",
    "close": "closed",
    "cancel": "cancelled",
    "invalid": "invalid",
    "reopen": "reopened",
}


def _case(status: str) -> CaseFacts:
    return CaseFacts(status=status, agency_id=AGENCY, team_id=TEAM)


def _try(action: str, actor: Actor, status: str) -> str:
    try:
        d = decide(
            action,
            actor,
            _case(status),
            note="alasan",  # type: ignore[arg-type]
            target_agency_id=OTHER_AGENCY,
            target_team_agency_id=AGENCY,
        )
    except TransitionRefused as exc:
        return f"refused:{exc.status}:{exc.code}"
    return f"to:{d.to_status}"


CASES = list(itertools.product(ACTIONS, ACTORS, STATUSES))


@pytest.mark.parametrize(("action", "who", "status"), CASES)
def test_every_transition_for_every_role(action: str, who: str, status: str) -> None:
    outcome = _try(action, ACTORS[who], status)
    if who not in WHO[action]:
        assert outcome == "refused:403:forbidden"
    elif status not in FROM[action]:
        assert outcome == "refused:409:transition_not_allowed"
    else:
        assert outcome == f"to:{TO[action]}"


def test_the_matrix_is_complete() -> None:
    assert set(WHO) == set(ACTIONS) == set(FROM) == set(TO)
    assert len(CASES) == 12 * 11 * 12


@pytest.mark.parametrize("action", ["return", "transfer", "cancel", "invalid", "reopen", "resolve"])
def test_actions_that_need_a_reason_refuse_without_one(action: str) -> None:
    who = next(iter(sorted(WHO[action])))
    status = next(iter(sorted(FROM[action])))
    with pytest.raises(TransitionRefused) as exc:
        decide(
            action,
            ACTORS[who],
            _case(status),
            note="  ",  # type: ignore[arg-type]
            target_agency_id=OTHER_AGENCY,
            target_team_agency_id=AGENCY,
        )
    assert (exc.value.status, exc.value.code) == (422, "note_required")


def test_resolve_needs_a_team_photo_when_the_category_says_so() -> None:
    officer = ACTORS["officer_of_assigned_team"]
    no_photo = CaseFacts("on_scene", AGENCY, TEAM, photo_required=True, team_photo_count=0)
    with pytest.raises(TransitionRefused) as exc:
        decide("resolve", officer, no_photo, note="selesai")
    assert (exc.value.status, exc.value.code) == (422, "photo_required")
    with_photo = CaseFacts("on_scene", AGENCY, TEAM, photo_required=True, team_photo_count=1)
    assert decide("resolve", officer, with_photo, note="selesai").to_status == "resolved"
    not_needed = CaseFacts("on_scene", AGENCY, TEAM, photo_required=False)
    assert decide("resolve", officer, not_needed, note="selesai").to_status == "resolved"


def test_assign_needs_a_team_of_the_cases_agency() -> None:
    d = ACTORS["dispatcher"]
    with pytest.raises(TransitionRefused) as exc:
        decide("assign", d, _case("new"), target_team_agency_id=OTHER_AGENCY)
    assert exc.value.code == "team_wrong_agency"
    with pytest.raises(TransitionRefused) as exc:
        decide("assign", d, _case("new"))
    assert exc.value.code == "team_required"
    first = decide("assign", d, CaseFacts("new", AGENCY, None), target_team_agency_id=AGENCY)
    assert first.event_kind == "dispatched"
    again = decide("assign", d, _case("accepted"), target_team_agency_id=AGENCY)
    assert again.event_kind == "reassigned"


def test_transfer_needs_another_agency() -> None:
    d = ACTORS["dispatcher"]
    with pytest.raises(TransitionRefused) as exc:
        decide("transfer", d, _case("new"), note="bukan wewenang", target_agency_id=AGENCY)
    assert exc.value.code == "transfer_same_agency"
    with pytest.raises(TransitionRefused) as exc:
        decide("transfer", d, _case("new"), note="bukan wewenang")
    assert exc.value.code == "agency_required_for_transfer"
    ok = decide("transfer", d, _case("accepted"), note="x", target_agency_id=OTHER_AGENCY)
    assert ok.to_status == "new" and ok.clears_team


def test_leaving_the_field_clears_the_team() -> None:
    officer = ACTORS["officer_of_assigned_team"]
    assert decide("return", officer, _case("en_route"), note="ban bocor").clears_team
    assert not decide("accept", officer, _case("dispatched")).clears_team


def test_an_unassigned_case_has_no_field_officer_actions() -> None:
    officer = ACTORS["officer_of_assigned_team"]
    unassigned = CaseFacts("dispatched", AGENCY, None)
    with pytest.raises(TransitionRefused) as exc:
        decide("accept", officer, unassigned)
    assert exc.value.status == 403


def test_available_actions_are_the_buttons_a_user_sees() -> None:
    officer = ACTORS["officer_of_assigned_team"]
    assert available_actions(officer, _case("dispatched")) == ["accept", "return"]
    assert available_actions(officer, _case("accepted")) == ["en_route", "on_scene", "return"]
    assert available_actions(ACTORS["officer_of_other_team"], _case("dispatched")) == []
    assert "close" in available_actions(ACTORS["dispatcher"], _case("resolved"))
