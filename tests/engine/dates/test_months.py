"""Deadlines in months and years (forældelsesloven § 27, stk. 1 and 2): #22.

`within: N months` ends on the day of the last month with the same number as
the starting day, or that month's last day when it has none; `N years` is
12 N months; then, as every deadline, it moves past a day a deadline may not
end on (a weekend, a holiday, 24 December) to the next working day.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.dates.calendars import BusinessCalendar
from engine.dates.deadlines import add_duration
from engine.exceptions import DefinitionError
from engine.explain.case import explain
from engine.explain.diagram.svg import to_svg
from engine.explain.diagram.text import to_mermaid
from engine.records import Case
from engine.workflow.definition import Duration, Unit
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS

CALENDAR = BusinessCalendar()


@pytest.mark.parametrize(
    ("start", "span", "due"),
    [
        pytest.param(date(2025, 1, 31), "1 month", date(2025, 2, 28), id="31-jan-2025"),
        pytest.param(date(2024, 1, 31), "1 month", date(2024, 2, 29), id="leap-year"),
        pytest.param(date(2024, 2, 29), "1 year", date(2025, 2, 28), id="29-feb+1y"),
        pytest.param(date(2025, 1, 15), "2 months", date(2025, 3, 17), id="a-sunday"),
        pytest.param(date(2024, 11, 24), "1 month", date(2024, 12, 27), id="24-dec"),
        pytest.param(
            date(2024, 3, 31), "1 month", date(2024, 4, 30), id="30-day-month"
        ),
        pytest.param(date(2023, 11, 20), "3 years", date(2026, 11, 20), id="3-years"),
        # 31 December is no expiry day (nor 1 January): 2 January
        pytest.param(date(2024, 12, 31), "12 months", date(2026, 1, 2), id="new-year"),
    ],
)
def test_months_and_years_land_on_the_same_day_number_or_the_last(
    start: date, span: str, due: date
) -> None:
    assert add_duration(CALENDAR, start, Duration.parse(span)) == due
    assert CALENDAR.is_expiry_day(due)


def test_the_units_read_back_as_written() -> None:
    assert Duration.parse("1 month") == Duration(amount=1, unit=Unit.MONTHS)
    assert Duration.parse("3 years").unit is Unit.YEARS
    assert (str(Duration.parse("1 month")), str(Duration.parse("2 years"))) == (
        "1 month",
        "2 years",
    )


@pytest.mark.parametrize(
    ("within", "expected"),
    [
        ("0 months", "'0 months': a duration must be at least 1"),
        ("13.5 weeks", "'13.5 weeks' is not a duration"),
        ("1 fortnight", "'1 fortnight' is not a duration"),
    ],
)
def test_a_bad_duration_is_refused_with_its_file_and_line(
    within: str, expected: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_workflow(
            WORKFLOW.replace("3 months", within), source="f.yaml", guards=GUARDS
        )
    assert any(
        p.startswith("f.yaml:9: states.waiting.deadline") and expected in p
        for p in caught.value.problems
    ), caught.value.problems


WORKFLOW = """\
name: limitation
version: 1
title: A claim under the limitation act
states:
  start:
    kind: initial
  waiting:
    kind: waiting
    deadline: {within: 3 months}
  done:
    kind: final
open:
  to: start
  roles: [caseworker]
transitions:
  - event: claim
    from: start
    to: waiting
    roles: [caseworker]
  - event: settle
    from: waiting
    to: done
    roles: [caseworker]
"""


def test_a_month_deadline_is_declared_and_explained() -> None:
    definition = parse_workflow(WORKFLOW, source="f.yaml", guards=GUARDS)
    spec = definition.state("waiting").deadline
    assert spec is not None
    assert spec.within == Duration(amount=3, unit=Unit.MONTHS)
    entered = datetime.fromisoformat("2024-11-29T10:00:00+01:00")
    due = add_duration(CALENDAR, date(2024, 11, 29), spec.within)
    assert due == date(2025, 2, 28)  # 2025 has no 29 February: its last day
    case = Case(
        id=1,
        number="2024-0000001",
        workflow="limitation",
        workflow_version=1,
        title="Krav",
        state="waiting",
        version=2,
        due=due,
        calendar=CALENDAR.id,
        state_entry_seq=2,
        state_entered_at=entered,
        opened_at=entered,
        last_event_at=entered,
        updated_at=entered,
    )
    said = " ".join(explain(definition, case, (), CALENDAR, entered, language="da"))
    assert "3 måneder" in said
    english = " ".join(explain(definition, case, (), CALENDAR, entered, language="en"))
    assert "3 months" in english
    # and drawn: the diagram's state says it
    assert "frist: 3 måneder" in to_svg(definition, language="da")
    assert "deadline: 3 months" in to_mermaid(definition)
