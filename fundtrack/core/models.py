"""Column helpers shared by the domain models."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC, as continuum's transaction table stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def status_check(column: str, statuses) -> sa.CheckConstraint:
    values = ", ".join(f"'{s}'" for s in statuses)
    return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


def positive_check(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} > 0", name=f"{column}_positive")
