import marshmallow as ma

from fundtrack.core.api import PageQuerySchema
from fundtrack.core.schemas import REGION_CODE, DecisionSchema, Id, Money, UtcDateTime, list_of

ALLOCATION_STATUSES = ("draft", "approved", "cancelled", "recalled")


class RecallSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    allocation_id = ma.fields.Integer(required=True)
    amount = Money(attribute="amount_fen", required=True)
    reason = ma.fields.String(required=True)
    document_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    recalled_on = ma.fields.Date(allow_none=True, required=True)
    redistribute_to = ma.fields.String(attribute="redistribute_to_code", allow_none=True)
    redistributed_as_id = ma.fields.Integer(allow_none=True)
    created_by_id = ma.fields.Integer(required=True)
    approved_by_id = ma.fields.Integer(allow_none=True, required=True)


class AllocationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True)
    from_region = ma.fields.String(attribute="from_region_code", required=True)
    to_region = ma.fields.String(attribute="to_region_code", required=True)
    amount = Money(attribute="amount_fen", required=True)
    document_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    approved_on = ma.fields.Date(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    created_by_id = ma.fields.Integer(required=True)
    approved_by_id = ma.fields.Integer(allow_none=True, required=True)
    approved_at = UtcDateTime(allow_none=True, required=True)
    evaluation_override_reason = ma.fields.String(allow_none=True, required=True)
    recalls = ma.fields.List(ma.fields.Nested(RecallSchema), required=True)


class AllocationCreateSchema(ma.Schema):
    fund_id = Id(required=True, strict=True)
    from_region = ma.fields.String(validate=REGION_CODE)
    to_region = ma.fields.String(required=True, validate=REGION_CODE)
    amount = Money(required=True)
    document_no = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class AllocationApproveSchema(DecisionSchema):
    """The approval of an allocation, or of a recall (whose redistribution is one)."""

    approved_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "审批（收回）日期：不晚于今天；默认今天"},
    )
    evaluation_override_reason = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "省级审批人员在绩效评价未通过时例外下达的理由"},
    )


class RecallCreateSchema(ma.Schema):
    amount = Money(required=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
    document_no = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    redistribute_to = ma.fields.String(load_default=None, allow_none=True, validate=REGION_CODE)


class AllocationFilterSchema(ma.Schema):
    """The filters of the allocation list, also of its exports."""

    fund_id = Id()
    status = ma.fields.String(validate=ma.validate.OneOf(ALLOCATION_STATUSES))
    from_region = ma.fields.String(validate=REGION_CODE)
    to_region = ma.fields.String(validate=REGION_CODE)
    document_no = ma.fields.String(validate=ma.validate.Length(max=64))
    q = ma.fields.String(
        validate=ma.validate.Length(max=64), metadata={"description": "文号或事由中包含的文字"}
    )


class AllocationQuerySchema(PageQuerySchema, AllocationFilterSchema):
    pass


AllocationListSchema = list_of(AllocationSchema, "AllocationList", paginated=True)


class NoticeQuerySchema(ma.Schema):
    fund_id = Id(required=True)
    document_no = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
