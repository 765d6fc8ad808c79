"""`Later` (engine/cases/later.py): the record a guard may need, read if asked."""

from __future__ import annotations

from engine.cases.later import Later


def test_nothing_is_read_until_looked_at_and_then_once() -> None:
    reads: list[int] = []

    def load() -> list[int]:
        reads.append(1)
        return [1, 2, 3]

    later = Later(load)
    assert reads == []
    assert not later.read
    assert list(later) == [1, 2, 3]
    assert later[0] == 1
    assert later[-1] == 3
    assert list(later[1:]) == [2, 3]
    assert len(later) == 3
    assert list(reversed(later)) == [3, 2, 1]
    assert 2 in later
    assert later.index(3) == 2
    assert later.read
    assert reads == [1]  # read once, kept


def test_a_guard_that_decides_from_the_data_reads_no_record() -> None:
    """heard_before_criticism reads the documents only for criticism."""
    from engine.workflow.guards import GuardContext, heard_before_criticism

    def refuse() -> list[object]:
        raise AssertionError("the record was read")

    context = GuardContext(
        transition=None,  # type: ignore[arg-type]
        role="advisor",
        data={"outcome": "no_further_action"},
        case=None,
        history=Later(refuse),  # type: ignore[arg-type]
        documents=Later(refuse),  # type: ignore[arg-type]
    )
    assert heard_before_criticism(context) is None
