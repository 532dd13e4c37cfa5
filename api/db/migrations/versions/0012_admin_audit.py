"""admin audit: an append-only record of every admin change; users' last sign-in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:20:00.000000

- ``admin_audit``: who changed what in the admin console, when, with the record before and
  after (never a password, a hash or an Open311 key). Like ``case_events`` it is append-only:
  a trigger refuses every UPDATE and DELETE. The downgrade drops the trigger and the table.
- ``users.last_login_at``: set on each successful sign-in, shown in the console.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = (
    "create",
    "update",
    "delete",
    "deactivate",
    "reactivate",
    "reset_password",
    "revoke",
    "set_members",
)
ENTITIES = ("agency", "category", "area", "team", "user", "routing_rule", "open311_key", "place")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(_one_of("action", ACTIONS), name=op.f("ck_admin_audit_action")),
        sa.CheckConstraint(_one_of("entity", ENTITIES), name=op.f("ck_admin_audit_entity")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_admin_audit_actor_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index("ix_admin_audit_entity", "admin_audit", ["entity", "entity_id", "id"])
    op.create_index("ix_admin_audit_actor_id", "admin_audit", ["actor_id", "id"])
    # The record of admin changes: nothing may change or remove an entry once written.
    op.execute("""
        CREATE FUNCTION admin_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'admin_audit is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute(
        "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit "
        "FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS admin_audit_append_only ON admin_audit")
    op.execute("DROP FUNCTION IF EXISTS admin_audit_refuse_change()")
    op.drop_index("ix_admin_audit_actor_id", table_name="admin_audit")
    op.drop_index("ix_admin_audit_entity", table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_column("users", "last_login_at")
