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

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import teams as team_q
from api.db import users as q
from api.db.models import Agency, AuthSession, LoginFailure, SecurityAlert, User
from api.db.session import release_connection
from api.domain.abuse import (
    LOCK_HORIZON,
    FailureCount,
    hashed_address,
    lockout_wait,
    should_alert,
)
from api.domain.vocabulary import Role
from api.errors import RateLimited, Unauthorized
from api.i18n import t
from api.security import (
    hash_password,
    make_access_token,
    needs_rehash,
    new_refresh_token,
    token_digest,
    verify_password,
)
from api.services.results import result

log = logging.getLogger("tanggap.auth")

# How long after a rotation the previous refresh token is still taken as a retry.
REFRESH_RETRY_GRACE = timedelta(seconds=30)


class AgencyRef(msgspec.Struct):
    id: int
    code: str
    name: str


class Me(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: Role
    language: str
    agency: AgencyRef | None
    team_ids: list[int]


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    me: Me


async def me_of(db: AsyncSession, user: User, lang: str) -> Me:
    """The signed-in user as the PWA keeps it: agency name in their language, team ids."""
    agency = await db.get(Agency, user.agency_id) if user.agency_id else None
    return Me(
        user.id,
        user.username,
        user.full_name,
        user.role,
        user.language,
        AgencyRef(agency.id, agency.code, agency.name_en if lang == "en" else agency.name_id)
        if agency
        else None,
        await team_q.team_ids_of(db, user.id),
    )


async def me(db: AsyncSession, user_id: int, lang: str) -> Me:
    user = await db.get(User, user_id)
    assert user is not None  # the auth middleware just read it
    return await me_of(db, user, lang)


async def _count(db: AsyncSession, *where: Any, now: datetime, limit: int) -> FailureCount:
    since = LoginFailure.at > now - LOCK_HORIZON
    total = await q.count_failures(db, *where, since)
    return FailureCount(total, await q.latest_failures(db, *where, since, limit=max(1, limit)))


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
    """Count the failure and alert the admins when the account's failures from everywhere reach
    the ceiling. Committed on its own: the request fails, and the count must outlive it."""
    db.add_all(
        [
            LoginFailure(key=f"user:{username}", address=address, at=now),
            LoginFailure(key=f"ip:{address}", at=now),
        ]
    )
    await db.flush()
    window = timedelta(minutes=settings.login_window_minutes)
    if user_id is not None:
        failures = await q.count_failures(
            db, LoginFailure.key == f"user:{username}", LoginFailure.at > now - window
        )
        alerted = await q.alerted_since(db, user_id, now - window)
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
    await q.forget_failures(
        db,
        LoginFailure.key.in_([f"user:{username}", f"ip:{address}"]),
        LoginFailure.at < now - LOCK_HORIZON,
    )
    await release_connection(db)


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
    lang: str,
) -> Tokens:
    username = username.strip().lower()
    address = hashed_address(client_ip)
    await _check_rate(db, settings, username, address, now)
    user = await q.user_by_username(db, username)
    # Argon2 takes tens of milliseconds of CPU: off the event loop, and with no database
    # connection held while it runs (the transaction so far only read).
    await release_connection(db)
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        await _record_failure(db, settings, username, user.id if user else None, address, now)
        raise Unauthorized("invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    user.last_login_at = now
    await q.forget_failures(
        db, LoginFailure.key == f"user:{username}", LoginFailure.address == address
    )
    return await _open_session(db, settings, secret, user, user_agent, now, lang)


async def accounts_with_known_password(db: AsyncSession) -> list[str]:
    """Usernames of active accounts whose password is a published one (the demo password).

    Each distinct hash is verified once (the demo users share one), off the event loop.
    """
    from api.seed import KNOWN_PASSWORDS

    by_hash: dict[str, list[str]] = {}
    for row in await q.active_password_hashes(db):
        by_hash.setdefault(row.password_hash, []).append(row.username)

    def known(password_hash: str) -> bool:
        return any(verify_password(password_hash, p) for p in KNOWN_PASSWORDS)

    hits = await asyncio.gather(*(asyncio.to_thread(known, h) for h in by_hash))
    return sorted(u for h, hit in zip(by_hash, hits, strict=True) if hit for u in by_hash[h])


async def _open_session(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    user: User,
    user_agent: str,
    now: datetime,
    lang: str,
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
    return await _tokens(db, settings, secret, session, user, refresh, now, lang)


async def _tokens(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    session: AuthSession,
    user: User,
    refresh: str,
    now: datetime,
    lang: str,
) -> Tokens:
    """A fresh access token for the session, beside its refresh token and the user."""
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
    return Tokens(access, refresh, int(ttl.total_seconds()), await me_of(db, user, lang))


async def refresh(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    *,
    refresh_token: str,
    now: datetime,
    lang: str,
) -> Tokens:
    digest = token_digest(refresh_token)
    session = await q.session_by_hash(db, AuthSession.refresh_hash, digest)
    if session is None:
        earlier = await q.session_by_hash(db, AuthSession.previous_hash, digest)
        if earlier is None or earlier.revoked_at is not None:
            raise Unauthorized("token_invalid")
        rotated = earlier.rotated_at
        if rotated is None or now - rotated > REFRESH_RETRY_GRACE:
            # The token from before the last rotation came back: it was copied.
            earlier.revoked_at = now
            # The revocation must outlive the refused request.
            await release_connection(db)
            raise Unauthorized("token_invalid")
        # A phone on a bad network retried a refresh whose answer it never got: answer again
        # (the unseen token is replaced), rather than treating the retry as theft.
        session, retry = earlier, True
    else:
        retry = False
    if session.revoked_at is not None or session.expires_at <= now:
        raise Unauthorized("token_invalid")
    user = await db.get(User, session.user_id)
    if user is None or not user.active:
        raise Unauthorized("token_invalid")
    new = new_refresh_token()
    if not retry:
        session.previous_hash = session.refresh_hash
        session.rotated_at = now
    session.refresh_hash = token_digest(new)
    return await _tokens(db, settings, secret, session, user, new, now, lang)


async def logout(db: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await q.revoke_sessions(db, now, session_id=session_id)


class SecurityAlertOut(q.AlertRow):
    message: str


async def security_alerts(
    db: AsyncSession, settings: Settings, lang: str
) -> list[SecurityAlertOut]:
    """The newest 200 alerts, each explained in the reader's language."""
    return [
        result(
            SecurityAlertOut,
            a,
            message=t(
                f"security_alert_{a.kind}",
                lang,
                failures=a.failures,
                username=a.username or "?",
                minutes=settings.login_window_minutes,
            ),
        )
        for a in await q.security_alerts(db, limit=200)
    ]
