"""Intake's round trips to PostgreSQL, counted on the real database (deterministic, unlike its
speed, which ``make bench`` measures): the statements one ``POST /api/cases`` sends."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import CaseEvent
from tests.conftest import login
from tests.factories import category_by_code

Client = AsyncTestClient[Litestar]
MANDONGA = (-3.966, 122.508)


async def test_an_operator_intake_with_a_caller_takes_five_statements(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    tree = await category_by_code(db, "POHON_TUMBANG")
    body = {
        "category_id": tree.id,
        "lat": MANDONGA[0],
        "lon": MANDONGA[1],
        "description": "Pohon tumbang menutup jalan",
        "reporter": {"name": "Wa Ode", "phone": "0812-3456-7890"},
    }
    # Every statement the app's engine sends (BEGIN and COMMIT are not cursor executions).
    sent: list[str] = []
    engine = app.state.engine.sync_engine
    listener = lambda *args: sent.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listener)
    r = await client.post("/api/cases", headers=op, json=body)
    event.remove(engine, "before_cursor_execute", listener)
    assert r.status_code == 201, r.text
    # The session check; category, area and route; the case (with its agency's names); the
    # reporter; the created event with its live NOTIFY. Nothing re-read for the answer.
    assert len(sent) == 5, sent
    assert "pg_notify" in sent[-1] and "INSERT INTO case_events" in sent[-1]
    case = r.json()
    assert case["area_name"] and case["agency_name"] and case["caller_tracking"]["pin"]
    created = (
        await db.execute(select(CaseEvent).where(CaseEvent.case_id == case["id"]))
    ).scalar_one()
    assert created.kind == "created" and created.data["agency_id"] == case["agency_id"]
