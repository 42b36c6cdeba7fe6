"""Page helpers: template filters, security headers."""

from __future__ import annotations

from flask import Flask

from fundtrack.core.money import format_yuan


def init_app(app: Flask) -> None:
    app.jinja_env.filters["yuan"] = format_yuan

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
