"""The Merkle tree's hashing and proofs against RFC 9162's definitions written out naively."""

import hashlib

import pytest

from fundtrack.audit import merkle


def _leaf(i: int) -> bytes:
    return merkle.leaf_hash(f"leaf {i}".encode())


def _reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 as written: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + _reference_mth(leaves[:k]) + _reference_mth(leaves[k:])
    ).digest()


def _mth_over(leaves):
    return lambda start, end: _reference_mth(leaves[start:end])


SIZES = [*range(1, 34), 63, 64, 65, 255, 256, 257, 300]


def test_leaf_and_node_hashes_carry_distinct_prefixes():
    data = b"x" * 64
    assert merkle.leaf_hash(data) == hashlib.sha256(b"\x00" + data).digest()
    assert merkle.node_hash(data[:32], data[32:]) == hashlib.sha256(b"\x01" + data).digest()
    # a node can never pass for a leaf of the same bytes
    assert merkle.leaf_hash(data) != merkle.node_hash(data[:32], data[32:])


@pytest.mark.parametrize("size", SIZES)
def test_roots_agree_with_the_rfc_definition(size):
    leaves = [_leaf(i) for i in range(size)]
    frontier = merkle.Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    expected = _reference_mth(leaves)
    assert merkle.root_of(leaves) == expected
    assert frontier.root() == expected
    assert merkle.mth_from(_mth_over(leaves), 0, size) == expected


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_proof_verifies_and_a_wrong_leaf_does_not(size):
    leaves = [_leaf(i) for i in range(size)]
    root = _reference_mth(leaves)
    for index in range(size):
        path = merkle.inclusion_path(index, size, _mth_over(leaves))
        assert len(path) <= size.bit_length()
        assert merkle.verify_inclusion(index, size, leaves[index], path, root)
        assert not merkle.verify_inclusion(index, size, _leaf(size + 1), path, root)
        if size > 1:
            assert not merkle.verify_inclusion((index + 1) % size, size, leaves[index], path, root)


@pytest.mark.parametrize("second", SIZES)
def test_every_consistency_proof_verifies_and_a_rewritten_prefix_does_not(second):
    leaves = [_leaf(i) for i in range(second)]
    second_root = _reference_mth(leaves)
    for first in range(1, second + 1):
        proof = merkle.consistency_path(first, second, _mth_over(leaves))
        first_root = _reference_mth(leaves[:first])
        assert merkle.verify_consistency(first, second, first_root, second_root, proof)
        rewritten = _reference_mth([_leaf(-1), *leaves[1:first]])
        assert not merkle.verify_consistency(first, second, rewritten, second_root, proof)


def test_the_frontier_reports_each_perfect_subtree_it_completes():
    leaves = [_leaf(i) for i in range(8)]
    frontier = merkle.Frontier()
    completed = [c for leaf in leaves for c in frontier.append(leaf)]
    assert (3, 0, _reference_mth(leaves)) in completed
    assert (1, 3, _reference_mth(leaves[6:8])) in completed
