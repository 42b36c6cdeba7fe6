"""Disbursement rules. Operations flush but never commit."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from fundtrack.core.errors import Forbidden, NotEarmarked, SameUserApproval, ValidationFailed
from fundtrack.core.ledger import lock_fund, require_available
from fundtrack.core.models import utcnow
from fundtrack.core.versioning import set_reason
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, Disbursement
from fundtrack.disbursements.permissions import (
    can_approve_disbursement,
    can_create_disbursement,
)
from fundtrack.funds.models import ExpenditureCategory, FundEarmark


def create_disbursement(
    session,
    user,
    *,
    fund,
    region_code: str,
    category_code: str,
    amount_fen: int,
    paid_on: date,
    payee_name: str,
    voucher_no: str,
    payee_id_number: str | None = None,
    payee_account: str | None = None,
    beneficiary_id: int | None = None,
    project_name: str = "",
    purpose: str = "",
    days: int | None = None,
) -> Disbursement:
    """Record a pending payment; it reserves its money at once.

    Invariants: the category is in the fund's earmark (``NotEarmarked`` whatever the
    balance); the region's allocated out + disbursed never exceeds what it received
    (``InsufficientFunds``). Also raises ``Forbidden`` and ``ValidationFailed``.
    """
    if not can_create_disbursement(session, user, region_code):
        raise Forbidden("只能由本地区的财务经办人员记录本地区的支出")
    if session.get(ExpenditureCategory, category_code or "") is None:
        raise ValidationFailed(fields={"category": ["支出科目不存在"]})
    earmarked = session.scalar(
        sa.select(FundEarmark.category_code).where(
            FundEarmark.fund_id == fund.id, FundEarmark.category_code == category_code
        )
    )
    if earmarked is None:
        raise NotEarmarked(category=category_code, earmarked_categories=fund.earmarked_codes)
    fields = {}
    if not (payee_name or "").strip():
        fields["payee_name"] = ["收款人不能为空"]
    if not (voucher_no or "").strip():
        fields["voucher_no"] = ["凭证号不能为空"]
    if fields:
        raise ValidationFailed(fields=fields)
    lock_fund(session, fund)
    require_available(session, fund, region_code, amount_fen)
    disbursement = Disbursement(
        fund_id=fund.id,
        region_code=region_code,
        category_code=category_code,
        amount_fen=amount_fen,
        paid_on=paid_on,
        payee_name=payee_name.strip(),
        payee_id_number=payee_id_number,
        payee_account=payee_account,
        beneficiary_id=beneficiary_id,
        project_name=project_name,
        voucher_no=voucher_no.strip(),
        purpose=purpose,
        days=days,
        created_by_id=user.id,
    )
    session.add(disbursement)
    set_reason(session, f"记录支出 {voucher_no}")
    session.flush()
    return disbursement


def approve_disbursement(session, user, disbursement: Disbursement) -> Disbursement:
    """Approve a pending payment: a checker over the paying region, never the maker."""
    if disbursement.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_disbursement(session, user, disbursement):
        raise Forbidden("没有审批该地区支出的权限")
    DISBURSEMENT_TRANSITIONS.apply(disbursement, "approve")
    disbursement.approved_by_id = user.id
    disbursement.approved_at = utcnow()
    session.flush()
    return disbursement


def create_beneficiary(session, *, region_code: str, name: str, id_number: str, family_type: str):
    """Register a beneficiary; the ID number must pass the GB 11643 check digit."""
    from fundtrack.core import idnumber
    from fundtrack.disbursements.models import FAMILY_TYPES, Beneficiary

    fields = {}
    if not idnumber.is_valid(id_number):
        fields["id_number"] = ["身份证号码不正确（18 位，校验码须符合 GB 11643）"]
    if family_type not in FAMILY_TYPES:
        fields["family_type"] = ["家庭类型不正确"]
    if not (name or "").strip():
        fields["name"] = ["姓名不能为空"]
    if fields:
        raise ValidationFailed(fields=fields)
    beneficiary = Beneficiary(
        region_code=region_code,
        name=name.strip(),
        id_number=idnumber.normalise(id_number),
        family_type=family_type,
    )
    session.add(beneficiary)
    session.flush()
    return beneficiary
