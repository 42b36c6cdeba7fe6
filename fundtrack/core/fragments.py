"""Rendered page fragments kept per process, keyed on what they show.

A fragment's key holds everything its HTML depends on (the language, the amount unit, the
figures themselves), never a version number that somebody else's write would have to bump:
a payment in one fund leaves every other fund's fragment valid, and a changed figure is a
different key, so a stale fragment cannot be shown. The oldest are dropped beyond
``FRAGMENT_CACHE_SIZE`` (``fundtrack/config.py``; 0 turns the cache off).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from cachetools import LRUCache
from flask import current_app
from markupsafe import Markup

EXTENSION_KEY = "fundtrack_fragments"


class Fragments:
    """An LRU of rendered HTML, safe for threaded servers."""

    def __init__(self, size: int):
        self.cache: LRUCache | None = LRUCache(maxsize=size) if size > 0 else None
        self.lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> Markup:
        if self.cache is None:
            return Markup(render())
        with self.lock:
            html = self.cache.get(key)
        if html is None:
            html = Markup(render())
            with self.lock:
                self.cache[key] = html
        return html


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = Fragments(app.config["FRAGMENT_CACHE_SIZE"])


def fragment(key: Hashable, render: Callable[[], str]) -> Markup:
    """The HTML ``render()`` gives for ``key``, rendered once per process while kept."""
    return current_app.extensions[EXTENSION_KEY].get_or_render(key, render)
