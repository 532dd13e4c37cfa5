"""SQL for staff accounts: users, their sign-in sessions, failed sign-ins and security alerts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db import principals
from api.db.models import AuthSession, LoginFailure, SecurityAlert, User


async def users(
    db: AsyncSession,
    *,
    role: str | None = None,
    agency_id: int | None = None,
    text: str | None = None,
    active: bool | None = None,
) -> list[User]:
    """Users by username, of one role, one agency and one state when given, and whose username
    or full name contains ``text`` in any case."""
    q = select(User).order_by(User.username)
    if role:
        q = q.where(User.role == role)
    if agency_id is not None:
        q = q.where(User.agency_id == agency_id)
    if active is not None:
        q = q.where(User.active.is_(active))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(
            User.username.ilike(pattern, escape="\\") | User.full_name.ilike(pattern, escape="\\")
        )
    return list((await db.execute(q)).scalars())


async def users_by_ids(db: AsyncSession, ids: list[int]) -> list[User]:
    return list((await db.execute(select(User).where(User.id.in_(ids)))).scalars())


async def user_by_username(db: AsyncSession, username: str) -> User | None:
    q = select(User).where(User.username == username)
    return (await db.execute(q)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class PasswordRow:
    username: str
    password_hash: str


async def active_password_hashes(db: AsyncSession) -> list[PasswordRow]:
    q = select(User.username, User.password_hash).where(User.active.is_(True))
    return [PasswordRow(**row) for row in (await db.execute(q)).mappings()]


# ---------------------------------------------------------------- sessions
async def session_by_hash(db: AsyncSession, column: Any, digest: str) -> AuthSession | None:
    """The session whose refresh-token ``column`` (current or previous hash) is ``digest``,
    locked for the rotation."""
    q = select(AuthSession).where(column == digest).with_for_update()
    return (await db.execute(q)).scalar_one_or_none()


async def revoke_sessions(
    db: AsyncSession,
    now: datetime,
    *,
    user_id: int | None = None,
    session_id: uuid.UUID | None = None,
) -> None:
    """Revoke a user's live sessions, or one session (forgotten at once by this process's
    session memory; the others hear the trigger's NOTIFY at commit)."""
    where: list[ColumnElement[bool]] = [AuthSession.revoked_at.is_(None)]
    if user_id is not None:
        where.append(AuthSession.user_id == user_id)
    if session_id is not None:
        where.append(AuthSession.id == session_id)
    if user_id is not None:
        principals.forget_user(user_id)
    elif session_id is not None:
        principals.forget_session(session_id)
    else:
        principals.forget_every_session()
    await db.execute(update(AuthSession).where(*where).values(revoked_at=now))


# ---------------------------------------------------------- failed sign-ins
async def count_failures(db: AsyncSession, *where: Any) -> int:
    q = select(func.count()).select_from(LoginFailure).where(*where)
    return int((await db.execute(q)).scalar_one())


async def latest_failures(db: AsyncSession, *where: Any, limit: int) -> list[datetime]:
    q = select(LoginFailure.at).where(*where).order_by(LoginFailure.at.desc()).limit(limit)
    return list((await db.execute(q)).scalars())


async def forget_failures(db: AsyncSession, *where: Any) -> None:
    await db.execute(delete(LoginFailure).where(*where))


async def alerted_since(db: AsyncSession, user_id: int, since: datetime) -> bool:
    q = select(SecurityAlert.id).where(SecurityAlert.user_id == user_id, SecurityAlert.at > since)
    return (await db.execute(q.limit(1))).first() is not None


class AlertRow(msgspec.Struct):
    """A security alert with the account's username (None once the account is gone)."""

    id: int
    kind: str
    user_id: int | None
    username: str | None
    failures: int
    at: datetime


async def security_alerts(db: AsyncSession, limit: int) -> list[AlertRow]:
    """The newest security alerts with the account's username (None once it is gone)."""
    q = (
        select(
            SecurityAlert.id,
            SecurityAlert.kind,
            SecurityAlert.user_id,
            User.username,
            SecurityAlert.failures,
            SecurityAlert.at,
        )
        .outerjoin(User, User.id == SecurityAlert.user_id)
        .order_by(SecurityAlert.at.desc(), SecurityAlert.id.desc())
        .limit(limit)
    )
    return [AlertRow(**row) for row in (await db.execute(q)).mappings()]
