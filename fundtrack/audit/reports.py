"""A record's history made readable: labels for codes and ids, diffs in plain language and
the records an auditor follows from it. One reading for the page, the PDF and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy_continuum import version_class, versioning_manager

from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, RECALL_TRANSITIONS
from fundtrack.audit.history import (
    FIELD_LABELS,
    OPERATION_LABELS,
    OPERATIONS,
    base_column,
    display_value,
    field_label,
    model_for,
    record_history,
    record_state_as_of,
)
from fundtrack.audit.models import AuditSeal
from fundtrack.beneficiaries.models import FAMILY_TYPES, Beneficiary
from fundtrack.core.i18n import _, _l, chinese_documents
from fundtrack.core.models import utcnow
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, Disbursement
from fundtrack.evaluations.models import EVALUATION_TRANSITIONS
from fundtrack.funds.models import (
    FUND_TRANSITIONS,
    YEAR_END_POLICIES,
    YEAR_END_TRANSITIONS,
    ExpenditureCategory,
    Fund,
)
from fundtrack.regions.models import Region
from fundtrack.reports.pdf import render_pdf, send_pdf
from fundtrack.users.models import ROLES, User

LOCAL = ZoneInfo("Asia/Shanghai")
#: kind -> label (lazy: in the reader's language; the history PDF renders it in Chinese)
KIND_LABELS = {
    "funds": _l("专项资金"),
    "year-end-closes": _l("年度结算"),
    "allocations": _l("资金下达"),
    "recalls": _l("资金收回"),
    "disbursements": _l("支出"),
    "beneficiaries": _l("受益人"),
    "publicities": _l("公示"),
    "objections": _l("公示异议"),
    "evaluations": _l("绩效评价"),
}


def value_labels(session, kind: str, entries) -> dict[str, dict[str, str]]:
    """Readable names for the codes and ids that appear in the changes."""
    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    categories = dict(
        session.execute(sa.select(ExpenditureCategory.code, ExpenditureCategory.name)).all()
    )
    user_ids = {
        value
        for entry in entries
        for column, pair in entry.changes.items()
        if column.endswith("_by_id")
        for value in pair
        if value is not None
    }
    users = {
        str(uid): name
        for uid, name in session.execute(
            sa.select(User.id, User.display_name).where(User.id.in_(user_ids))
        )
    }

    beneficiary_ids = {
        value
        for entry in entries
        for column, pair in entry.changes.items()
        if column == "beneficiary_id"
        for value in pair
        if value is not None
    }
    beneficiaries = (
        {
            str(bid): _("%(name)s（#%(id)s）", name=name, id=bid)
            for bid, name in session.execute(
                sa.select(Beneficiary.id, Beneficiary.name).where(
                    Beneficiary.id.in_(beneficiary_ids)
                )
            )
        }
        if beneficiary_ids
        else {}
    )
    funds = {str(fid): f"{code} {name}" for fid, code, name in session.execute(
        sa.select(Fund.id, Fund.code, Fund.name)
    )}  # fmt: skip
    statuses = {
        "funds": FUND_TRANSITIONS,
        "year-end-closes": YEAR_END_TRANSITIONS,
        "allocations": ALLOCATION_TRANSITIONS,
        "recalls": RECALL_TRANSITIONS,
        "disbursements": DISBURSEMENT_TRANSITIONS,
        "evaluations": EVALUATION_TRANSITIONS,
    }.get(kind)
    region_labels = {code: name for code, name in regions.items()}
    return {
        "status": statuses.labels if statuses else {},
        "from_region_code": region_labels,
        "to_region_code": region_labels,
        "region_code": region_labels,
        "redistribute_to_code": region_labels,
        "category_code": categories,
        "created_by_id": users,
        "approved_by_id": users,
        "reviewed_by_id": users,
        "decided_by_id": users,
        "fund_id": funds,
        "to_fund_id": funds,
        "from_fund_id": funds,
        "year_end_policy": YEAR_END_POLICIES,
        "policy": YEAR_END_POLICIES,
        "family_type": FAMILY_TYPES,
        "beneficiary_id": beneficiaries,
    }


def linked_records(session, kind: str, record) -> list[tuple[str, str, str]]:
    """(label, kind, id) of the records an auditor follows from this one."""
    links = []
    if kind == "allocations":
        links += [(_("收回 #%(id)s", id=r.id), "recalls", r.id) for r in record.recalls]
        payments = session.scalars(
            sa.select(Disbursement)
            .where(
                Disbursement.fund_id == record.fund_id,
                Disbursement.region_code == record.to_region_code,
            )
            .order_by(Disbursement.id)
            .limit(50)
        )
        links += [
            (
                _("接收地区的支出 #%(id)s（%(voucher)s）", id=d.id, voucher=d.voucher_no),
                "disbursements",
                d.id,
            )
            for d in payments
        ]
    elif kind == "year-end-closes":
        links.append((_("专项资金 #%(id)s", id=record.fund_id), "funds", record.fund_id))
    elif kind == "recalls":
        links.append(
            (_("原资金下达 #%(id)s", id=record.allocation_id), "allocations", record.allocation_id)
        )
        if record.redistributed_as_id:
            links.append(
                (_("调剂形成的下达 #%(id)s", id=record.redistributed_as_id), "allocations",
                 record.redistributed_as_id)
            )  # fmt: skip
    elif kind == "disbursements":
        if record.reverses_id:
            links.append((_("被冲销的原支出 #%(id)s", id=record.reverses_id), "disbursements",
                          record.reverses_id))  # fmt: skip
        if record.reversal is not None:
            links.append(
                (_("冲销记录 #%(id)s", id=record.reversal.id), "disbursements", record.reversal.id)
            )
        if record.beneficiary_id:
            links.append((_("受益人 #%(id)s", id=record.beneficiary_id), "beneficiaries",
                          record.beneficiary_id))  # fmt: skip
    return links


@dataclass
class HistoryRow:
    transaction_id: int
    #: Beijing time
    when: datetime
    operation: str
    #: display name and user name, or None for the system
    user: dict | None
    role: str | None
    region: str | None
    remote_addr: str | None
    action: str | None
    reason: str | None
    #: (field label, old value, new value), readable
    diffs: list[tuple[str, str, str]]

    @property
    def actor(self) -> str:
        if self.user is None:
            return _("系统")
        if self.region:
            return _(
                "%(name)s（%(username)s，%(role)s · %(region)s）",
                name=self.user["display_name"],
                username=self.user["username"],
                role=self.role,
                region=self.region,
            )
        return _(
            "%(name)s（%(username)s，%(role)s）",
            name=self.user["display_name"],
            username=self.user["username"],
            role=self.role,
        )


def _history_row(*, issued_at, operation: str, user: dict | None, region, **fields) -> HistoryRow:
    """One row as the page, the PDF and the exports show it: Beijing time, the operation's
    and the actor's role's labels, the actor's region (only with an actor)."""
    return HistoryRow(
        when=issued_at.replace(tzinfo=UTC).astimezone(LOCAL),
        operation=str(OPERATION_LABELS.get(operation, operation)),
        user=user,
        role=str(ROLES.get(user["role"], user["role"])) if user else None,
        region=region if user else None,
        **fields,
    )


def history_rows(session, kind: str, record_id: int) -> list[HistoryRow]:
    """Every change of one record, oldest first, with readable values."""
    entries = record_history(session, model_for(kind), record_id)
    labels = value_labels(session, kind, entries)
    return [
        _history_row(
            transaction_id=entry.transaction_id,
            issued_at=entry.issued_at,
            operation=entry.operation,
            user=entry.user,
            region=labels["region_code"].get(entry.user["region"]) if entry.user else None,
            remote_addr=entry.remote_addr,
            action=entry.action,
            reason=entry.reason,
            diffs=[
                (
                    field_label(column),
                    display_value(base_column(column), old, labels),
                    display_value(base_column(column), new, labels),
                )
                for column, (old, new) in entry.changes.items()
            ],
        )
        for entry in entries
    ]


def decision_trail(session, kind: str, record_id: int) -> list[HistoryRow]:
    """The steps of a record that a person took with words: who proposed it, when and why,
    and every decision with the approver's opinion, oldest first (the record's page shows
    them before anybody decides)."""
    # One statement: the record's page shows this on every visit, and the full history
    # (diffs, value labels of every code) is not needed for it.
    version = version_class(model_for(kind))
    transaction = versioning_manager.transaction_cls
    found = session.execute(
        sa.select(
            transaction.id,
            transaction.issued_at,
            transaction.remote_addr,
            transaction.action,
            transaction.reason,
            transaction.actor_role,
            transaction.actor_region_code,
            version.operation_type,
            User.id.label("user_id"),
            User.username,
            User.display_name,
            Region.name.label("region_name"),
        )
        .join(version, version.transaction_id == transaction.id)
        .outerjoin(User, User.id == transaction.user_id)
        .outerjoin(Region, Region.code == transaction.actor_region_code)
        .where(
            version.id == record_id,
            sa.or_(transaction.action.is_not(None), transaction.reason.is_not(None)),
        )
        .order_by(transaction.id)
    ).all()
    return [
        _history_row(
            transaction_id=row.id,
            issued_at=row.issued_at,
            operation=OPERATIONS.get(row.operation_type, row.operation_type),
            user=None
            if row.user_id is None
            else {
                "id": row.user_id,
                "username": row.username,
                "display_name": row.display_name,
                "role": row.actor_role,
                "region": row.actor_region_code,
            },
            region=row.region_name,
            remote_addr=row.remote_addr,
            action=row.action,
            reason=row.reason,
            diffs=[],
        )
        for row in found
    ]


def readable_state(session, kind: str, record_id: int, moment: datetime):
    """The record as it stood at ``moment`` (naive UTC) as (field label, value) pairs, or
    None when it did not exist then."""
    found = record_state_as_of(session, model_for(kind), record_id, moment)
    if found is None:
        return None
    labels = value_labels(session, kind, [])
    return [
        (str(FIELD_LABELS.get(c, c)), display_value(c, v, labels))
        for c, v in found[1].items()
        if c != "id"
    ]


def send_history_report(session, kind: str, record, user):
    """The record's history as a PDF: its current state, every change with who, when, from
    where and why, and each change's seal in the audit hash chain. In Chinese whatever the
    reader's language: the labels are read here, before the rendering, so all of it runs
    under ``chinese_documents``."""
    with chinese_documents():
        return _send_history_report(session, kind, record, user)


def _send_history_report(session, kind: str, record, user):

    rows = history_rows(session, kind, record.id)
    seals = dict(
        session.execute(
            sa.select(AuditSeal.transaction_id, AuditSeal.hash).where(
                AuditSeal.transaction_id.in_([row.transaction_id for row in rows])
            )
        ).all()
    )
    now = utcnow()
    state_rows = readable_state(session, kind, record.id, now) or []
    data = render_pdf(
        "history.html",
        about=(type(record), record.id),
        kind_label=str(KIND_LABELS[kind]),
        record_id=record.id,
        rows=rows,
        seals=seals,
        state_rows=state_rows,
        printed_at=now.replace(tzinfo=UTC).astimezone(LOCAL),
        printed_by=user,
    )
    title = f"变更历史报告 {kind} #{record.id}"  # zh-only: the PDF's title, a document
    return send_pdf(data, f"history-{kind}-{record.id}.pdf", title)
