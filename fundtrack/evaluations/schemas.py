import marshmallow as ma

from fundtrack.core.api import PageQuerySchema
from fundtrack.core.i18n import _
from fundtrack.core.schemas import MAX_REASON, DecisionSchema, Id, Money, UtcDateTime, list_of
from fundtrack.evaluations.models import DIMENSIONS, EVALUATION_TRANSITIONS, TIERS
from fundtrack.evaluations.operations import POINTS_RE

POINTS = {"description": "分，两位小数的字符串（输入也可为整数）", "example": "20.00"}


class Points(ma.fields.Field):
    """Points (weights, scores) as strings with two decimals; validated by the operation."""

    def __init__(self, **kwargs):
        metadata = {**POINTS, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ma.ValidationError(_("须为数字字符串或整数"))
        if isinstance(value, str) and value.strip() and not POINTS_RE.match(value.strip()):
            raise ma.ValidationError(_("须为数字（半角数字，最多两位小数）"))
        return value


class IndicatorSchema(ma.Schema):
    id = Id(allow_none=True)
    tier = ma.fields.String(required=True, validate=ma.validate.OneOf(TIERS))
    dimension = ma.fields.String(required=True, validate=ma.validate.OneOf(DIMENSIONS))
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=128))
    unit = ma.fields.String(load_default="", validate=ma.validate.Length(max=16))
    weight = Points(required=True)
    target = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    actual = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    self_score = Points(load_default=None, allow_none=True)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class DeclaredUseSchema(ma.Schema):
    category = ma.fields.String(
        required=True, attribute="category_code", data_key="category",
        validate=ma.validate.Length(max=32),
    )  # fmt: skip
    amount = Money(attribute="amount_fen", data_key="amount", required=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class FundUseSchema(ma.Schema):
    category = ma.fields.String(required=True)
    category_name = ma.fields.String(required=True)
    earmarked = ma.fields.Boolean(required=True)
    ledger = Money(attribute="ledger_fen", required=True)
    declared = Money(attribute="declared_fen", required=True)


class EvaluationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True)
    fiscal_year = ma.fields.Function(lambda e: e.fund.fiscal_year, required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    status = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    self_score_total = Points(required=True)
    final_score = Points(allow_none=True, required=True)
    grade = ma.fields.String(allow_none=True, required=True)
    review_comment = ma.fields.String(required=True)
    submitted_at = UtcDateTime(allow_none=True, required=True)
    reviewed_at = UtcDateTime(allow_none=True, required=True)
    indicators = ma.fields.List(ma.fields.Nested(IndicatorSchema), required=True)
    declared_uses = ma.fields.List(ma.fields.Nested(DeclaredUseSchema), required=True)


class EvaluationDetailSchema(EvaluationSchema):
    fund_use = ma.fields.List(ma.fields.Nested(FundUseSchema), required=True)


class EvaluationCreateSchema(ma.Schema):
    fund_id = Id(required=True, strict=True)
    region = ma.fields.String(validate=ma.validate.Regexp(r"^\d{6}$"))


class DeclaredUseInputSchema(ma.Schema):
    # missing values are left to the operation, which names the line ("declared_uses.N")
    category = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))
    amount = ma.fields.Raw(
        load_default=None, metadata={"description": "人民币元：两位小数的字符串或整数"}
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class EvaluationUpdateSchema(ma.Schema):
    summary = ma.fields.String(validate=ma.validate.Length(max=10_000))
    indicators = ma.fields.List(
        ma.fields.Nested(IndicatorSchema), validate=ma.validate.Length(max=50)
    )
    declared_uses = ma.fields.List(
        ma.fields.Nested(DeclaredUseInputSchema), validate=ma.validate.Length(max=100)
    )


class ApproveEvaluationSchema(DecisionSchema):
    final_score = Points(required=True)


class ReturnEvaluationSchema(ma.Schema):
    reason = ma.fields.String(
        validate=ma.validate.Length(max=MAX_REASON),
        metadata={"description": "退回意见（必填）"},
    )
    comment = ma.fields.String(
        validate=ma.validate.Length(max=MAX_REASON),
        metadata={"description": "旧名称，同 reason；两者都给时以 reason 为准", "deprecated": True},
    )


class EvaluationQuerySchema(PageQuerySchema):
    fund_id = Id()
    region = ma.fields.String(validate=ma.validate.Regexp(r"^\d{6}$"))
    status = ma.fields.String(validate=ma.validate.OneOf(EVALUATION_TRANSITIONS.statuses))
    fiscal_year = ma.fields.Integer(validate=ma.validate.Range(min=2000, max=2100))


class RankingEntrySchema(ma.Schema):
    evaluation_id = ma.fields.Integer(required=True)
    region = ma.fields.String(required=True)
    region_name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)
    score = Points(required=True)
    grade = ma.fields.String(required=True)
    rank = ma.fields.Integer(required=True)


class RankingLevelSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RankingEntrySchema), required=True)
    best = Points(allow_none=True, required=True)
    worst = Points(allow_none=True, required=True)
    spread = Points(allow_none=True, required=True, metadata={"description": "最高分 − 最低分"})


class RankingSchema(ma.Schema):
    fund_id = ma.fields.Integer(required=True)
    prefectures = ma.fields.Nested(RankingLevelSchema, required=True)
    counties = ma.fields.Nested(RankingLevelSchema, required=True)


class RankingQuerySchema(ma.Schema):
    fund_id = Id(required=True)


class OverdueSchema(ma.Schema):
    fund_id = ma.fields.Function(lambda o: o["fund"].id, required=True)
    fund_code = ma.fields.Function(lambda o: o["fund"].code, required=True)
    region = ma.fields.Function(lambda o: o["region"].code, required=True)
    region_name = ma.fields.Function(lambda o: o["region"].name, required=True)
    due = ma.fields.Date(required=True)


EvaluationListSchema = list_of(EvaluationSchema, "EvaluationList", paginated=True)
OverdueListSchema = list_of(OverdueSchema, "OverdueList", paginated=True)
