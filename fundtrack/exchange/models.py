from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.models import utcnow
from fundtrack.disbursements.models import Disbursement
from fundtrack.extensions import db
from fundtrack.regions.models import Region


class BankBatch(db.Model):
    """One bank payment file (代发批次) of a region: who produced it, when, for which dates.

    Its payments are its items; count and total are aggregates over them. A payment is in
    at most one batch, so that no payment is sent to the bank twice.
    """

    __tablename__ = "bank_batches"
    __versioned__ = {}
    __table_args__ = (sa.CheckConstraint("paid_from <= paid_to", name="date_range"),)

    #: surrogate key; the batch number shown to the bank is derived from it
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the paying region
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: first payment date covered
    paid_from: Mapped[date]
    #: last payment date covered
    paid_to: Mapped[date]
    #: finance officer who produced the file
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: UTC time the file was produced
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()
    items: Mapped[list[BankBatchItem]] = relationship(
        back_populates="batch", order_by="BankBatchItem.disbursement_id"
    )

    @property
    def batch_no(self) -> str:
        return f"FT{self.region_code}{self.id:07d}"


class BankBatchItem(db.Model):
    """One payment of a bank batch."""

    __tablename__ = "bank_batch_items"
    __versioned__ = {}

    #: the payment; the primary key, so a payment is in one batch only
    disbursement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("disbursements.id"), primary_key=True
    )
    #: the batch it was sent in
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_batches.id"), index=True)

    batch: Mapped[BankBatch] = relationship(back_populates="items")
    disbursement: Mapped[Disbursement] = relationship()
