"""What the regions domain contributes to the app: the region tree's API."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.api import register_api
from fundtrack.regions import api


def init_app(app: Flask) -> None:
    register_api(app, api.blp)
