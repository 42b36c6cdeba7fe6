from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.i18n import _l
from fundtrack.core.models import positive_check, status_check, utcnow
from fundtrack.core.transitions import Transitions
from fundtrack.extensions import db
from fundtrack.funds.models import ExpenditureCategory, Fund
from fundtrack.regions.models import Region

EVALUATION_TRANSITIONS = Transitions(
    table={
        ("draft", "submit"): "submitted",
        ("returned", "submit"): "submitted",
        ("submitted", "approve"): "approved",
        ("submitted", "return"): "returned",
    },
    labels={
        "draft": _l("草稿"),
        "submitted": _l("已提交"),
        "approved": _l("已审定"),
        "returned": _l("已退回"),
    },
)

#: the usual tiers of project-expenditure evaluation, and the dimensions inside each
TIERS = {"output": _l("产出指标"), "benefit": _l("效益指标"), "satisfaction": _l("满意度指标")}
DIMENSIONS = {
    "quantity": _l("数量指标"),
    "quality": _l("质量指标"),
    "timeliness": _l("时效指标"),
    "cost": _l("成本指标"),
    "social": _l("社会效益"),
    "economic": _l("经济效益"),
    "sustainable": _l("可持续影响"),
    "satisfaction": _l("服务对象满意度"),
}

#: grade thresholds on the final score: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below. The grade itself is
#: a value (API field ``grade``, stored in audit reasons): shown through GRADE_LABELS
GRADES = (
    (Decimal(90), "优"),  # zh-only: stored value
    (Decimal(80), "良"),  # zh-only: stored value
    (Decimal(60), "中"),  # zh-only: stored value
    (Decimal(0), "差"),  # zh-only: stored value
)
POOR_GRADE = GRADES[-1][1]
#: a grade as shown on a page
GRADE_LABELS = {
    "优": _l("优"),  # zh-only: the key is the stored value
    "良": _l("良"),  # zh-only: the key is the stored value
    "中": _l("中"),  # zh-only: the key is the stored value
    "差": _l("差"),  # zh-only: the key is the stored value
}


def grade_for(score: Decimal | None) -> str | None:
    if score is None:
        return None
    return next(label for floor, label in GRADES if score >= floor)


class Evaluation(db.Model):
    """The self-evaluation a region files for one fund (and so one year)."""

    __tablename__ = "evaluations"
    __versioned__ = {}
    __table_args__ = (
        sa.UniqueConstraint("fund_id", "region_code", name="uq_evaluation_fund_region"),
        status_check("status", EVALUATION_TRANSITIONS.statuses),
        sa.CheckConstraint(
            "final_score IS NULL OR (final_score >= 0 AND final_score <= 100)",
            name="final_score_range",
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the fund evaluated (its fiscal year is the evaluation's year)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: the region that received money of the fund and files the evaluation
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: draft, submitted, approved or returned (EVALUATION_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: the region's own summary of the year's work
    summary: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: score given by the reviewer, 0–100 with two decimals
    final_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), default=None)
    #: reviewer's comment; required when returning
    review_comment: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: user who created it
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: UTC time of the last submission
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    #: reviewer (parent region or province)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of the review
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)

    fund: Mapped[Fund] = relationship()
    region: Mapped[Region] = relationship()
    indicators: Mapped[list[EvaluationIndicator]] = relationship(
        back_populates="evaluation",
        order_by="EvaluationIndicator.position",
        cascade="all, delete-orphan",
    )
    declared_uses: Mapped[list[EvaluationDeclaredUse]] = relationship(
        back_populates="evaluation",
        order_by="EvaluationDeclaredUse.id",
        cascade="all, delete-orphan",
    )

    @property
    def grade(self) -> str | None:
        return grade_for(self.final_score)

    @property
    def grade_label(self):
        """The grade in the page language (``grade`` itself is the stored Chinese value)."""
        return GRADE_LABELS.get(self.grade) if self.grade else None

    @property
    def self_score_total(self) -> Decimal:
        """The sum of the lines' self scores (derived, never stored)."""
        return sum((line.self_score or Decimal(0) for line in self.indicators), Decimal(0))

    @property
    def status_label(self) -> str:
        return EVALUATION_TRANSITIONS.labels[self.status]


class EvaluationIndicator(db.Model):
    """One indicator line: weight, target, actual and the region's self score."""

    __tablename__ = "evaluation_indicators"
    __versioned__ = {}
    __table_args__ = (
        status_check("tier", TIERS),
        status_check("dimension", DIMENSIONS),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        sa.CheckConstraint(
            "self_score IS NULL OR (self_score >= 0 AND self_score <= weight)",
            name="self_score_within_weight",
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the evaluation
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id"), index=True)
    #: order on the form
    position: Mapped[int]
    #: output, benefit or satisfaction
    tier: Mapped[str] = mapped_column(sa.String(16))
    #: dimension inside the tier (quantity, quality, timeliness, cost, social, …)
    dimension: Mapped[str] = mapped_column(sa.String(16))
    #: indicator name, e.g. 扶持计生家庭户数
    name: Mapped[str] = mapped_column(sa.Unicode(128))
    #: unit of target and actual, e.g. 户, %, 天
    unit: Mapped[str] = mapped_column(sa.Unicode(16), default="")
    #: weight in points; the weights of one evaluation sum to 100
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    #: target value as written in the plan, e.g. ≥ 90
    target: Mapped[str] = mapped_column(sa.Unicode(64), default="")
    #: actual value reached
    actual: Mapped[str] = mapped_column(sa.Unicode(64), default="")
    #: the region's own score, never above the weight
    self_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), default=None)
    #: explanation of the score
    note: Mapped[str] = mapped_column(sa.UnicodeText, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="indicators")

    def may_be_deleted(self) -> bool:
        """Lines of a form still being filled may be removed (their versions remain)."""
        return self.evaluation.status in ("draft", "returned")


class EvaluationDeclaredUse(db.Model):
    """A use of the fund the region declares that the ledger does not hold."""

    __tablename__ = "evaluation_declared_uses"
    __versioned__ = {}
    __table_args__ = (positive_check("amount_fen"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the evaluation
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluations.id"), index=True)
    #: expenditure category of the use (may lie outside the earmark: then submission fails)
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("expenditure_categories.code"))
    #: amount in fen
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: what the money was used for
    description: Mapped[str] = mapped_column(sa.UnicodeText, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="declared_uses")
    category: Mapped[ExpenditureCategory] = relationship()

    def may_be_deleted(self) -> bool:
        return self.evaluation.status in ("draft", "returned")
