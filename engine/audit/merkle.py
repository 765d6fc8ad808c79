"""A Merkle tree in the style of Certificate Transparency (RFC 6962, section 2.1).

A checkpoint signs one hash, the tree's root, instead of the list of every
case's head; a case's dossier then carries only the few sibling hashes (the
audit path) that lead from its own leaf to that root, so it proves the case is
in the signed checkpoint without naming any other case.

The tree over the leaves d[0..n) (`MTH` in the RFC):

- no leaves: SHA-256 of the empty string;
- one leaf: the leaf hash, SHA-256(0x00 || leaf);
- n > 1 leaves: SHA-256(0x01 || MTH(d[0..k)) || MTH(d[k..n))), where k is the
  largest power of two smaller than n.

The prefixes 0x00 and 0x01 keep a leaf from ever passing for an inner node
(second-preimage attacks). The left subtree is always full, so an odd node at
the end of a level is carried up unchanged (never paired with itself, as in
Bitcoin's tree). The same trees, roots and paths as RFC 6962's reference (the
tests check its published vectors); `verify_inclusion` is the algorithm of
RFC 9162, section 2.1.3.2.

Hashes are bytes inside this module and hex text (lower case) in files; the
functions that take them from a file (`verify_inclusion`) accept the text and
treat anything malformed as a proof that fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["inclusion_proof", "leaf_hash", "node_hash", "root", "verify_inclusion"]

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf): a leaf's place in the tree."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an inner node over two subtrees."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> str:
    """The tree's root (hex) over `leaves`, in their order.

    Built level by level: pairs are hashed left to right and a last, unpaired
    node goes up unchanged, which gives RFC 6962's tree. Memory is one level.
    """
    if not leaves:
        return EMPTY_ROOT
    level = [leaf_hash(leaf) for leaf in leaves]
    while len(level) > 1:
        level = _up(level)
    return level[0].hex()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[str]:
    """The audit path (hex, from the leaf upwards) of leaf `index` among `leaves`.

    Each element is the root of the subtree beside the path at that height;
    heights where the path's node has no sibling (it is carried up) add none.

    Raises:
        IndexError: `index` is not a leaf of the tree.
    """
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    level = [leaf_hash(leaf) for leaf in leaves]
    path: list[str] = []
    i = index
    while len(level) > 1:
        sibling = i ^ 1  # the other child of the same parent
        if sibling < len(level):
            path.append(level[sibling].hex())
        level, i = _up(level), i // 2
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[str], root_hex: str
) -> bool:
    """Whether `proof` shows `leaf` is leaf `index` of a tree of `size` with `root_hex`.

    RFC 9162, 2.1.3.2: walk up from the leaf hash; at each step the path
    element is the left sibling when the node is a right child (or the last
    node of its level, carried up), else the right one. The walk must use
    every element and end exactly at the top (`sn == 0`). Anything malformed
    (a negative index, an element that is not 32 bytes of hex) fails.
    """
    if not (
        isinstance(index, int)
        and isinstance(size, int)
        and not isinstance(index, bool)
        and not isinstance(size, bool)
        and 0 <= index < size
    ):
        return False
    try:
        path = [bytes.fromhex(p) for p in proof]
        expected = bytes.fromhex(root_hex)
    except (TypeError, ValueError):
        return False
    if any(len(p) != 32 for p in path) or len(expected) != 32:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return False  # more elements than the tree is high
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # carried up: skip levels without a pair
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected


def _up(level: list[bytes]) -> list[bytes]:
    """The level above: each pair hashed, a last unpaired node carried up."""
    above = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        above.append(level[-1])
    return above
