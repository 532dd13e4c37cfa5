"""area warnings and the citizens' warning opt-in

Revision ID: 0019_area_warnings
Revises: 0018_conversations
Create Date: 2026-12-05 22:20:00.000000

- ``area_warnings``: each CAP message (an alert, its updates and cancellations), drafted by one
  person and approved by another (a check keeps them apart).
- ``push_subscriptions.warning_area_id``: a citizen's device that asked for a kecamatan's
  warnings, without an account; the ``owner`` check accepts it as an owner.
- ``admin_audit``: entity ``area_warning`` and action ``approve``.
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_area_warnings"
down_revision: str | None = "0018_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITIES = (
    "agency", "category", "area", "team", "user", "routing_rule", "open311_key", "place",
    "neighbour_area", "case_handoff",
)  # fmt: skip
ACTIONS = (
    "create", "update", "delete", "deactivate", "reactivate", "reset_password", "revoke",
    "set_members",
)  # fmt: skip
CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
OLD_OWNER = "user_id IS NOT NULL OR reporter_id IS NOT NULL"


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _audit_checks(entities: Sequence[str], actions: Sequence[str], *, valid: bool) -> None:
    # The audit record is append-only: a narrower check after a downgrade applies to new
    # entries only (NOT VALID).
    suffix = "" if valid else " NOT VALID"
    for name, column, values in (
        ("ck_admin_audit_entity", "entity", entities),
        ("ck_admin_audit_action", "action", actions),
    ):
        op.drop_constraint(op.f(name), "admin_audit", type_="check")
        op.execute(
            f"ALTER TABLE admin_audit ADD CONSTRAINT {name} "
            f"CHECK ({_one_of(column, values)}){suffix}"
        )


def upgrade() -> None:
    op.create_table(
        "area_warnings",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("references_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("event_id", sa.String(length=160), nullable=False),
        sa.Column("event_en", sa.String(length=160), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=False),
        sa.Column("certainty", sa.String(length=12), nullable=False),
        sa.Column("headline_id", sa.String(length=160), nullable=False),
        sa.Column("headline_en", sa.String(length=160), nullable=False),
        sa.Column("instruction_id", sa.Text(), nullable=False),
        sa.Column("instruction_en", sa.Text(), nullable=False),
        sa.Column(
            "area",
            geoalchemy2.types.Geography(
                geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False
            ),
            nullable=False,
        ),
        sa.Column("area_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("area_desc", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=True),
        sa.Column(
            "drafted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cap_references", sa.Text(), nullable=False),
        sa.CheckConstraint(
            _one_of("msg_type", ("Alert", "Update", "Cancel")),
            name=op.f("ck_area_warnings_msg_type"),
        ),
        sa.CheckConstraint(
            _one_of("status", ("draft", "published", "superseded", "cancelled", "withdrawn")),
            name=op.f("ck_area_warnings_status"),
        ),
        sa.CheckConstraint(_one_of("category", CATEGORIES), name=op.f("ck_area_warnings_category")),
        sa.CheckConstraint(
            _one_of("severity", ("Extreme", "Severe", "Moderate", "Minor", "Unknown")),
            name=op.f("ck_area_warnings_severity"),
        ),
        sa.CheckConstraint(
            _one_of("urgency", ("Immediate", "Expected", "Future", "Past", "Unknown")),
            name=op.f("ck_area_warnings_urgency"),
        ),
        sa.CheckConstraint(
            _one_of("certainty", ("Observed", "Likely", "Possible", "Unlikely", "Unknown")),
            name=op.f("ck_area_warnings_certainty"),
        ),
        sa.CheckConstraint(
            "(msg_type = 'Alert') = (references_id IS NULL)",
            name=op.f("ck_area_warnings_references_original"),
        ),
        sa.CheckConstraint(
            "approved_by IS NULL OR approved_by <> drafted_by",
            name=op.f("ck_area_warnings_two_person"),
        ),
        sa.ForeignKeyConstraint(
            ["references_id"],
            ["area_warnings.id"],
            name=op.f("fk_area_warnings_references_id_area_warnings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"],
            ["users.id"],
            name=op.f("fk_area_warnings_drafted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_area_warnings_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_warnings")),
    )
    op.create_index("ix_area_warnings_status", "area_warnings", ["status", "expires_at"])
    op.create_index("ix_area_warnings_area", "area_warnings", ["area"], postgresql_using="gist")
    op.add_column("push_subscriptions", sa.Column("warning_area_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_push_subscriptions_warning_area_id_areas"),
        "push_subscriptions",
        "areas",
        ["warning_area_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_push_subscriptions_warning_area_id", "push_subscriptions", ["warning_area_id"]
    )
    op.drop_constraint(op.f("ck_push_subscriptions_owner"), "push_subscriptions", type_="check")
    op.create_check_constraint(
        op.f("ck_push_subscriptions_owner"),
        "push_subscriptions",
        f"{OLD_OWNER} OR warning_area_id IS NOT NULL",
    )
    _audit_checks((*ENTITIES, "area_warning"), (*ACTIONS, "approve"), valid=True)


def downgrade() -> None:
    _audit_checks(ENTITIES, ACTIONS, valid=False)
    # Devices that only asked for warnings have no owner left.
    op.execute("DELETE FROM push_subscriptions WHERE user_id IS NULL AND reporter_id IS NULL")
    op.drop_constraint(op.f("ck_push_subscriptions_owner"), "push_subscriptions", type_="check")
    op.create_check_constraint(op.f("ck_push_subscriptions_owner"), "push_subscriptions", OLD_OWNER)
    op.drop_index("ix_push_subscriptions_warning_area_id", table_name="push_subscriptions")
    op.drop_constraint(
        op.f("fk_push_subscriptions_warning_area_id_areas"),
        "push_subscriptions",
        type_="foreignkey",
    )
    op.drop_column("push_subscriptions", "warning_area_id")
    op.drop_index("ix_area_warnings_area", table_name="area_warnings")
    op.drop_index("ix_area_warnings_status", table_name="area_warnings")
    op.drop_table("area_warnings")
