"""The storage contract (engine.ports), run on every store: memory and SQLite."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
    StorageError,
)
from engine.ports import CaseStore
from engine.records import (
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    ChaseRecord,
    Document,
    Notification,
    Party,
    User,
    overdue_of,
)

T0 = datetime(2024, 10, 3, 8, 0, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


def _case(number: str = "2024-0000001", **changes: object) -> Case:
    case = Case(
        number=number,
        workflow="ombudsman-inquiry",
        workflow_version=1,
        title="Police report for digital harassment",
        state="opened",
        version=1,
        state_entered_at=T0,
        opened_at=T0,
        last_event_at=T0,
        updated_at=T0,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def _entry(case: Case, seq: int, **changes: object) -> AuditEntry:
    assert case.id is not None
    entry = AuditEntry(
        case_id=case.id,
        case_number=case.number,
        seq=seq,
        event="note",
        from_state="opened",
        to_state="opened",
        actor="jur",
        role="caseworker",
        at=T0 + timedelta(days=seq),
        recorded_at=T0 + timedelta(days=seq, minutes=5),
        workflow=case.workflow,
        workflow_version=case.workflow_version,
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def _document(case: Case, seq: int, **changes: object) -> Document:
    assert case.id is not None
    document = Document(
        case_id=case.id,
        seq=seq,
        number=f"{case.number}-{seq}",
        title=f"Letter {seq}",
        direction="outgoing",
        date=date(2024, 10, 9),
        recorded_at=T0,
        event_seq=seq,
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def _add(store: CaseStore, case: Case) -> Case:
    with store.transaction() as tx:
        return tx.add_case(case)


def _get(store: CaseStore, number: str) -> Case:
    with store.transaction(write=False) as tx:
        return tx.get_case(number)


def _all_audit(store: CaseStore) -> list[AuditEntry]:
    with store.transaction(write=False) as tx:
        return list(tx.audit_entries(AuditFilter()))


# -- cases ----------------------------------------------------------------------
def test_add_case_returns_it_with_an_id_and_get_reads_it_back(
    store: CaseStore,
) -> None:
    case = _case(
        title="Høring af Socialforvaltningen, svar på § 20 (\u2013 \u00a0)",
        parties=(
            Party(role="authority", name="Socialforvaltningen", email="sof@kk.dk"),
            Party(role="citizen", name="Søren Ærø Åberg"),
        ),
        data={"own_initiative": True, "reply_by": "2024-11-06", "n": {"æ": [1]}},
        due=date(2024, 11, 6),
        calendar="dk-default:abc",
        chase_position=2,
        documents_count=3,
    )
    added = _add(store, case)

    assert added.id is not None
    assert added == replace(case, id=added.id)
    assert _get(store, case.number) == added
    with store.transaction(write=False) as tx:
        assert tx.get_case(case.number, for_update=True) == added


def test_cases_get_distinct_ids(store: CaseStore) -> None:
    first = _add(store, _case("2024-0000001"))
    second = _add(store, _case("2024-0000002"))
    assert len({first.id, second.id}) == 2


def test_unknown_case_is_case_not_found(store: CaseStore) -> None:
    with store.transaction(write=False) as tx, pytest.raises(CaseNotFoundError):
        tx.get_case("2024-0000001")


def test_adding_a_case_number_twice_is_duplicate(store: CaseStore) -> None:
    _add(store, _case())
    with pytest.raises(DuplicateError, match="2024-0000001"):
        _add(store, _case(title="Another"))
    assert _get(store, "2024-0000001").title == _case().title


def test_update_case_with_the_current_version_writes_it(store: CaseStore) -> None:
    case = _add(store, _case())
    changed = replace(
        case,
        state="inquiry_sent",
        version=2,
        data={"reply_by": "2024-11-06"},
        due=date(2024, 10, 11),
        calendar="dk-default:abc",
        last_event_at=T0 + timedelta(days=6),
        documents_count=1,
    )
    with store.transaction() as tx:
        tx.update_case(changed, expected_version=1)
    assert _get(store, case.number) == changed


def test_update_case_with_a_stale_version_writes_nothing(store: CaseStore) -> None:
    """The refusal rolls back the whole transaction, earlier writes included."""
    case = _add(store, _case())
    moved = replace(case, version=2, state="inquiry_sent")
    with store.transaction() as tx:
        tx.update_case(moved, expected_version=1)

    with pytest.raises(ConcurrentUpdateError) as caught:
        _add_user_then_update(store, replace(case, version=2, state="closed"))

    assert (caught.value.number, caught.value.expected, caught.value.actual) == (
        case.number,
        1,
        2,
    )
    assert _get(store, case.number) == moved
    with store.transaction(write=False) as tx:
        assert tx.get_user("kim") is None


def _add_user_then_update(store: CaseStore, case: Case) -> None:
    with store.transaction() as tx:
        tx.add_user(User(id="kim", roles=("caseworker",), created_at=T0))
        assert tx.get_user("kim") is not None  # read before the rollback
        tx.update_case(case, expected_version=1)


# -- audit entries and documents ------------------------------------------------
def test_audit_entries_and_documents_round_trip(store: CaseStore) -> None:
    case = _add(store, _case())
    entry = _entry(
        case,
        1,
        event="open",
        from_state=None,
        data={"title": "T", "own_initiative": True},
        due_before=date(2024, 10, 11),
        due_after=date(2024, 11, 6),
        calendar="dk-default:abc",
        document=f"{case.number}-1",
    )
    document = _document(case, 1, direction="incoming")
    with store.transaction() as tx:
        tx.append_audit(entry)
        tx.add_document(document)
    with store.transaction(write=False) as tx:
        assert tx.history(case.id or 0) == [entry]
        assert tx.documents(case.id or 0) == [document]


def test_history_and_documents_are_ordered_by_seq(store: CaseStore) -> None:
    case = _add(store, _case())
    with store.transaction() as tx:
        for seq in (2, 3, 1):
            tx.append_audit(_entry(case, seq))
            tx.add_document(_document(case, seq))
    with store.transaction(write=False) as tx:
        assert [e.seq for e in tx.history(case.id or 0)] == [1, 2, 3]
        assert [d.seq for d in tx.documents(case.id or 0)] == [1, 2, 3]
        assert tx.history(999) == []
        assert tx.documents(999) == []


def test_records_of_many_cases_read_together_match_each_case_s_own(
    store: CaseStore,
) -> None:
    first, second, empty = (_add(store, _case(f"2024-000000{n}")) for n in (1, 2, 3))
    with store.transaction() as tx:
        for case, seqs in ((first, (2, 1, 3)), (second, (1, 2))):
            for seq in seqs:
                tx.append_audit(_entry(case, seq))
                tx.add_document(_document(case, seq))
    ids = [second.id or 0, 999, first.id or 0, empty.id or 0]
    with store.transaction(write=False) as tx:
        histories, documents = tx.histories(ids), tx.documents_of(ids)
        assert set(histories) == set(documents) == set(ids)
        for case_id in ids:
            assert list(histories[case_id]) == list(tx.history(case_id))
            assert list(documents[case_id]) == list(tx.documents(case_id))
        assert [e.seq for e in histories[first.id or 0]] == [1, 2, 3]
        assert list(histories[999]) == []
        assert list(documents[empty.id or 0]) == []
        assert tx.histories([]) == {}
        assert tx.documents_of([]) == {}


def test_records_of_more_cases_than_one_in_list_holds(store: CaseStore) -> None:
    with store.transaction() as tx:
        cases = [tx.add_case(_case(f"2024-{n:07d}")) for n in range(1, 1202)]
        tx.append_audits([_entry(c, 1, data={"n": i}) for i, c in enumerate(cases)])
    ids = [c.id or 0 for c in cases]
    with store.transaction(write=False) as tx:
        histories = tx.histories(ids)
    assert [histories[i][0].data["n"] for i in ids] == list(range(len(cases)))


def test_second_audit_entry_with_the_same_seq_is_a_concurrent_update(
    store: CaseStore,
) -> None:
    case = _add(store, _case())
    first = _entry(case, 1, actor="jur")
    with store.transaction() as tx:
        tx.append_audit(first)

    with pytest.raises(ConcurrentUpdateError, match=case.number):
        _append_audit(store, _entry(case, 2), _entry(case, 1, actor="jur2"))

    assert _all_audit(store) == [first]


def test_entries_and_documents_written_together_read_back_alike(
    store: CaseStore,
) -> None:
    one, two = _add(store, _case()), _add(store, _case("2024-0000002"))
    entries = [_entry(one, 1), _entry(two, 1, actor="jur2"), _entry(one, 2)]
    documents = [_document(one, 1), _document(two, 1), _document(one, 2)]
    with store.transaction() as tx:
        tx.append_audits(entries)
        tx.add_documents(documents)
        tx.append_audits([])
        tx.add_documents([])
    with store.transaction(write=False) as tx:
        assert tx.history(one.id or 0) == [entries[0], entries[2]]
        assert tx.history(two.id or 0) == [entries[1]]
        assert tx.documents(one.id or 0) == [documents[0], documents[2]]
        assert tx.documents(two.id or 0) == [documents[1]]


def test_entries_written_together_with_a_taken_seq_write_none(
    store: CaseStore,
) -> None:
    case = _add(store, _case())
    first = _entry(case, 1)
    _append_audit(store, first)
    taken = [_entry(case, 2), _entry(case, 1, actor="jur2")]
    with (
        pytest.raises(ConcurrentUpdateError, match=case.number),
        store.transaction() as tx,
    ):
        tx.append_audits(taken)
    assert _all_audit(store) == [first]


def _append_audit(store: CaseStore, *entries: AuditEntry) -> None:
    with store.transaction() as tx:
        for entry in entries:
            tx.append_audit(entry)


def test_transaction_that_raises_leaves_nothing(store: CaseStore) -> None:
    _add(store, _case("2024-0000001"))
    with store.transaction() as tx:
        tx.next_case_number(2024)

    with pytest.raises(Boom):
        _write_everything_then_fail(store)

    with store.transaction(write=False) as tx:
        assert [c.number for c in tx.list_cases(CaseFilter())] == ["2024-0000001"]
        assert tx.get_case("2024-0000001").state == "opened"
        assert list(tx.audit_entries(AuditFilter())) == []
        assert tx.documents(2) == []  # the id the rolled-back case had
        assert tx.get_user("kim") is None
        assert tx.workflow_text("w", 1) is None
    with store.transaction() as tx:
        assert tx.next_case_number(2024) == "2024-0000002"
        assert tx.next_case_number(2025) == "2025-0000001"


def _write_everything_then_fail(store: CaseStore) -> None:
    with store.transaction() as tx:
        number = tx.next_case_number(2024)
        tx.next_case_number(2025)
        case = tx.add_case(_case(number))
        assert case.id == 2
        tx.append_audit(_entry(case, 1))
        tx.add_document(_document(case, 1))
        kept = tx.get_case("2024-0000001", for_update=True)
        tx.update_case(replace(kept, version=2, state="closed"), expected_version=1)
        tx.add_user(User(id="kim", roles=("caseworker",), created_at=T0))
        assert tx.get_user("kim") is not None  # read before the rollback
        tx.record_workflow("w", 1, "digest", "text")
        tx.record_calendar("dk-default:abc", {"name": "dk-default"})
        raise Boom


def test_read_transaction_cannot_write(store: CaseStore) -> None:
    with pytest.raises((RuntimeError, StorageError)):
        _add_user(store, write=False)
    with store.transaction(write=False) as tx:
        assert tx.get_user("kim") is None


def _add_user(store: CaseStore, *, write: bool) -> None:
    with store.transaction(write=write) as tx:
        tx.add_user(User(id="kim", roles=("caseworker",), created_at=T0))


# -- case numbers ---------------------------------------------------------------
def test_case_numbers_are_sequential_per_year(store: CaseStore) -> None:
    with store.transaction() as tx:
        numbers = [tx.next_case_number(y) for y in (2024, 2024, 2025, 2024, 2025)]
    with store.transaction() as tx:
        numbers.append(tx.next_case_number(2024))
    assert numbers == [
        "2024-0000001",
        "2024-0000002",
        "2025-0000001",
        "2024-0000003",
        "2025-0000002",
        "2024-0000004",
    ]


def test_reserved_number_moves_allocation_above_it_never_below(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        tx.next_case_number(2024)
        tx.reserve_case_number("2024-0283489")
        after = tx.next_case_number(2024)
        tx.reserve_case_number("2024-0000007")  # below: no effect
        later = tx.next_case_number(2024)
        tx.reserve_case_number("2023-0000041")
        other_year = tx.next_case_number(2023)
    assert (after, later, other_year) == (
        "2024-0283490",
        "2024-0283491",
        "2023-0000042",
    )


def test_reserving_the_number_of_an_existing_case_is_duplicate(
    store: CaseStore,
) -> None:
    _add(store, _case("2024-0283489"))
    with store.transaction() as tx, pytest.raises(DuplicateError):
        tx.reserve_case_number("2024-0283489")


def test_sequence_beyond_seven_digits(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.reserve_case_number("2024-9999999")
        assert tx.next_case_number(2024) == "2024-10000000"
    with store.transaction() as tx:
        assert tx.next_case_number(2024) == "2024-10000001"
    added = _add(store, _case("2024-10000001"))
    assert _get(store, "2024-10000001") == added


# -- listing cases ----------------------------------------------------------------
@pytest.fixture
def four_cases(store: CaseStore) -> CaseStore:
    with store.transaction() as tx:
        tx.add_case(_case("2024-0000001", state="opened"))
        tx.add_case(
            _case("2024-0000002", state="awaiting_reply", due=date(2024, 11, 6))
        )
        tx.add_case(
            _case(
                "2024-0000003",
                workflow="access-to-documents",
                state="received",
                due=date(2024, 11, 20),
            )
        )
        tx.add_case(
            _case("2024-0000004", state="awaiting_reply", due=date(2024, 11, 25))
        )
    return store


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(CaseFilter(), [1, 2, 3, 4], id="all-in-insertion-order"),
        pytest.param(
            CaseFilter(workflow="ombudsman-inquiry"), [1, 2, 4], id="workflow"
        ),
        pytest.param(CaseFilter(workflow="parking"), [], id="workflow-unknown"),
        pytest.param(CaseFilter(state="awaiting_reply"), [2, 4], id="state"),
        pytest.param(
            CaseFilter(due_before=date(2024, 11, 25)),
            [2, 3],
            id="due-strictly-before-no-deadline-excluded",
        ),
        pytest.param(
            CaseFilter(due_before=date(2024, 11, 26), state="awaiting_reply"),
            [2, 4],
            id="due-before-and-state",
        ),
        pytest.param(
            CaseFilter(workflow="ombudsman-inquiry", due_before=date(2024, 12, 1)),
            [2, 4],
            id="workflow-and-due-before",
        ),
        pytest.param(CaseFilter(limit=2), [1, 2], id="limit"),
        pytest.param(CaseFilter(limit=2, offset=1), [2, 3], id="limit-offset"),
        pytest.param(CaseFilter(offset=3), [4], id="offset-only"),
        pytest.param(CaseFilter(offset=9), [], id="offset-past-the-end"),
        pytest.param(CaseFilter(limit=0), [], id="limit-zero"),
        pytest.param(
            CaseFilter(state="awaiting_reply", limit=1, offset=1),
            [4],
            id="page-of-a-filter",
        ),
        pytest.param(CaseFilter(after_id=2), [3, 4], id="after-id"),
        pytest.param(CaseFilter(after_id=1, limit=2), [2, 3], id="after-id-limit"),
        pytest.param(
            CaseFilter(after_id=2, workflow="ombudsman-inquiry"),
            [4],
            id="after-id-and-workflow",
        ),
        pytest.param(CaseFilter(after_id=4), [], id="after-the-last-id"),
    ],
)
def test_list_cases_filters(
    four_cases: CaseStore, selection: CaseFilter, expected: list[int]
) -> None:
    with four_cases.transaction(write=False) as tx:
        found = [c.number for c in tx.list_cases(selection)]
    assert found == [f"2024-{n:07d}" for n in expected]


# -- audit queries ----------------------------------------------------------------
@pytest.fixture
def audited(store: CaseStore) -> CaseStore:
    """Case A (added first) with seqs 1-3, case B with seqs 1-2, appended mixed."""
    with store.transaction() as tx:
        a = tx.add_case(_case("2024-0000001"))
        b = tx.add_case(_case("2024-0000002"))
        tx.append_audit(_entry(b, 1, actor="jur2", at=T0))
        tx.append_audit(_entry(a, 1, actor="bra", at=T0 + timedelta(days=1)))
        tx.append_audit(_entry(a, 3, actor="jur", at=T0 + timedelta(days=3)))
        tx.append_audit(_entry(b, 2, actor="jur2", at=T0 + timedelta(days=2)))
        tx.append_audit(_entry(a, 2, actor="jur", at=T0 + timedelta(days=2)))
    return store


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(
            AuditFilter(),
            ["A1", "A2", "A3", "B1", "B2"],
            id="by-case-then-seq",
        ),
        pytest.param(
            AuditFilter(case_number="2024-0000002"), ["B1", "B2"], id="case-number"
        ),
        pytest.param(
            AuditFilter(case_number="2024-0000009"), [], id="case-number-unknown"
        ),
        pytest.param(AuditFilter(actor="jur"), ["A2", "A3"], id="actor"),
        pytest.param(
            AuditFilter(since=T0 + timedelta(days=2)),
            ["A2", "A3", "B2"],
            id="since-inclusive",
        ),
        pytest.param(
            AuditFilter(until=T0 + timedelta(days=2)),
            ["A1", "B1"],
            id="until-exclusive",
        ),
        pytest.param(
            AuditFilter(
                since=(T0 + timedelta(days=1)).astimezone(CEST),
                until=(T0 + timedelta(days=3)).astimezone(CEST),
            ),
            ["A1", "A2", "B2"],
            id="window-given-in-cest",
        ),
        pytest.param(
            AuditFilter(since=T0 + timedelta(days=1, minutes=1)),
            ["A2", "A3", "B2"],
            id="on-at-not-recorded-at",
        ),
        pytest.param(
            AuditFilter(
                case_number="2024-0000001", actor="jur", until=T0 + timedelta(days=3)
            ),
            ["A2"],
            id="all-filters",
        ),
    ],
)
def test_audit_entries_order_and_filters(
    audited: CaseStore, selection: AuditFilter, expected: list[str]
) -> None:
    names = {"2024-0000001": "A", "2024-0000002": "B"}
    with audited.transaction(write=False) as tx:
        found = [f"{names[e.case_number]}{e.seq}" for e in tx.audit_entries(selection)]
    assert found == expected


# -- users ------------------------------------------------------------------------
def test_users_round_trip_and_list_by_id(store: CaseStore) -> None:
    kim = User(
        id="kim",
        roles=("caseworker", "advisor"),
        email="kim@kk.dk",
        created_at=T0.astimezone(CEST),
    )
    ana = User(id="ana", roles=("intake",), created_at=T0)
    with store.transaction() as tx:
        tx.add_user(kim)
        tx.add_user(ana)
    with store.transaction(write=False) as tx:
        assert tx.get_user("kim") == kim
        assert tx.get_user("nobody") is None
        assert [u.id for u in tx.list_users()] == ["ana", "kim"]
        assert tx.list_users()[1].roles == ("caseworker", "advisor")


def test_adding_a_user_twice_is_duplicate(store: CaseStore) -> None:
    user = User(id="kim", roles=("caseworker",), created_at=T0)
    with store.transaction() as tx:
        tx.add_user(user)
    with pytest.raises(DuplicateError, match="kim"), store.transaction() as tx:
        tx.add_user(replace(user, roles=("advisor",)))
    with store.transaction(write=False) as tx:
        assert tx.list_users() == [user]


# -- workflows and calendars ------------------------------------------------------
def test_record_workflow_keeps_the_first_declaration(store: CaseStore) -> None:
    with store.transaction() as tx:
        assert tx.record_workflow("w", 1, "d1", "text one") == "d1"
        assert tx.record_workflow("w", 1, "d1", "text one") == "d1"
    with store.transaction() as tx:
        assert tx.record_workflow("w", 1, "d2", "text two") == "d1"
        assert tx.record_workflow("w", 2, "d2", "text two") == "d2"
    with store.transaction(write=False) as tx:
        assert tx.workflow_text("w", 1) == "text one"
        assert tx.workflow_text("w", 2) == "text two"
        assert tx.workflow_text("w", 3) is None
        assert tx.workflow_text("other", 1) is None


def test_record_calendar_is_idempotent(store: CaseStore) -> None:
    spec = {"name": "dk-default", "closed_days": ["06-05", "12-24", "12-31"]}
    with store.transaction() as tx:
        tx.record_calendar("dk-default:abc", spec)
        tx.record_calendar("dk-default:abc", spec)
    with store.transaction() as tx:
        tx.record_calendar("dk-default:abc", spec)
        tx.record_calendar("office:def", {"name": "office", "closed_days": []})


# -- values -----------------------------------------------------------------------
def test_instants_come_back_aware_and_equal(store: CaseStore) -> None:
    """An instant given at +02:00 comes back as the same instant."""
    local = datetime(2024, 10, 9, 9, 30, 15, 123456, tzinfo=CEST)
    utc = datetime(2024, 10, 9, 7, 30, 15, 123456, tzinfo=UTC)
    case = _add(
        store,
        _case(
            state_entered_at=local, opened_at=utc, last_event_at=local, updated_at=utc
        ),
    )
    with store.transaction() as tx:
        tx.append_audit(_entry(case, 1, at=local, recorded_at=utc))
        tx.add_document(_document(case, 1, recorded_at=local))
        tx.add_user(User(id="kim", roles=("intake",), created_at=local))

    with store.transaction(write=False) as tx:
        stored = tx.get_case(case.number)
        (entry,) = tx.history(case.id or 0)
        (document,) = tx.documents(case.id or 0)
        user = tx.get_user("kim")
    assert user is not None
    instants = [
        stored.state_entered_at,
        stored.opened_at,
        stored.last_event_at,
        stored.updated_at,
        entry.at,
        entry.recorded_at,
        document.recorded_at,
        user.created_at,
    ]
    for instant in instants:
        assert instant is not None
        assert instant.utcoffset() is not None
        assert instant == utc


def test_dates_come_back_as_dates(store: CaseStore) -> None:
    case = _add(store, _case(due=date(2024, 11, 6)))
    with store.transaction() as tx:
        tx.append_audit(
            _entry(case, 1, due_before=date(2024, 10, 11), due_after=date(2024, 11, 6))
        )
        tx.add_document(_document(case, 1, date=date(2024, 11, 10)))
    with store.transaction(write=False) as tx:
        stored = tx.get_case(case.number)
        (entry,) = tx.history(case.id or 0)
        (document,) = tx.documents(case.id or 0)
    values = [stored.due, entry.due_before, entry.due_after, document.date]
    assert values == [
        date(2024, 11, 6),
        date(2024, 10, 11),
        date(2024, 11, 6),
        date(2024, 11, 10),
    ]
    assert {type(v) for v in values} == {date}


def test_missing_optional_values_come_back_as_none(store: CaseStore) -> None:
    case = _add(store, _case())
    with store.transaction() as tx:
        tx.append_audit(_entry(case, 1, from_state=None))
    with store.transaction(write=False) as tx:
        stored = tx.get_case(case.number)
        (entry,) = tx.history(case.id or 0)
    assert (stored.due, stored.calendar, stored.parties, stored.data) == (
        None,
        None,
        (),
        {},
    )
    assert (entry.from_state, entry.due_before, entry.due_after, entry.document) == (
        None,
        None,
        None,
        None,
    )


# -- the chaser and the outbox ---------------------------------------------------
def _note(case: Case, key: str, **changes: object) -> Notification:
    assert case.id is not None
    n = Notification(
        idempotency_key=key,
        case_id=case.id,
        case_number=case.number,
        channel="email",
        recipient="sof@example.org",
        kind="letter",
        subject="Rykker",
        body="Vi har ikke modtaget jeres svar.",
        payload={"rung": "reminder_1"},
        available_at=T0,
        created_at=T0,
    )
    return replace(n, **changes)  # type: ignore[arg-type]


def test_chase_candidates_are_the_overdue_ones_oldest_first(store: CaseStore) -> None:
    with store.transaction() as tx:
        for i, due in enumerate((date(2024, 11, 8), date(2024, 11, 6), None), 1):
            tx.add_case(_case(f"2024-000000{i}", chase_due=due))
        tx.add_case(_case("2024-0000004", chase_due=date(2024, 11, 9)))
    with store.transaction() as tx:
        found = tx.chase_candidates(date(2024, 11, 9), limit=10)
        assert [c.number for c in found] == ["2024-0000002", "2024-0000001"]
        assert len(tx.chase_candidates(date(2024, 11, 9), limit=1)) == 1


def test_overdue_cases_list_the_candidates_lightly_with_paging(
    store: CaseStore,
) -> None:
    dues = (date(2024, 11, 8), date(2024, 11, 6), None, date(2024, 11, 9))
    with store.transaction() as tx:
        for i, due in enumerate(dues, 1):
            tx.add_case(_case(f"2024-000000{i}", chase_due=due, chase_position=1))
    with store.transaction(write=False) as tx:
        before = date(2024, 11, 9)
        listed = tx.overdue_cases(before, limit=10)
        assert [(c.number, c.chase_due, c.chase_position) for c in listed] == [
            ("2024-0000002", date(2024, 11, 6), 1),
            ("2024-0000001", date(2024, 11, 8), 1),
        ]
        assert listed == [overdue_of(c) for c in tx.chase_candidates(before, limit=9)]
        assert [c.number for c in tx.overdue_cases(before, limit=1, offset=1)] == [
            "2024-0000001"
        ]
        assert tx.overdue_cases(before, limit=5, offset=2) == []
        assert tx.count_overdue(before) == 2
        assert tx.count_overdue(date(2024, 11, 10)) == 3
        assert tx.count_overdue(date(2024, 11, 6)) == 0


def test_a_rung_is_recorded_once_per_stay(store: CaseStore) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case())
        assert case.id is not None
        chase = ChaseRecord(
            case_id=case.id,
            entry_seq=3,
            rung="reminder_1",
            audit_seq=4,
            due_missed=date(2024, 11, 6),
            fired_at=T0,
        )
        assert tx.record_chase(chase)
        assert not tx.record_chase(replace(chase, audit_seq=5))
        assert tx.record_chase(replace(chase, entry_seq=7))  # a later stay


def test_notifications_queued_together_count_only_the_new_keys(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case())
        assert tx.add_notification(_note(case, "k1"))
        assert tx.add_notifications([]) == 0
        added = tx.add_notifications(
            [_note(case, "k1", subject="again"), _note(case, "k2"), _note(case, "k3")]
        )
        assert added == 2
        assert tx.add_notifications([_note(case, "k4"), _note(case, "k4")]) == 1
    with store.transaction() as tx:
        claimed = tx.claim_notifications(T0, limit=10, lease_until=T0)
        assert [n.idempotency_key for n in claimed] == ["k1", "k2", "k3", "k4"]
        assert claimed[0].subject == "Rykker"  # the first k1 stands


def test_a_lease_is_renewed_only_while_the_claim_is_ours(store: CaseStore) -> None:
    """A worker renews each message before it sends it: once another worker
    has claimed it after the lease ran out, or it is sent, the renewal fails."""
    with store.transaction() as tx:
        case = tx.add_case(_case())
        assert tx.add_notification(_note(case, "k1"))
    first_lease = T0 + timedelta(minutes=5)
    with store.transaction() as tx:
        (mine,) = tx.claim_notifications(T0, limit=10, lease_until=first_lease)
    assert mine.id is not None
    later = T0 + timedelta(minutes=4)
    with store.transaction() as tx:
        assert tx.renew_notification(
            mine.id, claimed_attempts=1, lease_until=later + timedelta(minutes=5)
        )
    with store.transaction() as tx:  # renewed: not claimed at the old lease's end
        assert (
            tx.claim_notifications(
                first_lease + timedelta(seconds=1), limit=10, lease_until=T0
            )
            == []
        )
    after = later + timedelta(minutes=6)
    with store.transaction() as tx:  # the renewed lease ran out too: taken over
        (theirs,) = tx.claim_notifications(after, limit=10, lease_until=after)
    assert theirs.attempts == 2
    with store.transaction() as tx:
        assert not tx.renew_notification(mine.id, claimed_attempts=1, lease_until=after)
        assert tx.finish_notification(
            theirs.id or 0, claimed_attempts=2, status="sent", sent_at=after
        )
        assert not tx.renew_notification(
            mine.id, claimed_attempts=2, lease_until=after
        )  # sent: nobody's to renew


def test_notifications_are_queued_once_claimed_and_finished(store: CaseStore) -> None:
    lease = T0 + timedelta(minutes=5)
    with store.transaction() as tx:
        case = tx.add_case(_case())
        assert tx.add_notification(_note(case, "k1"))
        assert not tx.add_notification(_note(case, "k1", subject="again"))
        assert tx.add_notification(
            _note(case, "k2", available_at=T0 + timedelta(hours=1))
        )
    with store.transaction() as tx:
        (claimed,) = tx.claim_notifications(T0, limit=10, lease_until=lease)
        assert (claimed.idempotency_key, claimed.attempts) == ("k1", 1)
        assert claimed.locked_until == lease
        assert claimed.payload == {"rung": "reminder_1"}
    with store.transaction() as tx:  # leased: not claimed again
        assert (
            tx.claim_notifications(
                T0 + timedelta(minutes=1), limit=10, lease_until=lease
            )
            == []
        )
    with store.transaction() as tx:
        assert claimed.id is not None
        assert tx.finish_notification(
            claimed.id, claimed_attempts=1, status="sent", sent_at=T0
        )
        assert not tx.finish_notification(  # a late outcome cannot unsend it
            claimed.id, claimed_attempts=1, status="pending", error="451"
        )
    with store.transaction(write=False) as tx:
        sent = tx.get_notification(claimed.id)
        assert sent is not None
        assert (sent.status, sent.sent_at, sent.locked_until) == ("sent", T0, None)
        assert [n.idempotency_key for n in tx.list_notifications(status="sent")] == [
            "k1"
        ]
        assert [n.idempotency_key for n in tx.list_notifications()] == ["k1", "k2"]
        assert tx.get_notification(999) is None
