"""What the evaluations domain contributes to the app: performance evaluations (绩效评价)."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.api import register_api
from fundtrack.evaluations import api, views


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
