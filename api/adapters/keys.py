"""Secrets that must survive restarts: the root secret, the PBX and AML secrets and the VAPID key
pair.

Taken from settings when set; otherwise generated once into the data folder (mode 0600) and
reused, so tokens and push subscriptions stay valid across ``make run`` restarts.

One root secret (``TANGGAP_ROOT_SECRET``) is the only symmetric secret to keep safe. Each purpose
gets its own key derived from it with HKDF-SHA256 (RFC 5869): access-token signing, tracking-PIN
derivation and public-photo URL signing. The purpose and its version are the HKDF ``info``, so
bumping one purpose's version (``TANGGAP_JWT_KEY_VERSION``, ``TANGGAP_PIN_KEY_VERSION``,
``TANGGAP_PHOTO_URL_KEY_VERSION``) rotates that key alone and leaves the others valid.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from api.config import Settings


def _load_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's content, created once with ``make()`` if missing (mode 0600).

    Several workers may start at once: the file is linked into place only if it does not exist
    yet, so every process ends up with the same value, the first one written.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(make())
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # fails if another process got there first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def root_secret(settings: Settings) -> str:
    """The one root secret: ``TANGGAP_ROOT_SECRET`` (or its legacy name ``TANGGAP_JWT_SECRET``),
    else generated once into the data folder (``jwt.secret``)."""
    if settings.root_secret or settings.jwt_secret:
        return settings.root_secret or settings.jwt_secret
    # The file keeps its historical name: existing data folders keep their secret.
    return _load_or_create(settings.data_dir / "jwt.secret", lambda: secrets.token_urlsafe(48))


def derive_key(root: str, purpose: str, version: int) -> str:
    """A 256-bit key for one purpose, from the root secret (HKDF-SHA256), base64url."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"tanggap112/{purpose}/v{version}".encode(),
    )
    return _b64url(hkdf.derive(root.encode()))


def token_key(settings: Settings) -> str:
    """Signs access tokens (HS256). Rotating it signs everybody out, nothing else."""
    return derive_key(root_secret(settings), "jwt", settings.jwt_key_version)


def pin_key(settings: Settings) -> str:
    """Derives each tracking token's PIN. Rotating it changes every PIN (tokens still work)."""
    return derive_key(root_secret(settings), "tracking-pin", settings.pin_key_version)


def photo_url_key(settings: Settings) -> str:
    """Signs the short-lived public photo URLs. Rotating it only breaks URLs already handed out."""
    return derive_key(root_secret(settings), "photo-url", settings.photo_url_key_version)


def _shared_secret(configured: str, path: Path) -> str:
    """A secret shared with an outside sender: the configured one, else generated once."""
    return configured or _load_or_create(path, lambda: secrets.token_urlsafe(32))


def pbx_secret(settings: Settings) -> str:
    """The PBX webhook's HMAC secret: configure the PBX with the same value."""
    return _shared_secret(settings.pbx_webhook_secret, settings.data_dir / "pbx.secret")


def aml_secret(settings: Settings) -> str:
    """The AML senders' HMAC secret (the HTTPS relay and the SMS gateway), apart from the PBX's."""
    return _shared_secret(settings.aml_webhook_secret, settings.data_dir / "aml.secret")


def whatsapp_secret(settings: Settings) -> str:
    """The WhatsApp app secret the Cloud API signs its webhook with (``X-Hub-Signature-256``)."""
    return _shared_secret(settings.whatsapp_app_secret, settings.data_dir / "whatsapp.secret")


def whatsapp_verify_token(settings: Settings) -> str:
    """The token Meta's webhook subscription echoes back in its GET challenge."""
    return _shared_secret(
        settings.whatsapp_verify_token, settings.data_dir / "whatsapp-verify.secret"
    )


def sms_inbound_secret(settings: Settings) -> str:
    """The SMS gateway's HMAC secret for messages from citizens."""
    return _shared_secret(settings.sms_inbound_secret, settings.data_dir / "sms-inbound.secret")


def aml_identifier_key(settings: Settings) -> str:
    """Hashes the IMSI and IMEI of AML fixes when they are kept (``TANGGAP_AML_IDENTIFIERS``)."""
    return derive_key(root_secret(settings), "aml-identifiers", 1)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class VapidKeys:
    """``private_key``: base64url of the raw 32-byte scalar (what pywebpush accepts);
    ``public_key``: base64url of the uncompressed point (the browser's applicationServerKey)."""

    private_key: str
    public_key: str


def generate_vapid() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    raw_private = key.private_numbers().private_value.to_bytes(32, "big")
    raw_public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKeys(_b64url(raw_private), _b64url(raw_public))


def vapid_keys(settings: Settings) -> VapidKeys:
    if settings.vapid_private_key and settings.vapid_public_key:
        return VapidKeys(settings.vapid_private_key, settings.vapid_public_key)

    def make() -> str:
        keys = generate_vapid()
        return json.dumps({"private_key": keys.private_key, "public_key": keys.public_key})

    data = json.loads(_load_or_create(settings.data_dir / "vapid.json", make))
    return VapidKeys(data["private_key"], data["public_key"])
