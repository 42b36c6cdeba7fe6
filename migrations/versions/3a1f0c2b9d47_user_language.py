"""each user's page language (a preference, not versioned); access-log events for passwords

The access log's event list is a CHECK constraint: "password_changed" (a user changed their
own password) and "password_reset" (an administrator set someone's) join it. SQLite cannot
alter a constraint, so batch mode recreates the table there; PostgreSQL alters it in place.
A downgrade deletes the log entries of those two events, which the older list refuses.

Revision ID: 3a1f0c2b9d47
Revises: 205c28c6f86b
Create Date: 2026-11-29 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3a1f0c2b9d47"
down_revision = "205c28c6f86b"
branch_labels = None
depends_on = None

#: the access-log events before and after this revision (fundtrack.audit.models.ACCESS_EVENTS)
OLD_EVENTS = ("login", "login_failed", "logout", "token_created", "token_revoked", "export",
              "reveal")  # fmt: skip
NEW_EVENTS = (*OLD_EVENTS, "password_changed", "password_reset")


def _event_check(events) -> str:
    return "event IN (" + ", ".join(f"'{event}'" for event in events) + ")"


def _replace_event_check(events) -> None:
    with op.batch_alter_table("access_log") as batch_op:
        batch_op.drop_constraint(op.f("ck_access_log_event_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_access_log_event_valid"), _event_check(events))


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(8), nullable=False, server_default="zh")
        )
    _replace_event_check(NEW_EVENTS)


def downgrade():
    access_log = sa.table("access_log", sa.column("event", sa.String))
    op.execute(access_log.delete().where(access_log.c.event.in_(NEW_EVENTS[len(OLD_EVENTS) :])))
    _replace_event_check(OLD_EVENTS)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("language")
