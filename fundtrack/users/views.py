"""The web login: a CSRF-protected form, session rotation at login, logout that ends it; a
user's own account page (/account) with the change of one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from fundtrack.audit.operations import log_access
from fundtrack.core.errors import DomainError
from fundtrack.core.forms import ActionForm
from fundtrack.core.i18n import LANGUAGES, _
from fundtrack.core.net import client_address
from fundtrack.core.requests import record_after_refusal
from fundtrack.core.web import AMOUNT_UNITS
from fundtrack.core.web_helpers import attempt
from fundtrack.extensions import db
from fundtrack.users import operations
from fundtrack.users.admin_views import local_time  # the same Beijing time as /users/
from fundtrack.users.forms import LoginForm, PasswordChangeForm

bp = Blueprint("account", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        address = client_address()
        try:
            user = operations.authenticate(
                db.session, form.username.data, form.password.data, address
            )
        except DomainError as exc:
            username, detail = form.username.data, f"web: {exc.code}"
            record_after_refusal(
                lambda: log_access(
                    db.session,
                    "login_failed",
                    username=username,
                    remote_addr=address,
                    detail=detail,
                )
            )
            form.password.errors.append(exc.message)
            status = exc.status if exc.status in (401, 429) else 422
        else:
            log_access(db.session, "login", user=user, remote_addr=address)
            # a fresh session at login: nothing from before the login survives it
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422 if not form.csrf_token.errors else 400
    return render_template("users/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    log_access(db.session, "logout", user=current_user, remote_addr=client_address())
    logout_user()
    session.clear()
    flash(_("已退出登录"), "info")
    return redirect(url_for("account.login"))


@bp.route("/preferences/amount-unit", methods=["POST"])
@login_required
def amount_unit():
    """Switch the overview tables between 元 and 万元 (kept in the session); back to the page."""
    form = ActionForm()
    unit = request.form.get("unit")
    if form.validate_on_submit() and unit in AMOUNT_UNITS:
        session["amount_unit"] = unit
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/preferences/language", methods=["POST"])
def language():
    """Switch the page language: kept on the user's account, or in the session before login."""
    form = ActionForm()
    choice = request.form.get("language")
    if form.validate_on_submit() and choice in LANGUAGES:
        session["language"] = choice
        if current_user.is_authenticated and current_user.language != choice:
            current_user.language = choice
    return redirect(_safe_next(request.form.get("next")))


def _account_page(form=None, status: int = 200):

    if form is None:
        form = PasswordChangeForm(formdata=None, prefix="password")
    return render_template(
        "users/account.html",
        user=current_user,
        form=form,
        languages=LANGUAGES,
        local_time=local_time,
    ), status


@bp.route("/account")
@login_required
def overview():
    """The signed-in user's own account: name, role, region, last login, page language, and
    the form to change one's own password."""
    return _account_page()


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password (the current one, the new one twice). The session stays
    valid; the user's API tokens are revoked; the change is in the access log."""
    form = PasswordChangeForm(prefix="password")
    if not form.validate_on_submit():
        return _account_page(form, 422 if not form.csrf_token.errors else 400)
    user = current_user._get_current_object()
    address = client_address()
    revoked, refusal = attempt(
        lambda: operations.change_own_password(
            db.session, user, form.current_password.data, form.password.data, address
        ),
        form,
    )
    if refusal is not None:
        return _account_page(form, refusal.status)
    # this session carries on under the new password; the user's other sessions end
    login_user(user)
    current_app.logger.info("user %s changed their password", user.username)
    if revoked:
        flash(
            _("密码已修改；您的 %(n)s 个 API 令牌已同时吊销，需要时请重新申请", n=len(revoked)),
            "success",
        )
    else:
        flash(_("密码已修改"), "success")
    return redirect(url_for("account.overview"))
