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


class SignedHeadSchema(ma.Schema):
    size = ma.fields.Integer(required=True, metadata={"description": "已封存的交易数"})
    root = ma.fields.String(required=True, metadata={"description": "默克尔树根，64 位十六进制"})
    time = ma.fields.String(required=True, metadata={"description": "签名时间，UTC"})
    algorithm = ma.fields.String(required=True, metadata={"description": "ed25519 或 sm2-sm3"})
    key_id = ma.fields.String(required=True)
    signature = ma.fields.String(required=True, metadata={"description": "Base64"})


class PublicKeySchema(ma.Schema):
    key_id = ma.fields.String(required=True)
    algorithm = ma.fields.String(required=True)
    public_key = ma.fields.String(
        required=True, metadata={"description": "Ed25519: PEM；SM2: JSON（公钥 x‖y 十六进制）"}
    )
    current = ma.fields.Boolean(required=True, metadata={"description": "当前签名所用的密钥"})


PublicKeyListSchema = list_of(PublicKeySchema, "PublicKeyList")


class InclusionQuerySchema(ma.Schema):
    position = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=2**53),
        metadata={"description": "链上位置"},
    )
    size = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**53),
        metadata={"description": "树的大小，缺省为当前"},
    )


class InclusionProofSchema(ma.Schema):
    position = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    root = ma.fields.String(required=True)
    link = ma.fields.String(required=True, metadata={"description": "该位置的链节哈希（叶子数据）"})
    path = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "RFC 9162 路径，叶子一侧在前"}
    )


class ConsistencyQuerySchema(ma.Schema):
    first = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**53))
    second = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**53))


class ConsistencyProofSchema(ma.Schema):
    first = ma.fields.Integer(required=True)
    second = ma.fields.Integer(required=True)
    first_root = ma.fields.String(required=True)
    second_root = ma.fields.String(required=True)
    proof = ma.fields.List(ma.fields.String(), required=True)


class WitnessCheckSchema(ma.Schema):
    head = ma.fields.Dict(metadata={"description": "签名树头（audit head --json 的一行）"})
    proof = ma.fields.Dict(metadata={"description": "文书所附的包含证明（proof.json）"})


class WitnessAnswerSchema(ma.Schema):
    signature_valid = ma.fields.Boolean(required=True)
    consistent = ma.fields.Boolean(
        allow_none=True, required=True, metadata={"description": "与今天的历史一致"}
    )
    record_unchanged = ma.fields.Boolean(
        allow_none=True,
        required=True,
        metadata={"description": "文书所涉记录此后未再变更（仅证明）"},
    )
    problem = ma.fields.String(allow_none=True, required=True)
    size = ma.fields.Integer(allow_none=True, required=True)
    today_size = ma.fields.Integer(required=True)
    record = ma.fields.Dict(allow_none=True, required=True)
    changed_at_position = ma.fields.Integer(allow_none=True, required=True)
