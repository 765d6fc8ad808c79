"""The Merkle tree checkpoints sign: RFC 6962's trees, and proofs nobody can bend.

The reference vectors are Certificate Transparency's (the leaves and roots of
RFC 6962's reference implementation, used by every CT log); the properties
hold for trees of any size: every leaf's proof verifies, and a changed leaf,
index, proof element or root does not. (The size is not bound by a proof alone:
leaf 1's path in a tree of 5 is also one in a tree of 8 with another right
half. As in RFC 6962 the size is signed beside the root: a dossier's proof
must be for the checkpoint's signed `cases`.)
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit.merkle import (
    EMPTY_ROOT,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_inclusion,
)

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PROOFS = [  # (index, size, audit path), from the CT reference tests
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962, 2.1 writes it: split at the largest power of two < n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_the_roots_are_rfc_6962_s() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").hexdigest() == CT_ROOTS[0]
    for size in range(len(CT_LEAVES) + 1):
        assert root(CT_LEAVES[:size]) == CT_ROOTS[size], size


@pytest.mark.parametrize(("index", "size", "path"), CT_PROOFS)
def test_the_audit_paths_are_rfc_6962_s(index: int, size: int, path: list[str]) -> None:
    leaves = CT_LEAVES[:size]
    assert inclusion_proof(leaves, index) == path
    assert verify_inclusion(leaves[index], index, size, path, CT_ROOTS[size])


def test_a_tree_of_one_leaf_has_an_empty_path() -> None:
    leaf = b'["2024-0283489",5,"ab"]'
    assert root([leaf]) == leaf_hash(leaf).hex()
    assert inclusion_proof([leaf], 0) == []
    assert verify_inclusion(leaf, 0, 1, [], root([leaf]))
    assert not verify_inclusion(leaf, 0, 2, [], root([leaf]))


def test_a_leaf_outside_the_tree_has_no_proof() -> None:
    with pytest.raises(IndexError, match="leaf 3 is not in a tree of 3 leaves"):
        inclusion_proof(CT_LEAVES[:3], 3)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)


@pytest.mark.parametrize(
    ("index", "size", "proof", "root_hex"),
    [
        pytest.param(-1, 8, CT_PROOFS[0][2], CT_ROOTS[8], id="negative-index"),
        pytest.param(8, 8, CT_PROOFS[0][2], CT_ROOTS[8], id="index-past-the-end"),
        pytest.param(True, 8, CT_PROOFS[0][2], CT_ROOTS[8], id="index-a-bool"),
        pytest.param(0, 0, [], CT_ROOTS[0], id="empty-tree"),
        pytest.param(
            0, 8, ["zz" * 32, *CT_PROOFS[0][2][1:]], CT_ROOTS[8], id="not-hex"
        ),
        pytest.param(0, 8, ["ab", *CT_PROOFS[0][2][1:]], CT_ROOTS[8], id="short-hash"),
        pytest.param(0, 8, [1, 2, 3], CT_ROOTS[8], id="numbers"),
        pytest.param(0, 8, None, CT_ROOTS[8], id="no-path"),
        pytest.param(0, 8, CT_PROOFS[0][2], None, id="no-root"),
        pytest.param(0, 8, CT_PROOFS[0][2], "ab", id="short-root"),
    ],
)
def test_a_malformed_proof_fails_and_never_raises(
    index: object, size: int, proof: object, root_hex: object
) -> None:
    assert not verify_inclusion(
        CT_LEAVES[0],
        index,  # type: ignore[arg-type]
        size,
        proof,  # type: ignore[arg-type]
        root_hex,  # type: ignore[arg-type]
    )


trees = st.lists(st.binary(max_size=12), min_size=1, max_size=70, unique=True)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_the_root_is_the_rfc_s_recursion_and_every_leaf_proves(
    leaves: list[bytes],
) -> None:
    top = root(leaves)
    assert top == reference_root(leaves).hex()
    for index, leaf in enumerate(leaves):
        path = inclusion_proof(leaves, index)
        assert verify_inclusion(leaf, index, len(leaves), path, top)


@settings(max_examples=200, deadline=None)
@given(trees, st.data())
def test_anything_changed_fails(leaves: list[bytes], data: st.DataObject) -> None:
    size, top = len(leaves), root(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf, path = leaves[index], inclusion_proof(leaves, index)
    assert verify_inclusion(leaf, index, size, path, top)

    other = data.draw(st.binary(max_size=12).filter(lambda b: b != leaf))
    assert not verify_inclusion(other, index, size, path, top), "another leaf"
    moved = data.draw(st.integers(0, size).filter(lambda i: i != index))
    assert not verify_inclusion(leaf, moved, size, path, top), "another index"
    assert not verify_inclusion(leaf, index, size, path, _flip(top)), "another root"
    assert not verify_inclusion(leaf, index, size, [*path, top], top), "longer path"
    if path:
        at = data.draw(st.integers(0, len(path) - 1), label="element")
        bent = [*path[:at], _flip(path[at]), *path[at + 1 :]]
        assert not verify_inclusion(leaf, index, size, bent, top), "a path element"
        assert not verify_inclusion(leaf, index, size, path[:-1], top), "shorter"
        if len(path) > 1:
            swapped = [path[1], path[0], *path[2:]]
            assert swapped == path or not verify_inclusion(
                leaf, index, size, swapped, top
            ), "reordered path"


def _flip(hex_hash: str) -> str:
    """The hash with its first bit flipped."""
    raw = bytes.fromhex(hex_hash)
    return (bytes([raw[0] ^ 0x80]) + raw[1:]).hex()
