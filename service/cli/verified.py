"""How `audit verify` (and `restore`) run the record's verification and say
what it found: a progress bar on a terminal, then one line per problem, the
entries lost behind a checkpoint named case by case, and one summary line."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence

import click

from engine.audit.lost import describe, lost_from, summary
from engine.audit.review import count_entries, verify_store
from engine.audit.verify import Report
from engine.ports import CaseStore
from service import present


def verify_with_bar(
    store: CaseStore,
    *,
    anchored: Mapping[str, tuple[int, str]] | None = None,
    quiet: bool = False,
) -> Report:
    """`verify_store`, with a progress bar on stderr when it is a terminal."""
    show_bar = sys.stderr.isatty() and not quiet
    total = count_entries(store) if show_bar else 0
    with click.progressbar(
        length=total, label="verifying", file=sys.stderr if show_bar else io.StringIO()
    ) as bar:
        return verify_store(store, anchored=anchored, progress=bar.update)


def print_verification(
    report: Report,
    *,
    chain: Sequence[str] = (),
    taken: Mapping[str, str] | None = None,
    anchored: bool = False,
    as_json: bool = False,
) -> bool:
    """Print the report (JSON or lines); True when everything verified.

    Args:
        chain: how the checkpoints fail to form one chain (`chain_problems`).
        taken: chain -> when the checkpoint covering it was taken
            (`engine.audit.lost.covering`), to name what was lost.
        anchored: held against checkpoints (the summary says how many cases,
            the JSON has `lost`).
    """
    ok = report.ok and not chain
    lost = lost_from(report.problems, taken or {})
    if as_json:
        problems = [
            {"case": p.case, "seq": p.seq, "kind": p.kind, "detail": p.detail}
            for p in report.problems
        ]
        problems += [
            {"case": None, "seq": None, "kind": "checkpoint_chain", "detail": detail}
            for detail in chain
        ]
        lost_json = [
            {
                "case": x.chain,
                "first": x.first,
                "last": x.last,
                "missing": x.missing,
                "checkpoint": x.taken,
            }
            for x in lost
        ]
        shown: dict[str, object] = {
            "ok": ok,
            "cases": report.cases,
            "entries": report.entries,
            "anchored_cases": report.anchored_cases,
            "user_changes": report.user_changes,
            "problems": problems,
        }
        if anchored:  # only checkpoints show what was lost
            shown["lost"] = lost_json
        click.echo(present.dumps(shown))
        return ok
    for p in report.problems:
        if p.covered is None:
            click.echo(f"BROKEN {p.case}: {p.detail}")
    for x in lost:
        click.echo(f"LOST {describe(x)}")
    for detail in chain:
        click.echo(f"BROKEN checkpoints: {detail}")
    anchored_text = (
        f", {report.anchored_cases} held against checkpoints" if anchored else ""
    )
    broken = len(report.problems) - len(lost) + len(chain)
    verdicts = [f"{broken} broken"] if broken else []
    verdicts += [summary(lost)] if lost else []
    verdict = "; ".join(verdicts) or "verified"
    click.echo(
        f"{verdict}: {report.cases} cases, {report.entries} entries, "
        f"{report.user_changes} changes to users{anchored_text}"
    )
    return ok
