"""Public reads under a surge revalidate: the Open311 lists, a service definition and one request,
and a citizen's tracking view answer with an ETag and a Cache-Control, a repeat with the same
``If-None-Match`` gets a bodiless 304, and a change gives a new ETag and a 200. A 304 never
answers where a 200 would not: a wrong token gets the same 404 whatever it sends. Each read is
counted in statements, and team suggestions too: one statement (the nearest-teams query)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from tests.integration.test_admin_catalogue import statements_on
from tests.integration.test_public_reports import case_of, report, tracked

Client = AsyncTestClient[Litestar]
LIST_CACHE = "public, max-age=30, must-revalidate"


def statements() -> AbstractContextManager[list[str]]:
    """Every SQL statement that reads a table meanwhile (transaction control is none)."""
    return statements_on("")


async def _revalidates(client: Client, path: str, **headers: str) -> str:
    """``path`` answers 200 with an ETag, then 304 without a body to that ETag; the ETag."""
    r = await client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    tag = r.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 8
    again = await client.get(path, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304, again.text
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == r.headers["cache-control"]
    return tag


async def test_open311_lists_revalidate_and_a_new_request_changes_the_etag(
    client: Client,
) -> None:
    for path in (
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/services/POHON_TUMBANG.json",
        "/open311/v2/discovery.json",
    ):
        await _revalidates(client, path)
        r = await client.get(path)
        assert r.headers["cache-control"] == LIST_CACHE
        assert "accept-language" in r.headers["vary"].lower()
    # Another language is another answer: another ETag.
    ids = await _revalidates(client, "/open311/v2/services.json", **{"Accept-Language": "id"})
    en = await _revalidates(client, "/open311/v2/services.json", **{"Accept-Language": "en"})
    assert ids != en

    before = await _revalidates(client, "/open311/v2/requests.json")
    made = await report(client)
    r = await client.get("/open311/v2/requests.json", headers={"If-None-Match": before})
    assert r.status_code == 200
    assert r.headers["etag"] != before
    assert made["reference"] in {x["service_request_id"] for x in r.json()}
    await _revalidates(client, f"/open311/v2/requests/{made['reference']}.json")


async def test_the_tracking_view_revalidates_and_changes_when_the_case_does(
    client: Client, db: AsyncSession
) -> None:
    made = await report(client)
    path = f"/api/public/cases/{made['reference']}"
    token = tracked(made["tracking_token"])
    tag = await _revalidates(client, path, **token)
    r = await client.get(path, headers=token)
    # Personal to the holder of the token: no cache stores it.
    assert r.headers["cache-control"] == "private, no-store"

    # A wrong token gets the 404 of an unknown reference, whatever ETag it sends.
    for sent in (tag, "*"):
        r = await client.get(
            path, headers={**tracked("x" * len(made["tracking_token"])), "If-None-Match": sent}
        )
        assert r.status_code == 404, r.text
        r = await client.get(
            "/api/public/cases/KDI-20000101-ZZZZ", headers={**token, "If-None-Match": sent}
        )
        assert r.status_code == 404, r.text

    # The dispatcher moves the case on: the citizen's next revalidation gets the new view.
    case = await case_of(db, made["reference"])
    disp = await login(client, "dispatcher")
    teams = (await client.get("/api/teams", headers=disp)).json()
    team = next(t for t in teams if t["agency_id"] == case.agency_id)
    r = await client.post(
        f"/api/cases/{case.id}/assign",
        headers=disp,
        json={"team_id": team["id"], "version": case.version},
    )
    assert r.status_code == 200, r.text
    r = await client.get(path, headers={**token, "If-None-Match": tag})
    assert r.status_code == 200
    assert r.headers["etag"] != tag


async def test_public_reads_and_team_suggestions_cost_few_statements(
    client: Client, db: AsyncSession
) -> None:
    made = await report(client)
    reads = {
        "GET /api/geography": ("/api/geography", {}),
        "GET /open311/v2/services.json": ("/open311/v2/services.json", {}),
        "GET /open311/v2/requests.json": ("/open311/v2/requests.json", {}),
    }
    for name, (path, headers) in reads.items():
        with statements() as seen:
            r = await client.get(path, headers=headers)
        assert r.status_code == 200, (name, r.text)
        assert len(seen) == 1, (name, seen)

    # Team suggestions: the staff session check, then one statement (case, area rules, teams).
    case = await case_of(db, made["reference"])
    disp = await login(client, "dispatcher")
    with statements() as seen:
        r = await client.get(f"/api/cases/{case.id}/team-suggestions", headers=disp)
    assert r.status_code == 200, r.text
    assert [s for s in seen if "auth_sessions" not in s] == [seen[-1]], seen
    assert "routing_rules" in seen[-1] and "<->" in seen[-1]
