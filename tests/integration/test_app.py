"""App-wide behaviour: health, OpenAPI, problem details, request ids, security headers, seed."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Agency, Area, Category, Team, User
from api.seed import seed

Client = AsyncTestClient[Litestar]


async def test_health_ready_checks_the_database(client: Client) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json()["database"] == "up" and r.json()["postgis"].startswith("3.")


async def test_openapi_schema_is_served(client: Client) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["info"]["title"] == "Tanggap 112 API"
    assert "/api/auth/login" in spec["paths"]
    assert "/api/admin/agencies" in spec["paths"]


async def test_errors_are_problem_details_with_request_id_and_security_headers(
    client: Client,
) -> None:
    r = await client.get("/api/nothing-here", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "route_not_found" and body["status"] == 404
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    r = await client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"


async def test_malformed_json_is_a_400_problem(client: Client, as_admin: dict[str, str]) -> None:
    r = await client.post(
        "/api/admin/agencies",
        content=b"{not json",
        headers={**as_admin, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "validation_failed"


async def test_problem_titles_and_details_speak_the_callers_language(
    client: Client, as_admin: dict[str, str]
) -> None:
    cases = [
        ("GET", "/api/nothing-here", {}, 404, "route_not_found", "Tidak ditemukan", "Not found"),
        ("GET", "/api/cases", {"Authorization": "Bearer nope"}, 401, "token_invalid",
         "Belum masuk", "Not signed in"),
        ("POST", "/api/admin/agencies", {**as_admin, "Content-Type": "application/json"}, 400,
         "validation_failed", "Permintaan tidak valid", "Bad request"),
    ]  # fmt: skip
    for method, path, headers, status, code, title_id, title_en in cases:
        got = {}
        for lang in ("id", "en"):
            r = await client.request(
                method, path, headers={**headers, "Accept-Language": lang}, content=b"{not json"
            )
            assert r.status_code == status and r.json()["code"] == code, r.text
            got[lang] = r.json()
        assert (got["id"]["title"], got["en"]["title"]) == (title_id, title_en)
        assert got["id"]["detail"] != got["en"]["detail"]


async def _counts(db: AsyncSession) -> dict[str, int]:
    out = {}
    for model in (Agency, Category, Area, User, Team):
        out[model.__tablename__] = (
            await db.execute(select(func.count()).select_from(model))
        ).scalar_one()
    out["support"] = (
        await db.execute(text("SELECT count(*) FROM category_supporting_agencies"))
    ).scalar_one()
    out["members"] = (await db.execute(text("SELECT count(*) FROM team_members"))).scalar_one()
    return out


async def test_second_seed_run_changes_nothing(db: AsyncSession) -> None:
    before = await _counts(db)
    assert before["agencies"] == 15 and before["categories"] == 38 and before["areas"] == 11
    assert before["users"] >= 6 and before["teams"] >= 10
    snapshot = (
        await db.execute(
            text(
                "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM "
                "(SELECT * FROM categories) t"
            )
        )
    ).scalar()
    report = await seed(db)
    await db.commit()
    assert report.total == 0
    assert await _counts(db) == before
    assert (
        await db.execute(
            text(
                "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM "
                "(SELECT * FROM categories) t"
            )
        )
    ).scalar() == snapshot


async def test_seed_keeps_admin_edits(db: AsyncSession) -> None:
    await db.execute(text("UPDATE categories SET priority = 'P2' WHERE code = 'BANJIR'"))
    await db.commit()
    await seed(db)
    await db.commit()
    assert (
        await db.execute(text("SELECT priority FROM categories WHERE code = 'BANJIR'"))
    ).scalar() == "P2"


async def test_every_category_has_consistent_sla_and_a_responsible_agency(
    db: AsyncSession,
) -> None:
    rows = (await db.execute(select(Category))).scalars().all()
    assert len(rows) == 38
    for c in rows:
        assert c.agency_id is not None
        assert 0 < c.sla_accept_min <= c.sla_arrive_min <= c.sla_resolve_min, c.code
