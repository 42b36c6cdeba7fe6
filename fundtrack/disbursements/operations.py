"""Disbursement and beneficiary rules. Operations flush but never commit.

Invariants: a payment's category is in its fund's earmark (the database enforces it too);
a region never pays more than it has available; per-day benefits stay within their rule's
rate and yearly cap, and one person gets one benefit from one region a year; nothing is
ever deleted, and an approved amount is never edited: a reversal is a compensating record.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from fundtrack.audit.operations import log_access
from fundtrack.beneficiaries.models import FAMILY_TYPES, Beneficiary
from fundtrack.beneficiaries.operations import require_publicity
from fundtrack.beneficiaries.permissions import can_reveal_id_number
from fundtrack.core import idnumber
from fundtrack.core.errors import (
    BenefitCapExceeded,
    DuplicateBenefit,
    Forbidden,
    InvalidTransition,
    NotEarmarked,
    SameUserApproval,
    ValidationFailed,
)
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.money import yuan_str
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.timeparse import local_today
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, BenefitRule, Disbursement
from fundtrack.disbursements.permissions import (
    can_approve_disbursement,
    can_create_disbursement,
    can_reject_disbursement,
    can_reverse_disbursement,
)
from fundtrack.funds.models import ExpenditureCategory, FundEarmark
from fundtrack.ledger.checks import (
    batch_cached,
    batch_get,
    flush_write,
    lock_balances,
    require_available,
)
from fundtrack.regions.models import Region
from fundtrack.regions.operations import is_within

#: statuses whose days and amounts count against a benefit cap
CAP_STATUSES = ("pending", "approved")
MAX_TEXT = 128


def benefit_rule_for(session, category_code: str, on: date) -> BenefitRule | None:
    """The per-day rule in force for a category on a date, if the category has one."""
    return session.scalar(
        sa.select(BenefitRule)
        .where(
            BenefitRule.category_code == category_code,
            BenefitRule.effective_from <= on,
            sa.or_(BenefitRule.effective_to.is_(None), BenefitRule.effective_to >= on),
        )
        .order_by(BenefitRule.effective_from.desc())
        .limit(1)
    )


def _check_benefit(
    session, rule: BenefitRule, beneficiary: Beneficiary, region_code, amount_fen, paid_on, days
):
    """Per-day rate, yearly cap, family type, one region a year. Raises domain errors."""
    session.flush()  # the rows of a batch before this one count too
    allowed_types = [t for t in rule.family_types.split(",") if t]
    if allowed_types and beneficiary.family_type not in allowed_types:
        names = _("、").join(str(FAMILY_TYPES[t]) for t in allowed_types)
        raise ValidationFailed(
            _("%(benefit)s只发放给%(family_types)s", benefit=rule.name, family_types=names),
            fields={"beneficiary_id": [_("受益人家庭类型不符")]},
        )
    limit = days * rule.daily_rate_fen
    if amount_fen > limit:
        raise BenefitCapExceeded(
            _(
                "%(benefit)s每天 %(rate)s 元，%(days)s 天最多 %(limit)s 元",
                benefit=rule.name,
                rate=yuan_str(rule.daily_rate_fen),
                days=days,
                limit=yuan_str(limit),
            ),
            rule=rule.code,
            max_amount=yuan_str(limit),
        )
    year_start, year_end = date(paid_on.year, 1, 1), date(paid_on.year, 12, 31)
    # by the person's ID number, not the register row: a family registered again (after an
    # exit, in another county) is the same person with the same yearly cap
    same_person = sa.select(Beneficiary.id).where(Beneficiary.id_number == beneficiary.id_number)
    same_year = sa.select(Disbursement).where(
        Disbursement.beneficiary_id.in_(same_person),
        Disbursement.category_code == rule.category_code,
        Disbursement.status.in_(CAP_STATUSES),
        Disbursement.amount_fen > 0,
        Disbursement.paid_on.between(year_start, year_end),
    )
    elsewhere = session.scalar(same_year.where(Disbursement.region_code != region_code).limit(1))
    if elsewhere is not None:
        raise DuplicateBenefit(
            _(
                "%(name)s本年度已在%(region)s领取%(benefit)s"
                "（凭证号 %(voucher_no)s，%(amount)s 元），"
                "同一待遇一年只能由一个地区发放",
                name=beneficiary.name,
                region=elsewhere.region.name,
                benefit=rule.name,
                voucher_no=elsewhere.voucher_no,
                amount=yuan_str(elsewhere.amount_fen),
            ),
            other_disbursement_id=elsewhere.id,
            other_region=elsewhere.region_code,
            other_voucher_no=elsewhere.voucher_no,
        )
    used = int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Disbursement.days), 0)).where(
                same_year.whereclause
            )
        )
    )
    if used + days > rule.max_days_per_year:
        raise BenefitCapExceeded(
            _(
                "%(name)s%(year)s年已领取%(benefit)s %(used)s 天，每年最多 %(max_days)s 天",
                name=beneficiary.name,
                year=paid_on.year,
                benefit=rule.name,
                used=used,
                max_days=rule.max_days_per_year,
            ),
            rule=rule.code,
            used_days=used,
            max_days=rule.max_days_per_year,
        )


def create_disbursement(
    session,
    user,
    *,
    fund,
    region_code: str,
    category_code: str,
    amount_fen: int,
    paid_on: date,
    payee_name: str | None,
    voucher_no: str,
    payee_id_number: str | None = None,
    payee_account: str | None = None,
    beneficiary_id: int | None = None,
    project_name: str = "",
    purpose: str = "",
    days: int | None = None,
) -> Disbursement:
    """Record a pending payment; it reserves its money at once.

    Raises ``Forbidden``, ``NotEarmarked`` (whatever the balance), ``ValidationFailed``,
    ``BenefitCapExceeded``, ``DuplicateBenefit``, ``InvalidTransition`` (fund not active),
    ``InsufficientFunds``, and for a personal benefit ``PublicityRequired`` or
    ``ObjectionUpheld`` (the register and its 公示, ``beneficiaries.operations``).
    """
    if batch_get(session, Region, region_code or "") is None:
        raise ValidationFailed(fields={"region": [_("地区不存在")]})
    if not can_create_disbursement(session, user, region_code):
        raise Forbidden(_("只能由本地区的财务经办人员记录本地区的支出"))
    if batch_get(session, ExpenditureCategory, category_code or "") is None:
        raise ValidationFailed(fields={"category": [_("支出科目不存在")]})
    earmarked = batch_cached(
        session,
        ("earmark", fund.id, category_code),
        lambda: session.scalar(
            sa.select(FundEarmark.category_code).where(
                FundEarmark.fund_id == fund.id, FundEarmark.category_code == category_code
            )
        ),
    )
    if earmarked is None:
        category = session.get(ExpenditureCategory, category_code)
        message = _(
            "「%(category)s」不在%(fund)s的用途范围内（专款专用），不能列支",
            category=category.name,
            fund=fund.name,
        )
        raise NotEarmarked(
            message,
            fields={"category": [message]},
            category=category_code,
            earmarked_categories=fund.earmarked_codes,
        )
    fields: dict[str, list[str]] = {}
    beneficiary = None
    if beneficiary_id is not None:
        beneficiary = session.get(Beneficiary, beneficiary_id)
        if beneficiary is None or not is_within(session, beneficiary.region_code, region_code):
            fields["beneficiary_id"] = [_("受益人不存在或不属于本地区")]
        else:
            payee_name = payee_name or beneficiary.name
            payee_id_number = beneficiary.id_number
            if beneficiary.bank_account and payee_account not in (None, beneficiary.bank_account):
                # a benefit goes to the account on the register, never to one typed in now
                fields["payee_account"] = [_("收款账号须为受益人登记的银行账号")]
            payee_account = payee_account or beneficiary.bank_account
            category = batch_get(session, ExpenditureCategory, category_code or "")
            if (
                category is not None
                and category.requires_publicity
                and (payee_account != beneficiary.bank_account)
            ):
                fields["payee_account"] = [
                    _("按人发放的待遇只能付到受益人登记的银行账号；未登记账号的，须先登记")
                ]
    if payee_id_number is not None and beneficiary is None:
        if not idnumber.is_valid(payee_id_number):
            fields["payee_id_number"] = [_("身份证号码不正确（18 位，校验码须符合 GB 11643）")]
        else:
            payee_id_number = idnumber.normalise(payee_id_number)
    payee_name = (payee_name or "").strip()
    voucher_no = (voucher_no or "").strip()
    if not payee_name or len(payee_name) > MAX_TEXT:
        fields["payee_name"] = [_("收款人不能为空，且不超过 128 个字符")]
    if not voucher_no or len(voucher_no) > 64:
        fields["voucher_no"] = [_("凭证号不能为空，且不超过 64 个字符")]
    if len(project_name or "") > MAX_TEXT:
        fields["project_name"] = [_("项目名称不超过 128 个字符")]
    if payee_account is not None and (len(payee_account) > 34 or not payee_account.isalnum()):
        fields["payee_account"] = [_("银行账号只能是不超过 34 位的字母和数字")]
    if days is not None and not (0 < days <= 366):
        fields["days"] = [_("天数须在 1–366 之间")]
    if not (date(fund.fiscal_year, 1, 1) <= paid_on <= date(fund.fiscal_year + 1, 12, 31)):
        fields["paid_on"] = [_("支付日期须在资金年度 %(year)s 年或次年内", year=fund.fiscal_year)]
    rule = batch_cached(
        session,
        ("benefit_rule", category_code, paid_on),
        lambda: benefit_rule_for(session, category_code, paid_on),
    )
    if rule is not None:
        if beneficiary is None and "beneficiary_id" not in fields:
            fields["beneficiary_id"] = [
                _("%(benefit)s按人按天发放，必须指定受益人", benefit=rule.name)
            ]
        if days is None:
            fields["days"] = [_("%(benefit)s按天发放，必须填写天数", benefit=rule.name)]
    if fields:
        raise ValidationFailed(fields=fields)
    require_publicity(session, batch_get(session, ExpenditureCategory, category_code), beneficiary,
                      paid_on)  # fmt: skip
    lock_balances(session, fund, (region_code,))
    if rule is not None:
        # one lock per person, so that two payments to the same person cannot both pass
        session.execute(
            sa.select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
        )
        _check_benefit(session, rule, beneficiary, region_code, amount_fen, paid_on, days)
    require_available(session, fund, region_code, amount_fen)
    disbursement = Disbursement(
        fund_id=fund.id,
        region_code=region_code,
        category_code=category_code,
        amount_fen=amount_fen,
        paid_on=paid_on,
        payee_name=payee_name,
        payee_id_number=payee_id_number,
        payee_account=payee_account,
        beneficiary_id=beneficiary.id if beneficiary else None,
        project_name=(project_name or "").strip(),
        voucher_no=voucher_no,
        purpose=(purpose or "").strip(),
        days=days,
        created_by_id=user.id,
    )
    session.add(disbursement)
    set_action(session, f"记录支出 {voucher_no}")  # zh-only: stored audit action
    flush_write(session)
    return disbursement


def approve_disbursement(
    session, user, disbursement: Disbursement, reason: str | None = None
) -> Disbursement:
    """Approve a pending payment, or a proposed reversal: a checker over the paying region,
    never the one who recorded or proposed it. ``reason`` is the approver's opinion.

    Approving a reversal makes the original ``reversed`` and its money available again.
    Raises ``SameUserApproval``, ``Forbidden``, ``InvalidTransition`` (also: the fund is no
    longer active), ``ReasonRequired`` (too long), and for a personal benefit whose family
    left the register since, ``PublicityRequired``.
    """
    if disbursement.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_disbursement(session, user, disbursement):
        raise Forbidden(_("没有审批该地区支出的权限"))
    opinion = optional_reason(reason)
    DISBURSEMENT_TRANSITIONS.target(disbursement.status, "approve")
    original = disbursement.reverses
    if original is None:
        # the family may have left the register (or been objected to) since it was recorded
        require_publicity(
            session, disbursement.category, disbursement.beneficiary, disbursement.paid_on
        )
    if original is not None:
        lock_balances(session, disbursement.fund, (disbursement.region_code,))
        DISBURSEMENT_TRANSITIONS.apply(original, "reverse")
    DISBURSEMENT_TRANSITIONS.apply(disbursement, "approve")
    disbursement.approved_by_id = user.id
    disbursement.approved_at = utcnow()
    if original is not None:
        action = f"审批冲销支出 {original.voucher_no}"  # zh-only: stored audit action
    else:
        action = f"审批支出 {disbursement.voucher_no}"  # zh-only: stored audit action
    set_action(session, action)
    set_reason(session, opinion)
    session.flush()
    return disbursement


def reject_disbursement(session, user, disbursement: Disbursement, reason: str) -> Disbursement:
    """Send a pending payment back (its reserved money is free again), or refuse a proposed
    reversal (the original stays approved and paid); a reason is required."""
    if not can_reject_disbursement(session, user, disbursement):
        raise Forbidden(_("没有审批该地区支出的权限"))
    reason = require_reason(reason)
    DISBURSEMENT_TRANSITIONS.apply(disbursement, "reject")
    if disbursement.reverses_id is not None:
        action = f"退回冲销申请 {disbursement.reverses.voucher_no}"  # zh-only: stored
    else:
        action = f"退回支出 {disbursement.voucher_no}"  # zh-only: stored audit action
    set_action(session, action)
    set_reason(session, reason)
    session.flush()
    return disbursement


def propose_reversal(
    session, user, disbursement: Disbursement, reason: str, reversed_on: date | None = None
) -> Disbursement:
    """Propose the reversal (冲销) of an approved payment: a compensating record of the
    negative amount, ``pending`` until a checker who is not the proposer approves it
    (``approve_disbursement``). Until then every balance stays as it was and the payment
    stays approved; a rejected proposal changes nothing.

    The maker of the paying region or a checker over it proposes. ``reversed_on`` is the
    reversal's business date: not before the payment, not after today in Asia/Shanghai
    (today by default). Returns the compensating record. Raises ``Forbidden``,
    ``ReasonRequired``, ``ValidationFailed`` (the date) and ``InvalidTransition`` (not an
    approved payment, a reversal already proposed, or the fund no longer active).
    """
    if not can_reverse_disbursement(session, user, disbursement):
        raise Forbidden(_("只有付款地区的财务经办人员或审批人员可以申请冲销"))
    reason = require_reason(reason)
    if disbursement.reverses_id is not None:
        raise InvalidTransition(
            _("冲销记录本身不能再冲销"), status="compensation", action="reverse"
        )
    DISBURSEMENT_TRANSITIONS.target(disbursement.status, "reverse")
    today = local_today()
    reversed_on = reversed_on or today
    if not (disbursement.paid_on <= reversed_on <= today):
        message = _(
            "冲销日期须在原支付日期 %(paid_on)s 与今天 %(today)s 之间",
            paid_on=disbursement.paid_on.isoformat(),
            today=today.isoformat(),
        )
        raise ValidationFailed(message, fields={"reversed_on": [message]})
    lock_balances(session, disbursement.fund, (disbursement.region_code,))
    # the payment's row, locked: two proposals for the same payment cannot both pass
    session.execute(
        sa.select(Disbursement.id).where(Disbursement.id == disbursement.id).with_for_update()
    )
    session.refresh(disbursement, ["reversals"])
    open_proposal = disbursement.reversal
    if open_proposal is not None:
        raise InvalidTransition(
            _("该支出已有冲销申请 #%(id)s，等待审批", id=open_proposal.id),
            status=disbursement.status,
            action="reverse",
            reversal_id=open_proposal.id,
        )
    compensation = Disbursement(
        fund_id=disbursement.fund_id,
        region_code=disbursement.region_code,
        category_code=disbursement.category_code,
        amount_fen=-disbursement.amount_fen,
        paid_on=reversed_on,
        payee_name=disbursement.payee_name,
        payee_id_number=disbursement.payee_id_number,
        payee_account=disbursement.payee_account,
        beneficiary_id=disbursement.beneficiary_id,
        project_name=disbursement.project_name,
        voucher_no=f"{disbursement.voucher_no}-冲",  # zh-only: stored voucher number
        purpose=f"冲销：{reason}",  # zh-only: stored on the compensating record
        status="pending",
        reverses_id=disbursement.id,
        created_by_id=user.id,
    )
    session.add(compensation)
    set_action(session, f"申请冲销支出 {disbursement.voucher_no}")  # zh-only: stored action
    set_reason(session, reason)
    session.flush()
    return compensation


def reveal_id_number(session, user, disbursement: Disbursement, remote_addr: str | None):
    """The full ID number of a payment's payee, for a role that needs it; every reveal is
    recorded in the access log. Raises ``Forbidden``."""
    if not can_reveal_id_number(session, user, disbursement.region_code):
        raise Forbidden(_("无权查看完整身份证号码"))
    detail = f"支出 #{disbursement.id} 的完整身份证号码"  # zh-only: access-log detail
    log_access(session, "reveal", user=user, remote_addr=remote_addr, detail=detail)
    return disbursement.payee_id_number
