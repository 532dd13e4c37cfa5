"""Secrets never in logs or URLs: a whole citizen journey against the API as production runs it,
with its log captured, leaves no tracking token, PIN, phone number or access token in any line.

(The shipped Caddy configuration is checked the same way, by a real Caddy, in
``test_compose.py::test_proxy_access_log_records_no_token_pin_phone_or_key``.)
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import asyncpg
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.adapters.events import libpq_dsn
from tests.support import images
from tests.support.processes import SERVE_PASSWORD, api_process

HERE = (-3.9665, 122.5085)
PHONE = "0812-7777-1234"
PHONE_FORMS = ("0812-7777-1234", "081277771234", "+6281277771234", "6281277771234")
FOLLOWER_PHONE = "0813-5555-6789"
FOLLOWER_FORMS = ("0813-5555-6789", "081355556789", "+6281355556789", "6281355556789")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _device() -> dict[str, object]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {
        "endpoint": "https://fcm.googleapis.com/fcm/send/tanggap-log-test",
        "keys": {
            "p256dh": _b64url(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
            "auth": _b64url(b"0123456789abcdef"),
        },
    }


async def _staff_who_resolve(dsn: str, reference: str) -> tuple[str, int, str]:
    """The case id, the first team of its agency and that team's field officer."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT c.id, t.id AS team_id, u.username FROM cases c "
            "JOIN teams t ON t.agency_id = c.agency_id "
            "JOIN team_members m ON m.team_id = t.id "
            "JOIN users u ON u.id = m.user_id AND u.role = 'field_officer' "
            "WHERE c.reference = $1 ORDER BY t.id, u.id LIMIT 1",
            reference,
        )
        assert row is not None
        return str(row["id"]), int(row["team_id"]), str(row["username"])
    finally:
        await conn.close()


async def test_a_whole_citizen_journey_leaves_no_token_pin_or_phone_in_the_api_log(
    database_url: str, tmp_path: Path
) -> None:
    secrets: dict[str, str] = {}
    with api_process(database_url, tmp_path / "data", log_level="INFO") as api:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=60) as http:
            # Report, with a phone number.
            r = await http.post(
                "/api/public/reports",
                json={
                    "category": "KECELAKAAN_LALU_LINTAS",
                    "description": "Tabrakan motor di perempatan",
                    "lat": HERE[0],
                    "lon": HERE[1],
                    "location_source": "gps",
                    "name": "Siti Pelapor",
                    "phone": PHONE,
                },
            )
            assert r.status_code == 201, r.text
            ref, token, pin = r.json()["reference"], r.json()["tracking_token"], r.json()["pin"]
            secrets |= {"token": token, "pin": pin}
            by_token = {"X-Tracking-Token": token}

            # Track: by token, by phone and PIN, a wrong PIN, a token in the URL (refused).
            assert (await http.get(f"/api/public/cases/{ref}", headers=by_token)).is_success
            by_pin = {"X-Reporter-Phone": PHONE, "X-Tracking-Pin": pin}
            assert (await http.get(f"/api/public/cases/{ref}", headers=by_pin)).is_success
            wrong = {"X-Reporter-Phone": PHONE, "X-Tracking-Pin": "000000"}
            assert (await http.get(f"/api/public/cases/{ref}", headers=wrong)).status_code == 404
            r = await http.get(f"/api/public/cases/{ref}", params={"token": token})
            assert r.status_code == 400
            r = await http.get(f"/api/public/cases/{ref}", params={"phone": PHONE, "pin": pin})
            assert r.status_code == 400

            # A photo.
            r = await http.post(
                f"/api/public/cases/{ref}/photos",
                headers=by_token,
                files={"files": ("p.jpg", images.photo_with_gps(), "image/jpeg")},
            )
            assert r.status_code == 201, r.text
            photo = r.json()["photos"][0]
            assert (await http.get(photo["thumb_url"])).status_code == 200

            # Someone else follows it, with their phone.
            r = await http.post(
                f"/api/public/cases/{ref}/follow", json={"name": "Budi", "phone": FOLLOWER_PHONE}
            )
            assert r.status_code == 201, r.text
            secrets |= {
                "follower token": r.json()["tracking_token"],
                "follower pin": r.json()["pin"],
            }

            # Push updates for the reporter's phone (whether the endpoint is accepted is
            # another test's business; the token travels in the body).
            r = await http.post(
                "/api/push/subscriptions", json={**_device(), "tracking_token": token}
            )
            assert r.status_code < 500, r.text

            # The Open311 token lookup has the secret in its path.
            await http.get(f"/open311/v2/tokens/{token}.json")

            # Staff resolve the case through the API (their bearer tokens are secrets too).
            case_id, team_id, officer = await _staff_who_resolve(libpq_dsn(database_url), ref)
            tokens = {}
            for user in ("dispatcher", officer):
                r = await http.post(
                    "/api/auth/login", json={"username": user, "password": SERVE_PASSWORD}
                )
                assert r.status_code == 200, r.text
                tokens[user] = r.json()["access_token"]
                secrets[f"{user} access token"] = tokens[user]
                secrets[f"{user} refresh token"] = r.json()["refresh_token"]
            r = await http.get(
                f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {tokens['dispatcher']}"}
            )
            version = r.json()["case"]["version"]
            r = await http.post(
                f"/api/cases/{case_id}/assign",
                headers={"Authorization": f"Bearer {tokens['dispatcher']}"},
                json={"team_id": team_id, "version": version},
            )
            assert r.status_code == 200, r.text
            version = r.json()["version"]
            for action in ("accept", "en_route", "on_scene", "resolve"):
                r = await http.post(
                    f"/api/cases/{case_id}/transitions",
                    headers={"Authorization": f"Bearer {tokens[officer]}"},
                    json={"action": action, "version": version, "note": "Sudah beres"},
                )
                assert r.status_code == 200, (action, r.text)
                version = r.json()["version"]

            # The reporter rates the service.
            r = await http.post(
                f"/api/public/cases/{ref}/rating", headers=by_token, json={"score": 5}
            )
            assert r.status_code == 201, r.text
        log = api.log.read_text(errors="replace")

    access = [json.loads(line) for line in log.splitlines() if '"msg": "request"' in line]
    assert len(access) >= 20, log[-2000:]  # the log was really captured, one line a request
    assert {"path": "/open311/v2/tokens/[redacted]"}.items() <= next(
        a for a in access if a["path"].startswith("/open311/v2/tokens/")
    ).items()
    for name, value in secrets.items():
        # Delimited, so a 6-digit PIN is not "found" inside a request id or a timestamp.
        assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", log), name
    for phone in PHONE_FORMS + FOLLOWER_FORMS:
        assert phone not in log, phone
