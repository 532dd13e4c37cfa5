"""Which Web Push endpoints and keys the API accepts: pure rules, no I/O.

A push endpoint is a URL the worker will POST to on a citizen's say-so, so it must be a push
service and nothing else: by default only the public push services (checked by host), plus
hosts an admin adds (``TANGGAP_PUSH_ALLOWED_HOSTS``). Every address a name resolves to must be
public (:func:`address_refused`), at subscribe and again at send; the sender connects only to
the addresses it checked and follows no redirect (:mod:`api.adapters.webpush`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

# The push services of the browsers people use: Chrome and Android (FCM), Firefox (Mozilla),
# Safari (Apple), Edge and Windows (WNS). A host matches itself and its subdomains.
PUBLIC_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EndpointRefused(ValueError):
    """Not a push service endpoint we may send to; ``reason`` says which rule refused it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    """Where an accepted endpoint points: its host and port, and whether the host is an address
    written in the allow list (trusted as written, not resolved)."""

    host: str
    port: int
    trusted_address: bool


def parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_refused(ip: IPAddress) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified or otherwise not public
    (this covers RFC 1918, 169.254.0.0/16, ::1, fc00::/7, fe80::/10, 100.64.0.0/10...)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_refused(ip.ipv4_mapped)
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
    )


@functools.lru_cache(maxsize=8)
def _allow_list(extra_hosts: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[IPAddress]]:
    """The allow list split into names and addresses, parsed once per list (the worker checks
    every message's endpoint against the same list)."""
    names: list[str] = []
    addresses: set[IPAddress] = set()
    for entry in (*PUBLIC_PUSH_HOSTS, *extra_hosts):
        entry = entry.lower().rstrip(".")
        ip = parse_ip(entry)
        if ip is None:
            names.append(entry)
        else:
            addresses.add(ip)
    return tuple(names), frozenset(addresses)


def host_allowed(host: str, extra_hosts: tuple[str, ...] = ()) -> bool:
    """A public push service, or a host in the allow list: names match themselves and their
    subdomains, addresses match exactly."""
    host = host.lower().rstrip(".")
    names, addresses = _allow_list(extra_hosts)
    ip = parse_ip(host)
    if ip is not None:
        return ip in addresses
    return any(host == entry or host.endswith("." + entry) for entry in names)


def check_endpoint(
    url: str, *, allow_http: bool = False, extra_hosts: tuple[str, ...] = ()
) -> Target:
    """The endpoint's :class:`Target`, or :class:`EndpointRefused`.

    Only ``https://`` (``http://`` when allowed, for a local test push service), no user info,
    a host of a push service or the allow list. An address as host is refused unless it is
    written in the allow list; a name is checked again once resolved (:func:`address_refused`).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused("malformed") from None
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_http):
        raise EndpointRefused("scheme")
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.username is not None or parts.password is not None:
        raise EndpointRefused("malformed")
    if not host_allowed(host, extra_hosts):
        raise EndpointRefused("host")
    ip = parse_ip(host)
    trusted = ip is not None and ip in _allow_list(extra_hosts)[1]
    if ip is not None and not trusted and address_refused(ip):
        raise EndpointRefused("address")
    return Target(host, port or (443 if parts.scheme == "https" else 80), trusted)


def check_addresses(addresses: list[str]) -> list[str]:
    """The resolved addresses of a name, when every one is public; else :class:`EndpointRefused`
    (one private answer refuses them all: a name that can point inward is not a push service)."""
    if not addresses:
        raise EndpointRefused("unresolved")
    for a in addresses:
        ip = parse_ip(a.split("%", 1)[0])
        if ip is None or address_refused(ip):
            raise EndpointRefused("address")
    return addresses


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_keys(p256dh: str, auth: str) -> None:
    """``p256dh`` must be an uncompressed point on P-256 and ``auth`` 16 bytes; else
    :class:`EndpointRefused` (``keys``). A bad key would fail every send."""
    try:
        key, secret = _b64url(p256dh), _b64url(auth)
        if len(key) != 65 or key[0] != 4 or len(secret) != 16:
            raise ValueError("length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key)
    except (binascii.Error, ValueError):
        raise EndpointRefused("keys") from None
