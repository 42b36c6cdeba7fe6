"""Pages: a record's history as plain-language diffs; the access log; 文书核验."""

from __future__ import annotations

import json
from datetime import UTC, date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from pypdf.errors import PdfReadError

from fundtrack.audit import witness
from fundtrack.audit.forms import DocumentCheckForm
from fundtrack.audit.history import (
    KIND_RULE,
    model_for,
)
from fundtrack.audit.models import ACCESS_EVENTS
from fundtrack.audit.offline import proofs_in_bytes
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


@bp.route("/audit/documents", methods=["GET", "POST"])
@login_required
def check_document():
    """文书核验: whoever holds a notice (or a head) asks whether it still agrees with today's
    history. Reads only."""
    form = DocumentCheckForm()
    results, error = [], None
    if form.validate_on_submit():
        submitted, error = _submitted(form)
        for name, document in submitted:
            results.append(
                (name, witness.check_document(db.session, document, witness.keys().trusted))
            )
    elif form.errors:
        error = " ".join(str(m) for messages in form.errors.values() for m in messages)
    status = 422 if error else 200
    return render_template(
        "audit/check_document.html", form=form, results=results, error=error
    ), status


def _submitted(form) -> tuple[list[tuple[str, object]], str | None]:
    """(name, parsed JSON) of what was uploaded or pasted, or a refusal in the page's
    language."""
    upload = form.file.data
    if upload and upload.filename:
        try:
            found = proofs_in_bytes(upload.read(), upload.filename)
        except (PdfReadError, ValueError, KeyError, TypeError):
            return [], _("无法读取该 PDF 文件")
        if not found:
            return [], _("该文件不含审计证明：请上传本系统生成的文书（如资金下达通知）")
        return found, None
    text = (form.text.data or "").strip()
    if not text:
        return [], _("请上传文书 PDF，或粘贴签名树头")
    try:
        return [(_("粘贴的内容"), json.loads(text))], None
    except ValueError:
        return [], _("粘贴的内容不是 JSON：请粘贴 audit head --json 的一行或 proof.json")
