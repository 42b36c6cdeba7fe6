"""A record's history: one entry per version, with who, when, from where, why and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.beneficiaries.models import Beneficiary, Objection, Publicity
from fundtrack.core.i18n import _, _l
from fundtrack.core.idnumber import mask, mask_account
from fundtrack.core.money import format_yuan, yuan_str
from fundtrack.core.timeparse import LOCAL_ZONE
from fundtrack.disbursements.models import Disbursement
from fundtrack.evaluations.models import Evaluation, EvaluationDeclaredUse, EvaluationIndicator
from fundtrack.funds.models import Fund, FundEarmark, YearEndClose
from fundtrack.users.models import User

#: continuum's bookkeeping columns, never shown as changes
BOOKKEEPING = {"transaction_id", "end_transaction_id", "operation_type"}
OPERATIONS = {0: "insert", 1: "update", 2: "delete"}
OPERATION_LABELS = {"insert": _l("新建"), "update": _l("修改"), "delete": _l("删除")}

#: column -> label for plain-language diffs (lazy: in the reader's language, Chinese in PDFs)
FIELD_LABELS = {
    "id": _l("编号"),
    "amount_fen": _l("金额"),
    "budget_fen": _l("预算"),
    "total_fen": _l("总额"),
    "status": _l("状态"),
    "document_no": _l("文号"),
    "reason": _l("事由"),
    "fund_id": _l("专项资金"),
    "from_region_code": _l("下达地区"),
    "to_region_code": _l("接收地区"),
    "region_code": _l("地区"),
    "category_code": _l("科目"),
    "paid_on": _l("支付日期"),
    "payee_name": _l("收款人"),
    "payee_id_number": _l("身份证号码"),
    "payee_account": _l("收款账号"),
    "beneficiary_id": _l("受益人"),
    "project_name": _l("项目"),
    "voucher_no": _l("凭证号"),
    "purpose": _l("用途"),
    "days": _l("天数"),
    "reverses_id": _l("冲销的原支出"),
    "approved_on": _l("下达日期"),
    "approved_at": _l("审批时间"),
    "approved_by_id": _l("审批人"),
    "created_by_id": _l("经办人"),
    "created_at": _l("创建时间"),
    "recalled_on": _l("收回日期"),
    "redistribute_to_code": _l("调剂给"),
    "redistributed_as_id": _l("调剂形成的下达"),
    "allocation_id": _l("原资金下达"),
    "code": _l("编号"),
    "name": _l("名称"),
    "kind_code": _l("类别"),
    "fiscal_year": _l("年度"),
    "source": _l("来源"),
    "budget_line_id": _l("预算项目"),
    "year_end_policy": _l("年度结算方式"),
    "evaluation_override_reason": _l("绩效评价例外理由"),
    "final_score": _l("审定得分"),
    "review_comment": _l("审核意见"),
    "summary": _l("自评总结"),
    "submitted_at": _l("提交时间"),
    "reviewed_at": _l("审核时间"),
    "reviewed_by_id": _l("审核人"),
    "family_type": _l("家庭类型"),
    "id_number": _l("身份证号码"),
    "weight": _l("权重"),
    "target": _l("目标值"),
    "actual": _l("实际完成值"),
    "self_score": _l("自评分"),
    "note": _l("说明"),
    "unit": _l("单位"),
    "tier": _l("层级"),
    "dimension": _l("类别"),
    "position": _l("顺序"),
    "description": _l("说明"),
    "earmarkable": _l("可作专项用途"),
    "present": _l("存在"),
    "policy": _l("结算方式"),
    "to_fund_id": _l("结转至资金"),
    "from_fund_id": _l("结转自资金"),
    "decided_by_id": _l("审批人"),
    "decided_at": _l("审批时间"),
    "closed_on": _l("结算日期"),
    "year_end_close_id": _l("年度结算"),
}

#: the child rows shown within a parent's history: api name -> label
CHILD_LABELS = {
    "indicators": _l("指标"),
    "declared_uses": _l("自报使用"),
    "earmarks": _l("专项用途"),
}


@dataclass
class Entry:
    transaction_id: int
    issued_at: datetime
    user: dict | None
    remote_addr: str | None
    #: what the program did, in its own words (``审批资金下达 …``); None before it was kept
    action: str | None
    #: the person's own words (a reason, an approver's opinion), exactly as given, or None
    reason: str | None
    operation: str
    #: column -> (old, new), raw values
    changes: dict[str, tuple] = field(default_factory=dict)


def _kinds():

    return {
        "funds": Fund,
        "year-end-closes": YearEndClose,
        "allocations": Allocation,
        "recalls": AllocationRecall,
        "disbursements": Disbursement,
        "beneficiaries": Beneficiary,
        "publicities": Publicity,
        "objections": Objection,
        "evaluations": Evaluation,
    }


#: the URL rule part for a history route: /history/<kind>/<id>
HISTORY_KINDS = (
    "funds",
    "year-end-closes",
    "allocations",
    "recalls",
    "disbursements",
    "beneficiaries",
    "publicities",
    "objections",
    "evaluations",
)
# quoted: werkzeug's converter arguments are Python literals, and a bare one cannot hold "-"
KIND_RULE = "<any({}):kind>".format(", ".join(f'"{kind}"' for kind in HISTORY_KINDS))


def model_for(kind: str):
    return _kinds().get(kind)


def _children(model) -> list[tuple]:
    """(child model, foreign key to the parent, column naming a child row, api name)."""
    return {
        Evaluation: [
            (EvaluationIndicator, "evaluation_id", "name", "indicators"),
            (EvaluationDeclaredUse, "evaluation_id", "category_code", "declared_uses"),
        ],
        Fund: [(FundEarmark, "fund_id", "category_code", "earmarks")],
    }.get(model, [])


def _diff(previous, version, columns) -> dict[str, tuple]:
    changes = {}
    for name in columns:
        new = getattr(version, name)
        old = getattr(previous, name) if previous is not None else None
        if (previous is None and new not in (None, "")) or (previous is not None and old != new):
            changes[name] = (old, new)
    return changes


def _versions(session, model, column: str, value):
    """The versions of ``model`` rows whose ``column`` equals ``value``, with transactions."""
    version = version_class(model)
    transaction = versioning_manager.transaction_cls
    key = [version.__table__.c[c.name] for c in model.__table__.primary_key.columns]
    return session.execute(
        sa.select(version, transaction)
        .join(transaction, version.transaction_id == transaction.id)
        .where(getattr(version, column) == value)
        .order_by(*key, version.transaction_id)
    ).all()


def _user_info(user, transaction) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": transaction.actor_role,
        "region": transaction.actor_region_code,
    }


def record_history(session, model, record_id) -> list[Entry]:
    """Every version of one record, oldest first, with the transaction that wrote it; the
    changes of its child rows (an evaluation's lines, a fund's earmark) in the same list."""
    version = version_class(model)
    columns = [c.name for c in version.__table__.c if c.name not in BOOKKEEPING]
    rows = _versions(session, model, "id", record_id)
    transactions = {t.id: t for _, t in rows}
    changes_by_tx: dict[int, dict] = {}
    operation_by_tx: dict[int, str] = {}
    previous = None
    for v, t in rows:
        changes_by_tx[t.id] = _diff(previous, v, columns)
        operation_by_tx[t.id] = OPERATIONS.get(v.operation_type, str(v.operation_type))
        previous = v
    for child, foreign_key, label_column, api_label in _children(model):
        keys = [c.name for c in child.__table__.primary_key.columns]
        child_columns = [
            c.name
            for c in version_class(child).__table__.c
            if c.name not in BOOKKEEPING and c.name not in (*keys, foreign_key)
        ]
        last: dict[tuple, object] = {}
        for v, t in _versions(session, child, foreign_key, record_id):
            transactions[t.id] = t
            row_key = tuple(getattr(v, k) for k in keys)
            name = f"{api_label}[{getattr(v, label_column)}]"
            changes = changes_by_tx.setdefault(t.id, {})
            operation_by_tx.setdefault(t.id, "update")
            if v.operation_type == 2:
                changes[f"{name}.present"] = (True, False)
            else:
                for column, pair in _diff(last.get(row_key), v, child_columns).items():
                    changes[f"{name}.{column}"] = pair
            last[row_key] = v
    user_ids = {t.user_id for t in transactions.values() if t.user_id is not None}
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    return [
        Entry(
            transaction_id=tx_id,
            issued_at=transactions[tx_id].issued_at,
            user=_user_info(users.get(transactions[tx_id].user_id), transactions[tx_id]),
            remote_addr=transactions[tx_id].remote_addr,
            action=transactions[tx_id].action,
            reason=transactions[tx_id].reason,
            operation=operation_by_tx.get(tx_id, "update"),
            changes=changes_by_tx.get(tx_id, {}),
        )
        for tx_id in sorted(transactions)
    ]


def field_label(name: str) -> str:
    """``indicators[扶持计生家庭户数].self_score`` → ``指标「扶持计生家庭户数」自评分``, in the
    language of the moment (a str: the caller picks the language, e.g. Chinese for a PDF)."""
    if "[" in name and "]." in name:
        head, rest = name.split("[", 1)
        row, column = rest.split("].", 1)
        return _(
            "%(rows)s「%(row)s」%(field)s",
            rows=CHILD_LABELS.get(head, head),
            row=row,
            field=FIELD_LABELS.get(column, column),
        )
    return str(FIELD_LABELS.get(name, name))


def base_column(name: str) -> str:
    """The column a (possibly child) change is about, for formatting its values."""
    return name.rsplit(".", 1)[-1] if "]." in name else name


def record_state_as_of(session, model, record_id, moment: datetime):
    """The version of a record in force at ``moment`` (naive UTC): (transaction id, version),
    or None when the record did not exist then."""
    version = version_class(model)
    transaction = versioning_manager.transaction_cls
    row = session.scalars(
        sa.select(version)
        .join(transaction, version.transaction_id == transaction.id)
        .where(version.id == record_id, transaction.issued_at <= moment)
        .order_by(version.transaction_id.desc())
        .limit(1)
    ).first()
    if row is None or row.operation_type == 2:
        return None
    return row.transaction_id, {
        c.name: getattr(row, c.name) for c in version.__table__.c if c.name not in BOOKKEEPING
    }


def api_name(column: str) -> str:
    return column[: -len("_fen")] if column.endswith("_fen") else column


#: bank accounts: personal data like ID numbers, shown with their last four characters only
ACCOUNT_COLUMNS = ("payee_account", "bank_account")


def api_value(column: str, value):
    """Amounts as yuan strings; ID numbers masked; dates ISO."""
    if value is None:
        return None
    if column.endswith("_fen"):
        return yuan_str(value)
    if column in ("payee_id_number", "id_number"):
        return mask(value)
    if column in ACCOUNT_COLUMNS:
        return mask_account(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return format(value, "f")
    return value


def display_value(column: str, value, labels: dict) -> str:
    """A value as a person reads it: 1,000.00, 已审批, 耒阳市, masked ID numbers (a str, in the
    language of the moment)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if column.endswith("_fen"):
        return format_yuan(value)
    if column in ("payee_id_number", "id_number"):
        return mask(value)
    if column in ACCOUNT_COLUMNS:
        return mask_account(value)
    if column in labels and str(value) in labels[column]:
        return str(labels[column][str(value)])
    if isinstance(value, datetime):
        # stored as naive UTC; shown in Beijing time like every other time on the pages

        local = value.replace(tzinfo=UTC).astimezone(LOCAL_ZONE)
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
