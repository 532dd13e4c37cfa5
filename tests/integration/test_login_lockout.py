"""Lock-out resistance and per-address limits: wrong passwords are limited per account-and-
address and per address, with growing lock-outs; a flood against one account from everywhere
alerts the admins instead of locking it; per-address limits count an IPv6 /64 as one address;
forwarded addresses count only from trusted proxies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar

from tests.conftest import Clock, login

RIGHT = "tanggap112"


@asynccontextmanager
async def started(app: Litestar) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """The app started in this event loop; ``client_from(address)`` is a client connecting
    from that address (httpx's ASGI transport sets the peer)."""
    async with app.lifespan():
        clients: list[httpx.AsyncClient] = []

        def client_from(address: str) -> httpx.AsyncClient:
            c = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                base_url="http://127.0.0.1",
            )
            clients.append(c)
            return c

        try:
            yield client_from
        finally:
            for c in clients:
                await c.aclose()


async def _login(
    c: httpx.AsyncClient, username: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await c.post(
        "/api/auth/login", json={"username": username, "password": password}, headers=headers
    )


async def test_wrong_passwords_from_one_address_leave_the_right_password_working_from_another(
    make_app: Callable[..., Litestar],
) -> None:
    async with started(make_app()) as client_from:
        attacker, dispatcher = client_from("203.0.113.7"), client_from("198.51.100.20")
        for _ in range(5):
            assert (await _login(attacker, "dispatcher", "tebakan")).status_code == 401
        r = await _login(attacker, "dispatcher", RIGHT)
        assert r.status_code == 429 and r.json()["code"] == "login_rate_limited"
        r = await _login(dispatcher, "dispatcher", RIGHT)
        assert r.status_code == 200, r.text


async def test_each_further_lock_out_of_an_address_lasts_twice_as_long(
    make_app: Callable[..., Litestar], clock: Clock
) -> None:
    async with started(make_app()) as client_from:
        attacker = client_from("203.0.113.8")
        for _ in range(5):
            assert (await _login(attacker, "operator", "tebakan")).status_code == 401
        first = await _login(attacker, "operator", "tebakan")
        assert first.status_code == 429
        assert 14 * 60 < int(first.headers["Retry-After"]) <= 15 * 60 + 1
        clock.advance(minutes=16)
        for _ in range(5):
            assert (await _login(attacker, "operator", "tebakan")).status_code == 401
        second = await _login(attacker, "operator", RIGHT)
        assert second.status_code == 429
        assert 29 * 60 < int(second.headers["Retry-After"]) <= 30 * 60 + 1
        clock.advance(minutes=16)
        assert (await _login(attacker, "operator", RIGHT)).status_code == 429
        clock.advance(minutes=15)
        assert (await _login(attacker, "operator", RIGHT)).status_code == 200


async def test_a_flood_against_one_account_alerts_the_admins_and_does_not_lock_it(
    make_app: Callable[..., Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(login_account_alert_failures=12)
    async with started(app) as client_from:
        with caplog.at_level(logging.WARNING, logger="tanggap.auth"):
            for i in range(15):
                r = await _login(client_from(f"192.0.2.{i + 1}"), "supervisor", "tebakan")
                assert r.status_code == 401
        # The owner still signs in, from yet another address.
        assert (await _login(client_from("198.51.100.1"), "supervisor", RIGHT)).status_code == 200
        admin = client_from("198.51.100.2")
        h = await login(admin, "admin")  # type: ignore[arg-type]
        alerts = (
            await admin.get("/api/admin/security-alerts", headers={**h, "Accept-Language": "en"})
        ).json()
        assert len(alerts) == 1, alerts  # one alert per window, not one per failure
        assert alerts[0]["username"] == "supervisor" and alerts[0]["failures"] == 12
        assert "supervisor" in alerts[0]["message"] and "not locked" in alerts[0]["message"]
        # Staff other than admins do not see the alerts.
        h = await login(admin, "operator")  # type: ignore[arg-type]
        assert (await admin.get("/api/admin/security-alerts", headers=h)).status_code == 403
    warnings = [r.getMessage() for r in caplog.records if "security alert" in r.getMessage()]
    assert len(warnings) == 1
    # No personal data in the log: no user name, no address.
    assert "supervisor" not in warnings[0] and "192.0.2." not in warnings[0]


async def test_ipv6_addresses_of_one_slash_64_share_one_limit(
    make_app: Callable[..., Litestar],
) -> None:
    app = make_app(login_max_failures_per_ip=3)
    async with started(app) as client_from:
        for i in range(3):
            r = await _login(client_from(f"2001:db8:1:2::{i + 1}"), f"tebak{i}", "x")
            assert r.status_code == 401
        r = await _login(client_from("2001:db8:1:2:ffff:ffff:ffff:ffff"), "admin", RIGHT)
        assert r.status_code == 429
        r = await _login(client_from("2001:db8:1:3::1"), "admin", RIGHT)
        assert r.status_code == 200


async def test_forwarded_addresses_count_only_from_trusted_proxies(
    make_app: Callable[..., Litestar],
) -> None:
    # Nobody trusted (the default, and always under `tanggap dev`): a client naming a new
    # address in each request is still counted against its own.
    async with started(make_app(login_max_failures_per_ip=3)) as client_from:
        peer = client_from("127.0.0.1")
        for i in range(3):
            spoofed = {"X-Real-IP": f"10.9.0.{i}", "X-Forwarded-For": f"10.8.0.{i}"}
            r = await _login(peer, f"tebak{i}", "x", spoofed)
            assert r.status_code == 401
        r = await _login(peer, "admin", RIGHT, {"X-Real-IP": "10.9.9.9"})
        assert r.status_code == 429
    # Behind a trusted proxy each phone is counted on its own, whatever the phone wrote itself.
    app = make_app(login_max_failures_per_ip=3, trusted_proxies=("127.0.0.0/8",))
    async with started(app) as client_from:
        proxy = client_from("127.0.0.1")
        for i in range(3):
            r = await _login(proxy, f"tebak{i}", "x", {"X-Forwarded-For": "1.2.3.4, 203.0.113.50"})
            assert r.status_code == 401
        r = await _login(proxy, "admin", RIGHT, {"X-Forwarded-For": "203.0.113.50"})
        assert r.status_code == 429
        r = await _login(proxy, "admin", RIGHT, {"X-Forwarded-For": "203.0.113.50, 203.0.113.51"})
        assert r.status_code == 200
        r = await _login(proxy, "operator", RIGHT, {"X-Real-IP": "203.0.113.52"})
        assert r.status_code == 200


async def test_citizen_reports_from_one_ipv6_slash_64_share_one_limit(
    make_app: Callable[..., Litestar],
) -> None:
    body = {
        "category": "POHON_TUMBANG",
        "description": "Pohon tumbang menutup jalan",
        "lat": -3.9665,
        "lon": 122.5085,
        "location_source": "gps",
        "accuracy_m": 12,
    }
    async with started(make_app(public_reports_per_ip=2)) as client_from:
        for i in range(2):
            r = await client_from(f"2001:db8:aa:1::{i + 1}").post("/api/public/reports", json=body)
            assert r.status_code == 201, r.text
        r = await client_from("2001:db8:aa:1::99").post("/api/public/reports", json=body)
        assert r.status_code == 429 and r.json()["code"] == "report_rate_limited"
        r = await client_from("2001:db8:aa:2::1").post("/api/public/reports", json=body)
        assert r.status_code == 201, r.text
