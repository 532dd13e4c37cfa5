"""One root secret, one derived key per purpose (HKDF): each rotates without the others."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from api.adapters import keys
from api.config import Settings
from api.middleware import loggable_path

ROOT = "root-" + "r" * 43


def _keys(s: Settings) -> tuple[str, str, str]:
    return keys.token_key(s), keys.pin_key(s), keys.photo_url_key(s)


def test_each_purpose_has_its_own_key_derived_from_the_root_secret() -> None:
    s = Settings(root_secret=ROOT)
    jwt, pin, photo = _keys(s)
    assert len({jwt, pin, photo, ROOT}) == 4
    assert all(len(k) == 43 for k in (jwt, pin, photo))  # 256 bits, base64url
    assert _keys(Settings(root_secret=ROOT)) == (jwt, pin, photo)  # deterministic
    assert _keys(Settings(root_secret=ROOT + "x")) != (jwt, pin, photo)


def test_bumping_one_key_version_rotates_that_key_alone() -> None:
    s = Settings(root_secret=ROOT)
    jwt, pin, photo = _keys(s)
    assert _keys(replace(s, jwt_key_version=2)) == (
        _keys(replace(s, jwt_key_version=2))[0],
        pin,
        photo,
    )
    assert keys.token_key(replace(s, jwt_key_version=2)) != jwt
    assert _keys(replace(s, pin_key_version=2))[::2] == (jwt, photo)
    assert keys.pin_key(replace(s, pin_key_version=2)) != pin
    assert _keys(replace(s, photo_url_key_version=3))[:2] == (jwt, pin)
    assert keys.photo_url_key(replace(s, photo_url_key_version=3)) != photo


def test_the_older_jwt_secret_setting_still_serves_as_the_root(tmp_path: Path) -> None:
    assert _keys(Settings(jwt_secret=ROOT)) == _keys(Settings(root_secret=ROOT))
    # Neither set: generated once into the data folder and reused.
    generated = Settings(data_dir=tmp_path)
    assert _keys(generated) == _keys(Settings(data_dir=tmp_path))
    assert (tmp_path / "jwt.secret").stat().st_mode & 0o777 == 0o600
    assert "TANGGAP_ROOT_SECRET" in generated.embedded_defaults_in_use()
    assert "TANGGAP_ROOT_SECRET" not in Settings(jwt_secret=ROOT).embedded_defaults_in_use()


def test_the_access_log_path_hides_an_open311_token() -> None:
    assert loggable_path("/open311/v2/tokens/abc-123.json") == "/open311/v2/tokens/[redacted]"
    assert loggable_path("/api/public/cases/KDI-2026-000001") == "/api/public/cases/KDI-2026-000001"
