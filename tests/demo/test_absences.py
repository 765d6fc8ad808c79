"""The demo office's absence plan (demo/absences.py): holidays, a week off and
sick spells for each lawyer, never overlapping, never too many away at once,
deputies present, recorded when the office learns of them; who stands in."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest

from demo.absences import (
    MAX_AWAY,
    SICK,
    SUMMER,
    WEEK,
    Away,
    Staffing,
    deputy_days_away,
    plan_absences,
)
from demo.people import ADVISOR, CASEWORKERS
from demo.story import local_moment
from engine.dates.calendars import BusinessCalendar, local_date

FIRST, UNTIL = date(2025, 3, 2), date(2026, 3, 2)
CALENDAR = BusinessCalendar()


def _plan(seed: int, first: date = FIRST, until: date = UNTIL) -> Staffing:
    return plan_absences(seed=seed, first=first, until=until, calendar=CALENDAR)


def _working_days(absence: Away) -> int:
    return sum(CALENDAR.is_working_day(d) for d in absence.days())


def test_the_same_seed_plans_the_same_absences_and_another_seed_others() -> None:
    assert _plan(7).absences == _plan(7).absences
    assert _plan(7).absences != _plan(8).absences


@pytest.mark.parametrize("seed", range(1, 11))
def test_every_lawyer_has_a_summer_holiday_a_week_off_and_a_few_sick_days(
    seed: int,
) -> None:
    staff = _plan(seed)
    for lawyer in CASEWORKERS:
        mine = [a for a in staff.absences if a.user == lawyer]
        kinds = Counter(a.kind for a in mine)
        assert kinds[SUMMER] == 1, lawyer  # the year holds one summer
        assert kinds[WEEK] >= 1, lawyer
        assert 1 <= kinds[SICK] <= 5, lawyer
        for absence in mine:
            assert absence.starts.weekday() == 0 or absence.kind == SICK
            assert {
                SUMMER: _working_days(absence) in (10, 15),
                WEEK: _working_days(absence) == 5,
                SICK: 1 <= _working_days(absence) <= 3,
            }[absence.kind], absence
        spans = sorted((a.starts, a.ends) for a in mine)
        assert all(
            ends < next_starts
            for (_, ends), (next_starts, _) in itertools.pairwise(spans)
        ), lawyer


@pytest.mark.parametrize("seed", range(1, 11))
def test_never_more_than_three_away_and_deputies_are_the_most_present_colleagues(
    seed: int,
) -> None:
    staff = _plan(seed)
    away = Counter(day for a in staff.absences for day in a.days())
    assert max(away.values()) <= MAX_AWAY
    for absence in staff.absences:
        if absence.deputy is None:
            assert absence.kind == SICK  # a holiday always has one
            continue
        assert absence.deputy in CASEWORKERS
        assert absence.deputy != absence.user
        days_away = deputy_days_away(absence, staff.absences)
        assert days_away[absence.deputy] == min(days_away.values())
    holidays = [a for a in staff.absences if a.kind != SICK]
    present = [a for a in holidays if a.deputy and not staff.away(a.deputy, a.starts)]
    assert len(present) > len(holidays) / 2


def test_some_sick_spells_have_no_deputy() -> None:
    spells = [a for seed in (1, 2, 3) for a in _plan(seed).absences if a.kind == SICK]
    assert any(a.deputy is None for a in spells)
    assert any(a.deputy is not None for a in spells)


@pytest.mark.parametrize("seed", range(1, 11))
def test_the_advisor_records_each_when_the_office_learns_of_it(seed: int) -> None:
    """Holidays weeks ahead, a sick spell on its first morning, what was
    known before the office went live on its first working morning; all of
    it before the record ends, in the order recorded."""
    staff = _plan(seed)
    live = date(2025, 3, 3)  # FIRST is a Sunday
    assert [a.booked_at for a in staff.absences] == sorted(
        a.booked_at for a in staff.absences
    )
    for absence in staff.absences:
        booked = local_date(absence.booked_at)
        assert absence.by == ADVISOR
        assert live <= booked < UNTIL
        assert CALENDAR.is_working_day(booked)
        assert absence.ends >= FIRST
        if absence.kind == SICK:
            assert booked == absence.starts
            assert absence.starts < UNTIL
        elif booked > live:
            assert absence.starts - booked >= timedelta(weeks=2)


def test_holidays_booked_before_the_record_ends_are_recorded_for_after_it() -> None:
    """A record that ends in May holds the summer's holidays already booked."""
    staff = _plan(1, first=date(2025, 5, 15), until=date(2026, 5, 15))
    later = [a for a in staff.absences if a.starts >= date(2026, 5, 15)]
    assert later
    assert {a.kind for a in later} == {SUMMER}


def test_the_stand_in_is_the_deputy_if_present_else_the_next_lawyer_present() -> None:
    day = date(2026, 7, 6)

    def away(user: str, deputy: str | None) -> Away:
        return Away(
            user=user,
            starts=day,
            ends=day,
            kind=SICK,
            deputy=deputy,
            booked_at=local_moment(day, 0),
        )

    staff = Staffing([away("jur", "jur4"), away("jur2", None), away("jur3", None)])
    assert staff.present("jur5", day) == "jur5"
    assert staff.stand_in("jur", day) == "jur4"
    assert staff.stand_in("jur2", day) == "jur4"  # jur3 is away too
    assert staff.present("jur", day + timedelta(days=1)) == "jur"
    deputy_away = Staffing([away("jur", "jur2"), away("jur2", None)])
    assert deputy_away.stand_in("jur", day) == "jur3"
    assert Staffing([away("jur6", None)]).stand_in("jur6", day) == "jur"  # round
