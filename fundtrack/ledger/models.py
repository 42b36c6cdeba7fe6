"""The balances the database keeps: one row per fund and region, written in the same
transaction as every record that moves money (``ledger.postings``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fundtrack.extensions import db

#: available = what reached the region less what left it, is reserved or was spent
AVAILABLE_SQL = "received_fen - allocated_out_fen - disbursed_fen - carried_over_fen"


class FundBalance(db.Model):
    """What one region holds of one fund, kept by ``ledger.postings`` from the records.

    Derived, not versioned: the records and their versions are the truth, and
    ``flask audit verify`` recomputes every row from them (a row changed around the
    application is a finding). The ``CHECK`` makes the database itself refuse a movement
    that would leave the region with less than nothing, whatever code wrote it.
    """

    __tablename__ = "fund_balances"
    __table_args__ = (sa.CheckConstraint(f"{AVAILABLE_SQL} >= 0", name="available_not_negative"),)

    #: the fund
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), primary_key=True)
    #: the region (province, prefecture or county)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), primary_key=True)
    #: fen that reached the region: the approved budget (at the fund's own region), approved
    #: allocations in less approved recalls of them, money carried over into the fund
    received_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: fen that left the region or is reserved there: allocations out (draft and approved)
    #: less approved recalls of them, plus draft recalls of allocations in
    allocated_out_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: fen paid or reserved by payments: pending and approved, net of approved reversals
    disbursed_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: fen moved at year-end into next year's fund of the same kind (结转)
    carried_over_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: fen spent by the region itself (approved payments net of reversals); the pages add
    #: the subtree's
    spent_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
