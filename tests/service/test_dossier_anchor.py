"""Dossiers anchored by a Merkle proof, and the forgeries they stop (issue 18, part 2).

An office of five cases, checkpointed twice through `sagsflow audit anchor`:
checkpoint A while the founding case had three entries, B after it was
closed (six: the close's letter is rendered in an entry of its own). Dossiers
are exported with the command line and checked with
`sagsflow audit verify --dossier` offline (a database URL that leads nowhere);
the forger edits the file as someone holding it would, recomputing every hash,
the head and the digest with sagsflow's own functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.audit import chain
from engine.audit.anchor import FORMAT_V1, Signer, canonical, checkpoint_digest
from engine.audit.chain import GENESIS, chain_fields, link_hash
from engine.audit.dossier import _digest, _entry
from engine.testing import FakeClock
from service import app as composition
from service.housekeeping import daily_job
from service.settings import Settings
from tests.service.conftest import Run, snapshot
from tests.service.serving import FOUNDING, founding_record, inquiry_record

KEY = "the office's checkpoint key"


@dataclass(frozen=True)
class Office:
    db: Path
    anchors: Path  # checkpoints A and B
    older: Path  # checkpoint A only
    numbers: list[str]  # the founding case first


@pytest.fixture
def office(
    run: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Office:
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", KEY)
    records = tmp_path / "office.jsonl"
    lines = [founding_record(), *(inquiry_record(i) for i in range(1, 5))]
    records.write_text("".join(json.dumps(r) + "\n" for r in lines), "utf-8")
    code, out, _ = run("case", "import", str(records), "--json")
    assert code == 0
    numbers = [item["number"] for item in json.loads(out)["imported"]]
    anchors, older = tmp_path / "anchors", tmp_path / "older"
    anchors.mkdir()
    code, out, _ = run("audit", "anchor", "--out", str(anchors))
    assert code == 0
    assert "(the first in its folder): 5 cases, 15 entries" in out
    shutil.copytree(anchors, older)
    for argv in (
        ("receive_reply", "--actor", "jur", "--at", "2024-11-10T12:00:00+01:00"),
        ("close", "--actor", "bra", "--data", "outcome=no_further_action",
         "--document", "Afslutningsbrev", "--at", "2024-11-20T11:00:00+01:00"),
    ):  # fmt: skip
        assert run("case", "fire", FOUNDING, *argv).code == 0
    code, out, _ = run("audit", "anchor", "--out", str(anchors))
    (first,) = older.iterdir()
    assert code == 0
    assert f"(after {first.name}): 5 cases, 18 entries" in out
    return Office(initialised, anchors, older, numbers)


def export(run: Run, folder: Path, number: str, anchors: Path, name: str) -> Path:
    path = folder / name
    assert (
        run("audit", "export", number, "--out", str(path), "--anchor", str(anchors))[0]
        == 0
    )
    return path


def load(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


def save(path: Path, body: dict[str, Any]) -> Path:
    """Write a dossier with its digest recomputed, as a forger would."""
    body["digest"] = _digest({k: v for k, v in body.items() if k != "digest"})
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def forge_outcome(body: dict[str, Any]) -> None:
    """The close entry says `criticism`; every hash from it on and the head redone.

    The close is followed by the rendering of its letter, an entry of its own
    that seals the case as it left it too: the forger edits and re-links it."""
    entries = body["entries"]
    (at,) = [i for i, e in enumerate(entries) if e["event"] == "close"]
    assert [e["event"] for e in entries[at + 1 :]] == ["render"]
    prev = entries[at - 1]["hash"] if at > 0 else GENESIS
    for i in range(at, len(entries)):
        text = json.dumps(entries[i]).replace('"no_further_action"', '"criticism"')
        entries[i] = json.loads(text)
        entries[i]["prev_hash"] = prev
        entries[i]["hash"] = prev = link_hash(prev, chain_fields(_entry(entries[i])))
    assert entries[at]["data"]["outcome"] == "criticism"
    body["case"]["audit_head"] = prev
    body["case"]["data"]["outcome"] = "criticism"


Verify = Callable[..., tuple[int, str]]


@pytest.fixture
def verify(run: Run, office: Office, tmp_path: Path) -> Verify:
    """`audit verify --dossier PATH ...` offline -> (code, out); nothing changes.

    Asserts the run wrote nothing on stderr, left the dossier's bytes and the
    office's database as they were, and never opened a database.
    """
    nowhere = tmp_path / "nowhere.db"

    def _verify(path: Path, *argv: str) -> tuple[int, str]:
        before, rows = path.read_bytes(), snapshot(office.db)
        code, out, err = run(
            "--db", f"sqlite:///{nowhere}", "audit", "verify", "--dossier", str(path),
            *argv,
        )  # fmt: skip
        assert err == ""
        assert "Traceback" not in out
        assert path.read_bytes() == before
        assert snapshot(office.db) == rows
        assert not nowhere.exists()
        return code, out

    return _verify


def test_a_dossier_names_no_other_case(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    checkpoint = load(sorted(office.anchors.iterdir())[-1])
    for i, number in enumerate(office.numbers):
        path = export(run, tmp_path, number, office.anchors, f"{number}.json")
        text = path.read_text(encoding="utf-8")
        assert number in text
        for other in office.numbers:
            assert other == number or other not in text, (number, other)
        for head in checkpoint["heads"]:
            assert head[0] == number or head[2] not in text
        for j in range(1, 5):  # other cases' titles and authorities
            assert i == j or f"Forvaltning {j}" not in text
        body = load(path)["checkpoint"]
        assert set(body) == {
            "format", "created_at", "cases", "entries", "root", "previous",
            "signature", "proof",
        }  # fmt: skip
        assert {k: body[k] for k in ("cases", "entries", "root")} == {
            k: checkpoint[k] for k in ("cases", "entries", "root")
        }
        assert set(body["proof"]) == {"index", "size", "count", "path"}
        assert body["proof"]["size"] == 6  # the five cases and the users' chain
        # a tree of 6: the first four under one node, the fifth case and the
        # users' chain (named "users", after every case number) under another
        assert len(body["proof"]["path"]) == (2 if body["proof"]["index"] == 4 else 3)
        code, out = verify(path)
        assert (code, out) == (0, f"verified: dossier of case {number}\n")


def test_the_issue_s_forgery_fails_not_anchored(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    """Outcome edited to `criticism`, every hash, the head and the digest
    recomputed, the checkpoint deleted: with the key it is not verified."""
    path = export(run, tmp_path, FOUNDING, office.anchors, "dossier.json")
    assert verify(path)[0] == 0
    body = load(path)
    forge_outcome(body)
    kept = save(tmp_path / "kept-checkpoint.json", body)
    body["checkpoint"] = None
    forged = save(tmp_path / "forged.json", body)

    code, out = verify(forged)
    assert code == 1
    assert out == (
        f"BROKEN {forged}: not anchored: no checkpoint covers entries 1-6 (nothing "
        "signed shows they are the ones recorded, so anyone able to edit the file or "
        "the database could have rewritten them and every hash); "
        "--allow-unanchored accepts it with a warning\n"
    )
    code, out = verify(forged, "--allow-unanchored")
    assert code == 0
    assert out.splitlines() == [
        f"warning {forged}: not anchored: no checkpoint covers entries 1-6 (nothing "
        "signed shows they are the ones recorded, so anyone able to edit the file or "
        "the database could have rewritten them and every hash)",
        f"verified: dossier of case {FOUNDING}",
    ]
    code, out = verify(kept)  # the checkpoint left in: its proof gives another root
    assert code == 1
    assert out.startswith(f"BROKEN {kept}: entry 6 is not the one the checkpoint of ")
    assert len(out.splitlines()) == 1


def test_without_a_key_nothing_is_proved_and_the_output_says_so(
    run: Run, office: Office, tmp_path: Path, verify: Verify,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = export(run, tmp_path, FOUNDING, office.anchors, "dossier.json")
    body = load(path)
    forge_outcome(body)
    body["checkpoint"] = None
    forged = save(tmp_path / "forged.json", body)
    monkeypatch.delenv("SAGSFLOW_AUDIT_KEY")
    code, out = verify(forged)
    assert code == 0
    assert out.splitlines()[-1] == (
        f"verified: dossier of case {FOUNDING} (checkpoint signature not checked: "
        "no key)"
    )
    assert "not anchored: no checkpoint covers entries 1-6" in out


def test_entries_after_the_checkpoint_are_not_yet_anchored(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    path = tmp_path / "dossier.json"
    code, out, _ = run(
        "audit", "export", FOUNDING, "--out", str(path), "--anchor", str(office.older)
    )
    assert (code, out) == (
        0,
        f"dossier {path}: case {FOUNDING}, 6 entries and a checkpoint covering "
        "entries 1-3 (the rest not yet anchored)\n",
    )
    created = load(path)["checkpoint"]["created_at"]
    code, out = verify(path)
    assert code == 1
    assert out == (
        f"BROKEN {path}: not anchored: entries 4-6 not yet anchored: the checkpoint "
        f"of {created} covers entries 1-3 only (nothing signed shows they are the "
        "ones recorded, so anyone able to edit the file or the database could have "
        "rewritten them and every hash); --allow-unanchored accepts it with a "
        "warning\n"
    )
    code, out = verify(path, "--allow-unanchored", "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "anchored_entries": 3,
        "problems": [],
        "warnings": [
            f"not anchored: entries 4-6 not yet anchored: the checkpoint of {created} "
            "covers entries 1-3 only (nothing signed shows they are the ones "
            "recorded, so anyone able to edit the file or the database could have "
            "rewritten them and every hash)"
        ],
    }


def test_a_checkpoint_replaced_by_an_older_one_does_not_cover_the_forgery(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    old = load(export(run, tmp_path, FOUNDING, office.older, "old.json"))
    body = load(export(run, tmp_path, FOUNDING, office.anchors, "new.json"))
    forge_outcome(body)
    body["checkpoint"] = old["checkpoint"]  # covers entries 1-3, untouched
    forged = save(tmp_path / "forged.json", body)
    code, out = verify(forged)
    assert code == 1
    assert out.startswith(
        f"BROKEN {forged}: not anchored: entries 4-6 not yet anchored: the checkpoint "
    )
    assert len(out.splitlines()) == 1


def test_a_proof_for_another_root_fails(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    old = load(export(run, tmp_path, FOUNDING, office.older, "old.json"))
    new = load(export(run, tmp_path, FOUNDING, office.anchors, "new.json"))
    other = load(export(run, tmp_path, office.numbers[1], office.anchors, "x.json"))
    swaps: dict[str, Callable[[dict[str, Any]], None]] = {
        "checkpoint-A-s-proof": lambda c: c.update(proof=old["checkpoint"]["proof"]),
        "another-case-s-path": lambda c: c["proof"].update(
            path=other["checkpoint"]["proof"]["path"]
        ),
        "another-index": lambda c: c["proof"].update(index=c["proof"]["index"] ^ 1),
        "an-older-count": lambda c: c["proof"].update(count=3),
    }
    for name, swap in swaps.items():
        body = json.loads(json.dumps(new))
        swap(body["checkpoint"])
        path = save(tmp_path / f"{name}.json", body)
        code, out = verify(path)
        assert code == 1, name
        assert out == (
            f"BROKEN {path}: entry {body['checkpoint']['proof']['count']} is not the "
            f"one the checkpoint of {new['checkpoint']['created_at']} recorded: its "
            "inclusion proof does not give the checkpoint's signed root (the entries "
            "or the proof were changed, or the proof is another root's)\n"
        ), name
    body = json.loads(json.dumps(new))
    body["checkpoint"]["root"] = old["checkpoint"]["root"]  # the root itself: signed
    path = save(tmp_path / "another-root.json", body)
    code, out = verify(path)
    assert code == 1
    assert "the checkpoint's signature does not verify" in out


def test_a_dossier_signed_with_another_hmac_key_fails(
    run: Run, office: Office, tmp_path: Path, verify: Verify,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = export(run, tmp_path, FOUNDING, office.anchors, "dossier.json")
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", "another key")
    assert verify(path) == (
        1,
        f"BROKEN {path}: checkpoint: the checkpoint's signature does not verify "
        "(another key, or the checkpoint was changed)\n",
    )


def _key_pair(folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    key = Ed25519PrivateKey.generate()
    private, public = folder / "private.pem", folder / "public.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    return private, public


def test_an_ed25519_dossier_verifies_with_its_public_key_only(
    run: Run, office: Office, tmp_path: Path, verify: Verify,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    private, public = _key_pair(tmp_path / "keys")
    _, stranger = _key_pair(tmp_path / "other")
    signed = tmp_path / "ed25519"
    signed.mkdir()
    monkeypatch.delenv("SAGSFLOW_AUDIT_KEY")  # else the HMAC key signs
    assert (
        run("audit", "anchor", "--out", str(signed), "--key-file", str(private))[0] == 0
    )
    path = export(run, tmp_path, FOUNDING, signed, "dossier.json")
    assert verify(path, "--public-key", str(public)) == (
        0,
        f"verified: dossier of case {FOUNDING}\n",
    )
    assert verify(path, "--public-key", str(stranger)) == (
        1,
        f"BROKEN {path}: checkpoint: the checkpoint's signature does not verify "
        "(another key, or the checkpoint was changed)\n",
    )
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", KEY)
    assert verify(path) == (
        1,
        f"BROKEN {path}: checkpoint: the checkpoint is Ed25519-signed: give the "
        "public key to check it\n",
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(lambda t: t[: len(t) // 2], "not a readable dossier", id="cut"),
        pytest.param(lambda t: "not json", "not a readable dossier", id="not-json"),
        pytest.param(lambda t: "", "not a readable dossier", id="empty"),
        pytest.param(lambda t: "[1, 2]", "not a sagsflow dossier", id="a-list"),
        pytest.param(lambda t: "[" * 100_000, "not a readable dossier", id="deep"),
        pytest.param(
            lambda t: t.replace('"proof"', '"proofs"'), "proof is malformed", id="proof"
        ),
        pytest.param(
            lambda t: re.sub(r'"index": (\d+)', r'"index": "\1"', t),
            "proof is malformed",
            id="index-text",
        ),
        pytest.param(
            lambda t: t.replace('"entries": [', '"entries": [7, '),
            "the dossier is malformed",
            id="entries",
        ),
    ],
)
def test_an_unreadable_dossier_is_one_clear_failure(
    run: Run, office: Office, tmp_path: Path, verify: Verify,
    damage: Callable[[str], str], message: str,
) -> None:  # fmt: skip
    text = export(run, tmp_path, FOUNDING, office.anchors, "dossier.json").read_text(
        encoding="utf-8"
    )
    damaged = tmp_path / "damaged.json"
    damaged.write_text(damage(text), encoding="utf-8")
    code, out = verify(damaged)
    assert code == 1
    assert len(out.splitlines()) == 1
    assert out.startswith(f"BROKEN {damaged}: ")
    assert message in out


def test_a_dossier_that_is_not_there_is_one_line(run: Run, tmp_path: Path) -> None:
    code, out, err = run("audit", "verify", "--dossier", str(tmp_path / "none.json"))
    assert (code, out) == (1, "")
    assert (
        err == f"sagsflow: error: {tmp_path / 'none.json'}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--allow-unanchored",), "--allow-unanchored goes with --dossier FILE"),
        (("--dossier", "x.json", "--anchor", "."), "give --dossier or --anchor"),
    ],
)
def test_options_that_do_not_go_together_are_refused(
    run: Run, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run("audit", "verify", *argv)
    assert (code, out) == (1, "")
    assert message in err


def test_format_1_dossiers_still_verify(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    """A format-1 dossier carries the whole format-1 checkpoint: its signed list
    of heads anchors the case (with a warning that it names every case)."""
    heads = load(sorted(office.anchors.iterdir())[-1])["heads"]
    v1: dict[str, Any] = {
        "format": "sagsflow-checkpoint/1",
        "created_at": "2024-11-25T12:00:00+00:00",
        "cases": len(heads),
        "entries": sum(h[1] for h in heads),
        "heads": heads,
    }
    v1["signature"] = Signer(hmac_key=KEY.encode()).sign(canonical(v1))
    assert v1["format"] == FORMAT_V1
    body = load(export(run, tmp_path, FOUNDING, office.anchors, "dossier.json"))
    body["format"], body["checkpoint"] = "sagsflow-dossier/1", v1
    anchored = save(tmp_path / "v1.json", body)
    code, out = verify(anchored)
    assert code == 0
    assert out.splitlines() == [
        f"warning {anchored}: a format-1 dossier: its checkpoint lists every case "
        "number of the office; export it again for a format-2 dossier, which does not",
        f"verified: dossier of case {FOUNDING}",
    ]
    forge_outcome(body)
    body["checkpoint"] = None
    forged = save(tmp_path / "v1-forged.json", body)
    code, out = verify(forged)
    assert code == 1
    assert out.startswith(f"BROKEN {forged}: not anchored: no checkpoint covers ")
    assert verify(forged, "--allow-unanchored")[0] == 0


def test_verify_anchor_names_a_deleted_checkpoint(
    run: Run, office: Office, tmp_path: Path
) -> None:
    code, out, _ = run("audit", "verify", "--anchor", str(office.anchors))
    assert (code, out) == (
        0,
        "verified: 5 cases, 18 entries, 4 changes to users, "
        "5 held against checkpoints\n",
    )
    assert run("audit", "anchor", "--out", str(office.anchors)).code == 0
    first, second, third = sorted(office.anchors.iterdir())
    assert load(third)["previous"] == checkpoint_digest(load(second))
    second.unlink()
    code, out, _ = run("audit", "verify", "--anchor", str(office.anchors))
    assert code == 1
    assert out.splitlines() == [
        f"BROKEN checkpoints: {third.name} does not follow {first.name}: a checkpoint "
        f"between them was deleted, or {first.name} was replaced",
        "1 broken: 5 cases, 18 entries, 4 changes to users, 5 held against checkpoints",
    ]
    code, out, _ = run("audit", "verify", "--anchor", str(office.anchors), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert [(p["case"], p["kind"]) for p in report["problems"]] == [
        (None, "checkpoint_chain")
    ]
    # one file is held against on its own: there is no chain to check
    assert run("audit", "verify", "--anchor", str(third)).code == 0


def test_the_daily_checkpoint_follows_the_newest_in_the_folder(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_ANCHOR_DIR", str(office.anchors))
    settings = Settings.from_env(os.environ).with_database(f"sqlite:///{office.db}")
    newest = sorted(office.anchors.iterdir())[-1]
    clock = FakeClock(
        datetime.fromisoformat(load(newest)["created_at"]) + timedelta(days=1)
    )
    store = composition.open_store(settings)
    try:
        engine = composition.build_engine(settings, clock=clock, store=store)
        daily_job(settings, lambda: engine)()
    finally:
        store.engine.dispose()
    written = sorted(office.anchors.iterdir())[-1]
    assert written != newest
    assert load(written)["previous"] == checkpoint_digest(load(newest))


# -- the rest of the dossier, checked against the chain (chain versions 2-4) ----------
def _edit_state(body: dict[str, Any]) -> None:
    body["case"]["state"] = "opened"


def _edit_document(body: dict[str, Any]) -> None:
    body["documents"][-1]["title"] = "Et andet brev"


def _edit_workflow(body: dict[str, Any]) -> None:
    body["workflow"] = body["workflow"].replace("closed", "lukket", 1)


def _edit_calendar(body: dict[str, Any]) -> None:
    body["calendar"]["spec"]["extra_closed_days"] = ["2024-11-11"]


def _edit_party(body: dict[str, Any]) -> None:
    body["case"]["parties"][0]["name"] = "En Anden"


def _rehash_last(body: dict[str, Any], version: int) -> None:
    """The last entry re-hashed under `version`'s form, as a forger would
    (without `via` under a version that seals none)."""
    entry = body["entries"][-1]
    dropped = ("prev_hash", "hash", "v") + (("via",) if version < 4 else ())
    fields = {k: v for k, v in entry.items() if k not in dropped}
    if version >= 3:
        fields["v"] = version
    entry.clear()
    entry.update(fields, prev_hash=body["entries"][-2]["hash"])
    content = chain._canonical(version, fields)
    entry["hash"] = hashlib.sha256(
        entry["prev_hash"].encode() + b"\n" + content
    ).hexdigest()
    body["case"]["audit_head"] = entry["hash"]


def _edit_unknown_version(body: dict[str, Any]) -> None:
    _rehash_last(body, 9)


def _edit_downgrade(body: dict[str, Any]) -> None:
    """The last entry read as version 2, which implies nothing about the case."""
    _rehash_last(body, 2)


def _edit_downgrade_3(body: dict[str, Any]) -> None:
    """The last entry read as version 3, which seals no `via`."""
    _rehash_last(body, 3)


def _edit_via(body: dict[str, Any]) -> None:
    """How the last person's step (the close, entry 5) came in, made to say
    another login (entry 6 is the system's rendering of its letter)."""
    assert body["entries"][-1]["via"] == {"channel": "system"}
    body["entries"][-2]["via"] = {"channel": "cli", "login": "someone-else"}


def _edit_personal_value(body: dict[str, Any]) -> None:
    values = body["personal"]["values"]
    first = sorted(values)[0]
    values[first] = "En Anden"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        pytest.param(_edit_state, "the dossier's case's state is 'opened'", id="state"),
        pytest.param(_edit_document, "title is 'Et andet brev'", id="document"),
        pytest.param(_edit_workflow, "the workflow text is not", id="workflow"),
        pytest.param(_edit_calendar, "the calendar's rules are not", id="calendar"),
        pytest.param(_edit_party, "name is not the one entry", id="party"),
        pytest.param(
            _edit_personal_value, "not the one its entry committed to", id="personal"
        ),
        pytest.param(_edit_unknown_version, "does not verify", id="version-9"),
        pytest.param(
            _edit_downgrade, "chain version 2 after one of version 4", id="downgrade"
        ),
        pytest.param(
            _edit_downgrade_3, "chain version 3 after one of version 4", id="to-3"
        ),
        pytest.param(_edit_via, "entry 5 does not verify", id="via"),
    ],
)
def test_every_part_of_the_dossier_is_checked_against_the_chain(
    run: Run,
    office: Office,
    tmp_path: Path,
    verify: Verify,
    edit: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    """An edit with the digest recomputed fails, with or without a key: the
    entries sealed what the case, documents, workflow, calendar and values say."""
    path = export(run, tmp_path, FOUNDING, office.anchors, "dossier.json")
    body = load(path)
    edit(body)
    forged = save(tmp_path / "forged.json", body)

    for argv in ((), ("--allow-unanchored",)):
        code, out = verify(forged, *argv)
        assert code == 1, out
        assert fragment in out, out


def test_dossiers_from_before_and_after_an_erasure_both_verify(
    run: Run, office: Office, tmp_path: Path, verify: Verify
) -> None:
    before = export(run, tmp_path, FOUNDING, office.anchors, "before.json")
    names = [p["name"] for p in load(before)["case"]["parties"]]
    assert (
        run("case", "erase", FOUNDING, "--actor", "bra", "--reason", "Anmodning")[0]
        == 0
    )
    assert run("audit", "anchor", "--out", str(office.anchors))[0] == 0
    after = export(run, tmp_path, FOUNDING, office.anchors, "after.json")

    assert verify(before)[0] == 0, "exported before: anchored by its checkpoint"
    code, out = verify(after)
    assert code == 0, out
    text = after.read_text(encoding="utf-8")
    assert load(after)["personal"] is None
    for name in names:
        assert name not in text
