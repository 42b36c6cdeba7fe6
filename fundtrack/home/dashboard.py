"""What waits for the signed-in user: the approvals and reviews listed on the home page.

One statement of counts (scalar subqueries), so the home page costs the same however much
waits (each count reads an index of what is pending, not the records); the same permission rules
as the buttons (a checker over the region approves, the region above reviews an evaluation,
the region's maker fixes what came back). A checker's list leaves out what they proposed
themselves: somebody else decides it.

The statement is built once per role (and for the province, whose subtree is every region, once
without a region condition) with the user, region, subtree and date as parameters: building
its ~200 expressions and their cache key anew was a quarter of a checker's home page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.beneficiaries.models import Beneficiary, Objection, Publicity
from fundtrack.core.i18n import _l
from fundtrack.core.timeparse import local_today
from fundtrack.disbursements.models import Disbursement
from fundtrack.evaluations.models import Evaluation
from fundtrack.funds.models import Fund, YearEndClose
from fundtrack.regions.operations import is_whole_tree, subtree_codes


@dataclass(frozen=True)
class Waiting:
    #: what waits, for the list on the home page
    label: str
    #: how many, counted up to COUNT_CAP
    count: int
    #: the list that shows them
    url: str

    @property
    def shown(self) -> str:
        return f"{COUNT_CAP}+" if self.count >= COUNT_CAP else str(self.count)


#: counted up to this many; more shows as "1000+": a queue of a hundred thousand payments
#: reads no more rows than one of a thousand (the list behind the link has them all)
COUNT_CAP = 1000

#: the statement's parameters: the signed-in user, their region, its subtree, today
USER_ID = sa.bindparam("user_id", type_=sa.Integer)
REGION = sa.bindparam("region_code", type_=sa.String)
SUBTREE = sa.bindparam("subtree", type_=sa.String, expanding=True)
TODAY = sa.bindparam("today", type_=sa.Date)

#: ``within(column)``: the column's region lies in the user's subtree
Within = Callable[[sa.ColumnElement], sa.ColumnElement]


@dataclass(frozen=True)
class Queue:
    #: what waits, in the reader's language
    label: object
    #: the page that lists them
    endpoint: str
    #: the count's conditions, given ``within``
    conditions: Callable[[Within], tuple]
    #: what is counted
    model: type
    #: the arguments of the page's URL
    url_values: dict = field(default_factory=dict)


def _count(model, *conditions):
    capped = sa.select(sa.literal(1)).select_from(model).where(*conditions).limit(COUNT_CAP)
    return sa.select(sa.func.count()).select_from(capped.subquery()).scalar_subquery()


QUEUES: dict[str, tuple[Queue, ...]] = {
    "checker": (
        Queue(
            _l("待审批的专项资金"),
            "home.index",
            lambda within: (
                Fund.status == "draft",
                within(Fund.region_code),
                Fund.created_by_id.is_distinct_from(USER_ID),
            ),
            Fund,
            {"_anchor": "funds"},
        ),
        Queue(
            _l("待审批的年度结算"),
            "home.index",
            lambda within: (
                YearEndClose.status == "proposed",
                YearEndClose.created_by_id != USER_ID,
                YearEndClose.fund_id.in_(sa.select(Fund.id).where(Fund.region_code == REGION)),
            ),
            YearEndClose,
            {"_anchor": "funds"},
        ),
        Queue(
            _l("待审批的资金下达"),
            "allocation_pages.index",
            lambda within: (
                Allocation.status == "draft",
                within(Allocation.from_region_code),
                Allocation.created_by_id != USER_ID,
            ),
            Allocation,
            {"status": "draft"},
        ),
        Queue(
            _l("待审批的资金收回"),
            "allocation_pages.index",
            lambda within: (
                AllocationRecall.status == "draft",
                AllocationRecall.created_by_id != USER_ID,
                AllocationRecall.allocation_id.in_(
                    sa.select(Allocation.id).where(within(Allocation.from_region_code))
                ),
            ),
            AllocationRecall,
            {"recall": "draft"},
        ),
        Queue(
            _l("待审批的支出"),
            "disbursement_pages.index",
            lambda within: (
                Disbursement.status == "pending",
                Disbursement.amount_fen > 0,
                within(Disbursement.region_code),
                Disbursement.created_by_id != USER_ID,
            ),
            Disbursement,
            {"status": "pending"},
        ),
        Queue(
            _l("待审批的冲销申请"),
            "disbursement_pages.index",
            lambda within: (
                Disbursement.status == "pending",
                Disbursement.amount_fen < 0,
                within(Disbursement.region_code),
                Disbursement.created_by_id != USER_ID,
            ),
            Disbursement,
            {"status": "pending"},
        ),
        Queue(
            _l("待审核的受益人登记"),
            "beneficiary_pages.index",
            lambda within: (
                Beneficiary.status == "pending",
                within(Beneficiary.region_code),
                Beneficiary.created_by_id.is_distinct_from(USER_ID),
            ),
            Beneficiary,
            {"status": "pending"},
        ),
        Queue(
            _l("待审核的受益人退出"),
            "beneficiary_pages.index",
            lambda within: (
                Beneficiary.status == "exit_pending",
                within(Beneficiary.region_code),
                Beneficiary.exit_proposed_by_id != USER_ID,
            ),
            Beneficiary,
            {"status": "exit_pending"},
        ),
        Queue(
            _l("待处理的公示异议"),
            "beneficiary_pages.publicities",
            lambda within: (
                Objection.status == "open",
                Objection.recorded_by_id != USER_ID,
                Objection.publicity_id.in_(
                    sa.select(Publicity.id).where(
                        Publicity.status == "running", within(Publicity.region_code)
                    )
                ),
            ),
            Objection,
            {"status": "running"},
        ),
        Queue(
            _l("公示期已满、待结束的公示"),
            "beneficiary_pages.publicities",
            lambda within: (
                Publicity.status == "running",
                Publicity.end_on < TODAY,
                within(Publicity.region_code),
                Publicity.created_by_id != USER_ID,
            ),
            Publicity,
            {"status": "running"},
        ),
        Queue(
            _l("待审核的绩效评价"),
            "evaluation_pages.index",
            lambda within: (
                Evaluation.status == "submitted",
                within(Evaluation.region_code),
                Evaluation.region_code != REGION,
            ),
            Evaluation,
            {"status": "submitted"},
        ),
    ),
    "maker": (
        Queue(
            _l("被退回、待修改的绩效评价"),
            "evaluation_pages.index",
            lambda within: (Evaluation.status == "returned", Evaluation.region_code == REGION),
            Evaluation,
            {"status": "returned"},
        ),
        Queue(
            _l("本级已提交、等待审批的资金下达"),
            "allocation_pages.index",
            lambda within: (Allocation.status == "draft", Allocation.from_region_code == REGION),
            Allocation,
            {"status": "draft"},
        ),
        Queue(
            _l("本级已录入、等待审批的支出"),
            "disbursement_pages.index",
            lambda within: (Disbursement.status == "pending", Disbursement.region_code == REGION),
            Disbursement,
            {"status": "pending"},
        ),
    ),
}


@functools.cache
def _statement(role: str, whole_tree: bool) -> sa.Select:
    """The role's counts in one statement; for the whole tree without a region condition (a
    list of all 137 codes costs more to send and plan than the rows)."""

    def within(column):
        return column.is_not(None) if whole_tree else column.in_(SUBTREE)

    return sa.select(*(_count(q.model, *q.conditions(within)) for q in QUEUES[role]))


def waiting_for(session, user) -> list[Waiting]:
    """The user's to-do list; empty for roles that approve nothing (auditors, admins)."""
    queues = QUEUES.get(user.role)
    if not queues:
        return []
    whole_tree = is_whole_tree(session, user.region_code)
    parameters = {"user_id": user.id, "region_code": user.region_code, "today": local_today()}
    if not whole_tree:
        parameters["subtree"] = sorted(subtree_codes(session, user.region_code))
    counts = session.execute(_statement(user.role, whole_tree), parameters).one()
    return [
        Waiting(label=queue.label, count=count, url=url_for(queue.endpoint, **queue.url_values))
        for queue, count in zip(queues, counts, strict=True)
        if count
    ]
