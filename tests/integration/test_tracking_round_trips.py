"""The citizen's tracking view with a token, counted on the real database: one statement
(issue #20, "Public reads under a surge"), and still only what the holder may see.

The phone+PIN path keeps its several statements (it counts wrong PINs on the primary); it answers
the same case with the same bytes, so it is the reference the one statement is checked against.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Clock, login
from tests.integration.test_intake_round_trips import counted
from tests.integration.test_public_reports import (
    REPORTER_PHONE,
    case_of,
    report,
    tracked,
    work_to_resolved,
)
from tests.support import images

Client = AsyncTestClient[Litestar]


async def _with_photo(client: Client, made: dict[str, Any]) -> None:
    r = await client.post(
        made["photos_url"],
        headers=tracked(made["tracking_token"]),
        files=[("files", ("tkp.jpg", images.jpeg(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text


async def _with_public_note(client: Client, db: AsyncSession, made: dict[str, Any]) -> None:
    """A public event that is not a status change (one a holder of status words never sees)."""
    case = await case_of(db, made["reference"])
    op = await login(client, "operator")
    r = await client.post(
        f"/api/cases/{case.id}/notes", headers=op, json={"note": "Sedang dicek", "public": True}
    )
    assert r.status_code == 201, r.text


def _by_pin(made: dict[str, Any]) -> dict[str, str]:
    return {"X-Reporter-Phone": REPORTER_PHONE, "X-Tracking-Pin": made["pin"]}


async def test_the_token_view_is_one_statement_with_the_same_bytes_as_before(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    made = await report(client)
    ref, token = made["reference"], made["tracking_token"]
    await _with_photo(client, made)
    await work_to_resolved(client, db, clock, ref)
    r = await client.post(
        f"/api/public/cases/{ref}/rating", headers=tracked(token), json={"score": 5}
    )
    assert r.status_code == 201, r.text
    path = f"/api/public/cases/{ref}"
    await client.get(path, headers=tracked(token))  # the pool's connection warmed up

    with counted() as sent:
        r = await client.get(path, headers=tracked(token))
    assert r.status_code == 200, r.text
    # The case, its names, the holder's rating and dispute, its timeline and photos: ONE
    # statement. Around it only what the read-only session sends anyway: its BEGIN READ ONLY
    # (asyncpg's, not a cursor statement) and the end of the transaction.
    assert len(sent.statements) == 1, sent.statements
    for part in ("FROM cases", "JOIN case_reporters", "case_ratings", "case_events", "photos"):
        assert part in sent.statements[0], part
    assert sent.begins == 1 and sent.writes == 3, (sent.begins, sent.writes)
    view = r.json()
    assert view["rated"] is True and view["can_rate"] is False and view["can_dispute"] is True
    assert len(view["photos"]) == 1 and view["description"] and view["address"]
    assert [e["kind"] for e in view["timeline"]][:2] == ["created", "dispatched"]
    assert view["timeline"][-1]["kind"] == "rated"

    # The same answer, byte for byte, as the several statements of the phone+PIN path give
    # (the signed photo URLs are made at the same clock's now).
    by_pin = await client.get(path, headers=_by_pin(made))
    assert by_pin.status_code == 200, by_pin.text
    assert r.content == by_pin.content
    assert r.headers["etag"] == by_pin.headers["etag"]
    en = {"Accept-Language": "en"}
    assert (await client.get(path, headers={**tracked(token), **en})).content == (
        await client.get(path, headers={**_by_pin(made), **en})
    ).content

    # A wrong token, a token of another case, an unknown reference: the same 404, each one
    # statement too.
    other = await report(client)
    for reference, credential in (
        (ref, "x" * 43),
        (ref, other["tracking_token"]),
        ("KDI-000000-ZZZZ", token),
    ):
        r = await client.get(f"/api/public/cases/{reference}", headers=tracked(credential))
        assert r.status_code == 404 and r.json()["code"] == "case_not_found", r.text


async def test_a_sensitive_case_and_a_follower_get_status_words_only_through_it(
    client: Client, db: AsyncSession
) -> None:
    # A sensitive category (about a person), with a photo: its reporter sees no details.
    made = await report(client, category="PENYELAMATAN_ORANG")
    await _with_photo(client, made)
    await _with_public_note(client, db, made)
    path = f"/api/public/cases/{made['reference']}"
    r = await client.get(path, headers=tracked(made["tracking_token"]))
    assert r.status_code == 200, r.text
    secret = r.json()
    assert secret["description"] is None and secret["address"] == "" and secret["photos"] == []
    assert secret["lat"] is None and secret["lon"] is None and secret["plus_code"] is None
    assert secret["area"] is None and [e["kind"] for e in secret["timeline"]] == ["created"]
    assert r.content == (await client.get(path, headers=_by_pin(made))).content

    # A follower of a public case with a photo and a public note: status words and times.
    public = await report(client)
    await _with_photo(client, public)
    await _with_public_note(client, db, public)
    path = f"/api/public/cases/{public['reference']}"
    full = (await client.get(path, headers=tracked(public["tracking_token"]))).json()
    assert full["description"] and full["photos"] and full["area"]
    assert len(full["timeline"]) == 2 and full["timeline"][0]["kind"] == "created"
    follower = (await client.post(f"{path}/follow", json={})).json()
    r = await client.get(path, headers=tracked(follower["tracking_token"]))
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["description"] is None and seen["address"] == "" and seen["photos"] == []
    assert seen["lat"] is None and seen["area"] is None
    assert seen["can_rate"] is False and seen["can_dispute"] is False
    assert [e["kind"] for e in seen["timeline"]] == ["created"]
    assert seen["status"] == full["status"] and seen["timeline"] == full["timeline"][:1]
