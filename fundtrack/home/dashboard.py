"""What waits for the signed-in user: the approvals and reviews listed on the home page.

One statement of counts (scalar subqueries), so the home page costs the same however much
waits (each count reads an index of what is pending, not the records); the same permission rules
as the buttons (a checker over the region approves, the region above reviews an evaluation,
the region's maker fixes what came back). A checker's list leaves out what they proposed
themselves: somebody else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from fundtrack.allocations.models import Allocation, AllocationRecall
from fundtrack.beneficiaries.models import Beneficiary, Objection, Publicity
from fundtrack.core.i18n import _l
from fundtrack.core.timeparse import local_today
from fundtrack.disbursements.models import Disbursement
from fundtrack.evaluations.models import Evaluation
from fundtrack.funds.models import Fund, YearEndClose
from fundtrack.regions.operations import in_subtree


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


def _count(model, *conditions):
    capped = sa.select(sa.literal(1)).select_from(model).where(*conditions).limit(COUNT_CAP)
    return sa.select(sa.func.count()).select_from(capped.subquery()).scalar_subquery()


def _counts(session, queries) -> tuple[int, ...]:
    """The counts, in one statement."""
    return tuple(session.execute(sa.select(*queries)).one())


def waiting_for(session, user) -> list[Waiting]:
    """The user's to-do list; empty for roles that approve nothing (auditors, admins)."""
    if user.role not in ("checker", "maker"):
        return []

    def within(column):
        return in_subtree(session, column, user.region_code)

    if user.role == "checker":
        wanted = {
            "funds": (
                _l("待审批的专项资金"),
                _count(
                    Fund,
                    Fund.status == "draft",
                    within(Fund.region_code),
                    Fund.created_by_id.is_distinct_from(user.id),
                ),
                url_for("home.index", _anchor="funds"),
            ),
            "year_end": (
                _l("待审批的年度结算"),
                _count(
                    YearEndClose,
                    YearEndClose.status == "proposed",
                    YearEndClose.created_by_id != user.id,
                    YearEndClose.fund_id.in_(
                        sa.select(Fund.id).where(Fund.region_code == user.region_code)
                    ),
                ),
                url_for("home.index", _anchor="funds"),
            ),
            "allocations": (
                _l("待审批的资金下达"),
                _count(
                    Allocation,
                    Allocation.status == "draft",
                    within(Allocation.from_region_code),
                    Allocation.created_by_id != user.id,
                ),
                url_for("allocation_pages.index", status="draft"),
            ),
            "recalls": (
                _l("待审批的资金收回"),
                _count(
                    AllocationRecall,
                    AllocationRecall.status == "draft",
                    AllocationRecall.created_by_id != user.id,
                    AllocationRecall.allocation_id.in_(
                        sa.select(Allocation.id).where(within(Allocation.from_region_code))
                    ),
                ),
                url_for("allocation_pages.index", recall="draft"),
            ),
            "disbursements": (
                _l("待审批的支出"),
                _count(
                    Disbursement,
                    Disbursement.status == "pending",
                    Disbursement.amount_fen > 0,
                    within(Disbursement.region_code),
                    Disbursement.created_by_id != user.id,
                ),
                url_for("disbursement_pages.index", status="pending"),
            ),
            "reversals": (
                _l("待审批的冲销申请"),
                _count(
                    Disbursement,
                    Disbursement.status == "pending",
                    Disbursement.amount_fen < 0,
                    within(Disbursement.region_code),
                    Disbursement.created_by_id != user.id,
                ),
                url_for("disbursement_pages.index", status="pending"),
            ),
            "registrations": (
                _l("待审核的受益人登记"),
                _count(
                    Beneficiary,
                    Beneficiary.status == "pending",
                    within(Beneficiary.region_code),
                    Beneficiary.created_by_id.is_distinct_from(user.id),
                ),
                url_for("beneficiary_pages.index", status="pending"),
            ),
            "exits": (
                _l("待审核的受益人退出"),
                _count(
                    Beneficiary,
                    Beneficiary.status == "exit_pending",
                    within(Beneficiary.region_code),
                    Beneficiary.exit_proposed_by_id != user.id,
                ),
                url_for("beneficiary_pages.index", status="exit_pending"),
            ),
            "objections": (
                _l("待处理的公示异议"),
                _count(
                    Objection,
                    Objection.status == "open",
                    Objection.recorded_by_id != user.id,
                    Objection.publicity_id.in_(
                        sa.select(Publicity.id).where(
                            Publicity.status == "running", within(Publicity.region_code)
                        )
                    ),
                ),
                url_for("beneficiary_pages.publicities", status="running"),
            ),
            "publicities": (
                _l("公示期已满、待结束的公示"),
                _count(
                    Publicity,
                    Publicity.status == "running",
                    Publicity.end_on < local_today(),
                    within(Publicity.region_code),
                    Publicity.created_by_id != user.id,
                ),
                url_for("beneficiary_pages.publicities", status="running"),
            ),
            "evaluations": (
                _l("待审核的绩效评价"),
                _count(
                    Evaluation,
                    Evaluation.status == "submitted",
                    within(Evaluation.region_code),
                    Evaluation.region_code != user.region_code,
                ),
                url_for("evaluation_pages.index", status="submitted"),
            ),
        }
    else:
        wanted = {
            "returned": (
                _l("被退回、待修改的绩效评价"),
                _count(
                    Evaluation,
                    Evaluation.status == "returned",
                    Evaluation.region_code == user.region_code,
                ),
                url_for("evaluation_pages.index", status="returned"),
            ),
            "drafts": (
                _l("本级已提交、等待审批的资金下达"),
                _count(
                    Allocation,
                    Allocation.status == "draft",
                    Allocation.from_region_code == user.region_code,
                ),
                url_for("allocation_pages.index", status="draft"),
            ),
            "pending": (
                _l("本级已录入、等待审批的支出"),
                _count(
                    Disbursement,
                    Disbursement.status == "pending",
                    Disbursement.region_code == user.region_code,
                ),
                url_for("disbursement_pages.index", status="pending"),
            ),
        }
    counts = _counts(session, [count for _label, count, _url in wanted.values()])
    return [
        Waiting(label=label, count=count, url=url)
        for (label, _count_query, url), count in zip(wanted.values(), counts, strict=True)
        if count
    ]
