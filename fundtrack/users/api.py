"""``/api/v1/tokens``: exchange a user name and password for a bearer token; revoke it."""

from __future__ import annotations

from datetime import UTC

from flask.views import MethodView
from flask_smorest import Blueprint

from fundtrack.core.auth import _bearer_token, token_required
from fundtrack.core.net import client_address
from fundtrack.extensions import db
from fundtrack.users import operations
from fundtrack.users.schemas import TokenRequestSchema, TokenSchema

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API 令牌")


@blp.route("")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="用户名或密码不正确", schema="Error")
    @blp.alt_response(429, description="登录失败次数过多", schema="Error")
    def post(self, credentials):
        """Issue a token for a user name and password."""
        user = operations.authenticate(
            db.session, credentials["username"], credentials["password"], client_address()
        )
        token, record = operations.issue_token(db.session, user, client_address())
        db.session.commit()
        return {"token": token, "expires_at": record.expires_at.replace(tzinfo=UTC)}


@blp.route("/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @token_required
    def delete(self):
        """Revoke the token this request carries; it answers 401 from then on."""
        operations.revoke_token(db.session, _bearer_token())
        db.session.commit()
