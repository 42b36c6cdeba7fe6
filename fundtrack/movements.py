"""Every operation that changes a balance, and who proposes and who decides it.

No money moves by one person alone (专项资金“两人经办”): each movement below is a proposal
by one person that takes effect only when a second person decides it. The operations check
it with messages that name the record (``same_user_approval``); the flush guard of
``fundtrack.core.controls`` refuses any effective row whose decider is missing or is its
proposer, whatever wrote it; ``tests/test_two_person.py`` walks this list through the API and
fails when one of them lets its proposer decide, or when a model that feeds a balance is not
in it. README ("Who proposes, who decides") and DESIGN.md describe the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fundtrack.allocations import operations as allocations
from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.disbursements import operations as disbursements
from fundtrack.disbursements.models import Disbursement
from fundtrack.funds import operations as funds
from fundtrack.funds import year_end
from fundtrack.funds.models import Fund, FundCarryOver, YearEndClose


@dataclass(frozen=True)
class Movement:
    """One kind of money movement: its proposal, its decision and its refusal."""

    #: stable name, used by the tests and the documentation
    name: str
    #: what it is called on the pages (zh: the list is documentation, not a page)
    label: str
    #: the records whose rows feed a balance once the decision is made
    models: tuple[type, ...]
    #: the operation that proposes (nothing moves yet)
    propose: Callable
    #: the operation that decides (the money moves); refuses the proposer
    decide: Callable
    #: the operation that refuses or withdraws the proposal (nothing moved)
    refuse: Callable
    #: who may propose and who may decide, in words
    proposer: str
    decider: str
    #: the API routes of the proposal and of the decision
    propose_route: str
    decide_route: str


MONEY_MOVEMENTS: tuple[Movement, ...] = (
    Movement(
        "fund_budget",
        "专项资金预算（资金到达本级）",
        (Fund,),
        funds.create_fund,
        funds.approve_fund,
        funds.cancel_fund,
        "本级财务经办人员",
        "本级或上级财务审批人员（非经办人）",
        "POST /api/v1/funds",
        "POST /api/v1/funds/{id}/approve",
    ),
    Movement(
        "allocation",
        "资金下达（含 Excel 导入的下达草稿）",
        (Allocation,),
        allocations.create_allocation,
        allocations.approve_allocation,
        allocations.cancel_allocation,
        "下达地区的财务经办人员",
        "下达地区或其上级的财务审批人员（非经办人）",
        "POST /api/v1/allocations",
        "POST /api/v1/allocations/{id}/approve",
    ),
    Movement(
        "recall",
        "资金收回与调剂",
        (AllocationRecall, Allocation),
        allocations.create_recall,
        allocations.approve_recall,
        allocations.cancel_recall,
        "下达地区的财务经办人员",
        "下达地区或其上级的财务审批人员（非经办人）",
        "POST /api/v1/allocations/{id}/recall",
        "POST /api/v1/recalls/{id}/approve",
    ),
    Movement(
        "payment",
        "支出（含 Excel 导入的待审批支出）",
        (Disbursement,),
        disbursements.create_disbursement,
        disbursements.approve_disbursement,
        disbursements.reject_disbursement,
        "付款地区的财务经办人员",
        "付款地区或其上级的财务审批人员（非经办人）",
        "POST /api/v1/disbursements",
        "POST /api/v1/disbursements/{id}/approve",
    ),
    Movement(
        "reversal",
        "支出冲销",
        (Disbursement,),
        disbursements.propose_reversal,
        disbursements.approve_disbursement,
        disbursements.reject_disbursement,
        "付款地区的财务经办人员，或其上级的财务审批人员",
        "付款地区或其上级的财务审批人员（非申请人）",
        "POST /api/v1/disbursements/{id}/reverse",
        "POST /api/v1/disbursements/{id}/approve",
    ),
    Movement(
        "year_end",
        "年度结算（逐级收回或结转下一年度）",
        (YearEndClose, AllocationRecall, FundCarryOver),
        year_end.propose_year_end,
        year_end.approve_year_end,
        year_end.reject_year_end,
        "资金所属地区的财务经办或审批人员",
        "资金所属地区的财务审批人员（非申请人）",
        "POST /api/v1/funds/{id}/close",
        "POST /api/v1/year-end-closes/{id}/approve",
    ),
)


def movement(name: str) -> Movement:
    """The movement called ``name``."""
    return next(m for m in MONEY_MOVEMENTS if m.name == name)
