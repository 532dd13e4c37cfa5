"""The SQL of WhatsApp and SMS conversations (api/services/conversations.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Call, Case, ConversationMessage


async def open_call(db: AsyncSession, channel: str, number: str, since: datetime) -> Call | None:
    """The number's conversation on this channel that is still open: its newest call that
    started after ``since`` and has not ended. Locked, so two messages at once join one call."""
    q = (
        select(Call)
        .where(
            Call.channel == channel,
            Call.number == number,
            Call.started_at >= since,
            Call.ended_at.is_(None),
        )
        .order_by(Call.started_at.desc())
        .limit(1)
        .with_for_update()
    )
    return (await db.execute(q)).scalar_one_or_none()


async def add_message(db: AsyncSession, values: dict[str, Any], conflict: str) -> int | None:
    """A new message row; ``None`` when the unique ``conflict`` constraint says it is there
    already (a redelivered inbound message, a retried reply)."""
    stmt = (
        insert(ConversationMessage)
        .values(**values)
        .on_conflict_do_nothing(constraint=conflict)
        .returning(ConversationMessage.id)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def known_provider_ids(db: AsyncSession, channel: str, ids: list[str]) -> set[str]:
    q = select(ConversationMessage.provider_id).where(
        ConversationMessage.channel == channel, ConversationMessage.provider_id.in_(ids)
    )
    return {str(i) for i in (await db.execute(q)).scalars()}


async def message_by_dedupe(
    db: AsyncSession, call_id: int, dedupe: str
) -> ConversationMessage | None:
    q = select(ConversationMessage).where(
        ConversationMessage.call_id == call_id, ConversationMessage.dedupe == dedupe
    )
    return (await db.execute(q)).scalar_one_or_none()


async def outbound_by_provider_id(
    db: AsyncSession, channel: str, provider_id: str
) -> ConversationMessage | None:
    q = (
        select(ConversationMessage)
        .where(
            ConversationMessage.channel == channel,
            ConversationMessage.provider_id == provider_id,
            ConversationMessage.direction == "out",
        )
        .with_for_update()
    )
    return (await db.execute(q)).scalar_one_or_none()


async def messages_of(db: AsyncSession, call_id: int) -> list[ConversationMessage]:
    q = (
        select(ConversationMessage)
        .where(ConversationMessage.call_id == call_id)
        .order_by(ConversationMessage.id)
    )
    return list((await db.execute(q)).scalars())


async def message_to_send(
    db: AsyncSession, message_id: int
) -> tuple[ConversationMessage, str | None] | None:
    """The outbound row, locked for the send, if it still waits; with the call's number."""
    q = (
        select(ConversationMessage, Call.number)
        .join(Call, Call.id == ConversationMessage.call_id)
        .where(ConversationMessage.id == message_id, ConversationMessage.status == "pending")
        .with_for_update(of=ConversationMessage)
    )
    found = (await db.execute(q)).one_or_none()
    if found is None:
        return None
    message, number = found
    return message, number


async def case_of_call(db: AsyncSession, call_id: int) -> Case | None:
    """The case created from this call, the first if several."""
    q = select(Case).where(Case.call_id == call_id).order_by(Case.created_at).limit(1)
    return (await db.execute(q)).scalar_one_or_none()


async def staged_media(db: AsyncSession, call_id: int) -> list[ConversationMessage]:
    q = select(ConversationMessage).where(
        ConversationMessage.call_id == call_id, ConversationMessage.media_key.is_not(None)
    )
    return list((await db.execute(q)).scalars())
