"""gazetteer: named places (kecamatan centres, kelurahan, landmarks) to place a pin without a map

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:40:00.000000

- ``places``: name, kind, point, optional area; retired with ``active = false``.
- ``pg_trgm`` (PostgreSQL contrib) backs the fuzzy name search with a GIN trigram index.
- Existing kecamatan centres are copied in, so an upgraded city can search them at once; no
  other place is invented.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "point",
            Geography(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('kecamatan', 'kelurahan', 'landmark')", name=op.f("ck_places_kind")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_places_area_id_areas"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("name", "kind", name="uq_places_name_kind"),
    )
    op.create_index("ix_places_point", "places", ["point"], postgresql_using="gist")
    op.create_index(
        "ix_places_name_trgm",
        "places",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.execute(
        "INSERT INTO places (name, kind, point, area_id) "
        "SELECT name, 'kecamatan', center, id FROM areas WHERE kind = 'kecamatan' "
        "ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.drop_index("ix_places_name_trgm", table_name="places")
    op.drop_index("ix_places_point", table_name="places")
    op.drop_table("places")
