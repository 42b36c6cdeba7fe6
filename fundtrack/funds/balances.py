"""Balances of a fund per region, computed by SQL aggregates over the records.

For every region and fund:
- received       = the budget (at the fund's own region) + approved allocations in
                   − approved recalls of them
- allocated_out  = allocations out, draft and approved (a draft reserves its money)
                   − approved recalls
- disbursed      = disbursements, pending and approved (pending reserves), net of reversals
- available      = received − allocated_out − disbursed; never below zero (conservation)
- spent          = approved disbursements net of reversals, of the region and everything below it
- execution_rate = spent / received
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from fundtrack.core.money import ratio
from fundtrack.regions.operations import ancestors

#: allocation statuses whose money has reached the receiving region
RECEIVED_STATUSES = ("approved", "recalled")
#: allocation statuses whose money has left (or is reserved at) the giving region
OUTGOING_STATUSES = ("draft", "approved", "recalled")
#: disbursement statuses that use money (pending reserves it)
DISBURSED_STATUSES = ("pending", "approved", "reversed")
#: disbursement statuses that count as spent
SPENT_STATUSES = ("approved", "reversed")


@dataclass
class Balance:
    region_code: str
    received_fen: int = 0
    allocated_out_fen: int = 0
    disbursed_fen: int = 0
    spent_fen: int = 0  # of the region and its subtree

    @property
    def available_fen(self) -> int:
        return self.received_fen - self.allocated_out_fen - self.disbursed_fen

    @property
    def execution_rate(self) -> Decimal | None:
        return ratio(self.spent_fen, self.received_fen)


def fund_balances(session, fund) -> dict[str, Balance]:
    """Balances of every region that holds, gives, receives or pays money of ``fund``."""
    from fundtrack.allocations.models import Allocation, AllocationRecall
    from fundtrack.disbursements.models import Disbursement

    balances: dict[str, Balance] = {}

    def at(code: str) -> Balance:
        if code not in balances:
            balances[code] = Balance(code)
        return balances[code]

    at(fund.region_code).received_fen += fund.budget_fen

    rows = session.execute(
        sa.select(Allocation.to_region_code, sa.func.sum(Allocation.amount_fen))
        .where(Allocation.fund_id == fund.id, Allocation.status.in_(RECEIVED_STATUSES))
        .group_by(Allocation.to_region_code)
    )
    for code, total in rows:
        at(code).received_fen += int(total)

    rows = session.execute(
        sa.select(Allocation.from_region_code, sa.func.sum(Allocation.amount_fen))
        .where(Allocation.fund_id == fund.id, Allocation.status.in_(OUTGOING_STATUSES))
        .group_by(Allocation.from_region_code)
    )
    for code, total in rows:
        at(code).allocated_out_fen += int(total)

    rows = session.execute(
        sa.select(
            Allocation.from_region_code,
            Allocation.to_region_code,
            sa.func.sum(AllocationRecall.amount_fen),
        )
        .join(Allocation, AllocationRecall.allocation_id == Allocation.id)
        .where(Allocation.fund_id == fund.id, AllocationRecall.status == "approved")
        .group_by(Allocation.from_region_code, Allocation.to_region_code)
    )
    for giver, receiver, total in rows:
        at(giver).allocated_out_fen -= int(total)
        at(receiver).received_fen -= int(total)

    spent_own: dict[str, int] = defaultdict(int)
    rows = session.execute(
        sa.select(
            Disbursement.region_code,
            sa.func.sum(
                sa.case(
                    (Disbursement.status.in_(DISBURSED_STATUSES), Disbursement.amount_fen),
                    else_=0,
                )
            ),
            sa.func.sum(
                sa.case((Disbursement.status.in_(SPENT_STATUSES), Disbursement.amount_fen), else_=0)
            ),
        )
        .where(Disbursement.fund_id == fund.id)
        .group_by(Disbursement.region_code)
    )
    for code, disbursed, spent in rows:
        at(code).disbursed_fen += int(disbursed or 0)
        spent_own[code] += int(spent or 0)

    # roll what was spent up the tree, so a prefecture's rate covers its counties
    for code, spent in spent_own.items():
        at(code).spent_fen += spent
        for above in ancestors(session, code):
            if above in balances:
                balances[above].spent_fen += spent
    return balances


def region_balance(session, fund, region_code: str) -> Balance:
    return fund_balances(session, fund).get(region_code, Balance(region_code))
