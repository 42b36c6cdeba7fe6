"""The Merkle tree over the sealed history, read from the database.

Leaf ``i`` is the chain's link ``i + 1`` (``audit_seals.hash``, which covers the
transaction row, every version row it wrote and the link before it), hashed as an RFC 9162
leaf. Perfect subtrees of ``2**KEPT_HEIGHT`` leaves and more are kept in
``audit_tree_nodes`` by the seal that completes them, so a root, an inclusion proof or a
consistency proof reads O(log n) node rows and at most a few hundred leaves, in two queries.

The seal that appends a leaf stays in the commit path (the tree is always as long as the
chain: no committed transaction is ever unprovable); it writes a node only at every 256th
position, from one read of the last 256 links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import sqlalchemy as sa

from fundtrack.audit import merkle
from fundtrack.audit.models import AuditSeal, AuditTreeNode

#: nodes of this height (2**8 = 256 leaves) and higher are kept in the database
KEPT_HEIGHT = 8
KEPT_SIZE = 1 << KEPT_HEIGHT

T = TypeVar("T")


def leaf_of(link: str) -> bytes:
    """The leaf hash of a chain link given as its 64 hex digits."""
    return merkle.leaf_hash(bytes.fromhex(link))


def tree_size(connection) -> int:
    """How many sealed transactions the tree has: the chain's newest position."""
    return connection.execute(sa.select(sa.func.max(AuditSeal.id))).scalar() or 0


class TreeReader:
    """Answers questions about the tree of one database.

    A question is a pure function of an ``mth`` callable (``merkle.inclusion_path`` and
    the others). It is asked twice: once with a recorder that learns which aligned ranges
    it needs, then, after one query for their kept nodes and one for the leaves of the
    small ones, with the real hashes.
    """

    def __init__(self, connection) -> None:
        self.connection = connection
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.leaves: dict[int, bytes] = {}

    def answer(self, question: Callable[[merkle.Mth], T]) -> T:
        wanted: list[tuple[int, int]] = []

        def record(start: int, end: int) -> bytes:
            wanted.append((start, end))
            return merkle.EMPTY_ROOT

        question(record)
        self._fetch(wanted)
        return question(self._mth)

    def _fetch(self, ranges: list[tuple[int, int]]) -> None:
        kept = {
            (height, start >> height)
            for start, end in ranges
            if (height := (end - start).bit_length() - 1) >= KEPT_HEIGHT
        }
        kept -= self.nodes.keys()
        if kept:
            rows = self.connection.execute(
                sa.select(AuditTreeNode.height, AuditTreeNode.index, AuditTreeNode.hash).where(
                    sa.tuple_(AuditTreeNode.height, AuditTreeNode.index).in_(sorted(kept))
                )
            )
            self.nodes.update({(h, i): bytes.fromhex(value) for h, i, value in rows})
        # leaves of the small ranges, and of any kept range missing (history sealed by
        # something that did not keep nodes: it is hashed from its leaves instead)
        spans = [
            (start, end)
            for start, end in ranges
            if (h := (end - start).bit_length() - 1) < KEPT_HEIGHT
            or (h, start >> h) not in self.nodes
        ]
        spans = [(s, e) for s, e in spans if any(i not in self.leaves for i in range(s, e))]
        if spans:
            rows = self.connection.execute(
                sa.select(AuditSeal.id, AuditSeal.hash).where(
                    sa.or_(*(AuditSeal.id.between(s + 1, e) for s, e in spans))
                )
            )
            self.leaves.update({position - 1: leaf_of(link) for position, link in rows})

    def _mth(self, start: int, end: int) -> bytes:
        height = (end - start).bit_length() - 1
        node = self.nodes.get((height, start >> height)) if height >= KEPT_HEIGHT else None
        if node is not None:
            return node
        return merkle.root_of([self.leaves[i] for i in range(start, end)])


def root(connection, size: int) -> bytes:
    """The root of the tree of the first ``size`` sealed transactions."""
    return TreeReader(connection).answer(lambda mth: merkle.mth_from(mth, 0, size))


def root_from_links(connection, size: int) -> bytes:
    """The same root, hashed from the first ``size`` links themselves (O(n): for checks that
    must not trust the kept nodes)."""
    links = connection.execute(
        sa.select(AuditSeal.hash).where(AuditSeal.id <= size).order_by(AuditSeal.id)
    ).scalars()
    _, roots, _ = completed_nodes(links, [size])
    return roots[size]


def inclusion(connection, position: int, size: int) -> tuple[bytes, list[bytes]]:
    """(root of the tree of ``size``, the inclusion path of chain position ``position``)."""
    reader = TreeReader(connection)
    return reader.answer(
        lambda mth: (merkle.mth_from(mth, 0, size), merkle.inclusion_path(position - 1, size, mth))
    )


def consistency(connection, first: int, second: int) -> tuple[bytes, bytes, list[bytes]]:
    """(root of ``first``, root of ``second``, the proof that the tree of ``first`` is a
    prefix of the tree of ``second``), from one reading of the nodes they need."""
    return TreeReader(connection).answer(
        lambda mth: (
            merkle.mth_from(mth, 0, first),
            merkle.mth_from(mth, 0, second),
            merkle.consistency_path(first, second, mth),
        )
    )


def keep_completed_nodes(connection, position: int) -> None:
    """After the link at ``position`` was sealed: keep the perfect subtrees it completes.

    Runs under the chain's lock, inside the sealing transaction."""
    if position % KEPT_SIZE:
        return
    links = connection.execute(
        sa.select(AuditSeal.hash)
        .where(AuditSeal.id.between(position - KEPT_SIZE + 1, position))
        .order_by(AuditSeal.id)
    ).scalars()
    value = merkle.root_of([leaf_of(link) for link in links])
    height, index = KEPT_HEIGHT, position // KEPT_SIZE - 1
    completed = [(height, index, value)]
    while index % 2 == 1:  # a right child: its parent is complete too
        left = connection.execute(
            sa.select(AuditTreeNode.hash).where(
                AuditTreeNode.height == height, AuditTreeNode.index == index - 1
            )
        ).scalar()
        if left is None:  # older history without kept nodes: hashed from leaves on demand
            break
        value = merkle.node_hash(bytes.fromhex(left), value)
        height, index = height + 1, index // 2
        completed.append((height, index, value))
    connection.execute(
        sa.insert(AuditTreeNode.__table__),
        [{"height": h, "index": i, "hash": v.hex()} for h, i, v in completed],
    )


def completed_nodes(links: Iterable[str], sizes: Iterable[int] = ()):
    """Stream the leaves once: (the kept nodes they complete as {(height, index): hex},
    the root at each of ``sizes`` as {size: bytes}, the number of leaves)."""
    wanted = sorted({size for size in sizes if size >= 0})
    roots: dict[int, bytes] = {}
    nodes: dict[tuple[int, int], str] = {}
    frontier = merkle.Frontier()
    next_wanted = 0
    while next_wanted < len(wanted) and wanted[next_wanted] == 0:
        roots[0] = merkle.EMPTY_ROOT
        next_wanted += 1
    for link in links:
        for height, index, value in frontier.append(leaf_of(link)):
            if height >= KEPT_HEIGHT:
                nodes[(height, index)] = value.hex()
        while next_wanted < len(wanted) and wanted[next_wanted] == frontier.size:
            roots[frontier.size] = frontier.root()
            next_wanted += 1
    return nodes, roots, frontier.size


def kept_nodes(connection) -> dict[tuple[int, int], str]:
    return {
        (h, i): value
        for h, i, value in connection.execute(
            sa.select(AuditTreeNode.height, AuditTreeNode.index, AuditTreeNode.hash)
        )
    }


def keep_missing_nodes(connection) -> int:
    """Write the kept nodes a history sealed without them lacks (the benchmark generator's);
    returns how many were written."""
    links = connection.execute(sa.select(AuditSeal.hash).order_by(AuditSeal.id)).scalars()
    nodes, _, _ = completed_nodes(links)
    have = kept_nodes(connection)
    missing = [
        {"height": h, "index": i, "hash": value}
        for (h, i), value in sorted(nodes.items())
        if (h, i) not in have
    ]
    if missing:
        connection.execute(sa.insert(AuditTreeNode.__table__), missing)
    return len(missing)


def check_tree(connection, sizes=()) -> tuple[str | None, dict[int, bytes], list[tuple]]:
    """One pass over the chain's links: (the first kept node that differs from the one the
    links give, is missing or should not be there, or None; the root at each of ``sizes``
    the tree has; the links as (position, transaction id, hash))."""
    links = connection.execute(
        sa.select(AuditSeal.id, AuditSeal.transaction_id, AuditSeal.hash).order_by(AuditSeal.id)
    ).all()
    expected, roots, _ = completed_nodes((link for _, _, link in links), sizes)
    kept = kept_nodes(connection)
    for key in sorted(expected.keys() | kept.keys()):
        if kept.get(key) != expected.get(key):
            height, index = key
            first = index * (1 << height) + 1
            problem = (
                f"Merkle tree node (height {height}, index {index}, positions {first}…"
                f"{first + (1 << height) - 1}) differs from the chain's links"
            )
            return problem, roots, links
    return None, roots, links
