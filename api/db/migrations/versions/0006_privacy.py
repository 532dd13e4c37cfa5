"""privacy: sensitive categories and cases, stored public text, followers, published photos

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:45:00.000000

- ``categories.sensitive``: about a person rather than a place (seeded for the reference
  categories listed in ``SENSITIVE``); its cases appear on no public surface.
- ``cases.sensitive``: marked by an operator, or its category was sensitive at intake.
- ``cases.public_description``: what the public may read of the description, redacted once
  here for existing rows (and at intake from now on), so no public read scans user text.
- ``case_reporters.follower``: joined an existing case; existing follows are the reporters
  added by a ``reporter_added`` event of a citizen on the web.
- ``photos.published_at``: a staff photo is public only once staff publish it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.domain.disclosure import public_description

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENSITIVE = (
    "KDRT",
    "KEKERASAN_ANAK",
    "ODGJ",
    "ORANG_TERLANTAR",
    "GEPENG",
    "GAWAT_DARURAT_MEDIS",
    "KRIMINALITAS",
    "PENYELAMATAN_ORANG",
    "ORANG_TENGGELAM",
)


def upgrade() -> None:
    false = sa.text("false")
    op.add_column(
        "categories", sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column("cases", sa.Column("public_description", sa.Text(), nullable=True))
    op.add_column(
        "cases", sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "case_reporters",
        sa.Column("follower", sa.Boolean(), nullable=False, server_default=false),
    )
    op.add_column("photos", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text("UPDATE categories SET sensitive = true WHERE code = ANY(:codes)"),
        {"codes": list(SENSITIVE)},
    )
    bind.execute(
        sa.text(
            "UPDATE cases SET sensitive = true FROM categories "
            "WHERE categories.id = cases.category_id AND categories.sensitive"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE case_reporters r SET follower = true FROM case_events e "
            "WHERE e.kind = 'reporter_added' AND e.actor_kind = 'citizen' "
            "AND (e.data->>'reporter_id')::bigint = r.id"
        )
    )
    # Redacted once, in Python (linear time), for the citizens' descriptions already stored.
    rows = bind.execute(
        sa.text("SELECT id, channel, description FROM cases WHERE channel IN ('web', 'open311')")
    ).all()
    for case_id, channel, description in rows:
        bind.execute(
            sa.text("UPDATE cases SET public_description = :text WHERE id = :id"),
            {"text": public_description(channel, description), "id": case_id},
        )


def downgrade() -> None:
    op.drop_column("photos", "published_at")
    op.drop_column("case_reporters", "follower")
    op.drop_column("cases", "sensitive")
    op.drop_column("cases", "public_description")
    op.drop_column("categories", "sensitive")
