"""Open311 GeoReport v2 conformance against a real PostGIS.

Every endpoint is checked in JSON and in XML (parsed with the standard library's parser: it is
our own output) against the spec's required fields and their types, with the error cases the
spec names: a missing api_key (403), an unknown service_code (404), a bad date range (400).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case, CaseReporter, Open311Key
from api.security import token_digest
from tests.conftest import Clock, login
from tests.factories import category_by_code
from tests.integration.test_public_reports import (
    REPORTER_E164,
    REPORTER_NAME,
    report,
    walk,
    work_to_resolved,
)

Client = AsyncTestClient[Litestar]
V2 = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
HERE = (-3.9665, 122.5085)

# The spec's fields, in order, with their JSON types (None: may be null).
SERVICE = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
REQUEST = {
    "service_request_id": str,
    "status": str,
    "status_notes": (str, type(None)),
    "service_name": str,
    "service_code": str,
    "description": (str, type(None)),
    "agency_responsible": (str, type(None)),
    "service_notice": (str, type(None)),
    "requested_datetime": str,
    "updated_datetime": str,
    "expected_datetime": (str, type(None)),
    "address": (str, type(None)),
    "address_id": (str, type(None)),
    "zipcode": (str, type(None)),
    "lat": float,
    "long": float,
    "media_url": (str, type(None)),
}
CREATED = {"service_request_id": str, "service_notice": (str, type(None)), "account_id": object}
UPDATE = {
    "update_id": str,
    "service_request_id": str,
    "status": str,
    "updated_datetime": str,
    "description": str,
    "media_url": (str, type(None)),
}
ATTRIBUTE = {
    "variable": bool,
    "code": str,
    "datatype": str,
    "required": bool,
    "datatype_description": (str, type(None)),
    "order": int,
    "description": str,
    "values": list,
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
QUESTION = {
    "code": "menutup_jalan",
    "description": "Apakah pohon menutup jalan?",
    "datatype": "singlevaluelist",
    "required": True,
    "values": [{"key": "ya", "name": "Ya, menutup jalan"}, {"key": "tidak", "name": "Tidak"}],
}


# ------------------------------------------------------------------ helpers
def check_json(item: dict[str, Any], spec: dict[str, Any]) -> None:
    assert list(item) == list(spec), (list(item), list(spec))
    for name, kind in spec.items():
        assert isinstance(item[name], kind), (name, item[name])
        if name.endswith("_datetime") and item[name] is not None:
            assert W3C.match(item[name]), (name, item[name])


def xml_of(r: httpx.Response, root: str) -> ET.Element:
    assert r.headers["content-type"] == "text/xml; charset=utf-8", r.headers["content-type"]
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(r.content)  # noqa: S314 - our own answer, parsed by the stdlib
    assert element.tag == root
    return element


def check_xml(element: ET.Element, spec: dict[str, Any]) -> None:
    """Every field present, in order, with text that parses as its JSON type."""
    assert [c.tag for c in element] == list(spec), [c.tag for c in element]
    for name, kind in spec.items():
        text = element.findtext(name) or ""
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if bool in kinds:
            assert text in {"true", "false"}, (name, text)
        elif float in kinds:
            float(text)
        elif int in kinds:
            int(text)
        elif type(None) not in kinds and kind is not object:
            assert text, name
        if name.endswith("_datetime") and text:
            assert W3C.match(text), (name, text)


def json_of(r: httpx.Response) -> Any:
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    return r.json()


def spec_error(r: httpx.Response, status: int, fmt: str = "json") -> str:
    assert r.status_code == status, r.text
    if fmt == "json":
        body = json_of(r)
        assert isinstance(body, list) and len(body) == 1
        assert body[0]["code"] == status and isinstance(body[0]["description"], str)
        return str(body[0]["description"])
    root = xml_of(r, "errors")
    [error] = root.findall("error")
    assert [c.tag for c in error] == ["code", "description"]
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""


async def issue_key(client: Client, name: str = "Portal Kota") -> tuple[int, str]:
    admin = await login(client, "admin")
    r = await client.post("/api/admin/open311-keys", headers=admin, json={"name": name})
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store", r.headers  # the key is shown once
    return r.json()["id"], r.json()["api_key"]


def form(key: str | None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "KECELAKAAN_LALU_LINTAS",
        "lat": str(HERE[0]),
        "long": str(HERE[1]),
        "address_string": "Jl. Sao-Sao no. 3",
        "description": "Tabrakan beruntun di depan pasar",
        "email": "warga@example.org",
        "first_name": "Rahasia",
        "last_name": "Warga",
        "phone": "0812 5555 6666",
        "device_id": "dev-1",
        "account_id": "acc-1",
    }
    if key is not None:
        body["api_key"] = key
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def post_request(client: Client, key: str, fmt: str = "json", **fields: Any) -> Any:
    r = await client.post(f"{V2}/requests.{fmt}", data=form(key, **fields))
    assert r.status_code == 200, r.text
    return r


# -------------------------------------------------------------- discovery
async def test_service_discovery_in_json_and_xml(client: Client) -> None:
    r = await client.get("/open311/discovery.json")
    assert r.status_code == 200
    body = json_of(r)
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    assert all(
        isinstance(body[k], str) and body[k] for k in ("changeset", "contact", "key_service")
    )
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://127.0.0.1/open311/v2"
    assert endpoint["type"] in {"production", "test"}
    assert endpoint["formats"] == ["text/xml", "application/json"]
    # XML by default (no suffix) and with .xml; the same content.
    for path in ("/open311/discovery", "/open311/discovery.xml"):
        root = xml_of(await client.get(path), "discovery")
        assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
        ep = root.find("endpoints/endpoint")
        assert ep is not None
        assert [c.tag for c in ep] == ["specification", "url", "changeset", "type", "formats"]
        assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]
        assert ep.findtext("url") == endpoint["url"]
    spec_error(await client.get("/open311/nothing.json"), 404)


# ---------------------------------------------------------------- services
async def test_service_list_and_definitions(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    tree = await category_by_code(db, "POHON_TUMBANG")
    r = await client.patch(
        f"/api/admin/categories/{tree.id}", headers=admin, json={"attributes": [QUESTION]}
    )
    assert r.status_code == 200, r.text

    services = json_of(await client.get(f"{V2}/services.json"))
    assert len(services) >= 30
    for s in services:
        check_json(s, SERVICE)
        assert s["type"] in {"realtime", "batch", "blackbox"}
    by_code = {s["service_code"]: s for s in services}
    assert by_code["POHON_TUMBANG"]["metadata"] is True
    assert by_code["KECELAKAAN_LALU_LINTAS"]["metadata"] is False
    assert by_code["POHON_TUMBANG"]["service_name"] == "Pohon tumbang"
    en = json_of(await client.get(f"{V2}/services.json", headers={"Accept-Language": "en"}))
    assert {s["service_code"]: s for s in en}["POHON_TUMBANG"]["service_name"] == "Fallen tree"

    for path in (f"{V2}/services", f"{V2}/services.xml"):
        root = xml_of(await client.get(path), "services")
        items = root.findall("service")
        assert len(items) == len(services)
        for item in items:
            check_xml(item, SERVICE)

    definition = json_of(await client.get(f"{V2}/services/POHON_TUMBANG.json"))
    assert list(definition) == ["service_code", "attributes"]
    assert definition["service_code"] == "POHON_TUMBANG"
    [attr] = definition["attributes"]
    check_json(attr, ATTRIBUTE)
    assert attr["datatype"] in DATATYPES and attr["order"] == 1
    assert attr["values"] == QUESTION["values"]
    root = xml_of(await client.get(f"{V2}/services/POHON_TUMBANG"), "service_definition")
    assert root.findtext("service_code") == "POHON_TUMBANG"
    xml_attr = root.find("attributes/attribute")
    assert xml_attr is not None
    check_xml(xml_attr, ATTRIBUTE)
    assert [v.findtext("key") for v in xml_attr.findall("values/value")] == ["ya", "tidak"]
    # Unknown service codes: 404 in the spec's error format, in the format asked for.
    assert "NOPE" in spec_error(await client.get(f"{V2}/services/NOPE.json"), 404)
    spec_error(await client.get(f"{V2}/services/NOPE"), 404, "xml")
    spec_error(await client.get(f"{V2}/services.html"), 400, "xml")
    spec_error(await client.get(f"{V2}/nothing.json"), 404)


# ---------------------------------------------------------------- api keys
async def test_post_requires_an_issued_unrevoked_api_key(client: Client, db: AsyncSession) -> None:
    r = await client.post(f"{V2}/requests.json", data=form(None))
    assert "api_key" in spec_error(r, 403)
    spec_error(await client.post(f"{V2}/requests.xml", data=form(None)), 403, "xml")
    spec_error(await client.post(f"{V2}/requests", data=form("o311_forged")), 403, "xml")
    key_id, key = await issue_key(client)
    assert key.startswith("o311_")
    stored = await db.get(Open311Key, key_id)
    assert (
        stored is not None
        and stored.key_hash == token_digest(key)
        and key not in str(stored.__dict__)
    )
    await post_request(client, key)
    # Admins list keys (never the key) and revoke them.
    admin = await login(client, "admin")
    listed = (await client.get("/api/admin/open311-keys", headers=admin)).json()
    assert [k["key_prefix"] for k in listed] == [key[:12]] and key not in json.dumps(listed)
    assert listed[0]["last_used_at"] is not None
    op = await login(client, "operator")
    assert (await client.get("/api/admin/open311-keys", headers=op)).status_code == 403
    r = await client.delete(f"/api/admin/open311-keys/{key_id}", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    spec_error(await client.post(f"{V2}/requests.json", data=form(key)), 403)
    # Not a key in JSON either.
    r = await client.post(f"{V2}/requests.json", json=form(key))
    spec_error(r, 403)


# ------------------------------------------------------------- round trip
async def test_a_client_round_trip_post_then_read_back_by_id_and_by_filter(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    _, key = await issue_key(client)
    r = await post_request(client, key)
    [created] = json_of(r)
    check_json(created, CREATED)
    request_id = created["service_request_id"]
    assert (
        request_id.startswith("KDI-")
        and "Kepolisian Resor Kota Kendari" in created["service_notice"]
    )
    # XML answer to a POST too.
    xml = xml_of(
        await post_request(client, key, fmt="xml", description="Kecelakaan kedua"),
        "service_requests",
    )
    [item] = xml.findall("request")
    check_xml(item, CREATED)
    # The case is real: routed, private reporter kept, channel open311.
    case = (await db.execute(select(Case).where(Case.reference == request_id))).scalar_one()
    assert case.channel == "open311" and case.address == "Jl. Sao-Sao no. 3"
    reporter = (
        await db.execute(select(CaseReporter).where(CaseReporter.case_id == case.id))
    ).scalar_one()
    assert reporter.name == "Rahasia Warga" and reporter.phone == "+6281255556666"

    # By id, JSON and XML.
    [one] = json_of(await client.get(f"{V2}/requests/{request_id}.json"))
    check_json(one, REQUEST)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["service_code"] == "KECELAKAAN_LALU_LINTAS"
    assert one["description"] == "Tabrakan beruntun di depan pasar"
    assert one["agency_responsible"] and "Jl. Sao-Sao no. 3" in one["address"]
    assert abs(one["lat"] - HERE[0]) < 1e-6 and abs(one["long"] - HERE[1]) < 1e-6
    # expected_datetime is the SLA's resolve-by deadline.
    expected = case.resolve_by.astimezone(ZoneInfo("Asia/Makassar"))
    assert one["expected_datetime"] == expected.isoformat(timespec="seconds")
    assert one["requested_datetime"].endswith("+08:00")
    root = xml_of(await client.get(f"{V2}/requests/{request_id}"), "service_requests")
    [xml_one] = root.findall("request")
    check_xml(xml_one, REQUEST)
    assert xml_one.findtext("service_request_id") == request_id
    # By list filters.
    listed = json_of(
        await client.get(
            f"{V2}/requests.json",
            params={"service_code": "KECELAKAAN_LALU_LINTAS", "status": "open"},
        )
    )
    assert request_id in [r["service_request_id"] for r in listed]
    for item in listed:
        check_json(item, REQUEST)
    assert json_of(await client.get(f"{V2}/requests.json", params={"status": "closed"})) == []
    picked = json_of(
        await client.get(
            f"{V2}/requests.json",
            params={"service_request_id": f"{request_id},KDI-000000-NONE", "status": "closed"},
        )
    )
    assert [r["service_request_id"] for r in picked] == [request_id]  # the id overrides
    root = xml_of(
        await client.get(f"{V2}/requests.xml", params={"service_request_id": request_id}),
        "service_requests",
    )
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [request_id]
    # A window that excludes it, then one that includes it.
    past = (clock.now - timedelta(days=30)).isoformat()
    assert (
        json_of(
            await client.get(
                f"{V2}/requests.json",
                params={
                    "start_date": past,
                    "end_date": (clock.now - timedelta(days=1)).isoformat(),
                },
            )
        )
        == []
    )
    found = json_of(await client.get(f"{V2}/requests.json", params={"start_date": past}))
    assert request_id in [r["service_request_id"] for r in found]

    # Closed once resolved; status notes are public words, never the staff's note.
    await work_to_resolved(client, db, clock, request_id, note="CATATAN-RAHASIA-PETUGAS")
    [done] = json_of(await client.get(f"{V2}/requests/{request_id}.json"))
    assert done["status"] == "closed" and done["status_notes"] == "Selesai"
    closed = json_of(await client.get(f"{V2}/requests.json", params={"status": "closed"}))
    assert [r["service_request_id"] for r in closed] == [request_id]


async def test_post_refusals_use_the_spec_codes(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    tree = await category_by_code(db, "POHON_TUMBANG")
    await client.patch(
        f"/api/admin/categories/{tree.id}", headers=admin, json={"attributes": [QUESTION]}
    )
    _, key = await issue_key(client)
    url = f"{V2}/requests.json"
    assert "NOPE" in spec_error(await client.post(url, data=form(key, service_code="NOPE")), 404)
    spec_error(await client.post(f"{V2}/requests", data=form(key, service_code="NOPE")), 404, "xml")
    spec_error(await client.post(url, data=form(key, service_code="")), 400)
    spec_error(await client.post(url, data=form(key, lat="")), 400)
    spec_error(await client.post(url, data=form(key, long="east")), 400)
    # Outside the city, a description over 4,000 characters, a required attribute missing.
    en = {"Accept-Language": "en"}
    r = await client.post(url, data=form(key, lat="-6.2", long="106.8"), headers=en)
    assert "Kendari" in spec_error(r, 400)
    spec_error(await client.post(url, data=form(key, description="x" * 4001)), 400)
    r = await client.post(url, data=form(key, service_code="POHON_TUMBANG"), headers=en)
    assert "menutup_jalan" in spec_error(r, 400)
    r = await client.post(
        url,
        data=form(key, service_code="POHON_TUMBANG", **{"attribute[menutup_jalan]": "mungkin"}),
    )
    spec_error(r, 400)
    r = await client.post(
        url,
        data=form(
            key,
            service_code="POHON_TUMBANG",
            **{"attribute[menutup_jalan]": "ya", "attribute[fixmystreet_id]": "77"},
        ),
    )
    assert r.status_code == 200, r.text
    assert await db.scalar(select(Case.id).where(Case.channel == "open311")) is not None
    # A body that is not a form.
    r = await client.post(
        url, content=json.dumps({"api_key": key}), headers={"content-type": "application/json"}
    )
    spec_error(r, 403)  # no key found in a body that is not a form
    r = await client.post(
        f"{url}?api_key={key}",
        content=json.dumps(form(key)),
        headers={"content-type": "application/json"},
    )
    spec_error(r, 400)


async def test_get_requests_refusals(client: Client) -> None:
    url = f"{V2}/requests.json"
    for params in (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},  # > 90 days
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"start_date": "last week"},
        {"status": "pending"},
        {"page_size": "0"},
        {"page": "-1"},
    ):
        spec_error(await client.get(url, params=params), 400)
    spec_error(
        await client.get(
            f"{V2}/requests.xml",
            params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        ),
        400,
        "xml",
    )
    spec_error(await client.get(url, params={"service_code": "NOPE"}), 404)
    spec_error(await client.get(f"{V2}/requests/KDI-000000-NONE.json"), 404)
    spec_error(await client.get(f"{V2}/requests/KDI-000000-NONE"), 404, "xml")
    spec_error(await client.get(f"{V2}/tokens/unknown-token.json"), 404)


async def test_xml_by_default_and_paging(client: Client, clock: Clock) -> None:
    _, key = await issue_key(client)
    ids = []
    for i in range(3):
        clock.advance(minutes=1)
        [made] = json_of(await post_request(client, key, description=f"Kecelakaan ke-{i} di sini"))
        ids.append(made["service_request_id"])
    root = xml_of(await client.get(f"{V2}/requests"), "service_requests")
    assert [r.findtext("service_request_id") for r in root.findall("request")] == ids[::-1]
    first = json_of(await client.get(f"{V2}/requests.json", params={"page_size": "2"}))
    second = json_of(
        await client.get(f"{V2}/requests.json", params={"page_size": "2", "page": "2"})
    )
    assert [r["service_request_id"] for r in first + second] == ids[::-1]
    assert (
        json_of(await client.get(f"{V2}/requests.json", params={"page": "3", "page_size": "2"}))
        == []
    )


async def test_service_request_updates_and_tokens(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    made = await report(client)
    start = (clock.now - timedelta(minutes=1)).isoformat()
    await work_to_resolved(client, db, clock, made["reference"], note="CATATAN-RAHASIA")
    updates = json_of(
        await client.get(f"{V2}/servicerequestupdates.json", params={"start_date": start})
    )
    assert [u["service_request_id"] for u in updates] == [made["reference"]] * len(updates)
    for u in updates:
        check_json(u, UPDATE)
        assert u["status"] in {"open", "closed"}
    assert [u["status"] for u in updates][-1] == "closed"
    assert updates[0]["description"] == "Laporan diterima"
    assert "CATATAN-RAHASIA" not in json.dumps(updates)
    root = xml_of(
        await client.get(f"{V2}/servicerequestupdates", params={"start_date": start}),
        "service_request_updates",
    )
    items = root.findall("request_update")
    assert len(items) == len(updates)
    for item in items:
        check_xml(item, UPDATE)
    spec_error(
        await client.get(
            f"{V2}/servicerequestupdates.json",
            params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        ),
        400,
    )
    # tokens/{token}: the citizen's tracking token names its service request.
    token = made["tracking_token"]
    [found] = json_of(await client.get(f"{V2}/tokens/{token}.json"))
    assert found == {"service_request_id": made["reference"], "token": token}
    root = xml_of(await client.get(f"{V2}/tokens/{token}"), "service_requests")
    assert root.findtext("request/service_request_id") == made["reference"]


async def test_open311_answers_hold_no_personal_data(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    _, key = await issue_key(client)
    [made] = json_of(
        await post_request(client, key, description="Tabrakan. Hubungi saya 0812 4444 3333")
    )
    citizen = await report(client)
    await work_to_resolved(client, db, clock, citizen["reference"], note="CATATAN-RAHASIA")
    # A call-taker's case: their description is a working note, never published.
    op = await login(client, "operator")
    category = await category_by_code(db, "KECELAKAAN_LALU_LINTAS")
    r = await client.post(
        "/api/cases",
        headers=op,
        json={
            "category_id": category.id,
            "lat": HERE[0] + 0.01,
            "lon": HERE[1],
            "description": "Pak Ahmad Penelepon melapor tabrakan",
            "reporter": {"name": "Ahmad Penelepon", "phone": "0812 9999 8888"},
        },
    )
    assert r.status_code == 201, r.text
    phoned = r.json()["reference"]
    by_id = {r["service_request_id"]: r for r in json_of(await client.get(f"{V2}/requests.json"))}
    assert by_id[phoned]["description"] is None
    assert by_id[made["service_request_id"]]["description"] == "Tabrakan. Hubungi saya […]"
    bodies = [
        await client.get(f"{V2}/requests.json"),
        await client.get(f"{V2}/requests"),
        await client.get(f"{V2}/requests/{made['service_request_id']}.json"),
        await client.get(f"{V2}/servicerequestupdates.json"),
        await client.get(f"{V2}/servicerequestupdates"),
    ]
    forbidden = [
        "Rahasia", "warga@example.org", "6281255556666", "5555", "dev-1", "acc-1",
        "4444 3333", "81244443333", "Ahmad", "9999 8888", "81299998888",
        REPORTER_NAME, REPORTER_E164, "7777", "CATATAN-RAHASIA", "Bripka", "petugas",
        "Patroli Sabhara",
    ]  # fmt: skip
    for r in bodies:
        assert r.status_code == 200
        for bad in forbidden:
            assert bad not in r.text, (r.url, bad)
    for _, key_name, _ in walk(json_of(bodies[0])):
        assert key_name in REQUEST, key_name


async def test_an_api_key_has_a_rate_limit(make_app: Any) -> None:
    app = make_app(open311_requests_per_key=1)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        _, key = await issue_key(client)
        await post_request(client, key, phone=None)
        r = await client.post(f"{V2}/requests.xml", data=form(key, phone=None))
        spec_error(r, 429, "xml")
        assert int(r.headers["retry-after"]) > 0
