"""Small helpers for page views."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request

from fundtrack.core.api import paginated
from fundtrack.core.errors import DomainError
from fundtrack.core.forms import show_domain_error
from fundtrack.core.i18n import _
from fundtrack.extensions import db


def request_page(per_page: int) -> dict:
    """``page`` (from 1) of the current request's query string, for ``core.api.paginated``."""
    return {"page": max(request.args.get("page", 1, type=int), 1), "per_page": per_page}


def record_listing(
    stmt, model, transitions, per_page: int, sortable: dict | None = None, search=()
) -> dict:
    """A page of records for a list view, filtered by ``fund_id`` (where the model has one),
    ``status`` (where ``transitions`` are given) and a search text ``q`` (over the ``search``
    columns), sorted by ``sort`` (a key of ``sortable``) and ``dir``: the template's items,
    filters, sort, page, per_page, total and status labels."""
    filters = {}
    text = (request.args.get("q") or "").strip()[:64]
    if text and search:
        stmt = stmt.where(text_search(search, text))
        filters["q"] = text
    sort = {}
    key = request.args.get("sort")
    if sortable and key in sortable:
        descending = request.args.get("dir") != "asc"
        column = sortable[key]
        stmt = stmt.order_by(None).order_by(
            column.desc() if descending else column.asc(), model.id.desc()
        )
        sort = {"sort": key, "dir": "desc" if descending else "asc"}
    fund_id = request.args.get("fund_id", type=int)
    if fund_id and hasattr(model, "fund_id"):
        stmt = stmt.where(model.fund_id == fund_id)
        filters["fund_id"] = fund_id
    status = request.args.get("status")
    if transitions is not None and status in transitions.statuses:
        stmt = stmt.where(model.status == status)
        filters["status"] = status
    listing = paginated(db.session, stmt, request_page(per_page))
    labels = transitions.labels if transitions is not None else {}
    return {**listing, "filters": filters, "sort": sort, "statuses": labels}


def text_search(columns, text: str):
    """SQL condition: any of ``columns`` contains ``text`` literally (no wildcards)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(*(column.like(pattern, escape="\\") for column in columns))


def attempt(action, form=None, field_names: dict[str, str] | None = None):
    """Run a page's operation: ``(result, None)``, or ``(None, refusal)`` when it raised a
    ``DomainError``. A refusal is rolled back at once (the page is then drawn again from the
    database) and shown next to ``form``'s fields (``field_names`` as ``show_domain_error``),
    or without a form as messages. Nothing here commits: the request does, once it succeeded
    (``core.requests``)."""
    try:
        return action(), None
    except DomainError as exc:
        db.session.rollback()
        if form is not None:
            show_domain_error(form, exc, field_names)
        else:
            flash_refusal(exc)
        return None, exc


def flash_refusal(exc: DomainError) -> None:
    """A refusal as messages: what was refused, then what each named field says of it."""
    flash(str(exc.message), "error")
    for messages in (exc.details.get("fields") or {}).values():
        for message in messages if isinstance(messages, list) else [messages]:
            if str(message) != str(exc.message):
                flash(str(message), "error")


def form_errors(form) -> str:
    """Every error of ``form``'s fields in one message, joined by ``_("；")``."""
    return _("；").join(str(e) for errors in form.errors.values() for e in errors)


def form_refused(form, back: str):
    """A page's action form that did not validate: its errors flashed as one message, then
    back to the page ``back``."""
    flash(form_errors(form), "error")
    return redirect(back)


def run_action(action, success: str, back: str):
    """A page's action form: run the operation and say ``success``, or show the refusal;
    either way back to the page ``back``."""
    _outcome, refusal = attempt(action)
    if refusal is None:
        flash(success, "success")
    return redirect(back)
