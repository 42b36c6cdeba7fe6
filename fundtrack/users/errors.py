"""The users domain's own refusals (logins, accounts); the shared ones are in ``core.errors``."""

from __future__ import annotations

from fundtrack.core.errors import Conflict, DomainError
from fundtrack.core.i18n import _l


class _Refusal(DomainError):
    """A domain error whose message is a plain string in the reader's language (a lazy
    default message would not survive a flash message or JSON)."""

    def __init__(self, message: str | None = None, **details):
        super().__init__(str(message or self.default_message), **details)


class TooManyAttempts(_Refusal):
    code = "too_many_attempts"
    status = 429
    default_message = _l("登录失败次数过多，请稍后再试")


class BadCredentials(_Refusal):
    code = "invalid_credentials"
    status = 401
    default_message = _l("用户名或密码不正确")


class UsernameTaken(_Refusal, Conflict):
    code = "username_taken"
    default_message = _l("用户名已存在")


class SelfChange(_Refusal, Conflict):
    """An administrator may not lock themselves out: no demoting or deactivating oneself."""

    code = "self_change"
    default_message = _l("不能停用自己的账户，也不能取消自己的系统管理员角色")


class LastAdmin(_Refusal, Conflict):
    """Someone must be left to manage users."""

    code = "last_admin"
    default_message = _l("这是最后一个启用的系统管理员，不能停用或改为其他角色")
