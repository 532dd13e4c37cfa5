"""Sign in, refresh, sign out: short-lived JWT access tokens and rotating refresh tokens.

A refresh token is an opaque random string; only its SHA-256 is stored. Each refresh rotates it.
Presenting the token from before the last rotation means it was copied: the whole session is
revoked, unless it comes within a few seconds of the rotation (a retry whose answer was lost).
Failed sign-ins are counted per account and per client address for rate limiting.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import AuthSession, LoginFailure, User
from api.errors import RateLimited, Unauthorized
from api.security import (
    hash_password,
    make_access_token,
    needs_rehash,
    new_refresh_token,
    token_digest,
    verify_password,
)

# How long after a rotation the previous refresh token is still taken as a retry.
REFRESH_RETRY_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


async def _failures(db: AsyncSession, key: str, since: datetime) -> tuple[int, datetime | None]:
    row = (
        await db.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > since
            )
        )
    ).one()
    return int(row[0]), row[1]


async def _check_rate(
    db: AsyncSession, settings: Settings, keys: list[tuple[str, int]], now: datetime
) -> None:
    window = timedelta(minutes=settings.login_window_minutes)
    for key, limit in keys:
        count, oldest = await _failures(db, key, now - window)
        if count >= limit and oldest is not None:
            retry = max(1, int((oldest + window - now).total_seconds()) + 1)
            raise RateLimited(retry, code="login_rate_limited")


async def login(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    *,
    username: str,
    password: str,
    client_ip: str,
    user_agent: str,
    now: datetime,
) -> Tokens:
    username = username.strip().lower()
    keys = [
        (f"user:{username}", settings.login_max_failures_per_account),
        (f"ip:{client_ip}", settings.login_max_failures_per_ip),
    ]
    await _check_rate(db, settings, keys, now)
    user = (await db.execute(select(User).where(User.username == username))).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        # The failure must be counted even though the request fails: commit it on its own.
        db.add_all([LoginFailure(key=k, at=now) for k, _ in keys])
        await db.commit()
        raise Unauthorized("invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await db.execute(delete(LoginFailure).where(LoginFailure.key == keys[0][0]))
    return await _open_session(db, settings, secret, user, user_agent, now)


async def accounts_with_known_password(db: AsyncSession) -> list[str]:
    """Usernames of active accounts whose password is a published one (the demo password).

    Each distinct hash is verified once (the demo users share one), off the event loop.
    """
    from api.seed import KNOWN_PASSWORDS

    rows = (
        await db.execute(select(User.username, User.password_hash).where(User.active.is_(True)))
    ).all()
    by_hash: dict[str, list[str]] = {}
    for username, password_hash in rows:
        by_hash.setdefault(password_hash, []).append(username)

    def known(password_hash: str) -> bool:
        return any(verify_password(password_hash, p) for p in KNOWN_PASSWORDS)

    hits = await asyncio.gather(*(asyncio.to_thread(known, h) for h in by_hash))
    return sorted(u for h, hit in zip(by_hash, hits, strict=True) if hit for u in by_hash[h])


async def _open_session(
    db: AsyncSession, settings: Settings, secret: str, user: User, user_agent: str, now: datetime
) -> Tokens:
    refresh = new_refresh_token()
    session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        refresh_hash=token_digest(refresh),
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        user_agent=user_agent[:300],
    )
    db.add(session)
    await db.flush()
    return _tokens(settings, secret, user, session, refresh, now)


def _tokens(
    settings: Settings, secret: str, user: User, session: AuthSession, refresh: str, now: datetime
) -> Tokens:
    ttl = timedelta(minutes=settings.access_token_minutes)
    access = make_access_token(
        secret,
        user_id=user.id,
        session_id=session.id,
        role=user.role,
        agency_id=user.agency_id,
        now=now,
        ttl=ttl,
    )
    return Tokens(access, refresh, int(ttl.total_seconds()), user)


async def refresh(
    db: AsyncSession, settings: Settings, secret: str, *, refresh_token: str, now: datetime
) -> Tokens:
    digest = token_digest(refresh_token)
    session = (
        await db.execute(
            select(AuthSession).where(AuthSession.refresh_hash == digest).with_for_update()
        )
    ).scalar_one_or_none()
    if session is None:
        earlier = (
            await db.execute(
                select(AuthSession).where(AuthSession.previous_hash == digest).with_for_update()
            )
        ).scalar_one_or_none()
        if earlier is None or earlier.revoked_at is not None:
            raise Unauthorized("token_invalid")
        rotated = earlier.rotated_at
        if rotated is None or now - rotated > REFRESH_RETRY_GRACE:
            # The token from before the last rotation came back: it was copied.
            earlier.revoked_at = now
            await db.commit()
            raise Unauthorized("token_invalid")
        # A phone on a bad network retried a refresh whose answer it never got: answer again
        # (the unseen token is replaced), rather than treating the retry as theft.
        session = earlier
        if session.expires_at <= now:
            raise Unauthorized("token_invalid")
        user = await db.get(User, session.user_id)
        if user is None or not user.active:
            raise Unauthorized("token_invalid")
        retry = new_refresh_token()
        session.refresh_hash = token_digest(retry)
        return _tokens(settings, secret, user, session, retry, now)
    if session.revoked_at is not None or session.expires_at <= now:
        raise Unauthorized("token_invalid")
    user = await db.get(User, session.user_id)
    if user is None or not user.active:
        raise Unauthorized("token_invalid")
    new = new_refresh_token()
    session.previous_hash = session.refresh_hash
    session.refresh_hash = token_digest(new)
    session.rotated_at = now
    return _tokens(settings, secret, user, session, new, now)


async def logout(db: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
