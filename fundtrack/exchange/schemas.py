"""Query and body schemas of the exports, imports and bank files."""

from __future__ import annotations

import marshmallow as ma

from fundtrack.allocations.schemas import AllocationFilterSchema
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
    fund_id = ma.fields.Integer(required=True)


class AllocationsExportQuerySchema(FormatQuerySchema, AllocationFilterSchema):
    pass


class DisbursementsExportQuerySchema(FormatQuerySchema, DisbursementFilterSchema):
    pass
