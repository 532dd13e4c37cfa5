"""auth: NOTIFY tanggap_auth when a session or a user changes what a session check answers

Revision ID: 0022_auth_changes
Revises: 0021_stats_durations
Create Date: 2026-12-06 06:00:00.000000

Each API process remembers live sessions' answers for a few seconds (``api/db/principals.py``)
instead of reading them on every request. These triggers tell every process, at commit, whose
answer changed, whoever made the change (the API, the CLI or plain SQL): the payload is the
user's id.

- ``auth_sessions``: revoked, expiry moved, moved to another user, or deleted.
- ``users``: ``active``, ``role``, ``agency_id``, ``username`` or ``language`` changed, or the
  user deleted.

PostgreSQL sends one notification per distinct payload per transaction, so revoking a user's
hundred sessions sends one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_auth_changes"
down_revision: str | None = "0021_stats_durations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_COLUMNS = ["revoked_at", "expires_at", "user_id"]
USER_COLUMNS = ["active", "role", "agency_id", "username", "language"]


def _changed(columns: list[str]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION tanggap_auth_session_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tanggap_auth', OLD.user_id::text);
            IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
                PERFORM pg_notify('tanggap_auth', NEW.user_id::text);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION tanggap_auth_user_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tanggap_auth', OLD.id::text);
            RETURN NULL;
        END $$
        """
    )
    _watch("auth_sessions", "auth_session", SESSION_COLUMNS, "tanggap_auth_session_changed")
    _watch("users", "auth_user", USER_COLUMNS, "tanggap_auth_user_changed")


def _watch(table: str, name: str, columns: list[str], function: str) -> None:
    """``<name>_changed`` when one of ``columns`` really changes, ``<name>_gone`` on delete."""
    op.execute(
        f"CREATE TRIGGER {name}_changed AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN ({_changed(columns)}) EXECUTE FUNCTION {function}()"
    )
    op.execute(
        f"CREATE TRIGGER {name}_gone AFTER DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER auth_user_gone ON users")
    op.execute("DROP TRIGGER auth_user_changed ON users")
    op.execute("DROP TRIGGER auth_session_gone ON auth_sessions")
    op.execute("DROP TRIGGER auth_session_changed ON auth_sessions")
    op.execute("DROP FUNCTION tanggap_auth_user_changed()")
    op.execute("DROP FUNCTION tanggap_auth_session_changed()")
