from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.beneficiaries.models import Beneficiary
from fundtrack.core.controls import TwoPerson
from fundtrack.core.i18n import _l
from fundtrack.core.models import positive_check, status_check, utcnow
from fundtrack.core.transitions import Transitions
from fundtrack.extensions import db
from fundtrack.funds.models import ExpenditureCategory, Fund
from fundtrack.regions.models import Region

DISBURSEMENT_TRANSITIONS = Transitions(
    table={
        ("pending", "approve"): "approved",
        ("pending", "reject"): "rejected",
        ("approved", "reverse"): "reversed",
    },
    labels={
        "pending": _l("待审批"),
        "approved": _l("已审批"),
        "rejected": _l("已退回"),
        "reversed": _l("已冲销"),
    },
)


class BenefitRule(db.Model):
    """A per-day benefit with a yearly cap, valid from a date (e.g. 50元/天, 最多100天)."""

    __tablename__ = "benefit_rules"
    __versioned__ = {}
    __table_args__ = (positive_check("daily_rate_fen"), positive_check("max_days_per_year"))

    #: stable code, e.g. nursing_subsidy_2018
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: the expenditure category the benefit is paid under
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("expenditure_categories.code"))
    #: Chinese name
    name: Mapped[str] = mapped_column(sa.Unicode(128))
    #: amount per day in fen
    daily_rate_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: most days paid per beneficiary and calendar year
    max_days_per_year: Mapped[int]
    #: first day the rule applies (by the payment's service date)
    effective_from: Mapped[date]
    #: last day the rule applies; NULL while in force
    effective_to: Mapped[date | None] = mapped_column(default=None)
    #: comma-separated FAMILY_TYPES the rule is limited to; empty for all
    family_types: Mapped[str] = mapped_column(sa.String(128), default="")
    #: the policy text the rule comes from
    source: Mapped[str] = mapped_column(sa.UnicodeText, default="")

    category: Mapped[ExpenditureCategory] = relationship()


class Disbursement(db.Model):
    """A payment out of a region's available balance of one fund, in one earmarked category.

    A reversal is a compensating record with a negative amount that points at the original:
    proposed (``pending``, it changes no balance) by one person and approved by a checker who
    is not the proposer, when the original becomes ``reversed`` and its money is available
    again; a rejected proposal leaves the original as it was, and another may follow.
    Nothing is ever deleted and an approved amount is never edited.
    """

    __tablename__ = "disbursements"
    __versioned__ = {}
    __table_args__ = (
        # The earmark is enforced by the database: a (fund, category) pair that is not in
        # fund_earmarks cannot be written at all.
        sa.ForeignKeyConstraint(
            ["fund_id", "category_code"],
            ["fund_earmarks.fund_id", "fund_earmarks.category_code"],
            name="fk_disbursements_earmark",
        ),
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_fen > 0)"
            " OR (reverses_id IS NOT NULL AND amount_fen < 0)",
            name="amount_sign",
        ),
        sa.CheckConstraint("days IS NULL OR days > 0", name="days_positive"),
        status_check("status", DISBURSEMENT_TRANSITIONS.statuses),
        # one live reversal per payment: proposed or approved (rejected ones may pile up)
        sa.Index(
            "uq_disbursements_live_reversal",
            "reverses_id",
            unique=True,
            postgresql_where=sa.text("status <> 'rejected'"),
            sqlite_where=sa.text("status <> 'rejected'"),
        ),
        # what waits for a checker (the home page's counts): only the pending rows, by
        # region and sign (payments and proposed reversals are counted apart)
        sa.Index(
            "ix_disbursements_pending",
            "region_code",
            "amount_fen",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )
    #: a payment is spent once approved, a reversal takes effect once approved: each by a
    #: checker who is not the one who recorded or proposed it
    __two_person__ = TwoPerson(
        effective=("approved", "reversed"),
        frozen=("amount_fen", "fund_id", "region_code", "category_code", "reverses_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the fund paid from
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), index=True)
    #: region whose balance pays
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: earmarked expenditure category
    category_code: Mapped[str] = mapped_column(
        sa.ForeignKey("expenditure_categories.code"), index=True
    )
    #: amount in fen; negative only for the compensating record of a reversal
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: business date of payment
    paid_on: Mapped[date]
    #: payee: a person, a household head or a project's recipient
    payee_name: Mapped[str] = mapped_column(sa.Unicode(128))
    #: payee's resident ID number, if a person; masked on screen, full only in the bank file
    payee_id_number: Mapped[str | None] = mapped_column(sa.String(18), default=None)
    #: payee's bank account number
    payee_account: Mapped[str | None] = mapped_column(sa.String(34), default=None)
    #: the registered beneficiary, when the payment is a personal benefit
    beneficiary_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("beneficiaries.id"), index=True, default=None
    )
    #: the project paid for, when not a personal benefit
    project_name: Mapped[str] = mapped_column(sa.Unicode(128), default="")
    #: accounting voucher number (凭证号)
    voucher_no: Mapped[str] = mapped_column(sa.Unicode(64))
    #: what the payment is for
    purpose: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: days paid for, for per-day benefits (checked against the benefit rule's yearly cap)
    days: Mapped[int | None] = mapped_column(default=None)
    #: pending, approved, rejected or reversed (DISBURSEMENT_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: the original this compensating record reverses (one that is not rejected at a time)
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("disbursements.id"), index=True, default=None
    )
    #: UTC time of creation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: maker who recorded it (for a reversal: who proposed it)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who approved it; never the one who recorded or proposed it
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of approval
    approved_at: Mapped[datetime | None] = mapped_column(default=None)

    fund: Mapped[Fund] = relationship()
    region: Mapped[Region] = relationship()
    category: Mapped[ExpenditureCategory] = relationship(foreign_keys=[category_code])
    beneficiary: Mapped[Beneficiary | None] = relationship()
    reverses: Mapped[Disbursement | None] = relationship(
        remote_side=[id], back_populates="reversals", foreign_keys=[reverses_id]
    )
    #: every reversal proposed for this payment, rejected ones included, oldest first
    reversals: Mapped[list[Disbursement]] = relationship(
        back_populates="reverses", foreign_keys=[reverses_id], order_by="Disbursement.id"
    )

    @property
    def status_label(self) -> str:
        return DISBURSEMENT_TRANSITIONS.labels[self.status]

    @property
    def is_reversal(self) -> bool:
        """A compensating record (negative amount), not a payment."""
        return self.reverses_id is not None

    @property
    def reversal(self) -> Disbursement | None:
        """The reversal proposed or approved for this payment, if any (not a rejected one)."""
        return next((r for r in self.reversals if r.status != "rejected"), None)

    @property
    def reversed_on(self):
        """The business date of the approved reversal, if the payment is reversed."""
        reversal = self.reversal
        return reversal.paid_on if reversal is not None and reversal.status == "approved" else None
