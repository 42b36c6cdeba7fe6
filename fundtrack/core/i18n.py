"""Languages of the pages: 简体中文 first, English by a switch kept per user.

Source strings are the Chinese text itself, so Chinese needs no catalogue and a string nobody
has translated yet still reads correctly in Chinese. Official documents (PDF notices, reports,
bank files, spreadsheet exchange) stay in Chinese whatever the reader's language: see
``chinese_documents``.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, g, has_request_context, session
from flask_babel import Babel, force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "_", "_l", "chinese_documents", "ngettext"]

#: language code -> its own name (shown in the switch, each in its own language)
LANGUAGES = {"zh": "简体中文", "en": "English"}  # zh-only: each language named in itself
DEFAULT_LANGUAGE = "zh"

babel = Babel()


def select_language() -> str:
    """The signed-in user's choice, else the choice made on the login page, else Chinese."""
    if not has_request_context():
        return DEFAULT_LANGUAGE

    # an API call is answered in its token user's language; a page in the session user's
    user = g.get("user") or current_user
    user_choice = getattr(user, "language", None) if user else None
    choice = user_choice or session.get("language")
    return choice if choice in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


@contextmanager
def chinese_documents():
    """Render an official document (PDF, bank file) in Chinese whatever the reader's language."""
    with force_locale(DEFAULT_LANGUAGE):
        yield


def _language_globals() -> dict:
    language = current_language()
    return {
        "languages": LANGUAGES,
        "current_language": language,
        "html_lang": "zh-CN" if language == "zh" else language,
    }


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_language)
    app.context_processor(_language_globals)
