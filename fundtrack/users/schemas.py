import marshmallow as ma

from fundtrack.core.schemas import UtcDateTime, list_of


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = UtcDateTime(required=True, metadata={"description": "UTC"})


class TokenInfoSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user_id = ma.fields.Integer(required=True)
    username = ma.fields.Function(lambda t: t.user.username, required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    revoked_at = UtcDateTime(allow_none=True, required=True)
    created_from = ma.fields.String(allow_none=True, required=True)


class TokenQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    active = ma.fields.Boolean(metadata={"description": "只列出未过期、未吊销的令牌"})
    username = ma.fields.String(validate=ma.validate.Length(max=64))


TokenListSchema = list_of(TokenInfoSchema, "TokenList", paginated=True)
