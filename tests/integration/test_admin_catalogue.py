"""The admin console's catalogue additions, through the API: an Open311 key's own request limit,
a category's extra questions (Open311 attributes) and a team's last position."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.direct import OnDriver, Statement
from api.db.models import Team
from tests.conftest import login
from tests.factories import category_by_code
from tests.integration.test_open311 import V2, form

Client = AsyncTestClient[Litestar]


async def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def _audit(client: Client, admin: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    page = await _ok(await client.get("/api/admin/audit", headers=admin, params=query))
    items: list[dict[str, Any]] = page["items"]
    return items


def _field_errors(r: Any) -> dict[str, str]:
    """A 422's field errors: field pointer → code."""
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["key"]: e["code"] for e in r.json()["errors"]}


# ------------------------------------------------------------ open311 keys
async def test_a_keys_own_limit_refuses_its_next_post_and_an_admin_can_change_it(
    client: Client, settings: Settings
) -> None:
    admin = await login(client, "admin")
    keys = "/api/admin/open311-keys"
    small = await _ok(
        await client.post(keys, headers=admin, json={"name": "Portal", "requests_limit": 2}), 201
    )
    other = await _ok(await client.post(keys, headers=admin, json={"name": "FixMyStreet"}), 201)
    assert small["requests_limit"] == 2 and other["requests_limit"] is None
    listed = {k["name"]: k for k in await _ok(await client.get(keys, headers=admin))}
    assert listed["Portal"]["requests_limit"] == 2
    assert listed["FixMyStreet"]["requests_limit"] is None
    # The limit in force, and the window it counts in.
    assert listed["Portal"]["limit"] == 2
    assert listed["FixMyStreet"]["limit"] == settings.open311_requests_per_key
    assert listed["Portal"]["window_minutes"] == settings.public_report_window_minutes

    url = f"{V2}/requests.json"
    for _ in range(2):
        assert (await client.post(url, data=form(small["api_key"]))).status_code == 200
    refused = await client.post(url, data=form(small["api_key"]))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # Another key is counted on its own (the city default).
    assert (await client.post(url, data=form(other["api_key"]))).status_code == 200

    # Raised to 3 through the API: the very next POST is let through, the one after is not.
    changed = await _ok(
        await client.patch(f"{keys}/{small['id']}", headers=admin, json={"requests_limit": 3})
    )
    assert changed["requests_limit"] == 3 and changed["name"] == "Portal"
    assert (await client.post(url, data=form(small["api_key"]))).status_code == 200
    assert (await client.post(url, data=form(small["api_key"]))).status_code == 429

    [entry] = [
        e
        for e in await _audit(client, admin, entity="open311_key", entity_id=str(small["id"]))
        if e["action"] == "update"
    ]
    assert entry["before"]["requests_limit"] == 2 and entry["after"]["requests_limit"] == 3
    assert "api_key" not in entry["after"] and "key_hash" not in entry["after"]

    # Back to the city default (null).
    back = await client.patch(f"{keys}/{small['id']}", headers=admin, json={"requests_limit": None})
    assert (await _ok(back))["requests_limit"] is None
    assert (await client.post(url, data=form(small["api_key"]))).status_code == 200


async def test_a_zero_negative_or_absurd_key_limit_is_a_422_beside_the_field(
    client: Client,
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    keys = "/api/admin/open311-keys"
    key = await _ok(
        await client.post(keys, headers=admin, json={"name": "Portal", "requests_limit": 5}), 201
    )
    audit_before = await _audit(client, admin)
    for bad in (0, -3, 10_000_000):
        r = await client.patch(f"{keys}/{key['id']}", headers=admin, json={"requests_limit": bad})
        assert _field_errors(r) == {"requests_limit": "open311_key_limit_invalid"}
        assert r.json()["code"] == "open311_key_limit_invalid"
        assert "100000" in r.json()["errors"][0]["message"]
        r = await client.post(keys, headers=admin, json={"name": "Bad", "requests_limit": bad})
        assert _field_errors(r) == {"requests_limit": "open311_key_limit_invalid"}
    assert (await client.patch(f"{keys}/999999", headers=admin, json={})).status_code == 404
    listed = await _ok(await client.get(keys, headers=admin))
    assert [(k["name"], k["requests_limit"]) for k in listed] == [("Portal", 5)]
    assert await _audit(client, admin) == audit_before


# ------------------------------------------------------- extra questions
QUESTIONS = [
    {
        "code": "menutup_jalan",
        "datatype": "singlevaluelist",
        "required": True,
        "description_id": "Apakah pohon menutup jalan?",
        "description_en": "Does the tree block the road?",
        "values": [
            {"key": "ya", "name_id": "Ya", "name_en": "Yes"},
            {"key": "tidak", "name_id": "Tidak", "name_en": "No"},
        ],
    },
    {
        "code": "jumlah",
        "datatype": "number",
        "required": False,
        "description_id": "Berapa pohon?",
        "description_en": "How many trees?",
        "values": [],
    },
]


async def test_edited_questions_are_the_open311_service_definition_in_each_language(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    tree = await category_by_code(db, "POHON_TUMBANG")
    path = f"/api/admin/categories/{tree.id}"
    saved = await _ok(await client.patch(path, headers=admin, json={"attributes": QUESTIONS}))
    assert saved["attributes"] == QUESTIONS

    definition = await _ok(await client.get(f"{V2}/services/POHON_TUMBANG.json"))
    asked = [(a["code"], a["order"], a["description"]) for a in definition["attributes"]]
    assert asked == [
        ("menutup_jalan", 1, "Apakah pohon menutup jalan?"),
        ("jumlah", 2, "Berapa pohon?"),
    ]
    assert definition["attributes"][0]["values"] == [
        {"key": "ya", "name": "Ya"},
        {"key": "tidak", "name": "Tidak"},
    ]
    en = await _ok(
        await client.get(f"{V2}/services/POHON_TUMBANG.json", headers={"Accept-Language": "en"})
    )
    assert [a["description"] for a in en["attributes"]] == [
        "Does the tree block the road?",
        "How many trees?",
    ]
    assert [v["name"] for v in en["attributes"][0]["values"]] == ["Yes", "No"]

    # Reordered and one removed: the definition follows.
    await _ok(await client.patch(path, headers=admin, json={"attributes": QUESTIONS[::-1][:1]}))
    definition = await _ok(await client.get(f"{V2}/services/POHON_TUMBANG.json"))
    assert [(a["code"], a["order"]) for a in definition["attributes"]] == [("jumlah", 1)]

    [entry, *_] = await _audit(client, admin, entity="category", entity_id=str(tree.id))
    assert entry["action"] == "update"
    assert [q["code"] for q in entry["before"]["attributes"]] == ["menutup_jalan", "jumlah"]
    assert [q["code"] for q in entry["after"]["attributes"]] == ["jumlah"]


def _with(i: int, **changes: Any) -> list[dict[str, Any]]:
    """QUESTIONS with question ``i`` changed."""
    out = [dict(q) for q in QUESTIONS]
    out[i] = {**out[i], **changes}
    return out


BAD_QUESTIONS: list[tuple[list[dict[str, Any]], dict[str, str]]] = [
    (_with(0, code="Menutup Jalan"), {"attributes[0].code": "question_code_invalid"}),
    (_with(1, code="menutup_jalan"), {"attributes[1].code": "question_code_taken"}),
    (_with(1, description_en=" "), {"attributes[1].description_en": "question_text_required"}),
    (_with(0, values=[]), {"attributes[0].values": "question_values_required"}),
    (
        _with(
            0,
            values=[{"key": "ya", "name_id": "Ya"}, {"key": "ya", "name_id": "Y", "name_en": "Y"}],
        ),
        {
            "attributes[0].values[0].name_en": "question_text_required",
            "attributes[0].values[1].key": "question_value_taken",
        },
    ),
    (
        _with(1, description_id="x" * 201),
        {"attributes[1].description_id": "question_text_too_long"},
    ),
]


async def test_bad_questions_are_named_beside_their_field_and_change_nothing(
    client: Client, db: AsyncSession
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    tree = await category_by_code(db, "POHON_TUMBANG")
    path = f"/api/admin/categories/{tree.id}"
    await _ok(await client.patch(path, headers=admin, json={"attributes": QUESTIONS}))
    audit_before = await _audit(client, admin)
    for questions, expected in BAD_QUESTIONS:
        r = await client.patch(path, headers=admin, json={"attributes": questions})
        assert _field_errors(r) == expected
        assert all(e["message"] and "question_" not in e["message"] for e in r.json()["errors"])
    new = {
        "code": "BARU",
        "name_id": "Baru",
        "name_en": "New",
        "group": "layanan",
        "agency_id": tree.agency_id,
        "priority": "P3",
        "sla_accept_min": 10,
        "sla_arrive_min": 20,
        "sla_resolve_min": 30,
        "attributes": BAD_QUESTIONS[0][0],
    }
    r = await client.post("/api/admin/categories", headers=admin, json=new)
    assert _field_errors(r) == BAD_QUESTIONS[0][1]
    assert (await _ok(await client.get(path, headers=admin)))["attributes"] == QUESTIONS
    codes = [c["code"] for c in await _ok(await client.get("/api/admin/categories", headers=admin))]
    assert "BARU" not in codes
    assert await _audit(client, admin) == audit_before


# ------------------------------------------------------------------ teams
@contextmanager
def statements_on(table: str | None = None) -> Iterator[list[str]]:
    """Every SQL statement run meanwhile that reads ``table`` (every one, without a table):
    through SQLAlchemy, and on asyncpg itself (api/db/direct.py)."""
    seen: list[str] = []

    def heard(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if table is None or f"FROM {table}" in statement or f"JOIN {table}" in statement:
            seen.append(statement)

    def spied(method: Any) -> Any:
        async def sent(self: OnDriver, statement: Statement, params: Any) -> Any:
            heard(None, None, statement.sql)
            return await method(self, statement, params)

        return sent

    row, rows = OnDriver.row, OnDriver.rows
    event.listen(Engine, "before_cursor_execute", heard)
    OnDriver.row, OnDriver.rows = spied(row), spied(rows)  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        OnDriver.row, OnDriver.rows = row, rows  # type: ignore[method-assign]
        event.remove(Engine, "before_cursor_execute", heard)


async def test_the_teams_list_shows_each_teams_last_position_in_one_query(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    teams = {t["id"]: t for t in await _ok(await client.get("/api/admin/teams", headers=admin))}
    assert teams[team.id]["last_position"] is None

    fo = await login(client, "petugas.dlhk")
    ping = {"lat": -3.97, "lon": 122.51, "accuracy_m": 12}
    await _ok(await client.post(f"/api/teams/{team.id}/positions", headers=fo, json=ping), 202)

    with statements_on("teams") as seen:
        listed = await _ok(await client.get("/api/admin/teams", headers=admin))
    assert len(seen) == 1, seen  # members and positions too: no query per team
    assert len(listed) > 3
    mine = next(t for t in listed if t["id"] == team.id)
    where = mine["last_position"]
    assert abs(where["lat"] - -3.97) < 1e-6 and abs(where["lon"] - 122.51) < 1e-6
    assert where["at"]
    assert all(t["last_position"] is None for t in listed if t["id"] != team.id)
    assert (await _ok(await client.get(f"/api/admin/teams/{team.id}", headers=admin))) == mine

    # The audit never records where a team is.
    await _ok(await client.patch(f"/api/admin/teams/{team.id}", headers=admin, json={"name": "X"}))
    [entry] = await _audit(client, admin, entity="team", entity_id=str(team.id))
    assert "last_position" not in entry["before"] and "last_position" not in entry["after"]
