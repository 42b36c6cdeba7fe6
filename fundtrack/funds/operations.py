"""Rules for funds, earmarks and budget lines. Operations flush but never commit."""

from __future__ import annotations

import re

import sqlalchemy as sa

from fundtrack.core.errors import Conflict, Forbidden, SameUserApproval, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.money import yuan_str
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.funds.models import (
    FUND_TRANSITIONS,
    YEAR_END_POLICIES,
    BudgetLine,
    ExpenditureCategory,
    Fund,
    FundEarmark,
    FundKind,
)
from fundtrack.funds.permissions import can_approve_fund, can_cancel_fund, can_create_fund
from fundtrack.regions.models import Region
from fundtrack.regions.operations import in_subtree

FUND_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_YEAR, MAX_YEAR = 2000, 2100


#: fund statuses whose budget takes its part of a budget line (a draft reserves it)
ITEMISING_STATUSES = ("draft", "active", "closing", "closed")


def itemised_fen(session, budget_line: BudgetLine) -> int:
    """What the funds of a budget line itemise (SQL sum; cancelled funds itemise nothing)."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Fund.budget_fen), 0)).where(
                Fund.budget_line_id == budget_line.id, Fund.status.in_(ITEMISING_STATUSES)
            )
        )
    )


def unitemised_fen(session, budget_line: BudgetLine) -> int:
    """The part of a budget line that no fund itemises: shown, never invented or lost."""
    return budget_line.total_fen - itemised_fen(session, budget_line)


def budget_lines_within(session, region_code: str) -> list[tuple[BudgetLine, int, int]]:
    """(line, itemised fen, unitemised fen) of the budget lines of ``region_code``'s subtree,
    newest year first; what the funds itemise is summed in one grouped query."""
    lines = session.scalars(
        sa.select(BudgetLine)
        .where(in_subtree(session, BudgetLine.region_code, region_code))
        .order_by(BudgetLine.fiscal_year.desc(), BudgetLine.id)
    ).all()
    itemised = dict(
        session.execute(
            sa.select(Fund.budget_line_id, sa.func.sum(Fund.budget_fen))
            .where(
                Fund.budget_line_id.in_([line.id for line in lines]),
                Fund.status.in_(ITEMISING_STATUSES),
            )
            .group_by(Fund.budget_line_id)
        ).all()
    )
    return [
        (line, int(itemised.get(line.id, 0)), line.total_fen - int(itemised.get(line.id, 0)))
        for line in lines
    ]


def create_budget_line(
    session,
    *,
    fiscal_year: int,
    region_code: str,
    name: str,
    total_fen: int,
    source: str = "",
    note: str = "",
) -> BudgetLine:
    line = BudgetLine(
        fiscal_year=fiscal_year,
        region_code=region_code,
        name=name,
        total_fen=total_fen,
        source=source,
        note=note,
    )
    session.add(line)
    session.flush()
    return line


def create_fund(
    session,
    user,
    *,
    code: str,
    name: str,
    kind_code: str,
    fiscal_year: int,
    region_code: str,
    budget_fen: int,
    earmarked_categories: list[str],
    source: str = "",
    budget_line_id: int | None = None,
    year_end_policy: str = "recall",
) -> Fund:
    """Propose a special fund with its budget and earmark: a ``draft`` that moves no money
    until a checker who is not its maker approves it (``approve_fund``).

    Invariants: the earmark is non-empty and holds only earmarkable categories (running
    costs such as 办公费 can never be earmarked); the funds of a budget line (drafts
    included) never itemise more than its total. Raises ``Forbidden`` (a maker of the
    region creates its funds), ``ValidationFailed`` (with per-field messages) or
    ``Conflict``.
    """
    if not can_create_fund(session, user, region_code):
        raise Forbidden(_("只能由本地区的财务经办人员创建本地区的专项资金"))
    fields: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not FUND_CODE_RE.match(code):
        fields["code"] = [_("编号须为 2–32 位字母、数字、点、下划线或连字符")]
    if not name or len(name) > 128:
        fields["name"] = [_("名称不能为空，且不超过 128 个字符")]
    if session.get(FundKind, kind_code or "") is None:
        fields["kind"] = [_("资金类别不存在")]
    if not (MIN_YEAR <= fiscal_year <= MAX_YEAR):
        fields["fiscal_year"] = [
            _("年度须在 %(first)s–%(last)s 之间", first=MIN_YEAR, last=MAX_YEAR)
        ]
    if session.get(Region, region_code or "") is None:
        fields["region"] = [_("地区不存在")]
    codes = list(dict.fromkeys(earmarked_categories or []))
    if not codes:
        fields["earmarked_categories"] = [_("至少指定一个专项用途科目")]
    else:
        categories = {
            c.code: c
            for c in session.scalars(
                sa.select(ExpenditureCategory).where(ExpenditureCategory.code.in_(codes))
            )
        }
        unknown = [c for c in codes if c not in categories]
        running = [c for c in codes if c in categories and not categories[c].earmarkable]
        messages = []
        if unknown:
            messages.append(_("科目不存在：%(codes)s", codes=", ".join(unknown)))
        if running:
            names = _("、").join(categories[c].name for c in running)
            messages.append(_("%(names)s属于一般运行经费，专项资金不得列支", names=names))
        if messages:
            fields["earmarked_categories"] = messages
    line = None
    if budget_line_id is not None:
        line = session.get(BudgetLine, budget_line_id)
        if line is None:
            fields["budget_line_id"] = [_("预算项目不存在")]
        elif line.fiscal_year != fiscal_year or line.region_code != region_code:
            fields["budget_line_id"] = [_("预算项目的年度或地区与资金不一致")]
    if year_end_policy not in YEAR_END_POLICIES:
        fields["year_end_policy"] = [
            _("须为 %(choices)s 之一", choices=", ".join(YEAR_END_POLICIES))
        ]
    if fields:
        raise ValidationFailed(fields=fields)
    if session.scalar(sa.select(Fund.id).where(Fund.code == code)) is not None:
        raise Conflict(_("资金编号已存在"), fields={"code": [_("资金编号已存在")]})
    if line is not None:
        # lock the line so two funds cannot both take its last remainder
        session.execute(sa.select(BudgetLine.id).where(BudgetLine.id == line.id).with_for_update())
        remainder = unitemised_fen(session, line)
        if budget_fen > remainder:
            raise ValidationFailed(
                _("资金预算超过预算项目尚未分项的余额"),
                fields={"budget": [_("资金预算超过预算项目尚未分项的余额")]},
                remainder_fen=remainder,
            )
    fund = Fund(
        code=code,
        name=name,
        kind_code=kind_code,
        fiscal_year=fiscal_year,
        region_code=region_code,
        budget_line_id=budget_line_id,
        source=source,
        budget_fen=budget_fen,
        created_by_id=user.id,
        year_end_policy=year_end_policy,
        earmarks=[FundEarmark(category_code=c) for c in codes],
    )
    session.add(fund)
    budget = yuan_str(budget_fen)
    set_action(session, f"新建专项资金 {code}（预算 {budget} 元，待审批）")  # zh-only: stored
    session.flush()
    return fund


def approve_fund(session, user, fund: Fund, reason: str | None = None) -> Fund:
    """Approve a proposed fund: its budget reaches its region and its money can move. A
    checker of the fund's region or above, never its maker; ``reason`` is the approver's
    opinion. Raises ``SameUserApproval``, ``Forbidden``, ``InvalidTransition``,
    ``ReasonRequired`` (too long)."""
    if fund.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_fund(session, user, fund):
        raise Forbidden(_("没有审批该地区专项资金的权限"))
    opinion = optional_reason(reason)
    FUND_TRANSITIONS.apply(fund, "approve")
    fund.approved_by_id = user.id
    fund.approved_at = utcnow()
    budget = yuan_str(fund.budget_fen)
    set_action(session, f"审批专项资金 {fund.code}（预算 {budget} 元）")  # zh-only: stored
    set_reason(session, opinion)
    session.flush()
    return fund


def cancel_fund(session, user, fund: Fund, reason: str) -> Fund:
    """Withdraw (its maker) or refuse (a checker over its region) a proposed fund, with a
    reason: it never receives its budget, and its part of a budget line is free again.
    Raises ``Forbidden``, ``ReasonRequired``, ``InvalidTransition``."""
    if not can_cancel_fund(session, user, fund):
        raise Forbidden(_("没有撤销该专项资金的权限"))
    reason = require_reason(reason)
    FUND_TRANSITIONS.apply(fund, "cancel")
    set_action(session, f"撤销专项资金 {fund.code}")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return fund
