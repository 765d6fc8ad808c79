"""The demo office's plan: deterministic, the mix of docs/domain.md, a calendar that
answers like the engine's."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from demo import people
from demo.calendar import MemoCalendar
from demo.mix import ACCESS, INQUIRY
from demo.stories import plan
from demo.story import Story, StoryRandom
from engine.dates.calendars import (
    COPENHAGEN,
    BusinessCalendar,
    CalendarSpec,
    local_date,
)

FIRST, UNTIL = date(2025, 3, 2), date(2026, 3, 2)


def _plan(seed: int, cases: int) -> list[Story]:
    return list(
        plan(
            seed=seed,
            cases=cases,
            first=FIRST,
            until=UNTIL,
            calendar=BusinessCalendar(),
        )
    )


def test_the_same_seed_plans_the_same_office_and_another_seed_another() -> None:
    assert _plan(7, 300) == _plan(7, 300)
    assert _plan(7, 300) != _plan(8, 300)


def test_cases_open_in_order_on_working_days_in_office_hours() -> None:
    calendar = BusinessCalendar()
    stories = list(
        plan(seed=1, cases=2000, first=FIRST, until=UNTIL, calendar=calendar)
    )
    assert len(stories) == 2000
    assert [s.index for s in stories] == list(range(2000))
    assert [s.opened_at for s in stories] == sorted(s.opened_at for s in stories)
    for story in stories:
        day = local_date(story.opened_at)
        assert FIRST <= day < UNTIL
        assert calendar.is_working_day(day)
        assert 8 <= story.opened_at.astimezone(COPENHAGEN).hour < 16


def test_the_mix_follows_the_domain_volumes() -> None:
    """About 20 % rejected, 20 % closed without investigation, 35 % dialogue or
    forwarded, 25 % investigated; both workflows; administrations of all kinds."""
    stories = _plan(3, 20_000)
    workflows = Counter(s.workflow for s in stories)
    assert 0.12 < workflows[ACCESS] / len(stories) < 0.18
    inquiries = [s for s in stories if s.workflow == INQUIRY]
    kinds = Counter(s.kind for s in inquiries)
    share = {k: n / len(inquiries) for k, n in kinds.items()}
    assert share["rejected"] == pytest.approx(0.20, abs=0.02)
    assert share["not_investigated"] == pytest.approx(0.20, abs=0.02)
    assert share["dialogue"] + share["forwarded"] == pytest.approx(0.35, abs=0.02)
    assert share["investigated"] == pytest.approx(0.25, abs=0.02)
    asked = [s for s in inquiries if s.kind in ("dialogue", "investigated")]
    replies = Counter(s.reply for s in asked)
    assert set(replies) == {
        "on_time",
        "after_reminder_1",
        "after_reminder_2",
        "after_escalation",
    }
    assert replies["on_time"] / len(asked) == pytest.approx(0.5, abs=0.03)
    assert any(s.extensions == 2 for s in asked)
    assert any(s.reopen for s in stories)
    assert any(s.own_initiative for s in asked)
    access = Counter(s.kind for s in stories if s.workflow == ACCESS)
    assert set(access) == {"on_time", "delay_notice", "late", "withdrawn"}
    assert set(Counter(s.administration for s in stories)) == set(
        range(len(people.ADMINISTRATIONS))
    )
    assert set(Counter(s.caseworker for s in stories)) == set(people.CASEWORKERS)


def test_no_cases_is_an_empty_plan_and_fewer_than_none_is_refused() -> None:
    assert _plan(1, 0) == []
    with pytest.raises(ValueError, match="0 or more"):
        _plan(1, -1)


def test_story_random_is_the_same_everywhere_and_in_range() -> None:
    a, b = StoryRandom(42), StoryRandom(42)
    draws = [a.random() for _ in range(1000)]
    assert draws == [b.random() for _ in range(1000)]
    assert all(0 <= x < 1 for x in draws)
    assert StoryRandom(0).random() == StoryRandom(0).random()
    r = StoryRandom(7)
    assert {r.randint(1, 3) for _ in range(200)} == {1, 2, 3}
    assert Counter(r.weighted({"a": 90, "b": 10}) for _ in range(2000))["a"] > 1700


@pytest.mark.parametrize(
    "spec",
    [
        CalendarSpec(),
        CalendarSpec(name="kk", closed_days=("05-01", "06-05", "12-31")),
    ],
    ids=["default", "office"],
)
def test_the_memo_calendar_answers_as_the_calendar_does(spec: CalendarSpec) -> None:
    plain, memo = BusinessCalendar(spec), MemoCalendar(spec)
    assert memo.id == plain.id
    day = date(2024, 12, 1)
    for _ in range(2):  # the second round is answered from the cache
        for offset in range(0, 430, 3):
            start = day + timedelta(days=offset)
            for n in (1, 2, 7, 10, 20):
                assert memo.add_working_days(start, n) == plain.add_working_days(
                    start, n
                )
            end = start + timedelta(days=40)
            assert memo.working_days_between(start, end) == (
                plain.working_days_between(start, end)
            )
