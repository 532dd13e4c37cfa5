"""The SQL of outbound SMS (api/services/sms.py): the outbox row of a case and purpose, and the
worker's read and outcome writes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SmsMessage


async def add_message(db: AsyncSession, values: dict[str, Any]) -> int | None:
    """A new outbox row; ``None`` when the case already has one for that purpose (a repeated
    click, a concurrent twin): the unique ``(case_id, purpose)`` decides, not a prior read."""
    stmt = (
        insert(SmsMessage)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_sms_messages_case_purpose")
        .returning(SmsMessage.id)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def message_of(
    db: AsyncSession, case_id: uuid.UUID, purpose: str, *, for_update: bool = False
) -> SmsMessage | None:
    q = select(SmsMessage).where(SmsMessage.case_id == case_id, SmsMessage.purpose == purpose)
    if for_update:  # and read afresh: the row may have changed since this session saw it
        q = q.with_for_update().execution_options(populate_existing=True)
    return (await db.execute(q)).scalar_one_or_none()


async def message_to_send(db: AsyncSession, message_id: int) -> SmsMessage | None:
    """The row, locked for the send, if it still waits to be sent. The lock keeps a second
    sender (a job re-run while the first still works) waiting until the first has written its
    outcome, which it then finds."""
    q = (
        select(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == "pending")
        .with_for_update()
    )
    return (await db.execute(q)).scalar_one_or_none()
