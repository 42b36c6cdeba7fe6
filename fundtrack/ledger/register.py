"""What the ledger contributes to the app: the flush hook that keeps every balance row in
the transaction of the movement that changes it."""

from __future__ import annotations

from flask import Flask

from fundtrack.ledger import postings


def init_app(app: Flask) -> None:
    postings.install()
