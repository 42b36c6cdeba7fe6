"""Marshmallow building blocks shared by every API schema."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from fundtrack.core.i18n import _l
from fundtrack.core.money import AmountError, parse_yuan, yuan_str
from fundtrack.core.reasons import MAX_REASON

#: The largest id a record can have (a PostgreSQL INTEGER): an id beyond it names no record,
#: and sent to the database it would fail there (SQLite: beyond 2**63 - 1) instead of matching
#: nothing.
MAX_ID = 2**31 - 1

#: A region's code: six digits.
REGION_CODE = ma.validate.Regexp(r"^\d{6}$", error=_l("地区代码须为 6 位数字"))


class Id(ma.fields.Integer):
    """An input id (a record's primary key): a positive integer the database can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", ma.validate.Range(min=1, max=MAX_ID, error=_l("须为有效的编号"))
        )
        super().__init__(**kwargs)


class UtcDateTime(ma.fields.DateTime):
    """A moment stored as naive UTC, sent as RFC 3339 with its offset (``…+00:00``): a
    ``date-time`` in the OpenAPI sense, which a time without an offset is not."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Money(ma.fields.Field):
    """Yuan on the wire (``"5180000.00"``; input also an integer), integer fen inside."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        example = '人民币元，两位小数的字符串，例如 "5180000.00"'  # zh-only: API documentation
        metadata.setdefault("description", example)
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return yuan_str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yuan(value)
        except AmountError as exc:
            raise ma.ValidationError(str(exc)) from None


class ReasonSchema(ma.Schema):
    """The body of an action that needs the person's reason: cancel, reject, return."""

    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=MAX_REASON),
        metadata={"description": "原因（必填），记入该次变更的历史"},
    )


class DecisionSchema(ma.Schema):
    """The body of an approval: the approver's opinion (审批意见), optional."""

    reason = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=MAX_REASON),
        metadata={"description": "审批意见（可选），原样记入该次审批的历史", "example": "同意"},
    )


def list_of(item_schema, name: str, paginated: bool = False):
    """A ``{"items": [...]}`` schema (with page, per_page, total when paginated)."""
    fields = {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True)}
    if paginated:
        fields.update(
            page=ma.fields.Integer(required=True),
            per_page=ma.fields.Integer(required=True),
            total=ma.fields.Integer(required=True),
        )
    return ma.Schema.from_dict(fields, name=name)
