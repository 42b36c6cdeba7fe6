from datetime import date

import marshmallow as ma

from fundtrack.audit.models import ACCESS_EVENTS
from fundtrack.core.api import PageQuerySchema
from fundtrack.core.i18n import _l
from fundtrack.core.schemas import UtcDateTime, list_of


class HistoryUserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(allow_none=True, required=True, metadata={"description": "当时的角色"})
    region = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "当时的地区"}
    )


class HistoryEntrySchema(ma.Schema):
    transaction_id = ma.fields.Integer(required=True)
    issued_at = ma.fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    user = ma.fields.Nested(HistoryUserSchema, allow_none=True, required=True)
    remote_addr = ma.fields.String(allow_none=True, required=True)
    action = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "系统记录的操作（如「审批资金下达 …」）"},
    )
    reason = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "操作人自己填写的原因或审批意见，原样保存；未填写为 null"},
    )
    operation = ma.fields.String(required=True)
    changes = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Raw(allow_none=True)),
        required=True,
        metadata={"description": "字段 → [旧值, 新值]；金额为元的字符串，身份证号码脱敏"},
    )


HistoryListSchema = list_of(HistoryEntrySchema, "HistoryList")


class StateQuerySchema(ma.Schema):
    as_of = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=40),
        metadata={"description": "ISO 日期时间，或日期（指该日北京时间结束时）"},
    )


class StateSchema(ma.Schema):
    as_of = ma.fields.String(required=True, metadata={"description": "the moment, UTC"})
    transaction_id = ma.fields.Integer(required=True)
    state = ma.fields.Dict(keys=ma.fields.String(), required=True)


class AccessLogEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    occurred_at = UtcDateTime(required=True, metadata={"description": "UTC"})
    event = ma.fields.String(required=True)
    user_id = ma.fields.Integer(allow_none=True, required=True)
    username = ma.fields.String(required=True)
    remote_addr = ma.fields.String(allow_none=True, required=True)
    detail = ma.fields.String(required=True)


DAYS = ma.validate.Range(date(2000, 1, 1), date(2100, 12, 31), error=_l("须在 2000 至 2100 年之间"))


class AccessLogQuerySchema(PageQuerySchema):
    event = ma.fields.String(validate=ma.validate.OneOf(ACCESS_EVENTS))
    username = ma.fields.String(validate=ma.validate.Length(max=64))
    # the day before ``since`` and the end of ``until`` are computed: not at date's very ends
    since = ma.fields.Date(validate=DAYS)
    until = ma.fields.Date(validate=DAYS)


AccessLogListSchema = list_of(AccessLogEntrySchema, "AccessLogList", paginated=True)
