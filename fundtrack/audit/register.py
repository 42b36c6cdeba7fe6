"""What the audit domain contributes to the app: the history pages and API, the access log,
and the session hooks that refuse hard deletes and seal every commit into the hash chain."""

from __future__ import annotations

from flask import Flask

from fundtrack.audit import api, operations, views, witness
from fundtrack.core.api import register_api


def init_app(app: Flask) -> None:
    operations.install()
    witness.install()
    witness.init_app(app)
    register_api(app, api.blp, api.access_blp, api.witness_blp)
    app.register_blueprint(views.bp)
