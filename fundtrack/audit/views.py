"""Pages: a record's history as plain-language diffs; the access log."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from fundtrack.audit.history import (
    FIELD_LABELS,
    KIND_RULE,
    OPERATION_LABELS,
    base_column,
    display_value,
    field_label,
    model_for,
    record_history,
    record_state_as_of,
)
from fundtrack.audit.permissions import can_view_record
from fundtrack.core.api import paginated
from fundtrack.core.web_helpers import request_page
from fundtrack.extensions import db

bp = Blueprint("audit_pages", __name__)

LOCAL = ZoneInfo("Asia/Shanghai")
KIND_LABELS = {
    "funds": "专项资金",
    "allocations": "资金下达",
    "recalls": "资金收回",
    "disbursements": "支出",
    "beneficiaries": "受益人",
    "evaluations": "绩效评价",
}


def _value_labels(kind: str, entries) -> dict[str, dict[str, str]]:
    """Readable names for the codes and ids that appear in the changes."""
    from fundtrack.allocations.models import ALLOCATION_TRANSITIONS, RECALL_TRANSITIONS
    from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS, FAMILY_TYPES
    from fundtrack.evaluations.models import EVALUATION_TRANSITIONS
    from fundtrack.funds.models import (
        FUND_TRANSITIONS,
        YEAR_END_POLICIES,
        ExpenditureCategory,
        Fund,
    )
    from fundtrack.regions.models import Region
    from fundtrack.users.models import User

    regions = dict(db.session.execute(sa.select(Region.code, Region.name)).all())
    categories = dict(
        db.session.execute(sa.select(ExpenditureCategory.code, ExpenditureCategory.name)).all()
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
        for uid, name in db.session.execute(
            sa.select(User.id, User.display_name).where(User.id.in_(user_ids))
        )
    }
    funds = {str(fid): f"{code} {name}" for fid, code, name in db.session.execute(
        sa.select(Fund.id, Fund.code, Fund.name)
    )}  # fmt: skip
    statuses = {
        "funds": FUND_TRANSITIONS,
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
        "fund_id": funds,
        "year_end_policy": YEAR_END_POLICIES,
        "family_type": FAMILY_TYPES,
    }


def _linked(kind: str, record) -> list[tuple[str, str, str]]:
    """(label, kind, id) of the records an auditor follows from this one."""
    from fundtrack.disbursements.models import Disbursement

    links = []
    if kind == "allocations":
        links += [(f"收回 #{r.id}", "recalls", r.id) for r in record.recalls]
        payments = db.session.scalars(
            sa.select(Disbursement)
            .where(
                Disbursement.fund_id == record.fund_id,
                Disbursement.region_code == record.to_region_code,
            )
            .order_by(Disbursement.id)
            .limit(50)
        )
        links += [
            (f"接收地区的支出 #{d.id}（{d.voucher_no}）", "disbursements", d.id) for d in payments
        ]
    elif kind == "recalls":
        links.append((f"原资金下达 #{record.allocation_id}", "allocations", record.allocation_id))
        if record.redistributed_as_id:
            links.append(
                (f"调剂形成的下达 #{record.redistributed_as_id}", "allocations",
                 record.redistributed_as_id)
            )  # fmt: skip
    elif kind == "disbursements":
        if record.reverses_id:
            links.append((f"被冲销的原支出 #{record.reverses_id}", "disbursements",
                          record.reverses_id))  # fmt: skip
        if record.reversal is not None:
            links.append((f"冲销记录 #{record.reversal.id}", "disbursements", record.reversal.id))
        if record.beneficiary_id:
            links.append((f"受益人 #{record.beneficiary_id}", "beneficiaries",
                          record.beneficiary_id))  # fmt: skip
    return links


@bp.route(f"/history/{KIND_RULE}/<int:record_id>")
@login_required
def history(kind: str, record_id: int):
    from fundtrack.users.models import ROLES

    model = model_for(kind)
    record = db.session.get(model, record_id)
    if not can_view_record(db.session, current_user, kind, record):
        abort(404)
    entries = record_history(db.session, model, record_id)
    labels = _value_labels(kind, entries)
    rows = []
    for entry in entries:
        rows.append(
            {
                "entry": entry,
                "when": entry.issued_at.replace(tzinfo=UTC).astimezone(LOCAL),
                "operation": OPERATION_LABELS.get(entry.operation, entry.operation),
                "role": ROLES.get(entry.user["role"], entry.user["role"]) if entry.user else None,
                "region": labels["region_code"].get(entry.user["region"]) if entry.user else None,
                "diffs": [
                    (
                        field_label(column),
                        display_value(base_column(column), old, labels),
                        display_value(base_column(column), new, labels),
                    )
                    for column, (old, new) in entry.changes.items()
                ],
            }
        )
    as_of_text = (request.args.get("as_of") or "").strip()
    state_rows, state_error = None, None
    if as_of_text:
        from fundtrack.core.timeparse import parse_moment

        try:
            found = record_state_as_of(db.session, model, record_id, parse_moment(as_of_text))
        except ValueError:
            state_error = "时点格式不正确，请填写日期（如 2017-12-31）或日期时间"
        else:
            if found is None:
                state_error = "该时点这条记录尚不存在"
            else:
                state_labels = _value_labels(kind, [])
                state_rows = [
                    (FIELD_LABELS.get(c, c), display_value(c, v, state_labels))
                    for c, v in found[1].items()
                    if c != "id"
                ]
    return render_template(
        "audit/history.html",
        as_of_text=as_of_text,
        state_rows=state_rows,
        state_error=state_error,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        record=record,
        record_id=record_id,
        rows=rows,
        links=_linked(kind, record),
        request_args=request.args,
    )


@bp.route("/audit/access-log")
@login_required
def access_log():
    """Logins, failed logins, tokens, exports and reveals, for auditors and administrators."""
    from datetime import date

    from fundtrack.audit.models import ACCESS_EVENTS
    from fundtrack.audit.operations import access_log_query
    from fundtrack.audit.permissions import can_read_access_log

    if not can_read_access_log(current_user):
        abort(403)
    filters, errors = {}, []
    for key in ("event", "username"):
        value = (request.args.get(key) or "").strip()
        if value:
            filters[key] = value
    for key in ("since", "until"):
        value = (request.args.get(key) or "").strip()
        if value:
            try:
                filters[key] = date.fromisoformat(value)
            except ValueError:
                errors.append(f"日期格式不正确：{value}（应为 2018-03-31）")
    if filters.get("event") not in (None, *ACCESS_EVENTS):
        errors.append("事件类型不正确")
        filters.pop("event")
    per_page = 50
    stmt = access_log_query(filters)
    listing = paginated(db.session, stmt, request_page(per_page))
    entries, page, total = listing["items"], listing["page"], listing["total"]
    return render_template(
        "audit/access_log.html",
        entries=entries,
        events=ACCESS_EVENTS,
        filters={k: str(v) for k, v in filters.items()},
        errors=errors,
        page=page,
        per_page=per_page,
        total=total,
        local=LOCAL,
        utc=UTC,
    )


@bp.route("/audit/packets/funds/<int:fund_id>")
@login_required
def audit_packet(fund_id: int):
    from fundtrack.audit.packet import send_audit_packet
    from fundtrack.audit.permissions import can_export_audit_packet
    from fundtrack.core.web_helpers import get_visible_fund_or_404

    fund = get_visible_fund_or_404(fund_id)
    if not can_export_audit_packet(current_user):
        abort(403)
    return send_audit_packet(fund, current_user)
