from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fundtrack.core.i18n import _l
from fundtrack.core.models import status_check, utcnow
from fundtrack.extensions import db

GENESIS_HASH = "0" * 64

#: access-log events -> label (lazy: in the reader's language)
ACCESS_EVENTS = {
    "login": _l("登录"),
    "login_failed": _l("登录失败"),
    "logout": _l("退出"),
    "token_created": _l("创建 API 令牌"),
    "token_revoked": _l("吊销 API 令牌"),
    "export": _l("导出"),
    "reveal": _l("查看完整身份证号码"),
    "password_changed": _l("修改本人密码"),
    "password_reset": _l("管理员重置密码"),
}


class AuditSeal(db.Model):
    """One link of the append-only hash chain: one committed continuum transaction.

    ``hash`` = SHA-256(``prev_hash`` + canonical JSON of the transaction row and every
    version row it wrote, ``end_transaction_id`` left out). Written in commit order under
    a lock; UPDATE and DELETE are refused by a trigger.
    """

    __tablename__ = "audit_seals"

    #: position in the chain, 1, 2, 3, … in commit order, without gaps
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: the sealed continuum transaction
    transaction_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    #: hash of the previous link, or 64 zeros for the first
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 hex of prev_hash + the canonical payload
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: UTC time of sealing
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessLog(db.Model):
    """Who logged in, failed to, took a token, exported or revealed personal data."""

    __tablename__ = "access_log"
    __table_args__ = (status_check("event", ACCESS_EVENTS),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: UTC time of the event
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: one of ACCESS_EVENTS
    event: Mapped[str] = mapped_column(sa.String(16), index=True)
    #: the user, when known
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True, default=None)
    #: the user name as typed (also for failed logins of unknown names)
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    #: client address (X-Forwarded-For only from trusted proxies)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    #: what was exported or revealed, and similar detail
    detail: Mapped[str] = mapped_column(sa.UnicodeText, default="")


class AuditTreeNode(db.Model):
    """A perfect subtree of the Merkle tree over the chain (``fundtrack.audit.tree``), kept
    so that a root or a proof reads O(log n) rows instead of every leaf.

    Only subtrees of 2**8 leaves and more are kept; the smaller ones are hashed from the
    leaves when asked. Written by the seal that completes them, under the chain's lock;
    append-only like the chain (a trigger refuses UPDATE and DELETE); ``audit verify``
    recomputes every one from the leaves.
    """

    __tablename__ = "audit_tree_nodes"

    #: log2 of the number of leaves under the node (8, 9, …)
    height: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    #: the node's place among the nodes of its height: its first leaf // 2**height
    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: SHA-256 hex of the subtree (RFC 9162 node hash)
    hash: Mapped[str] = mapped_column(sa.String(64))
