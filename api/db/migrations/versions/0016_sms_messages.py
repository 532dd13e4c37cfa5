"""sms_messages: the outbox of SMS to callers (their case's tracking code)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 05:40:00.000000

- One row per (case, purpose), unique: a repeated click or a retried request finds it there.
- ``key``: the idempotency key the SMS gateway sees on every try of the message.
- ``status`` pending -> sent | failed, with ``attempts`` and the ``last_error`` staff see.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("body", sa.String(length=480), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_sms_messages_status")
        ),
        sa.CheckConstraint("purpose IN ('tracking_code')", name=op.f("ck_sms_messages_purpose")),
        sa.CheckConstraint("language IN ('id', 'en')", name=op.f("ck_sms_messages_language")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_sms_messages_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_sms_messages_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("case_id", "purpose", name="uq_sms_messages_case_purpose"),
        sa.UniqueConstraint("key", name=op.f("uq_sms_messages_key")),
    )


def downgrade() -> None:
    op.drop_table("sms_messages")
