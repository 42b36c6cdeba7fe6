"""What the home package contributes to the app: the home page."""

from __future__ import annotations

from flask import Flask

from fundtrack.home import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
