"""sqlalchemy-continuum glue: who, from where and why each transaction happened.

The actor (user id, role, region and remote address) is a plain value cached in ``g`` when
the request is authenticated, never read from an ORM object that may be expired by then
(DESIGN.md §5). Each transaction carries two texts, set by the operation that makes the change:
its *action*, what the program did in its own words (``审批资金下达 湘计生协〔2017〕12号``), and
its *reason*, the words of the person who did it (an approver's 审批意见, the reason of a
cancellation), exactly as given, or nothing when they gave none.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy_continuum import make_versioned, versioning_manager
from sqlalchemy_continuum.operation import Operation
from sqlalchemy_continuum.plugins.base import Plugin
from sqlalchemy_continuum.transaction import TransactionFactory
from sqlalchemy_continuum.unit_of_work import UnitOfWork
from sqlalchemy_continuum.utils import versioned_column_properties

REASON_KEY = "fundtrack_reason"
ACTION_KEY = "fundtrack_action"
#: while set, action and reason are fixed: a batch (an import) describes all its rows at once
FIXED_REASON_KEY = "fundtrack_reason_fixed"


@dataclass(frozen=True)
class AuditActor:
    """Who acts: cached when the request or command is authenticated."""

    user_id: int | None
    role: str | None
    region_code: str | None
    remote_addr: str | None


def current_actor() -> AuditActor | None:
    if has_app_context():
        return g.get("audit_actor")
    return None


def set_actor(actor: AuditActor | None) -> None:
    g.audit_actor = actor


@contextlib.contextmanager
def acting_as(user, remote_addr: str = "cli"):
    """Run a block (a CLI command, the demo loader) as ``user``."""
    previous = g.get("audit_actor")
    set_actor(
        AuditActor(
            user_id=user.id if user else None,
            role=user.role if user else None,
            region_code=user.region_code if user else None,
            remote_addr=remote_addr,
        )
    )
    try:
        yield
    finally:
        set_actor(previous)


def set_reason(session, reason: str | None) -> None:
    """Record the acting person's own words for the current transaction (an approver's
    opinion, the reason of a cancel, recall, reverse or return), as given but for
    surrounding blanks.

    Works before the first flush (the transaction row is created with it) and after it
    (the already created transaction row is updated). A second text in the same
    transaction is appended after ``; ``.
    """
    _note(session, REASON_KEY, "reason", reason)


def set_action(session, action: str | None) -> None:
    """Record what the current transaction does, in the program's words (``审批支出 …``):
    shown in the history beside the person's reason, never instead of it."""
    _note(session, ACTION_KEY, "action", action)


def _note(session, key: str, column: str, text: str | None) -> None:
    if not text or session.info.get(FIXED_REASON_KEY):
        return
    text = text.strip()
    previous = session.info.get(key)
    if previous and text not in previous.split("; "):
        text = f"{previous}; {text}"
    session.info[key] = text
    uow = versioning_manager.units_of_work.get(_connection_key(session))
    if uow is not None and uow.current_transaction is not None:
        setattr(uow.current_transaction, column, text)


@contextlib.contextmanager
def fixed_action(session, action: str, reason: str | None = None):
    """One action (and reason) for everything the block changes, whatever the operations
    inside say: an import's 10,000 rows are one described transaction."""
    set_action(session, action)
    set_reason(session, reason)
    session.info[FIXED_REASON_KEY] = True
    try:
        yield
    finally:
        session.info.pop(FIXED_REASON_KEY, None)


def _connection_key(session):
    try:
        return session.connection()
    except sa.exc.SQLAlchemyError:  # pragma: no cover - no connection yet
        return None


class AuditPlugin(Plugin):
    """Fills the transaction row from the cached actor and the session's reason."""

    def transaction_args(self, uow, session):
        actor = current_actor()
        return {
            "user_id": actor.user_id if actor else None,
            "remote_addr": actor.remote_addr if actor else None,
            "actor_role": actor.role if actor else None,
            "actor_region_code": actor.region_code if actor else None,
            "reason": session.info.get(REASON_KEY),
            "action": session.info.get(ACTION_KEY),
        }


def _clear_reason(session, *args):
    session.info.pop(REASON_KEY, None)
    session.info.pop(ACTION_KEY, None)


class AuditTransactionFactory(TransactionFactory):
    """continuum's Transaction plus the role and region the actor held, and the reason."""

    def create_class(self, manager):
        cls = super().create_class(manager)
        #: role code of the acting user at the time of the transaction
        cls.actor_role = sa.Column(sa.String(16))
        #: home region (GB/T 2260 code) of the acting user at the time of the transaction
        cls.actor_region_code = sa.Column(sa.String(6))
        #: the acting person's own words: why (required for cancel, recall, reverse, return,
        #: edits) or their opinion (审批意见) on a decision; NULL when they gave none
        cls.reason = sa.Column(sa.UnicodeText)
        #: what the transaction does, in the program's words (审批资金下达 …); NULL in
        #: transactions written before it was recorded (then ``reason`` held that sentence)
        cls.action = sa.Column(sa.UnicodeText)
        return cls


class AuditUnitOfWork(UnitOfWork):
    """continuum's unit of work, whose helper session only *joins* the caller's transaction.

    continuum writes version rows through a second session on the same connection. With
    the default join mode that session opens a SAVEPOINT of its own whenever the connection
    is already inside one (as in tests, or an operation run inside ``begin_nested``), and
    then trips over it when the outer savepoint is released. ``rollback_only`` makes it
    write into whatever transaction the connection has, and never end it itself.
    """

    def _ensure_version_session(self, session) -> None:
        if self.version_session is None:
            self.version_session = sa.orm.Session(
                bind=session.connection(), join_transaction_mode="rollback_only"
            )

    def process_before_flush(self, session):
        if session is not self.version_session and self.is_modified(session):
            self._ensure_version_session(session)
        return super().process_before_flush(session)

    def process_after_flush(self, session):
        if session is not self.version_session and self.current_transaction:
            self._ensure_version_session(session)
        return super().process_after_flush(session)

    def assign_attributes(self, parent_obj, version_obj):
        """continuum's copy of the versioned columns into the version object, with the list
        of those columns worked out once per class instead of once per row (it depends only
        on the mapper and the class's ``__versioned__`` options): same keys, same order."""
        for key in _versioned_keys(type(parent_obj)):
            try:
                value = getattr(parent_obj, key)
            except sa.orm.exc.ObjectDeletedError:
                value = None
            setattr(version_obj, key, value)

    def update_version_validity(self, parent, version_obj):
        """Close the previous version's validity, except for a row just inserted: its id is
        new (versioned rows are never deleted, so ids are never reused) and has no earlier
        version, and continuum's two queries per row would dominate a large import."""
        if version_obj.operation_type == Operation.INSERT and not hasattr(parent, "may_be_deleted"):
            return
        super().update_version_validity(parent, version_obj)

    def create_transaction(self, session):
        self._ensure_version_session(session)
        return super().create_transaction(session)


_VERSIONED_KEYS: dict[type, tuple[str, ...]] = {}


def _versioned_keys(cls) -> tuple[str, ...]:
    """The keys continuum's ``versioned_column_properties`` yields for ``cls``, cached."""
    keys = _VERSIONED_KEYS.get(cls)
    if keys is None:
        keys = tuple(prop.key for prop in versioned_column_properties(cls))
        _VERSIONED_KEYS[cls] = keys
    return keys


def install() -> None:
    """Configure continuum; must run before any versioned model is defined."""
    versioning_manager.transaction_cls = AuditTransactionFactory()
    versioning_manager.uow_class = AuditUnitOfWork
    make_versioned(user_cls="User", plugins=[AuditPlugin()])
    # the audit domain seals every committed transaction into its hash chain: it listens to
    # ``before_commit`` itself (``audit.operations.install``, from the app factory)
    sa.event.listen(sa.orm.Session, "after_commit", _clear_reason)
    sa.event.listen(sa.orm.Session, "after_rollback", _clear_reason)
