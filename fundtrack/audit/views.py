"""Pages: a record's history as plain-language diffs; the access log."""

from __future__ import annotations

from datetime import UTC, date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from fundtrack.audit.history import (
    KIND_RULE,
    model_for,
)
from fundtrack.audit.models import ACCESS_EVENTS
from fundtrack.audit.operations import access_log_query
from fundtrack.audit.packet import send_audit_packet
from fundtrack.audit.permissions import (
    can_export_audit_packet,
    can_read_access_log,
    can_view_record,
)
from fundtrack.audit.reports import (
    KIND_LABELS,
    LOCAL,
    history_rows,
    linked_records,
    readable_state,
    send_history_report,
)
from fundtrack.core.api import paginated
from fundtrack.core.i18n import _
from fundtrack.core.timeparse import parse_moment
from fundtrack.core.web_helpers import request_page
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund

bp = Blueprint("audit_pages", __name__)


@bp.route(f"/history/{KIND_RULE}/<int:record_id>")
@login_required
def history(kind: str, record_id: int):
    model = model_for(kind)
    record = db.session.get(model, record_id)
    if not can_view_record(db.session, current_user, kind, record):
        abort(404)
    rows = history_rows(db.session, kind, record_id)
    as_of_text = (request.args.get("as_of") or "").strip()
    state_rows, state_error = None, None
    if as_of_text:
        try:
            state_rows = readable_state(db.session, kind, record_id, parse_moment(as_of_text))
        except ValueError:
            state_error = _("时点格式不正确，请填写日期（如 2017-12-31）或日期时间")
        else:
            if state_rows is None:
                state_error = _("该时点这条记录尚不存在")
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
        links=linked_records(db.session, kind, record),
        request_args=request.args,
    )


@bp.route(f"/history/{KIND_RULE}/<int:record_id>/report.pdf")
@login_required
def history_report(kind: str, record_id: int):

    record = db.session.get(model_for(kind), record_id)
    if not can_view_record(db.session, current_user, kind, record):
        abort(404)
    return send_history_report(db.session, kind, record, current_user)


@bp.route("/audit/access-log")
@login_required
def access_log():
    """Logins, failed logins, tokens, exports and reveals, for auditors and administrators."""
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
                errors.append(_("日期格式不正确：%(value)s（应为 2018-03-31）", value=value))
    if filters.get("event") not in (None, *ACCESS_EVENTS):
        errors.append(_("事件类型不正确"))
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

    fund = get_visible_fund(fund_id)
    if not can_export_audit_packet(current_user):
        abort(403)
    return send_audit_packet(fund, current_user)
