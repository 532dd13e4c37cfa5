"""caller locations: every Advanced Mobile Location fix, matched to its call

Revision ID: 0014_caller_locations
Revises: 0013
Create Date: 2026-12-05 05:50:00.000000

- ``caller_locations``: one row per AML fix (HTTPS or SMS): position, accuracy radius,
  positioning method, time of fix, confidence, the IMSI/IMEI as keyed hashes or nothing, and the
  call it belongs to (empty while a fix that came first waits for its call, until
  ``match_until``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision: str = "0014_caller_locations"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "caller_locations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("call_id", sa.BigInteger(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column(
            "location",
            Geography(
                geometry_type="POINT",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
            ),
            nullable=False,
        ),
        sa.Column("accuracy_m", sa.Double(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confidence_pct", sa.SmallInteger(), nullable=True),
        sa.Column("imsi_hash", sa.String(length=64), nullable=True),
        sa.Column("imei_hash", sa.String(length=64), nullable=True),
        sa.Column("mcc", sa.String(length=3), nullable=True),
        sa.Column("mnc", sa.String(length=3), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("match_until", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('https', 'sms')", name=op.f("ck_caller_locations_channel")),
        sa.CheckConstraint(
            "method IN ('gnss', 'wifi', 'cell', 'unknown')", name=op.f("ck_caller_locations_method")
        ),
        sa.CheckConstraint("accuracy_m >= 0", name=op.f("ck_caller_locations_accuracy")),
        sa.CheckConstraint(
            "confidence_pct IS NULL OR confidence_pct BETWEEN 0 AND 100",
            name=op.f("ck_caller_locations_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_caller_locations_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_locations")),
    )
    op.create_index("ix_caller_locations_call_id", "caller_locations", ["call_id"], unique=False)
    op.create_index(
        "ix_caller_locations_waiting",
        "caller_locations",
        ["number", "match_until"],
        unique=False,
        postgresql_where=sa.text("call_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_caller_locations_waiting",
        table_name="caller_locations",
        postgresql_where=sa.text("call_id IS NULL"),
    )
    op.drop_index("ix_caller_locations_call_id", table_name="caller_locations")
    op.drop_geospatial_table("caller_locations")
