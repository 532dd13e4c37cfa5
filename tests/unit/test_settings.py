"""Settings come from ``TANGGAP_<NAME>`` variables through one table of parsers (api/config.py)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from api.config import Settings

ROOT = Path(__file__).resolve().parents[2]

# A text for each kind of setting, and the value it must become.
SAMPLES: dict[Any, tuple[str, Any]] = {
    int: ("7", 7),
    str: ("some text", "some text"),
    Path: ("/srv/tanggap", Path("/srv/tanggap")),
    tuple[str, ...]: (" a.example ,b.example,", ("a.example", "b.example")),
}
OWN_SAMPLES: dict[str, tuple[str, Any]] = {
    "trusted_proxies": ("10.0.0.0/8, 127.0.0.1", ("10.0.0.0/8", "127.0.0.1")),
    "push_allowed_hosts": ("Push.Example", ("push.example",)),
    "city_bbox": ("1,2,3,4", (1.0, 2.0, 3.0, 4.0)),
    "log_level": ("debug", "DEBUG"),
    "sms_gateway_auth": (" HMAC ", "hmac"),
    "aml_auth": ("Proxy", "proxy"),
    "aml_identifiers": (" hash ", "hash"),
}


@pytest.fixture(autouse=True)
def no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("TANGGAP_")]:
        monkeypatch.delenv(name)


def _sample(name: str, kind: Any, default: Any) -> tuple[str, Any]:
    if name in OWN_SAMPLES:
        return OWN_SAMPLES[name]
    if kind is bool:  # the opposite of the default, so the test sees the variable was read
        return ("false", False) if default else ("yes", True)
    return SAMPLES[kind]


def test_every_setting_is_read_from_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    types = get_type_hints(Settings)
    expected = {}
    for f in dataclasses.fields(Settings):
        text, value = _sample(f.name, types[f.name], f.default)
        monkeypatch.setenv(f"TANGGAP_{f.name.upper()}", text)
        expected[f.name] = value
    assert dataclasses.asdict(Settings.from_env()) == expected


def test_blank_numbers_flags_and_boxes_keep_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "S3_SECURE", "CITY_BBOX", "PUSH_ALLOW_HTTP"):
        monkeypatch.setenv(f"TANGGAP_{name}", " " if name != "CITY_BBOX" else "")
    assert Settings.from_env() == Settings()


def test_a_typo_in_a_setting_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGGAP_TRUSTED_PROXIES", "10.0.0.0/8,not-an-address")
    with pytest.raises(ValueError, match="TANGGAP_TRUSTED_PROXIES"):
        Settings.from_env()
    monkeypatch.delenv("TANGGAP_TRUSTED_PROXIES")
    monkeypatch.setenv("TANGGAP_CITY_BBOX", "1,2,3")
    with pytest.raises(ValueError, match="TANGGAP_CITY_BBOX"):
        Settings.from_env()
    monkeypatch.delenv("TANGGAP_CITY_BBOX")
    monkeypatch.setenv("TANGGAP_PORT", "eighty")
    with pytest.raises(ValueError):
        Settings.from_env()


def test_an_aml_setting_outside_its_words_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGGAP_AML_IDENTIFIERS", "keep")
    with pytest.raises(ValueError, match="TANGGAP_AML_IDENTIFIERS"):
        Settings.from_env()


def test_listen_goes_to_the_direct_url_and_a_pooled_database_needs_one() -> None:
    assert Settings().listen_url("postgresql+asyncpg://db/x") == "postgresql+asyncpg://db/x"
    direct = Settings(database_pooled=True, database_listen_url="postgresql+asyncpg://pg/x")
    assert direct.listen_url("postgresql+asyncpg://bouncer/x") == "postgresql+asyncpg://pg/x"
    with pytest.raises(ValueError, match="TANGGAP_DATABASE_LISTEN_URL"):
        Settings(database_pooled=True).listen_url("postgresql+asyncpg://bouncer/x")


def test_every_setting_is_in_the_readme_settings_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"TANGGAP_{f.name.upper()}"
        for f in dataclasses.fields(Settings)
        if f"`TANGGAP_{f.name.upper()}`" not in readme
    ]
    assert missing == []


def test_an_unknown_sms_gateway_auth_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGGAP_SMS_GATEWAY_AUTH", "basic")
    with pytest.raises(ValueError, match="bearer or hmac"):
        Settings.from_env()
