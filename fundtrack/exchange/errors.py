"""The exchange domain's own refusals; the shared ones are in ``core.errors``."""

from __future__ import annotations

from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _l


class ImportRejected(DomainError):
    code = "import_rejected"
    status = 422
    default_message = _l("导入未执行：文件有错误，整批未写入任何记录")
