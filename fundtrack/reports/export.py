"""Safe tabular exports: CSV cells that a spreadsheet would run as formulas become text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

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
    """UTF-8 with BOM (Excel opens Chinese correctly), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
