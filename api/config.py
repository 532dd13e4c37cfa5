"""Settings, read from ``TANGGAP_*`` environment variables, each with an embedded default.

Unset database and storage settings mean the embedded mode: a project-local PostGIS cluster and a
photo folder, both inside the data folder. ``tanggap serve`` refuses those defaults unless told
(``TANGGAP_ALLOW_EMBEDDED=1``), so production never runs on them by accident.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


def _integer(raw: str) -> int | None:
    return int(raw) if raw.strip() else None


def _flag(raw: str) -> bool | None:
    raw = raw.strip().lower()
    return raw in {"1", "true", "yes", "on"} if raw else None


def _names(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _hosts(raw: str) -> tuple[str, ...]:
    return tuple(h.lower() for h in _names(raw))


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    parts = tuple(float(p) for p in raw.split(","))
    if len(parts) != 4:
        raise ValueError("TANGGAP_CITY_BBOX must be minlon,minlat,maxlon,maxlat")
    minlon, minlat, maxlon, maxlat = parts
    return (minlon, minlat, maxlon, maxlat)


def _networks(raw: str) -> tuple[str, ...]:
    """Addresses or CIDRs, checked now so a typo stops the start rather than trusting nobody."""
    values = _names(raw)
    for v in values:
        try:
            ipaddress.ip_network(v, strict=False)
        except ValueError:
            raise ValueError(f"TANGGAP_TRUSTED_PROXIES: {v!r} is not an address or CIDR") from None
    return values


def _choice(name: str, *allowed: str) -> Callable[[str], str | None]:
    """A parser for a setting that takes one of a few words; a typo stops the start."""

    def parse(raw: str) -> str | None:
        value = raw.strip().lower()
        if value and value not in allowed:
            raise ValueError(f"TANGGAP_{name.upper()} must be one of {', '.join(allowed)}")
        return value or None

    return parse


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with :meth:`from_env`; tests use ``dataclasses.replace``."""

    data_dir: Path = Path(".data")
    # Empty means the embedded PostGIS cluster in ``data_dir/postgres``.
    database_url: str = ""
    # The database URL is a transaction-mode pooler (PgBouncer): the engine then keeps no
    # session state and no named prepared statements between transactions (docs/operations.md).
    database_pooled: bool = False
    # A direct, session-level connection for LISTEN (live events, the job queue's wake-ups),
    # which cannot work through a transaction pooler. Empty means the database URL.
    database_listen_url: str = field(default="", repr=False)
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # Each API process's asyncpg pool for requests answered by one statement (position pings,
    # team suggestions, a plain intake), beside the engine's pool; unused behind a pooler.
    db_direct_pool_size: int = 5
    # A read replica (hot standby) for reads that tolerate a few seconds of lag: the map layer,
    # statistics, exports, Open311 and public reads. Empty means every read on the primary.
    database_replica_url: str = field(default="", repr=False)
    # A replica further behind than this is not read from (the primary answers instead), and
    # readiness says degraded (docs/operations.md, "Reads off the primary").
    replica_max_lag_seconds: int = 5
    # Empty means photos on disk in ``data_dir/photos``; otherwise an S3/MinIO endpoint.
    s3_endpoint: str = ""
    s3_access_key: str = field(default="", repr=False)
    s3_secret_key: str = field(default="", repr=False)
    s3_bucket: str = "tanggap-photos"
    s3_region: str = "us-east-1"
    s3_secure: bool = True
    # Host presigned photo URLs are signed for (what browsers reach); empty means s3_endpoint.
    s3_public_endpoint: str = ""
    # Request bodies: the default limit (a larger Content-Length gets 413 before it is read).
    # Photo upload routes are bounded by the photo limits below instead.
    request_max_body_bytes: int = 64 * 1024
    # Photo uploads processed at once by one API process; beyond that 503 with Retry-After.
    upload_concurrency: int = 4
    # Photo uploads: per file, per request, and the most pixels a photo may decode to.
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_files: int = 8
    photo_max_pixels: int = 40_000_000
    # Lifetime of a presigned photo URL (S3), in seconds.
    presign_seconds: int = 300
    # `tanggap photos sweep`: objects with no photo row older than this are deleted.
    photo_orphan_minutes: int = 60
    # Empty means VAPID keys generated once into ``data_dir/vapid.json``.
    vapid_private_key: str = field(default="", repr=False)
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:admin@tanggap112.local"
    # Web Push delivery (``tanggap worker``). Real push services are HTTPS; plain http:// endpoints
    # are refused unless allowed (local test push services only).
    push_allow_http: bool = False
    # Push endpoints beyond the public push services (FCM, Mozilla, Apple, Windows): host names
    # (their subdomains too), or addresses trusted as written (a local test push service).
    push_allowed_hosts: tuple[str, ...] = ()
    # Devices per tracking token and per user, and push subscriptions per address per hour.
    push_max_subscriptions: int = 5
    push_subscribes_per_ip: int = 30
    # Area warnings: on-duty teams this close to a warning's area hear of it too; its CAP
    # sender (no spaces or commas) and the name people read.
    warning_team_near_m: int = 1000
    cap_sender: str = "tanggap112.kendarikota.go.id"
    cap_sender_name: str = "BPBD Kota Kendari / Tanggap 112"
    # Incoming CAP (BMKG's nowcasts, for one): an http(s) URL or a file:// path of an Atom/RSS
    # index of CAP alerts or of one alert; empty = not polled. How often the worker polls it.
    cap_feed_url: str = ""
    cap_feed_poll_seconds: int = 120
    worker_concurrency: int = 32
    # A job whose worker stopped sending heartbeats (killed) is picked up again after this long.
    worker_heartbeat_seconds: int = 30
    sla_check_seconds: int = 15
    # Readiness is "degraded" (still HTTP 200) when no worker heartbeat is this fresh, or the
    # oldest due job has waited longer than queue_max_age_seconds (docs/operations.md).
    worker_stall_seconds: int = 30
    queue_max_age_seconds: int = 120
    # `/metrics`: with a token, `Authorization: Bearer <token>` from anywhere; without one,
    # loopback clients only.
    metrics_token: str = field(default="", repr=False)
    # The root secret every purpose key is derived from (api/adapters/keys.py). Empty means a
    # random secret generated once into ``data_dir/jwt.secret`` (its historical name).
    root_secret: str = field(default="", repr=False)
    # Legacy: the root secret's older name (``TANGGAP_JWT_SECRET``), used when ``root_secret`` is
    # empty. It never was only a JWT key: every purpose key derives from it.
    jwt_secret: str = field(default="", repr=False)
    # Bump one to rotate that purpose's derived key alone.
    jwt_key_version: int = 1
    pin_key_version: int = 1
    photo_url_key_version: int = 1
    access_token_minutes: int = 15
    # How long an API process may remember that a session is live instead of reading it again
    # (forgotten at once when the session or its user changes; 0 reads it on every request).
    session_cache_seconds: int = 60
    refresh_token_days: int = 30
    # Sign-in: wrong passwords per account from one address, and per address (IPv6 by /64),
    # within the window; each further lock-out doubles the wait (docs/security.md).
    login_max_failures_per_account_address: int = 5
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    # Wrong passwords for one account from everywhere within the window that alert the admins
    # (the account is not locked: that would let anyone lock anyone out).
    login_account_alert_failures: int = 50
    # Reverse proxies whose X-Forwarded-For / X-Real-IP name the client (addresses or CIDRs).
    trusted_proxies: tuple[str, ...] = ()
    city_code: str = "KDI"
    city_name: str = "Kendari"
    city_timezone: str = "Asia/Makassar"
    # The response-times dashboard estimates its medians and 90th percentiles from a sample of
    # one case in 32 for a period of more cases than this (shown as estimates; the counts and the
    # monthly report stay exact). A month of a city of ten million is about 400,000 cases.
    stats_estimate_above: int = 128_000
    # Service area: the city's bounding box (lon/lat, WGS84) with a margin.
    city_bbox: tuple[float, float, float, float] = (122.40, -4.13, 122.70, -3.90)
    # Dispatch: a team's last position counts as fresh for this long.
    position_fresh_minutes: int = 15
    position_retention_days: int = 30
    position_max_accuracy_m: int = 500
    # Prank flag: this many prank calls within the window flag the number for flag_hours.
    prank_threshold: int = 3
    prank_window_hours: int = 24
    prank_flag_hours: int = 24
    # PBX webhook: HMAC-SHA256 secret (empty means generated once into the data folder).
    pbx_webhook_secret: str = field(default="", repr=False)
    pbx_replay_window_s: int = 300
    # Outbound SMS to callers (their case's tracking code; docs/operations.md, "SMS gateway").
    # Empty gateway URL: no SMS at all (the option is hidden, nothing is queued). The message
    # links to ``public_url`` + ``/lacak/<code>``, so SMS also needs the public address.
    sms_gateway_url: str = ""
    sms_gateway_token: str = field(default="", repr=False)
    # How the gateway checks it is us: "bearer" (Authorization: Bearer <token>) or "hmac"
    # (X-Tanggap-Timestamp and X-Tanggap-Signature, as the PBX webhook signs, keyed by the token).
    sms_gateway_auth: str = "bearer"
    # City setting: a case created from a call with a number sends its code at once, unasked.
    sms_tracking_auto: bool = False
    sms_timeout_ms: int = 10_000
    sms_max_attempts: int = 6
    sms_retry_seconds: int = 30
    # Where citizens reach this service (the PWA), e.g. https://112.kendarikota.go.id.
    public_url: str = ""
    # Advanced Mobile Location (docs/operations.md): how senders prove who they are, "hmac"
    # (the PBX's signature scheme with its own secret, generated once when empty) or "proxy"
    # (the reverse proxy verified a client certificate and names its subject in aml_proxy_header).
    aml_auth: str = "hmac"
    aml_webhook_secret: str = field(default="", repr=False)
    aml_proxy_header: str = "X-Client-Cert-Subject"
    # The handset's IMSI and IMEI: "drop" them, or keep a keyed "hash".
    aml_identifiers: str = "drop"
    # A fix matches a call of its number that started at most this long before or after it.
    aml_match_window_s: int = 300
    # WhatsApp Business (Cloud API) conversations (docs/conversations.md). The app secret signs
    # the webhook (generated once into the data folder when empty); the verify token answers
    # Meta's subscription challenge; an empty phone number id means no WhatsApp replies.
    whatsapp_app_secret: str = field(default="", repr=False)
    whatsapp_verify_token: str = field(default="", repr=False)
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_token: str = field(default="", repr=False)
    whatsapp_phone_number_id: str = ""
    whatsapp_timeout_ms: int = 10_000
    # The SMS gateway's inbound webhook (messages from citizens), signed like the PBX's.
    sms_inbound_secret: str = field(default="", repr=False)
    # Citizens without an account (public reports, follows) and Open311 clients: rate limits.
    public_reports_per_ip: int = 10
    public_reports_per_phone: int = 5
    public_report_window_minutes: int = 60
    # Wrong PINs (phone + PIN lookups) per requesting address within the report window.
    public_pin_failures_per_ip: int = 5
    # The original reporter may dispute a resolution this many days after it.
    dispute_days: int = 7
    open311_requests_per_key: int = 500
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    allow_embedded: bool = False
    log_level: str = "INFO"
    pwa_dist: Path = Path("pwa/dist")
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    @classmethod
    def from_env(cls) -> Settings:
        """Each setting from ``TANGGAP_<NAME>`` (its field name in capitals), parsed by its type
        or by its own parser in :data:`PARSERS`. Unset keeps the default; so does a blank number,
        flag or box."""
        types = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"TANGGAP_{f.name.upper()}")
            if raw is None:
                continue
            parse = PARSERS.get(f.name) or PARSERS_BY_TYPE[types[f.name]]
            value = parse(raw)
            if value is not None:
                values[f.name] = value
        return cls(**values)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.city_timezone)

    @property
    def city_center(self) -> tuple[float, float]:
        """(lat, lon): the middle of the service area, where short Plus Codes are read."""
        min_lon, min_lat, max_lon, max_lat = self.city_bbox
        return ((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    def listen_url(self, database_url: str) -> str:
        """Where LISTEN connects: the direct URL if one is set, else ``database_url``; behind a
        transaction pooler a direct URL is required (a LISTEN there would hear nothing)."""
        if self.database_pooled and not self.database_listen_url:
            raise ValueError(
                "TANGGAP_DATABASE_POOLED needs TANGGAP_DATABASE_LISTEN_URL: live events and the "
                "job queue LISTEN, which does not work through a transaction pooler."
            )
        return self.database_listen_url or database_url

    @property
    def sms_enabled(self) -> bool:
        """Tracking codes can go out by SMS: a gateway and the public address are both set."""
        return bool(self.sms_gateway_url.strip() and self.public_url.strip())

    @property
    def uses_local_storage(self) -> bool:
        return not self.s3_endpoint

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def photo_origin(self) -> str | None:
        """Where browsers fetch presigned photo URLs from (S3/MinIO), as a CSP origin."""
        endpoint = self.s3_public_endpoint or self.s3_endpoint
        if not endpoint:
            return None
        if "://" in endpoint:
            parts = urlsplit(endpoint)
            return f"{parts.scheme}://{parts.netloc}"
        return f"{'https' if self.s3_secure else 'http'}://{endpoint.rstrip('/')}"

    @property
    def map_tile_origin(self) -> str | None:
        """The tile server as a CSP source: the service worker fetches tiles to keep them
        offline, so ``connect-src`` must allow it. ``{s}`` subdomains become ``*``; a ``data:``
        tile URL needs nothing."""
        parts = urlsplit(self.map_tile_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        host = parts.netloc.replace("{s}", "*")
        if "{" in host or "}" in host:
            return f"{parts.scheme}:"
        return f"{parts.scheme}://{host}"

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    def embedded_defaults_in_use(self) -> list[str]:
        """Names of the settings still on an embedded default (for ``tanggap serve``)."""
        out = []
        if self.uses_embedded_database:
            out.append("TANGGAP_DATABASE_URL")
        if self.uses_local_storage:
            out.append("TANGGAP_S3_ENDPOINT")
        if not self.vapid_private_key:
            out.append("TANGGAP_VAPID_PRIVATE_KEY")
        if not (self.root_secret or self.jwt_secret):
            out.append("TANGGAP_ROOT_SECRET")
        return out

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _sms_auth(raw: str) -> str | None:
    value = raw.strip().lower()
    if value and value not in ("bearer", "hmac"):
        raise ValueError("TANGGAP_SMS_GATEWAY_AUTH must be bearer or hmac")
    return value or None


# How a variable's text becomes a setting's value: by the setting's type, or by its own parser.
# ``None`` keeps the default.
PARSERS_BY_TYPE: dict[Any, Callable[[str], Any]] = {
    str: str,
    int: _integer,
    bool: _flag,
    Path: Path,
    tuple[str, ...]: _names,
}
PARSERS: dict[str, Callable[[str], Any]] = {
    "push_allowed_hosts": _hosts,
    "trusted_proxies": _networks,
    "city_bbox": _bbox,
    "log_level": str.upper,
    "sms_gateway_auth": _sms_auth,
    "aml_auth": _choice("aml_auth", "hmac", "proxy"),
    "aml_identifiers": _choice("aml_identifiers", "drop", "hash"),
}
