"""Hand-off to the neighbours: a case or call located outside the city is flagged with the
neighbour it falls in; "transfer to neighbour" records the hand-off and answers a document that
validates against the published JSON Schema; that document, imported into a second city's
database, is the same incident; a bad document is refused and changes nothing."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.config import Settings
from api.db.models import Call
from tests.conftest import Clock, Server, login, template_copy
from tests.factories import category_by_code

Client = AsyncTestClient[Litestar]
SCHEMA_URL = "/api/schemas/eido-handoff/v1.json"
IN_KENDARI = {"lat": -3.99, "lon": 122.51}
IN_KONAWE = {"lat": -3.80, "lon": 122.30}  # west of the city's box
IN_KONAWE_SELATAN = {"lat": -4.30, "lon": 122.50}  # south of it
AT_SEA = {"lat": -4.00, "lon": 123.20}  # east, in no neighbour


async def _case(client: Client, db: AsyncSession, who: dict[str, str], **where: float) -> str:
    category = await category_by_code(db, "SAMPAH_LIAR")
    body = {
        "category_id": category.id,
        "description": "Sampah menumpuk di pinggir jalan",
        "address": "Jl. Poros",
        "allow_out_of_area": True,
        **where,
    }
    r = await client.post("/api/cases", headers=who, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _counts(db: AsyncSession) -> tuple[int, int, int, int]:
    await db.rollback()  # a fresh snapshot
    q = (
        "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events), "
        "(SELECT count(*) FROM case_handoffs), (SELECT count(*) FROM admin_audit)"
    )
    row = (await db.execute(text(q))).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


# ------------------------------------------------------------------ the flag
async def test_the_demo_seeds_two_approximate_neighbours_without_contacts(client: Client) -> None:
    admin = await login(client, "admin")
    r = await client.get("/api/admin/neighbours", headers=admin)
    assert r.status_code == 200, r.text
    got = {n["name_id"]: n for n in r.json()}
    assert set(got) == {"Kabupaten Konawe", "Kabupaten Konawe Selatan"}
    for n in got.values():
        assert n["approximate"] is True
        # No phone number is invented: the contacts stay empty until an admin fills them.
        assert [
            n[f] for f in ("contact_112", "contact_phone", "contact_email", "contact_radio")
        ] == [
            "",
            "",
            "",
            "",
        ]
        assert n["boundary"]["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    ("where", "neighbour"),
    [
        (IN_KONAWE, {"id": "Kabupaten Konawe", "en": "Konawe Regency"}),
        (IN_KONAWE_SELATAN, {"id": "Kabupaten Konawe Selatan", "en": "South Konawe Regency"}),
        (AT_SEA, None),
    ],
    ids=["konawe", "konawe-selatan", "no-neighbour"],
)
async def test_a_case_outside_the_city_is_flagged_with_its_neighbour(
    client: Client, db: AsyncSession, where: dict[str, float], neighbour: dict[str, str] | None
) -> None:
    operator = await login(client, "operator")
    case_id = await _case(client, db, operator, **where)
    for lang, city_words in (("id", "Di luar Kendari"), ("en", "Outside Kendari")):
        r = await client.get(f"/api/cases/{case_id}", headers={**operator, "Accept-Language": lang})
        assert r.status_code == 200, r.text
        flag = r.json()["outside"]
        assert flag is not None and flag["city"] == "Kendari"
        assert flag["message"].startswith(city_words)
        if neighbour is None:
            assert flag["neighbour"] is None
            continue
        assert flag["neighbour"]["name"] == neighbour[lang]
        assert neighbour[lang] in flag["message"]
        assert flag["neighbour"]["approximate"] is True
        assert flag["neighbour"]["contact_112"] == ""


async def test_a_case_inside_the_city_carries_no_flag(client: Client, db: AsyncSession) -> None:
    operator = await login(client, "operator")
    case_id = await _case(client, db, operator, **IN_KENDARI)
    r = await client.get(f"/api/cases/{case_id}", headers=operator)
    assert r.status_code == 200, r.text
    assert r.json()["outside"] is None


async def test_a_neighbours_official_boundary_inside_the_citys_box_wins(
    client: Client, db: AsyncSession
) -> None:
    """The city's box is a rectangle: a point in it that an imported neighbour boundary claims
    is outside the city."""
    admin = await login(client, "admin")
    corner = [[122.40, -3.90], [122.40, -3.95], [122.45, -3.95], [122.45, -3.90], [122.40, -3.90]]
    r = await client.post(
        "/api/admin/neighbours",
        headers=admin,
        json={
            "name_id": "Sudut Konawe",
            "name_en": "Konawe corner",
            "boundary": {"type": "Polygon", "coordinates": [corner]},
            "contact_112": "112",
        },
    )
    assert r.status_code == 201, r.text
    r = await client.get(
        "/api/neighbours/outside", headers=admin, params={"lat": -3.92, "lon": 122.42}
    )
    assert r.status_code == 200, r.text
    assert r.json()["outside"] is True
    assert r.json()["flag"]["neighbour"]["name"] == "Sudut Konawe"
    assert r.json()["flag"]["neighbour"]["contact_112"] == "112"
    r = await client.get("/api/neighbours/outside", headers=admin, params=IN_KENDARI)
    assert r.json() == {"outside": False, "flag": None}


async def test_a_call_located_outside_the_city_is_flagged(client: Client, db: AsyncSession) -> None:
    outside = Call(
        number="+6281234567890",
        channel="phone",
        started_at=Clock().now,
        notes="",
        location=f"SRID=4326;POINT({IN_KONAWE['lon']} {IN_KONAWE['lat']})",
    )
    inside = Call(number="+6281234567891", channel="phone", started_at=Clock().now, notes="")
    db.add_all([outside, inside])
    await db.commit()
    operator = await login(client, "operator")
    r = await client.get(f"/api/calls/{outside.id}/outside", headers=operator)
    assert r.status_code == 200, r.text
    assert r.json()["flag"]["neighbour"]["name"] == "Kabupaten Konawe"
    r = await client.get(f"/api/calls/{inside.id}/outside", headers=operator)  # no location
    assert r.json() == {"outside": False, "flag": None}
    r = await client.get("/api/calls/999999/outside", headers=operator)
    assert r.status_code == 404


# ------------------------------------------------------------ the neighbours
async def test_an_admin_imports_a_neighbour_and_a_bad_one_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    square = [[123.0, -5.0], [123.1, -5.0], [123.1, -4.9], [123.0, -4.9], [123.0, -5.0]]
    bowtie = [[123.0, -5.0], [123.1, -4.9], [123.1, -5.0], [123.0, -4.9], [123.0, -5.0]]
    body = {
        "name_id": "Kabupaten Baru",
        "name_en": "New Regency",
        "boundary": {"type": "Polygon", "coordinates": [square]},
        "approximate": True,
        "contact_email": "112@example.org",
    }
    before = await _counts(db)
    for bad, status in (
        ({**body, "boundary": {"type": "Polygon", "coordinates": [bowtie]}}, 422),
        ({**body, "boundary": {"type": "Point", "coordinates": [123.0, -5.0]}}, 422),
        ({**body, "name_id": ""}, 400),
        ({**body, "contact_112": "1" * 40}, 400),
        ({**body, "name_id": "Kabupaten Konawe"}, 409),  # taken
    ):
        r = await client.post("/api/admin/neighbours", headers=admin, json=bad)
        assert r.status_code == status, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"] and r.json()["code"] not in r.json()["detail"]
        assert await _counts(db) == before
    r = await client.post("/api/admin/neighbours", headers=admin, json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["contact_email"] == "112@example.org" and made["approximate"] is True
    r = await client.patch(
        f"/api/admin/neighbours/{made['id']}", headers=admin, json={"contact_112": "0401-112"}
    )
    assert r.status_code == 200 and r.json()["contact_112"] == "0401-112"
    r = await client.delete(f"/api/admin/neighbours/{made['id']}", headers=admin)
    assert r.status_code == 204, r.text
    audit = await db.execute(
        text("SELECT action FROM admin_audit WHERE entity = 'neighbour_area' ORDER BY id")
    )
    assert list(audit.scalars()) == ["create", "update", "delete"]


# --------------------------------------------------- transfer, export, import
@pytest_asyncio.fixture
async def second_database_url(pg_server: Server, template_db: str) -> AsyncIterator[str]:
    """Another city's database (the same reference city), for a document to travel to."""
    async with template_copy(pg_server, template_db, "n") as url:
        yield url


@pytest_asyncio.fixture
async def second_client(
    settings: Settings, second_database_url: str, clock: Clock
) -> AsyncIterator[Client]:
    app = create_app(
        replace(settings, city_code="KDL", city_name="Konawe"),
        database_url=second_database_url,
        clock=clock,
    )
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        yield c


async def _schema(client: Client) -> Draft202012Validator:
    r = await client.get(SCHEMA_URL)  # public: no sign-in
    assert r.status_code == 200, r.text
    schema = r.json()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("/eido-handoff/v1.json")
    return Draft202012Validator(schema)


async def _handed_off(client: Client, db: AsyncSession) -> tuple[str, dict[str, Any]]:
    """A case in Konawe, with a note, handed to Konawe by the dispatcher."""
    operator = await login(client, "operator")
    case_id = await _case(client, db, operator, **IN_KONAWE)
    r = await client.post(
        f"/api/cases/{case_id}/notes", headers=operator, json={"note": "Penelepon di perbatasan"}
    )
    assert r.status_code in (200, 201), r.text
    flag = (await client.get(f"/api/cases/{case_id}", headers=operator)).json()["outside"]
    dispatcher = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{case_id}/handoff",
        headers=dispatcher,
        json={"neighbour_id": flag["neighbour"]["id"], "note": "  Wilayah Konawe  "},
    )
    assert r.status_code == 200, r.text
    return case_id, r.json()


async def test_transfer_records_the_handoff_and_answers_a_valid_document(
    client: Client, db: AsyncSession
) -> None:
    validator = await _schema(client)
    case_id, out = await _handed_off(client, db)
    assert out["neighbour_name"] == "Kabupaten Konawe" and out["note"] == "Wilayah Konawe"
    sent = out["document"]
    assert not list(validator.iter_errors(sent))
    assert sent["version"] == "1"
    assert sent["incident"]["id"] == f"urn:tanggap112:kdi:{case_id}"
    assert sent["incident"]["destination"] == {
        "name_id": "Kabupaten Konawe",
        "name_en": "Konawe Regency",
    }
    assert sent["location"]["lat"] == pytest.approx(IN_KONAWE["lat"])
    assert sent["category"]["code"] == "SAMPAH_LIAR"
    assert sent["agencies"][0]["role"] == "primary"
    assert [n["text"] for n in sent["notes"]] == ["Penelepon di perbatasan"]
    assert sent["timeline"][0]["kind"] == "created"
    # The hand-off is on the staff timeline, stored with the document, and audited.
    staff = await login(client, "supervisor")
    timeline = (await client.get(f"/api/cases/{case_id}", headers=staff)).json()["timeline"]
    assert timeline[-1]["kind"] == "handed_off"
    await db.rollback()
    stored = await db.execute(
        text("SELECT direction, document FROM case_handoffs WHERE case_id = :c"), {"c": case_id}
    )
    [(direction, document)] = stored.all()
    assert direction == "out" and document == sent
    audit = await db.execute(text("SELECT count(*) FROM admin_audit WHERE entity='case_handoff'"))
    assert audit.scalar_one() == 1
    # Exported again without a transfer, it still validates (no destination, no sent_at).
    r = await client.get(f"/api/cases/{case_id}/handoff-document", headers=staff)
    assert r.status_code == 200, r.text
    assert not list(validator.iter_errors(r.json()))
    assert "destination" not in r.json()["incident"]


async def test_a_transfer_to_an_unknown_neighbour_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    operator = await login(client, "operator")
    case_id = await _case(client, db, operator, **IN_KONAWE)
    before = await _counts(db)
    for body, status in (
        ({"neighbour_id": 99999}, 422),
        ({"neighbour_id": "x"}, 400),
        ({"neighbour_id": 1, "note": "x" * 4001}, 400),
        ({"neighbour_id": 1, "extra": True}, 400),
    ):
        r = await client.post(f"/api/cases/{case_id}/handoff", headers=operator, json=body)
        assert r.status_code == status, (body, r.text)
        assert await _counts(db) == before


async def test_export_then_import_into_a_second_database_gives_the_same_incident(
    client: Client, db: AsyncSession, second_client: Client
) -> None:
    _, out = await _handed_off(client, db)
    sent = out["document"]
    theirs = await login(second_client, "operator")
    r = await second_client.post("/api/handoff/import", headers=theirs, json=sent)
    assert r.status_code == 201, r.text
    imported = r.json()
    assert imported["incident_id"] == sent["incident"]["id"]
    # Exported from the second database, it is the same incident, with its history first.
    r = await second_client.get(
        f"/api/cases/{imported['case_id']}/handoff-document", headers=theirs
    )
    assert r.status_code == 200, r.text
    again = r.json()
    assert not list((await _schema(second_client)).iter_errors(again))
    for key in ("id", "reference", "created_at", "priority", "sensitive", "description"):
        assert again["incident"][key] == sent["incident"][key], key
    assert again["incident"]["source"]["control_room"] == "Kendari"
    assert again["location"] == sent["location"]
    assert again["category"] == sent["category"]
    assert again["agencies"] == sent["agencies"]
    assert again["timeline"][: len(sent["timeline"])] == sent["timeline"]
    assert again["notes"][: len(sent["notes"])] == sent["notes"]
    assert again["timeline"][-1]["kind"] == "handed_in"
    # The case in the second city is at the same place, flagged with the same neighbour.
    r = await second_client.get(f"/api/cases/{imported['case_id']}", headers=theirs)
    case, flag = r.json()["case"], r.json()["outside"]
    assert case["description"] == sent["incident"]["description"]
    assert (case["lat"], case["lon"]) == (sent["location"]["lat"], sent["location"]["lon"])
    assert flag["neighbour"]["name"] == "Kabupaten Konawe"
    # Taken in once: the same incident again is a conflict.
    r = await second_client.post("/api/handoff/import", headers=theirs, json=sent)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "handoff_already_imported"


def _broken(document: dict[str, Any]) -> list[tuple[str, dict[str, Any] | Any, str]]:
    """Ways a neighbour's document can be wrong, and the field each names."""

    def with_(path: str, value: Any) -> dict[str, Any]:
        out = copy.deepcopy(document)
        *parents, last = path.split(".")
        node = out
        for p in parents:
            node = node[p]
        if value is _DROP:
            del node[last]
        else:
            node[last] = value
        return out

    return [
        ("not an object", [1, 2], "document"),
        ("no version", with_("version", _DROP), "version"),
        ("version 2", with_("version", "2"), "version"),
        ("no incident id", with_("incident.id", _DROP), "incident.id"),
        ("incident id not a urn", with_("incident.id", "KDI-1"), "incident.id"),
        ("bad priority", with_("incident.priority", "P9"), "incident.priority"),
        ("empty description", with_("incident.description", ""), "incident.description"),
        ("time without offset", with_("incident.created_at", "2026-12-05 08:00"), "incident"),
        ("latitude beyond the pole", with_("location.lat", 91), "location.lat"),
        ("longitude as text", with_("location.lon", "122.5"), "location.lon"),
        ("unknown field", with_("location.floor", 3), "location"),
        ("no category", with_("category", _DROP), "category"),
        ("agencies not a list", with_("agencies", {}), "agencies"),
        ("note without text", with_("notes", [{"at": "2026-12-05T08:00:00Z"}]), "notes.0.text"),
    ]


_DROP = object()


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_bad_document_is_refused_beside_its_field_and_changes_nothing(
    client: Client, db: AsyncSession, lang: str
) -> None:
    _, out = await _handed_off(client, db)
    good = copy.deepcopy(out["document"])
    good["incident"]["id"] = "urn:tanggap112:kdl:elsewhere-1"  # not this city's own case
    operator = {**await login(client, "operator"), "Accept-Language": lang}
    before = await _counts(db)
    for what, bad, field in _broken(good):
        r = await client.post("/api/handoff/import", headers=operator, json=bad)
        assert r.status_code == 422, (what, r.text)
        problem = r.json()
        assert problem["code"] == "handoff_invalid", what
        [error] = problem["errors"]
        assert error["key"].startswith(field), (what, error)
        assert field in problem["detail"] and "handoff_invalid" not in problem["detail"]
        assert await _counts(db) == before, what
    unknown = copy.deepcopy(good)
    unknown["category"]["code"] = "TIDAK_ADA"
    r = await client.post("/api/handoff/import", headers=operator, json=unknown)
    assert r.status_code == 422 and r.json()["code"] == "handoff_unknown_category"
    r = await client.post(
        "/api/handoff/import",
        headers={**operator, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400, r.text
    assert await _counts(db) == before
    r = await client.post("/api/handoff/import", headers=operator, json=good)
    assert r.status_code == 201, r.text


async def test_a_retried_transfer_is_recorded_once(client: Client, db: AsyncSession) -> None:
    operator = await login(client, "operator")
    case_id = await _case(client, db, operator, **IN_KONAWE)
    flag = (await client.get(f"/api/cases/{case_id}", headers=operator)).json()["outside"]
    retried = {**operator, "Idempotency-Key": "handoff-retry-0001"}
    body = {"neighbour_id": flag["neighbour"]["id"], "note": "Sekali saja"}
    first = await client.post(f"/api/cases/{case_id}/handoff", headers=retried, json=body)
    again = await client.post(f"/api/cases/{case_id}/handoff", headers=retried, json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    await db.rollback()
    count = await db.execute(
        text("SELECT count(*) FROM case_handoffs WHERE case_id = :c"), {"c": case_id}
    )
    assert count.scalar_one() == 1
