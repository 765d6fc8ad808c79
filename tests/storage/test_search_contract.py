"""`CaseSearch` on every store: memory, SQLite (FTS5) and PostgreSQL (tsvector).

The same words find the same cases everywhere: a word finds the words that
begin with it, in the title, the parties' names and the authority's name;
every word must be found; an erased name is not found. A case number finds
its case, and its beginning the cases whose numbers begin so. The index is
right inside the transaction that writes a case, and a write rolled back
leaves it as it was.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from engine.audit.personal import ERASED
from engine.ports import CaseStore
from engine.records import Case, Party
from engine.search import parse_search

T0 = datetime(2024, 10, 3, 8, 0, tzinfo=UTC)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


def _case(number: str, title: str, *names: str, authority: str = "") -> Case:
    parties = [Party(role="citizen", name=n) for n in names]
    if authority:
        parties.append(Party(role="authority", name=authority))
    return Case(
        number=number,
        workflow="ombudsman-inquiry",
        workflow_version=1,
        title=title,
        state="opened",
        version=1,
        parties=tuple(parties),
        state_entered_at=T0,
        opened_at=T0,
        last_event_at=T0,
        updated_at=T0,
    )


OFFICE = (
    _case(
        "2024-0000001",
        "Klage over hjemmehjælp",
        "Søren Ågård Bæk",
        authority="Københavns Kommune, Sundheds- og Omsorgsforvaltningen",
    ),
    _case(
        "2024-0000002",
        "Aktindsigt i en byggesag",
        "Jens Hansen",
        authority="Københavns Kommune, Teknik- og Miljøforvaltningen",
    ),
    _case("2024-0000013", "Sagsbehandlingstid på en ansøgning", "Mette Frederiksen"),
    _case("2025-0000001", "Klage over parkering", "Bo Ib", authority="Søborg Kommune"),
)


@pytest.fixture
def office(store: CaseStore) -> CaseStore:
    with store.transaction() as tx:
        for case in OFFICE:
            tx.add_case(case)
    return store


def found(store: CaseStore, text: str, limit: int = 50) -> list[str]:
    with store.transaction(write=False) as tx:
        return [c.number for c in tx.search_cases(parse_search(text), limit=limit)]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        pytest.param("hjemmehjælp", ["2024-0000001"], id="a-title-word"),
        pytest.param("HJEMMEHJÆLP", ["2024-0000001"], id="in-capitals"),
        pytest.param("hjemme", ["2024-0000001"], id="a-word-s-beginning"),
        pytest.param("søren", ["2024-0000001"], id="a-first-name-with-ø"),
        pytest.param("Ågård", ["2024-0000001"], id="a-name-with-å"),
        pytest.param("bæk", ["2024-0000001"], id="a-name-with-æ"),
        pytest.param("Søren Ågård Bæk", ["2024-0000001"], id="the-whole-name"),
        pytest.param("jens hansen", ["2024-0000002"], id="a-plain-name"),
        pytest.param("Hansen, Jens", ["2024-0000002"], id="in-any-order"),
        pytest.param("frederiksen", ["2024-0000013"], id="a-party-without-authority"),
        pytest.param("miljøforvaltningen", ["2024-0000002"], id="the-authority"),
        pytest.param("aktindsigt byggesag", ["2024-0000002"], id="two-title-words"),
        pytest.param("aktindsigt hansen", ["2024-0000002"], id="title-and-name"),
    ],
)
def test_a_case_is_found_by_its_title_its_parties_and_its_authority(
    office: CaseStore, text: str, numbers: list[str]
) -> None:
    assert found(office, text) == numbers


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("soren", id="ø-is-not-o"),
        pytest.param("agard", id="å-is-not-a"),
        pytest.param("bak", id="æ-is-not-a"),
        pytest.param("hansen søren", id="every-word-must-be-found"),
        pytest.param("ørn", id="no-such-word"),
        pytest.param("ansen", id="not-the-middle-of-a-word"),
    ],
)
def test_what_is_not_there_is_not_found(office: CaseStore, text: str) -> None:
    assert found(office, text) == []


def test_a_letter_alone_finds_itself_as_a_word_not_every_word_it_begins(
    office: CaseStore,
) -> None:
    assert found(office, "i") == ["2024-0000002"]  # "Aktindsigt i en byggesag"
    assert found(office, "b") == []  # nobody is called B, many begin so
    assert found(office, "bo ib") == ["2025-0000001"]


def test_a_number_finds_its_case_and_a_beginning_the_cases_it_begins(
    office: CaseStore,
) -> None:
    assert found(office, "2024-0000002") == ["2024-0000002"]
    assert found(office, "sag 2024-0000013") == ["2024-0000013"]
    assert found(office, "2024-000001") == ["2024-0000013"]
    assert found(office, "2024-000000") == ["2024-0000001", "2024-0000002"]
    assert found(office, "2024-0") == ["2024-0000001", "2024-0000002", "2024-0000013"]
    assert found(office, "2024-0", limit=2) == ["2024-0000001", "2024-0000002"]
    assert found(office, "2025-0000001") == ["2025-0000001"]
    assert found(office, "2024-0000003") == []
    assert found(office, "2023-0") == []


def test_a_longer_number_that_begins_with_a_number_comes_after_it(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        tx.add_case(_case("2024-10000000", "Den ottecifrede"))
        tx.add_case(_case("2024-1000000", "Den syvcifrede"))
    assert found(store, "2024-1000000") == ["2024-1000000", "2024-10000000"]


def test_a_title_word_ranks_above_the_same_word_in_an_authority(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        tx.add_case(_case("2024-0000001", "Klage", authority="Søborg Kommune"))
        tx.add_case(_case("2024-0000002", "Søborgs vejbelysning", authority="KK"))
        tx.add_case(_case("2024-0000003", "Klage", "Søborg Testesen"))
    assert found(store, "søborg") == ["2024-0000002", "2024-0000003", "2024-0000001"]


def test_among_equals_the_newest_case_comes_first_and_the_limit_holds(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        for n in range(1, 8):
            tx.add_case(_case(f"2024-{n:07d}", "Klage over hjemmehjælp"))
    assert found(store, "klage", limit=3) == [
        "2024-0000007",
        "2024-0000006",
        "2024-0000005",
    ]


def test_open_and_closed_cases_are_both_found(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.add_case(_case("2024-0000001", "Klage"))
        tx.add_case(replace(_case("2024-0000002", "Klage"), state="closed"))
    assert found(store, "klage") == ["2024-0000002", "2024-0000001"]


def test_the_index_follows_every_write_in_the_writing_transaction(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case("2024-0000001", "Klage", "Karen Blixen"))
        assert [c.number for c in tx.search_cases(parse_search("karen"), limit=5)] == [
            "2024-0000001"
        ]
        renamed = replace(
            case,
            version=2,
            title="Aktindsigt",
            parties=(Party(role="citizen", name="Tania Blixen"),),
        )
        tx.update_case(renamed, expected_version=1)
        assert tx.search_cases(parse_search("karen"), limit=5) == []
    assert found(store, "tania blixen") == ["2024-0000001"]
    assert found(store, "aktindsigt") == ["2024-0000001"]
    assert found(store, "karen") == found(store, "klage") == []


def test_a_write_rolled_back_leaves_the_index_as_it_was(store: CaseStore) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case("2024-0000001", "Klage", "Karen Blixen"))

    def write_then_fail() -> None:
        with store.transaction() as tx:
            tx.add_case(_case("2024-0000002", "Klage", "Karen Hansen"))
            moved = replace(
                case, version=2, parties=(Party(role="citizen", name="Bo"),)
            )
            tx.update_case(moved, expected_version=1)
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert found(store, "karen") == ["2024-0000001"]
    assert found(store, "bo") == []


def test_a_step_that_keeps_title_and_parties_leaves_the_index_alone(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case("2024-0000001", "Klage", "Karen Blixen"))
        tx.update_case(replace(case, version=2, state="closed"), expected_version=1)
    assert found(store, "karen klage") == ["2024-0000001"]


def test_an_erased_name_is_not_found_nor_is_the_word_erased(store: CaseStore) -> None:
    with store.transaction() as tx:
        case = tx.add_case(_case("2024-0000001", "Klage", "Karen Blixen"))
        erased = replace(
            case,
            version=2,
            parties=(
                Party(role="citizen", name=ERASED),
                Party(role="authority", name=ERASED),
            ),
        )
        tx.erase_personal(erased, ["Karen Blixen"])
    assert found(store, "blixen") == []
    assert found(store, "erased") == []
    assert found(store, "klage") == ["2024-0000001"]
