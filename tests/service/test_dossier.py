"""Corrections as new entries, and the case dossier verified offline."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.testing import FakeClock
from tests.service.conftest import Run, snapshot

EXAMPLE = Path(__file__).parents[2] / "examples" / "founding-case.jsonl"
NUMBER = "2024-0283489"


@pytest.fixture
def founding(run: Run, initialised: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The founding case imported (awaiting the reply), HMAC key set."""
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", "the office's checkpoint key")
    assert run("case", "import", str(EXAMPLE)).code == 0
    return initialised


def test_a_correction_is_a_new_entry_naming_the_one_it_corrects(
    run: Run, founding: Path
) -> None:
    before = run("case", "show", NUMBER, "--json")
    code, out, _ = run(
        "audit", "correct", NUMBER, "2", "--actor", "jur",
        "--reason", "Brevet blev sendt kl. 10.30",
        "--set", "at=2024-10-09T10:30:00+02:00",
    )  # fmt: skip
    assert (code, out.strip()) == (0, f"case {NUMBER}: entry 4 corrects entry 2")
    history = json.loads(run("case", "show", NUMBER, "--json").out)["history"]
    assert history[:3] == json.loads(before.out)["history"]  # nothing rewritten
    last = history[-1]
    assert (last["event"], last["from"], last["to"]) == (
        "correction",
        "awaiting_reply",
        "awaiting_reply",
    )
    assert last["data"] == {
        "corrects": 2,
        "reason": "Brevet blev sendt kl. 10.30",
        "changes": {"at": "2024-10-09T10:30:00+02:00"},
    }
    assert run("audit", "verify").code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(("9", "--actor", "jur"), "has no entry 9", id="no-such-entry"),
        pytest.param(("2", "--actor", "rev"), "may not 'correction'", id="auditor"),
        pytest.param(("2", "--actor", "system"), "scheduler's own", id="system"),
    ],
)
def test_refused_corrections_change_nothing(
    run: Run, founding: Path, argv: tuple[str, ...], message: str
) -> None:
    before = snapshot(founding)
    code, _, err = run(
        "audit", "correct", NUMBER, *argv, "--reason", "x", "--set", "a=b"
    )
    assert code == 1
    assert message in err
    assert snapshot(founding) == before


def test_a_dossier_verifies_offline_and_one_changed_byte_fails(
    run: Run, founding: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    assert run("audit", "anchor", "--out", str(anchors)).code == 0
    dossier = tmp_path / "dossier.json"
    code, out, _ = run(
        "audit", "export", NUMBER, "--out", str(dossier), "--anchor", str(anchors)
    )
    assert code == 0
    assert "and a checkpoint" in out
    body = json.loads(dossier.read_text(encoding="utf-8"))
    assert [e["event"] for e in body["entries"]] == [
        "open",
        "send_inquiry",
        "mark_dispatched",
    ]
    assert body["workflow"].startswith("# The founding workflow")
    # the checkpoint's signed body and this case's proof: the only case, beside
    # the users' chain (its leaf the one hash on the path: no user is named)
    assert "heads" not in body["checkpoint"]
    proof = body["checkpoint"]["proof"]
    assert {k: proof[k] for k in ("index", "size", "count")} == {
        "index": 0,
        "size": 2,
        "count": 3,
    }
    assert len(proof["path"]) == 1
    assert '"users"' not in json.dumps(body["checkpoint"])
    # offline: a database URL that leads nowhere is never opened
    offline = ("--db", f"sqlite:///{tmp_path / 'nowhere.db'}")
    assert run(*offline, "audit", "verify", "--dossier", str(dossier)).code == 0
    assert not (tmp_path / "nowhere.db").exists()
    text = dossier.read_text(encoding="utf-8")
    for needle in ("Brev til", '"jur"', "2024-10-09T07:30"):
        changed = tmp_path / "changed.json"
        i = text.index(needle) + 1
        changed.write_text(text[:i] + "X" + text[i + 1 :], encoding="utf-8")
        code, out, _ = run(*offline, "audit", "verify", "--dossier", str(changed))
        assert code == 1, needle
        assert "BROKEN" in out
        changed.unlink()
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", "another key")
    code, out, _ = run(*offline, "audit", "verify", "--dossier", str(dossier))
    assert code == 1
    assert "signature does not verify" in out


def test_an_entry_rewritten_with_its_digest_still_fails(
    run: Run, founding: Path, tmp_path: Path
) -> None:
    """Recomputing the file digest does not help a forger: the chain breaks."""
    from engine.audit.dossier import _digest

    dossier = tmp_path / "dossier.json"
    assert run("audit", "export", NUMBER, "--out", str(dossier)).code == 0
    body = json.loads(dossier.read_text(encoding="utf-8"))
    body["entries"][1]["actor"] = "bra"
    body["digest"] = _digest({k: v for k, v in body.items() if k != "digest"})
    dossier.write_text(json.dumps(body), encoding="utf-8")
    code, out, _ = run("audit", "verify", "--dossier", str(dossier), "--json")
    assert code == 1
    assert json.loads(out)["problems"] == [
        "entry 2 does not verify (altered or re-chained)"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("not json", "not a readable dossier", id="not-json"),
        pytest.param('{"format": "x"}', "not a sagsflow dossier", id="other-json"),
        pytest.param(
            '{"format": "sagsflow-dossier/1"}', "malformed", id="empty-dossier"
        ),
    ],
)
def test_a_corrupt_dossier_is_one_clear_failure(
    run: Run, tmp_path: Path, content: str, message: str
) -> None:
    dossier = tmp_path / "dossier.json"
    dossier.write_text(content, encoding="utf-8")
    code, out, err = run("audit", "verify", "--dossier", str(dossier))
    assert code == 1
    assert message in out
    assert "Traceback" not in out + err


def test_export_refuses_to_overwrite(run: Run, founding: Path, tmp_path: Path) -> None:
    target = tmp_path / "dossier.json"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run("audit", "export", NUMBER, "--out", str(target))
    assert (code, target.read_text(encoding="utf-8")) == (1, "keep me")
    assert "exists" in err


def test_serve_refuses_an_anchor_folder_without_a_key(
    run: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_ANCHOR_DIR", str(tmp_path))
    code, _, err = run("serve", "--interval", "60")
    assert code == 1
    assert "no key signs checkpoints" in err


def test_the_daily_checkpoint_is_written_by_the_service(
    run: Run, founding: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The anchor job `serve` runs daily writes a checkpoint that verifies."""
    from service.cli.context import Context
    from service.housekeeping import daily_job
    from service.settings import Settings

    anchors = tmp_path / "anchors"
    anchors.mkdir()
    monkeypatch.setenv("SAGSFLOW_ANCHOR_DIR", str(anchors))
    import os

    settings = Settings.from_env(os.environ).with_database(f"sqlite:///{founding}")
    context = Context(settings=settings)
    daily_job(settings, lambda: context.engine)()
    context.close()
    (written,) = anchors.glob("checkpoint-*.json")
    code, out, _ = run("audit", "verify", "--anchor", str(written))
    assert code == 0
    assert "1 held against checkpoints" in out


@pytest.mark.parametrize(
    ("argv", "events"),
    [
        pytest.param(("--event", "send_inquiry"), ["send_inquiry"], id="event"),
        pytest.param(("--role", "advisor"), ["open"], id="role"),
        pytest.param(
            ("--state", "awaiting_reply"), ["mark_dispatched"], id="into-state"
        ),
        pytest.param(("--workflow", "access-to-documents"), [], id="another-workflow"),
    ],
)
def test_audit_log_filters_in_json_lines(
    run: Run, founding: Path, argv: tuple[str, ...], events: list[str]
) -> None:
    code, out, _ = run("audit", "log", *argv, "--format", "jsonl")
    assert code == 0
    assert [json.loads(line)["event"] for line in out.splitlines()] == events


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(("--role", "wizard"), "no role 'wizard'", id="role"),
        pytest.param(("--workflow", "nosuch"), "no workflow 'nosuch'", id="workflow"),
    ],
)
def test_audit_log_refuses_unknown_filters(
    run: Run, founding: Path, argv: tuple[str, ...], message: str
) -> None:
    code, _, err = run("audit", "log", *argv)
    assert code == 1
    assert message in err


def test_case_explain_from_the_command_line(
    run: Run, founding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    code, out, _ = run("case", "explain", NUMBER, "--now", "2024-11-07T09:00")
    assert code == 0
    assert "Its deadline is 2024-11-06" in out
    assert "overdue by 1 working day(s)" in out
    code, _, err = run("case", "explain", "2024-9999999")
    assert code == 1
    assert "no case '2024-9999999'" in err


def test_reads_of_a_case_are_logged_and_purged_after_the_retention(
    run: Run, founding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("case", "show", NUMBER, "--actor", "rev").code == 0
    assert run("audit", "log", NUMBER, "--reader", "rev").code == 0
    assert run("audit", "log").code == 0  # the whole log names no case: not a read
    code, out, _ = run("audit", "access", NUMBER, "--json")
    assert code == 0
    reads = json.loads(out)
    assert [(r["actor"], r["action"], r["case"]) for r in reads] == [
        ("rev", "case_show", NUMBER),
        ("rev", "audit_log", NUMBER),
    ]
    code, out, _ = run("case", "show", NUMBER)  # no --actor: the login name
    assert code == 0
    last = json.loads(run("audit", "access", "--json").out)[-1]
    assert last["actor"].startswith("os:")
    assert json.loads(run("audit", "access", "--actor", "nobody", "--json").out) == []
    monkeypatch.setenv("SAGSFLOW_ACCESS_RETENTION_DAYS", "1")
    code, _, err = run("audit", "access", "--purge", "--json")
    assert (code, err.strip()) == (0, "purged 0 read(s) older than the retention")
    monkeypatch.setenv("SAGSFLOW_ACCESS_RETENTION_DAYS", "zero")
    code, _, err = run("audit", "access", "--purge")
    assert code == 1
    assert "SAGSFLOW_ACCESS_RETENTION_DAYS" in err


def test_purging_drops_only_reads_older_than_the_retention(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    fast_engine.record_read(actor="rev", action="case_show", number=NUMBER)
    clock.advance(timedelta(days=200))
    fast_engine.record_read(actor="rev", action="audit_log", number=NUMBER)
    assert fast_engine.purge_reads(retention=timedelta(days=183)) == 1
    assert [r.action for r in fast_engine.reads()] == ["audit_log"]
