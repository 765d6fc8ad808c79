"""Stateful property tests: random sequences of opens, fires and clock moves.

A `RuleBasedStateMachine` drives one `CaseEngine` over both bundled workflows.
It opens cases (random workflow, actor, data, title, party, document, back-dated
time), fires events drawn from ALL of a case's workflow's events with random
actors, data drawn per declared field type, document titles and back-dated
times, and moves the fake clock on by minutes to weeks. Half the steps are
careful (an allowed event, a fitting actor, valid data); the others get one or
two aspects wrong (`ASPECTS`), so most refusals have a single cause.

Any `EngineError` is a refusal: a refused fire leaves `show()` exactly as it
was, a refused open leaves no case. Any other exception is a failure. A step the
test knows must be refused (event not allowed, actor without a fitting role,
undeclared or missing required field, blank title, time out of order) must not
be accepted, and an accepted one is recorded as asked (event, actor, role,
effective and recorded time, the data it sets and resets). After every step,
for every case:

- the state is declared by its workflow version and follows from the audit
  trail alone (`engine.audit.replay.replay`); `version == len(history)`; seqs 1..n;
- nothing changed except through an accepted step; history and documents only
  grow at their end;
- documents are numbered `<number>-1..k`, `documents_count == k`, each
  journalised by the entry that names it;
- effective times never decrease; `recorded_at` is the clock time of its step;
- deadlines: none in a final state; set in a state that declares one after a
  non-internal entry (unless only `until` is declared and no date given);
  internal steps keep them; `due_before`/`due_after` chain from step to step;
- case numbers of a year run 1..n without gaps.

`TestCaseEngineInMemory` runs on `InMemoryCaseStore`; `TestCaseEngineOnSqlite`
runs fewer, shorter examples on a fresh SQLite file migrated by Alembic. The
tests at the end check that `replay` names the entry of a record that does not
add up.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from sqlalchemy import Engine

from engine.audit.replay import replay
from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.dates.calendars import COPENHAGEN, local_date
from engine.exceptions import EngineError
from engine.ports import CaseStore
from engine.records import (
    AuditEntry,
    CaseFilter,
    Party,
    parse_case_number,
)
from engine.testing import FakeClock
from engine.workflow.definition import (
    OPEN_EVENT,
    SYSTEM_ACTOR,
    FieldSpec,
    FieldType,
    StateKind,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore, SqlCaseStore, create_db_engine, upgrade_schema
from tests.conftest import NOW, make_engine
from workflows import bundled_paths

REGISTRY = WorkflowRegistry.from_paths(bundled_paths())
WORKFLOWS = ("ombudsman-inquiry", "access-to-documents")  # the richer one first
USERS: Mapping[str, tuple[str, ...]] = {
    "bra": ("advisor",),
    "jur": ("caseworker",),
    "jur2": ("caseworker",),
    "ind": ("intake",),
    "rev": ("auditor",),
    SYSTEM_ACTOR: ("system",),
}
ACTORS = (*USERS, "nobody")  # "nobody" is no user at all
UNKNOWN_FIELD = "not_a_declared_field"
MAX_CASES = 4  # few cases, so each goes through many steps

GOOD_TEXTS = st.sampled_from(
    ["Svar modtaget", "Sag om parkering", "Æble, øl og å", "x", "  Notat  "]
)
BLANK = st.sampled_from(["", "   ", "\t\n"])
TEXTS = st.one_of(GOOD_TEXTS, BLANK, st.text(max_size=20))  # blank is refused
ASPECTS = ("event", "actor", "data", "document", "at")
"""What a step can get wrong; a sloppy step gets one or two of them wrong."""
SLOPPY = st.one_of(
    st.just(frozenset[str]()),
    st.sets(st.sampled_from(ASPECTS), min_size=1, max_size=2).map(frozenset),
)
DELTAS = st.one_of(
    st.integers(1, 180).map(lambda n: timedelta(minutes=n)),
    st.integers(1, 72).map(lambda n: timedelta(hours=n)),
    st.integers(1, 21).map(lambda n: timedelta(days=n)),
    st.integers(1, 6).map(lambda n: timedelta(weeks=n)),
)


def _sometimes(p_in_ten: int) -> st.SearchStrategy[bool]:
    """True about `p_in_ten` times in ten."""
    return st.integers(0, 9).map(lambda n: n < p_in_ten)


def _field_value(
    spec: FieldSpec, day: date, *, careful: bool
) -> st.SearchStrategy[object]:
    """A plausible value for `spec` (dates near `day`, the event's date); when
    not `careful`, one in five is wrong."""
    good: st.SearchStrategy[object]
    bad: st.SearchStrategy[object]
    if spec.type is FieldType.CHOICE:
        good = st.sampled_from(spec.values)
        bad = st.sampled_from(["", "bogus", 3])
    elif spec.type is FieldType.DATE:
        # A day already past (`relative: past`, e.g. received_on) or a deadline.
        past = spec.relative == "past"
        days = st.integers(-30, 0) if past else st.integers(0, 60)
        near = (days if careful else st.integers(-30, 60)).map(
            lambda d: day + timedelta(days=d)
        )
        good = st.one_of(near.map(date.isoformat), near)
        bad = st.sampled_from(["2024-13-01", "soon", "", 20241201])
    elif spec.type is FieldType.BOOL:
        good = st.one_of(st.booleans(), st.sampled_from(["ja", "nej", "true"]))
        bad = st.sampled_from(["maybe", 2, ""])
    elif spec.type is FieldType.INT:
        good = st.one_of(st.integers(-5, 500), st.integers(0, 99).map(str))
        bad = st.sampled_from(["ten", 1.5, True])
    else:
        good = GOOD_TEXTS if careful else TEXTS
        bad = st.sampled_from([" ", 7, None])
    if careful:
        return good
    return _sometimes(8).flatmap(lambda ok: good if ok else bad)


@st.composite
def _event_data(
    draw: st.DrawFn, transition: Transition | None, day: date, careful: bool
) -> dict[str, object]:
    """Data for `transition`: its declared fields with values, the optional ones
    now and then. When not `careful`, a required field may be missing and a
    field it does not take may be added."""
    data: dict[str, object] = {}
    fields = transition.fields if transition is not None else ()
    for spec in fields:  # declared before the fields their required_if names
        needed = spec.required or any(
            data.get(other) in values for other, values in spec.required_if
        )
        give = (careful and needed) or draw(
            _sometimes(8 if needed else 5), label=f"give {spec.name}"
        )
        if give:
            value = _field_value(spec, day, careful=careful)
            data[spec.name] = draw(value, label=spec.name)
    if not careful and draw(_sometimes(2), label="unknown field"):
        data[UNKNOWN_FIELD] = draw(TEXTS)
    return data


def _draw_actor(data: st.DataObject, roles: tuple[str, ...], careful: bool) -> str:
    """An actor who holds one of `roles` when `careful`, else anyone."""
    fitting = [a for a, held in USERS.items() if set(held) & set(roles)]
    if careful and fitting:
        return data.draw(st.sampled_from(fitting), label="actor")
    return data.draw(st.sampled_from(ACTORS), label="actor")


def _draw_document(
    data: st.DataObject, transition: Transition | None, careful: bool
) -> str | None:
    """A document title now and then; when `careful`, always if one is required."""
    required = transition is not None and bool(
        transition.document and transition.document.required
    )
    if not (careful and required) and data.draw(_sometimes(7), label="no title"):
        return None
    return data.draw(GOOD_TEXTS if careful else TEXTS, label="document")


def _transition_for(
    definition: WorkflowDefinition, event_name: str, state: str
) -> Transition | None:
    """The transition `event_name` takes from `state`, else any declared for it."""
    if event_name == OPEN_EVENT:
        return definition.opening
    found = definition.transition(event_name, state)
    if found is not None:
        return found
    return next((t for t in definition.transitions if t.event == event_name), None)


def _same_instant(a: datetime, b: datetime) -> bool:
    """Whether `a` and `b` are one instant (`==` across zones says no for a time
    in the repeated hour when summer time ends)."""
    return a.astimezone(UTC) == b.astimezone(UTC)


def _must_refuse(
    transition: Transition | None,
    *,
    allowed: bool,
    actor: str,
    values: Mapping[str, object],
    document: str | None,
    out_of_range: bool,
) -> str | None:
    """Why the engine must refuse this step, when the test can tell for sure."""
    if transition is None or not allowed:
        return "the event is not allowed in the case's state"
    if not set(USERS.get(actor, ())) & set(transition.roles):
        return f"{actor!r} holds none of {transition.roles}"
    if UNKNOWN_FIELD in values:
        return f"{UNKNOWN_FIELD!r} is not declared"
    for spec in transition.fields:
        if spec.required and spec.name not in values and not spec.default_today:
            return f"the required field {spec.name!r} is missing"
    if out_of_range:
        return "the effective time is in the future or before the last step"
    if document is not None and not document.strip():
        return "the document title is blank"
    journals = transition.document
    if document is None and journals and journals.required and not journals.title:
        return "the event journals a document and no title was given"
    return None


def _check_accepted(
    entry: AuditEntry, transition: Transition | None, refuse: str | None
) -> None:
    """An accepted step: one that may be accepted, in a role the actor holds."""
    assert refuse is None, f"accepted although {refuse}"
    assert transition is not None
    assert entry.role in transition.roles
    assert entry.role in USERS[entry.actor]


@dataclass
class _Tracked:
    """What the test knows about a case independently of the store."""

    workflow: str
    recorded: list[datetime]  # the clock time of each accepted step, by seq
    last_view: CaseView


class CaseEngineMachine(RuleBasedStateMachine):
    """Random opens, fires and clock moves on one engine; invariants per case."""

    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(NOW)
        self.store = self.make_store()
        self.engine: CaseEngine = make_engine(self.store, REGISTRY, self.clock)
        self.tracked: dict[str, _Tracked] = {}

    def make_store(self) -> CaseStore:
        return InMemoryCaseStore()

    # -- helpers ------------------------------------------------------------------
    def _draw_at(
        self, data: st.DataObject, earliest: datetime | None, careful: bool
    ) -> tuple[datetime | None, bool]:
        """An effective time to pass (None: now) and whether it is out of range.

        Mostly None; sometimes back-dated between `earliest` (or 40 days ago)
        and now, in UTC or Copenhagen time; when not `careful`, now and then
        before `earliest` or in the future.
        """
        now = self.clock.now()
        kind = data.draw(st.integers(0, 9 if careful else 13), label="at kind")
        if kind < 6:
            return None, False
        # In UTC: aware arithmetic on Copenhagen wall time would be an hour off
        # across a change to or from summer time.
        first = earliest.astimezone(UTC) if earliest is not None else None
        lowest = first or now - timedelta(days=40)
        if kind < 10:
            span = (now - lowest) // timedelta(microseconds=1)
            offset = data.draw(st.integers(0, span), label="at offset")
            at = lowest + timedelta(microseconds=offset)
            return (at.astimezone(COPENHAGEN) if kind % 2 else at), False
        seconds = data.draw(st.integers(1, 86_400 * 3), label="seconds off")
        if kind < 12 or first is None:
            return now + timedelta(seconds=seconds), True
        return first - timedelta(seconds=seconds), True

    def _numbers(self) -> set[str]:
        return {c.number for c in self.engine.list_cases(CaseFilter())}

    # -- rules --------------------------------------------------------------------
    @initialize(target=cases, workflow=st.sampled_from(WORKFLOWS), data=st.data())
    def first_case(self, workflow: str, data: st.DataObject) -> object:
        # The advisor may open any case, so the bundle is never empty.
        return self._open(workflow, data, sloppy=frozenset(), actor="bra")

    @precondition(lambda self: len(self.tracked) < MAX_CASES)
    @rule(target=cases, workflow=st.sampled_from(WORKFLOWS), data=st.data())
    def open_case(self, workflow: str, data: st.DataObject) -> object:
        return self._open(workflow, data, sloppy=data.draw(SLOPPY, label="sloppy"))

    @rule(delta=DELTAS)
    def advance_clock(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    @rule(number=cases, data=st.data())
    def fire(self, number: str, data: st.DataObject) -> None:
        before = self.engine.show(number)
        case = before.case
        definition = REGISTRY.get(case.workflow, case.workflow_version)
        sloppy = data.draw(SLOPPY, label="sloppy")
        allowed = definition.allowed_events(case.state)
        events = definition.events if "event" in sloppy or not allowed else allowed
        name = data.draw(st.sampled_from(events), label="event")
        transition = _transition_for(definition, name, case.state)
        roles = transition.roles if transition else ()
        actor = _draw_actor(data, roles, "actor" not in sloppy)
        at, out_of_range = self._draw_at(data, case.last_event_at, "at" not in sloppy)
        day = local_date(at or self.clock.now())
        values = data.draw(
            _event_data(transition, day, "data" not in sloppy), label="data"
        )
        document = _draw_document(data, transition, "document" not in sloppy)
        # Optimistic concurrency: sometimes the version read, now and then a stale one.
        versions = [None] * 6 + [case.version] * 3 + [case.version - 1]
        expected = data.draw(st.sampled_from(versions), label="expected_version")
        refuse = _must_refuse(
            transition,
            allowed=name in allowed,
            actor=actor,
            values=values,
            document=document,
            out_of_range=out_of_range,
        ) or ("the expected version is stale" if expected == case.version - 1 else None)
        now = self.clock.now()
        try:
            after = self.engine.fire(
                number,
                name,
                actor=actor,
                data=values,
                document=document,
                at=at,
                expected_version=expected,
            )
        except EngineError as exc:
            event(f"fire refused: {type(exc).__name__}")
            assert self.engine.show(number) == before, "a refused fire changed the case"
            return
        assert after == self.engine.show(number)
        assert after.history[: len(before.history)] == before.history
        assert len(after.history) == len(before.history) + 1
        entry = after.history[-1]
        _check_accepted(entry, transition, refuse)
        assert transition is not None
        # The case data: the step's data (with what the event always sets) over
        # what the event did not reset.
        for key, value in transition.sets:
            assert entry.readable[key] == value, key
        for key, value in entry.readable.items():
            assert after.case.data[key] == value, key
        for key in set(transition.resets) - set(entry.readable):
            assert key not in after.case.data, key
        for key in set(case.data) - set(transition.resets):
            assert key in after.case.data, key
        assert (entry.event, entry.actor, entry.from_state) == (
            name,
            actor,
            case.state,
        )
        assert _same_instant(entry.at, now if at is None else at)
        assert entry.recorded_at == now
        assert after.documents[: len(before.documents)] == before.documents
        tracked = self.tracked[number]
        tracked.recorded.append(now)
        tracked.last_view = after
        event(f"accepted {case.workflow}:{name}")
        event(f"reached {case.workflow}:{after.case.state}")

    def _open(
        self,
        workflow: str,
        data: st.DataObject,
        *,
        sloppy: frozenset[str],
        actor: str | None = None,
    ) -> object:
        definition = REGISTRY.get(workflow)
        opening = definition.opening
        if actor is None:
            actor = _draw_actor(data, opening.roles, "actor" not in sloppy)
        at, out_of_range = self._draw_at(data, None, "at" not in sloppy)
        day = local_date(at or self.clock.now())
        values = data.draw(
            _event_data(opening, day, "data" not in sloppy), label="data"
        )
        careful_text = "document" not in sloppy  # the title, too
        title = data.draw(GOOD_TEXTS if careful_text else TEXTS, label="title")
        parties: tuple[Party, ...] = ()
        if data.draw(_sometimes(3), label="with a party"):
            role = data.draw(st.sampled_from(definition.parties), label="party")
            parties = (Party(role=role, name="Kommunen"),)
        document = _draw_document(data, opening, careful_text)
        refuse = _must_refuse(
            opening,
            allowed=True,
            actor=actor,
            values=values,
            document=document,
            out_of_range=out_of_range,
        ) or (None if title.strip() else "the title is blank")
        now = self.clock.now()
        before = self._numbers()
        try:
            view = self.engine.open_case(
                workflow,
                actor=actor,
                title=title,
                parties=parties,
                data=values,
                document=document,
                at=at,
            )
        except EngineError as exc:
            event(f"open refused: {type(exc).__name__}")
            assert self._numbers() == before, "a refused open left a case behind"
            return multiple()
        _check_accepted(view.history[0], opening, refuse)
        number = view.case.number
        assert number not in before
        assert self._numbers() == before | {number}
        assert view == self.engine.show(number)
        (entry,) = view.history
        assert (entry.event, entry.actor, entry.from_state) == (OPEN_EVENT, actor, None)
        assert _same_instant(entry.at, now if at is None else at)
        assert entry.recorded_at == now
        self.tracked[number] = _Tracked(
            workflow=workflow, recorded=[now], last_view=view
        )
        event(f"accepted {workflow}:{OPEN_EVENT}")
        return number

    # -- invariants ---------------------------------------------------------------
    @invariant()
    def no_case_appears_or_vanishes(self) -> None:
        assert self._numbers() == set(self.tracked)
        by_year: dict[int, list[int]] = {}
        for number in self.tracked:
            year, seq = parse_case_number(number)
            by_year.setdefault(year, []).append(seq)
        for year, seqs in by_year.items():
            assert sorted(seqs) == list(range(1, len(seqs) + 1)), (year, seqs)

    @invariant()
    def every_case_follows_from_its_record(self) -> None:
        for number, tracked in self.tracked.items():
            view = self.engine.show(number)
            _check_case(view, tracked)


def _check_case(view: CaseView, tracked: _Tracked) -> None:
    case, history, documents = view.case, view.history, view.documents
    definition = REGISTRY.get(case.workflow, case.workflow_version)
    assert case.workflow == tracked.workflow
    assert case.state in {s.name for s in definition.states}
    assert view == tracked.last_view, "the case changed without an accepted step"

    # The record: the state follows from it, one entry per version.
    assert replay(definition, history) == case.state
    assert case.version == len(history)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert all(e.case_number == case.number for e in history)

    # Documents: numbered without gaps, each journalised by its entry.
    k = len(documents)
    assert case.documents_count == k
    assert [d.seq for d in documents] == list(range(1, k + 1))
    assert [d.number for d in documents] == [
        f"{case.number}-{i}" for i in range(1, k + 1)
    ]
    assert [e.document for e in history if e.document is not None] == [
        d.number for d in documents
    ]
    for doc in documents:
        assert doc.title, doc
        assert doc.title == doc.title.strip(), doc
        assert doc.direction in {"incoming", "outgoing", "note"}, doc
        assert history[doc.event_seq - 1].document == doc.number
        assert doc.recorded_at == history[doc.event_seq - 1].recorded_at
        assert doc.date == local_date(history[doc.event_seq - 1].at)

    # Times: effective times never decrease; recorded times are the clock's.
    ats = [e.at for e in history]
    assert all(a <= b for a, b in pairwise(ats)), ats
    assert [e.recorded_at for e in history] == tracked.recorded
    assert case.opened_at == history[0].at
    assert case.last_event_at == history[-1].at
    assert case.updated_at == history[-1].recorded_at

    # Deadlines.
    _check_deadline(definition, view)


def _check_deadline(definition: WorkflowDefinition, view: CaseView) -> None:
    case, history = view.case, view.history
    state = definition.state(case.state)
    for previous, entry in pairwise(history):
        assert entry.due_before == previous.due_after, entry
    assert history[0].due_before is None
    assert history[-1].due_after == case.due
    assert (case.calendar is None) == (case.due is None)
    assert case.chase_position == 0  # nothing here runs the chase ladders
    if state.kind is StateKind.FINAL:
        assert case.due is None, f"{case.number} is {case.state} but due {case.due}"
    entering = _entering_entry(definition, history)
    assert case.state_entered_at == entering.at
    for entry in history[entering.seq :]:  # internal steps keep the deadline
        assert entry.due_before == entry.due_after, entry
    spec = state.deadline
    if spec is None:
        assert case.due is None
    elif spec.within is not None or (
        spec.until is not None and case.data.get(spec.until)
    ):
        assert case.due is not None, f"{case.number} in {case.state} has no deadline"


def _entering_entry(
    definition: WorkflowDefinition, history: tuple[AuditEntry, ...]
) -> AuditEntry:
    """The last entry that was not an internal transition."""
    for entry in reversed(history):
        if entry.from_state is None:
            return entry
        transition = definition.transition(entry.event, entry.from_state)
        assert transition is not None, entry
        if not transition.internal:
            return entry
    raise AssertionError("no opening entry")


class SqliteCaseEngineMachine(CaseEngineMachine):
    """The same machine on a fresh SQLite file per example."""

    def make_store(self) -> CaseStore:
        self._folder = Path(tempfile.mkdtemp(prefix="sagsflow-stateful-"))
        self._db: Engine = create_db_engine(f"sqlite:///{self._folder / 'case.db'}")
        upgrade_schema(self._db)
        return SqlCaseStore(self._db)

    def teardown(self) -> None:
        self._db.dispose()
        shutil.rmtree(self._folder, ignore_errors=True)


TestCaseEngineInMemory = CaseEngineMachine.TestCase
TestCaseEngineInMemory.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestCaseEngineOnSqlite = SqliteCaseEngineMachine.TestCase
TestCaseEngineOnSqlite.settings = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- engine.audit.replay on records that do not add up -----------------------------
def _recorded_history() -> tuple[WorkflowDefinition, tuple[AuditEntry, ...]]:
    """A real record: open, send_inquiry, mark_dispatched, note."""
    clock = FakeClock(NOW)
    engine = make_engine(InMemoryCaseStore(), REGISTRY, clock)
    number = engine.open_case("ombudsman-inquiry", actor="bra", title="Sag").case.number
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor=SYSTEM_ACTOR)
    view = engine.fire(number, "note", actor="jur", document="Telefonnotat")
    return REGISTRY.get("ombudsman-inquiry"), view.history


def test_replay_gives_the_state_of_a_real_record() -> None:
    definition, history = _recorded_history()
    assert replay(definition, history) == "awaiting_reply"
    assert replay(definition, history[:1]) == "opened"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        pytest.param(lambda h: (), "the audit trail is empty", id="empty"),
        pytest.param(lambda h: h[1:], "seq 2: expected seq 1", id="no-open"),
        pytest.param(lambda h: (h[0], *h[2:]), "seq 3: expected seq 2", id="gap"),
        pytest.param(
            lambda h: (*h[:2], replace(h[2], seq=4)),
            "seq 4: expected seq 3",
            id="seq-jump",
        ),
        pytest.param(
            lambda h: (replace(h[0], event="note"), *h[1:]),
            "seq 1: the first entry",
            id="first-not-open",
        ),
        pytest.param(
            lambda h: (replace(h[0], from_state="opened"), *h[1:]),
            "seq 1: 'open' has no from_state",
            id="open-from-state",
        ),
        pytest.param(
            lambda h: (replace(h[0], to_state="closed"), *h[1:]),
            "seq 1: 'open' leads to the initial state 'opened'",
            id="open-elsewhere",
        ),
        pytest.param(
            lambda h: (*h[:2], replace(h[2], from_state="opened"), h[3]),
            "seq 3: from_state is 'opened', but the case was in 'inquiry_sent'",
            id="wrong-from",
        ),
        pytest.param(
            lambda h: (*h[:2], replace(h[2], to_state="closed"), h[3]),
            "seq 3: to_state is 'closed', but 'mark_dispatched' from "
            "'inquiry_sent' leads to 'awaiting_reply'",
            id="wrong-to",
        ),
        pytest.param(
            lambda h: (*h[:2], replace(h[2], event="close"), h[3]),
            "seq 3: event 'close' is not allowed from 'inquiry_sent'",
            id="not-allowed",
        ),
        pytest.param(
            lambda h: (*h[:3], replace(h[3], event="open")),
            "seq 4: event 'open' is not allowed from 'awaiting_reply'",
            id="open-again",
        ),
        pytest.param(
            lambda h: (*h[:3], replace(h[3], workflow_version=4)),
            "seq 4: recorded under ombudsman-inquiry@4",
            id="other-version",
        ),
    ],
)
def test_replay_names_the_first_entry_that_does_not_follow(
    tamper: Callable[[tuple[AuditEntry, ...]], tuple[AuditEntry, ...]],
    message: str,
) -> None:
    definition, history = _recorded_history()
    with pytest.raises(ValueError, match=re.escape(message)):
        replay(definition, tamper(history))
