"""Pages: export downloads (the same tables as the API), Excel import, bank payment files.

Exports and bank files are documents: built in Chinese whatever the user's language
(``chinese_documents``); the pages and their messages are in the user's language.
"""

from __future__ import annotations

import base64
import io

import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer

from fundtrack.audit.history import KIND_RULE, model_for
from fundtrack.audit.permissions import can_view_record
from fundtrack.core.i18n import _
from fundtrack.core.web_helpers import attempt
from fundtrack.exchange.api import (
    batch_view,
    get_visible_batch,
    parse_as_of,
    split_format,
    visible_batches,
)
from fundtrack.exchange.bankfiles import send_bank_file
from fundtrack.exchange.contract import KINDS, RowError, import_kind
from fundtrack.exchange.errors import ImportRejected
from fundtrack.exchange.exports import send_export
from fundtrack.exchange.forms import BankBatchForm, ErrorWorkbookForm, ImportForm
from fundtrack.exchange.operations import create_bank_batch, import_workbook, unpayable_count
from fundtrack.exchange.permissions import can_export_bank_file, can_import
from fundtrack.exchange.schemas import (
    AllocationsExportQuerySchema,
    DisbursementsExportQuerySchema,
)
from fundtrack.exchange.tables import XLSX_MIMETYPE
from fundtrack.exchange.xlsx import annotated_workbook, send_template
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund
from fundtrack.regions.models import Region
from fundtrack.regions.operations import subtree_codes

bp = Blueprint("exchange_pages", __name__)

FORMAT_RULE = "<any(xlsx, csv):fmt>"


def _filters(schema: ma.Schema) -> dict:
    """The list's filters from the query string, validated as the API validates them."""
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        return split_format(schema.load(args))[1]
    except ma.ValidationError:
        abort(400)


@bp.route(f"/exports/funds/<int:fund_id>/balances.{FORMAT_RULE}")
@login_required
def export_balances(fund_id: int, fmt: str):
    fund = get_visible_fund(fund_id)
    as_of = parse_as_of((request.args.get("as_of") or "").strip())
    return send_export(db.session, current_user, "balances", fmt, fund=fund, as_of=as_of)


@bp.route(f"/exports/allocations.{FORMAT_RULE}")
@login_required
def export_allocations(fmt: str):
    filters = _filters(AllocationsExportQuerySchema())
    return send_export(db.session, current_user, "allocations", fmt, filters=filters)


@bp.route(f"/exports/disbursements.{FORMAT_RULE}")
@login_required
def export_disbursements(fmt: str):
    filters = _filters(DisbursementsExportQuerySchema())
    return send_export(db.session, current_user, "disbursements", fmt, filters=filters)


@bp.route(f"/exports/history/{KIND_RULE}/<int:record_id>.{FORMAT_RULE}")
@login_required
def export_history(kind: str, record_id: int, fmt: str):
    record = db.session.get(model_for(kind), record_id)
    if not can_view_record(db.session, current_user, kind, record):
        abort(404)
    return send_export(db.session, current_user, "history", fmt, kind=kind, record_id=record_id)


IMPORT_KIND_RULE = "<any({}):kind>".format(", ".join(KINDS))
#: most row errors listed on the page; the workbook carries them all
SHOWN_ERRORS = 200
#: how long the page's error workbook can be downloaded
ERROR_WORKBOOK_MAX_AGE = 3600
#: where a successful import sends the user: the list of new drafts awaiting approval
AFTER_IMPORT = {
    "allocations": ("allocation_pages.index", "draft"),
    "disbursements": ("disbursement_pages.index", "pending"),
    "beneficiaries": ("beneficiary_pages.index", "pending"),
}


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fundtrack-import-errors")


@bp.route("/imports/")
@login_required
def imports():
    if not can_import(current_user):
        abort(403)
    return render_template("exchange/imports.html", kinds=KINDS, forms=_forms())


def _forms(**overrides) -> dict:
    return {name: overrides.get(name) or ImportForm(prefix=name) for name in KINDS}


@bp.route(f"/imports/{IMPORT_KIND_RULE}/template.xlsx")
@login_required
def import_template(kind: str):
    if not can_import(current_user):
        abort(403)
    return send_template(db.session, current_user, import_kind(kind))


@bp.route(f"/imports/{IMPORT_KIND_RULE}", methods=["POST"])
@login_required
def run_import(kind: str):
    if not can_import(current_user):
        abort(403)
    spec = import_kind(kind)
    form = ImportForm(prefix=kind)
    if not form.validate_on_submit():
        return render_template(
            "exchange/imports.html", kinds=KINDS, forms=_forms(**{kind: form}), active=kind
        ), 422
    upload = form.file.data
    data = upload.read()
    try:
        result = import_workbook(db.session, current_user, spec, data, upload.filename or "")
    except ImportRejected as rejected:
        # nothing of the sheet stays, before the page reads the database again
        db.session.rollback()
        rows = rejected.details.get("rows") or []
        download = None
        if rows:
            workbook = annotated_workbook(spec, data, rows)
            download = ErrorWorkbookForm(
                formdata=None,
                kind=kind,
                workbook=_signer().dumps(base64.b64encode(workbook).decode("ascii")),
            )
        return render_template(
            "exchange/imports.html",
            kinds=KINDS,
            forms=_forms(),
            active=kind,
            rejected=rejected,
            error_rows=[_readable(spec, row) for row in rows[:SHOWN_ERRORS]],
            hidden_errors=max(len(rows) - SHOWN_ERRORS, 0),
            download=download,
        ), 422
    endpoint, status = AFTER_IMPORT[kind]
    flash(
        _(
            "已导入%(kind)s %(count)s 条，均待审批",
            kind=spec.heading,
            count=len(result.created),
        ),
        "success",
    )
    return redirect(url_for(endpoint, status=status))


def _readable(spec, row: dict) -> dict:

    return {"row": row["row"], "text": RowError(**row).text}


@bp.route("/imports/errors.xlsx", methods=["POST"])
@login_required
def error_workbook():
    """The annotated workbook the import page carries, checked against this server's key."""
    form = ErrorWorkbookForm()
    if not form.validate_on_submit() or form.kind.data not in KINDS:
        abort(400)
    try:
        encoded = _signer().loads(form.workbook.data, max_age=ERROR_WORKBOOK_MAX_AGE)
    except BadSignature:
        abort(400)
    return send_file(
        io.BytesIO(base64.b64decode(encoded)),
        mimetype=XLSX_MIMETYPE,
        download_name=f"{form.kind.data}-errors.xlsx",
        as_attachment=True,
    )


@bp.route("/bank-files/", methods=["GET", "POST"])
@login_required
def bank_files():
    """Produce a bank payment batch of approved payments; earlier batches to download."""
    if not can_export_bank_file(db.session, current_user, current_user.region_code):
        abort(403)
    form = BankBatchForm()
    codes = subtree_codes(db.session, current_user.region_code)
    form.region.choices = [
        (r.code, f"{r.code} {r.name}")
        for r in db.session.scalars(
            sa.select(Region).where(Region.code.in_(codes)).order_by(Region.code)
        )
    ]
    if request.method == "GET":
        form.region.data = current_user.region_code
    status = 200
    if form.validate_on_submit():
        batch, refusal = attempt(
            lambda: create_bank_batch(
                db.session,
                current_user,
                region_code=form.region.data,
                paid_from=form.paid_from.data,
                paid_to=form.paid_to.data,
            ),
            form,
        )
        if refusal is not None:
            status = 422
        else:
            (view,) = batch_view(db.session, [batch])
            without_account = unpayable_count(
                db.session, batch.region_code, batch.paid_from, batch.paid_to
            )
            flash(
                _(
                    "已生成代发批次 %(batch_no)s：%(count)s 笔，共 %(total)s 元",
                    batch_no=view["batch_no"],
                    count=view["count"],
                    total=view["total"],
                ),
                "success",
            )
            if without_account:
                flash(
                    _(
                        "另有 %(count)s 笔已审批支出没有银行账号，未列入批次",
                        count=without_account,
                    ),
                    "error",
                )
            return redirect(url_for("exchange_pages.bank_files"))
    elif request.method == "POST":
        status = 422
    batches = db.session.scalars(visible_batches(db.session, current_user).limit(100)).all()
    return render_template(
        "exchange/bank_files.html", form=form, batches=batch_view(db.session, batches)
    ), status


@bp.route("/bank-files/<int:batch_id>.csv")
@login_required
def bank_file(batch_id: int):

    batch = get_visible_batch(batch_id)
    if not can_export_bank_file(db.session, current_user, batch.region_code):
        abort(403)
    return send_bank_file(db.session, batch)
