"""One table, two formats: ``.xlsx`` (openpyxl) and CSV, both formula-safe.

Amounts are numbers with two decimals (``Decimal`` yuan, never floats from fen); text that a
spreadsheet would run as a formula (= + - @, tab, CR) is written as text: in ``.xlsx`` as a
string cell with Excel's quote prefix, in CSV with a leading apostrophe.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from fundtrack.audit import witness
from fundtrack.core.errors import ValidationFailed
from fundtrack.extensions import db
from fundtrack.reports.export import FORMULA_PREFIXES, csv_bytes, send_logged_download

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_MIMETYPE, "csv": CSV_MIMETYPE}

#: number formats by column kind
NUMBER_FORMATS = {"money": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


@dataclass(frozen=True)
class Column:
    label: str
    #: text, money (Decimal yuan), int, date, datetime or percent (a Decimal ratio)
    kind: str = "text"
    width: int = 14


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    #: lines shown above the header (what the table is, as of when, for whom)
    preamble: list[str] = field(default_factory=list)


def xlsx_bytes(table: Table) -> bytes:

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    for line in table.preamble:
        sheet.append([None])
        _set_text(sheet.cell(row=sheet.max_row, column=1), line)
    header_row = sheet.max_row + 1 if table.preamble else 1
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=header_row, column=index)
        _set_text(cell, column.label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for values in table.rows:
        sheet.append([None] * len(table.columns))
        row = sheet.max_row
        for index, (column, value) in enumerate(zip(table.columns, values, strict=True), 1):
            cell = sheet.cell(row=row, column=index)
            if value is None:
                continue
            if column.kind == "text" or not isinstance(value, int | Decimal | date | datetime):
                _set_text(cell, str(value))
            else:
                cell.value = value
                if column.kind in NUMBER_FORMATS:
                    cell.number_format = NUMBER_FORMATS[column.kind]
                elif column.kind == "percent":
                    cell.number_format = "0.00%"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _set_text(cell, text: str) -> None:
    """A string cell that no spreadsheet evaluates, whatever its first character."""
    cell.value = text
    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    if text.startswith(FORMULA_PREFIXES):
        cell.alignment = Alignment(horizontal="left")
        cell.quotePrefix = True


def table_csv(table: Table) -> bytes:
    def plain(column: Column, value):
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if column.kind == "money" and isinstance(value, Decimal):
            return f"{value:.2f}"
        return value

    rows = [[plain(c, v) for c, v in zip(table.columns, row, strict=True)] for row in table.rows]
    preamble = [[line] + [""] * (len(table.columns) - 1) for line in table.preamble]
    if not preamble:
        return csv_bytes([c.label for c in table.columns], rows)
    return csv_bytes(preamble[0], [*preamble[1:], [c.label for c in table.columns], *rows])


def send_table(table: Table, fmt: str, name: str, detail: str):
    """Send the table as a download and record the export in the access log (one commit).
    Its last line above the header is the signed head of the audit history (a witness)."""
    if fmt not in FORMATS:
        raise ValidationFailed(fields={"format": ["导出格式只能是 xlsx 或 csv"]})
    head = witness.head_text(witness.signed_head(db.session))
    table = replace(table, preamble=[*table.preamble, f"审计见证（签名树头）：{head}"])
    data = xlsx_bytes(table) if fmt == "xlsx" else table_csv(table)
    filename = f"{name}.{fmt}"
    detail = f"{detail}，{len(table.rows)} 行 ({filename})"
    return send_logged_download(data, FORMATS[fmt], filename, detail)
