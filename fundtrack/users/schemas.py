import marshmallow as ma

from fundtrack.core.schemas import REGION_CODE, UtcDateTime, list_of


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


ROLE_CODES = ("admin", "maker", "checker", "auditor")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(
        required=True, metadata={"description": "admin、maker、checker、auditor"}
    )
    role_label = ma.fields.String(required=True, metadata={"description": "角色名称"})
    region = ma.fields.String(attribute="region_code", required=True)
    region_name = ma.fields.String(attribute="region.name", required=True)
    active = ma.fields.Boolean(required=True, metadata={"description": "停用的用户不能登录"})
    created_at = UtcDateTime(required=True)
    last_login_at = UtcDateTime(allow_none=True, required=True)


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "3–64 位小写字母、数字、下划线、点或连字符，以字母开头"},
    )
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=256),
        metadata={"description": "至少 10 个字符，同时包含字母和数字或符号，不含用户名"},
    )
    role = ma.fields.String(
        required=True, validate=ma.validate.Length(max=16), metadata={"enum": list(ROLE_CODES)}
    )
    region = ma.fields.String(required=True, validate=REGION_CODE)
    display_name = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=64)
    )


class UserUpdateSchema(ma.Schema):
    """A partial change: the fields sent change, the others stay; the reason is required."""

    display_name = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    role = ma.fields.String(
        validate=ma.validate.Length(max=16), metadata={"enum": list(ROLE_CODES)}
    )
    region = ma.fields.String(validate=REGION_CODE)
    active = ma.fields.Boolean(metadata={"description": "false 停用（同时吊销全部 API 令牌）"})
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "修改原因，记入变更历史"},
    )


class PasswordResetSchema(ma.Schema):
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=256),
        metadata={"description": "至少 10 个字符，同时包含字母和数字或符号，不含用户名"},
    )


class UserQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    role = ma.fields.String(validate=ma.validate.OneOf(ROLE_CODES))
    active = ma.fields.Boolean()
    q = ma.fields.String(
        validate=ma.validate.Length(max=64), metadata={"description": "用户名或姓名中的文字"}
    )


UserListSchema = list_of(UserSchema, "UserList", paginated=True)
