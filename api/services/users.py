"""The admin console's staff accounts: create, change, deactivate, reactivate, reset a password.
A new password or a deactivation signs the person out everywhere; an admin cannot lock
themselves out. A password made here is answered once and never logged or recorded; every
change is in the audit record (without passwords or hashes)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import users as q
from api.db.models import User
from api.domain.vocabulary import AGENCY_ROLES, Role
from api.errors import Unprocessable
from api.security import hash_password
from api.services.admin import (
    Fields,
    add,
    change_recorded,
    ensure_agencies,
    ensure_unique,
    get_or_404,
    result,
)
from api.services.audit import Actor, record
from api.services.calls import phone_or_400


class UserOut(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: Role
    agency_id: int | None
    phone: str | None
    language: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreated(msgspec.Struct):
    """The new account, and the password made for it when none was given (shown this once)."""

    user: UserOut
    password: str | None


class PasswordShownOnce(msgspec.Struct):
    """A new password, shown this once: only its argon2 hash is stored."""

    password: str


def new_password() -> str:
    """A random password of 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


async def _hashed(password: str) -> str:
    # Argon2 takes tens of milliseconds of CPU: off the event loop.
    return await asyncio.to_thread(hash_password, password)


def _check_agency_role(role: str, agency_id: int | None) -> None:
    if role in AGENCY_ROLES and agency_id is None:
        raise Unprocessable("agency_required")


async def list_users(
    db: AsyncSession,
    role: str | None,
    agency_id: int | None,
    *,
    text: str | None = None,
    active: bool | None = None,
) -> list[UserOut]:
    """Users by username: of one role, agency or state when given, and whose username or full
    name contains ``text`` (any case)."""
    found = await q.users(db, role=role, agency_id=agency_id, text=text, active=active)
    return [result(UserOut, u) for u in found]


async def get_user(db: AsyncSession, user_id: int) -> UserOut:
    return result(UserOut, await get_or_404(db, User, user_id))


async def create_user(db: AsyncSession, fields: Fields, by: Actor) -> UserCreated:
    """A new account; the password (made here when none is given) is stored as an argon2id
    hash, and a made one is answered once."""
    _check_agency_role(fields["role"], fields.get("agency_id"))
    fields["phone"] = phone_or_400(fields.get("phone"))
    await ensure_agencies(db, [fields.get("agency_id")], "agency_id")
    await ensure_unique(db, User.username, fields["username"], "user")
    given: str | None = fields.pop("password", None)
    password = given if given is not None else new_password()
    fields["password_hash"] = await _hashed(password)
    out = result(UserOut, await add(db, User(**fields)))
    await record(db, by, "create", "user", out.id, after=out)
    return UserCreated(out, None if given is not None else password)


async def update_user(db: AsyncSession, user_id: int, changes: Fields, by: Actor) -> UserOut:
    """Change an account; a new password or a deactivation revokes its sessions."""
    user = await get_or_404(db, User, user_id)
    _check_agency_role(changes.get("role", user.role), changes.get("agency_id", user.agency_id))
    await ensure_agencies(db, [changes.get("agency_id")], "agency_id")
    if user.id == by.user_id and (
        changes.get("active") is False or changes.get("role", "admin") != "admin"
    ):
        raise Unprocessable("cannot_delete_self")
    if "phone" in changes:
        changes["phone"] = phone_or_400(changes["phone"])
    if changes.get("password") is not None:
        changes["password_hash"] = await _hashed(changes.pop("password"))
    changes.pop("password", None)
    if "password_hash" in changes or changes.get("active") is False:
        await q.revoke_sessions(db, by.now, user_id=user.id)
    return await change_recorded(db, by, "update", "user", user, UserOut, changes)


async def deactivate_user(db: AsyncSession, user_id: int, by: Actor) -> None:
    """Deactivate an account (never one's own) and revoke its sessions."""
    user = await get_or_404(db, User, user_id)
    if user.id == by.user_id:
        raise Unprocessable("cannot_delete_self")
    await q.revoke_sessions(db, by.now, user_id=user.id)
    await change_recorded(db, by, "deactivate", "user", user, UserOut, {"active": False})


async def reactivate_user(db: AsyncSession, user_id: int, by: Actor) -> UserOut:
    """Let a deactivated account sign in again (its old sessions stay revoked)."""
    user = await get_or_404(db, User, user_id)
    return await change_recorded(db, by, "reactivate", "user", user, UserOut, {"active": True})


async def reset_password(db: AsyncSession, user_id: int, by: Actor) -> PasswordShownOnce:
    """A new random password for the account, answered once; every session of it is revoked.
    The audit records that it happened, never the password or its hash."""
    user = await get_or_404(db, User, user_id)
    password = new_password()
    await q.revoke_sessions(db, by.now, user_id=user.id)
    changes = {"password_hash": await _hashed(password)}
    await change_recorded(db, by, "reset_password", "user", user, UserOut, changes)
    return PasswordShownOnce(password)
