"""Region tree queries (the shipped tree itself is loaded by ``fundtrack.reference``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_app_context

from fundtrack.regions.models import Region


def parent_map(session) -> dict[str, str | None]:
    """code -> parent code for all regions; cached for the current request or command."""
    cached = g.get("_region_parents") if has_app_context() else None
    if cached is None:
        cached = dict(session.execute(sa.select(Region.code, Region.parent_code)).all())
        if has_app_context():
            g._region_parents = cached
    return cached


def forget_region_tree() -> None:
    """Drop the request's cached tree (after the regions changed)."""
    if has_app_context():
        g.pop("_region_parents", None)
        g.pop("_region_subtrees", None)


def ancestors(session, code: str) -> list[str]:
    """The codes above ``code``, nearest first."""
    parents = parent_map(session)
    result = []
    current = parents.get(code)
    while current:
        result.append(current)
        current = parents.get(current)
    return result


def is_within(session, code: str | None, root: str | None) -> bool:
    """True when ``code`` is ``root`` or lies below it."""
    if not code or not root:
        return False
    return code == root or root in ancestors(session, code)


def subtree_codes(session, root: str) -> set[str]:
    """``root`` and every region below it; each root's subtree is walked once per request
    or command (a page asks for it in several of its queries)."""
    parents = parent_map(session)
    cached = g.setdefault("_region_subtrees", {}) if has_app_context() else {}
    if root not in cached:
        children: dict[str | None, list[str]] = {}
        for code, parent in parents.items():
            children.setdefault(parent, []).append(code)
        found, waiting = set(), [root] if root in parents else []
        while waiting:
            code = waiting.pop()
            found.add(code)
            waiting.extend(children.get(code, ()))
        cached[root] = frozenset(found)
    return set(cached[root])


def is_whole_tree(session, root: str) -> bool:
    """True when ``root``'s subtree is every region (the province)."""
    return len(subtree_codes(session, root)) == len(parent_map(session))


def in_subtree(session, column, root: str):
    """SQL condition: ``column`` holds ``root`` or a region below it. For the root of the
    whole tree (the province) that is every region, and no condition at all: a list of all
    137 codes in each of a page's subqueries costs more to send and plan than the rows."""
    if is_whole_tree(session, root):
        return column.is_not(None)
    return column.in_(subtree_codes(session, root))
