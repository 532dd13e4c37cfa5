"""The admin console's staff accounts: create, change, deactivate. A new password or a
deactivation signs the person out everywhere; an admin cannot lock themselves out."""

from __future__ import annotations

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
    apply_changes,
    ensure_agencies,
    ensure_unique,
    get_or_404,
    result,
)
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


def _check_agency_role(role: str, agency_id: int | None) -> None:
    if role in AGENCY_ROLES and agency_id is None:
        raise Unprocessable("agency_required")


async def list_users(db: AsyncSession, role: str | None, agency_id: int | None) -> list[UserOut]:
    return [result(UserOut, u) for u in await q.users(db, role=role, agency_id=agency_id)]


async def get_user(db: AsyncSession, user_id: int) -> UserOut:
    return result(UserOut, await get_or_404(db, User, user_id))


async def create_user(db: AsyncSession, fields: Fields) -> UserOut:
    """A new account; the password is stored as an argon2id hash."""
    _check_agency_role(fields["role"], fields.get("agency_id"))
    fields["phone"] = phone_or_400(fields.get("phone"))
    await ensure_agencies(db, [fields.get("agency_id")], "agency_id")
    await ensure_unique(db, User.username, fields["username"], "user")
    fields["password_hash"] = hash_password(fields.pop("password"))
    return result(UserOut, await add(db, User(**fields)))


async def update_user(
    db: AsyncSession, user_id: int, changes: Fields, *, by_user_id: int, now: datetime
) -> UserOut:
    """Change an account; a new password or a deactivation revokes its sessions."""
    user = await get_or_404(db, User, user_id)
    _check_agency_role(changes.get("role", user.role), changes.get("agency_id", user.agency_id))
    await ensure_agencies(db, [changes.get("agency_id")], "agency_id")
    if user.id == by_user_id and (
        changes.get("active") is False or changes.get("role", "admin") != "admin"
    ):
        raise Unprocessable("cannot_delete_self")
    if "phone" in changes:
        changes["phone"] = phone_or_400(changes["phone"])
    if "password" in changes:
        changes["password_hash"] = hash_password(changes.pop("password"))
    apply_changes(user, changes)
    if "password_hash" in changes or changes.get("active") is False:
        await q.revoke_sessions(db, now, user_id=user.id)
    await db.flush()
    return result(UserOut, user)


async def deactivate_user(
    db: AsyncSession, user_id: int, *, by_user_id: int, now: datetime
) -> None:
    """Deactivate an account (never one's own) and revoke its sessions."""
    user = await get_or_404(db, User, user_id)
    if user.id == by_user_id:
        raise Unprocessable("cannot_delete_self")
    user.active = False
    await q.revoke_sessions(db, now, user_id=user.id)
