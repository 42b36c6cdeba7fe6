import marshmallow as ma

from fundtrack.core import idnumber
from fundtrack.core.api import PageQuerySchema
from fundtrack.core.schemas import REGION_CODE, Id, Money, ReasonSchema, list_of
from fundtrack.disbursements.models import DISBURSEMENT_TRANSITIONS


class DisbursementSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    category = ma.fields.String(attribute="category_code", required=True)
    amount = Money(attribute="amount_fen", required=True)
    paid_on = ma.fields.Date(required=True)
    payee_name = ma.fields.String(required=True)
    payee_id_number = ma.fields.Function(
        lambda d: idnumber.mask(d.payee_id_number),
        allow_none=True,
        required=True,
        metadata={"description": "masked: 430481********123X"},
    )
    beneficiary_id = ma.fields.Integer(allow_none=True, required=True)
    project_name = ma.fields.String(required=True)
    voucher_no = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    days = ma.fields.Integer(allow_none=True, required=True)
    status = ma.fields.String(required=True)
    reverses_id = ma.fields.Integer(allow_none=True, required=True)
    reversal_id = ma.fields.Function(
        lambda d: d.reversal.id if d.reversal is not None else None,
        allow_none=True,
        required=True,
        metadata={"description": "该支出的冲销记录（待审批或已审批），没有时为 null"},
    )
    reversed_on = ma.fields.Date(
        allow_none=True,
        required=True,
        metadata={"description": "已审批冲销的冲销日期（北京时间的业务日期）"},
    )
    created_by_id = ma.fields.Integer(required=True)
    approved_by_id = ma.fields.Integer(allow_none=True, required=True)


class DisbursementCreateSchema(ma.Schema):
    fund_id = Id(required=True, strict=True)
    region = ma.fields.String(validate=REGION_CODE)
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    amount = Money(required=True)
    paid_on = ma.fields.Date(required=True)
    payee_name = ma.fields.String(load_default=None, validate=ma.validate.Length(max=128))
    payee_id_number = ma.fields.String(load_default=None, validate=ma.validate.Length(max=18))
    payee_account = ma.fields.String(load_default=None, validate=ma.validate.Length(max=34))
    beneficiary_id = Id(load_default=None, allow_none=True, strict=True)
    project_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    voucher_no = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    purpose = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    days = ma.fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=ma.validate.Range(1, 366)
    )


class DisbursementFilterSchema(ma.Schema):
    """The filters of the payment list, also of its exports."""

    fund_id = Id()
    region = ma.fields.String(validate=REGION_CODE)
    status = ma.fields.String(validate=ma.validate.OneOf(DISBURSEMENT_TRANSITIONS.statuses))
    category = ma.fields.String(validate=ma.validate.Length(max=32))
    paid_from = ma.fields.Date()
    paid_to = ma.fields.Date()
    q = ma.fields.String(
        validate=ma.validate.Length(max=64),
        metadata={"description": "收款人、凭证号或项目名称中包含的文字"},
    )


class DisbursementQuerySchema(PageQuerySchema, DisbursementFilterSchema):
    pass


class ReverseSchema(ReasonSchema):
    reversed_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "冲销日期：不早于原支付日期，不晚于今天（北京时间）；默认今天"},
    )


DisbursementListSchema = list_of(DisbursementSchema, "DisbursementList", paginated=True)


class RevealedIdSchema(ma.Schema):
    id_number = ma.fields.String(allow_none=True, required=True)
