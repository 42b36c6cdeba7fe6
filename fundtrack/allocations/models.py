from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.controls import TwoPerson
from fundtrack.core.i18n import _l
from fundtrack.core.models import positive_check, status_check, utcnow
from fundtrack.core.transitions import Transitions
from fundtrack.extensions import db
from fundtrack.funds.models import Fund
from fundtrack.regions.models import Region

ALLOCATION_TRANSITIONS = Transitions(
    table={
        ("draft", "approve"): "approved",
        ("draft", "cancel"): "cancelled",
        ("approved", "recall_all"): "recalled",
    },
    labels={
        "draft": _l("草稿"),
        "approved": _l("已审批"),
        "cancelled": _l("已撤销"),
        "recalled": _l("已收回"),
    },
)

RECALL_TRANSITIONS = Transitions(
    table={("draft", "approve"): "approved", ("draft", "cancel"): "cancelled"},
    labels={"draft": _l("草稿"), "approved": _l("已审批"), "cancelled": _l("已撤销")},
)


class Allocation(db.Model):
    """Money of one fund moving from a region down to a descendant region.

    A draft already reserves its money at the giving region; the receiving region gets it
    when approved. What is recalled later is recorded as ``AllocationRecall`` rows; the
    approved amount itself is never edited.
    """

    __tablename__ = "allocations"
    __versioned__ = {}
    __table_args__ = (
        positive_check("amount_fen"),
        status_check("status", ALLOCATION_TRANSITIONS.statuses),
        sa.CheckConstraint("from_region_code <> to_region_code", name="distinct_regions"),
    )
    #: its money has reached the receiver once approved: by a checker who is not the maker
    __two_person__ = TwoPerson(
        effective=("approved", "recalled"),
        frozen=("amount_fen", "fund_id", "from_region_code", "to_region_code"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the fund the money belongs to
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: region that gives the money
    from_region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: descendant region that receives it (a prefecture or a county, never below)
    to_region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: amount in fen, as approved; never edited after approval
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: document number of the allocation notice (文号), e.g. 湘计生协〔2017〕12号
    document_no: Mapped[str] = mapped_column(sa.Unicode(64))
    #: why the money goes there (以事定钱: the task it pays for)
    reason: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: draft, approved, cancelled or recalled (ALLOCATION_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: business date of the notice; set on approval
    approved_on: Mapped[date | None] = mapped_column(default=None)
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: maker who prepared it
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who approved it; never the maker
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of approval
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    #: a provincial approver's reason for allocating despite a missing or failed evaluation
    evaluation_override_reason: Mapped[str | None] = mapped_column(sa.UnicodeText, default=None)

    fund: Mapped[Fund] = relationship()
    from_region: Mapped[Region] = relationship(foreign_keys=[from_region_code])
    to_region: Mapped[Region] = relationship(foreign_keys=[to_region_code])
    recalls: Mapped[list[AllocationRecall]] = relationship(
        back_populates="allocation",
        foreign_keys="AllocationRecall.allocation_id",
        order_by="AllocationRecall.id",
    )

    @property
    def status_label(self) -> str:
        return ALLOCATION_TRANSITIONS.labels[self.status]


class AllocationRecall(db.Model):
    """Money of an approved allocation returned to the giver (收回, 盘活存量), whole or part.

    A maker of the giving region prepares it (the draft already reserves the money at the
    receiver), a checker approves it. With ``redistribute_to_code`` it is a redistribution
    (调剂): on approval the money goes on, as a new allocation linked to this recall.
    """

    __tablename__ = "allocation_recalls"
    __versioned__ = {}
    __table_args__ = (
        positive_check("amount_fen"),
        status_check("status", RECALL_TRANSITIONS.statuses),
    )
    #: the money goes back once approved: by a checker who is not the recall's maker
    __two_person__ = TwoPerson(effective=("approved",), frozen=("amount_fen", "allocation_id"))

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the allocation the money is taken back from
    allocation_id: Mapped[int] = mapped_column(sa.ForeignKey("allocations.id"), index=True)
    #: amount in fen taken back
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: why (required)
    reason: Mapped[str] = mapped_column(sa.UnicodeText)
    #: document number of the recall notice, if any
    document_no: Mapped[str] = mapped_column(sa.Unicode(64), default="")
    #: draft, approved or cancelled (RECALL_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: business date of the recall; set on approval
    recalled_on: Mapped[date | None] = mapped_column(default=None)
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: maker who prepared it
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who approved it
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of approval
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    #: for a redistribution (调剂): the region the recalled money goes to on approval
    redistribute_to_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("regions.code"), default=None
    )
    #: the new allocation this recalled money became on approval (调剂), if any
    redistributed_as_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("allocations.id"), unique=True, default=None
    )
    #: the year-end close (年度结算) this recall settles, when it was made by one
    year_end_close_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("year_end_closes.id"), index=True, default=None
    )

    allocation: Mapped[Allocation] = relationship(
        back_populates="recalls", foreign_keys=[allocation_id]
    )
    redistributed_as: Mapped[Allocation | None] = relationship(foreign_keys=[redistributed_as_id])
    redistribute_to: Mapped[Region | None] = relationship(foreign_keys=[redistribute_to_code])

    @property
    def status_label(self) -> str:
        return RECALL_TRANSITIONS.labels[self.status]
