"""The admin API's request bodies: a change's body is made from the create body it changes."""

from __future__ import annotations

import msgspec
import pytest

from api.routes.admin import (
    AgencyIn,
    AgencyPatch,
    CategoryPatch,
    TeamPatch,
    UserIn,
    UserPatch,
    fields,
)


def test_a_change_names_only_the_fields_it_sends() -> None:
    change = msgspec.json.decode(b'{"name_en": "Fire"}', type=AgencyPatch)
    assert fields(change) == {"name_en": "Fire"}


def test_a_change_may_clear_a_nullable_field() -> None:
    change = msgspec.json.decode(b'{"agency_id": null, "phone": null}', type=UserPatch)
    assert fields(change) == {"agency_id": None, "phone": None}


def test_a_change_keeps_the_create_bounds() -> None:
    with pytest.raises(msgspec.ValidationError, match="code"):
        msgspec.json.decode(b'{"code": "lower case"}', type=AgencyPatch)
    with pytest.raises(msgspec.ValidationError, match="sla_accept_min"):
        msgspec.json.decode(b'{"sla_accept_min": 0}', type=CategoryPatch)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"username": "someone.else"}', "username"),  # a username never changes
        (b'{"agency_id": 2}', "agency_id"),  # a team never moves agency
        (b'{"member_ids": [1]}', "member_ids"),  # members have their own route
    ],
)
def test_a_change_refuses_fields_it_may_not_change(body: bytes, field: str) -> None:
    patch = UserPatch if field == "username" else TeamPatch
    with pytest.raises(msgspec.ValidationError, match=f"unknown field `{field}`"):
        msgspec.json.decode(body, type=patch)


def test_every_create_field_but_the_skipped_ones_can_be_changed() -> None:
    create = set(AgencyIn.__struct_fields__)
    assert set(AgencyPatch.__struct_fields__) == create
    assert set(UserPatch.__struct_fields__) == set(UserIn.__struct_fields__) - {"username"}
