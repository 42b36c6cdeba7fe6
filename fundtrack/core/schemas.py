"""Marshmallow building blocks shared by every API schema."""

from __future__ import annotations

import marshmallow as ma

from fundtrack.core.money import AmountError, parse_yuan, yuan_str


class Money(ma.fields.Field):
    """Yuan on the wire (``"5180000.00"``; input also an integer), integer fen inside."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("description", '人民币元，两位小数的字符串，例如 "5180000.00"')
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return yuan_str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yuan(value)
        except AmountError as exc:
            raise ma.ValidationError(str(exc)) from None


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
