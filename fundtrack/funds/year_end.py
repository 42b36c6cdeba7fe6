"""Year-end close (年度结算): proposed by one person, decided by another.

A maker or checker of the fund's region proposes it with a reason; the fund then stands
still (``closing``: nothing is allocated, paid, recalled or reversed), so the moves a
proposal shows (``year_end_plan``) are exactly the moves its approval writes. A checker of
the region who is not the proposer approves (the moves are written, each naming both
people, and the fund is ``closed``) or rejects it (the fund is ``active`` again and nothing
moved). Operations flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.allocations.operations import recall_for_year_end
from fundtrack.core.errors import (
    Forbidden,
    FundNotActive,
    InvalidTransition,
    SameUserApproval,
    ValidationFailed,
)
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.timeparse import local_today
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds.models import (
    FUND_TRANSITIONS,
    YEAR_END_TRANSITIONS,
    Fund,
    FundCarryOver,
    YearEndClose,
)
from fundtrack.funds.permissions import can_decide_year_end, can_propose_year_end
from fundtrack.ledger.balances import fund_balances
from fundtrack.ledger.checks import lock_balances, lock_fund
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.regions.operations import is_within

#: the policies as the stored audit text names them, in Chinese whatever the reader's language
POLICY_WORDS = {"recall": "逐级收回", "carry_over": "结转下一年度"}  # zh-only: stored


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
    """Drafts, pending payments and proposed reversals that must be decided before a year
    can close."""
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


@dataclass(frozen=True)
class YearEndMove:
    """One move of a year-end close: ``amount_fen`` of ``region_code``'s unspent money,
    recalled through ``allocation`` to the region that gave it, or carried over (no
    allocation) into next year's fund at the same region."""

    region_code: str
    amount_fen: int
    allocation: Allocation | None = None

    @property
    def to_region_code(self) -> str:
        return self.allocation.from_region_code if self.allocation else self.region_code


def year_end_plan(session, fund: Fund, policy: str | None = None) -> list[YearEndMove]:
    """The moves that closing ``fund``'s year would make now, by its year-end policy.

    ``carry_over``: every region's available money, into next year's fund at the same
    region. ``recall``: from the deepest level up, each region's available money goes back
    through the approved allocations it came by (newest first, never more than what of each
    is not yet recalled), so a county's money passes through its prefecture until all of it
    stands at the fund's own region.
    """
    policy = policy or fund.year_end_policy
    balances = fund_balances(session, fund)
    available = {code: balance.available_fen for code, balance in balances.items()}
    if policy == "carry_over":
        return [
            YearEndMove(code, amount) for code, amount in sorted(available.items()) if amount > 0
        ]
    allocations = session.scalars(
        sa.select(Allocation)
        .where(Allocation.fund_id == fund.id, Allocation.status == "approved")
        .order_by(Allocation.id.desc())
    ).all()
    recalled = dict(
        session.execute(
            sa.select(AllocationRecall.allocation_id, sa.func.sum(AllocationRecall.amount_fen))
            .where(
                AllocationRecall.allocation_id.in_([a.id for a in allocations]),
                AllocationRecall.status.in_(("draft", "approved")),
            )
            .group_by(AllocationRecall.allocation_id)
        ).all()
    )
    recallable = {a.id: a.amount_fen - int(recalled.get(a.id, 0)) for a in allocations}
    incoming: dict[str, list[Allocation]] = {}
    for allocation in allocations:
        incoming.setdefault(allocation.to_region_code, []).append(allocation)
    levels = dict(
        session.execute(
            sa.select(Region.code, Region.level).where(Region.code.in_(list(available)))
        ).all()
    )
    moves = []
    for depth in sorted({LEVEL_DEPTH[level] for level in levels.values()}, reverse=True):
        for code in sorted(c for c in levels if LEVEL_DEPTH[levels[c]] == depth):
            if code == fund.region_code:
                continue
            remaining = available.get(code, 0)
            for allocation in incoming.get(code, []):
                if remaining <= 0:
                    break
                take = min(remaining, recallable[allocation.id])
                if take <= 0:
                    continue
                moves.append(YearEndMove(code, take, allocation))
                recallable[allocation.id] -= take
                available[allocation.from_region_code] = (
                    available.get(allocation.from_region_code, 0) + take
                )
                remaining -= take
    return moves


def close_moves(session, closing: YearEndClose) -> list[YearEndMove]:
    """What a close moves: while proposed, the plan (the fund stands still, so it is what an
    approval would write); once approved, the recalls and carry-overs it wrote; nothing
    when rejected."""
    if closing.status == "proposed":
        return year_end_plan(session, closing.fund, closing.policy)
    if closing.status != "approved":
        return []
    recalls = session.scalars(
        sa.select(AllocationRecall)
        .where(AllocationRecall.year_end_close_id == closing.id)
        .options(sa.orm.selectinload(AllocationRecall.allocation))
        .order_by(AllocationRecall.id)
    ).all()
    carried = session.scalars(
        sa.select(FundCarryOver)
        .where(FundCarryOver.year_end_close_id == closing.id)
        .order_by(FundCarryOver.id)
    ).all()
    return [
        *(YearEndMove(r.allocation.to_region_code, r.amount_fen, r.allocation) for r in recalls),
        *(YearEndMove(c.region_code, c.amount_fen) for c in carried),
    ]


def close_moves_seen_by(session, user, closing: YearEndClose) -> list[YearEndMove]:
    """``close_moves`` of the money of ``user``'s subtree: whoever may see a close sees the
    moves of the regions whose balances they see, as on the fund's page (a county its own,
    not every other county's)."""
    return [
        move
        for move in close_moves(session, closing)
        if is_within(session, move.region_code, user.region_code)
    ]


def _require_settled(session, fund: Fund) -> None:
    open_records = unsettled_records(session, fund)
    if open_records:
        raise InvalidTransition(
            _(
                "尚有未办结的记录，请先审批或撤销：%(records)s",
                records=_("、").join(open_records[:20]),
            ),
            unsettled=open_records,
        )


def propose_year_end(session, user, fund: Fund, reason: str) -> YearEndClose:
    """Propose closing ``fund``'s year; the fund stands still until a second person decides.

    Raises ``Forbidden`` (a maker or checker of the fund's region), ``ReasonRequired``,
    ``InvalidTransition`` (not active, or drafts, pending payments or proposed reversals
    still open, listed in ``details.unsettled``) and ``ValidationFailed`` (no fund to carry
    over into).
    """
    if not can_propose_year_end(session, user, fund):
        raise Forbidden(_("只有资金所属地区的财务人员可以申请年度结算"))
    reason = require_reason(reason)
    FUND_TRANSITIONS.target(fund.status, "propose_close")
    lock_fund(session, fund)
    _require_settled(session, fund)
    target = None
    if fund.year_end_policy == "carry_over":
        target = next_year_fund(session, fund)
        if target is None:
            raise ValidationFailed(
                _("没有 %(year)s 年度执行中的同类资金，无法结转", year=fund.fiscal_year + 1),
                fields={"year_end_policy": [_("没有可结转的下一年度同类资金")]},
            )
    closing = YearEndClose(
        fund_id=fund.id,
        policy=fund.year_end_policy,
        to_fund_id=target.id if target else None,
        reason=reason,
        created_by_id=user.id,
    )
    session.add(closing)
    FUND_TRANSITIONS.apply(fund, "propose_close")
    policy = POLICY_WORDS[fund.year_end_policy]
    set_action(session, f"申请年度结算 {fund.code}（{policy}）")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return closing


def _lock_next_year(session, closing: YearEndClose, plan: list[YearEndMove]) -> None:
    """Hold next year's fund as any movement into it does (its row shared, so it cannot be
    closed meanwhile, and the balance rows the carry-over credits, in key order) and refuse
    unless it is still active."""
    try:
        if closing.to_fund is None:
            raise FundNotActive(fund_status=None)
        lock_balances(session, closing.to_fund, sorted({move.region_code for move in plan}))
    except FundNotActive as exc:
        raise ValidationFailed(
            _("结转的下一年度资金已不在执行中，无法结转；请退回该申请"),
            fields={"to_fund_id": [_("下一年度资金不在执行中")]},
        ) from exc


def approve_year_end(session, user, closing: YearEndClose, reason: str | None = None) -> Fund:
    """Approve a proposed close: write its moves (each proposed by the close's proposer and
    approved by ``user``) and close the fund. A checker of the fund's region, never the
    proposer; ``reason`` is the approver's opinion.

    Raises ``SameUserApproval``, ``Forbidden``, ``InvalidTransition``, ``ReasonRequired``
    (too long) and ``ValidationFailed`` (next year's fund is no longer active).
    """
    fund = closing.fund
    if closing.created_by_id == user.id:
        raise SameUserApproval(_("申请年度结算的人员不能审批自己的申请"))
    if not can_decide_year_end(session, user, fund):
        raise Forbidden(_("只有资金所属地区的财务审批人员可以审批年度结算"))
    opinion = optional_reason(reason)
    YEAR_END_TRANSITIONS.target(closing.status, "approve")
    lock_fund(session, fund, status="closing")
    _require_settled(session, fund)
    plan = year_end_plan(session, fund, closing.policy)
    if closing.policy == "carry_over":
        _lock_next_year(session, closing, plan)
    today = local_today()
    YEAR_END_TRANSITIONS.apply(closing, "approve")
    closing.decided_by_id = user.id
    closing.decided_at = utcnow()
    closing.closed_on = today
    session.flush()
    for move in plan:
        if move.allocation is None:
            session.add(
                FundCarryOver(
                    from_fund_id=fund.id,
                    to_fund_id=closing.to_fund_id,
                    region_code=move.region_code,
                    amount_fen=move.amount_fen,
                    reason=closing.reason,
                    created_by_id=closing.created_by_id,
                    approved_by_id=user.id,
                    year_end_close_id=closing.id,
                )
            )
        else:
            recall_for_year_end(
                session,
                move.allocation,
                move.amount_fen,
                reason=closing.reason,
                proposer_id=closing.created_by_id,
                approver=user,
                recalled_on=today,
                year_end_close_id=closing.id,
            )
    FUND_TRANSITIONS.apply(fund, "close")
    set_action(session, f"审批年度结算 {fund.code}：{closing.reason}")  # zh-only: stored
    set_reason(session, opinion)
    session.flush()
    return fund


def reject_year_end(session, user, closing: YearEndClose, reason: str) -> YearEndClose:
    """Refuse (a checker of the region) or withdraw (its proposer) a proposed close, with a
    reason: nothing moved, and the fund is ``active`` again. Raises ``Forbidden``,
    ``ReasonRequired``, ``InvalidTransition``."""
    fund = closing.fund
    if not (can_decide_year_end(session, user, fund) or closing.created_by_id == user.id):
        raise Forbidden(_("只有资金所属地区的财务审批人员或申请人可以退回年度结算申请"))
    reason = require_reason(reason)
    YEAR_END_TRANSITIONS.apply(closing, "reject")
    closing.decided_by_id = user.id
    closing.decided_at = utcnow()
    FUND_TRANSITIONS.apply(fund, "reopen")
    set_action(session, f"退回年度结算申请 {fund.code}")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return closing
