"""open311 keys: each key's own request limit

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:20:00.000000

- ``open311_keys.requests_limit``: how many service requests the key may POST within the
  report window; null means the city default (``TANGGAP_OPEN311_REQUESTS_PER_KEY``). At least 1
  when set.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("open311_keys", sa.Column("requests_limit", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_open311_keys_requests_limit"),
        "open311_keys",
        "requests_limit IS NULL OR requests_limit >= 1",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_open311_keys_requests_limit"), "open311_keys", type_="check")
    op.drop_column("open311_keys", "requests_limit")
