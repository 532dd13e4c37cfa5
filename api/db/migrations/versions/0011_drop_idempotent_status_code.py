"""idempotent requests: drop status_code, always written as 200 and never read

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:20:00.000000

- ``idempotent_requests.status_code``: every replay answers with the stored body and the
  route's own status, so the column only ever held 200. Downgrading restores it as 200.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("idempotent_requests", "status_code")


def downgrade() -> None:
    # Every stored answer was a 200: existing rows get it, new rows must give it again.
    op.add_column(
        "idempotent_requests",
        sa.Column("status_code", sa.Integer(), nullable=False, server_default="200"),
    )
    op.alter_column("idempotent_requests", "status_code", server_default=None)
