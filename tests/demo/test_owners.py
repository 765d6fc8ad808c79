"""The demo office's owners and absences, as its record shows them.

Read back from the default office (tests/demo/conftest.py) with the SQL store
and plain queries, not from the plan that made it: every case has an owner or
was never a lawyer's to own, a few wait to be given out, a lawyer acts only
on cases they own or stand in for, a few change hands with a reason, each
lawyer is away now and then, and the chaser's notices to an owner who is
away go to their deputy.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from demo import founding
from demo.owners import HOLIDAY_REASON, LOAD_REASON
from demo.people import ADVISOR, CASEWORKERS, INTAKE
from demo.summary import describe, summarise
from engine.audit.personal import reveal
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.records import Absence, AuditEntry, Case, CaseFilter
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine
from tests.demo.conftest import START

CALENDAR = BusinessCalendar()


@dataclass(frozen=True, kw_only=True)
class Office:
    cases: list[Case]
    histories: dict[str, list[AuditEntry]]
    absences: list[Absence]
    kept: dict[str, object]  # personal values by commitment
    notices: list[tuple[str, str, datetime]]  # (case number, recipient, created)
    emails: dict[str, str]  # address -> user id

    def open_cases(self) -> list[Case]:
        return [c for c in self.cases if c.state != "closed"]

    def away(self, user: str, day: date, *, known_at: datetime | None = None) -> bool:
        return self.absence(user, day, known_at=known_at) is not None

    def absence(
        self, user: str, day: date, *, known_at: datetime | None = None
    ) -> Absence | None:
        return next(
            (
                a
                for a in self.absences
                if a.user_id == user
                and a.starts <= day <= a.ends
                and (known_at is None or a.created_at <= known_at)
            ),
            None,
        )

    def owners(self, number: str) -> Iterator[tuple[AuditEntry, str | None]]:
        """Each entry of the case, with who owned the case when it was made."""
        owner: str | None = None
        for entry in self.histories[number]:
            if entry.event in ("open", "assign"):
                owner = _plain(entry.data.get("owner"))
            yield entry, owner


@pytest.fixture(scope="module")
def office(office_url: str) -> Office:
    db = create_db_engine(office_url, create=False)
    try:
        with SqlCaseStore(db).transaction(write=False) as tx:
            cases = list(tx.list_cases(CaseFilter()))
            histories = {c.number: list(tx.history(c.id or 0)) for c in cases}
            absences = list(tx.absences())
            emails = {u.email or "": u.id for u in tx.list_users()}
    finally:
        db.dispose()
    plain = create_engine(office_url)
    try:
        with plain.connect() as conn:
            kept = {
                str(c): _loaded(v)
                for c, v in conn.execute(
                    text("SELECT commitment, value FROM personal_value")
                )
            }
            notices = [
                (str(n), str(r), _utc(t))
                for n, r, t in conn.execute(
                    text(
                        "SELECT case_number, recipient, created_at FROM outbox "
                        "WHERE kind = 'notice'"
                    )
                )
            ]
    finally:
        plain.dispose()
    return Office(
        cases=cases,
        histories=histories,
        absences=absences,
        kept=kept,
        notices=notices,
        emails=emails,
    )


# -- owners ----------------------------------------------------------------------------
def test_a_case_is_owned_unless_no_lawyer_has_worked_on_it(office: Office) -> None:
    """Unassigned: the founding case (imported from before sagsflow), and
    cases the advisor or intake opened that no lawyer has acted on yet."""
    unassigned = [c for c in office.cases if c.owner is None]
    assert unassigned
    for case in unassigned:
        if case.number == founding.NUMBER:
            continue
        history = office.histories[case.number]
        assert history[0].actor in (ADVISOR, INTAKE), case.number
        assert "caseworker" not in {e.role for e in history}, case.number
    for case in office.cases:
        if case.owner is not None:
            assert case.owner in CASEWORKERS


def test_a_small_share_of_open_cases_waits_for_the_advisor(office: Office) -> None:
    waiting = [c for c in office.open_cases() if c.owner is None]
    assert 0 < len(waiting) <= 0.05 * len(office.open_cases())
    assert {c.state for c in waiting} <= {"opened", "received"}


def test_a_lawyer_owns_what_they_open_and_the_rest_is_given_out_early(
    office: Office,
) -> None:
    """Within two working days of the opening, by the advisor or the lawyer
    taking it (requests for access to documents)."""
    given_by: Counter[str] = Counter()
    for case in office.cases:
        opening, *rest = office.histories[case.number]
        if opening.role == "caseworker":
            assert opening.data["owner"] == opening.actor, case.number
            continue
        assert "owner" not in opening.data, case.number
        first = next((e for e in rest if e.event == "assign"), None)
        before = rest[: rest.index(first)] if first is not None else rest
        if first is None or any(e.to_state == "closed" for e in before):
            continue  # never given out, or only after it was closed and reopened
        days = CALENDAR.working_days_between(
            local_date(opening.at), local_date(first.at)
        )
        assert days <= 2, case.number
        assert first.data["previous"] is None
        given_by["advisor" if first.actor == ADVISOR else "lawyer"] += 1
        if first.actor != ADVISOR:
            assert first.actor == first.data["owner"]  # taken
    assert given_by["advisor"] > 10
    assert given_by["lawyer"] > 10


def test_a_lawyer_acts_on_their_own_cases_or_stands_in_for_an_absent_owner(
    office: Office,
) -> None:
    stood_in = 0
    for case in office.cases:
        if case.number == founding.NUMBER:
            continue
        for entry, owner in office.owners(case.number):
            if entry.role != "caseworker" or entry.event == "assign":
                continue
            day = local_date(entry.at)
            assert not office.away(entry.actor, day), (case.number, entry.seq)
            if entry.actor != owner:
                assert owner is not None, (case.number, entry.seq)
                assert office.away(owner, day), (case.number, entry.seq)
                stood_in += 1
    assert stood_in > 20


def test_a_few_cases_change_hands_with_a_reason(office: Office) -> None:
    reasons: Counter[str] = Counter()
    for case in office.cases:
        for entry in office.histories[case.number]:
            if entry.event == "assign" and entry.data["previous"] is not None:
                assert entry.actor == ADVISOR
                assert entry.data["owner"] != entry.data["previous"]
                reasons[str(reveal(entry.data, office.kept)["reason"])] += 1
    assert set(reasons) == {HOLIDAY_REASON, LOAD_REASON}
    assert 0 < sum(reasons.values()) <= 0.1 * len(office.cases)


# -- absences --------------------------------------------------------------------------
def test_each_lawyer_is_away_now_and_then_never_twice_at_once(office: Office) -> None:
    """A summer holiday of two or three weeks, a week off, the odd sick day;
    recorded by the advisor, with a colleague as deputy (not always)."""
    assert {a.user_id for a in office.absences} == set(CASEWORKERS)
    for lawyer in CASEWORKERS:
        mine = sorted(
            (a for a in office.absences if a.user_id == lawyer), key=lambda a: a.starts
        )
        lengths = [CALENDAR.working_days_between(a.starts, a.ends) + 1 for a in mine]
        assert any(n in (10, 15) for n in lengths), lawyer
        assert 5 in lengths, lawyer
        assert any(n <= 3 for n in lengths), lawyer
        assert all(a.ends < b.starts for a, b in itertools.pairwise(mine)), lawyer
    for absence in office.absences:
        assert absence.created_by == ADVISOR
        assert absence.created_at < datetime.combine(START, time(0), COPENHAGEN)
        assert absence.deputy is None or (
            absence.deputy in CASEWORKERS and absence.deputy != absence.user_id
        )
    assert any(a.deputy is None for a in office.absences)


def test_an_away_owner_s_notices_go_to_their_deputy(office: Office) -> None:
    """The chaser never wrote to a lawyer on a day they were known to be away;
    it wrote to the deputy of an owner who was."""
    to_deputies = 0
    for number, recipient, created in office.notices:
        user = office.emails.get(recipient)
        if user not in CASEWORKERS:
            continue
        day = created.astimezone(COPENHAGEN).date()
        assert not office.away(user, day, known_at=created), (number, recipient)
        owner = _owner_at(office, number, created)
        if user != owner:
            assert owner is not None
            absence = office.absence(owner, day, known_at=created)
            assert absence is not None, (number, user)
            assert absence.deputy == user, (number, user)
            to_deputies += 1
    assert to_deputies > 10


def _owner_at(office: Office, number: str, moment: datetime) -> str | None:
    found: str | None = None
    for entry, owner in office.owners(number):
        if entry.at > moment:
            break
        found = owner
    return found


# -- the summary -----------------------------------------------------------------------
def test_the_summary_counts_open_cases_by_owner(
    office: Office, registry: WorkflowRegistry
) -> None:
    summary = summarise(office.cases, registry=registry, today=START)
    by_owner = summary.open_by_owner
    assert sum(by_owner.values()) == summary.open
    assert list(by_owner)[-1] is None  # unassigned last
    assert set(by_owner) - {None} == set(CASEWORKERS)
    line = describe(summary)[-1]
    assert line.startswith("  open cases by owner: jur ")
    assert line.endswith(f"unassigned {by_owner[None]}")


def _plain(value: Any) -> str | None:
    return None if value is None else str(value)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _utc(value: object) -> datetime:
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
