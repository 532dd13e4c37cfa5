"""Pure rules of the foundation: language negotiation, phone numbers, settings, tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.config import Settings
from api.domain.phone import InvalidPhone, normalise_phone
from api.i18n import CATALOG, negotiate, t
from api.security import (
    decode_access_token,
    hash_password,
    make_access_token,
    verify_password,
)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "id"),
        ("", "id"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr", "id"),
        ("en;q=0.2,id;q=0.8", "id"),
        ("en;q=bogus", "id"),
    ],
)
def test_language_is_negotiated_from_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_every_message_exists_in_both_languages() -> None:
    for code, entry in CATALOG.items():
        assert set(entry) == {"id", "en"}, code
        assert entry["id"] and entry["en"], code


def test_message_parameters_are_filled() -> None:
    assert "30" in t("rate_limited", "en", retry_after=30)
    assert t("no_such_code", "en") == "no_such_code"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(0401) 312 3456", "+624013123456"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "abc", "0812", "+62 000", "x" * 40])
def test_impossible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_passwords_are_argon2id_and_verify() -> None:
    h = hash_password("rahasia-sekali")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "rahasia-sekali")
    assert not verify_password(h, "salah")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_access_token_expires_by_the_given_clock() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tok = make_access_token(
        "s" * 40,
        user_id=1,
        session_id=uuid.uuid4(),
        role="admin",
        agency_id=None,
        now=now,
        ttl=timedelta(minutes=15),
    )
    assert decode_access_token("s" * 40, tok, now + timedelta(minutes=14))["sub"] == "1"
    assert decode_access_token("s" * 40, tok, now + timedelta(minutes=15)) is None
    assert decode_access_token("other" * 10, tok, now) is None
    assert decode_access_token("s" * 40, tok + "x", now) is None


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGGAP_DATA_DIR", "/tmp/somewhere")
    monkeypatch.setenv("TANGGAP_PORT", "9001")
    monkeypatch.setenv("TANGGAP_S3_SECURE", "false")
    monkeypatch.setenv("TANGGAP_CITY_BBOX", "1,2,3,4")
    s = Settings.from_env()
    assert str(s.data_dir) == "/tmp/somewhere"
    assert s.port == 9001
    assert s.s3_secure is False
    assert s.city_bbox == (1.0, 2.0, 3.0, 4.0)
    assert s.city_timezone == "Asia/Makassar"
    assert "TANGGAP_DATABASE_URL" in s.embedded_defaults_in_use()


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    s = Settings(
        jwt_secret="supersecret123", s3_secret_key="alsosecret", vapid_private_key="vapidsecret"
    )
    r = repr(s)
    assert "supersecret123" not in r and "alsosecret" not in r and "vapidsecret" not in r


def test_the_content_security_policy_allows_the_photo_storage_host() -> None:
    from api.middleware import content_security_policy

    assert Settings().photo_origin is None
    assert b"connect-src 'self';" in content_security_policy(Settings().photo_origin)
    s3 = Settings(s3_endpoint="minio:9000", s3_public_endpoint="photos.kendarikota.go.id")
    assert s3.photo_origin == "https://photos.kendarikota.go.id"
    insecure = Settings(s3_endpoint="127.0.0.1:9000", s3_secure=False)
    assert insecure.photo_origin == "http://127.0.0.1:9000"
    assert Settings(s3_endpoint="https://s3.example.org/").photo_origin == "https://s3.example.org"
    csp = content_security_policy(s3.photo_origin)
    assert b"connect-src 'self' https://photos.kendarikota.go.id;" in csp


def test_the_content_security_policy_lets_the_service_worker_fetch_map_tiles() -> None:
    from api.middleware import content_security_policy

    assert Settings().map_tile_origin == "https://tile.openstreetmap.org"
    sub = Settings(map_tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png")
    assert sub.map_tile_origin == "https://*.tiles.example.org"
    assert Settings(map_tile_url="data:image/png;base64,AAAA").map_tile_origin is None
    csp = content_security_policy(None, Settings().map_tile_origin)
    assert b"connect-src 'self' https://tile.openstreetmap.org;" in csp


def _secrets_of(data_dir: str) -> tuple[str, str, str]:
    from pathlib import Path

    from api.adapters import keys

    s = Settings(data_dir=Path(data_dir))
    return keys.token_key(s), keys.pbx_secret(s), keys.vapid_keys(s).public_key


def test_workers_starting_together_share_one_generated_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(_secrets_of, [str(tmp_path)] * 12))
    assert len(set(got)) == 1
    assert oct((tmp_path / "jwt.secret").stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(tmp_path)) == ["jwt.secret", "pbx.secret", "vapid.json"]
    assert _secrets_of(str(tmp_path)) == got[0]  # and a restart reads the same values
