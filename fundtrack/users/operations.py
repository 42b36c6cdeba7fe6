"""Users, passwords and API tokens. Operations flush but never commit.

Users are never deleted: an account that must no longer be used is deactivated, which also
revokes its API tokens. Every change of a user (name, role, region, state) is a version with
its reason; passwords are not versioned (only their hash is stored, and never in history).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from limits import parse

from fundtrack.audit.operations import log_access
from fundtrack.core.errors import Forbidden, NotFound, ValidationFailed
from fundtrack.core.i18n import _
from fundtrack.core.models import utcnow
from fundtrack.core.reasons import require_reason
from fundtrack.core.versioning import set_action, set_reason
from fundtrack.core.web_helpers import text_search
from fundtrack.extensions import limiter
from fundtrack.regions.models import Region
from fundtrack.users.errors import (
    BadCredentials,
    LastAdmin,
    SelfChange,
    TooManyAttempts,
    UsernameTaken,
)
from fundtrack.users.models import ROLES, ApiToken, User
from fundtrack.users.permissions import can_manage_users

password_hasher = PasswordHasher()

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME = 64


def _require_manager(actor) -> None:
    """``actor`` None is the command line (trusted); anyone else must be an administrator."""
    if actor is not None and not can_manage_users(actor):
        raise Forbidden(_("只有系统管理员可以管理用户"))


def check_password_strength(password: str, username: str = "") -> None:
    """At least 10 characters, letters and digits or symbols, not the user name."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("密码至少 %(n)s 个字符", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or password.isalpha():
        problems.append(_("密码须同时包含字母和数字或符号"))
    if username and username.lower() in password.lower():
        problems.append(_("密码不能包含用户名"))
    if problems:
        raise ValidationFailed(_("；").join(problems), fields={"password": problems})


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def _region_problem(session, region_code) -> str | None:
    if not isinstance(region_code, str) or session.get(Region, region_code) is None:
        return _("地区代码不存在（先运行 flask --app fundtrack reference load）")
    return None


def _role_problem(role) -> str | None:
    if role not in ROLES:
        return _("角色须为 %(roles)s 之一", roles=", ".join(ROLES))
    return None


def _clean_display_name(display_name, fields: dict) -> str | None:
    name = (display_name or "").strip()
    if not name:
        fields["display_name"] = [_("请填写姓名")]
    elif len(name) > MAX_DISPLAY_NAME:
        fields["display_name"] = [_("姓名不超过 %(n)s 个字符", n=MAX_DISPLAY_NAME)]
    return name


def create_user(
    session,
    *,
    username: str,
    password: str,
    role: str,
    region_code: str,
    display_name: str | None = None,
    actor=None,
) -> User:
    """Add a user. ``actor`` is the administrator doing it (pages, API): it must be allowed
    (``Forbidden``), and the reason of the change is recorded here; without one (command
    line, demo) the caller sets the reason.

    Raises ``ValidationFailed`` for a bad name, role, region or weak password (``fields``
    ``username``, ``display_name``, ``role``, ``region``, ``password``), ``UsernameTaken``
    (409) when the user name is taken."""
    _require_manager(actor)
    username = (username or "").strip().lower()
    fields = {}
    if not USERNAME_RE.match(username):
        fields["username"] = [_("用户名须为 3–64 位小写字母、数字、下划线、点或连字符，以字母开头")]
    name = username
    if display_name is not None and display_name.strip():
        name = _clean_display_name(display_name, fields)
    if problem := _role_problem(role):
        fields["role"] = [problem]
    if problem := _region_problem(session, region_code):
        fields["region"] = [problem]
    if fields:
        raise ValidationFailed(fields=fields)
    check_password_strength(password or "", username)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(fields={"username": [_("用户名已存在")]})
    if actor is not None:
        set_action(session, f"创建用户 {username}")  # zh-only: the audit action is stored
    user = User(
        username=username,
        display_name=name,
        password_hash=hash_password(password),
        role=role,
        region_code=region_code,
    )
    session.add(user)
    session.flush()
    return user


def _other_active_admins(session, user: User) -> int:
    """Active administrators but ``user``; their rows are locked (PostgreSQL) until the
    transaction ends, so two administrators demoting each other at the same moment cannot
    both succeed and leave nobody."""
    ids = session.scalars(
        sa.select(User.id)
        .where(User.role == "admin", User.active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    return len(ids)


def update_user(
    session,
    actor,
    user: User,
    *,
    display_name: str,
    role: str,
    region_code: str,
    active: bool,
    reason: str,
    remote_addr: str | None = None,
) -> User:
    """Change a user's name, role, home region or state, with the reason of the change
    (kept in the history). Deactivating revokes the user's API tokens (in the access log,
    as from ``remote_addr``); a deactivated user cannot log in and its session ends at its
    next request. Users are never deleted.

    Raises ``Forbidden`` (only administrators), ``ValidationFailed`` (``fields``
    ``display_name``, ``role``, ``region``), ``ReasonRequired`` (``fields`` ``reason``),
    ``SelfChange`` (409: an administrator demoting or deactivating themselves) and
    ``LastAdmin`` (409: nobody would be left to manage users)."""
    _require_manager(actor)
    fields: dict[str, list] = {}
    name = _clean_display_name(display_name, fields)
    if problem := _role_problem(role):
        fields["role"] = [problem]
    if problem := _region_problem(session, region_code):
        fields["region"] = [problem]
    if not isinstance(active, bool):
        fields["active"] = [_("状态须为启用或停用")]
    if fields:
        raise ValidationFailed(fields=fields)
    reason = require_reason(reason)

    demoting = user.role == "admin" and role != "admin"
    deactivating = user.active and not active
    if demoting or deactivating:
        field = "active" if deactivating else "role"
        if actor is not None and actor.id == user.id:
            raise SelfChange(fields={field: [str(SelfChange.default_message)]})
        if user.role == "admin" and user.active and _other_active_admins(session, user) == 0:
            raise LastAdmin(fields={field: [str(LastAdmin.default_message)]})

    user.display_name = name
    user.role = role
    user.region_code = region_code
    user.active = active
    if deactivating:
        revoke_user_tokens(session, user)
        _log_deactivation(session, actor, user, remote_addr)
    set_action(session, f"修改用户 {user.username}")  # zh-only: the audit action is stored
    set_reason(session, reason)
    session.flush()
    return user


def reset_password(
    session, actor, user: User, password: str, remote_addr: str | None = None
) -> User:
    """An administrator sets a new password for ``user`` (who forgot theirs, or whose
    password may be known to others); the old one stops working at once, the user's API
    tokens stay valid (the administrator revokes them where needed). Passwords are not
    versioned: the reset is recorded in the access log, as from ``remote_addr``.
    Raises ``Forbidden`` and ``ValidationFailed`` (``fields.password``) for a weak password."""
    _require_manager(actor)
    set_password(session, user, password or "")
    _log_password_reset(session, actor, user, remote_addr)
    return user


def _log_password_reset(session, actor, user: User, remote_addr: str | None) -> None:
    """The access-log entry of an administrator's reset: by ``actor``, of ``user``."""
    log_access(session, "password_reset", user=actor, remote_addr=remote_addr,
               detail=f"重置用户 {user.username} 的密码")  # fmt: skip  # zh-only: stored


def change_own_password(
    session, user: User, current_password: str, new_password: str, remote_addr: str | None
) -> list[ApiToken]:
    """``user`` changes their own password, proving it with the current one.

    The new password follows the same rules as any other (``check_password_strength``) and
    must differ from the current one. The session it is changed from stays valid; every API
    token of the user is revoked (a token taken by whoever knew the old password must not
    outlive it) and returned. A wrong current password counts as a failed login (same
    per-account and per-address counters), so the form cannot be used to guess it.

    Raises ``ValidationFailed`` (``fields`` ``current_password``, ``password``) and
    ``TooManyAttempts`` (429, ``fields.current_password``) past the failed-login limit.
    The change is recorded in the access log, naming the tokens revoked."""
    keys = _throttle_keys(user.username, remote_addr)
    if not _throttle_open(keys):
        raise TooManyAttempts(fields={"current_password": [str(TooManyAttempts.default_message)]})
    fields: dict[str, list] = {}
    if not _password_matches(user.password_hash, current_password or ""):
        _count_failure(keys)
        fields["current_password"] = [_("当前密码不正确")]
    try:
        check_password_strength(new_password or "", user.username)
    except ValidationFailed as exc:
        fields["password"] = exc.details["fields"]["password"]
    if not fields and new_password == current_password:
        fields["password"] = [_("新密码不能与当前密码相同")]
    if fields:
        raise ValidationFailed(fields=fields)
    user.password_hash = hash_password(new_password)
    revoked = revoke_user_tokens(session, user)
    _log_password_change(session, user, revoked, remote_addr)
    return revoked


def _log_password_change(
    session, user: User, revoked: list[ApiToken], remote_addr: str | None
) -> None:
    """The access-log entry of a user's own password change, naming the tokens revoked."""
    detail = "本人修改密码"  # zh-only: stored
    if revoked:
        ids = "、".join(f"#{record.id}" for record in revoked)  # zh-only: stored
        detail += f"，同时吊销 API 令牌 {ids}"  # zh-only: stored
    log_access(session, "password_changed", user=user, remote_addr=remote_addr, detail=detail)


def users_query(filters: dict):
    """Users, by user name, filtered by ``role``, ``active`` and a text ``q`` found in the
    user name or the name."""
    stmt = sa.select(User).order_by(User.username)
    if filters.get("role"):
        stmt = stmt.where(User.role == filters["role"])
    if filters.get("active") is not None:
        stmt = stmt.where(User.active.is_(filters["active"]))
    text = (filters.get("q") or "").strip()
    if text:
        stmt = stmt.where(text_search([User.username, User.display_name], text))
    return stmt


def get_user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("用户不存在"))
    return user


def set_password(session, user: User, password: str) -> None:
    check_password_strength(password, user.username)
    user.password_hash = hash_password(password)
    session.flush()


def _login_limit():
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def _throttle_keys(username: str, remote_addr: str | None) -> list[str]:
    """Counter names per account and per address; under ``RATELIMIT_KEY_PREFIX`` so that two
    deployments sharing one Redis never count each other's failures."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return [f"{prefix}user:{username.lower()}", f"{prefix}addr:{remote_addr or '-'}"]


def _throttled() -> bool:
    # RATELIMIT_ENABLED=False (a deployment that throttles at its proxy) leaves Flask-Limiter
    # without a storage: count nothing then
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _throttle_open(keys: list[str]) -> bool:
    """Whether no key has reached the failed-login limit."""
    limit = _login_limit()
    return not _throttled() or all(limiter.limiter.test(limit, "login", key) for key in keys)


def _count_failure(keys: list[str]) -> None:
    if _throttled():
        limit = _login_limit()
        for key in keys:
            limiter.limiter.hit(limit, "login", key)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session, username: str, password: str, remote_addr: str | None) -> User:
    """Check a user name and password.

    Failed attempts are counted per account and per address; past the configured limit
    every attempt answers ``TooManyAttempts`` (429), right or wrong, until the window ends.
    Raises ``BadCredentials`` (401) otherwise.
    """
    username = (username or "").strip().lower()
    keys = _throttle_keys(username, remote_addr)
    if not _throttle_open(keys):
        raise TooManyAttempts()
    user = session.scalar(sa.select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        ok = _password_matches(user.password_hash, password or "")
    else:
        # spend the same time as a real check, so that timing does not reveal user names
        with contextlib.suppress(VerificationError):
            password_hasher.verify(_DUMMY_HASH, password or "")
    if not ok:
        _count_failure(keys)
        raise BadCredentials()
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


_DUMMY_HASH = password_hasher.hash("not-a-real-password-0")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session, user: User, remote_addr: str | None) -> tuple[str, ApiToken]:
    """A new random bearer token; only its hash is stored. Returns (token, record)."""
    token = "ft_" + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        token_hash=_token_digest(token),
        expires_at=utcnow() + current_app.config["API_TOKEN_TTL"],
        created_from=remote_addr,
    )
    session.add(record)
    session.flush()
    return token, record


def token_record(session, token: str) -> ApiToken | None:
    if not token or len(token) > 256:
        return None
    return session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == _token_digest(token))
        # every API request reads the token's user next: in the same statement
        .options(sa.orm.joinedload(ApiToken.user))
    )


def user_for_token(session, token: str) -> User | None:
    """The active user of a valid, unexpired, unrevoked token; else None."""
    record = token_record(session, token)
    now: datetime = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    user = record.user
    return user if user.active else None


def revoke_token(session, token: str) -> None:
    record = token_record(session, token)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()


def revoke_token_by_id(session, token_id: int, user_id: int | None = None) -> ApiToken:
    """An administrator revokes a token (of ``user_id`` when given); revoking twice changes
    nothing."""
    record = session.get(ApiToken, token_id)
    if record is None or (user_id is not None and record.user_id != user_id):
        raise NotFound(_("令牌不存在"))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()
    return record


def revoke_user_tokens(session, user: User) -> list[ApiToken]:
    """Revoke every token of ``user`` not yet revoked; returns them."""
    now = utcnow()
    records = session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for record in records:
        record.revoked_at = now
    session.flush()
    return list(records)


def _log_deactivation(session, actor, user: User, remote_addr: str | None) -> None:
    """The access-log entry of a deactivation: the account's tokens were revoked with it."""
    log_access(session, "token_revoked", user=actor, remote_addr=remote_addr,
               detail=f"all tokens of {user.username}: account deactivated")  # fmt: skip


def user_tokens(session, user: User, *, limit: int = 10) -> tuple[list, list]:
    """(the valid tokens of ``user``, newest first; the ``limit`` newest ended ones)."""
    now = utcnow()
    valid = ApiToken.revoked_at.is_(None) & (ApiToken.expires_at > now)
    base = sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return (
        session.scalars(base.where(valid)).all(),
        session.scalars(base.where(~valid).limit(limit)).all(),
    )


def tokens_query(filters: dict):
    stmt = sa.select(ApiToken).join(User).order_by(ApiToken.id.desc())
    if filters.get("active"):
        stmt = stmt.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    if filters.get("username"):
        stmt = stmt.where(User.username == filters["username"].strip().lower())
    return stmt
