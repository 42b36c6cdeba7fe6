import marshmallow as ma

from fundtrack.beneficiaries.models import (
    BENEFICIARY_TRANSITIONS,
    EXIT_REASONS,
    FAMILY_TYPES,
    PUBLICITY_TRANSITIONS,
)
from fundtrack.core import idnumber
from fundtrack.core.api import PageQuerySchema
from fundtrack.core.reasons import MAX_REASON
from fundtrack.core.schemas import REGION_CODE, Id, Money, UtcDateTime, list_of


class BeneficiarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    name = ma.fields.String(required=True)
    id_number = ma.fields.Function(
        lambda b: idnumber.mask(b.id_number),
        required=True,
        metadata={"description": "masked: 430481********123X"},
    )
    family_type = ma.fields.String(required=True)
    household = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    bank_account = ma.fields.Function(
        lambda b: idnumber.mask_account(b.bank_account),
        allow_none=True,
        required=True,
        metadata={"description": "masked but for the last 4 characters"},
    )
    evidence = ma.fields.String(required=True)
    evidence_document_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    exit_reason = ma.fields.String(allow_none=True, required=True)
    exit_on = ma.fields.Date(allow_none=True, required=True)
    created_by_id = ma.fields.Integer(allow_none=True, required=True)
    reviewed_by_id = ma.fields.Integer(allow_none=True, required=True)
    exit_proposed_by_id = ma.fields.Integer(allow_none=True, required=True)
    exit_decided_by_id = ma.fields.Integer(allow_none=True, required=True)


class BeneficiaryCreateSchema(ma.Schema):
    region = ma.fields.String(validate=REGION_CODE)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    id_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=18))
    family_type = ma.fields.String(required=True, validate=ma.validate.OneOf(FAMILY_TYPES))
    household = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    phone = ma.fields.String(load_default="", validate=ma.validate.Length(max=20))
    bank_account = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=34)
    )
    evidence = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    evidence_document_no = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))


class BeneficiaryQuerySchema(PageQuerySchema):
    region = ma.fields.String(validate=REGION_CODE)
    status = ma.fields.String(validate=ma.validate.OneOf(BENEFICIARY_TRANSITIONS.statuses))
    family_type = ma.fields.String(validate=ma.validate.OneOf(FAMILY_TYPES))
    q = ma.fields.String(
        validate=ma.validate.Length(max=64), metadata={"description": "姓名中包含的文字"}
    )


class ExitSchema(ma.Schema):
    exit_reason = ma.fields.String(required=True, validate=ma.validate.OneOf(EXIT_REASONS))
    exit_on = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "退出日期，默认今天"}
    )
    reason = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=MAX_REASON)
    )


class DuplicateSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    name = ma.fields.String(required=True)
    id_number = ma.fields.Function(lambda d: idnumber.mask(d.id_number), required=True)
    other_beneficiary_id = ma.fields.Integer(required=True)
    other_region = ma.fields.String(attribute="other_region_code", required=True)
    source = ma.fields.String(required=True)
    user_id = ma.fields.Integer(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class PublicityEntrySchema(ma.Schema):
    beneficiary_id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    name = ma.fields.String(attribute="beneficiary.name", required=True)
    id_number = ma.fields.Function(lambda e: idnumber.mask(e.beneficiary.id_number), required=True)
    amount = Money(attribute="amount_fen", required=True)


class ObjectionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    publicity_id = ma.fields.Integer(required=True)
    beneficiary_id = ma.fields.Integer(allow_none=True, required=True)
    reporter = ma.fields.String(required=True)
    reporter_contact = ma.fields.String(required=True)
    content = ma.fields.String(required=True)
    received_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True)
    decision = ma.fields.String(required=True)
    recorded_by_id = ma.fields.Integer(required=True)
    decided_by_id = ma.fields.Integer(allow_none=True, required=True)


class PublicitySummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    notice_no = ma.fields.String(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    category = ma.fields.String(attribute="category_code", required=True)
    title = ma.fields.String(required=True)
    start_on = ma.fields.Date(required=True)
    end_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True)


class PublicitySchema(PublicitySummarySchema):
    """A 公示 in full: its summary's fields, then where to object, who made and closed it,
    its list and the objections."""

    objection_place = ma.fields.String(required=True)
    objection_phone = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    created_by_id = ma.fields.Integer(required=True)
    closed_by_id = ma.fields.Integer(allow_none=True, required=True)
    entries = ma.fields.List(ma.fields.Nested(PublicityEntrySchema), required=True)
    objections = ma.fields.List(ma.fields.Nested(ObjectionSchema), required=True)


class EntryInputSchema(ma.Schema):
    beneficiary_id = Id(required=True, strict=True)
    amount = Money(required=True)


class PublicityCreateSchema(ma.Schema):
    region = ma.fields.String(validate=REGION_CODE)
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    entries = ma.fields.List(
        ma.fields.Nested(EntryInputSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=10_000),
    )
    objection_place = ma.fields.String(required=True, validate=ma.validate.Length(max=128))
    objection_phone = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    issuer = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    title = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    start_on = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "默认今天；不能早于今天"}
    )
    end_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "默认开始后第 PUBLICITY_DAYS 天（7 天）"},
    )


class PublicityQuerySchema(PageQuerySchema):
    region = ma.fields.String(validate=REGION_CODE)
    category = ma.fields.String(validate=ma.validate.Length(max=32))
    status = ma.fields.String(validate=ma.validate.OneOf(PUBLICITY_TRANSITIONS.statuses))


class ObjectionCreateSchema(ma.Schema):
    beneficiary_id = Id(load_default=None, allow_none=True, strict=True)
    reporter = ma.fields.String(required=True, validate=ma.validate.Length(max=64))
    reporter_contact = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    content = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
    received_on = ma.fields.Date(load_default=None, allow_none=True)


class JsonBoolean(ma.fields.Boolean):
    """``true`` or ``false`` only: not 1, "yes" or "" (a decision is never guessed)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ObjectionDecisionSchema(ma.Schema):
    upheld = JsonBoolean(required=True, metadata={"description": "true: 异议成立"})
    decision = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=MAX_REASON),
        metadata={"description": "处理意见（必填），记入该次变更的历史"},
    )


BeneficiaryListSchema = list_of(BeneficiarySchema, "BeneficiaryList", paginated=True)
DuplicateListSchema = list_of(DuplicateSchema, "DuplicateRegistrationList", paginated=True)
PublicityListSchema = list_of(PublicitySummarySchema, "PublicityList", paginated=True)
