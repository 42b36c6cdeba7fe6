"""Fetching a record for the caller: 404 when it does not exist or lies outside the caller's
region subtree, so that its existence does not leak. Pages and API alike (``g.user``)."""

from __future__ import annotations

from flask import g

from fundtrack.core.errors import NotFound
from fundtrack.extensions import db


def get_visible(model, record_id, can_view):
    """``model`` row ``record_id`` if ``can_view(session, g.user, row)``; else ``NotFound``."""
    record = db.session.get(model, record_id)
    if record is None or not can_view(db.session, g.user, record):
        raise NotFound()
    return record
