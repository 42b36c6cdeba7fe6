from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
        ("draft", "activate"): "active",
        ("active", "close"): "closed",
    },
    labels={"draft": _l("草稿"), "active": _l("执行中"), "closed": _l("已结束")},
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
    #: draft, active or closed (FUND_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: recall or carry_over: what closing the year does with unspent money
    year_end_policy: Mapped[str] = mapped_column(sa.String(16), default="recall")
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: user who created the fund
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)

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
    #: user who closed the year
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    from_fund: Mapped[Fund] = relationship(foreign_keys=[from_fund_id])
    to_fund: Mapped[Fund] = relationship(foreign_keys=[to_fund_id])
    region: Mapped[Region] = relationship()
