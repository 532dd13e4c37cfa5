"""abuse: sign-in failures per account and address, and security alerts for admins

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:45:00.000000

- ``login_failures.address``: the hashed client address of an account's failure, so failures
  are limited per account-and-address (wrong passwords from one address never lock the
  account out elsewhere) while failures from everywhere still add up to an admin alert.
- ``security_alerts``: what admins see (``GET /api/admin/security-alerts``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("login_failures", sa.Column("address", sa.String(length=64), nullable=True))
    op.create_table(
        "security_alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('login_failures')", name=op.f("ck_security_alerts_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_security_alerts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_alerts")),
    )
    op.create_index("ix_security_alerts_at", "security_alerts", ["at"], unique=False)
    op.create_index("ix_security_alerts_user_id", "security_alerts", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_security_alerts_user_id", table_name="security_alerts")
    op.drop_index("ix_security_alerts_at", table_name="security_alerts")
    op.drop_table("security_alerts")
    op.drop_column("login_failures", "address")
