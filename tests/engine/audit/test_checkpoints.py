"""Checkpoint format 2: a signed Merkle root, chained to the checkpoint before it.

Pure functions on lists of heads and files in a temporary folder; fixed times
(no clock is read). The record-level attacks are in test_verify.py; the
command line and dossiers in tests/service/test_dossier_anchor.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.audit.anchor import (
    FORMAT,
    FORMAT_V1,
    CheckpointError,
    Signer,
    anchored_heads,
    canonical,
    case_leaf,
    chain_problems,
    checkpoint_digest,
    latest_checkpoint,
    make_checkpoint,
    previous_checkpoint,
    read_checkpoint,
)
from engine.audit.merkle import root

T0 = datetime(2024, 11, 25, 12, tzinfo=UTC)
SIGNER = Signer(hmac_key=b"the auditor's key")
HEADS = [
    ("2024-0283489", 5, "a" * 64),
    ("2024-0000002", 3, "b" * 64),
    ("2024-0000001", 7, "c" * 64),
    ("2024-0000003", 0, "0" * 64),  # no entries yet: not listed
]


def write(folder: Path, body: dict[str, Any], name: str | None = None) -> Path:
    """A checkpoint file as `audit anchor` names and writes it."""
    when = datetime.fromisoformat(body["created_at"])
    path = folder / (name or f"checkpoint-{when:%Y%m%dT%H%M%S%fZ}.json")
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def format_1(heads: list[tuple[str, int, str]], at: datetime) -> dict[str, Any]:
    """A checkpoint as sagsflow wrote them before format 2 (everything signed)."""
    listed = [[n, c, h] for n, c, h in heads if c > 0]
    body: dict[str, Any] = {
        "format": FORMAT_V1,
        "created_at": at.isoformat(),
        "cases": len(listed),
        "entries": sum(c for _, c, _ in listed),
        "heads": listed,
    }
    body["signature"] = SIGNER.sign(canonical(body))
    return body


def test_a_checkpoint_signs_the_root_and_keeps_the_heads_beside_it() -> None:
    body = make_checkpoint(HEADS, created_at=T0, signer=SIGNER)
    assert list(body) == [
        "format",
        "created_at",
        "cases",
        "entries",
        "root",
        "previous",
        "signature",
        "heads",
    ]
    listed = [
        ("2024-0000001", 7, "c" * 64),
        ("2024-0000002", 3, "b" * 64),
        ("2024-0283489", 5, "a" * 64),
    ]  # sorted by case number
    assert body["heads"] == [list(h) for h in listed]
    assert (body["format"], body["cases"], body["entries"]) == (FORMAT, 3, 15)
    assert body["root"] == root([case_leaf(*h) for h in listed])
    assert case_leaf("2024-0283489", 5, "ab") == b'["2024-0283489",5,"ab"]'
    assert body["previous"] is None
    signed = {
        "format": FORMAT,
        "created_at": "2024-11-25T12:00:00+00:00",
        "cases": 3,
        "entries": 15,
        "root": body["root"],
        "previous": None,
    }
    SIGNER.check(canonical(signed), body["signature"])
    assert checkpoint_digest(body) == hashlib.sha256(canonical(signed)).hexdigest()


def test_an_office_without_entries_has_the_empty_root() -> None:
    body = make_checkpoint([], created_at=T0, signer=SIGNER)
    assert (body["cases"], body["entries"], body["heads"]) == (0, 0, [])
    assert body["root"] == hashlib.sha256(b"").hexdigest()


def test_a_checkpoint_reads_back_and_anchors_its_heads(tmp_path: Path) -> None:
    path = write(tmp_path, make_checkpoint(HEADS, created_at=T0, signer=SIGNER))
    body = read_checkpoint(path, SIGNER)
    assert anchored_heads([body]) == {n: (c, h) for n, c, h in HEADS if c}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: b["heads"][0].__setitem__(2, "d" * 64), id="a-head"),
        pytest.param(lambda b: b["heads"][1].__setitem__(1, 4), id="a-count"),
        pytest.param(lambda b: b["heads"].pop(), id="a-case-dropped"),
        pytest.param(lambda b: b["heads"].append(["2024-9", 1, "e" * 64]), id="added"),
        pytest.param(lambda b: b["heads"].reverse(), id="reordered"),
    ],
)
def test_heads_that_do_not_give_the_signed_root_are_refused(
    tmp_path: Path, change: Any
) -> None:
    body = make_checkpoint(HEADS, created_at=T0, signer=SIGNER)
    change(body)
    path = write(tmp_path, body)
    with pytest.raises(CheckpointError, match="do not give its signed root"):
        read_checkpoint(path, SIGNER)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("root", "f" * 64, "signature does not verify"),
        ("previous", "f" * 64, "signature does not verify"),
        ("cases", 2, "signature does not verify"),
        ("signature", None, "not signed"),
        ("heads", [["2024-1", "3", "x"]], "heads are malformed"),
        ("heads", None, "heads are malformed"),
    ],
)
def test_a_changed_or_malformed_checkpoint_is_one_clear_error(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    body = make_checkpoint(HEADS, created_at=T0, signer=SIGNER)
    body[field] = value
    path = write(tmp_path, body)
    with pytest.raises(CheckpointError, match=message) as raised:
        read_checkpoint(path, SIGNER)
    assert str(raised.value).startswith(f"{path}: ")


def test_format_1_checkpoints_still_read(tmp_path: Path) -> None:
    path = write(tmp_path, format_1(HEADS, T0))
    body = read_checkpoint(path, SIGNER)
    assert body["format"] == FORMAT_V1
    assert anchored_heads([body])["2024-0283489"] == (5, "a" * 64)
    text = path.read_text(encoding="utf-8").replace("a" * 64, "d" * 64)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoint(path, SIGNER)


def test_each_checkpoint_names_the_digest_of_the_one_before(tmp_path: Path) -> None:
    assert previous_checkpoint(tmp_path) is None
    first = make_checkpoint(HEADS, created_at=T0, signer=SIGNER)
    write(tmp_path, first)
    (tmp_path / "notes.json").write_text("not a checkpoint", encoding="utf-8")
    found = previous_checkpoint(tmp_path)
    assert found is not None
    assert found[1] == first
    second = make_checkpoint(
        HEADS, created_at=T0 + timedelta(days=1), signer=SIGNER, previous=found[1]
    )
    assert second["previous"] == checkpoint_digest(first)
    # The digest covers the signed body only: the heads beside it are bound by
    # the root, and the signature is not part of what is chained.
    assert checkpoint_digest({**first, "heads": [], "signature": {}}) == (
        checkpoint_digest(first)
    )


def test_a_checkpoint_must_be_later_than_the_one_it_follows() -> None:
    first = make_checkpoint(HEADS, created_at=T0, signer=SIGNER)
    with pytest.raises(CheckpointError, match="is the clock right"):
        make_checkpoint(HEADS, created_at=T0, signer=SIGNER, previous=first)
    with pytest.raises(CheckpointError, match="created_at is malformed"):
        make_checkpoint(
            HEADS, created_at=T0, signer=SIGNER, previous={"created_at": "soon"}
        )


def chain(folder: Path, days: int, *, v1_first: bool = False) -> list[Path]:
    """`days` checkpoints a day apart, each chained to the one before."""
    paths: list[Path] = []
    previous: dict[str, Any] | None = None
    for day in range(days):
        at = T0 + timedelta(days=day)
        if v1_first and day == 0:
            body = format_1(HEADS, at)
        else:
            body = make_checkpoint(
                HEADS, created_at=at, signer=SIGNER, previous=previous
            )
        paths.append(write(folder, body))
        previous = body
    return paths


def problems_in(folder: Path) -> list[str]:
    files = sorted(folder.glob("*.json"))
    return chain_problems([(f, read_checkpoint(f, SIGNER)) for f in files])


def test_an_unbroken_chain_has_no_problems(tmp_path: Path) -> None:
    chain(tmp_path, 4)
    assert problems_in(tmp_path) == []


def test_format_1_checkpoints_start_the_chain(tmp_path: Path) -> None:
    """The first format-2 checkpoint after an upgrade follows the last format-1."""
    paths = chain(tmp_path, 3, v1_first=True)
    assert read_checkpoint(paths[0], SIGNER)["format"] == FORMAT_V1
    assert problems_in(tmp_path) == []


def test_a_deleted_checkpoint_is_named(tmp_path: Path) -> None:
    first, second, third, _ = chain(tmp_path, 4)
    second.unlink()
    assert problems_in(tmp_path) == [
        f"{third.name} does not follow {first.name}: a checkpoint between them was "
        f"deleted, or {first.name} was replaced"
    ]


def test_the_first_checkpoint_deleted_is_named(tmp_path: Path) -> None:
    first, second, _ = chain(tmp_path, 3)
    first.unlink()
    assert problems_in(tmp_path) == [
        f"{second.name} follows a checkpoint that is not here: an earlier checkpoint "
        "was deleted (or the folder lacks the first ones)"
    ]


def test_a_replaced_checkpoint_is_named(tmp_path: Path) -> None:
    """Replaced by a checkpoint of another chain, signed with the same key."""
    first, second, third = chain(tmp_path, 3)
    stranger = make_checkpoint(
        HEADS[:1], created_at=T0 + timedelta(hours=30), signer=SIGNER
    )
    second.unlink()
    write(tmp_path, stranger, second.name)
    assert problems_in(tmp_path) == [
        f"{second.name} starts a new chain after {first.name}: the checkpoints "
        "before it were replaced, or the chain was restarted",
        f"{third.name} does not follow {second.name}: a checkpoint between them was "
        f"deleted, or {second.name} was replaced",
    ]


def test_a_fork_or_reordering_is_named(tmp_path: Path) -> None:
    """Two checkpoints that both follow the first: one is out of its place."""
    first, second = chain(tmp_path, 2)
    body = read_checkpoint(first, SIGNER)
    fork = make_checkpoint(
        HEADS, created_at=T0 + timedelta(days=2), signer=SIGNER, previous=body
    )
    forked = write(tmp_path, fork)
    assert problems_in(tmp_path) == [
        f"{forked.name} follows {first.name}, not {second.name}: the checkpoints "
        "were reordered, or the chain forks"
    ]


def test_the_order_is_the_signed_time_not_the_file_name(tmp_path: Path) -> None:
    """Renaming files changes nothing: `created_at` is signed."""
    paths = chain(tmp_path, 3)
    for i, path in enumerate(reversed(paths)):
        path.rename(tmp_path / f"renamed-{i}.json")
    assert problems_in(tmp_path) == []


def test_latest_checkpoint_is_the_newest_format_2_listing_the_case(
    tmp_path: Path,
) -> None:
    assert latest_checkpoint(None, "2024-0283489") is None
    assert latest_checkpoint(tmp_path / "nowhere", "2024-0283489") is None
    paths = chain(tmp_path, 2, v1_first=True)
    assert latest_checkpoint(tmp_path, "2024-0283489") == read_checkpoint(
        paths[1], SIGNER
    )
    paths[1].unlink()  # only format 1 is left: its heads would name every case
    assert latest_checkpoint(tmp_path, "2024-0283489") is None
    later = T0 + timedelta(days=5)
    write(tmp_path, make_checkpoint(HEADS[1:], created_at=later, signer=SIGNER))
    assert latest_checkpoint(tmp_path, "2024-0283489") is None  # not listed
    assert latest_checkpoint(tmp_path, "2024-0000002") is not None
