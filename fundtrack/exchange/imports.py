"""Excel import of allocation tables and payment batches: all rows or none.

Every row goes through the same operation the API and the forms call
(``create_allocation``, ``create_disbursement``), in one transaction, in the order of the
sheet, so a batch is checked as a whole (the tenth row sees the money the first nine
reserved). When any row fails, the caller rolls back and the user gets every row's errors:
as a table, and as the same workbook with an error column. Operations flush, never commit.

The template (sheet and column names, the 说明 sheet) is the file contract: Chinese whatever
the user's language, as are the column names inside error messages (they name the workbook's
headers); the error messages themselves are in the user's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
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
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from fundtrack.allocations.operations import create_allocation
from fundtrack.core import idnumber
from fundtrack.core.errors import DomainError, NotFound, ValidationFailed
from fundtrack.core.i18n import _, _l
from fundtrack.core.money import AmountError, parse_yuan
from fundtrack.core.versioning import fixed_action
from fundtrack.disbursements.models import Beneficiary
from fundtrack.disbursements.operations import create_disbursement
from fundtrack.exchange.tables import XLSX_MIMETYPE, _set_text
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import visible_funds_filter
from fundtrack.ledger.checks import batch
from fundtrack.regions.models import Region
from fundtrack.regions.operations import is_within, subtree_codes

#: most data rows one import takes (a year of a province's payments fits)
MAX_IMPORT_ROWS = 100_000
ERROR_HEADER = "错误（导入时填写）"  # zh-only: column of the workbook (file contract)
DATA_SHEET = "数据"  # zh-only: sheet name (file contract)


class ImportRejected(DomainError):
    code = "import_rejected"
    status = 422
    default_message = _l("导入未执行：文件有错误，整批未写入任何记录")


@dataclass(frozen=True)
class ImportColumn:
    #: the operation's argument (or the lookup that produces it)
    key: str
    #: the header in the workbook
    label: str
    #: text, code, money, date or int
    kind: str = "text"
    required: bool = False
    example: object = None
    help: str = ""
    width: int = 16


@dataclass(frozen=True)
class ImportKind:
    name: str
    title: str
    columns: tuple[ImportColumn, ...]
    #: (session, user, values, lookups) -> the created record
    create: Callable
    #: (session, user, parsed rows) -> lookups shared by all rows (one query each)
    prepare: Callable
    #: the title on pages, in the user's language (``title`` is the workbook's, Chinese)
    heading: object = None

    @property
    def example_row(self) -> list:
        return [c.example for c in self.columns]


@dataclass
class RowError:
    #: row number in the sheet (the header is row 1)
    row: int
    code: str
    messages: list[str]
    #: column label -> messages, where the error points at a cell
    fields: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "code": self.code, "messages": self.messages,
                "fields": self.fields}  # fmt: skip

    @property
    def text(self) -> str:
        separator = _("；")
        parts = [
            _("%(column)s：%(messages)s", column=label, messages=separator.join(msgs))
            for label, msgs in self.fields.items()
        ]
        return separator.join(parts + [m for m in self.messages if m not in parts])


@dataclass
class ImportResult:
    kind: ImportKind
    created: list = field(default_factory=list)


# -- reading cells ---------------------------------------------------------------------


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


# -- the two kinds ---------------------------------------------------------------------


def _fund_lookup(session, user, rows) -> dict:
    """Funds by code, only those the user can see."""

    codes = {row.get("fund") for row in rows if row.get("fund")}
    funds = session.scalars(
        sa.select(Fund).where(Fund.code.in_(codes), visible_funds_filter(session, user))
    )
    return {"funds": {fund.code: fund for fund in funds}}


def _fund(values: dict, lookups: dict):

    fund = lookups["funds"].get(values["fund"])
    if fund is None:
        raise ValidationFailed(fields={"fund": [_("资金编号不存在，或不在本地区范围内")]})
    return fund


def _create_allocation(session, user, values: dict, lookups: dict):

    return create_allocation(
        session,
        user,
        fund=_fund(values, lookups),
        from_region_code=values.get("from_region") or user.region_code,
        to_region_code=values["to_region"],
        amount_fen=values["amount"],
        document_no=values["document_no"],
        reason=values.get("reason") or "",
    )


def _prepare_disbursements(session, user, rows) -> dict:

    numbers = {
        idnumber.normalise(row["payee_id_number"])
        for row in rows
        if row.get("payee_id_number") and idnumber.is_valid(row["payee_id_number"])
    }
    beneficiaries = session.scalars(
        sa.select(Beneficiary).where(Beneficiary.id_number.in_(numbers))
    ).all()
    return {
        **_fund_lookup(session, user, rows),
        "beneficiaries": {b.id_number: (b.id, b.region_code) for b in beneficiaries},
        # the objects, held for the import: create_disbursement's session.get of each
        # then finds it in the identity map instead of reading it once per row
        "beneficiary_objects": beneficiaries,
    }


def _create_disbursement(session, user, values: dict, lookups: dict):

    region_code = values.get("region") or user.region_code
    id_number = values.get("payee_id_number") or None
    beneficiary_id = None
    if id_number and idnumber.is_valid(id_number):
        # a registered beneficiary of the paying region: the payment is a personal benefit
        found = lookups["beneficiaries"].get(idnumber.normalise(id_number))
        if found and is_within(session, found[1], region_code):
            beneficiary_id, id_number = found[0], None
    return create_disbursement(
        session,
        user,
        fund=_fund(values, lookups),
        region_code=region_code,
        category_code=values["category"],
        amount_fen=values["amount"],
        paid_on=values["paid_on"],
        payee_name=values["payee_name"],
        voucher_no=values["voucher_no"],
        payee_id_number=id_number,
        payee_account=values.get("payee_account") or None,
        beneficiary_id=beneficiary_id,
        project_name=values.get("project_name") or "",
        purpose=values.get("purpose") or "",
        days=values.get("days"),
    )


#: column names, examples and help texts make the template, the file contract: Chinese for
#: every user (marked zh-only; ``help=`` is the template's cell comment)
KINDS = {
    "allocations": ImportKind(
        name="allocations",
        title="资金下达表",  # zh-only: the workbook's title (说明 sheet, audit reason)
        heading=_l("资金下达表"),
        columns=(
            ImportColumn(
                "fund",
                "资金编号",  # zh-only: template
                "code",
                True,
                "2018-SJH",
                help="见“说明”表的资金编号",
                width=12,
            ),
            ImportColumn(
                "from_region",
                "下达地区代码",  # zh-only: template
                "code",
                False,
                "430000",
                help="留空即本人所在地区",
                width=12,
            ),
            ImportColumn(
                "to_region",
                "接收地区代码",  # zh-only: template
                "code",
                True,
                "430100",
                help="下级市州或县市区的 6 位代码",
                width=12,
            ),
            ImportColumn(
                "amount",
                "金额（元）",  # zh-only: template
                "money",
                True,
                Decimal("100000.00"),
                help="正数，最多两位小数",
                width=16,
            ),
            ImportColumn(
                "document_no",
                "文号",  # zh-only: template
                "text",
                True,
                "湘计生协〔2018〕1号",  # zh-only: template
                width=24,
            ),
            ImportColumn(
                "reason",
                "事由",  # zh-only: template
                "text",
                False,
                "示例：三结合项目扶持",  # zh-only: template
                width=30,
            ),
        ),
        create=_create_allocation,
        prepare=_fund_lookup,
    ),
    "disbursements": ImportKind(
        name="disbursements",
        title="支出批量表",  # zh-only: the workbook's title (说明 sheet, audit reason)
        heading=_l("支出批量表"),
        columns=(
            ImportColumn(
                "fund",
                "资金编号",  # zh-only: template
                "code",
                True,
                "2018-SJH",
                help="见“说明”表的资金编号",
                width=12,
            ),
            ImportColumn(
                "region",
                "支付地区代码",  # zh-only: template
                "code",
                False,
                "430481",
                help="留空即本人所在地区",
                width=12,
            ),
            ImportColumn(
                "category",
                "支出科目代码",  # zh-only: template
                "code",
                True,
                "project_support",
                help="须在该资金的专项用途内，见“说明”表",
                width=18,
            ),
            ImportColumn(
                "amount",
                "金额（元）",  # zh-only: template
                "money",
                True,
                Decimal("5000.00"),
                help="正数，最多两位小数",
                width=14,
            ),
            ImportColumn(
                "paid_on",
                "支付日期",  # zh-only: template
                "date",
                True,
                date(2018, 6, 30),
                help="如 2018-06-30",
                width=12,
            ),
            ImportColumn(
                "payee_name",
                "收款人",  # zh-only: template
                "text",
                True,
                "示例：某某种养合作社",  # zh-only: template
                width=18,
            ),
            ImportColumn(
                "payee_id_number",
                "身份证号码",  # zh-only: template
                "code",
                False,
                None,
                help="个人收款时填写；已登记的受益人按此关联",
                width=20,
            ),
            ImportColumn(
                "payee_account",
                "银行账号",  # zh-only: template
                "code",
                False,
                "6217000000000000000",
                help="只含字母和数字",
                width=22,
            ),
            ImportColumn(
                "voucher_no",
                "凭证号",  # zh-only: template
                "text",
                True,
                "示例-0001",  # zh-only: template
                width=14,
            ),
            ImportColumn(
                "project_name",
                "项目名称",  # zh-only: template
                "text",
                False,
                "示例：生猪养殖扶持",  # zh-only: template
                width=20,
            ),
            ImportColumn("purpose", "用途", "text", False, "", width=24),  # zh-only: template
            ImportColumn(
                "days",
                "天数",  # zh-only: template
                "int",
                False,
                None,
                help="按天发放的待遇必填",
                width=8,
            ),
        ),
        create=_create_disbursement,
        prepare=_prepare_disbursements,
    ),
}


def import_kind(name: str) -> ImportKind:

    if name not in KINDS:
        raise NotFound(_("没有这种导入"))
    return KINDS[name]


# -- the template ----------------------------------------------------------------------


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


# -- running an import -----------------------------------------------------------------


def run_import(session, user, kind: ImportKind, data: bytes, filename: str) -> ImportResult:
    """Create every row of the workbook, or raise ``ImportRejected`` with every row's
    errors (the caller then rolls back: nothing of the batch stays)."""
    header, rows = read_rows(kind, data)
    if not rows:
        message = _("工作簿中没有数据行")
        raise ImportRejected(message, file=[message])
    errors: list[RowError] = []
    parsed: list[tuple[int, dict]] = []
    for number, cells in rows:
        values, row_error = _parse_row(kind, header, number, cells)
        if row_error is not None:
            errors.append(row_error)
        else:
            parsed.append((number, values))
    result = ImportResult(kind)
    lookups = kind.prepare(session, user, [values for _, values in parsed])
    labels = {c.key: c.label for c in kind.columns}
    action = f"Excel 导入{kind.title}「{filename[:100]}」，{len(rows)} 行"  # zh-only: stored
    with fixed_action(session, action), batch(session):
        for number, values in parsed:
            try:
                result.created.append(kind.create(session, user, values, lookups))
            except DomainError as exc:
                errors.append(_row_error(number, exc, labels))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(
            _(
                "导入未执行：%(errors)s 行有错误，整批 %(rows)s 行均未写入",
                errors=len(errors),
                rows=len(rows),
            ),
            rows=[e.as_dict() for e in errors],
            row_count=len(rows),
        )
    return result


def read_rows(kind: ImportKind, data: bytes) -> tuple[dict[str, int], list[tuple[int, list]]]:
    """(column key -> index, [(row number, cells)]) of the data sheet; blank rows skipped."""

    try:
        workbook = _load_read_only(data)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError):
        message = _("文件不是有效的 Excel 工作簿（.xlsx）")
        raise ImportRejected(message, file=[message]) from None
    try:
        sheet = (
            workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
        )
        iterator = sheet.iter_rows(values_only=False)
        first = next(iterator, None)
        titles = [_header_text(cell.value) for cell in (first or ())]
        header = {}
        for column in kind.columns:
            if column.label in titles:
                header[column.key] = titles.index(column.label)
        missing = [c.label for c in kind.columns if c.required and c.key not in header]
        if missing:
            message = _("缺少必填列：%(columns)s（请使用导入模板）", columns=_("、").join(missing))
            raise ImportRejected(message, file=[message])
        rows = []
        for number, row in enumerate(iterator, start=2):
            cells = [(cell.value, getattr(cell, "data_type", None)) for cell in row]
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


def _load_read_only(data: bytes):
    """``load_workbook(…, read_only=True, data_only=False)``, with the shared strings read
    by ``_read_string_table`` instead of openpyxl's, which builds a ``Text`` object for each
    string of the table (Excel keeps every text cell there)."""

    class Reader(ExcelReader):
        def read_strings(self):

            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as src:
                    self.shared_strings = _read_string_table(src)

    reader = Reader(io.BytesIO(data), read_only=True, data_only=False)
    reader.read()
    return reader.wb


def _read_string_table(source) -> list[str]:
    """openpyxl's ``read_string_table`` without its objects: the text of each ``<si>`` is its
    own ``<t>`` followed by the ``<t>`` of each ``<r>`` run (phonetic runs left out), with
    the ``x005F_`` escapes removed; tested against openpyxl's on rich text."""

    string_tag = f"{{{SHEET_MAIN_NS}}}si"
    strings = []
    for _event, node in iterparse(source):
        if node.tag != string_tag:
            continue
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
        text = "".join(([plain] if plain is not None else []) + runs)
        strings.append(text.replace("x005F_", ""))
        node.clear()
    return strings


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


def _row_error(number: int, exc: DomainError, labels: dict[str, str]) -> RowError:
    fields = {}
    for name, messages in (exc.details.get("fields") or {}).items():
        label = labels.get(name) or labels.get(_FIELD_ALIASES.get(name, ""), name)
        fields[label] = (
            [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
        )
    messages = [] if fields and exc.message == str(type(exc).default_message) else [exc.message]
    return RowError(number, exc.code, messages, fields)


#: operation field names that differ from the import's column keys
_FIELD_ALIASES = {"beneficiary_id": "payee_id_number", "to_region_code": "to_region"}


# -- the error workbook ----------------------------------------------------------------


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
