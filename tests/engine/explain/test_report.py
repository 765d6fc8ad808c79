"""Report figures, each checked against a count done by hand.

Seven cases go through the real engine and chaser, every step back-dated while
the clock stands at NOW (so `recorded_at` is NOW throughout and only `at` can
carry the figures). Times are Copenhagen local time.

    F  ombudsman  opened 2023-11-01 (before any period), awaiting a reply due
                  2025-12-01: open now, not overdue
    A  ombudsman  2024-01-15 .. reply 2024-02-05 .. closed 2024-02-21
                  no_further_action (a day past the assessment deadline 02-19)
    B  ombudsman  2024-02-01, reply due 02-29; chased reminder_1 (03-01),
                  reminder_2 (03-18), escalation (03-26); reply 06-10,
                  assessment due 06-24, assessment_reminder (07-01); closed
                  2024-08-26 criticism
    C  ombudsman  2024-03-01, rejected 03-04, reopened 03-11, reply due
                  2025-03-14, reply 2025-03-10, closed 2025-03-20
                  resolved_in_dialogue, a note on the closed case 2025-03-25
    D  access     2024-05-06 .. decided granted 05-10 .. closed 05-13
    G  access     2024-06-03, withdrawn 06-04
    E  access     2025-05-05, processing, due 05-14; answer_due (05-15, new due
                  05-19), escalation (05-20): open and overdue now
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.explain.report import build_report, nearest_rank, overdue_series
from engine.records import CaseFilter, Party
from engine.testing import FakeClock, chaser_for
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.file import parse_workflow
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore

OMBUDSMAN = "ombudsman-inquiry"
ACCESS = "access-to-documents"
AUTHORITY = Party(role="authority", name="Socialforvaltningen", email="sof@example.org")
NOW = "2025-06-02T12:00"  # a Monday


def at(text: str) -> datetime:
    """A Copenhagen local time as a UTC instant."""
    return parse_instant(text)


class Script:
    """Back-dated steps on one engine, by case letter."""

    def __init__(self, engine: CaseEngine) -> None:
        self.engine = engine
        self.chaser = chaser_for(engine)
        self.numbers: dict[str, str] = {}

    def open(self, letter: str, workflow: str, moment: str, **data: object) -> None:
        view = self.engine.open_case(
            workflow,
            actor="jur",
            title=f"Case {letter}",
            parties=[AUTHORITY] if workflow == OMBUDSMAN else [],
            data=data,
            at=at(moment),
        )
        self.numbers[letter] = view.case.number

    def fire(
        self, letter: str, event: str, moment: str, actor: str = "jur", **data: object
    ) -> None:
        document = "Phone call" if event == "note" else None
        self.engine.fire(
            self.numbers[letter],
            event,
            actor=actor,
            data=data,
            document=document,
            at=at(moment),
        )

    def sweep(self, moment: str) -> list[tuple[str, str]]:
        letters = {n: letter for letter, n in self.numbers.items()}
        return [
            (letters[c.number], c.rung) for c in self.chaser.sweep(at(moment)).chased
        ]

    def views(self) -> list[CaseView]:
        return self.engine.list_views(CaseFilter())


@pytest.fixture
def script(engine: CaseEngine, clock: FakeClock) -> Script:
    """The seven cases above, in the order things happened."""
    clock.set(at(NOW))
    s = Script(engine)
    s.open("F", OMBUDSMAN, "2023-11-01T10:00")
    s.fire("F", "send_inquiry", "2023-11-01T11:00", reply_by="2025-12-01")
    s.fire("F", "mark_dispatched", "2023-11-01T14:00")
    s.open("A", OMBUDSMAN, "2024-01-15T10:00")
    s.fire("A", "send_inquiry", "2024-01-15T11:00")
    s.fire("A", "mark_dispatched", "2024-01-15T14:00")  # reply due 2024-02-12
    s.open("B", OMBUDSMAN, "2024-02-01T09:00")
    s.fire("B", "send_inquiry", "2024-02-01T10:00")
    s.fire("B", "mark_dispatched", "2024-02-01T14:00")  # reply due 2024-02-29
    s.fire("A", "receive_reply", "2024-02-05T10:00")  # assessment due 2024-02-19
    s.fire("A", "close", "2024-02-21T10:00", "bra", outcome="no_further_action")
    assert s.sweep("2024-03-01T09:00") == [("B", "reminder_1")]  # due 03-15
    s.open("C", OMBUDSMAN, "2024-03-01T10:00")
    s.fire("C", "reject", "2024-03-04T10:00", "bra", reason="Outside our remit")
    s.fire("C", "reopen", "2024-03-11T10:00", "bra", reason="New information")
    s.fire("C", "send_inquiry", "2024-03-11T11:00", reply_by="2025-03-14")
    s.fire("C", "mark_dispatched", "2024-03-11T14:00")
    assert s.sweep("2024-03-18T09:00") == [("B", "reminder_2")]  # due 03-25
    assert s.sweep("2024-03-26T09:00") == [("B", "escalation")]  # due stays 03-25
    s.open("D", ACCESS, "2024-05-06T10:00", received_on="2024-05-06")
    s.fire("D", "start_processing", "2024-05-07T10:00")
    s.fire("D", "decide", "2024-05-10T10:00", decision="granted")
    s.fire("D", "close", "2024-05-13T10:00")
    s.open("G", ACCESS, "2024-06-03T10:00", received_on="2024-06-03")
    s.fire("G", "withdraw", "2024-06-04T10:00")
    s.fire("B", "receive_reply", "2024-06-10T10:00")  # assessment due 06-24
    assert s.sweep("2024-07-01T09:00") == [("B", "assessment_reminder")]
    s.fire(
        "B", "close", "2024-08-26T10:00", "bra", outcome="criticism", severity="mild"
    )
    s.fire("C", "receive_reply", "2025-03-10T10:00")
    s.fire("C", "close", "2025-03-20T10:00", "bra", outcome="resolved_in_dialogue")
    s.fire("C", "note", "2025-03-25T10:00")  # stays closed: not a new closing
    s.open("E", ACCESS, "2025-05-05T10:00", received_on="2025-05-05")
    s.fire("E", "start_processing", "2025-05-05T11:00")  # due 2025-05-14
    assert s.sweep("2025-05-15T09:00") == [("E", "answer_due")]  # due 05-19
    assert s.sweep("2025-05-20T09:00") == [("E", "escalation")]  # due stays 05-19
    return s


@pytest.fixture
def definitions(
    registry: WorkflowRegistry,
) -> dict[tuple[str, int], WorkflowDefinition]:
    return {(d.name, d.version): d for d in registry.latest()}


def test_a_year_and_a_half_as_of_now(
    script: Script, definitions: dict[tuple[str, int], WorkflowDefinition]
) -> None:
    """Period 2024-01-01 .. 2025-06-30, as of NOW (the horizon is NOW)."""
    report = build_report(
        script.views(),
        definitions=definitions,
        now=at(NOW),
        since=date(2024, 1, 1),
        until=date(2025, 7, 1),
    )
    # Opened in the period: A B C D G E (F opened in 2023) = 6; E is still open.
    assert (report.opened, report.closed) == (6, 5)
    assert report.closed_by_outcome == {
        "criticism": 1,  # B
        "granted": 1,  # D: set by `decide`, the closing `close` carries no data
        "no_further_action": 1,  # A
        "resolved_in_dialogue": 1,  # C: `rejected` was reset by the reopening
        "withdrawn": 1,  # G: `withdraw` sets decision=withdrawn
    }
    # Open now, whatever the opening date: F (2023) awaiting, E processing.
    assert report.open_now == {
        ACCESS: {"being_processed": 1},
        OMBUDSMAN: {"awaiting_reply": 1},
    }
    assert report.open_now_total == 2
    assert report.overdue_now == 1  # E: due 05-19 < 06-02; F due 2025-12-01
    # B: reminder_1, reminder_2, escalation, assessment_reminder;
    # E: answer_due, escalation -> 4 reminders, 2 escalations.
    assert report.chases_by_rung == {
        "answer_due": 1,
        "assessment_reminder": 1,
        "escalation": 2,
        "reminder_1": 1,
        "reminder_2": 1,
    }
    assert (report.reminders, report.escalations) == (4, 2)
    # Handling days, local dates from opening to the closing entry:
    #   G 06-03 -> 06-04 = 1; D 05-06 -> 05-13 = 7;
    #   A 01-15 -> 02-21 = 16 + 21 = 37;
    #   B 2024-02-01 -> 08-26 = 29 (Feb, leap) + 31 + 30 + 31 + 30 + 31 + 25 = 207;
    #   C 2024-03-01 -> 2025-03-20 = 365 + 19 = 384 (the later note is no closing).
    assert report.handling_days == (1, 7, 37, 207, 384)
    assert report.median_days == 37  # the 3rd of 5
    assert report.p90_days == 384  # nearest rank: ceil(0.9 * 5) = 5th
    # <= 183 days: 1, 7, 37; <= 365 days: and 207.
    assert (report.closed_within(183), report.closed_within(365)) == (3, 4)
    assert (report.share_within(183), report.share_within(365)) == (0.6, 0.8)
    # Waiting (awaiting_reply):
    #   A 01-15 -> 02-05 = 21; B 02-01 -> 06-10 = 29 + 31 + 30 + 31 + 9 = 130;
    #   C 2024-03-11 -> 2025-03-10 = 364.                     21 + 130 + 364 = 515
    # In-house (every other open state):
    #   A assessed 02-05 -> 02-21 = 16; B assessed 06-10 -> 08-26 = 77;
    #   C opened 03-01 -> 03-04 = 3 (closed 03-04 -> 03-11 counts as neither),
    #     assessed 2025-03-10 -> 03-20 = 10; D 7; G 1;
    #   E (open) 2025-05-05 -> NOW 06-02 = 28.       16 + 77 + 13 + 7 + 1 + 28 = 142
    assert (report.waiting_days, report.in_house_days) == (515, 142)


def test_a_half_year_ends_the_cohort_at_its_end(
    script: Script, definitions: dict[tuple[str, int], WorkflowDefinition]
) -> None:
    """Period 2024-01-01 .. 2024-06-30 as of NOW: only what happened by 07-01."""
    report = build_report(
        script.views(),
        definitions=definitions,
        now=at(NOW),
        since=date(2024, 1, 1),
        until=date(2024, 7, 1),
    )
    # Opened: A B C D G. Closed by 07-01: A D G (B is being assessed, C awaits
    # its reply: its rejection was undone on 03-11).
    assert (report.opened, report.closed) == (5, 3)
    assert report.closed_by_outcome == {
        "granted": 1,
        "no_further_action": 1,
        "withdrawn": 1,
    }
    # "Now" is still NOW: the same open and overdue cases as above.
    assert report.open_now == {
        ACCESS: {"being_processed": 1},
        OMBUDSMAN: {"awaiting_reply": 1},
    }
    assert report.overdue_now == 1
    # B's assessment_reminder (07-01 09:00) falls after the period.
    assert report.chases_by_rung == {"escalation": 1, "reminder_1": 1, "reminder_2": 1}
    assert (report.reminders, report.escalations) == (2, 1)
    assert report.handling_days == (1, 7, 37)
    assert (report.median_days, report.p90_days) == (7, 37)  # rank ceil(2.7) = 3
    assert (report.closed_within(183), report.closed_within(365)) == (3, 3)
    assert (report.share_within(183), report.share_within(365)) == (1.0, 1.0)
    # Waiting: A 21 + B 130 + C 03-11 -> 07-01 (20 + 30 + 31 + 30 = 112) = 263.
    # In-house: A 16 + B 06-10 -> 07-01 (21) + C 3 + D 7 + G 1 = 48.
    assert (report.waiting_days, report.in_house_days) == (263, 48)


def test_a_report_as_of_a_past_moment_reads_the_record_as_it_stood(
    script: Script, definitions: dict[tuple[str, int], WorkflowDefinition]
) -> None:
    """As of 2024-03-05 12:00: C is closed as rejected, B awaits its reply."""
    report = build_report(
        script.views(),
        definitions=lambda name, version: definitions[name, version],
        now=at("2024-03-05T12:00"),
        since=date(2024, 1, 1),
        until=date(2025, 7, 1),
    )
    assert (report.opened, report.closed) == (3, 2)  # A B C opened; A C closed
    assert report.closed_by_outcome == {"no_further_action": 1, "rejected": 1}
    assert report.open_now == {OMBUDSMAN: {"awaiting_reply": 2}}  # F and B
    assert report.overdue_now == 0  # B's reminder_1 gave it until 03-15
    assert report.chases_by_rung == {"reminder_1": 1}
    assert (report.reminders, report.escalations) == (1, 0)
    assert report.handling_days == (3, 37)  # C 03-01 -> 03-04; A
    assert (report.median_days, report.p90_days) == (20, 37)  # (3+37)/2; rank 2
    # Waiting: A 21 + B 02-01 -> 03-05 (29 + 4 = 33) = 54.
    # In-house: A 16 + B 0 (sent and dispatched on its opening day) + C 3 = 19.
    assert (report.waiting_days, report.in_house_days) == (54, 19)


def test_the_figures_as_data(
    script: Script, definitions: dict[tuple[str, int], WorkflowDefinition]
) -> None:
    report = build_report(
        script.views(),
        definitions=definitions,
        now=at(NOW),
        since=date(2024, 1, 1),
        until=date(2024, 7, 1),
    )
    assert report.to_mapping() == {
        "since": "2024-01-01",
        "until": "2024-06-30",  # the last day, included
        "now": "2025-06-02T10:00:00+00:00",
        "cases_opened": 5,
        "cases_closed": 3,
        "closed_by_outcome": {"granted": 1, "no_further_action": 1, "withdrawn": 1},
        "open_now": {
            "total": 2,
            "by_workflow": {
                ACCESS: {"being_processed": 1},
                OMBUDSMAN: {"awaiting_reply": 1},
            },
        },
        "overdue_now": 1,
        "chases": {
            "reminders": 2,
            "escalations": 1,
            "by_rung": {"escalation": 1, "reminder_1": 1, "reminder_2": 1},
        },
        "handling_days": {
            "closed": 3,
            "median": 7,
            "p90": 37,
            "within_6_months": 3,
            "within_12_months": 3,
            "share_within_6_months": 1.0,
            "share_within_12_months": 1.0,
        },
        "time_in_states_days": {"waiting": 263, "in_house": 48},
    }


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        # A: assessment due 02-19, overdue at the end of 02-20, closed 02-21.
        pytest.param("2024-02-19", "2024-02-23", 1, [0, 1, 0, 0], id="A-late"),
        # B: reminder_2 due 03-25; escalated 03-26, keeping that deadline.
        pytest.param("2024-03-24", "2024-03-28", 1, [0, 0, 1, 1], id="B-escalated"),
        # B until its reply (06-10), then assessment due 06-24: weekly samples.
        pytest.param("2024-06-03", "2024-07-01", 7, [1, 0, 0, 0], id="B-weekly"),
        pytest.param("2024-06-24", "2024-06-27", 1, [0, 1, 1], id="B-assessing"),
        pytest.param("2024-08-25", "2024-08-28", 1, [1, 0, 0], id="B-closed"),
        # E: due 05-14, reminded 05-15 (new due 05-19) before the day ended.
        pytest.param("2025-05-14", "2025-05-16", 1, [0, 0], id="E-reminded"),
        pytest.param("2025-05-18", "2025-05-22", 1, [0, 0, 1, 1], id="E-escalated"),
        pytest.param("2025-06-02", "2025-06-03", 1, [1], id="today"),
        pytest.param("2023-10-30", "2023-11-02", 1, [0, 0, 0], id="before-any"),
    ],
)
def test_the_overdue_series(
    script: Script,
    definitions: dict[tuple[str, int], WorkflowDefinition],
    start: str,
    end: str,
    step: int,
    expected: list[int],
) -> None:
    """Counted at the end of each day, with the deadline then in force."""
    first, stop = date.fromisoformat(start), date.fromisoformat(end)
    series = overdue_series(script.views(), definitions, first, stop, step)
    days = [date.fromordinal(first.toordinal() + i * step) for i in range(len(series))]
    assert series == list(zip(days, expected, strict=True))


# -- boundaries, on a workflow without outcomes ------------------------------------

COMPLAINT = """\
name: complaint
version: 1
title: Complaint about a department
states:
  received: {kind: initial}
  closed: {kind: final}
open:
  to: received
  roles: [caseworker]
transitions:
  - event: close
    from: received
    to: closed
    roles: [caseworker]
"""


def test_six_and_twelve_months_on_both_sides_of_the_line(clock: FakeClock) -> None:
    """183 and 365 days are in, 184 and 366 out; a closing without outcome: none."""
    complaint = parse_workflow(COMPLAINT, source="complaint.yaml", guards=set())
    registry = WorkflowRegistry([complaint])
    clock.set(at("2025-01-02T12:00"))
    engine = CaseEngine(
        store=InMemoryCaseStore(),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("jur", ["caseworker"])
    # 2024 is a leap year: 01-01 -> 07-01 = 31+29+31+30+31+30 = 182 days.
    closings = [
        "2024-07-02T00:30",  # 183 days (in UTC still 07-01: 182 days)
        "2024-07-03T10:00",  # 184
        "2024-12-31T10:00",  # 365
        "2025-01-01T10:00",  # 366
    ]
    for closing in closings:
        view = engine.open_case(
            "complaint", actor="jur", title="Complaint", at=at("2024-01-01T10:00")
        )
        engine.fire(view.case.number, "close", actor="jur", at=at(closing))
    report = build_report(
        engine.list_views(CaseFilter()),
        definitions=registry.get,
        now=clock.now(),
        since=date(2024, 1, 1),
        until=date(2025, 1, 2),
    )
    assert report.handling_days == (183, 184, 365, 366)
    assert (report.closed_within(183), report.closed_within(365)) == (1, 3)
    assert (report.share_within(183), report.share_within(365)) == (0.25, 0.75)
    assert report.median_days == 274.5  # (184 + 365) / 2
    assert report.p90_days == 366  # rank ceil(0.9 * 4) = 4
    assert report.closed_by_outcome == {"none": 4}
    # `received` is the initial state: in-house. 183 + 184 + 365 + 366 = 1098.
    assert (report.waiting_days, report.in_house_days) == (0, 1098)
    assert report.open_now == {}
    assert (report.overdue_now, report.reminders, report.escalations) == (0, 0, 0)


def test_no_cases_gives_zeros_and_no_statistics() -> None:
    report = build_report(
        [], definitions={}, now=at(NOW), since=date(2024, 1, 1), until=date(2025, 1, 1)
    )
    figures = report.to_mapping()
    assert (figures["cases_opened"], figures["cases_closed"]) == (0, 0)
    assert figures["handling_days"] == {
        "closed": 0,
        "median": None,
        "p90": None,
        "within_6_months": 0,
        "within_12_months": 0,
        "share_within_6_months": None,
        "share_within_12_months": None,
    }
    assert overdue_series([], {}, date(2024, 1, 1), date(2024, 1, 3)) == [
        (date(2024, 1, 1), 0),
        (date(2024, 1, 2), 0),
    ]


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 90, None),
        ([5], 90, 5),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),  # rank 9 exactly
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, 10),  # rank ceil(9.9) = 10
        ([1, 2], 50, 1),
    ],
)
def test_nearest_rank(values: list[int], percent: int, expected: int | None) -> None:
    assert nearest_rank(values, percent) == expected


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="before until"):
        build_report(
            [],
            definitions={},
            now=at(NOW),
            since=date(2024, 1, 1),
            until=date(2024, 1, 1),
        )
    with pytest.raises(ValueError, match="naive"):
        build_report(
            [],
            definitions={},
            now=datetime(2024, 1, 1),  # noqa: DTZ001 - naive on purpose
            since=date(2024, 1, 1),
            until=date(2024, 2, 1),
        )
    with pytest.raises(ValueError, match="step_days"):
        overdue_series([], {}, date(2024, 1, 1), date(2024, 1, 3), 0)
