"""The audit domain's own refusals; the shared ones are in ``core.errors``."""

from __future__ import annotations

from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _l


class DeleteRefused(DomainError):
    code = "delete_refused"
    status = 409
    default_message = _l("财务记录不能删除：请撤销、冲销或收回，历史将保留")
