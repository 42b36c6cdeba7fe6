"""The file contract of the Excel imports: what each kind of import (allocation tables,
payment batches) expects in its columns, and which operation each row goes through — the same
``create_allocation`` and ``create_disbursement`` the API and the forms call.

The sheet and column names are Chinese whatever the user's language (they are the workbook's
headers); the error messages are in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from fundtrack.allocations.operations import create_allocation
from fundtrack.beneficiaries.models import FAMILY_TYPES, LIVE_STATUSES, Beneficiary
from fundtrack.beneficiaries.operations import register_beneficiary
from fundtrack.core import idnumber
from fundtrack.core.errors import NotFound, ValidationFailed
from fundtrack.core.i18n import _, _l, chinese_documents
from fundtrack.disbursements.operations import create_disbursement
from fundtrack.funds.models import Fund
from fundtrack.funds.permissions import visible_funds_filter
from fundtrack.regions.operations import is_within

#: most data rows one import takes (a year of a province's payments fits)
MAX_IMPORT_ROWS = 100_000


ERROR_HEADER = "错误（导入时填写）"  # zh-only: column of the workbook (file contract)


DATA_SHEET = "数据"  # zh-only: sheet name (file contract)


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
    #: (user, values, lookups) -> the (fund, region) balance rows a row moves, locked for
    #: the whole batch before its first row (``ledger.checks.lock_batch``)
    touches: Callable = lambda user, values, lookups: ()
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


def _allocation_touches(user, values: dict, lookups: dict):
    fund = lookups["funds"].get(values.get("fund"))
    if fund is None:  # the row's own error says why
        return ()
    giver = values.get("from_region") or user.region_code
    return ((fund, giver), (fund, values["to_region"]))


def _disbursement_touches(user, values: dict, lookups: dict):
    fund = lookups["funds"].get(values.get("fund"))
    return () if fund is None else ((fund, values.get("region") or user.region_code),)


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
        sa.select(Beneficiary).where(
            Beneficiary.id_number.in_(numbers), Beneficiary.status.in_(LIVE_STATUSES)
        )
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


def _family_type(text: str) -> str:
    """A family type by its code or its Chinese name (the name is what a county's list says)."""
    text = (text or "").strip()
    with chinese_documents():  # the sheet's names are Chinese whatever the user reads
        by_name = {str(label): code for code, label in FAMILY_TYPES.items()}
    return text if text in FAMILY_TYPES else by_name.get(text, text)


def _create_beneficiary(session, user, values: dict, lookups: dict):
    return register_beneficiary(
        session,
        user,
        region_code=values.get("region") or user.region_code,
        name=values["name"],
        id_number=values["id_number"],
        family_type=_family_type(values["family_type"]),
        household=values.get("household") or "",
        phone=values.get("phone") or "",
        bank_account=values.get("bank_account") or None,
        evidence=values.get("evidence") or "",
        evidence_document_no=values.get("evidence_document_no") or "",
        source="import",
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
        touches=_allocation_touches,
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
        touches=_disbursement_touches,
    ),
    "beneficiaries": ImportKind(
        name="beneficiaries",
        title="受益人登记表",  # zh-only: the workbook's title (说明 sheet, audit reason)
        heading=_l("受益人登记表"),
        columns=(
            ImportColumn(
                "region",
                "所属地区代码",  # zh-only: template
                "code",
                False,
                "430481",
                help="留空即本人所在地区",
                width=12,
            ),
            ImportColumn("name", "姓名", "text", True, "张三", width=10),  # zh-only: template
            ImportColumn(
                "id_number",
                "身份证号码",  # zh-only: template
                "code",
                True,
                "430481197001010012",
                help="18 位，校验码按 GB 11643 核对；同一人只能在一个县市区在册",
                width=20,
            ),
            ImportColumn(
                "family_type",
                "家庭类型",  # zh-only: template
                "text",
                True,
                "计生特殊家庭",  # zh-only: template
                help="计生特殊家庭、独生子女家庭、农村二女户家庭、计生困难家庭或其他计生家庭",
                width=16,
            ),
            ImportColumn(
                "household",
                "户主及住址",  # zh-only: template
                "text",
                False,
                "张三，某某镇某某村",  # zh-only: template
                width=24,
            ),
            ImportColumn("phone", "联系电话", "code", False, "0734-1234567", width=14),  # zh-only
            ImportColumn(
                "bank_account",
                "银行账号",  # zh-only: template
                "code",
                False,
                "6217000000000000000",
                help="待遇只发放到登记的账号",
                width=22,
            ),
            ImportColumn(
                "evidence",
                "认定依据",  # zh-only: template
                "text",
                False,
                "独生子女死亡，本人年满49周岁",  # zh-only: template
                width=28,
            ),
            ImportColumn(
                "evidence_document_no",
                "证明文件编号",  # zh-only: template
                "text",
                False,
                "",
                width=16,
            ),
        ),
        create=_create_beneficiary,
        prepare=lambda session, user, rows: {},
    ),
}


def import_kind(name: str) -> ImportKind:

    if name not in KINDS:
        raise NotFound(_("没有这种导入"))
    return KINDS[name]
