"""Which push endpoints and keys are accepted: pure rules from api/domain/push_endpoints.py."""

from __future__ import annotations

import ipaddress
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.domain.push_endpoints import (
    EndpointRefused,
    address_refused,
    check_addresses,
    check_endpoint,
    check_keys,
    host_allowed,
)
from tests.support.push_service import b64url


def test_the_public_push_services_and_their_subdomains_are_accepted() -> None:
    for url in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ):
        assert check_endpoint(url).port == 443
    assert not host_allowed("fcm.googleapis.com.evil.example")
    assert not host_allowed("evilfcm.googleapis.com")  # a suffix, not a subdomain


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.31.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1",  # noqa: S104 - refused, not bound "240.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1",
     "ff02::1", "::"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refused(ipaddress.ip_address(address))
    with pytest.raises(EndpointRefused):
        check_addresses(["142.250.4.95", address])


def test_public_addresses_pass() -> None:
    assert check_addresses(["142.250.4.95", "2a00:1450:4001:80b::200a"])
    with pytest.raises(EndpointRefused):
        check_addresses([])


def test_an_address_in_the_allow_list_is_trusted_as_written_and_only_it() -> None:
    target = check_endpoint(
        "http://127.0.0.1:8123/push/x", allow_http=True, extra_hosts=("127.0.0.1",)
    )
    assert target.trusted_address and target.port == 8123
    for url in ("https://127.0.0.2:8123/push/x", "https://[::1]:8123/push/x"):
        with pytest.raises(EndpointRefused):
            check_endpoint(url, extra_hosts=("127.0.0.1",))
    # A name in the list is not trusted as written: it is resolved and checked at each use.
    assert not check_endpoint(
        "https://push.example.org/x", extra_hosts=("example.org",)
    ).trusted_address


def test_only_https_unless_plain_http_is_allowed() -> None:
    with pytest.raises(EndpointRefused):
        check_endpoint("http://fcm.googleapis.com/fcm/send/x")
    with pytest.raises(EndpointRefused):
        check_endpoint("ftp://fcm.googleapis.com/x")


def test_keys_must_be_a_p256_point_and_a_16_byte_secret() -> None:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    check_keys(b64url(point), b64url(secrets.token_bytes(16)))
    for p256dh, auth in (
        (b64url(b"\x04" + b"\x01" * 64), b64url(secrets.token_bytes(16))),
        (b64url(point), b64url(secrets.token_bytes(12))),
        (b64url(point[:33]), b64url(secrets.token_bytes(16))),
        ("not base64 !!", b64url(secrets.token_bytes(16))),
    ):
        with pytest.raises(EndpointRefused):
            check_keys(p256dh, auth)
