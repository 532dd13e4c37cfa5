"""A case event's audiences resolve into devices in one statement: each audience's devices and
nobody else's, ranked as the plan ranks its messages, so a device reached twice keeps the first.

Against the real schema (PostGIS test cluster).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import push as db_push
from api.db.models import Notification
from api.domain.notifications import Audience
from api.services import cases as case_service
from tests.factories import make_agency, make_case, make_category, make_team, make_user
from tests.support import push_fixtures
from tests.support.push_fixtures import add_device, add_reporter
from tests.support.push_service import PushService

push = push_fixtures.push
push_settings = push_fixtures.push_settings


async def test_each_audience_finds_its_devices_and_nobody_elses(
    db: AsyncSession, push: PushService
) -> None:
    agency, other = await make_agency(db), await make_agency(db)
    member = await make_user(db, "field_officer", agency_id=agency.id)
    # A coordinator who is also in the team: reached by two audiences.
    leading = await make_user(db, "coordinator", agency_id=agency.id)
    coordinator = await make_user(db, "coordinator", agency_id=agency.id)
    elsewhere = await make_user(db, "coordinator", agency_id=other.id)
    dispatcher = await make_user(db, "dispatcher")
    retired = await make_user(db, "dispatcher", active=False)
    outsider = await make_user(db, "field_officer", agency_id=agency.id)
    team = await make_team(db, members=[member, leading], agency_id=agency.id)
    await make_team(db, members=[outsider], agency_id=agency.id)
    inactive_member = await make_user(db, "field_officer", agency_id=agency.id, active=False)
    await make_team(db, members=[inactive_member], agency_id=agency.id)
    category = await make_category(db, agency_id=agency.id)
    case = await make_case(db, category=category, team=team)
    another_case = await make_case(db, category=category)
    follower = await add_reporter(db, case, "token-of-the-follower")
    not_following = await add_reporter(db, another_case, "token-of-another-case")

    device = {}
    for name, user in (
        ("member", member),
        ("leading", leading),
        ("coordinator", coordinator),
        ("elsewhere", elsewhere),
        ("dispatcher", dispatcher),
        ("retired", retired),
        ("outsider", outsider),
        ("inactive_member", inactive_member),
    ):
        device[name] = (await add_device(db, push, user=user, label=name)).id
    device["follower"] = (await add_device(db, push, reporter=follower)).id
    device["not_following"] = (await add_device(db, push, reporter=not_following)).id
    await db.commit()

    ranks = {"team": 0, "coordinators": 1, "dispatchers": 2, "citizens": 3}
    found = await db_push.audience_devices(
        db, ranks, case_id=case.id, team_id=team.id, agency_id=agency.id
    )
    expected = [
        (0, device["member"]),
        (0, device["leading"]),
        (1, device["leading"]),
        (1, device["coordinator"]),
        (2, device["dispatcher"]),
        (3, device["follower"]),
    ]
    assert [(rank, d.subscription_id) for rank, d in found] == sorted(expected)
    by_id = {d.subscription_id: d for _, d in found}
    assert by_id[device["member"]].user_id == member.id
    assert by_id[device["follower"]].user_id is None

    # Only the audiences asked for; a case without a team reaches no team.
    citizens_only = await db_push.audience_devices(
        db, {"citizens": 0}, case_id=case.id, team_id=team.id, agency_id=agency.id
    )
    assert [d.subscription_id for _, d in citizens_only] == [device["follower"]]
    no_team = await db_push.audience_devices(
        db, {"team": 0}, case_id=case.id, team_id=None, agency_id=agency.id
    )
    assert no_team == []
    # Every audience the rules name has its branch.
    assert set(db_push.AUDIENCES) == {a.value for a in Audience}
    with pytest.raises(ValueError, match="unknown audiences"):
        await db_push.audience_devices(
            db, {"everyone": 0}, case_id=case.id, team_id=None, agency_id=agency.id
        )


async def test_a_device_of_two_audiences_gets_the_first_message_once(
    db: AsyncSession, push: PushService
) -> None:
    agency = await make_agency(db)
    leading = await make_user(db, "coordinator", agency_id=agency.id, language="en")
    dispatcher = await make_user(db, "dispatcher")
    team = await make_team(db, members=[leading], agency_id=agency.id)
    category = await make_category(db, agency_id=agency.id, priority="P1")
    case = await make_case(db, category=category, team=team, status="dispatched")
    lead_device = await add_device(db, push, user=leading, language="en")
    dispatch_device = await add_device(db, push, user=dispatcher)
    await db.commit()

    # An SLA breach tells the team, then the coordinators, then the dispatchers.
    event = await case_service.record_event(
        db, case, "escalated", now=case.created_at, actor_kind="system", data={"stage": "accept"}
    )
    await db.commit()
    rows = (await db.execute(select(Notification).where(Notification.case_id == case.id))).scalars()
    told = {r.subscription_id: r for r in rows}
    assert set(told) == {lead_device.id, dispatch_device.id}
    lead = told[lead_device.id]
    assert lead.event_key == f"case-event:{event.id}" and lead.user_id == leading.id
    assert lead.kind == "sla_breach" and lead.urgency == "high" and lead.status == "pending"
    assert lead.payload["title"] == "Acceptance deadline missed"  # in the device's language
    assert told[dispatch_device.id].payload["title"] != "Acceptance deadline missed"
