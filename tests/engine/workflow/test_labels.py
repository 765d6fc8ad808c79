"""Labels: read next to what they label, checked on load, and no part of the rules.

A label names both languages; a label of a value the field never holds, one
given twice differently, or one in a place labels cannot stand is refused with
the file and its line. Adding labels leaves the rules' text and digest as they
were: the bundled workflows carry labels, yet their version 3 digests are the
ones databases recorded before labels existed.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from engine.exceptions import DefinitionError
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.labels import Labels
from engine.workflow.registry import WorkflowRegistry
from workflows import bundled_paths

SOURCE = "labelled.yaml"

BASE = """\
name: mini
version: 1
title: Mini workflow
states:
  start:
    kind: initial
  waiting:
    kind: waiting
    deadline: {within: 5 working days}
  done:
    kind: final
open:
  to: start
  roles: [caseworker]
transitions:
  - event: ask
    from: start
    to: waiting
    roles: [caseworker]
    data:
      reply_by: {type: date}
  - event: finish
    from: waiting
    to: done
    roles: [caseworker]
    sets: {closed_as: normal}
    data:
      outcome: {type: choice, values: [fine, bad]}
"""

LABELLED = """\
name: mini
version: 1
title: Mini workflow
states:
  start:
    kind: initial
    labels: {da: Startet, en: Started}
  waiting:
    kind: waiting
    labels:
      da: Afventer svar
      en: Awaiting reply
    deadline: {within: 5 working days}
  done:
    kind: final
open:
  to: start
  labels: {da: Opret, en: Open}
  roles: [caseworker]
transitions:
  - event: ask
    labels: {da: Spørg, en: Ask}
    from: start
    to: waiting
    roles: [caseworker]
    data:
      reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}
  - event: finish
    from: waiting
    to: done
    roles: [caseworker]
    sets: {closed_as: normal}
    data:
      outcome: {type: choice, values: [fine, bad], labels: {
        da: Udfald, en: Outcome, values: {
          fine: {da: Ikke anledning til videre foranstaltning, en: No further action},
          bad: {da: Kritik, en: Criticism}}}}
"""

# The digests of the bundled workflows' version 3 as databases recorded them
# before labels were added to the files (git: the files at f7a16c9).
RECORDED = {
    "ombudsman_inquiry.yaml": (
        "8124f47a929fd1f9afdc1338a179894aee8b0acc8f27fb1ba846a20a6c4e87c7"
    ),
    "access_to_documents.yaml": (
        "f4c8ca050071c90d9d78ab1b169ee3eb82359e64923a83192979e790f116ea84"
    ),
}


def parse(text: str) -> object:
    return parse_workflow(text, source=SOURCE, guards=GUARDS)


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as caught:
        parse(text)
    return caught.value.problems


def test_labels_are_read_for_states_events_fields_and_values() -> None:
    d = parse_workflow(LABELLED, source=SOURCE, guards=GUARDS)
    said = d.labels.speaking("da")
    assert said.state("waiting") == "Afventer svar"
    assert said.state("start") == "Startet"
    assert said.event("open") == "Opret"
    assert said.event("ask") == "Spørg"
    assert said.field("reply_by") == "Svarfrist"
    assert said.value("outcome", "fine") == "Ikke anledning til videre foranstaltning"
    english = d.labels.speaking("en")
    assert (english.state("waiting"), english.value("outcome", "bad")) == (
        "Awaiting reply",
        "Criticism",
    )


def test_an_identifier_without_a_label_shows_as_it_is() -> None:
    d = parse_workflow(LABELLED, source=SOURCE, guards=GUARDS)
    said = d.labels.speaking("da")
    assert said.state("done") == "done"
    assert said.event("finish") == "finish"
    assert said.value("outcome", "unheard_of") == "unheard_of"
    assert said.value("reply_by", 7) == "7"
    assert said.state(None) == ""
    assert Labels().speaking("en").field("anything") == "anything"


def test_labels_leave_the_rules_text_and_digest_as_they_were() -> None:
    labelled = parse_workflow(LABELLED, source=SOURCE, guards=GUARDS)
    plain = parse_workflow(BASE, source=SOURCE, guards=GUARDS)
    assert labelled.text == BASE
    assert labelled.digest == plain.digest
    assert labelled.digest == hashlib.sha256(BASE.encode("utf-8")).hexdigest()
    assert labelled.states == plain.states
    assert labelled.transitions == plain.transitions
    reworded = LABELLED.replace("Afventer svar", "Venter på svar")
    assert parse_workflow(reworded, source=SOURCE, guards=GUARDS).digest == (
        plain.digest
    )


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name)
def test_bundled_workflows_keep_the_digest_their_version_recorded(path: Path) -> None:
    definition = load_workflow_file(path, guards=GUARDS)
    assert definition.digest == RECORDED[path.name]
    assert definition.labels.entries, "the bundled workflows carry labels"
    reread = parse_workflow(definition.text, source="recorded", guards=GUARDS)
    assert (reread.digest, reread.labels) == (definition.digest, Labels())


def test_the_bundled_text_is_the_committed_one_without_its_labels() -> None:
    root = Path(__file__).resolve().parents[3]
    for path in bundled_paths():
        shown = subprocess.run(
            ["git", "show", f"f7a16c9:workflows/{path.name}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if shown.returncode != 0:
            pytest.skip("not a git checkout with its history")
        assert load_workflow_file(path, guards=GUARDS).text == shown.stdout


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name)
def test_every_identifier_of_a_bundled_workflow_has_a_label(path: Path) -> None:
    d = load_workflow_file(path, guards=GUARDS)
    steps = (d.opening, *d.transitions)
    fields = {f.name for t in steps for f in t.fields}
    values = {v for t in steps for f in t.fields for v in f.values}
    values |= {v for t in d.transitions for _, v in t.sets}
    named = {s.name for s in d.states} | set(d.events) | fields | values
    assert named <= set(d.labels.identifiers())
    for language in ("da", "en"):
        said = d.labels.speaking(language)
        assert all(said.state(s.name) != s.name for s in d.states)


def test_the_founding_labels_carry_danish_letters() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())
    said = registry.labels("ombudsman-inquiry").speaking("da")
    assert said.state("awaiting_reply") == "Afventer svar"
    assert said.value("outcome", "no_further_action") == (
        "Ikke anledning til videre foranstaltning"
    )
    assert said.field("reply_by") == "Svarfrist"
    assert said.event("extend_deadline") == "Forlæng svarfristen"
    assert said.event("withdraw") == "Træk sagen tilbage"
    assert registry.labels("no-such-workflow") == Labels()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "labels: {da: Startet, en: Started}",
            "labels: {da: Startet}",
            "labelled.yaml:7: states.start.labels: the label has no 'en'",
            id="missing-en",
        ),
        pytest.param(
            "      da: Afventer svar\n",
            "",
            "labelled.yaml:10: states.waiting.labels: the label has no 'da'",
            id="missing-da",
        ),
        pytest.param(
            "labels: {da: Spørg, en: Ask}",
            "labels: {da: '  ', en: Ask}",
            "labelled.yaml:22: transitions[0].labels.da: must be a non-empty text",
            id="blank",
        ),
        pytest.param(
            "labels: {da: Opret, en: Open}",
            "labels: {da: Opret, en: 7}",
            "labelled.yaml:18: open.labels.en: must be a non-empty text, not 7",
            id="not-a-text",
        ),
        pytest.param(
            "labels: {da: Opret, en: Open}",
            "labels: {da: Opret, en: Open, fr: Ouvrir}",
            "labelled.yaml:18: open.labels.fr: unknown key; allowed: da, en",
            id="a-third-language",
        ),
        pytest.param(
            "labels: {da: Opret, en: Open}",
            "labels: Opret",
            "labelled.yaml:18: open.labels: must be a mapping, not the text 'Opret'",
            id="not-a-mapping",
        ),
        pytest.param(
            "bad: {da: Kritik, en: Criticism}",
            "awful: {da: Kritik, en: Criticism}",
            "labelled.yaml:37: transitions[1].data.outcome.labels.values.awful: "
            "'awful' is not a value of 'outcome' (its values: bad, fine)",
            id="a-value-that-does-not-exist",
        ),
        pytest.param(
            "reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}",
            "reply_by: {type: date, labels: {da: Svarfrist, en: Reply by, "
            "values: {x: {da: X, en: X}}}}",
            "labelled.yaml:27: transitions[0].data.reply_by.labels.values: "
            "unknown key; allowed: da, en",
            id="values-of-a-date",
        ),
        pytest.param(
            "    deadline: {within: 5 working days}\n  done:\n",
            "    deadline: {within: 5 working days}\n  done:\n"
            "    labels: {da: Afsluttet, en: Done}\n",
            None,
            id="ok-a-state-labelled-last",
        ),
    ],
)
def test_a_wrong_label_is_refused_with_its_file_and_line(
    old: str, new: str, expected: str | None
) -> None:
    assert LABELLED.count(old) == 1
    text = LABELLED.replace(old, new)
    if expected is None:
        parse(text)
        return
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_one_identifier_has_one_label() -> None:
    text = LABELLED.replace(
        "      outcome: {type: choice",
        "      reply_by: {type: date, labels: {da: Frist, en: Deadline}}\n"
        "      outcome: {type: choice",
    )
    found = problems(text)
    assert any(
        p.startswith("labelled.yaml:34: transitions[1].data.reply_by.labels: ")
        and "'reply_by' is labelled differently at line 27" in p
        for p in found
    ), found


def test_the_same_label_given_twice_is_fine() -> None:
    text = LABELLED.replace(
        "      outcome: {type: choice",
        "      reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}\n"
        "      outcome: {type: choice",
    )
    parse(text)


def test_a_value_set_by_a_transition_may_be_labelled() -> None:
    text = LABELLED.replace(
        "      reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}\n",
        "      reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}\n"
        "      closed_as: {type: choice, values: [other], labels: {da: Lukket som,"
        " en: Closed as, values: {normal: {da: Normal, en: Normal}}}}\n",
    )
    d = parse_workflow(text, source=SOURCE, guards=GUARDS)
    assert d.labels.value("closed_as", "normal", "da") == "Normal"


def test_labels_must_stand_where_they_can_be_cut_out() -> None:
    text = LABELLED.replace(
        "  - event: ask\n    labels: {da: Spørg, en: Ask}\n",
        "  - labels: {da: Spørg, en: Ask}\n    event: ask\n",
    )
    found = problems(text)
    assert any(
        p.startswith("labelled.yaml:21: transitions[0].labels: labels stand on lines")
        for p in found
    ), found


def test_a_field_named_labels_stays_a_rule() -> None:
    text = BASE.replace(
        "      reply_by: {type: date}\n",
        "      reply_by: {type: date}\n      labels: {type: text}\n",
    )
    d = parse_workflow(text, source=SOURCE, guards=GUARDS)
    assert d.text == text
    assert "labels" in {f.name for t in d.transitions for f in t.fields}


@pytest.mark.parametrize(
    ("labelled", "plain"),
    [
        pytest.param(
            "      reply_by: {labels: {da: Svarfrist, en: Reply by}, type: date}\n",
            "      reply_by: {type: date}\n",
            id="first-in-a-flow-mapping",
        ),
        pytest.param(
            "      reply_by: {type: date, labels: {da: Svarfrist, en: Reply by}}\n",
            "      reply_by: {type: date}\n",
            id="last-in-a-flow-mapping",
        ),
        pytest.param(
            "      reply_by:\n        type: date\n        labels:\n"
            "          da: Svarfrist  # the letter's word\n"
            "          en: Reply by\n",
            "      reply_by:\n        type: date\n",
            id="a-block-with-a-comment",
        ),
    ],
)
def test_labels_are_cut_out_exactly(labelled: str, plain: str) -> None:
    old = "      reply_by: {type: date}\n"
    with_labels = parse_workflow(
        BASE.replace(old, labelled), source=SOURCE, guards=GUARDS
    )
    assert with_labels.text == BASE.replace(old, plain)
    assert with_labels.labels.field("reply_by", "da") == "Svarfrist"


def test_labels_alone_in_a_flow_mapping_leave_it_empty() -> None:
    text = BASE.replace(
        "  done:\n    kind: final\n", "  done: {labels: {da: Slut, en: End}}\n"
    )
    with pytest.raises(DefinitionError):
        parse(text)  # `done` is no longer final: a dead end, reported as such
    kept = BASE.replace("  done:\n    kind: final\n", "  done: {kind: final}\n")
    labelled = kept.replace(
        "{kind: final}", "{kind: final, labels: {da: Slut, en: End}}"
    )
    assert parse_workflow(labelled, source=SOURCE, guards=GUARDS).text == kept


def test_labels_on_the_last_line_without_a_newline() -> None:
    text = LABELLED.rstrip("\n").replace(
        "          bad: {da: Kritik, en: Criticism}}}}",
        "          bad: {da: Kritik, en: Criticism}}}}\n"
        "  - event: redo\n    from: done\n    to: start\n    roles: [caseworker]\n"
        "    labels: {da: Gentag, en: Redo}",
    )
    d = parse_workflow(text, source=SOURCE, guards=GUARDS)
    assert d.text.endswith("    roles: [caseworker]\n")
    assert d.labels.event("redo", "da") == "Gentag"


WHOLE = LABELLED.replace(
    "title: Mini workflow\n",
    "title: Mini workflow\n"
    "parties: [citizen, authority]\n"
    "labels:\n"
    "  da: Lille sagsgang\n"
    "  en: Mini workflow\n"
    "  parties:\n"
    "    citizen: {da: Borger, en: Citizen}\n"
    "    authority: {da: Forvaltning, en: Administration}\n",
).replace(
    "    deadline: {within: 5 working days}\n",
    "    deadline: {within: 5 working days}\n"
    "    chase:\n"
    "      rungs:\n"
    "        - {name: nudge, notify: [authority, owner], labels: {da: Rykker, "
    "en: Reminder}}\n",
)


def test_the_workflow_its_parties_and_rungs_have_labels_too() -> None:
    d = parse_workflow(WHOLE, source=SOURCE, guards=GUARDS)
    said = d.labels.speaking("da")
    assert said.workflow("mini") == "Lille sagsgang"
    assert said.party("authority") == "Forvaltning"
    assert said.rung("nudge") == "Rykker"
    assert [said.target(t) for t in ("authority", "owner", "advisor")] == [
        "Forvaltning",
        "ansvarlig",
        "rådgiver",
    ]
    english = d.labels.speaking("en")
    assert (english.workflow("mini"), english.party("citizen")) == (
        "Mini workflow",
        "Citizen",
    )
    assert (said.value("x", True), english.value("x", False)) == ("ja", "no")
    # words, not rules: the same digest as without them
    plain = WHOLE.replace("    labels: {da: Startet, en: Started}\n", "")
    assert parse_workflow(plain, source=SOURCE, guards=GUARDS).digest == d.digest


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    authority: {da: Forvaltning, en: Administration}\n",
            "    judge: {da: Dommer, en: Judge}\n",
            "labelled.yaml:10: labels.parties.judge: unknown key; allowed: "
            "authority, citizen",
            id="a-party-the-workflow-has-not",
        ),
        pytest.param(
            "  en: Mini workflow\n",
            "",
            "labelled.yaml:5: labels: the label has no 'en'",
            id="the-workflow-without-english",
        ),
        pytest.param(
            "labels: {da: Rykker, en: Reminder}",
            "labels: {da: Rykker}",
            "labelled.yaml:23: states.waiting.chase.rungs[0].labels: the label has "
            "no 'en'",
            id="a-rung-without-english",
        ),
    ],
)
def test_a_wrong_workflow_party_or_rung_label_is_refused(
    old: str, new: str, expected: str
) -> None:
    assert WHOLE.count(old) == 1
    found = problems(WHOLE.replace(old, new))
    assert any(p.startswith(expected) for p in found), found


def test_a_documents_default_title_is_labelled_and_journalised_in_words() -> None:
    """`document: {title: Closing letter, labels: {...}}`: the journal takes
    the default title in the office's language; the rules keep the one given."""
    registry = WorkflowRegistry.from_paths(bundled_paths())
    close = next(
        t for t in registry.get("ombudsman-inquiry").transitions if t.event == "close"
    )
    assert close.document is not None
    assert close.document.title == "Closing letter"
    assert close.document.title_in("da") == "Afslutningsbrev"
    assert close.document.title_in("en") == "Closing letter"
    assert close.document.title_in(None) == "Closing letter"
    text = LABELLED.replace(
        "    sets: {closed_as: normal}\n",
        "    sets: {closed_as: normal}\n"
        "    document: {direction: outgoing, title: Final letter, labels: {da: "
        "Afslutningsbrev}}\n",
    )
    found = problems(text)
    assert any(
        "transitions[1].document.labels: the label has no 'en'" in p for p in found
    )
