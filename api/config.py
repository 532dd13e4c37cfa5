"""Settings, read from ``TANGGAP_*`` environment variables, each with an embedded default.

Unset database and storage settings mean the embedded mode: a project-local PostGIS cluster and a
photo folder, both inside the data folder. ``tanggap serve`` refuses those defaults unless told
(``TANGGAP_ALLOW_EMBEDDED=1``), so production never runs on them by accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"TANGGAP_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw.strip() else default


def _env_bool(name: str, default: bool = False) -> bool:
    raw = _env(name).strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


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
    # Empty means VAPID keys generated once into ``data_dir/vapid.json``.
    vapid_private_key: str = field(default="", repr=False)
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:admin@tanggap112.local"
    # Empty means a random secret generated once into ``data_dir/jwt.secret``.
    jwt_secret: str = field(default="", repr=False)
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    city_code: str = "KDI"
    city_name: str = "Kendari"
    city_timezone: str = "Asia/Makassar"
    # Service area: the city's bounding box (lon/lat, WGS84) with a margin.
    city_bbox: tuple[float, float, float, float] = (122.40, -4.13, 122.70, -3.90)
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
            vapid_private_key=_env("VAPID_PRIVATE_KEY"),
            vapid_public_key=_env("VAPID_PUBLIC_KEY"),
            vapid_subject=_env("VAPID_SUBJECT", d.vapid_subject),
            jwt_secret=_env("JWT_SECRET"),
            access_token_minutes=_env_int("ACCESS_TOKEN_MINUTES", d.access_token_minutes),
            refresh_token_days=_env_int("REFRESH_TOKEN_DAYS", d.refresh_token_days),
            login_max_failures_per_account=_env_int(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT", d.login_max_failures_per_account
            ),
            login_max_failures_per_ip=_env_int(
                "LOGIN_MAX_FAILURES_PER_IP", d.login_max_failures_per_ip
            ),
            login_window_minutes=_env_int("LOGIN_WINDOW_MINUTES", d.login_window_minutes),
            city_code=_env("CITY_CODE", d.city_code),
            city_name=_env("CITY_NAME", d.city_name),
            city_timezone=_env("CITY_TIMEZONE", d.city_timezone),
            city_bbox=bbox,
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
        if not self.jwt_secret:
            out.append("TANGGAP_JWT_SECRET")
        return out

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


SETTING_NAMES = [f.name for f in fields(Settings)]
