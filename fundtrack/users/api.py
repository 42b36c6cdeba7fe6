"""``/api/v1/tokens``: exchange a user name and password for a bearer token; revoke it.
``/api/v1/users``: user administration, for administrators only."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit.operations import log_access
from fundtrack.core.api import paginated
from fundtrack.core.auth import _bearer_token, token_required
from fundtrack.core.errors import DomainError, Forbidden
from fundtrack.core.i18n import _
from fundtrack.core.net import client_address
from fundtrack.core.requests import record_after_refusal
from fundtrack.extensions import db
from fundtrack.users import operations
from fundtrack.users.models import User
from fundtrack.users.permissions import can_manage_tokens, can_manage_users
from fundtrack.users.schemas import (
    PasswordResetSchema,
    TokenInfoSchema,
    TokenListSchema,
    TokenQuerySchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserListSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API 令牌")
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="用户管理（仅系统管理员）"
)

ADMINS_ONLY = {"description": "仅系统管理员", "schema": "Error"}
REFUSED = {
    "description": "输入不正确或不符合规则（弱密码、地区不存在、未填原因）",
    "schema": "Error",
}
CONFLICT = {
    "description": "用户名已存在（username_taken）；不能停用或降级自己（self_change）；"
    "不能停用或降级最后一个系统管理员（last_admin）",
    "schema": "Error",
}


@blp.route("")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="用户名或密码不正确", schema="Error")
    @blp.alt_response(429, description="登录失败次数过多", schema="Error")
    def post(self, credentials):
        """Issue a token for a user name and password."""
        address = client_address()
        try:
            user = operations.authenticate(
                db.session, credentials["username"], credentials["password"], address
            )
        except DomainError as exc:
            detail = f"API: {exc.code}"
            record_after_refusal(
                lambda: log_access(
                    db.session,
                    "login_failed",
                    username=credentials["username"],
                    remote_addr=address,
                    detail=detail,
                )
            )
            raise
        token, record = operations.issue_token(db.session, user, address)
        log_access(db.session, "token_created", user=user, remote_addr=address,
                   detail=f"token #{record.id}")  # fmt: skip
        return {"token": token, "expires_at": record.expires_at.replace(tzinfo=UTC)}


@blp.route("/all")
class AllTokens(MethodView):
    @blp.arguments(TokenQuerySchema, location="query")
    @blp.response(200, TokenListSchema)
    @blp.alt_response(403, description="仅系统管理员", schema="Error")
    @token_required
    def get(self, query):
        """Every user's tokens (never the tokens themselves), for administrators."""
        if not can_manage_tokens(g.user):
            raise Forbidden(_("只有系统管理员可以管理 API 令牌"))
        return paginated(db.session, operations.tokens_query(query), query)


@blp.route("/<int:token_id>/revoke")
class RevokeToken(MethodView):
    @blp.response(200, TokenInfoSchema)
    @blp.alt_response(403, description="仅系统管理员", schema="Error")
    @token_required
    def post(self, token_id):
        """An administrator revokes a token; it answers 401 from then on."""
        if not can_manage_tokens(g.user):
            raise Forbidden(_("只有系统管理员可以管理 API 令牌"))
        record = operations.revoke_token_by_id(db.session, token_id)
        log_access(db.session, "token_revoked", user=g.user, remote_addr=client_address(),
                   detail=f"token #{record.id} of {record.user.username}")  # fmt: skip
        return record


@blp.route("/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @token_required
    def delete(self):
        """Revoke the token this request carries; it answers 401 from then on."""
        operations.revoke_token(db.session, _bearer_token())
        log_access(db.session, "token_revoked", user=g.user, remote_addr=client_address())


def _require_admin() -> None:
    if not can_manage_users(g.user):
        raise Forbidden(_("只有系统管理员可以管理用户"))


@users_blp.route("")
class Users(MethodView):
    @users_blp.arguments(UserQuerySchema, location="query")
    @users_blp.response(200, UserListSchema)
    @users_blp.alt_response(403, **ADMINS_ONLY)
    @token_required
    def get(self, query):
        """Every user, by user name; filter by ``role``, ``active`` and text ``q``."""
        _require_admin()
        stmt = operations.users_query(query).options(sa.orm.selectinload(User.region))
        return paginated(db.session, stmt, query)

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @users_blp.alt_response(403, **ADMINS_ONLY)
    @users_blp.alt_response(409, **CONFLICT)
    @users_blp.alt_response(422, **REFUSED)
    @token_required
    def post(self, data):
        """Add a user with an initial password."""
        _require_admin()
        user = operations.create_user(
            db.session,
            username=data["username"],
            password=data["password"],
            role=data["role"],
            region_code=data["region"],
            display_name=data["display_name"],
            actor=g.user,
        )
        return user


@users_blp.route("/<int:user_id>")
class UserDetail(MethodView):
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(403, **ADMINS_ONLY)
    @token_required
    def get(self, user_id):
        """One user."""
        _require_admin()
        return operations.get_user(db.session, user_id)

    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(403, **ADMINS_ONLY)
    @users_blp.alt_response(409, **CONFLICT)
    @users_blp.alt_response(422, **REFUSED)
    @token_required
    def patch(self, data, user_id):
        """Change a user's name, role, region or state (``active: false`` deactivates the
        account and revokes its tokens), with the reason kept in the history. Fields left
        out stay as they are."""
        _require_admin()
        user = operations.get_user(db.session, user_id)
        operations.update_user(
            db.session,
            g.user,
            user,
            display_name=data.get("display_name", user.display_name),
            role=data.get("role", user.role),
            region_code=data.get("region", user.region_code),
            active=data.get("active", user.active),
            reason=data["reason"],
            remote_addr=client_address(),
        )
        return user


@users_blp.route("/<int:user_id>/password")
class UserPassword(MethodView):
    @users_blp.arguments(PasswordResetSchema)
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(403, **ADMINS_ONLY)
    @users_blp.alt_response(422, **REFUSED)
    @token_required
    def post(self, data, user_id):
        """Set a new password for a user (the old one stops working at once; the reset is in
        the access log as ``password_reset``)."""
        _require_admin()
        user = operations.get_user(db.session, user_id)
        operations.reset_password(db.session, g.user, user, data["password"], client_address())
        current_app.logger.info("password of user %s reset by %s", user.username, g.user.username)
        return user
