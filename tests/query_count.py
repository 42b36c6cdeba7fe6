"""Counting the SQL statements a block of code sends to the database.

``with count_queries(app) as counted: client.get("/")`` then ``counted.count`` is the number
of statements executed by any connection of the app's engine (BEGIN, SAVEPOINT and the like
included), and ``counted.statements`` their text, for the message of a failing assertion.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from fundtrack.extensions import db


@dataclass
class CountedQueries:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        lines = [" ".join(statement.split())[:200] for statement in self.statements]
        return f"{self.count} statements:\n" + "\n".join(f"  {line}" for line in lines)


@contextlib.contextmanager
def count_queries(app):
    """Count the statements executed on ``app``'s engine inside the block."""
    with app.app_context():
        engine = db.engine
    counted = CountedQueries()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        counted.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counted
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)
