"""``/api/v1/exports``: balances, allocations, payments and histories as ``.xlsx`` or CSV.

Exports and bank files are documents: built in Chinese whatever the caller's language
(``chinese_documents``); refusals are in the caller's language.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import g, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit.history import KIND_RULE, model_for
from fundtrack.audit.permissions import can_view_record
from fundtrack.core.access import get_visible
from fundtrack.core.api import NOT_FOUND, file_response
from fundtrack.core.auth import token_required
from fundtrack.core.errors import Forbidden, NotFound, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.money import yuan_str
from fundtrack.core.timeparse import parse_moment
from fundtrack.exchange.bankfiles import send_bank_file
from fundtrack.exchange.contract import KINDS, import_kind
from fundtrack.exchange.errors import ImportRejected
from fundtrack.exchange.exports import send_export
from fundtrack.exchange.models import BankBatch
from fundtrack.exchange.operations import batch_totals, create_bank_batch, import_workbook
from fundtrack.exchange.permissions import can_export_bank_file, can_view_bank_batch
from fundtrack.exchange.schemas import (
    AllocationsExportQuerySchema,
    BalancesExportQuerySchema,
    BankBatchCreateSchema,
    BankBatchListSchema,
    BankBatchSchema,
    DisbursementsExportQuerySchema,
    FormatQuerySchema,
    ImportResultSchema,
    UploadSchema,
)
from fundtrack.exchange.tables import CSV_MIMETYPE, XLSX_MIMETYPE
from fundtrack.exchange.xlsx import annotated_workbook, send_template
from fundtrack.extensions import db
from fundtrack.funds.permissions import get_visible_fund
from fundtrack.regions.operations import subtree_codes
from fundtrack.users.models import User

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="导出")

SPREADSHEET_RESPONSE = file_response(
    "工作簿（xlsx）或 CSV（UTF-8，带 BOM）",  # zh-only: API documentation
    XLSX_MIMETYPE,
    CSV_MIMETYPE.split(";")[0],
)


def split_format(query: dict) -> tuple[str, dict]:
    """(format, the remaining filters)."""
    filters = dict(query)
    return filters.pop("format"), filters


def parse_as_of(text: str | None):
    if not text:
        return None
    try:
        return parse_moment(text)
    except ValueError:
        message = _("时点格式不正确，请填写日期（如 2017-12-31）或日期时间")
        raise ValidationFailed(message, fields={"as_of": [message]}) from None


@blp.route("/balances")
class BalancesExport(MethodView):
    @blp.arguments(BalancesExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @blp.alt_response(422, description="参数不正确", schema="Error")
    @blp.alt_response(404, **NOT_FOUND)
    @token_required
    def get(self, query):
        """A fund's balance at every region of the caller's subtree, now or ``as_of``."""
        fund = get_visible_fund(query["fund_id"])
        as_of = parse_as_of(query.get("as_of"))
        return send_export(db.session, g.user, "balances", query["format"], fund=fund, as_of=as_of)


@blp.route("/allocations")
class AllocationsExport(MethodView):
    @blp.arguments(AllocationsExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @token_required
    def get(self, query):
        """The allocations of the caller's subtree, with the filters of the list."""
        fmt, filters = split_format(query)
        return send_export(db.session, g.user, "allocations", fmt, filters=filters)


@blp.route("/disbursements")
class DisbursementsExport(MethodView):
    @blp.arguments(DisbursementsExportQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @token_required
    def get(self, query):
        """The payments of the caller's subtree, with the filters of the list; ID numbers
        masked (the bank file is the only place they appear in full)."""
        fmt, filters = split_format(query)
        return send_export(db.session, g.user, "disbursements", fmt, filters=filters)


@blp.route(f"/history/{KIND_RULE}/<int:record_id>")
class HistoryExport(MethodView):
    @blp.arguments(FormatQuerySchema, location="query")
    @blp.doc(responses=SPREADSHEET_RESPONSE)
    @blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, query, kind, record_id):
        """A record's history, one line per changed field."""
        record = db.session.get(model_for(kind), record_id)
        if not can_view_record(db.session, g.user, kind, record):
            raise NotFound()
        return send_export(
            db.session, g.user, "history", query["format"], kind=kind, record_id=record_id
        )


imports_blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="Excel 导入")

IMPORT_KIND_RULE = "<any({}):kind>".format(", ".join(KINDS))


@imports_blp.route(f"/{IMPORT_KIND_RULE}/template")
class ImportTemplate(MethodView):
    @imports_blp.doc(
        responses=file_response(
            "导入模板（含示例行和说明表）",  # zh-only: API documentation
            XLSX_MIMETYPE,
        )
    )
    @token_required
    def get(self, kind):
        """The workbook to fill: columns, an example row, and the codes the caller may use."""
        return send_template(db.session, g.user, import_kind(kind))


@imports_blp.route(f"/{IMPORT_KIND_RULE}")
class Import(MethodView):
    @imports_blp.arguments(UploadSchema, location="files")
    @imports_blp.response(201, ImportResultSchema)
    @imports_blp.alt_response(
        422,
        description="整批未导入：``details.rows`` 列出每一行的错误；请求头 "
        "``Accept: " + XLSX_MIMETYPE + "`` 时返回同一工作簿，最后一列为错误",
        schema="Error",
    )
    @imports_blp.alt_response(403, description="仅财务经办人员可以导入", schema="Error")
    @token_required
    def post(self, files, kind):
        """Import every row of the workbook, or none: each row is checked by the same rules
        as the API (earmark, balance, benefit caps, permissions), in the order of the sheet."""
        spec = import_kind(kind)
        upload = files["file"]
        data = upload.read()
        try:
            result = import_workbook(db.session, g.user, spec, data, upload.filename or "")
        except ImportRejected as rejected:
            if request.accept_mimetypes.best == XLSX_MIMETYPE and rejected.details.get("rows"):
                workbook = annotated_workbook(spec, data, rejected.details["rows"])
                return send_file(
                    io.BytesIO(workbook), mimetype=XLSX_MIMETYPE, download_name="errors.xlsx"
                ), 422
            raise
        # read before the commit expires them: afterwards each would be reloaded one by one
        ids = [record.id for record in result.created]
        return {"kind": kind, "created": len(ids), "ids": ids}


bank_blp = Blueprint(
    "bank_files", __name__, url_prefix="/api/v1/bank-files", description="银行代发文件"
)


def batch_view(session, batches) -> list[dict]:
    """Batches with their count and total (one aggregate) and who produced them."""
    totals = batch_totals(session, [b.id for b in batches])
    users = {
        u.id: u.username
        for u in session.scalars(
            sa.select(User).where(User.id.in_({b.created_by_id for b in batches}))
        )
    }
    return [
        {
            "id": b.id,
            "batch_no": b.batch_no,
            "region_code": b.region_code,
            "region_name": b.region.name,
            "paid_from": b.paid_from,
            "paid_to": b.paid_to,
            "count": totals.get(b.id, (0, 0))[0],
            "total": yuan_str(totals.get(b.id, (0, 0))[1]),
            "created_by": users.get(b.created_by_id, ""),
            "created_at": b.created_at,
        }
        for b in batches
    ]


def visible_batches(session, user):

    return (
        sa.select(BankBatch)
        .where(BankBatch.region_code.in_(subtree_codes(session, user.region_code)))
        .options(sa.orm.selectinload(BankBatch.region))
        .order_by(BankBatch.id.desc())
    )


def get_visible_batch(batch_id: int) -> BankBatch:
    return get_visible(BankBatch, batch_id, can_view_bank_batch)


@bank_blp.route("")
class BankFiles(MethodView):
    @bank_blp.response(200, BankBatchListSchema)
    @token_required
    def get(self):
        """The bank batches of the caller's subtree, newest first (at most 500)."""
        batches = db.session.scalars(visible_batches(db.session, g.user).limit(500)).all()
        return {"items": batch_view(db.session, batches)}

    @bank_blp.arguments(BankBatchCreateSchema)
    @bank_blp.response(201, BankBatchSchema)
    @bank_blp.alt_response(422, description="日期或地区不正确，或没有待付的支出", schema="Error")
    @bank_blp.alt_response(403, description="仅本地区或上级的财务人员", schema="Error")
    @token_required
    def post(self, data):
        """Put the region's approved, not yet sent payments of the period into a new batch
        (each payment goes to the bank once); download it from ``/{id}/file.csv``."""
        batch = create_bank_batch(
            db.session,
            g.user,
            region_code=data["region"] or g.user.region_code,
            paid_from=data["paid_from"],
            paid_to=data["paid_to"],
        )
        (view,) = batch_view(db.session, [batch])
        return view


@bank_blp.route("/<int:batch_id>/file.csv")
class BankFile(MethodView):
    @bank_blp.doc(
        responses=file_response(
            "银行代发文件（CSV，含完整身份证号码）",  # zh-only: API documentation
            "text/csv",
        )
    )
    @bank_blp.alt_response(403, description="仅本地区或上级的财务人员", schema="Error")
    @bank_blp.alt_response(404, description="不存在或不在本地区范围内", schema="Error")
    @token_required
    def get(self, batch_id):
        """The batch's payment file; each download is recorded in the access log."""
        batch = get_visible_batch(batch_id)
        if not can_export_bank_file(db.session, g.user, batch.region_code):
            raise Forbidden(_("只有本地区（或上级）的财务人员可以下载银行代发文件"))
        return send_bank_file(db.session, batch)
