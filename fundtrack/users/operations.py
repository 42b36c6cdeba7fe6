"""Users, passwords and API tokens. Operations flush but never commit."""

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

from fundtrack.core.errors import Conflict, DomainError, ValidationFailed
from fundtrack.core.models import utcnow
from fundtrack.extensions import limiter
from fundtrack.regions.models import Region
from fundtrack.users.models import ROLES, ApiToken, User

password_hasher = PasswordHasher()

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 10


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = "登录失败次数过多，请稍后再试"


class BadCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = "用户名或密码不正确"


def check_password_strength(password: str, username: str = "") -> None:
    """At least 10 characters, letters and digits or symbols, not the user name."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    if password.isdigit() or password.isalpha():
        problems.append("密码须同时包含字母和数字或符号")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if problems:
        raise ValidationFailed("；".join(problems), fields={"password": problems})


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def create_user(
    session,
    *,
    username: str,
    password: str,
    role: str,
    region_code: str,
    display_name: str | None = None,
) -> User:
    """Add a user. Raises ``ValidationFailed`` for a bad name, role, region or weak password,
    ``Conflict`` when the user name is taken."""
    username = (username or "").strip().lower()
    fields = {}
    if not USERNAME_RE.match(username):
        fields["username"] = ["用户名须为 3–64 位小写字母、数字、下划线、点或连字符，以字母开头"]
    if role not in ROLES:
        fields["role"] = [f"角色须为 {', '.join(ROLES)} 之一"]
    if session.get(Region, region_code or "") is None:
        fields["region_code"] = ["地区代码不存在（先运行 flask --app fundtrack reference load）"]
    if fields:
        raise ValidationFailed(fields=fields)
    check_password_strength(password, username)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict("用户名已存在", fields={"username": ["用户名已存在"]})
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        region_code=region_code,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session, user: User, password: str) -> None:
    check_password_strength(password, user.username)
    user.password_hash = hash_password(password)
    session.flush()


def _login_limit():
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def _throttle_keys(username: str, remote_addr: str | None) -> list[str]:
    return [f"user:{username.lower()}", f"addr:{remote_addr or '-'}"]


def authenticate(session, username: str, password: str, remote_addr: str | None) -> User:
    """Check a user name and password.

    Failed attempts are counted per account and per address; past the configured limit
    every attempt answers ``TooManyAttempts`` (429), right or wrong, until the window ends.
    Raises ``BadCredentials`` (401) otherwise.
    """
    username = (username or "").strip().lower()
    limit = _login_limit()
    keys = _throttle_keys(username, remote_addr)
    if not all(limiter.limiter.test(limit, "login", key) for key in keys):
        raise TooManyAttempts()
    user = session.scalar(sa.select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        try:
            ok = password_hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # spend the same time as a real check, so that timing does not reveal user names
        with contextlib.suppress(VerificationError):
            password_hasher.verify(_DUMMY_HASH, password or "")
    if not ok:
        for key in keys:
            limiter.limiter.hit(limit, "login", key)
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
    return session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))


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


def revoke_token_by_id(session, token_id: int) -> ApiToken:
    """An administrator revokes a token; revoking twice changes nothing."""
    from fundtrack.core.errors import NotFound

    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound("令牌不存在")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()
    return record


def tokens_query(filters: dict):
    stmt = sa.select(ApiToken).join(User).order_by(ApiToken.id.desc())
    if filters.get("active"):
        stmt = stmt.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    if filters.get("username"):
        stmt = stmt.where(User.username == filters["username"].strip().lower())
    return stmt
