"""Rules for funds, earmarks and budget lines. Operations flush but never commit."""

from __future__ import annotations

import re

import sqlalchemy as sa

from fundtrack.core.errors import Conflict, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.versioning import set_reason
from fundtrack.funds.models import (
    FUND_TRANSITIONS,
    YEAR_END_POLICIES,
    BudgetLine,
    ExpenditureCategory,
    Fund,
    FundCarryOver,
    FundEarmark,
    FundKind,
)
from fundtrack.funds.permissions import can_close_fund_year
from fundtrack.regions.models import Region

FUND_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_YEAR, MAX_YEAR = 2000, 2100


def itemised_fen(session, budget_line: BudgetLine) -> int:
    """What the funds of a budget line itemise (SQL sum)."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Fund.budget_fen), 0)).where(
                Fund.budget_line_id == budget_line.id
            )
        )
    )


def unitemised_fen(session, budget_line: BudgetLine) -> int:
    """The part of a budget line that no fund itemises: shown, never invented or lost."""
    return budget_line.total_fen - itemised_fen(session, budget_line)


def budget_lines_within(session, region_code: str) -> list[tuple[BudgetLine, int, int]]:
    """(line, itemised fen, unitemised fen) of the budget lines of ``region_code``'s subtree,
    newest year first; what the funds itemise is summed in one grouped query."""
    from fundtrack.regions.operations import subtree_codes

    lines = session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.region_code.in_(subtree_codes(session, region_code)))
        .order_by(BudgetLine.fiscal_year.desc(), BudgetLine.id)
    ).all()
    itemised = dict(
        session.execute(
            sa.select(Fund.budget_line_id, sa.func.sum(Fund.budget_fen))
            .where(Fund.budget_line_id.in_([line.id for line in lines]))
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
    created_by_id: int | None = None,
    year_end_policy: str = "recall",
    activate: bool = True,
) -> Fund:
    """Create a special fund with its earmark.

    Invariants: the earmark is non-empty and holds only earmarkable categories (running
    costs such as 办公费 can never be earmarked); the funds of a budget line never itemise more
    than its total. Raises ``ValidationFailed`` (with per-field messages) or ``Conflict``.
    """
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
        created_by_id=created_by_id,
        year_end_policy=year_end_policy,
        earmarks=[FundEarmark(category_code=c) for c in codes],
    )
    session.add(fund)
    session.flush()
    if activate:
        FUND_TRANSITIONS.apply(fund, "activate")
    set_reason(session, f"新建专项资金 {code}")  # zh-only: stored audit reason
    session.flush()
    return fund


def next_year_fund(session, fund: Fund) -> Fund | None:
    """The active fund of the same kind and region in the following year, if there is one."""
    return session.scalar(
        sa.select(Fund)
        .where(
            Fund.kind_code == fund.kind_code,
            Fund.region_code == fund.region_code,
            Fund.fiscal_year == fund.fiscal_year + 1,
            Fund.status == "active",
        )
        .order_by(Fund.id)
        .limit(1)
    )


def unsettled_records(session, fund: Fund) -> list[str]:
    """Drafts and pending payments that must be decided before a year can close."""
    from fundtrack.allocations.models import Allocation, AllocationRecall
    from fundtrack.disbursements.models import Disbursement

    found = []
    for label, stmt in (
        (
            _("资金下达草稿 #%(id)s"),
            sa.select(Allocation.id).where(
                Allocation.fund_id == fund.id, Allocation.status == "draft"
            ),
        ),
        (
            _("资金收回草稿 #%(id)s"),
            sa.select(AllocationRecall.id)
            .join(Allocation, AllocationRecall.allocation_id == Allocation.id)
            .where(Allocation.fund_id == fund.id, AllocationRecall.status == "draft"),
        ),
        (
            _("待审批支出 #%(id)s"),
            sa.select(Disbursement.id).where(
                Disbursement.fund_id == fund.id, Disbursement.status == "pending"
            ),
        ),
    ):
        found.extend(label % {"id": record_id} for record_id in session.scalars(stmt))
    return found


def close_fund_year(session, user, fund: Fund, reason: str) -> Fund:
    """Close a fund's year (年度结算) and settle every unspent balance as the fund says.

    ``recall``: from the counties up, each region's available money is recalled through the
    allocations it came by, until it all stands at the fund's own region. ``carry_over``:
    each region's available money moves into next year's fund of the same kind, at the same
    region (结转). Every move is a record with the reason; the fund becomes ``closed`` and no
    more money moves in it.

    Raises ``Forbidden`` (only a checker of the fund's region), ``ReasonRequired``,
    ``InvalidTransition`` (not active, or drafts and pending payments still open, listed in
    ``details.unsettled``) and ``ValidationFailed`` (no fund to carry over into).
    """
    from datetime import date

    from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, Allocation, AllocationRecall
    from fundtrack.allocations.operations import recallable_fen, recalled_fen
    from fundtrack.core.errors import Forbidden, InvalidTransition
    from fundtrack.core.ledger import lock_fund, require_reason
    from fundtrack.core.models import utcnow
    from fundtrack.funds.balances import fund_balances
    from fundtrack.regions.models import LEVEL_DEPTH, Region

    if not can_close_fund_year(session, user, fund):
        raise Forbidden(_("只有资金所属地区的财务审批人员可以办理年度结算"))
    reason = require_reason(reason)
    FUND_TRANSITIONS.target(fund.status, "close")
    lock_fund(session, fund)
    open_records = unsettled_records(session, fund)
    if open_records:
        raise InvalidTransition(
            _(
                "尚有未办结的记录，请先审批或撤销：%(records)s",
                records=_("、").join(open_records[:20]),
            ),
            unsettled=open_records,
        )
    target = None
    if fund.year_end_policy == "carry_over":
        target = next_year_fund(session, fund)
        if target is None:
            raise ValidationFailed(
                _("没有 %(year)s 年度执行中的同类资金，无法结转", year=fund.fiscal_year + 1),
                fields={"year_end_policy": [_("没有可结转的下一年度同类资金")]},
            )
    now, today = utcnow(), date.today()
    levels = dict(session.execute(sa.select(Region.code, Region.level)).all())

    if target is not None:
        for code, balance in sorted(fund_balances(session, fund).items()):
            if balance.available_fen > 0:
                session.add(
                    FundCarryOver(
                        from_fund_id=fund.id,
                        to_fund_id=target.id,
                        region_code=code,
                        amount_fen=balance.available_fen,
                        reason=reason,
                        created_by_id=user.id,
                    )
                )
    else:
        # deepest level first, so that a county's money passes through its prefecture
        for depth in sorted({LEVEL_DEPTH[level] for level in levels.values()}, reverse=True):
            balances = fund_balances(session, fund)
            for code, balance in sorted(balances.items()):
                if code == fund.region_code or LEVEL_DEPTH[levels[code]] != depth:
                    continue
                remaining = balance.available_fen
                incoming = session.scalars(
                    sa.select(Allocation)
                    .where(
                        Allocation.fund_id == fund.id,
                        Allocation.to_region_code == code,
                        Allocation.status == "approved",
                    )
                    .order_by(Allocation.id.desc())
                ).all()
                for allocation in incoming:
                    if remaining <= 0:
                        break
                    take = min(remaining, recallable_fen(session, allocation))
                    if take <= 0:
                        continue
                    session.add(
                        AllocationRecall(
                            allocation_id=allocation.id,
                            amount_fen=take,
                            reason=f"年度结算收回：{reason}",  # zh-only: stored reason
                            status="approved",
                            recalled_on=today,
                            created_by_id=user.id,
                            approved_by_id=user.id,
                            approved_at=now,
                        )
                    )
                    session.flush()
                    if recalled_fen(session, allocation) == allocation.amount_fen:
                        ALLOCATION_TRANSITIONS.apply(allocation, "recall_all")
                    remaining -= take
            session.flush()
    FUND_TRANSITIONS.apply(fund, "close")
    set_reason(session, f"年度结算：{reason}")  # zh-only: stored audit reason
    session.flush()
    return fund
