"""incoming CAP alerts

Revision ID: 0020_cap_incoming
Revises: 0019_area_warnings
Create Date: 2026-12-05 23:05:00.000000

- ``cap_incoming``: CAP alerts read from a configured feed, each stored once (identifier, sender
  and sent unique), with their area.
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0020_cap_incoming"
down_revision: str | None = "0019_area_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cap_incoming",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("msg_type", sa.String(length=20), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=160), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=False),
        sa.Column("headline", sa.String(length=160), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "area",
            geoalchemy2.types.Geography(
                geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False
            ),
            nullable=True,
        ),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cap_incoming")),
        sa.UniqueConstraint(
            "identifier", "sender", "sent", name=op.f("uq_cap_incoming_identifier")
        ),
    )
    op.create_index("ix_cap_incoming_area", "cap_incoming", ["area"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("ix_cap_incoming_area", table_name="cap_incoming", postgresql_using="gist")
    op.drop_table("cap_incoming")
