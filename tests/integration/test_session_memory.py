"""A process remembers live sessions (api/db/principals.py): a known session costs no database
read, and every change that would refuse it or change who it is reaches the process at once,
whoever makes it: the process itself, another process (plain SQL here, on its own connection),
or nobody it can hear (the LISTEN connection lost)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from tests.factories import user_by_name
from tests.integration.test_admin_catalogue import statements_on

Client = AsyncTestClient[Litestar]


async def _reads_session(client: Client, headers: dict[str, str]) -> tuple[int, bool]:
    """``GET /api/auth/me``: its status, and whether it read the session from the database."""
    with statements_on("auth_sessions") as seen:
        r = await client.get("/api/auth/me", headers=headers)
    return r.status_code, bool(seen)


async def _refused_within(client: Client, headers: dict[str, str], seconds: float) -> float:
    """How long until the token is refused (the other process's change heard), at most
    ``seconds``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < seconds:
        r = await client.get("/api/auth/me", headers=headers)
        if r.status_code == 401:
            assert r.json()["code"] == "token_invalid"
            return loop.time() - start
        assert r.status_code == 200, r.text
        await asyncio.sleep(0.01)
    raise AssertionError(f"still admitted {seconds} s after the change")


async def _revoke_by_sql(db: AsyncSession, username: str) -> None:
    """Revoke every session of ``username`` as another process would: plain SQL, committed."""
    await db.execute(
        text(
            "UPDATE auth_sessions SET revoked_at = now() "
            "WHERE user_id = (SELECT id FROM users WHERE username = :u)"
        ),
        {"u": username},
    )
    await db.commit()


async def test_a_known_session_is_not_read_again(client: Client) -> None:
    fo = await login(client, "petugas.dlhk")
    assert await _reads_session(client, fo) == (200, True)
    for _ in range(3):
        assert await _reads_session(client, fo) == (200, False)
    # A session this process has not seen is read, and a bad one is refused every time.
    other = await login(client, "petugas.dlhk")
    assert await _reads_session(client, other) == (200, True)


async def test_a_revocation_made_elsewhere_refuses_the_next_requests(
    client: Client, db: AsyncSession
) -> None:
    fo = await login(client, "petugas.dlhk")
    assert await _reads_session(client, fo) == (200, True)
    assert await _reads_session(client, fo) == (200, False)
    # Another process (the CLI, a second API worker, plain SQL) revokes every session of the
    # user: the trigger's NOTIFY reaches this process at commit.
    await _revoke_by_sql(db, "petugas.dlhk")
    # Heard within the notification's delivery, far inside the 60 s the answer may be kept.
    assert await _refused_within(client, fo, 5) < 5


async def test_a_user_changed_or_deactivated_elsewhere_is_read_again(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    assert (await client.get("/api/admin/users", headers=admin)).status_code == 200
    assert await _reads_session(client, admin) == (200, False)
    # A new role by plain SQL: the next requests are judged by it.
    await db.execute(text("UPDATE users SET role = 'supervisor' WHERE username = 'admin'"))
    await db.commit()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (r := await client.get("/api/admin/users", headers=admin)).status_code == 200:
        assert loop.time() < deadline, "the new role was never read"
        await asyncio.sleep(0.01)
    assert r.status_code == 403, r.text
    # Deactivated by plain SQL: refused.
    await db.execute(text("UPDATE users SET active = false WHERE username = 'admin'"))
    await db.commit()
    await _refused_within(client, admin, 5)


async def test_changes_made_by_this_process_refuse_the_very_next_request(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    fo = await login(client, "petugas.dlhk")
    assert await _reads_session(client, fo) == (200, True)
    assert await _reads_session(client, fo) == (200, False)
    user = await user_by_name(db, "petugas.dlhk")
    r = await client.delete(f"/api/admin/users/{user.id}", headers=admin)
    assert r.status_code == 204, r.text
    # No wait for any notification: the deactivation forgot the user before it committed.
    r = await client.get("/api/auth/me", headers=fo)
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"
    # Reactivated: the old sessions stay revoked; a new sign-in works and is remembered.
    r = await client.post(f"/api/admin/users/{user.id}/reactivate", headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me", headers=fo)).status_code == 401
    again = await login(client, "petugas.dlhk")
    assert await _reads_session(client, again) == (200, True)
    # Signing out ends that session at once too.
    r = await client.post("/api/auth/logout", headers=again)
    assert r.status_code in (200, 204), r.text
    assert (await client.get("/api/auth/me", headers=again)).status_code == 401


async def test_without_its_listen_connection_a_process_reads_every_session(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    fo = await login(client, "petugas.dlhk")
    assert await _reads_session(client, fo) == (200, True)
    assert await _reads_session(client, fo) == (200, False)
    listening: Callable[[], int | None] = lambda: app.state.listen.listening  # noqa: E731
    before = listening()
    assert before is not None
    # The listener's connection dies: a revocation now would not be heard.
    await db.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
        )
    )
    await db.commit()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while listening() == before:
        assert loop.time() < deadline, "the lost LISTEN connection was never noticed"
        await asyncio.sleep(0.01)
    # Down, or back on a new connection: either way what was kept before is not used.
    assert await _reads_session(client, fo) == (200, True)
    deadline = loop.time() + 10
    while listening() is None:
        assert loop.time() < deadline, "the LISTEN connection never came back"
        await asyncio.sleep(0.05)
    # Listening again: remembered again (the read above may already have been kept).
    await _reads_session(client, fo)
    assert await _reads_session(client, fo) == (200, False)
    # And it hears again.
    await _revoke_by_sql(db, "petugas.dlhk")
    await _refused_within(client, fo, 5)
