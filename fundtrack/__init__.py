"""fundtrack: earmarked special funds traced from budget to payment."""

from __future__ import annotations


def create_app(config: dict | None = None):
    """Build the application (``fundtrack.app.create_app``); ``flask --app fundtrack`` finds it
    here. ``config`` overrides everything else (tests use it)."""
    # imported on call: the factory imports every domain, and ``import fundtrack.core.money``
    # (a script, the offline verifier) should not
    from fundtrack.app import create_app as factory  # noqa: PLC0415

    return factory(config)
