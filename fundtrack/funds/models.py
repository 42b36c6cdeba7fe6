from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.controls import TwoPerson
from fundtrack.core.i18n import _l
from fundtrack.core.models import positive_check, status_check, utcnow
from fundtrack.core.transitions import Transitions
from fundtrack.extensions import db
from fundtrack.regions.models import Region

#: what happens at year-end to money not yet spent (see funds.operations.close_fund_year)
YEAR_END_POLICIES = {
    "recall": _l("收回省级（盘活存量）"),
    "carry_over": _l("结转下一年度同类资金"),
}

FUND_TRANSITIONS = Transitions(
    table={
        ("draft", "approve"): "active",
        ("draft", "cancel"): "cancelled",
        # a year-end close proposed: no money moves until a second person decides
        ("active", "propose_close"): "closing",
        ("closing", "close"): "closed",
        ("closing", "reopen"): "active",
    },
    labels={
        "draft": _l("待审批"),
        "active": _l("执行中"),
        "closing": _l("年度结算待审批"),
        "closed": _l("已结束"),
        "cancelled": _l("已撤销"),
    },
)
#: fund statuses in which its budget has reached its region (the budget was approved)
FUNDED_STATUSES = ("active", "closing", "closed")

YEAR_END_TRANSITIONS = Transitions(
    table={("proposed", "approve"): "approved", ("proposed", "reject"): "rejected"},
    labels={"proposed": _l("待审批"), "approved": _l("已审批"), "rejected": _l("已退回")},
)


class FundKind(db.Model):
    """三结合, 贷款贴息, 综合保险, other: decides the evaluation template and the gating."""

    __tablename__ = "fund_kinds"

    #: short stable code, e.g. ``sanjiehe``
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: Chinese name
    name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: what funds of this kind pay for
    description: Mapped[str] = mapped_column(sa.UnicodeText, default="")


class ExpenditureCategory(db.Model):
    """An expenditure line; only ``earmarkable`` ones may be part of a special fund's earmark."""

    __tablename__ = "expenditure_categories"
    __versioned__ = {}
    # (code, earmarkable) is the target of the earmark table's foreign key, so that the
    # database itself refuses to earmark an ordinary running cost.
    __table_args__ = (sa.UniqueConstraint("code", "earmarkable", name="uq_category_earmarkable"),)

    #: short stable code, e.g. ``project_support`` or ``office``
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: Chinese name, e.g. 项目扶持
    name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: true for lines a special fund may pay; false for running costs (办公费, 会议费, …)
    earmarkable: Mapped[bool]
    #: 政府支出经济分类 code (2018), e.g. 30201
    economic_code: Mapped[str] = mapped_column(sa.String(8))
    #: 政府支出经济分类 name, e.g. 办公费
    economic_name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: what the line covers
    description: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: a personal benefit paid only to beneficiaries on an ended 公示 of it (项目扶持: no)
    requires_publicity: Mapped[bool] = mapped_column(default=False)


class BudgetLine(db.Model):
    """A budget total that funds are carved from (e.g. 2017 provincial project funds).

    What its funds do not itemise is shown as an explicit remainder, never invented or lost.
    """

    __tablename__ = "budget_lines"
    __versioned__ = {}
    __table_args__ = (positive_check("total_fen"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: fiscal year
    fiscal_year: Mapped[int]
    #: region whose budget this is
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: Chinese name, e.g. 2017年省级项目经费
    name: Mapped[str] = mapped_column(sa.Unicode(128))
    #: total of the line in fen
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: where the money comes from, e.g. 省级财政预算
    source: Mapped[str] = mapped_column(sa.Unicode(128), default="")
    #: free note (the document it is written in)
    note: Mapped[str] = mapped_column(sa.UnicodeText, default="")

    region: Mapped[Region] = relationship()
    funds: Mapped[list[Fund]] = relationship(back_populates="budget_line", order_by="Fund.code")


class Fund(db.Model):
    """One earmarked special fund for one fiscal year, held by one region."""

    __tablename__ = "funds"
    __versioned__ = {}
    __table_args__ = (
        positive_check("budget_fen"),
        status_check("status", FUND_TRANSITIONS.statuses),
        status_check("year_end_policy", YEAR_END_POLICIES),
    )
    #: the budget reaches the fund's region once a checker who is not its maker approves it;
    #: an approved budget is never edited
    __two_person__ = TwoPerson(effective=FUNDED_STATUSES, frozen=("budget_fen",))

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable code, e.g. 2017-SJH
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Chinese name, e.g. 三结合项目经费
    name: Mapped[str] = mapped_column(sa.Unicode(128))
    #: fund kind code
    kind_code: Mapped[str] = mapped_column(sa.ForeignKey("fund_kinds.code"))
    #: fiscal year the money belongs to
    fiscal_year: Mapped[int] = mapped_column(index=True)
    #: region that holds the budget (the province for provincial funds)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: budget line the fund is carved from, if any
    budget_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("budget_lines.id"), index=True, default=None
    )
    #: where the money comes from, e.g. 省级财政预算
    source: Mapped[str] = mapped_column(sa.Unicode(128), default="")
    #: the budget in fen; what the holding region receives
    budget_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: draft (awaiting approval), active, closing (a year-end close awaits its decision),
    #: closed or cancelled (FUND_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: recall or carry_over: what closing the year does with unspent money
    year_end_policy: Mapped[str] = mapped_column(sa.String(16), default="recall")
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: maker who created the fund and proposed its budget
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: checker who approved the fund and its budget; never its maker
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of the approval
    approved_at: Mapped[datetime | None] = mapped_column(default=None)

    kind: Mapped[FundKind] = relationship()
    region: Mapped[Region] = relationship()
    budget_line: Mapped[BudgetLine | None] = relationship(back_populates="funds")
    earmarks: Mapped[list[FundEarmark]] = relationship(
        back_populates="fund", cascade="all, delete-orphan", order_by="FundEarmark.category_code"
    )

    @property
    def earmarked_codes(self) -> list[str]:
        return [e.category_code for e in self.earmarks]

    @property
    def status_label(self) -> str:
        """The status in the reader's language."""
        return str(FUND_TRANSITIONS.labels[self.status])

    @property
    def year_end_policy_label(self) -> str:
        """What year-end does with unspent money, in the reader's language."""
        return str(YEAR_END_POLICIES[self.year_end_policy])

    def __repr__(self) -> str:
        return f"<Fund {self.code}>"


class FundEarmark(db.Model):
    """One expenditure category a fund may be spent on (专款专用)."""

    __tablename__ = "fund_earmarks"
    __versioned__ = {}
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["category_code", "earmarkable"],
            ["expenditure_categories.code", "expenditure_categories.earmarkable"],
            name="fk_fund_earmarks_category_earmarkable",
        ),
        sa.CheckConstraint("earmarkable", name="only_earmarkable"),
    )

    #: the fund
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), primary_key=True)
    #: the permitted category
    category_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: always true: with the foreign key it makes a running cost impossible to earmark
    earmarkable: Mapped[bool] = mapped_column(default=True)

    fund: Mapped[Fund] = relationship(back_populates="earmarks")
    category: Mapped[ExpenditureCategory] = relationship(viewonly=True)


class FundCarryOver(db.Model):
    """Unspent money of one region moved, at year-end, into next year's fund of the same kind
    (结转), at the same region."""

    __tablename__ = "fund_carry_overs"
    __versioned__ = {}
    __table_args__ = (
        positive_check("amount_fen"),
        sa.CheckConstraint("from_fund_id <> to_fund_id", name="distinct_funds"),
    )
    #: a carry-over is a movement from its first moment: written only by an approved close
    __two_person__ = TwoPerson(
        effective=None, frozen=("amount_fen", "from_fund_id", "to_fund_id", "region_code")
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the closed fund the money leaves
    from_fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: next year's fund of the same kind the money enters
    to_fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: region whose unspent balance moves (it stays at the same region)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: amount in fen
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: why (the year-end closing's reason)
    reason: Mapped[str] = mapped_column(sa.UnicodeText)
    #: UTC time of the move
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: user who proposed the year-end close
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who approved the year-end close; never its proposer (NULL only in rows
    #: written before year-end closes needed a second person)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: the year-end close this carry-over settles (NULL in rows written before it existed)
    year_end_close_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("year_end_closes.id"), index=True, default=None
    )

    from_fund: Mapped[Fund] = relationship(foreign_keys=[from_fund_id])
    to_fund: Mapped[Fund] = relationship(foreign_keys=[to_fund_id])
    region: Mapped[Region] = relationship()


class YearEndClose(db.Model):
    """A proposal to close a fund's year (年度结算) and its decision.

    While it is proposed the fund stands still (``closing``: nothing is allocated, paid or
    recalled), so the checker decides on exactly the moves the proposal showed; on approval
    those moves are written (recalls up the tree, or carry-overs into next year's fund), each
    naming the proposer and the approver, and the fund is ``closed``. A rejection returns
    the fund to ``active`` and moves nothing.
    """

    __tablename__ = "year_end_closes"
    __versioned__ = {}
    __table_args__ = (
        status_check("status", YEAR_END_TRANSITIONS.statuses),
        status_check("policy", YEAR_END_POLICIES),
    )
    #: the year's unspent money moves once a checker who is not the proposer approves
    __two_person__ = TwoPerson(
        effective=("approved",), decider="decided_by_id", frozen=("fund_id", "policy")
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the fund whose year is closed
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: recall or carry_over: the fund's year-end policy when the close was proposed
    policy: Mapped[str] = mapped_column(sa.String(16))
    #: next year's fund the unspent money goes into (carry_over only)
    to_fund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("funds.id"), default=None)
    #: the proposer's reason (required)
    reason: Mapped[str] = mapped_column(sa.UnicodeText)
    #: proposed, approved or rejected (YEAR_END_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="proposed")
    #: UTC time of the proposal
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: user who proposed the close (a maker or checker of the fund's region)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who approved or rejected it; an approver is never the proposer
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of the decision
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    #: business date of the close (Asia/Shanghai), set on approval: the recalls' date
    closed_on: Mapped[date | None] = mapped_column(default=None)

    fund: Mapped[Fund] = relationship(foreign_keys=[fund_id])
    to_fund: Mapped[Fund | None] = relationship(foreign_keys=[to_fund_id])

    @property
    def status_label(self) -> str:
        return str(YEAR_END_TRANSITIONS.labels[self.status])

    @property
    def policy_label(self) -> str:
        return str(YEAR_END_POLICIES[self.policy])
