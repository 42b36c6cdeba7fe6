import marshmallow as ma

from fundtrack.core.schemas import Id, Money, UtcDateTime, list_of
from fundtrack.funds.models import YEAR_END_POLICIES


class CategorySchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    earmarkable = ma.fields.Boolean(required=True)
    economic_code = ma.fields.String(required=True)
    economic_name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class FundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(attribute="kind_code", required=True)
    fiscal_year = ma.fields.Integer(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    source = ma.fields.String(required=True)
    budget = Money(attribute="budget_fen", required=True)
    budget_line_id = ma.fields.Integer(allow_none=True, required=True)
    earmarked_categories = ma.fields.List(
        ma.fields.String(), attribute="earmarked_codes", required=True
    )
    status = ma.fields.String(
        required=True,
        metadata={
            "description": "draft（待审批）、active、closing（年度结算待审批）、closed、cancelled"
        },
    )
    year_end_policy = ma.fields.String(required=True)
    created_by_id = ma.fields.Integer(allow_none=True, required=True)
    approved_by_id = ma.fields.Integer(allow_none=True, required=True)
    approved_at = UtcDateTime(allow_none=True, required=True)


class FundCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=128))
    kind = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    fiscal_year = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=2000, max=2100)
    )
    region = ma.fields.String(validate=ma.validate.Regexp(r"^\d{6}$"))
    source = ma.fields.String(load_default="", validate=ma.validate.Length(max=128))
    budget = Money(required=True)
    budget_line_id = Id(load_default=None, allow_none=True, strict=True)
    earmarked_categories = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=32)),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
    )
    year_end_policy = ma.fields.String(
        load_default="recall", validate=ma.validate.OneOf(YEAR_END_POLICIES)
    )


class FundQuerySchema(ma.Schema):
    fiscal_year = ma.fields.Integer(validate=ma.validate.Range(min=2000, max=2100))
    kind = ma.fields.String(validate=ma.validate.Length(max=32))


class BalanceQuerySchema(ma.Schema):
    as_of = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={
            "description": "记录时点：ISO 日期时间，或日期（指该日北京时间结束时）",
            "example": "2017-12-31",
        },
    )


class BalanceSchema(ma.Schema):
    region = ma.fields.String(attribute="region_code", required=True)
    region_name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)
    parent = ma.fields.String(allow_none=True, required=True)
    received = Money(attribute="received_fen", required=True)
    allocated_out = Money(attribute="allocated_out_fen", required=True)
    disbursed = Money(attribute="disbursed_fen", required=True)
    carried_over = Money(
        attribute="carried_over_fen",
        required=True,
        metadata={"description": "年度结算时结转到下一年度同类资金的金额"},
    )
    available = Money(attribute="available_fen", required=True)
    execution_rate = ma.fields.Decimal(
        as_string=True,
        allow_none=True,
        required=True,
        metadata={"description": "已支出（含下级）÷ 已收到，四位小数；未收到资金时为 null"},
    )


class BudgetLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    fiscal_year = ma.fields.Integer(required=True)
    region = ma.fields.String(attribute="region_code", required=True)
    name = ma.fields.String(required=True)
    source = ma.fields.String(required=True)
    total = Money(attribute="total_fen", required=True)
    itemised = Money(attribute="itemised_fen", required=True)
    unitemised = Money(
        attribute="unitemised_fen",
        required=True,
        metadata={"description": "预算中未分项到具体专项资金的部分"},
    )


class YearEndMoveSchema(ma.Schema):
    region = ma.fields.String(attribute="region_code", required=True)
    amount = Money(attribute="amount_fen", required=True)
    to_region = ma.fields.String(
        attribute="to_region_code",
        required=True,
        metadata={"description": "收回到的地区；结转时为同一地区（转入下一年度资金）"},
    )
    allocation_id = ma.fields.Function(
        lambda move: move.allocation.id if move.allocation else None,
        allow_none=True,
        required=True,
        metadata={"description": "收回所经的资金下达；结转时为 null"},
    )


class YearEndCloseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True)
    policy = ma.fields.String(required=True)
    to_fund_id = ma.fields.Integer(allow_none=True, required=True)
    reason = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, metadata={"description": "proposed、approved、rejected"}
    )
    created_at = UtcDateTime(required=True)
    created_by_id = ma.fields.Integer(required=True)
    decided_by_id = ma.fields.Integer(allow_none=True, required=True)
    decided_at = UtcDateTime(allow_none=True, required=True)
    closed_on = ma.fields.Date(allow_none=True, required=True)
    moves = ma.fields.List(
        ma.fields.Nested(YearEndMoveSchema),
        required=True,
        metadata={"description": "待审批时为审批后将发生的收回或结转；已审批时为已发生的"},
    )


CategoryListSchema = list_of(CategorySchema, "CategoryList")
FundListSchema = list_of(FundSchema, "FundList")
BalanceListSchema = list_of(BalanceSchema, "BalanceList")
BudgetLineListSchema = list_of(BudgetLineSchema, "BudgetLineList")
