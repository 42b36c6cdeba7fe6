"""One commit or rollback per request, in one place (as Indico's ``RH.process``).

A view runs its operations (which flush, never commit) and returns; then
``FundtrackFlask.dispatch_request`` commits when the response is a success (status below 400)
and the request wrote anything, and rolls back otherwise — when the view raised (a
``DomainError`` becomes its error response afterwards), or answered 4xx/5xx itself. A failed
commit is raised inside the dispatch, so the error handlers answer it like any refusal.

What a refused request must still record (a failed login in the access log) is registered with
``record_after_refusal``: it runs after the rollback, in a transaction of its own, committed here
too.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, g

from fundtrack.core.db_setup import listen_on_sessions
from fundtrack.extensions import db

#: session.info key: this transaction flushed a write
WROTE = "fundtrack_wrote"


class FundtrackFlask(Flask):
    """Flask with the request's single commit or rollback around the view."""

    def dispatch_request(self):
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            _rollback()
            raise
        if response.status_code < 400:
            _commit()
        else:
            _rollback()
        return response


def record_after_refusal(record: Callable[[], object]) -> None:
    """Run ``record()`` after this request's rollback, and commit what it writes: for what a
    refused request must still leave behind (the failed login of a refused password)."""
    g.setdefault("fundtrack_after_refusal", []).append(record)


def _commit() -> None:
    session = db.session
    # a page that showed a refusal (web_helpers.attempt rolled it back) and answers 200 or a
    # redirect: what the refusal must leave behind is written with the request's commit
    run_after_refusal()
    if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        session.commit()
    else:
        # a read: end its transaction now rather than at the teardown
        session.rollback()


def _rollback() -> None:
    session = db.session
    try:
        session.rollback()
    except sa.exc.SQLAlchemyError:  # the database went away (the health check's 503)
        current_app.logger.warning("rollback after a failed request failed", exc_info=True)
        return
    if run_after_refusal():
        session.commit()


def run_after_refusal() -> bool:
    """Run what refusals registered (``record_after_refusal``), after their rollback; True
    when there was anything."""
    records = g.pop("fundtrack_after_refusal", [])
    for record in records:
        record()
    return bool(records)


def _flushed(session, flush_context) -> None:
    session.info[WROTE] = True


def _transaction_ended(session) -> None:
    session.info.pop(WROTE, None)


def install() -> None:
    """Mark every session's transaction that flushed a write, until it ends."""
    listen_on_sessions(
        ("after_flush", _flushed),
        ("after_commit", _transaction_ended),
        ("after_rollback", _transaction_ended),
    )
