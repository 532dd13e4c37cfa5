"""event tickets: short-lived, single-use tickets that open the live-event stream

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00.000000

- ``event_tickets``: the SHA-256 of each ticket, its session and its expiry. ``EventSource``
  cannot send an ``Authorization`` header; a ticket in the URL replaces the access token there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_tickets",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_event_tickets_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_event_tickets")),
    )
    op.create_index(
        op.f("ix_event_tickets_session_id"), "event_tickets", ["session_id"], unique=False
    )
    op.create_index(
        op.f("ix_event_tickets_expires_at"), "event_tickets", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_event_tickets_expires_at"), table_name="event_tickets")
    op.drop_index(op.f("ix_event_tickets_session_id"), table_name="event_tickets")
    op.drop_table("event_tickets")
