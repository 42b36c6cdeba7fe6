"""PDFs with WeasyPrint from templates in templates/pdf/, with an embedded CJK font.

Resources are fetched from nowhere: only ``data:`` URLs are allowed, so a template (or a
user's text inside one) can never make the server read a file or call the network.

PDFs are official documents: Chinese whatever the reader's language (``chinese_documents``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from fundtrack.core.i18n import chinese_documents
from fundtrack.reports.errors import PdfUnavailable
from fundtrack.reports.export import send_logged_download

#: families tried in order; Debian's fonts-noto-cjk provides the first two
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


@functools.cache
def cjk_font_family() -> str | None:
    """The first installed CJK font family, by fontconfig; None when there is none."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return next((family for family in CJK_FAMILIES if family in families), None) or (
        sorted(families)[0] if families else None
    )


def render_pdf(template: str, **context) -> bytes:
    """Render ``templates/pdf/<template>`` to PDF bytes, in Chinese whatever the reader's
    language (lazy labels in the context, such as status or field names, come out Chinese).
    Raises ``PdfUnavailable``."""
    family = cjk_font_family()
    if family is None:
        raise PdfUnavailable()
    with chinese_documents():
        html = render_template(f"pdf/{template}", font_family=family, **context)
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
        return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def send_pdf(data: bytes, name: str, detail: str):
    """Send a generated PDF and record the export in the access log (one commit)."""
    return send_logged_download(data, "application/pdf", name, f"{detail} ({name})")
