"""Explicit status transitions: one table per model, one function that applies it."""

from __future__ import annotations

from dataclasses import dataclass

from fundtrack.core.errors import InvalidTransition
from fundtrack.core.i18n import _


@dataclass(frozen=True)
class Transitions:
    """Which action moves a record from which status to which.

    ``labels`` are the names of the statuses, for messages and pages: lazy translations
    (``_l``), so ``str()`` them where text is needed.
    """

    table: dict[tuple[str, str], str]
    labels: dict[str, str]

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def target(self, status: str, action: str) -> str:
        try:
            return self.table[(status, action)]
        except KeyError:
            raise InvalidTransition(
                _(
                    "状态为「%(status)s」的记录不能执行此操作",
                    status=self.labels.get(status, status),
                ),
                status=status,
                action=action,
            ) from None

    def apply(self, record, action: str) -> str:
        """Move ``record.status`` along ``action``; raises ``InvalidTransition``."""
        record.status = self.target(record.status, action)
        return record.status

    def allowed(self, status: str, action: str) -> bool:
        return (status, action) in self.table
