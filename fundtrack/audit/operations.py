"""Access log entries and the guard against hard deletes. Operations flush but never commit."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack.audit.chain import seal_before_commit
from fundtrack.audit.errors import DeleteRefused
from fundtrack.audit.models import AccessLog
from fundtrack.core.db_setup import listen_on_sessions
from fundtrack.core.timeparse import parse_moment


def log_access(session, event: str, *, user=None, username: str = "", remote_addr=None,
               detail: str = "") -> AccessLog:  # fmt: skip
    """Record a login, failed login, token, export or reveal event."""
    entry = AccessLog(
        event=event,
        user_id=user.id if user is not None else None,
        username=(user.username if user is not None else username or "")[:64],
        remote_addr=remote_addr,
        detail=detail[:2000],
    )
    session.add(entry)
    session.flush()
    return entry


def refuse_hard_deletes(session, flush_context, instances) -> None:
    """Session hook: no versioned (financial or reference) record is ever deleted."""
    protected = tuple(versioning_manager.version_class_map)
    for obj in session.deleted:
        if isinstance(obj, protected) and not getattr(obj, "may_be_deleted", lambda: False)():
            raise DeleteRefused(record=f"{type(obj).__tablename__}")


def install() -> None:
    """Every session (the app's, the CLI's, the tests'): refuse hard deletes at each flush and
    seal each committed continuum transaction into the audit hash chain."""
    listen_on_sessions(("before_flush", refuse_hard_deletes), ("before_commit", seal_before_commit))


def access_log_query(filters: dict):
    """The access log, newest first, filtered by event, user name and date range (Shanghai)."""
    stmt = sa.select(AccessLog).order_by(AccessLog.id.desc())
    if filters.get("event"):
        stmt = stmt.where(AccessLog.event == filters["event"])
    if filters.get("username"):
        stmt = stmt.where(AccessLog.username == filters["username"].strip().lower())
    since: date | None = filters.get("since")
    until: date | None = filters.get("until")
    if since:
        stmt = stmt.where(
            AccessLog.occurred_at > parse_moment((since - timedelta(days=1)).isoformat())
        )
    if until:
        stmt = stmt.where(AccessLog.occurred_at <= parse_moment(until.isoformat()))
    return stmt
