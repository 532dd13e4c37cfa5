"""The audit record's pure rules: snapshots keep everything but secrets; pages are bounded; the
routing answer names the rule that decided (the console's preview shows it)."""

from __future__ import annotations

from api.domain.audit import ACTIONS, ENTITIES, page_size, redact, snapshot
from api.domain.routing import AreaRule, route


def test_a_snapshot_keeps_the_record_but_drops_every_secret_at_any_depth() -> None:
    record = {
        "id": 7,
        "username": "budi",
        "password": "rahasia",
        "password_hash": "$argon2id$...",
        "keys": [{"name": "Portal", "api_key": "o311_x", "key_hash": "ab"}],
        "nested": {"refresh_token": "t", "note": "kept"},
    }
    assert snapshot(record) == {
        "id": 7,
        "username": "budi",
        "keys": [{"name": "Portal"}],
        "nested": {"note": "kept"},
    }
    assert snapshot(None) is None
    assert redact([1, "two", None]) == [1, "two", None]


def test_actions_and_entities_are_the_console_vocabulary() -> None:
    assert set(ACTIONS) == {
        "create",
        "update",
        "delete",
        "deactivate",
        "reactivate",
        "reset_password",
        "revoke",
        "set_members",
    } | {"approve"}  # an area warning's second-person approval
    assert set(ENTITIES) == {
        "agency",
        "category",
        "area",
        "team",
        "user",
        "routing_rule",
        "open311_key",
        "place",
    } | {"neighbour_area", "case_handoff"} | {"area_warning"}  # hand-offs; area warnings


def test_a_page_holds_one_to_two_hundred_entries() -> None:
    assert page_size(0) == 1
    assert page_size(50) == 50
    assert page_size(10_000) == 200


def test_the_route_names_the_rule_that_chose_the_agency_else_the_team() -> None:
    agency_rule = AreaRule(5, 1, 40, None, None, id=11)
    team_rule = AreaRule(5, None, None, 88, 40, id=12)
    assert route(1, 10, [], 5, [agency_rule, team_rule]).rule_id == 11
    assert route(1, 40, [], 5, [team_rule]).rule_id == 12
    assert route(1, 10, [], 5, [team_rule]).rule_id is None  # the team is another agency's
    assert route(1, 10, [], None, [agency_rule]).rule_id is None
