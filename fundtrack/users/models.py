from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundtrack.core.i18n import _l
from fundtrack.core.models import status_check, utcnow
from fundtrack.extensions import db
from fundtrack.regions.models import Region

#: role code -> label (lazy: in the reader's language; ``str()`` it where it is joined or
#: serialised). A maker prepares records of its region, a checker approves them (never its
#: own), an auditor reads everything and changes nothing, an administrator manages users.
ROLES = {
    "admin": _l("系统管理员"),
    "maker": _l("财务经办"),
    "checker": _l("财务审批"),
    "auditor": _l("审计"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __versioned__ = {"exclude": ["password_hash", "last_login_at", "language"]}
    __table_args__ = (status_check("role", ROLES),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, lower-case ASCII
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: name shown on pages and in history
    display_name: Mapped[str] = mapped_column(sa.Unicode(64))
    #: argon2id hash of the password; never versioned
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: one of ROLES
    role: Mapped[str] = mapped_column(sa.String(16))
    #: the region whose subtree this user sees and acts on
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    #: false when the account is disabled; a disabled user cannot log in or use tokens
    active: Mapped[bool] = mapped_column(default=True)
    #: UTC time the account was created
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: language of the pages for this user (core.i18n.LANGUAGES); a preference, not versioned
    language: Mapped[str] = mapped_column(sa.String(8), default="zh", server_default="zh")
    #: UTC time of the last successful login; not versioned
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    region: Mapped[Region] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session's reference to this user: the id and a fingerprint of the password hash,
        so that a password change or reset ends every other session of the user."""
        return f"{self.id}.{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def role_label(self) -> str:
        """The role's name in the reader's language."""
        return str(ROLES[self.role])

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}@{self.region_code}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the user the token acts for
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: hex SHA-256 of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: UTC time of issue
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: UTC time after which the token is refused
    expires_at: Mapped[datetime]
    #: UTC time of revocation; NULL while the token is valid
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: address the token was requested from
    created_from: Mapped[str | None] = mapped_column(sa.String(64), default=None)

    user: Mapped[User] = relationship()
