"""``GET /healthz``: is the application up and can it reach its database? For load balancers
and monitoring, so public: no login, no session, nothing about the deployment in the answer.
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify

from fundtrack.extensions import db

bp = Blueprint("health", __name__)


@bp.url_value_preprocessor
def _anonymous(endpoint, values) -> None:
    """Before every other hook of the request: the check is anonymous, whatever session
    cookie the browser sends. Flask-Login would otherwise load the session's user from the
    database (``load_session_user``, the page language), and with the database down that
    would end in a 500 instead of this check's 503."""
    g._login_user = current_app.login_manager.anonymous_user()


def _reason(error: Exception) -> str:
    """A short, fixed description: never the message, which may name hosts, users or files."""
    if isinstance(error, sa.exc.TimeoutError):
        return "timeout"
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
        return "unreachable"
    return "error"


@bp.route("/healthz")
def healthz():
    """200 ``{"status": "ok", "database": "ok"}`` when ``SELECT 1`` answers, else 503."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:  # anything at all: the check answers, it does not crash
        current_app.logger.warning("health check: database %s", _reason(error), exc_info=True)
        with contextlib.suppress(Exception):  # the database is already known to be down
            db.session.rollback()
        response = jsonify(status="error", database=_reason(error))
        response.status_code = 503
    else:
        db.session.rollback()  # end the read-only transaction at once
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
