"""The demo city: a living control room with cases in every state, made through the services."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import make_storage
from api.config import Settings
from api.db.models import Call, Case, CaseEvent, Photo
from api.domain.lifecycle import STATUSES
from api.seed import seed
from api.seed_demo import DemoContext
from tests.conftest import Clock


async def test_demo_city_has_cases_in_every_state_across_the_districts(
    db: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> None:
    ctx = DemoContext(settings, make_storage(settings), clock.now, cases=200)
    report = await seed(db, demo=ctx)
    await db.commit()
    assert report.created["cases"] == 200
    statuses = dict(
        (await db.execute(select(Case.status, func.count()).group_by(Case.status))).all()
    )
    assert set(statuses) == set(STATUSES), statuses
    areas = (await db.execute(select(func.count(func.distinct(Case.area_id))))).scalar()
    assert areas == 11
    # Every case has a consistent timeline: it starts with "created" and ends where it is.
    bad = (
        (
            await db.execute(
                text(
                    "SELECT c.reference FROM cases c JOIN LATERAL (SELECT to_status, kind "
                    "FROM case_events e WHERE e.case_id = c.id AND e.to_status IS NOT NULL "
                    "ORDER BY e.id DESC LIMIT 1) last ON true WHERE last.to_status <> c.status"
                )
            )
        )
        .scalars()
        .all()
    )
    assert bad == []
    events = (await db.execute(select(func.count()).select_from(CaseEvent))).scalar()
    assert events > 600
    # Resolved cases of photo-required categories carry a real, stored team photo.
    photos = list((await db.execute(select(Photo))).scalars())
    assert photos and all(p.source == "team" for p in photos)
    storage = make_storage(settings)
    for p in photos[:5]:
        for key in (p.original_key, p.display_key, p.thumb_key):
            assert await storage.exists(key), key
    # About a quarter of the calls did not become cases.
    by_class = dict(
        (await db.execute(select(Call.call_class, func.count()).group_by(Call.call_class))).all()
    )
    invalid = sum(v for k, v in by_class.items() if k != "valid")
    assert 0.15 < invalid / sum(by_class.values()) < 0.35
    # A second run changes nothing.
    again = await seed(db, demo=ctx)
    assert again.total == 0
    assert (await db.execute(select(func.count()).select_from(Case))).scalar() == 200
