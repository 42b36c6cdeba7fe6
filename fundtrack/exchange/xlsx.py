"""Reading and writing the import workbooks: the template with its 说明 sheet, the rows of an
uploaded sheet parsed cell by cell (a streaming read of 100,000 rows), and the same workbook
handed back with an error column."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zipfile import BadZipFile

import sqlalchemy as sa
from flask import send_file
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from fundtrack.core.i18n import _
from fundtrack.core.money import AmountError, parse_yuan
from fundtrack.exchange.contract import (
    DATA_SHEET,
    ERROR_HEADER,
    MAX_IMPORT_ROWS,
    ImportKind,
    RowError,
)
from fundtrack.exchange.errors import ImportRejected
from fundtrack.exchange.tables import XLSX_MIMETYPE, _set_text
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import visible_funds_filter
from fundtrack.regions.models import Region
from fundtrack.regions.operations import subtree_codes


class CellError(ValueError):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(_("须为文字"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise CellError(_("须为文字或整数"))
    if isinstance(value, datetime | date):
        raise CellError(_("须为文字，不能是日期"))
    return str(value).strip()


def _money(value) -> int:
    if isinstance(value, float):
        # Excel keeps numbers as binary doubles; the shortest repr is what the user typed
        value = Decimal(repr(value))
    elif isinstance(value, str):
        value = value.strip()
    try:
        return parse_yuan(value)
    except AmountError as exc:
        raise CellError(str(exc)) from None
    except InvalidOperation:  # pragma: no cover - repr of a finite float is a decimal
        raise CellError(_("金额格式不正确")) from None


def _date(value) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellError(_("须为日期（不含时间）"))
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(_("日期格式不正确（应为 2018-06-30）")) from None


def _int(value) -> int:
    if isinstance(value, bool):
        raise CellError(_("须为整数"))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if not text.isascii() or not text.isdigit():
        raise CellError(_("须为整数"))
    return int(text)


READERS = {"text": _text, "code": _text, "money": _money, "date": _date, "int": _int}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def template_bytes(session, user, kind: ImportKind) -> bytes:
    """The workbook to fill: the data sheet with its header and an example row (to be
    replaced), and a sheet explaining every column with the codes the user may use."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    for index, column in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        _set_text(cell, column.label)
        cell.font = Font(bold=True, color="B00000" if column.required else "000000")
        if column.help:
            cell.comment = Comment(column.help, "fundtrack")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        example = sheet.cell(row=2, column=index)
        if column.example is not None:
            if column.kind in ("text", "code"):
                _set_text(example, str(column.example))
            else:
                example.value = column.example
        example.fill = PatternFill("solid", fgColor="FFF2CC")
        if column.kind == "money":
            example.number_format = "#,##0.00"
        elif column.kind == "date":
            example.number_format = "yyyy-mm-dd"
        # codes and ID numbers as text, so that Excel neither drops zeros nor rounds them
        if column.kind == "code":
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    _explain(workbook, session, user, kind)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _explain(workbook, session, user, kind: ImportKind) -> None:

    # the 说明 sheet is part of the template, the file contract: Chinese for every user
    sheet = workbook.create_sheet("说明")  # zh-only: file contract
    intro = (
        f"{kind.title}：填写“{DATA_SHEET}”表，一行一条；"  # zh-only: file contract
        "第 2 行黄色为示例，导入前请删除或改写。"  # zh-only: file contract
    )
    required = "（必填）"  # zh-only: file contract
    lines = [
        (intro, True),
        ("红色列名为必填。整批要么全部导入，要么一条也不导入：有错误时会退回本工作簿，"
         "每行的错误写在最后一列。", False),  # zh-only: file contract
        ("", False),
        ("列", True),  # zh-only: file contract
        *((f"{c.label}{required if c.required else ''}：{c.help}", False)  # zh-only: file contract
          for c in kind.columns),
        ("", False),
        ("可用的资金编号", True),  # zh-only: file contract
    ]  # fmt: skip
    funds = session.scalars(
        sa.select(Fund)
        .where(visible_funds_filter(session, user), Fund.status == "active")
        .order_by(Fund.code)
    )
    for fund in funds:
        earmark = "、".join(  # zh-only: file contract
            f"{e.category_code}（{e.category.name}）"  # zh-only: file contract
            for e in fund.earmarks
        )
        line = f"{fund.code}　{fund.name}　专项用途：{earmark}"  # zh-only: file contract
        lines.append((line, False))
    lines += [("", False), ("本地区及下级地区代码", True)]  # zh-only: file contract
    codes = subtree_codes(session, user.region_code)
    for region in session.scalars(
        sa.select(Region).where(Region.code.in_(codes)).order_by(Region.code)
    ):
        lines.append((f"{region.code}　{region.name}", False))  # zh-only: file contract
    for text, bold in lines:
        sheet.append([None])
        cell = sheet.cell(row=sheet.max_row, column=1)
        _set_text(cell, text)
        if bold:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 100


def read_rows(kind: ImportKind, data: bytes) -> tuple[dict[str, int], list[tuple[int, list]]]:
    """(column key -> index, [(row number, cells)]) of the data sheet; blank rows skipped."""
    try:
        workbook = _load_read_only(data)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError):
        message = _("文件不是有效的 Excel 工作簿（.xlsx）")
        raise ImportRejected(message, file=[message]) from None
    try:
        iterator = _sheet_rows(_data_sheet(workbook))
        first = next(iterator, None)
        titles = [_header_text(value) for value, _type in (first[1] if first else ())]
        header = {}
        for column in kind.columns:
            if column.label in titles:
                header[column.key] = titles.index(column.label)
        missing = [c.label for c in kind.columns if c.required and c.key not in header]
        if missing:
            message = _("缺少必填列：%(columns)s（请使用导入模板）", columns=_("、").join(missing))
            raise ImportRejected(message, file=[message])
        rows = []
        for number, cells in iterator:
            if all(_blank(value) for value, _ in cells):
                continue
            rows.append((number, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                limit = f"{MAX_IMPORT_ROWS:,}"
                message = _("一次最多导入 %(count)s 行，请分批导入", count=limit)
                raise ImportRejected(message, file=[message])
        return header, rows
    finally:
        workbook.close()


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when opened: openpyxl reads the
    whole sheet once for it when the file has no ``<dimension>`` (openpyxl's write-only
    mode writes none), and ``_sheet_rows`` needs no size."""

    def _get_size(self):
        pass


def _load_read_only(data: bytes):
    """``load_workbook(…, read_only=True, data_only=False)``, with the shared strings read
    by ``_read_string_table`` instead of openpyxl's, which builds a ``Text`` object for each
    string of the table (Excel keeps every text cell there), and ``_UnsizedSheet`` sheets."""

    class Reader(ExcelReader):
        def read_strings(self):

            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as src:
                    self.shared_strings = _read_string_table(src)

        def read_worksheets(self):
            # openpyxl's read-only branch, with _UnsizedSheet (chart sheets left out)
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                worksheet = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    reader = Reader(io.BytesIO(data), read_only=True, data_only=False)
    reader.read()
    return reader.wb


def _read_string_table(source) -> list[str]:
    """openpyxl's ``read_string_table`` without its objects (``_item_text`` of each
    ``<si>``, its ``x005F_`` escapes removed); tested against openpyxl's on rich text."""
    string_tag = f"{{{SHEET_MAIN_NS}}}si"
    strings = []
    for _event, node in iterparse(source):
        if node.tag != string_tag:
            continue
        strings.append(_item_text(node).replace("x005F_", ""))
        node.clear()
    return strings


def _item_text(node) -> str:
    """The text of a string item (``<si>`` of the table, ``<is>`` of an inline string): its
    own ``<t>`` followed by the ``<t>`` of each ``<r>`` run (phonetic runs left out). (The
    table's ``x005F_`` escapes are removed by its reader: openpyxl leaves them inline.)"""
    plain, runs = None, []
    for child in node:
        name = child.tag.rpartition("}")[2]
        if name == "t":
            plain = child.text
        elif name == "r":
            text = None
            for part in child:
                if part.tag.rpartition("}")[2] == "t":
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join(([plain] if plain is not None else []) + runs)


class _SheetParser(WorkSheetParser):
    """openpyxl's sheet parser, with inline strings read by ``_item_text``: openpyxl builds
    a rich-text object for each (a sheet written by openpyxl, like our templates and exports
    until Excel saves them again, keeps every text inline; that was most of the reading of a
    large import)."""

    def parse_cell(self, element):
        if element.get("t") != "inlineStr" or element.find(FORMULA_TAG) is not None:
            return super().parse_cell(element)
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        inline = element.find(INLINE_STRING)
        return {
            "row": row,
            "column": column,
            "value": None if inline is None else _item_text(inline),
            "data_type": "inlineStr" if inline is None else "s",
            "style_id": int(element.get("s", 0) or 0),
        }


def _sheet_rows(sheet) -> Iterator[tuple[int, list[tuple]]]:
    """(row number, [(value, data type)] by column from A) of a read-only sheet, as
    ``iter_rows`` gives them but through ``_SheetParser``; rows missing from the file are
    not given."""
    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = _SheetParser(
            source,
            sheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            by_column = {cell["column"]: (cell["value"], cell["data_type"]) for cell in cells}
            width = max(by_column, default=0)
            yield number, [by_column.get(column, (None, None)) for column in range(1, width + 1)]


def _data_sheet(workbook):
    return workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]


def _header_text(value) -> str:
    return str(value).strip() if value is not None else ""


def _parse_row(kind: ImportKind, header: dict, number: int, cells: list):
    values, fields = {}, {}
    raw = []
    for column in kind.columns:
        index = header.get(column.key)
        value, data_type = (
            cells[index] if index is not None and index < len(cells) else (None, None)
        )
        raw.append(value)
        if data_type == "f":
            fields[column.label] = [_("单元格是公式，请“粘贴为数值”后再导入")]
            continue
        if _blank(value):
            if column.required:
                fields[column.label] = [_("必填")]
            values[column.key] = None
            continue
        try:
            values[column.key] = READERS[column.kind](value)
        except CellError as exc:
            fields[column.label] = [str(exc)]
    if _is_example(kind, raw):
        message = _("这是模板的示例行，请删除后再导入")
        return None, RowError(number, "example_row", [message])
    if fields:
        return None, RowError(number, "validation_error", [], fields)
    return values, None


def _is_example(kind: ImportKind, raw: list) -> bool:
    def same(value, example) -> bool:
        if example is None:
            return _blank(value)
        if isinstance(example, Decimal):
            try:
                return _money(value) == parse_yuan(example)
            except CellError:
                return False
        if isinstance(example, date):
            return (value.date() if isinstance(value, datetime) else value) == example
        return _header_text(value) == str(example)

    return all(same(value, c.example) for value, c in zip(raw, kind.columns, strict=True))


def annotated_workbook(kind: ImportKind, data: bytes, errors: list[dict]) -> bytes:
    """The user's own workbook, with each failed row's errors in a last column (red)."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = _data_sheet(workbook)
    titles = [_header_text(c.value) for c in sheet[1]]
    column = titles.index(ERROR_HEADER) + 1 if ERROR_HEADER in titles else len(titles) + 1
    header = sheet.cell(row=1, column=column)
    _set_text(header, ERROR_HEADER)
    header.font = Font(bold=True, color="B00000")
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column).value = None
    red = PatternFill("solid", fgColor="F8D7DA")
    for error in errors:
        cell = sheet.cell(row=error["row"], column=column)
        _set_text(cell, RowError(**error).text)
        cell.fill = red
    sheet.column_dimensions[header.column_letter].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def send_template(session, user, kind: ImportKind):

    data = template_bytes(session, user, kind)
    return send_file(
        io.BytesIO(data), mimetype=XLSX_MIMETYPE, download_name=f"{kind.name}-template.xlsx"
    )
