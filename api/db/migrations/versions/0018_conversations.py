"""conversations: WhatsApp and SMS channels, and every message in or out of a conversation

Revision ID: 0018_conversations
Revises: 0017_neighbour_areas
Create Date: 2026-12-05 22:30:00.000000

- ``whatsapp`` and ``sms`` join the channels of calls, cases and case reporters.
- ``conversation_messages``: inbound messages (unique provider id: a redelivery changes nothing)
  and the outbox of replies and templates (unique per call and dedupe key: a retried request
  finds its row), with the provider's delivery and read statuses.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_conversations"
down_revision: str | None = "0017_neighbour_areas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "'phone', 'walk_in', 'social', 'app', 'web', 'open311'"
_NEW = _OLD + ", 'whatsapp', 'sms'"
_CHANNEL_TABLES = ("calls", "cases")


def _channels(values: str) -> None:
    for table in _CHANNEL_TABLES:
        op.drop_constraint(op.f(f"ck_{table}_channel"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_channel"), table, f"channel IN ({values})")


def upgrade() -> None:
    _channels(_NEW)
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe", sa.String(length=120), nullable=True),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("media_key", sa.String(length=200), nullable=True),
        sa.Column("media_sha256", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('whatsapp', 'sms')", name=op.f("ck_conversation_messages_channel")
        ),
        sa.CheckConstraint(
            "direction IN ('in', 'out')", name=op.f("ck_conversation_messages_direction")
        ),
        sa.CheckConstraint(
            "kind IN ('text', 'location', 'image', 'template')",
            name=op.f("ck_conversation_messages_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'pending', 'sent', 'delivered', 'read', 'failed')",
            name=op.f("ck_conversation_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_conversation_messages_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"],
            ["users.id"],
            name=op.f("fk_conversation_messages_sent_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("channel", "provider_id", name="uq_conversation_messages_provider"),
        sa.UniqueConstraint("call_id", "dedupe", name="uq_conversation_messages_dedupe"),
        sa.UniqueConstraint("key", name=op.f("uq_conversation_messages_key")),
    )
    op.create_index("ix_conversation_messages_call_id", "conversation_messages", ["call_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_messages_call_id", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    # Calls and cases that came by these channels cannot stay: they are kept as "social".
    op.execute("UPDATE calls SET channel = 'social' WHERE channel IN ('whatsapp', 'sms')")
    op.execute("UPDATE cases SET channel = 'social' WHERE channel IN ('whatsapp', 'sms')")
    _channels(_OLD)
