"""A record's history: one entry per version, with who, when, from where, why and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.core.money import format_yuan, yuan_str

#: continuum's bookkeeping columns, never shown as changes
BOOKKEEPING = {"transaction_id", "end_transaction_id", "operation_type"}
OPERATIONS = {0: "insert", 1: "update", 2: "delete"}
OPERATION_LABELS = {"insert": "新建", "update": "修改", "delete": "删除"}

#: column -> Chinese label for plain-language diffs
FIELD_LABELS = {
    "amount_fen": "金额",
    "budget_fen": "预算",
    "total_fen": "总额",
    "status": "状态",
    "document_no": "文号",
    "reason": "事由",
    "fund_id": "专项资金",
    "from_region_code": "下达地区",
    "to_region_code": "接收地区",
    "region_code": "地区",
    "category_code": "科目",
    "paid_on": "支付日期",
    "payee_name": "收款人",
    "payee_id_number": "身份证号码",
    "payee_account": "收款账号",
    "beneficiary_id": "受益人",
    "project_name": "项目",
    "voucher_no": "凭证号",
    "purpose": "用途",
    "days": "天数",
    "reverses_id": "冲销的原支出",
    "approved_on": "下达日期",
    "approved_at": "审批时间",
    "approved_by_id": "审批人",
    "created_by_id": "经办人",
    "created_at": "创建时间",
    "recalled_on": "收回日期",
    "redistribute_to_code": "调剂给",
    "redistributed_as_id": "调剂形成的下达",
    "allocation_id": "原资金下达",
    "code": "编号",
    "name": "名称",
    "kind_code": "类别",
    "fiscal_year": "年度",
    "source": "来源",
    "budget_line_id": "预算项目",
    "year_end_policy": "年度结算方式",
    "evaluation_override_reason": "绩效评价例外理由",
    "final_score": "审定得分",
    "review_comment": "审核意见",
    "summary": "自评总结",
    "submitted_at": "提交时间",
    "reviewed_at": "审核时间",
    "reviewed_by_id": "审核人",
    "family_type": "家庭类型",
    "id_number": "身份证号码",
}


@dataclass
class Entry:
    transaction_id: int
    issued_at: datetime
    user: dict | None
    remote_addr: str | None
    reason: str | None
    operation: str
    #: column -> (old, new), raw values
    changes: dict[str, tuple] = field(default_factory=dict)


def _kinds():
    from fundtrack.allocations.models import Allocation, AllocationRecall
    from fundtrack.disbursements.models import Beneficiary, Disbursement
    from fundtrack.evaluations.models import Evaluation
    from fundtrack.funds.models import Fund

    return {
        "funds": Fund,
        "allocations": Allocation,
        "recalls": AllocationRecall,
        "disbursements": Disbursement,
        "beneficiaries": Beneficiary,
        "evaluations": Evaluation,
    }


#: the URL rule part for a history route: /history/<kind>/<id>
KIND_RULE = "<any(funds, allocations, recalls, disbursements, beneficiaries, evaluations):kind>"


def model_for(kind: str):
    return _kinds().get(kind)


def record_history(session, model, record_id) -> list[Entry]:
    """Every version of one record, oldest first, with the transaction that wrote it."""
    from fundtrack.users.models import User

    version = version_class(model)
    transaction = versioning_manager.transaction_cls
    columns = [c.name for c in version.__table__.c if c.name not in BOOKKEEPING]
    rows = session.execute(
        sa.select(version, transaction)
        .join(transaction, version.transaction_id == transaction.id)
        .where(version.id == record_id)
        .order_by(version.transaction_id)
    ).all()
    user_ids = {t.user_id for _, t in rows if t.user_id is not None}
    users = (
        {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    entries, previous = [], None
    for v, t in rows:
        changes = {}
        for name in columns:
            new = getattr(v, name)
            old = getattr(previous, name) if previous is not None else None
            if (previous is None and new not in (None, "")) or (
                previous is not None and old != new
            ):
                changes[name] = (old, new)
        user = users.get(t.user_id)
        entries.append(
            Entry(
                transaction_id=t.id,
                issued_at=t.issued_at,
                user=(
                    {
                        "id": user.id,
                        "username": user.username,
                        "display_name": user.display_name,
                        "role": t.actor_role,
                        "region": t.actor_region_code,
                    }
                    if user is not None
                    else None
                ),
                remote_addr=t.remote_addr,
                reason=t.reason,
                operation=OPERATIONS.get(v.operation_type, str(v.operation_type)),
                changes=changes,
            )
        )
        previous = v
    return entries


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


def api_value(column: str, value):
    """Amounts as yuan strings; ID numbers masked; dates ISO."""
    from fundtrack.core.idnumber import mask

    if value is None:
        return None
    if column.endswith("_fen"):
        return yuan_str(value)
    if column in ("payee_id_number", "id_number"):
        return mask(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return format(value, "f")
    return value


def display_value(column: str, value, labels: dict) -> str:
    """A value as a person reads it: 1,000.00, 已审批, 耒阳市, masked ID numbers."""
    from fundtrack.core.idnumber import mask

    if value is None or value == "":
        return "—"
    if column.endswith("_fen"):
        return format_yuan(value)
    if column in ("payee_id_number", "id_number"):
        return mask(value)
    if column in labels and str(value) in labels[column]:
        return labels[column][str(value)]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)
