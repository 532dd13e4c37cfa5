"""Sign in, refresh, sign out: short-lived JWT access tokens and rotating refresh tokens.

A refresh token is an opaque random string; only its SHA-256 is stored. Each refresh rotates it.
Presenting the token from before the last rotation means it was copied: the whole session is
revoked, unless it comes within a few seconds of the rotation (a retry whose answer was lost).
Failed sign-ins are counted per account and address and per address (IPv6 by /64), with growing
lock-outs; failures against one account from everywhere alert the admins instead of locking it
(the rules are in :mod:`api.domain.abuse`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import AuthSession, LoginFailure, SecurityAlert, User
from api.domain.abuse import (
    LOCK_HORIZON,
    FailureCount,
    hashed_address,
    lockout_wait,
    should_alert,
)
from api.errors import RateLimited, Unauthorized
from api.security import (
    hash_password,
    make_access_token,
    needs_rehash,
    new_refresh_token,
    token_digest,
    verify_password,
)

log = logging.getLogger("tanggap.auth")

# How long after a rotation the previous refresh token is still taken as a retry.
REFRESH_RETRY_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


async def _count(db: AsyncSession, *where: Any, now: datetime, limit: int) -> FailureCount:
    since = LoginFailure.at > now - LOCK_HORIZON
    total = (
        await db.execute(select(func.count()).select_from(LoginFailure).where(*where, since))
    ).scalar_one()
    recent = (
        await db.execute(
            select(LoginFailure.at)
            .where(*where, since)
            .order_by(LoginFailure.at.desc())
            .limit(max(1, limit))
        )
    ).scalars()
    return FailureCount(int(total), list(recent))


async def _check_rate(
    db: AsyncSession, settings: Settings, username: str, address: str, now: datetime
) -> None:
    """429 while this account from this address, or this address, is locked out.

    Wrong passwords are limited per account *and address* and per address, never per account
    alone: a stranger's guesses must not lock a dispatcher out of their own account.
    """
    window = timedelta(minutes=settings.login_window_minutes)
    checks = [
        (
            (LoginFailure.key == f"user:{username}", LoginFailure.address == address),
            settings.login_max_failures_per_account_address,
        ),
        ((LoginFailure.key == f"ip:{address}",), settings.login_max_failures_per_ip),
    ]
    for where, limit in checks:
        count = await _count(db, *where, now=now, limit=limit)
        wait = lockout_wait(count, limit, window, now)
        if wait:
            raise RateLimited(wait, code="login_rate_limited")


async def _record_failure(
    db: AsyncSession,
    settings: Settings,
    username: str,
    user_id: int | None,
    address: str,
    now: datetime,
) -> None:
    """Count the failure (committed on its own: the request fails) and alert the admins when
    the account's failures from everywhere reach the ceiling."""
    db.add_all(
        [
            LoginFailure(key=f"user:{username}", address=address, at=now),
            LoginFailure(key=f"ip:{address}", at=now),
        ]
    )
    await db.flush()
    window = timedelta(minutes=settings.login_window_minutes)
    if user_id is not None:
        failures = (
            await db.execute(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.key == f"user:{username}", LoginFailure.at > now - window)
            )
        ).scalar_one()
        alerted = (
            await db.execute(
                select(func.count())
                .select_from(SecurityAlert)
                .where(SecurityAlert.user_id == user_id, SecurityAlert.at > now - window)
            )
        ).scalar_one() > 0
        if should_alert(failures, settings.login_account_alert_failures, alerted):
            db.add(SecurityAlert(kind="login_failures", user_id=user_id, failures=failures, at=now))
            # No name, no address: the admins read who it is in the alert list.
            log.warning(
                "security alert: %d failed sign-ins for account id %d within %d min",
                failures,
                user_id,
                settings.login_window_minutes,
            )
    # Keep the table small: this key's rows older than the lock-out horizon are spent.
    await db.execute(
        delete(LoginFailure).where(
            LoginFailure.key.in_([f"user:{username}", f"ip:{address}"]),
            LoginFailure.at < now - LOCK_HORIZON,
        )
    )
    await db.commit()


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
    address = hashed_address(client_ip)
    await _check_rate(db, settings, username, address, now)
    user = (await db.execute(select(User).where(User.username == username))).scalar_one_or_none()
    # Argon2 takes tens of milliseconds of CPU: off the event loop, and with no database
    # connection held while it runs (the transaction so far only read).
    await db.commit()
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        await _record_failure(db, settings, username, user.id if user else None, address, now)
        raise Unauthorized("invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    await db.execute(
        delete(LoginFailure).where(
            LoginFailure.key == f"user:{username}", LoginFailure.address == address
        )
    )
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
