"""Passwords (argon2id), access tokens (JWT, HS256) and opaque refresh tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("tanggap-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_access_token(
    secret: str,
    *,
    user_id: int,
    session_id: uuid.UUID,
    role: str,
    agency_id: int | None,
    now: datetime,
    ttl: timedelta,
) -> str:
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "agency": agency_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


@functools.lru_cache(maxsize=4096)
def _signed_claims(secret: str, token: str) -> tuple[tuple[str, Any], ...] | None:
    """The claims of a token whose HS256 signature is good (time not judged), or ``None``.

    Cached by the exact token text: a client sends the same token for minutes, and its
    signature never changes its verdict (a changed byte is another key). Expiry and
    revocation are judged on every request, by :func:`decode_access_token` and the session
    check."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            # Time claims are checked below against the app's clock, not the wall clock.
            options={
                "require": ["exp", "iat", "sub"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        return None
    return tuple(claims.items())


def decode_access_token(secret: str, token: str, now: datetime) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token, or ``None``. Time is judged by the app's clock."""
    signed = _signed_claims(secret, token)
    if signed is None:
        return None
    claims = dict(signed)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int) or exp <= now.timestamp():
        return None
    if iat > now.timestamp() + 60:  # issued in the future: forged or confused
        return None
    return claims
