"""Query and body schemas of the exports, imports and bank files."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from fundtrack.allocations.schemas import AllocationFilterSchema
from fundtrack.core.schemas import Id, UtcDateTime
from fundtrack.disbursements.schemas import DisbursementFilterSchema
from fundtrack.funds.schemas import BalanceQuerySchema

EXPORT_FORMATS = ("xlsx", "csv")


class FormatQuerySchema(ma.Schema):
    format = ma.fields.String(
        load_default="xlsx",
        validate=ma.validate.OneOf(EXPORT_FORMATS),
        metadata={"description": "xlsx（默认）或 csv"},
    )


class BalancesExportQuerySchema(FormatQuerySchema, BalanceQuerySchema):
    fund_id = Id(required=True)


class AllocationsExportQuerySchema(FormatQuerySchema, AllocationFilterSchema):
    pass


class DisbursementsExportQuerySchema(FormatQuerySchema, DisbursementFilterSchema):
    pass


class UploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "填好的导入模板（.xlsx）"})


class ImportResultSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    created = ma.fields.Integer(required=True, metadata={"description": "写入的记录数"})
    ids = ma.fields.List(ma.fields.Integer(), required=True)


class BankBatchCreateSchema(ma.Schema):
    region = ma.fields.String(
        load_default=None, validate=ma.validate.Regexp(r"^\d{6}$"),
        metadata={"description": "付款地区代码；默认本人所在地区"},
    )  # fmt: skip
    paid_from = ma.fields.Date(required=True)
    paid_to = ma.fields.Date(required=True)


class BankBatchSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    batch_no = ma.fields.String(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    paid_from = ma.fields.Date(required=True)
    paid_to = ma.fields.Date(required=True)
    count = ma.fields.Integer(required=True)
    total = ma.fields.String(required=True, metadata={"description": "元，两位小数"})
    created_by = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class BankBatchListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BankBatchSchema), required=True)
