"""Tests for the bundled workflow files and `WorkflowRegistry`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import DefinitionError, WorkflowNotFoundError
from engine.testing import FakeClock
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.machine import WorkflowMachine
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore
from workflows import bundled_paths

KNOWN = "access-to-documents, ombudsman-inquiry"


def _load(path: Path) -> WorkflowDefinition:
    return load_workflow_file(path, guards=GUARDS)


def _ombudsman_text() -> str:
    path = next(p for p in bundled_paths() if p.name == "ombudsman_inquiry.yaml")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name)
def test_bundled_workflow_is_valid(path: Path) -> None:
    definition = _load(path)

    assert definition.source == path.name
    assert definition.name == path.stem.replace("_", "-")
    assert definition.version >= 1
    assert definition.title
    assert definition.initial == definition.opening.dest
    # Every state is used, every transition's states exist.
    names = {s.name for s in definition.states}
    for t in definition.transitions:
        assert set(t.sources) <= names
        assert t.dest is None or t.dest in names


def test_registry_from_bundled_paths_knows_every_file() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())

    assert registry.names() == ["access-to-documents", "ombudsman-inquiry"]
    assert [d.key for d in registry.latest()] == [
        "access-to-documents@3",
        "ombudsman-inquiry@3",
    ]
    assert registry.find("ombudsman-inquiry", 3) is registry.get("ombudsman-inquiry")
    assert registry.find("ombudsman-inquiry", 2) is None  # only the file's version


def test_same_name_and_version_twice_is_refused() -> None:
    text = _ombudsman_text()
    first = parse_workflow(text, source="a.yaml", guards=GUARDS)
    second = parse_workflow(text, source="b.yaml", guards=GUARDS)

    with pytest.raises(DefinitionError) as info:
        WorkflowRegistry([first, second])

    assert info.value.problems == (
        "ombudsman-inquiry@3 is declared twice (a.yaml and b.yaml)",
    )


def test_same_name_in_two_versions_is_allowed_and_latest_wins() -> None:
    text = _ombudsman_text()
    v1 = parse_workflow(text, source="v1.yaml", guards=GUARDS)
    v2 = parse_workflow(
        text.replace("version: 3\n", "version: 4\n"), source="v2.yaml", guards=GUARDS
    )

    registry = WorkflowRegistry([v2, v1])

    assert registry.get("ombudsman-inquiry") is v2
    assert registry.get("ombudsman-inquiry", 3) is v1
    assert registry.get("ombudsman-inquiry", 4) is v2
    assert registry.names() == ["ombudsman-inquiry"]


def test_from_paths_refuses_an_invalid_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_ombudsman_text().replace("version: 3\n", "version: 0\n"))

    with pytest.raises(DefinitionError, match=r"bad\.yaml:5: version: must be"):
        WorkflowRegistry.from_paths([*bundled_paths(), bad])


def test_from_paths_refuses_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"

    with pytest.raises(DefinitionError, match="cannot be read"):
        WorkflowRegistry.from_paths([missing])


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("sick-leave", None, f"no workflow 'sick-leave'; known: {KNOWN}"),
        ("sick-leave", 1, f"no workflow 'sick-leave' version 1; known: {KNOWN}"),
        (
            "ombudsman-inquiry",
            4,
            f"no workflow 'ombudsman-inquiry' version 4; known: {KNOWN}",
        ),
    ],
    ids=["unknown-name", "unknown-name-and-version", "unknown-version"],
)
def test_get_unknown_lists_known_names(
    registry: WorkflowRegistry, name: str, version: int | None, message: str
) -> None:
    with pytest.raises(WorkflowNotFoundError) as info:
        registry.get(name, version)

    assert str(info.value) == message
    assert info.value.name == name
    assert info.value.version == version


def test_get_known() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())

    inquiry = registry.get("ombudsman-inquiry")

    assert registry.get("ombudsman-inquiry", 3) is inquiry
    assert inquiry.key == "ombudsman-inquiry@3"


def test_machine_is_shared_per_definition() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())
    inquiry = registry.get("ombudsman-inquiry")
    access = registry.get("access-to-documents")

    machine = registry.machine(inquiry)

    assert isinstance(machine, WorkflowMachine)
    assert machine.definition is inquiry
    assert registry.machine(inquiry) is machine
    assert registry.machine(registry.get("ombudsman-inquiry", 3)) is machine
    assert registry.machine(access) is not machine


def test_machine_is_shared_by_a_reparsed_declaration() -> None:
    """The recorded text of a version, parsed again, runs on the same machine."""
    registry = WorkflowRegistry.from_paths(bundled_paths())
    inquiry = registry.get("ombudsman-inquiry")

    again = registry.parse_recorded(inquiry.text, name="ombudsman-inquiry", version=3)

    assert again is not inquiry
    assert registry.machine(again) is registry.machine(inquiry)


def test_machine_is_one_per_version() -> None:
    text = _ombudsman_text()
    v1 = parse_workflow(text, source="v1.yaml", guards=GUARDS)
    v2 = parse_workflow(
        text.replace("version: 3\n", "version: 4\n"), source="v2.yaml", guards=GUARDS
    )
    registry = WorkflowRegistry([v1, v2])

    assert registry.machine(v1) is not registry.machine(v2)
    assert registry.machine(v2).definition is v2


def test_machine_is_shared_between_threads() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())
    inquiry = registry.get("ombudsman-inquiry")

    with ThreadPoolExecutor(max_workers=8) as pool:
        machines = list(pool.map(lambda _: registry.machine(inquiry), range(64)))

    assert all(m is machines[0] for m in machines)


def test_engine_builds_one_machine_per_version_not_per_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []

    class CountingMachine(WorkflowMachine):
        def __init__(self, definition: WorkflowDefinition) -> None:
            built.append(definition.key)
            super().__init__(definition)

    monkeypatch.setattr("engine.workflow.registry.WorkflowMachine", CountingMachine)
    registry = WorkflowRegistry.from_paths(bundled_paths())
    clock = FakeClock(datetime(2024, 11, 25, 9, 0, tzinfo=UTC))
    engine = CaseEngine(
        store=InMemoryCaseStore(),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("jur", ["caseworker"])

    for i in range(3):
        number = engine.open_case(
            "ombudsman-inquiry", actor="jur", title=f"Case {i}"
        ).case.number
        engine.fire(number, "send_inquiry", actor="jur")
        engine.fire(number, "mark_dispatched", actor="jur")
        number = engine.open_case(
            "access-to-documents", actor="jur", title=f"Request {i}"
        ).case.number
        engine.fire(number, "start_processing", actor="jur")

    assert sorted(built) == ["access-to-documents@3", "ombudsman-inquiry@3"]
