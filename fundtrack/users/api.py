"""``/api/v1/tokens``: exchange a user name and password for a bearer token; revoke it."""

from __future__ import annotations

from datetime import UTC

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.audit.operations import log_access
from fundtrack.core.api import paginated
from fundtrack.core.auth import _bearer_token, token_required
from fundtrack.core.errors import DomainError, Forbidden
from fundtrack.core.net import client_address
from fundtrack.extensions import db
from fundtrack.users import operations
from fundtrack.users.permissions import can_manage_tokens
from fundtrack.users.schemas import (
    TokenInfoSchema,
    TokenListSchema,
    TokenQuerySchema,
    TokenRequestSchema,
    TokenSchema,
)

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API 令牌")


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
            db.session.rollback()
            log_access(db.session, "login_failed", username=credentials["username"],
                       remote_addr=address, detail=f"API: {exc.code}")  # fmt: skip
            db.session.commit()
            raise
        token, record = operations.issue_token(db.session, user, address)
        log_access(db.session, "token_created", user=user, remote_addr=address,
                   detail=f"token #{record.id}")  # fmt: skip
        db.session.commit()
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
            raise Forbidden("只有系统管理员可以管理 API 令牌")
        return paginated(db.session, operations.tokens_query(query), query)


@blp.route("/<int:token_id>/revoke")
class RevokeToken(MethodView):
    @blp.response(200, TokenInfoSchema)
    @blp.alt_response(403, description="仅系统管理员", schema="Error")
    @token_required
    def post(self, token_id):
        """An administrator revokes a token; it answers 401 from then on."""
        if not can_manage_tokens(g.user):
            raise Forbidden("只有系统管理员可以管理 API 令牌")
        record = operations.revoke_token_by_id(db.session, token_id)
        log_access(db.session, "token_revoked", user=g.user, remote_addr=client_address(),
                   detail=f"token #{record.id} of {record.user.username}")  # fmt: skip
        db.session.commit()
        return record


@blp.route("/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @token_required
    def delete(self):
        """Revoke the token this request carries; it answers 401 from then on."""
        operations.revoke_token(db.session, _bearer_token())
        log_access(db.session, "token_revoked", user=g.user, remote_addr=client_address())
        db.session.commit()
