"""neighbour areas and case hand-offs

Revision ID: 0017_neighbour_areas
Revises: 0016
Create Date: 2026-12-05 05:45:00.000000

- ``neighbour_areas``: the regions next to the city (a polygon, names in Indonesian and English,
  whether the polygon is approximate, and the neighbour control room's contacts, each optional).
- ``case_handoffs``: each incident handed to a neighbour ("out") or imported from one ("in"),
  with the exchanged document; an incoming incident id is taken in once.
- ``admin_audit.entity`` may also be ``neighbour_area`` and ``case_handoff``.
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_neighbour_areas"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITIES = ("agency", "category", "area", "team", "user", "routing_rule", "open311_key", "place")
NEW_ENTITIES = ("neighbour_area", "case_handoff")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "neighbour_areas",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column(
            "boundary",
            geoalchemy2.types.Geography(
                geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False
            ),
            nullable=False,
        ),
        sa.Column("contact_112", sa.String(length=32), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("contact_radio", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("name_id", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_neighbour_areas")),
        sa.UniqueConstraint("name_id", name="uq_neighbour_areas_name_id"),
    )
    op.create_index(
        "ix_neighbour_areas_boundary",
        "neighbour_areas",
        ["boundary"],
        postgresql_using="gist",
    )
    op.create_table(
        "case_handoffs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("neighbour_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.String(length=100), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("direction IN ('out', 'in')", name=op.f("ck_case_handoffs_direction")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_handoffs_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["neighbour_id"],
            ["neighbour_areas.id"],
            name=op.f("fk_case_handoffs_neighbour_id_neighbour_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_case_handoffs_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_handoffs")),
    )
    op.create_index("ix_case_handoffs_case_id", "case_handoffs", ["case_id", "id"])
    op.create_index(
        "uq_case_handoffs_incoming",
        "case_handoffs",
        ["incident_id"],
        unique=True,
        postgresql_where=sa.text("direction = 'in'"),
    )
    op.drop_constraint(op.f("ck_admin_audit_entity"), "admin_audit", type_="check")
    op.create_check_constraint(
        op.f("ck_admin_audit_entity"), "admin_audit", _one_of("entity", ENTITIES + NEW_ENTITIES)
    )


def downgrade() -> None:
    # The audit record is append-only: entries about neighbours stay, so the narrower check
    # applies to new entries only (NOT VALID).
    op.drop_constraint(op.f("ck_admin_audit_entity"), "admin_audit", type_="check")
    op.execute(
        "ALTER TABLE admin_audit ADD CONSTRAINT ck_admin_audit_entity "
        f"CHECK ({_one_of('entity', ENTITIES)}) NOT VALID"
    )
    op.drop_index("uq_case_handoffs_incoming", table_name="case_handoffs")
    op.drop_index("ix_case_handoffs_case_id", table_name="case_handoffs")
    op.drop_table("case_handoffs")
    op.drop_index("ix_neighbour_areas_boundary", table_name="neighbour_areas")
    op.drop_table("neighbour_areas")
