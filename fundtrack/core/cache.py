"""A small bounded per-process LRU cache, one per app and name, with hit/miss counters.

Per process (each gunicorn worker has its own): it only ever remembers values under keys that
say which state of the database they belong to (e.g. the head of the audit chain), so workers
never need to tell each other anything; a key that is no longer current is simply never asked
for again and falls out of the LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context

_MISSING = object()


class LRUCache:
    """Thread-safe LRU of at most ``maxsize`` entries (gthread workers share one process)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


def remembered(cache: LRUCache | None, key: Hashable | None, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value, kept in ``cache`` under ``key``; computed afresh, and not kept,
    when there is no cache or no key (a state that must not be cached)."""
    if cache is None or key is None:
        return compute()
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.put(key, value)
    return value


def app_cache(name: str, size_key: str) -> LRUCache | None:
    """The current app's LRU called ``name``, sized by ``app.config[size_key]``; None when
    there is no app context or the size is 0 (the cache is disabled)."""
    if not has_app_context():
        return None
    app = current_app._get_current_object()
    size = int(app.config.get(size_key) or 0)
    if size <= 0:
        return None
    caches = app.extensions.setdefault("fundtrack_caches", {})
    cache = caches.get(name)
    if cache is None or cache.maxsize != size:
        cache = caches[name] = LRUCache(size)
    return cache
