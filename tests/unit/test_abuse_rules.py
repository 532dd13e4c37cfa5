"""Client addresses and sign-in lock-outs: pure rules from api/domain/abuse.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.domain.abuse import (
    FailureCount,
    address_group,
    client_address,
    hashed_address,
    lockout_wait,
    should_alert,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
PROXY = ("10.0.0.2/32",)


def test_forwarded_headers_are_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_address("127.0.0.1", "203.0.113.9", "203.0.113.9", ()) == "127.0.0.1"
    assert client_address("10.0.0.3", "203.0.113.9", "203.0.113.9", PROXY) == "10.0.0.3"


def test_the_client_is_the_rightmost_address_the_trusted_proxies_did_not_write() -> None:
    # The phone wrote "1.1.1.1" itself; the proxy appended the address it saw.
    assert client_address("10.0.0.2", "1.1.1.1, 203.0.113.9", None, PROXY) == "203.0.113.9"
    two = ("10.0.0.0/24",)
    assert client_address("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.5", None, two) == (
        "203.0.113.9"
    )
    assert client_address("10.0.0.2", None, " 198.51.100.4 ", PROXY) == "198.51.100.4"
    assert client_address("10.0.0.2", "not-an-ip", "nor-this", PROXY) == "10.0.0.2"


def test_ipv6_addresses_are_grouped_by_their_slash_64() -> None:
    assert address_group("2001:db8:1:2::1") == address_group("2001:db8:1:2:ffff::9")
    assert address_group("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    assert address_group("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_group("203.0.113.9") == "203.0.113.9"
    assert hashed_address("2001:db8:1:2::1") == hashed_address("2001:db8:1:2::2")
    assert "203.0.113.9" not in hashed_address("203.0.113.9")


def test_a_lock_out_lasts_a_window_and_each_further_one_twice_as_long() -> None:
    five = [NOW - timedelta(seconds=i) for i in range(5)]
    assert lockout_wait(FailureCount(4, five[:4]), 5, WINDOW, NOW) == 0
    assert lockout_wait(FailureCount(5, five), 5, WINDOW, NOW) == 15 * 60
    assert lockout_wait(FailureCount(10, five), 5, WINDOW, NOW) == 30 * 60
    assert lockout_wait(FailureCount(15, five), 5, WINDOW, NOW) == 60 * 60
    assert lockout_wait(FailureCount(10_000, five), 5, WINDOW, NOW) == 24 * 3600
    # Five failures spread over more than a window lock nothing.
    spread = [NOW - timedelta(minutes=4 * i) for i in range(5)]
    assert lockout_wait(FailureCount(5, spread), 5, WINDOW, NOW) == 0
    # The lock runs out.
    assert lockout_wait(FailureCount(5, five), 5, WINDOW, NOW + timedelta(minutes=16)) == 0


def test_an_admin_alert_comes_once_per_window_at_the_ceiling() -> None:
    assert not should_alert(49, 50, False)
    assert should_alert(50, 50, False)
    assert not should_alert(80, 50, True)
    assert not should_alert(80, 0, False)  # 0 switches alerts off
