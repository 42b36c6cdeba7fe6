"""Rendered output kept per process, keyed on what it shows: page fragments (HTML) and
API bodies (JSON).

A key holds everything its output depends on (the language, the amount unit, the figures
themselves), never a version number that somebody else's write would have to bump: a payment
in one fund leaves every other fund's output valid, and a changed figure is a different key,
so stale output cannot be shown. The oldest are dropped beyond ``FRAGMENT_CACHE_SIZE``
(``fundtrack/config.py``; 0 turns the cache off).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache
from flask import current_app
from markupsafe import Markup

EXTENSION_KEY = "fundtrack_fragments"

Output = TypeVar("Output")


class Fragments:
    """An LRU of rendered output, safe for threaded servers."""

    def __init__(self, size: int):
        self.cache: LRUCache | None = LRUCache(maxsize=size) if size > 0 else None
        self.lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], Output]) -> Output:
        if self.cache is None:
            return render()
        with self.lock:
            output = self.cache.get(key)
        if output is None:
            output = render()
            with self.lock:
                self.cache[key] = output
        return output


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = Fragments(app.config["FRAGMENT_CACHE_SIZE"])


def kept(key: Hashable, render: Callable[[], Output]) -> Output:
    """What ``render()`` gives for ``key``, rendered once per process while kept (``key``
    names its kind first, so the kinds cannot collide)."""
    return current_app.extensions[EXTENSION_KEY].get_or_render(key, render)


def fragment(key: Hashable, render: Callable[[], str]) -> Markup:
    """The HTML ``render()`` gives for ``key``, rendered once per process while kept."""
    return kept(key, lambda: Markup(render()))
