"""The beneficiary register (精准帮扶档案库) and its public listing (公示).

A family enters the register as ``pending`` (待审核), registered by a county's finance maker,
and is ``registered`` (在册) once a checker who is not the registrar approves it; it leaves
the register (``exited``, 退出) the same way: a proposed exit with a reason and a date,
decided by a second person. A personal benefit is paid only to a registered beneficiary
listed on an ended 公示 of that benefit without an upheld objection.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.controls import TwoPerson
from fundtrack.core.i18n import _l
from fundtrack.core.models import positive_check, status_check, utcnow
from fundtrack.core.transitions import Transitions
from fundtrack.extensions import db
from fundtrack.funds.models import ExpenditureCategory
from fundtrack.regions.models import Region
from fundtrack.users.models import User

#: family types that benefit rules and evaluations distinguish
FAMILY_TYPES = {
    "special": _l("计生特殊家庭"),
    "single_child": _l("独生子女家庭"),
    "two_daughters": _l("农村二女户家庭"),
    "poor": _l("计生困难家庭"),
    "other": _l("其他计生家庭"),
}

#: why a beneficiary leaves the register
EXIT_REASONS = {
    "death": _l("死亡"),
    "moved": _l("迁出"),
    "ineligible": _l("不再符合条件"),
}

BENEFICIARY_TRANSITIONS = Transitions(
    table={
        ("pending", "approve"): "registered",
        ("pending", "reject"): "rejected",
        ("registered", "propose_exit"): "exit_pending",
        ("exit_pending", "approve_exit"): "exited",
        ("exit_pending", "reject_exit"): "registered",
    },
    labels={
        "pending": _l("待审核"),
        "registered": _l("在册"),
        "rejected": _l("已退回"),
        "exit_pending": _l("退出待审核"),
        "exited": _l("已退出"),
    },
)

#: statuses in which a person occupies their ID number (one such row per number)
LIVE_STATUSES = ("pending", "registered", "exit_pending")

PUBLICITY_TRANSITIONS = Transitions(
    table={("running", "end"): "ended", ("running", "withdraw"): "withdrawn"},
    labels={"running": _l("公示中"), "ended": _l("已结束"), "withdrawn": _l("已撤回")},
)

OBJECTION_TRANSITIONS = Transitions(
    table={("open", "uphold"): "upheld", ("open", "dismiss"): "dismissed"},
    labels={"open": _l("待处理"), "upheld": _l("异议成立"), "dismissed": _l("异议不成立")},
)


class Beneficiary(db.Model):
    """A person or household of a county's register; benefit caps are checked per person."""

    __tablename__ = "beneficiaries"
    __versioned__ = {}
    __table_args__ = (
        status_check("family_type", FAMILY_TYPES),
        status_check("status", BENEFICIARY_TRANSITIONS.statuses),
        sa.CheckConstraint(
            "exit_reason IS NULL OR exit_reason IN ('death', 'moved', 'ineligible')",
            name="exit_reason_valid",
        ),
        # one live registration per ID number in the whole province; an exited or rejected
        # one may be followed by a new registration (迁出 to another county)
        sa.Index(
            "uq_beneficiaries_live_id_number",
            "id_number",
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
            sqlite_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
        ),
        # what waits for a reviewer (the home page's counts): only those rows, by region
        sa.Index(
            "ix_beneficiaries_waiting",
            "region_code",
            "status",
            postgresql_where=sa.text("status IN ('pending', 'exit_pending')"),
            sqlite_where=sa.text("status IN ('pending', 'exit_pending')"),
        ),
    )
    #: a registration takes effect once a second person approved it
    __two_person__ = (
        TwoPerson(
            effective=("registered", "exit_pending", "exited"),
            decider="reviewed_by_id",
            frozen=("id_number", "region_code"),
        ),
        TwoPerson(
            effective=("exited",),
            proposer="exit_proposed_by_id",
            decider="exit_decided_by_id",
            frozen=("exit_reason", "exit_on"),
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: region (county) whose register the household is on
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: name of the person
    name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: 18-character resident ID (GB 11643, check digit validated); masked on screen
    id_number: Mapped[str] = mapped_column(sa.String(18), index=True)
    #: one of FAMILY_TYPES
    family_type: Mapped[str] = mapped_column(sa.String(16))
    #: the household: its head and address (户主、住址)
    household: Mapped[str] = mapped_column(sa.Unicode(128), default="")
    #: telephone of the household
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    #: bank account the benefits are paid to (digits and letters)
    bank_account: Mapped[str | None] = mapped_column(sa.String(34), default=None)
    #: what the family qualifies on (e.g. 独生子女死亡，母亲年满49周岁)
    evidence: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: number of the document proving it (证明文件编号)
    evidence_document_no: Mapped[str] = mapped_column(sa.Unicode(64), default="")
    #: pending, registered, rejected, exit_pending or exited (BENEFICIARY_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: one of EXIT_REASONS once an exit was proposed
    exit_reason: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    #: the date the household left the register (date of death, of moving, …)
    exit_on: Mapped[date | None] = mapped_column(default=None)
    #: UTC time of registration
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: maker who registered it; NULL for the registers kept before review existed
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: checker who approved (or sent back) the registration; never the registrar
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of that review
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: who proposed the exit
    exit_proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: checker who decided the exit; never its proposer
    exit_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of that decision
    exit_decided_at: Mapped[datetime | None] = mapped_column(default=None)

    region: Mapped[Region] = relationship()

    @property
    def status_label(self) -> str:
        return BENEFICIARY_TRANSITIONS.labels[self.status]

    @property
    def family_type_label(self) -> str:
        return FAMILY_TYPES[self.family_type]

    @property
    def exit_reason_label(self) -> str:
        return EXIT_REASONS[self.exit_reason] if self.exit_reason else ""


class DuplicateRegistration(db.Model):
    """A registration refused because the ID number is on another county's register: kept
    (after the refusal's rollback) so that both counties' reviewers and the prefecture see it.
    Not versioned: a log, like the access log; no money depends on it."""

    __tablename__ = "beneficiary_duplicates"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the county that tried to register the person
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: the name it was entered with
    name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: the ID number (masked on screen)
    id_number: Mapped[str] = mapped_column(sa.String(18))
    #: the registration it collided with
    other_beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"))
    #: the county whose register holds it
    other_region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: entry (form or API) or import
    source: Mapped[str] = mapped_column(sa.String(8))
    #: who tried
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of the attempt
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship(foreign_keys=[region_code])
    other_region: Mapped[Region] = relationship(foreign_keys=[other_region_code])


class Publicity(db.Model):
    """A 公示 of a county for one benefit (an expenditure category): the registered
    beneficiaries and proposed amounts, publicly listed from ``start_on`` to ``end_on``."""

    __tablename__ = "publicities"
    __versioned__ = {}
    __table_args__ = (
        status_check("status", PUBLICITY_TRANSITIONS.statuses),
        sa.CheckConstraint("start_on <= end_on", name="date_range"),
    )

    #: surrogate key; the notice number is derived from it
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the county whose beneficiaries are listed
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: the benefit listed (an expenditure category, e.g. hospital_allowance)
    category_code: Mapped[str] = mapped_column(
        sa.ForeignKey("expenditure_categories.code"), index=True
    )
    #: the notice's title
    title: Mapped[str] = mapped_column(sa.Unicode(128))
    #: first day of the listing
    start_on: Mapped[date]
    #: last day objections are received
    end_on: Mapped[date]
    #: where objections are received (受理地点)
    objection_place: Mapped[str] = mapped_column(sa.Unicode(128))
    #: telephone for objections
    objection_phone: Mapped[str] = mapped_column(sa.String(32))
    #: the issuing body printed under the notice (e.g. 耒阳市计划生育协会)
    issuer: Mapped[str] = mapped_column(sa.Unicode(128))
    #: running, ended or withdrawn (PUBLICITY_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    #: maker who issued it
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: UTC time of issue
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: checker who ended it after its period, or who withdrew it
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of that
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    region: Mapped[Region] = relationship()
    category: Mapped[ExpenditureCategory] = relationship()
    entries: Mapped[list[PublicityEntry]] = relationship(
        back_populates="publicity", order_by="PublicityEntry.position"
    )
    objections: Mapped[list[Objection]] = relationship(
        back_populates="publicity", order_by="Objection.id"
    )

    @property
    def status_label(self) -> str:
        return PUBLICITY_TRANSITIONS.labels[self.status]

    @property
    def notice_no(self) -> str:
        return f"GS{self.region_code}{self.id:05d}"


class PublicityEntry(db.Model):
    """One beneficiary listed on a 公示, with the proposed amount."""

    __tablename__ = "publicity_entries"
    __versioned__ = {}
    __table_args__ = (
        positive_check("amount_fen"),
        sa.UniqueConstraint("publicity_id", "position", name="uq_publicity_entries_position"),
    )

    #: the 公示
    publicity_id: Mapped[int] = mapped_column(sa.ForeignKey("publicities.id"), primary_key=True)
    #: the beneficiary listed (registered when the 公示 was issued)
    beneficiary_id: Mapped[int] = mapped_column(
        sa.ForeignKey("beneficiaries.id"), primary_key=True, index=True
    )
    #: the line number on the notice, from 1
    position: Mapped[int]
    #: the proposed amount in fen
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    publicity: Mapped[Publicity] = relationship(back_populates="entries")
    beneficiary: Mapped[Beneficiary] = relationship()


class Objection(db.Model):
    """An objection received during a 公示 (异议): who reported what, and the decision."""

    __tablename__ = "publicity_objections"
    __versioned__ = {}
    __table_args__ = (status_check("status", OBJECTION_TRANSITIONS.statuses),)
    #: the decision is a second person's, never the one who recorded the objection
    __two_person__ = TwoPerson(
        effective=("upheld", "dismissed"),
        proposer="recorded_by_id",
        decider="decided_by_id",
        frozen=("beneficiary_id", "publicity_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the 公示 objected to
    publicity_id: Mapped[int] = mapped_column(sa.ForeignKey("publicities.id"), index=True)
    #: the listed beneficiary it concerns; NULL for an objection to the list as a whole
    beneficiary_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("beneficiaries.id"), index=True, default=None
    )
    #: who reported (a name, or 匿名)
    reporter: Mapped[str] = mapped_column(sa.Unicode(64))
    #: how to reach them, if given
    reporter_contact: Mapped[str] = mapped_column(sa.Unicode(64), default="")
    #: what was reported
    content: Mapped[str] = mapped_column(sa.UnicodeText)
    #: the day it was received, within the 公示's period
    received_on: Mapped[date]
    #: open, upheld or dismissed (OBJECTION_TRANSITIONS)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    #: the decision's reasons (处理意见)
    decision: Mapped[str] = mapped_column(sa.UnicodeText, default="")
    #: who recorded it
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: checker who decided it; never the one who recorded it
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), default=None)
    #: UTC time of the decision
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    publicity: Mapped[Publicity] = relationship(back_populates="objections")
    beneficiary: Mapped[Beneficiary | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return OBJECTION_TRANSITIONS.labels[self.status]
