"""The reports' own refusals; the shared ones are in ``core.errors``."""

from __future__ import annotations

from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _l


class PdfUnavailable(DomainError):
    code = "cjk_font_missing"
    status = 503
    default_message = _l(
        "服务器未安装中文字体，无法生成 PDF（请安装 Debian 软件包 fonts-noto-cjk）"
    )
