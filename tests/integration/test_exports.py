"""Exports: streamed CSV without personal data, scoped to the user; the printable monthly report."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.exports import CALL_EXPORT_COLUMNS, CASE_EXPORT_COLUMNS
from api.routes import exports
from tests.conftest import login
from tests.support.asgi import raw_get
from tests.support.stats_data import (
    CaseSpec,
    dsn,
    facts,
    insert_calls,
    insert_cases,
    lifecycle,
    load_call_facts,
    load_ticket_facts,
    spread,
    wita,
)

Client = AsyncTestClient[Litestar]

REPORTER_NAME = "Siti Aminah Rahman"
REPORTER_PHONE = "+6281234567890"


@pytest_asyncio.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn(database_url))
    yield conn
    await conn.close()


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_cases_csv_has_every_case_of_the_period_and_no_personal_data(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 30, 23, 30)
    specs = [
        CaseSpec("DLHK", t0, "closed", lifecycle(t0, "closed"), ratings=[4], area_name="Kadia"),
        CaseSpec("BPBD", wita(2025, 11, 2, 8), "new", lifecycle(wita(2025, 11, 2, 8), "new")),
        CaseSpec("BPBD", wita(2025, 12, 1, 0, 30), "new", []),  # December in city time
    ]
    ids = await insert_cases(pg, specs)
    for cid in ids:
        await pg.execute(
            "INSERT INTO case_reporters (case_id, original_case_id, name, phone, channel, "
            "language, created_at) VALUES ($1, $1, $2, $3, 'phone', 'id', now())",
            cid,
            REPORTER_NAME,
            REPORTER_PHONE,
        )
    await pg.execute(
        "UPDATE cases SET description = $1, address = 'Jl. Mawar 7, rumah Bu Siti'",
        f"Pelapor {REPORTER_NAME} ({REPORTER_PHONE}) melaporkan sampah",
    )
    auth = await login(client, "supervisor")
    r = await client.get("/api/exports/cases.csv", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="tanggap112-cases-2025-11.csv"' in r.headers["content-disposition"]
    text = r.text
    for secret in (REPORTER_NAME, "Siti", REPORTER_PHONE, "81234567890", "Mawar"):
        assert secret not in text
    rows = rows_of(text)
    assert list(rows[0].keys()) == list(CASE_EXPORT_COLUMNS)
    assert len(rows) == 2
    last = rows[-1]
    assert last["created_at"] == "2025-11-30 23:30:00"  # city time
    assert (last["agency"], last["status"], last["public_status"]) == ("DLHK", "closed", "selesai")
    assert last["area"] == "Kadia"
    assert last["minutes_to_dispatch"] == "2.0" and last["minutes_to_resolve"] == "90.0"
    assert last["ratings"] == "1" and last["rating_average"] == "4.00"
    assert rows[0]["public_status"] == "belum_ditindaklanjuti"

    coordinator = await login(client, "koordinator.dlhk")
    r = await client.get("/api/exports/cases.csv", params={"month": "2025-11"}, headers=coordinator)
    assert [row["agency"] for row in rows_of(r.text)] == ["DLHK"]


async def test_calls_csv_never_holds_caller_numbers(client: Client, pg: asyncpg.Connection) -> None:
    await insert_calls(
        pg,
        [
            (wita(2025, 11, 3, 10), "valid", REPORTER_PHONE),
            (wita(2025, 11, 3, 11), "prank", "+6285299990000"),
        ],
    )
    await pg.execute("UPDATE calls SET notes = $1", f"Penelepon {REPORTER_NAME}")
    auth = await login(client, "dispatcher")
    r = await client.get("/api/exports/calls.csv", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200
    for secret in (REPORTER_PHONE, "85299990000", REPORTER_NAME):
        assert secret not in r.text
    rows = rows_of(r.text)
    assert list(rows[0].keys()) == list(CALL_EXPORT_COLUMNS)
    assert [row["class"] for row in rows] == ["valid", "prank"]
    assert rows[0]["started_at"] == "2025-11-03 10:00:00"


async def test_exports_stream_a_bounded_number_of_rows_per_chunk(
    client: Client, pg: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 1050
    days = spread(date(2025, 11, 1), date(2025, 11, 30), n)
    await insert_calls(pg, [(at, "valid", None) for at in days])
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 200)
    auth = await login(client, "supervisor")
    # The app lives on the test client's own event loop (a portal thread): call it there.
    messages = await asyncio.to_thread(
        client.blocking_portal.call,
        raw_get,
        client.app,
        "/api/exports/calls.csv",
        "month=2025-11",
        {"authorization": auth["Authorization"]},
    )
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    chunks = [m["body"] for m in bodies if m["body"]]
    # The header, then ceil(1050 / 200) = 6 pieces of at most 200 lines each.
    assert len(chunks) == 1 + 6
    assert all(c.count(b"\n") <= 200 for c in chunks)
    assert sum(c.count(b"\n") for c in chunks) == n + 1
    assert bodies[-1]["more_body"] is False


async def test_monthly_report_is_a_printable_page_with_the_city_figures(
    client: Client, pg: asyncpg.Connection
) -> None:
    nov = facts("2025-11")
    async with pg.transaction():
        await load_call_facts(pg, nov)
        await load_ticket_facts(pg, nov)
    auth = await login(client, "supervisor")
    r = await client.get("/api/reports/monthly", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-language"] == "id"
    page = r.text
    assert "<!doctype html>" in page and "@page" in page and "<script" not in page
    for needle in (
        "Laporan Bulanan Call Center 112 Kendari",
        "November 2025",
        "Panggilan masuk",
        ">3.218<",
        ">2.527",
        "(79%)",
        ">691",
        "Tiket per OPD",
        "Belum ditindaklanjuti",
        "Dalam proses",
        "Selesai",
        ">118<",
        "tidak memuat data pribadi",
    ):
        assert needle in page, needle

    r = await client.get(
        "/api/reports/monthly",
        params={"month": "2025-11"},
        headers={**auth, "Accept-Language": "en-US,en;q=0.9"},
    )
    page = r.text
    assert r.headers["content-language"] == "en"
    for needle in (
        "Calls received",
        ">3,218<",
        ">2,527",
        "(79%)",
        "Tickets per agency",
        "Finished",
    ):
        assert needle in page, needle

    r = await client.get("/api/exports/monthly.csv", params={"month": "2025-11"}, headers=auth)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    lines = {(x["section"], x["item"]): x for x in rows_of(r.text)}
    assert lines[("calls", "received")]["value"] == "3218"
    assert lines[("calls", "valid")]["value"] == "2527"
    assert lines[("calls", "valid")]["percent"] == "79"
    assert lines[("calls", "prank_or_ghost")]["value"] == "691"
    assert lines[("tickets", "created")]["value"] == "118"
    assert lines[("calls", "valid")]["label"] == "Panggilan valid"


async def test_a_coordinators_monthly_report_holds_only_their_agency(
    client: Client, pg: asyncpg.Connection
) -> None:
    t0 = wita(2025, 11, 5, 9)
    await insert_cases(pg, [CaseSpec("DLHK", t0, "new", []), CaseSpec("BPBD", t0, "new", [])])
    await insert_calls(pg, [(t0, "valid", "+6281300000001")])
    auth = await login(client, "koordinator.dlhk")
    r = await client.get("/api/reports/monthly", params={"month": "2025-11"}, headers=auth)
    assert r.status_code == 200
    assert "Panggilan masuk" not in r.text
    assert "Hanya tiket Dinas Lingkungan Hidup" in r.text
    assert "Badan Penanggulangan Bencana" not in r.text
