"""Engine hooks: SQLite gets foreign keys and real transactions (savepoints work); and the
one way domains hook every session."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

_installed = False


def _on_connect(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        # let SQLAlchemy emit BEGIN itself, so SAVEPOINT and transactional DDL behave
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _on_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def listen_on_sessions(*hooks) -> None:
    """Listen to ``(event, function)`` on every session (the app's, the CLI's, the tests'),
    each once however often the app is created."""
    for event, hook in hooks:
        if not sa.event.contains(sa.orm.Session, event, hook):
            sa.event.listen(sa.orm.Session, event, hook)


def install_engine_hooks() -> None:
    global _installed
    if _installed:
        return
    sa.event.listen(sa.engine.Engine, "connect", _on_connect)
    sa.event.listen(sa.engine.Engine, "begin", _on_begin)
    _installed = True
