"""Who a bearer token's session belongs to: the auth middleware's check, and a per-process memory
of its answers so that a busy phone or screen does not pay a database round trip per request.

Every authenticated request used to read its session and user (one round trip before the route's
own work): half of a position ping's round trips. :class:`SessionMemory` keeps a live session's
answer for up to ``TANGGAP_SESSION_CACHE_SECONDS`` and forgets it as soon as anything that answer
depends on changes:

- **In this process**, at once: revoking sessions (:func:`api.db.users.revoke_sessions`) and any
  ORM change of a ``User`` or an ``AuthSession`` forget that user or session before the change
  commits.
- **In every process**, at commit: triggers on ``users`` and ``auth_sessions`` (migration
  ``0022_auth_changes``) ``NOTIFY tanggap_auth`` with the user's id when a session is revoked,
  expires, moves or goes, or a user's ``active``, ``role``, ``agency_id``, ``username`` or
  ``language`` changes, whoever writes it (the admin console, the CLI, plain SQL). Each API
  process LISTENs on the live-events connection and forgets that user.
- A memory is used only while that LISTEN connection is up, and only the answers read since it
  last connected count (a notification sent while it was down is lost, so everything read before
  is dropped).
- A read that overlapped a forget is not remembered, so a check that began before a revocation
  cannot be stored after it.

So a revoked session or a deactivated user is refused by the next request in the process that
made the change, and in the others once the notification arrives (milliseconds). Nothing but a
live session's answer is remembered: a refusal is read again every time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.models import AuthSession, User

#: The channel the ``users`` and ``auth_sessions`` triggers notify; the payload is a user id.
AUTH_CHANNEL = "tanggap_auth"

# The session must be live and its user active; ``remaining_s`` bounds how long it may be kept.
_SESSION_SQL = text(
    """
    SELECT u.id, u.username, u.role, u.agency_id, u.language,
           extract(epoch FROM s.expires_at - now())::float8 AS remaining_s
    FROM auth_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = :sid AND s.user_id = :uid AND s.revoked_at IS NULL
      AND s.expires_at > now() AND u.active
    """
)

# Enough for every officer and screen of a province; beyond it the oldest answers go first.
_MAX_ENTRIES = 50_000


async def read_session(engine: AsyncEngine, sid: uuid.UUID, uid: int) -> Any | None:
    """The user of a live session (``id, username, role, agency_id, language, remaining_s``), or
    ``None``. Autocommit: one round trip, no BEGIN/ROLLBACK around a single read."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        return (await conn.execute(_SESSION_SQL, {"sid": sid, "uid": uid})).first()


@dataclass(slots=True)
class _Kept:
    uid: int
    value: Any
    until: float  # time.monotonic()
    epoch: int


class SessionMemory:
    """Live sessions' answers of one process (see the module's docstring for when they go)."""

    def __init__(self, seconds: float, listening: Callable[[], int | None]) -> None:
        """``listening()`` is the LISTEN connection's epoch (a new one each time it connects),
        or ``None`` while it is down."""
        self._seconds = seconds
        self._listening = listening
        self._kept: dict[uuid.UUID, _Kept] = {}
        self._by_user: dict[int, set[uuid.UUID]] = {}
        # Bumped by every forget: a read that began before one is not kept.
        self.changes = 0

    def recall(self, sid: uuid.UUID, uid: int) -> Any | None:
        kept = self._kept.get(sid)
        if kept is None:
            return None
        epoch = self._listening()
        if kept.uid != uid or kept.epoch != epoch or time.monotonic() >= kept.until:
            return None
        return kept.value

    def keep(self, sid: uuid.UUID, uid: int, value: Any, remaining_s: float, changes: int) -> None:
        """Remember a live session's answer read when :attr:`changes` was ``changes``."""
        epoch = self._listening()
        if self._seconds <= 0 or epoch is None or changes != self.changes:
            return
        if len(self._kept) >= _MAX_ENTRIES:
            self._drop(next(iter(self._kept)))
        self._drop(sid)
        until = time.monotonic() + min(self._seconds, remaining_s)
        self._kept[sid] = _Kept(uid, value, until, epoch)
        self._by_user.setdefault(uid, set()).add(sid)

    def forget_user(self, uid: int) -> None:
        self.changes += 1
        for sid in self._by_user.pop(uid, ()):
            self._kept.pop(sid, None)

    def forget_session(self, sid: uuid.UUID) -> None:
        self.changes += 1
        self._drop(sid)

    def forget_all(self) -> None:
        self.changes += 1
        self._kept.clear()
        self._by_user.clear()

    def heard(self, payload: str) -> None:
        """A ``tanggap_auth`` notification: forget its user (everyone if it cannot be read)."""
        try:
            self.forget_user(int(payload))
        except ValueError:
            self.forget_all()

    def _drop(self, sid: uuid.UUID) -> None:
        kept = self._kept.pop(sid, None)
        if kept is not None:
            sids = self._by_user.get(kept.uid)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._by_user[kept.uid]


# The memories of this process's apps (tests start several apps in one process): a change made
# here is forgotten in each before it commits.
_MEMORIES: list[SessionMemory] = []


def register(memory: SessionMemory) -> None:
    _MEMORIES.append(memory)


def unregister(memory: SessionMemory) -> None:
    if memory in _MEMORIES:
        _MEMORIES.remove(memory)


def forget_user(uid: int) -> None:
    for memory in _MEMORIES:
        memory.forget_user(uid)


def forget_session(sid: uuid.UUID) -> None:
    for memory in _MEMORIES:
        memory.forget_session(sid)


def forget_every_session() -> None:
    for memory in _MEMORIES:
        memory.forget_all()


@event.listens_for(User, "after_update")
@event.listens_for(User, "after_delete")
def _user_changed(_mapper: Any, _connection: Any, user: User) -> None:
    # During the flush, before the commit: a request of this process after the change reads
    # the user again. Other processes hear the trigger's NOTIFY at commit.
    forget_user(user.id)


@event.listens_for(AuthSession, "after_update")
@event.listens_for(AuthSession, "after_delete")
def _session_changed(_mapper: Any, _connection: Any, session: AuthSession) -> None:
    # A revocation by the ORM (a stolen refresh token presented again), or a rotation.
    forget_session(session.id)
