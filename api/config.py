"""Settings, read from ``TANGGAP_*`` environment variables, each with an embedded default.

Unset database and storage settings mean the embedded mode: a project-local PostGIS cluster and a
photo folder, both inside the data folder. ``tanggap serve`` refuses those defaults unless told
(``TANGGAP_ALLOW_EMBEDDED=1``), so production never runs on them by accident.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"TANGGAP_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw.strip() else default


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _env(name).split(",") if p.strip())


def _env_bool(name: str, default: bool = False) -> bool:
    raw = _env(name).strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _networks(values: tuple[str, ...]) -> tuple[str, ...]:
    """Addresses or CIDRs, checked now so a typo stops the start rather than trusting nobody."""
    for v in values:
        try:
            ipaddress.ip_network(v, strict=False)
        except ValueError:
            raise ValueError(f"TANGGAP_TRUSTED_PROXIES: {v!r} is not an address or CIDR") from None
    return values


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with :meth:`from_env`; tests use ``dataclasses.replace``."""

    data_dir: Path = Path(".data")
    # Empty means the embedded PostGIS cluster in ``data_dir/postgres``.
    database_url: str = ""
    db_pool_size: int = 10
    db_max_overflow: int = 10
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
    # Older name of the root secret (``TANGGAP_JWT_SECRET``), used when ``root_secret`` is empty.
    jwt_secret: str = field(default="", repr=False)
    # Bump one to rotate that purpose's derived key alone.
    jwt_key_version: int = 1
    pin_key_version: int = 1
    photo_url_key_version: int = 1
    access_token_minutes: int = 15
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
        d = cls()
        bbox_raw = _env("CITY_BBOX")
        bbox = d.city_bbox
        if bbox_raw:
            parts = tuple(float(p) for p in bbox_raw.split(","))
            if len(parts) != 4:
                raise ValueError("TANGGAP_CITY_BBOX must be minlon,minlat,maxlon,maxlat")
            bbox = (parts[0], parts[1], parts[2], parts[3])
        return cls(
            data_dir=Path(_env("DATA_DIR", str(d.data_dir))),
            database_url=_env("DATABASE_URL"),
            db_pool_size=_env_int("DB_POOL_SIZE", d.db_pool_size),
            db_max_overflow=_env_int("DB_MAX_OVERFLOW", d.db_max_overflow),
            s3_endpoint=_env("S3_ENDPOINT"),
            s3_access_key=_env("S3_ACCESS_KEY"),
            s3_secret_key=_env("S3_SECRET_KEY"),
            s3_bucket=_env("S3_BUCKET", d.s3_bucket),
            s3_region=_env("S3_REGION", d.s3_region),
            s3_secure=_env_bool("S3_SECURE", d.s3_secure),
            s3_public_endpoint=_env("S3_PUBLIC_ENDPOINT"),
            request_max_body_bytes=_env_int("REQUEST_MAX_BODY_BYTES", d.request_max_body_bytes),
            upload_concurrency=_env_int("UPLOAD_CONCURRENCY", d.upload_concurrency),
            photo_max_bytes=_env_int("PHOTO_MAX_BYTES", d.photo_max_bytes),
            photo_max_files=_env_int("PHOTO_MAX_FILES", d.photo_max_files),
            photo_max_pixels=_env_int("PHOTO_MAX_PIXELS", d.photo_max_pixels),
            presign_seconds=_env_int("PRESIGN_SECONDS", d.presign_seconds),
            photo_orphan_minutes=_env_int("PHOTO_ORPHAN_MINUTES", d.photo_orphan_minutes),
            vapid_private_key=_env("VAPID_PRIVATE_KEY"),
            vapid_public_key=_env("VAPID_PUBLIC_KEY"),
            vapid_subject=_env("VAPID_SUBJECT", d.vapid_subject),
            push_allow_http=_env_bool("PUSH_ALLOW_HTTP", d.push_allow_http),
            push_allowed_hosts=tuple(h.lower() for h in _env_list("PUSH_ALLOWED_HOSTS")),
            push_max_subscriptions=_env_int("PUSH_MAX_SUBSCRIPTIONS", d.push_max_subscriptions),
            push_subscribes_per_ip=_env_int("PUSH_SUBSCRIBES_PER_IP", d.push_subscribes_per_ip),
            worker_concurrency=_env_int("WORKER_CONCURRENCY", d.worker_concurrency),
            worker_heartbeat_seconds=_env_int(
                "WORKER_HEARTBEAT_SECONDS", d.worker_heartbeat_seconds
            ),
            sla_check_seconds=_env_int("SLA_CHECK_SECONDS", d.sla_check_seconds),
            worker_stall_seconds=_env_int("WORKER_STALL_SECONDS", d.worker_stall_seconds),
            queue_max_age_seconds=_env_int("QUEUE_MAX_AGE_SECONDS", d.queue_max_age_seconds),
            metrics_token=_env("METRICS_TOKEN"),
            root_secret=_env("ROOT_SECRET"),
            jwt_secret=_env("JWT_SECRET"),
            jwt_key_version=_env_int("JWT_KEY_VERSION", d.jwt_key_version),
            pin_key_version=_env_int("PIN_KEY_VERSION", d.pin_key_version),
            photo_url_key_version=_env_int("PHOTO_URL_KEY_VERSION", d.photo_url_key_version),
            access_token_minutes=_env_int("ACCESS_TOKEN_MINUTES", d.access_token_minutes),
            refresh_token_days=_env_int("REFRESH_TOKEN_DAYS", d.refresh_token_days),
            login_max_failures_per_account_address=_env_int(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS", d.login_max_failures_per_account_address
            ),
            login_max_failures_per_ip=_env_int(
                "LOGIN_MAX_FAILURES_PER_IP", d.login_max_failures_per_ip
            ),
            login_window_minutes=_env_int("LOGIN_WINDOW_MINUTES", d.login_window_minutes),
            login_account_alert_failures=_env_int(
                "LOGIN_ACCOUNT_ALERT_FAILURES", d.login_account_alert_failures
            ),
            trusted_proxies=_networks(_env_list("TRUSTED_PROXIES")),
            city_code=_env("CITY_CODE", d.city_code),
            city_name=_env("CITY_NAME", d.city_name),
            city_timezone=_env("CITY_TIMEZONE", d.city_timezone),
            city_bbox=bbox,
            position_fresh_minutes=_env_int("POSITION_FRESH_MINUTES", d.position_fresh_minutes),
            position_retention_days=_env_int("POSITION_RETENTION_DAYS", d.position_retention_days),
            position_max_accuracy_m=_env_int("POSITION_MAX_ACCURACY_M", d.position_max_accuracy_m),
            prank_threshold=_env_int("PRANK_THRESHOLD", d.prank_threshold),
            prank_window_hours=_env_int("PRANK_WINDOW_HOURS", d.prank_window_hours),
            prank_flag_hours=_env_int("PRANK_FLAG_HOURS", d.prank_flag_hours),
            pbx_webhook_secret=_env("PBX_WEBHOOK_SECRET"),
            pbx_replay_window_s=_env_int("PBX_REPLAY_WINDOW_S", d.pbx_replay_window_s),
            public_reports_per_ip=_env_int("PUBLIC_REPORTS_PER_IP", d.public_reports_per_ip),
            public_reports_per_phone=_env_int(
                "PUBLIC_REPORTS_PER_PHONE", d.public_reports_per_phone
            ),
            public_report_window_minutes=_env_int(
                "PUBLIC_REPORT_WINDOW_MINUTES", d.public_report_window_minutes
            ),
            public_pin_failures_per_ip=_env_int(
                "PUBLIC_PIN_FAILURES_PER_IP", d.public_pin_failures_per_ip
            ),
            dispute_days=_env_int("DISPUTE_DAYS", d.dispute_days),
            open311_requests_per_key=_env_int(
                "OPEN311_REQUESTS_PER_KEY", d.open311_requests_per_key
            ),
            host=_env("HOST", d.host),
            port=_env_int("PORT", d.port),
            workers=_env_int("WORKERS", d.workers),
            allow_embedded=_env_bool("ALLOW_EMBEDDED"),
            log_level=_env("LOG_LEVEL", d.log_level).upper(),
            pwa_dist=Path(_env("PWA_DIST", str(d.pwa_dist))),
            map_tile_url=_env("MAP_TILE_URL", d.map_tile_url),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.city_timezone)

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

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


SETTING_NAMES = [f.name for f in fields(Settings)]
