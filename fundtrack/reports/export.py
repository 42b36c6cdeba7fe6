"""Safe tabular exports: CSV cells that a spreadsheet would run as formulas become text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import g, send_file

from fundtrack.audit.operations import log_access
from fundtrack.core.i18n import chinese_documents
from fundtrack.core.net import client_address
from fundtrack.extensions import db

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Numbers stay numbers; text starting with = + - @ (or a tab or CR) gets a leading
    apostrophe, so Excel and LibreOffice show it instead of running it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_bytes(header: list[str], rows) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese correctly), every cell made safe; in Chinese
    whatever the reader's language (a lazy label in a cell, such as a status, is Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    with chinese_documents():
        writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def send_logged_download(data: bytes, mimetype: str, filename: str, detail: str,
                         as_attachment: bool = False):  # fmt: skip
    """Send a generated file and record the export in the access log (one commit): PDFs,
    spreadsheets and bank files all leave the system through here."""
    log_access(db.session, "export", user=g.get("user"), remote_addr=client_address(),
               detail=detail)  # fmt: skip
    return send_file(io.BytesIO(data), mimetype=mimetype, download_name=filename,
                     as_attachment=as_attachment)  # fmt: skip
