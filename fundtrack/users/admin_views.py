"""Pages for administrators: the users, a new user, one user (name, role, region, state,
password, API tokens and the history of the account). Everyone else gets 403."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fundtrack.audit.history import record_history
from fundtrack.audit.operations import log_access
from fundtrack.audit.reports import LOCAL
from fundtrack.core.forms import ActionForm
from fundtrack.core.i18n import _, _l
from fundtrack.core.net import client_address
from fundtrack.core.web_helpers import attempt, record_listing
from fundtrack.extensions import db, login_manager
from fundtrack.regions.models import LEVEL_DEPTH, Region
from fundtrack.users import operations
from fundtrack.users.forms import PasswordResetForm, UserCreateForm, UserEditForm
from fundtrack.users.models import ROLES, User
from fundtrack.users.permissions import can_manage_users

bp = Blueprint("user_pages", __name__, url_prefix="/users")

PER_PAGE = 50
#: the ``active`` filter of the list: its values and their names
STATES = {"1": _l("启用"), "0": _l("已停用")}
#: the fields of a user's history, in the order they are shown
HISTORY_FIELDS = {
    "username": _l("用户名"),
    "display_name": _l("姓名"),
    "role": _l("角色"),
    "region_code": _l("所属地区"),
    "active": _l("状态"),
}
#: operation codes of the history (continuum) -> what the reader sees
HISTORY_OPERATIONS = {"insert": _l("创建"), "update": _l("修改"), "delete": _l("删除")}


@bp.app_context_processor
def _template_permissions() -> dict:
    return {
        "can_manage_users": lambda: bool(
            current_user.is_authenticated and can_manage_users(current_user)
        )
    }


@bp.before_request
def _administrators_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_manage_users(current_user):
        abort(403)
    return None


def _region_choices() -> list[tuple[str, str]]:
    regions = db.session.scalars(
        sa.select(Region)
        .where(Region.level.in_([lvl for lvl, d in LEVEL_DEPTH.items() if d <= 2]))
        .order_by(Region.code)
    )
    return [(r.code, f"{r.code} {r.name}") for r in regions]


def _fill_choices(form) -> None:
    form.role.choices = [("", _("请选择")), *((code, str(label)) for code, label in ROLES.items())]
    form.region_code.choices = [("", _("请选择")), *_region_choices()]


@bp.route("/")
def index():
    """Every user, filterable by role and state, searchable, sortable, paginated."""
    stmt = sa.select(User).options(sa.orm.selectinload(User.region)).order_by(User.username)
    extra = {}
    role = request.args.get("role")
    if role in ROLES:
        stmt = stmt.where(User.role == role)
        extra["role"] = role
    state = request.args.get("active")
    if state in STATES:
        stmt = stmt.where(User.active.is_(state == "1"))
        extra["active"] = state
    listing = record_listing(
        stmt,
        User,
        None,  # no status transitions: role and state are filtered above
        PER_PAGE,
        sortable={
            "username": User.username,
            "display_name": User.display_name,
            "role": User.role,
            "region": User.region_code,
            "active": User.active,
            "last_login": User.last_login_at,
        },
        search=(User.username, User.display_name),
    )
    return render_template(
        "users/index.html",
        users=listing["items"],
        filters={**listing["filters"], **extra},
        **{k: listing[k] for k in ("sort", "page", "per_page", "total")},
        roles=ROLES,
        states=STATES,
        local_time=local_time,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = UserCreateForm()
    _fill_choices(form)
    status = 200
    if form.validate_on_submit():
        user, refusal = attempt(
            lambda: operations.create_user(
                db.session,
                username=form.username.data,
                password=form.password.data,
                role=form.role.data,
                region_code=form.region_code.data,
                display_name=form.display_name.data,
                actor=current_user,
            ),
            form,
            {"region": "region_code"},
        )
        if refusal is not None:
            status = refusal.status
        else:
            flash(_("已创建用户 %(username)s", username=user.username), "success")
            return redirect(url_for("user_pages.detail", user_id=user.id))
    elif request.method == "POST":
        status = 422 if not form.csrf_token.errors else 400
    return render_template("users/new.html", form=form), status


def local_time(moment) -> str:
    """A stored UTC time as Beijing time, to the second; a dash for none."""
    if moment is None:
        return "—"
    return moment.replace(tzinfo=UTC).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def _history(user: User) -> list[dict]:
    """The versions of the account, newest first, in words."""
    entries = record_history(db.session, User, user.id)
    codes = {
        value
        for entry in entries
        for value in entry.changes.get("region_code", ())
        if isinstance(value, str)
    }
    names = dict(
        db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )

    def shown(name, value):
        if value is None:
            return "—"
        if name == "role":
            return str(ROLES.get(value, value))
        if name == "region_code":
            return f"{value} {names.get(value, '')}".strip()
        if name == "active":
            return str(STATES["1" if value else "0"])
        return value

    return [
        {
            "when": local_time(entry.issued_at),
            "operation": str(HISTORY_OPERATIONS.get(entry.operation, entry.operation)),
            "who": entry.user,
            "remote_addr": entry.remote_addr,
            "reason": entry.reason,
            "changes": [
                (
                    str(label),
                    shown(name, entry.changes[name][0]),
                    shown(name, entry.changes[name][1]),
                )
                for name, label in HISTORY_FIELDS.items()
                if name in entry.changes
            ],
        }
        for entry in reversed(entries)
    ]


def _detail_page(user: User, edit_form=None, password_form=None, status: int = 200):
    if edit_form is None:
        edit_form = UserEditForm(formdata=None, obj=user, prefix="edit")
    _fill_choices(edit_form)
    if password_form is None:
        password_form = PasswordResetForm(formdata=None, prefix="password")
    valid_tokens, ended_tokens = operations.user_tokens(db.session, user)
    return render_template(
        "users/detail.html",
        user=user,
        edit_form=edit_form,
        password_form=password_form,
        action_form=ActionForm(),
        valid_tokens=valid_tokens,
        ended_tokens=ended_tokens,
        history=_history(user),
        local_time=local_time,
        roles=ROLES,
    ), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def detail(user_id: int):
    """The account; a POST saves the edit form (with its reason)."""
    user = operations.get_user(db.session, user_id)
    if request.method == "GET":
        return _detail_page(user)
    form = UserEditForm(prefix="edit")
    _fill_choices(form)
    if not form.validate_on_submit():
        return _detail_page(user, edit_form=form, status=422 if not form.csrf_token.errors else 400)
    before = (user.display_name, user.role, user.region_code, user.active)
    _outcome, refusal = attempt(
        lambda: operations.update_user(
            db.session,
            current_user,
            user,
            display_name=form.display_name.data,
            role=form.role.data,
            region_code=form.region_code.data,
            active=form.active.data,
            reason=form.reason.data,
            remote_addr=client_address(),
        ),
        form,
        {"region": "region_code"},
    )
    if refusal is not None:
        return _detail_page(
            operations.get_user(db.session, user_id), edit_form=form, status=refusal.status
        )
    if before == (user.display_name, user.role, user.region_code, user.active):
        db.session.rollback()
        flash(_("没有修改任何内容"), "info")
        return redirect(url_for("user_pages.detail", user_id=user_id))
    flash(_("已保存用户 %(username)s 的修改", username=user.username), "success")
    return redirect(url_for("user_pages.detail", user_id=user_id))


@bp.route("/<int:user_id>/password", methods=["POST"])
def password(user_id: int):
    """An administrator sets a new password for the user."""
    user = operations.get_user(db.session, user_id)
    form = PasswordResetForm(prefix="password")
    if not form.validate_on_submit():
        return _detail_page(
            user, password_form=form, status=422 if not form.csrf_token.errors else 400
        )
    _outcome, refusal = attempt(
        lambda: operations.reset_password(
            db.session, current_user, user, form.password.data, client_address()
        ),
        form,
    )
    if refusal is not None:
        return _detail_page(
            operations.get_user(db.session, user_id), password_form=form, status=refusal.status
        )
    current_app.logger.info("password of user %s reset by %s", user.username, current_user.username)
    flash(_("已为 %(username)s 设置新密码", username=user.username), "success")
    return redirect(url_for("user_pages.detail", user_id=user_id))


@bp.route("/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(user_id: int, token_id: int):
    """Revoke one API token of the user; it answers 401 from then on."""
    user = operations.get_user(db.session, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    record = operations.revoke_token_by_id(db.session, token_id, user_id=user.id)
    log_access(db.session, "token_revoked", user=current_user, remote_addr=client_address(),
               detail=f"token #{record.id} of {user.username}")  # fmt: skip
    flash(_("已吊销令牌 #%(id)s", id=record.id), "success")
    return redirect(url_for("user_pages.detail", user_id=user_id))
