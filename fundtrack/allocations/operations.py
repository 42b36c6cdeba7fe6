"""Allocation rules. Operations flush but never commit."""

from __future__ import annotations

from datetime import date

from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, Allocation
from fundtrack.allocations.permissions import can_approve_allocation, can_create_allocation
from fundtrack.core.errors import Forbidden, SameUserApproval, ValidationFailed
from fundtrack.core.ledger import lock_fund, require_available
from fundtrack.core.models import utcnow
from fundtrack.core.versioning import set_reason
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.regions.operations import is_within


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
        raise Forbidden("只能由本地区的财务经办人员下达本地区的资金")
    receiver = session.get(Region, to_region_code or "")
    fields = {}
    if receiver is None:
        fields["to_region"] = ["接收地区不存在"]
    elif receiver.code == from_region_code or not is_within(
        session, receiver.code, from_region_code
    ):
        fields["to_region"] = ["只能下达给本地区的下级地区"]
    elif LEVEL_DEPTH[receiver.level] > LEVEL_DEPTH["county"]:
        fields["to_region"] = ["资金不能直接下达到县级以下（不搞撒胡椒面）"]
    document_no = (document_no or "").strip()
    if not document_no or len(document_no) > 64:
        fields["document_no"] = ["文号不能为空，且不超过 64 个字符"]
    if fields:
        raise ValidationFailed(fields=fields)
    lock_fund(session, fund)
    require_available(session, fund, from_region_code, amount_fen)
    allocation = Allocation(
        fund_id=fund.id,
        from_region_code=from_region_code,
        to_region_code=to_region_code,
        amount_fen=amount_fen,
        document_no=document_no,
        reason=(reason or "").strip(),
        created_by_id=user.id,
    )
    session.add(allocation)
    set_reason(session, reason or f"下达资金 {document_no}")
    session.flush()
    return allocation


def approve_allocation(session, user, allocation: Allocation, approved_on: date | None = None):
    """Approve a draft: a checker over the giving region, never the maker.

    Raises ``SameUserApproval``, ``Forbidden`` or ``InvalidTransition``.
    """
    if allocation.created_by_id == user.id:
        raise SameUserApproval()
    if not can_approve_allocation(session, user, allocation):
        raise Forbidden("没有审批该地区资金下达的权限")
    ALLOCATION_TRANSITIONS.apply(allocation, "approve")
    allocation.approved_by_id = user.id
    allocation.approved_at = utcnow()
    allocation.approved_on = approved_on or date.today()
    session.flush()
    return allocation
