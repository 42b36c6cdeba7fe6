"""A Merkle tree over the sealed history, hashed as RFC 9162 (Certificate Transparency 2.0)
hashes it: ``leaf = SHA-256(0x00 || data)``, ``node = SHA-256(0x01 || left || right)``, the
tree of n leaves split at the largest power of two below n.

Pure functions of bytes, no database, no Flask: the server and the offline verifier a county
runs (``fundtrack.audit.offline``) share them. Leaf ``i`` (0-based) is the link hash of the
chain's position ``i + 1`` (``audit_seals.hash``), so the tree commits to everything the chain
does, and the chain's rehash is what verification checks first.

``mth`` arguments are callables ``(start, end) -> bytes`` giving the root of the leaves
``start … end - 1``; every range RFC 9162 asks for is either such a range or starts at a
multiple of its own largest power of two, so a store of aligned perfect subtrees answers all
of them (``fundtrack.audit.tree``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

EMPTY_ROOT = hashlib.sha256(b"").digest()

Mth = Callable[[int, int], bytes]


def chain_link(prev_hash: str, payload: bytes) -> str:
    """A link of the hash chain (``audit_seals.hash``): SHA-256 hex of the link before, as
    its 64 hex digits, and the transaction's canonical payload."""
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of(leaf_hashes: list[bytes]) -> bytes:
    """MTH of a list of leaf hashes (for small ranges; ``Frontier`` streams large ones)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    # pairwise from the left, an odd last node carried up: the same tree as RFC 9162's split
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class Frontier:
    """The roots of the perfect subtrees of a growing tree (its binary decomposition), so
    that the root of every prefix is at hand while the leaves stream past once."""

    def __init__(self) -> None:
        self.size = 0
        #: (height, root) of each perfect subtree, largest first
        self.stack: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the perfect subtrees it completed, each
        ``(height, index, root)`` with index = first leaf // 2**height."""
        height, value = 0, leaf
        completed = []
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            value = node_hash(left, value)
            height += 1
            completed.append((height, self.size >> height, value))
        self.stack.append((height, value))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value


def mth_from(mth: Mth, start: int, end: int) -> bytes:
    """MTH of ``start … end - 1`` built from ``mth`` on aligned perfect ranges only."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0:  # a perfect subtree; aligned by construction
        return mth(start, end)
    k = split(size)
    return node_hash(mth(start, start + k), mth_from(mth, start + k, end))


def inclusion_path(index: int, size: int, mth: Mth) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    path: list[bytes] = []
    start, end = 0, size
    # walk down from the root, collecting the sibling of each subtree the leaf is in
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(mth_from(mth, start + k, end))
            end = start + k
        else:
            path.append(mth_from(mth, start, start + k))
            start += k
    path.reverse()
    return path


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Iterable[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_path(first: int, second: int, mth: Mth) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[second])."""
    if not 0 < first <= second:
        raise ValueError("consistency needs 0 < first <= second")
    proof: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while True:
        size = end - start
        if m == size:
            if not complete:
                proof.append(mth_from(mth, start, end))
            break
        k = split(size)
        if m <= k:
            proof.append(mth_from(mth, start + k, end))
            end = start + k
        else:
            proof.append(mth_from(mth, start, start + k))
            start, m, complete = start + k, m - k, False
    proof.reverse()
    return proof


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    proof = list(proof)
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
