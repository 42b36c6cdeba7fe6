"""Allocation and recall rules. Operations flush but never commit.

Conservation: for every region and fund, allocated out (draft and approved) + disbursed
(pending and approved) never exceeds what the region received. Every operation that moves
money locks the balance rows of the regions it touches first (``ledger.checks.lock_balances``)
and checks the kept balance after it, in the transaction that writes; the rows' CHECK is the
database's own refusal underneath.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from fundtrack.allocations.models import (
    ALLOCATION_TRANSITIONS,
    RECALL_TRANSITIONS,
    Allocation,
    AllocationRecall,
)
from fundtrack.allocations.permissions import (
    can_approve_allocation,
    can_cancel_allocation,
    can_create_allocation,
    can_override_evaluation_gate,
    can_recall_allocation,
)
from fundtrack.core.errors import (
    EvaluationRequired,
    Forbidden,
    InsufficientFunds,
    InvalidTransition,
    SameUserApproval,
    ValidationFailed,
)
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.money import yuan_str
from fundtrack.core.reasons import optional_reason, require_reason
from fundtrack.core.timeparse import local_today
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.evaluations.operations import evaluation_gate
from fundtrack.funds.models import Fund
from fundtrack.ledger.checks import batch_get, flush_write, lock_balances, require_available
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.regions.operations import is_within

MAX_DOCUMENT_NO = 64


def _check_receiver(session, giver: str, receiver_code: str | None, field: str) -> dict:
    receiver = batch_get(session, Region, receiver_code or "")  # an import reads it once
    if receiver is None:
        return {field: [_("接收地区不存在")]}
    if receiver.code == giver or not is_within(session, receiver.code, giver):
        return {field: [_("只能下达给本地区的下级地区")]}
    if LEVEL_DEPTH[receiver.level] > LEVEL_DEPTH["county"]:
        return {field: [_("资金不能直接下达到县级以下（不搞撒胡椒面）")]}
    return {}


def _check_document_no(document_no: str | None, required: bool = True) -> dict:
    document_no = (document_no or "").strip()
    if (required and not document_no) or len(document_no) > MAX_DOCUMENT_NO:
        return {
            "document_no": [
                _("文号不能为空，且不超过 %(max)s 个字符", max=MAX_DOCUMENT_NO),
            ]
        }
    return {}


def create_allocation(
    session,
    user,
    *,
    fund,
    from_region_code: str,
    to_region_code: str,
    amount_fen: int,
    document_no: str,
    reason: str = "",
) -> Allocation:
    """Prepare (draft) an allocation; the draft reserves its money at the giving region.

    Invariants: the receiver lies below the giver and is a prefecture or county; the
    giver's allocated out + disbursed never exceeds what it received. Raises ``Forbidden``,
    ``ValidationFailed``, ``InvalidTransition`` (fund not active) or ``InsufficientFunds``.
    """
    if not can_create_allocation(session, user, from_region_code):
        raise Forbidden(_("只能由本地区的财务经办人员下达本地区的资金"))
    fields = {
        **_check_receiver(session, from_region_code, to_region_code, "to_region"),
        **_check_document_no(document_no),
    }
    if len(reason or "") > 2000:
        fields["reason"] = [_("事由不超过 2000 个字符")]
    if fields:
        raise ValidationFailed(fields=fields)
    lock_balances(session, fund, (from_region_code, to_region_code))
    require_available(session, fund, from_region_code, amount_fen)
    allocation = Allocation(
        fund_id=fund.id,
        from_region_code=from_region_code,
        to_region_code=to_region_code,
        amount_fen=amount_fen,
        document_no=document_no.strip(),
        reason=(reason or "").strip(),
        created_by_id=user.id,
    )
    session.add(allocation)
    set_action(session, f"下达资金 {document_no.strip()}")  # zh-only: stored audit action
    set_reason(session, reason)
    flush_write(session)
    return allocation


def _evaluation_override(
    session, user, allocation: Allocation, to_region_code: str, reason: str | None
):
    """The gate on money into ``to_region_code`` (``evaluations.evaluation_gate``), for every
    approval that makes a region receive money (an allocation, a redistribution): None when
    it is open, else the override reason of a provincial checker, which the approval keeps.
    Raises ``EvaluationRequired`` (no reason given) or ``Forbidden`` (not a provincial
    checker)."""
    problems = evaluation_gate(session, allocation.fund, to_region_code)
    if not problems:
        return None
    override = (reason or "").strip()
    if not override:
        raise _evaluation_required(problems)
    if not can_override_evaluation_gate(session, user, allocation):
        raise Forbidden(_("只有省级财务审批人员可以在绩效评价未通过时例外下达"))
    return require_reason(override)


def _evaluation_required(problems: list[str]) -> EvaluationRequired:
    return EvaluationRequired(
        _(
            "%(problems)s。如确需下达，须由省级审批人员填写例外理由",
            problems=_("；").join(str(p) for p in problems),
        ),
        problems=[str(p) for p in problems],
    )


def refuse_ungated(session, flush_context=None, instances=None) -> None:
    """``before_flush``: an allocation that becomes approved in this flush (new as approved,
    as a redistribution is, or moved to approved) passes the evaluation gate or carries a
    provincial checker's override reason. The operations check it first, with the override
    rules; this is the net under them, so that an operation written tomorrow that makes a
    region receive money cannot skip the gate (``EvaluationRequired``)."""
    new = session.new
    for obj in (*new, *session.dirty):
        if not isinstance(obj, Allocation) or obj.status != "approved":
            continue
        if obj.evaluation_override_reason:
            continue
        if obj not in new:
            changed = sa.inspect(obj).attrs.status.history
            if not changed.deleted or changed.deleted[0] == "approved":
                continue
        with session.no_autoflush:
            fund = obj.fund or session.get(Fund, obj.fund_id)
            problems = evaluation_gate(session, fund, obj.to_region_code)
        if problems:
            raise _evaluation_required(problems)


def _override_note(override: str | None) -> str:
    """What an approval's audit action adds for an override of the evaluation gate."""
    return f"（绩效评价例外：{override}）" if override else ""  # zh-only: stored audit action


def _business_date(given: date | None, earliest: date, refusal) -> date:
    """An approval's business date: ``given`` (today when None) if it lies between
    ``earliest`` and today; else ``ValidationFailed`` on ``approved_on`` (the field of the
    API's body) with the message ``refusal(earliest, today)`` (ISO dates)."""
    today = local_today()
    if given is None:
        return today
    if not (earliest <= given <= today):
        message = refusal(earliest.isoformat(), today.isoformat())
        raise ValidationFailed(message, fields={"approved_on": [message]})
    return given


def _approval_date(fund, approved_on: date | None) -> date:
    """A paper approval may be recorded later, and a year's money may be issued in advance
    (提前下达) from the year before, but never in the future."""
    return _business_date(
        approved_on,
        date(fund.fiscal_year - 1, 1, 1),
        lambda earliest, today: _(
            "审批日期须在 %(earliest)s 与今天 %(today)s 之间", earliest=earliest, today=today
        ),
    )


def approve_allocation(
    session,
    user,
    allocation: Allocation,
    approved_on: date | None = None,
    evaluation_override_reason: str | None = None,
    reason: str | None = None,
):
    """Approve a draft: a checker over the giving region, never the maker; ``reason`` is the
    approver's opinion (审批意见), kept as the transaction's reason.

    A receiver that got money of this fund's kind last year needs an approved evaluation
    of it not graded 差 (``EvaluationRequired``), unless a provincial approver overrides with
    a reason, which the history keeps. Raises ``SameUserApproval``, ``Forbidden``,
    ``InvalidTransition``, ``ReasonRequired`` (too long) or ``EvaluationRequired``.
    """
    if allocation.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_allocation(session, user, allocation):
        raise Forbidden(_("没有审批该地区资金下达的权限"))
    opinion = optional_reason(reason)
    ALLOCATION_TRANSITIONS.target(allocation.status, "approve")
    approved_on = _approval_date(allocation.fund, approved_on)
    lock_balances(
        session, allocation.fund, (allocation.from_region_code, allocation.to_region_code)
    )
    override = _evaluation_override(
        session, user, allocation, allocation.to_region_code, evaluation_override_reason
    )
    allocation.evaluation_override_reason = override
    ALLOCATION_TRANSITIONS.apply(allocation, "approve")
    allocation.approved_by_id = user.id
    allocation.approved_at = utcnow()
    allocation.approved_on = approved_on
    action = f"审批资金下达 {allocation.document_no}"  # zh-only: stored audit action
    set_action(session, action + _override_note(override))
    set_reason(session, opinion)
    session.flush()
    return allocation


def cancel_allocation(session, user, allocation: Allocation, reason: str) -> Allocation:
    """Cancel a draft; its reserved money is free again. A reason is required."""
    if not can_cancel_allocation(session, user, allocation):
        raise Forbidden(_("没有撤销该资金下达的权限"))
    reason = require_reason(reason)
    ALLOCATION_TRANSITIONS.apply(allocation, "cancel")
    set_action(session, f"撤销资金下达草稿 {allocation.document_no}")  # zh-only: stored
    set_reason(session, reason)
    session.flush()
    return allocation


def _recalls_fen(session, allocation: Allocation, statuses: tuple[str, ...]) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(AllocationRecall.amount_fen), 0)).where(
                AllocationRecall.allocation_id == allocation.id,
                AllocationRecall.status.in_(statuses),
            )
        )
    )


def recallable_fen(session, allocation: Allocation) -> int:
    """What of an approved allocation is not yet recalled nor being recalled."""
    return allocation.amount_fen - _recalls_fen(session, allocation, ("draft", "approved"))


def recalled_fen(session, allocation: Allocation) -> int:
    """What of an allocation has been recalled (approved recalls)."""
    return _recalls_fen(session, allocation, ("approved",))


def create_recall(
    session,
    user,
    allocation: Allocation,
    *,
    amount_fen: int,
    reason: str,
    document_no: str = "",
    redistribute_to_code: str | None = None,
) -> AllocationRecall:
    """Prepare the recall (收回) of part or all of an approved allocation.

    The draft reserves the money at the receiver at once; it returns to the giver when a
    checker approves. With ``redistribute_to_code`` it is a redistribution (调剂) and the money
    goes on to that region, as a new allocation, when approved.

    Invariants: never more than the allocation's unrecalled amount, nor than the receiver
    has available. Raises ``Forbidden``, ``ReasonRequired``, ``ValidationFailed``,
    ``InvalidTransition`` or ``InsufficientFunds``.
    """
    if not can_recall_allocation(session, user, allocation):
        raise Forbidden(_("只能由下达地区的财务经办人员收回资金"))
    reason = require_reason(reason)
    if allocation.status != "approved":
        raise InvalidTransition(
            _(
                "只能收回已审批的资金下达（当前状态：%(status)s）",
                status=allocation.status_label,
            ),
            status=allocation.status,
            action="recall",
        )
    fields = _check_document_no(document_no, required=False)
    if redistribute_to_code is not None:
        fields.update(
            _check_receiver(
                session, allocation.from_region_code, redistribute_to_code, "redistribute_to"
            )
        )
        if redistribute_to_code == allocation.to_region_code:
            fields["redistribute_to"] = [_("调剂的接收地区不能是被收回的地区")]
    if fields:
        raise ValidationFailed(fields=fields)
    lock_balances(
        session, allocation.fund, (allocation.from_region_code, allocation.to_region_code)
    )
    remaining = recallable_fen(session, allocation)
    if amount_fen > remaining:
        raise InsufficientFunds(
            _("收回金额超过该笔下达尚未收回的 %(amount)s 元", amount=yuan_str(remaining)),
            recallable=yuan_str(remaining),
            requested=yuan_str(amount_fen),
        )
    require_available(session, allocation.fund, allocation.to_region_code, amount_fen)
    recall = AllocationRecall(
        allocation_id=allocation.id,
        amount_fen=amount_fen,
        reason=reason,
        document_no=(document_no or "").strip(),
        redistribute_to_code=redistribute_to_code,
        created_by_id=user.id,
    )
    session.add(recall)
    action = "申请资金调剂" if redistribute_to_code else "申请收回资金"  # zh-only: stored
    set_action(session, f"{action} {allocation.document_no}")
    set_reason(session, reason)
    session.flush()
    return recall


def _recall_date(allocation: Allocation, recalled_on: date | None) -> date:
    """Not before the allocation's approval, not in the future."""
    return _business_date(
        recalled_on,
        allocation.approved_on or date(allocation.fund.fiscal_year - 1, 1, 1),
        lambda earliest, today: _(
            "收回日期须在下达审批日期 %(earliest)s 与今天 %(today)s 之间",
            earliest=earliest,
            today=today,
        ),
    )


def approve_recall(
    session,
    user,
    recall: AllocationRecall,
    recalled_on: date | None = None,
    reason: str | None = None,
    evaluation_override_reason: str | None = None,
):
    """Approve a recall: the money returns to the giver (or, for a redistribution, goes on
    as a new approved allocation prepared by the recall's maker and approved by this
    checker, through the same evaluation gate as any allocation). A fully recalled
    allocation becomes ``recalled``. ``reason`` is the approver's opinion; ``recalled_on``
    lies between the allocation's approval and today. Raises ``SameUserApproval``,
    ``Forbidden``, ``InvalidTransition``, ``ReasonRequired`` (too long),
    ``ValidationFailed`` or ``EvaluationRequired``."""
    allocation = recall.allocation
    if recall.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_allocation(session, user, allocation):
        raise Forbidden(_("没有审批该地区资金收回的权限"))
    opinion = optional_reason(reason)
    RECALL_TRANSITIONS.target(recall.status, "approve")
    recalled_on = _recall_date(allocation, recalled_on)
    # a redistribution also moves money into a third region: its row in the same key order
    regions = (allocation.from_region_code, allocation.to_region_code)
    lock_balances(
        session, allocation.fund, (*regions, *filter(None, [recall.redistribute_to_code]))
    )
    override = None
    if recall.redistribute_to_code:
        override = _evaluation_override(
            session, user, allocation, recall.redistribute_to_code, evaluation_override_reason
        )
    RECALL_TRANSITIONS.apply(recall, "approve")
    recall.approved_by_id = user.id
    recall.approved_at = utcnow()
    recall.recalled_on = recalled_on
    session.flush()
    _mark_if_fully_recalled(session, allocation)
    if recall.redistribute_to_code:
        onward = Allocation(
            fund_id=allocation.fund_id,
            from_region_code=allocation.from_region_code,
            to_region_code=recall.redistribute_to_code,
            amount_fen=recall.amount_fen,
            document_no=recall.document_no or allocation.document_no,
            reason=f"调剂：{recall.reason}",  # zh-only: stored on the new allocation
            created_by_id=recall.created_by_id,
            status="approved",
            approved_by_id=user.id,
            approved_at=recall.approved_at,
            approved_on=recall.recalled_on,
            evaluation_override_reason=override,
        )
        session.add(onward)
        session.flush()
        recall.redistributed_as_id = onward.id
    action = "审批资金调剂" if recall.redistribute_to_code else "审批资金收回"  # zh-only: stored
    action = f"{action} {allocation.document_no}（{recall.reason}）"  # zh-only: stored
    set_action(session, action + _override_note(override))
    set_reason(session, opinion)
    session.flush()
    return recall


def _mark_if_fully_recalled(session, allocation: Allocation) -> None:
    if recalled_fen(session, allocation) == allocation.amount_fen:
        ALLOCATION_TRANSITIONS.apply(allocation, "recall_all")


def recall_for_year_end(
    session,
    allocation: Allocation,
    amount_fen: int,
    *,
    reason: str,
    proposer_id: int,
    approver,
    recalled_on: date,
    year_end_close_id: int,
) -> AllocationRecall:
    """The approved recall of an approved year-end close (年度结算收回): proposed by the close's
    proposer, approved by its approver, on the close's date. Only ``approve_year_end`` calls
    it, after its own checks (the fund stands still while the close awaits its decision)."""
    recall = AllocationRecall(
        allocation_id=allocation.id,
        amount_fen=amount_fen,
        reason=f"年度结算收回：{reason}",  # zh-only: stored reason
        status="approved",
        recalled_on=recalled_on,
        created_by_id=proposer_id,
        approved_by_id=approver.id,
        approved_at=utcnow(),
        year_end_close_id=year_end_close_id,
    )
    session.add(recall)
    session.flush()
    _mark_if_fully_recalled(session, allocation)
    return recall


def cancel_recall(session, user, recall: AllocationRecall, reason: str) -> AllocationRecall:
    """Cancel a draft recall; the reserved money is the receiver's again."""
    if not can_cancel_allocation(session, user, recall.allocation):
        raise Forbidden(_("没有撤销该资金收回的权限"))
    reason = require_reason(reason)
    RECALL_TRANSITIONS.apply(recall, "cancel")
    set_action(session, f"撤销资金收回草稿 #{recall.id}")  # zh-only: stored audit action
    set_reason(session, reason)
    session.flush()
    return recall
