"""Tests for `engine.explain.diagram.svg`: the SVG drawing of a workflow.

The drawing is parsed back with ElementTree and its geometry checked from the
boxes it emits: every state and edge drawn once, nothing outside the view box,
no two boxes on top of each other, no label over a box or another label.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.exceptions import InvalidInputError
from engine.explain.diagram.fonts import text_width
from engine.explain.diagram.geometry import Box, EdgeSpec, NodeSpec
from engine.explain.diagram.layout import layered
from engine.explain.diagram.svg import to_svg
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from workflows import bundled_paths

NS = "{http://www.w3.org/2000/svg}"
PATHS = {p.stem: p for p in bundled_paths()}
BUNDLED = {stem: load_workflow_file(p, guards=GUARDS) for stem, p in PATHS.items()}

MINI = """\
name: mini
version: 1
title: Mini workflow
states:
  start:
    kind: initial
    description: {description}
  waiting:
    kind: waiting
    deadline: {{within: 5 working days}}
  done:
    kind: final
open:
  to: start
  roles: [caseworker]
transitions:
  - event: ask
    from: start
    to: waiting
    roles: [caseworker]
  - event: finish
    from: [start, waiting]
    to: done
    roles: [caseworker, advisor]
"""
LOOPS = """\
  - event: nudge
    from: waiting
    to: waiting
    roles: [caseworker]
  - event: extend_the_deadline_once_more
    from: waiting
    to: waiting
    roles: [advisor]
  - event: remind
    from: waiting
    to: waiting
    roles: [caseworker]
"""


def mini(description: str = "plain", extra: str = "") -> WorkflowDefinition:
    text = MINI.format(description=description) + extra
    return parse_workflow(text, source="mini.yaml", guards=GUARDS)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if kind in g.get("class", "").split()]


def box_of(rect: ET.Element) -> Box:
    return Box(
        x=float(rect.get("x", "")),
        y=float(rect.get("y", "")),
        w=float(rect.get("width", "")),
        h=float(rect.get("height", "")),
    )


def node_boxes(root: ET.Element) -> list[Box]:
    """The outer rectangle of every state."""
    return [box_of(g.findall(f"{NS}rect")[0]) for g in groups(root, "state")]


def label_boxes(root: ET.Element) -> list[Box]:
    """The white box behind every edge's label."""
    return [
        box_of(rect)
        for g in groups(root, "edge")
        for rect in g.findall(f"{NS}rect[@class='label']")
    ]


def view_box(root: ET.Element) -> Box:
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert (root.get("width"), root.get("height")) == (f"{w:g}", f"{h:g}")
    return Box(x=x, y=y, w=w, h=h)


def inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and inner.x + inner.w <= outer.x + outer.w
        and outer.y <= inner.y
        and inner.y + inner.h <= outer.y + outer.h
    )


def assert_geometry(root: ET.Element) -> None:
    """Inside the view box; no node, label or pair of them on top of another."""
    frame, nodes, labels = view_box(root), node_boxes(root), label_boxes(root)
    assert len(labels) == len(groups(root, "edge"))
    for box in nodes + labels:
        assert inside(box, frame), box
    for a, b in combinations(nodes + labels, 2):
        assert not a.overlaps(b), (a, b)


@pytest.fixture(params=sorted(BUNDLED))
def bundled(request: pytest.FixtureRequest) -> WorkflowDefinition:
    return BUNDLED[request.param]


class TestBundled:
    def test_every_state_is_one_group(self, bundled: WorkflowDefinition) -> None:
        root = parse(to_svg(bundled))
        drawn = [g.get("data-state") for g in groups(root, "state")]
        assert drawn == [s.name for s in bundled.states]

    def test_every_transition_is_an_edge(self, bundled: WorkflowDefinition) -> None:
        root = parse(to_svg(bundled))
        drawn = {
            (g.get("data-source"), g.get("data-event"), g.get("data-target"))
            for g in groups(root, "edge")
        }
        expected = {
            (source, t.event, t.target(source))
            for t in bundled.transitions
            if not t.internal
            for source in t.sources
        }
        assert drawn == expected | {(None, "open", bundled.initial)}
        assert len(groups(root, "edge")) == len(expected) + 1

    def test_internal_events_are_listed_once(self, bundled: WorkflowDefinition) -> None:
        svg = to_svg(bundled)
        assert 'data-event="note"' not in svg
        assert "Events that keep the state: note</text>" in svg

    def test_boxes_and_labels_stay_apart(self, bundled: WorkflowDefinition) -> None:
        assert_geometry(parse(to_svg(bundled, current=bundled.initial)))

    def test_only_the_current_state_is_marked(
        self, bundled: WorkflowDefinition
    ) -> None:
        for state in bundled.states:
            root = parse(to_svg(bundled, current=state.name))
            marked = [
                g.get("data-state")
                for g in groups(root, "state")
                if "current" in g.get("class", "") or g.get("aria-current")
            ]
            assert marked == [state.name]
            (group,) = groups(root, "current")
            assert group.get("aria-current") == "true"
            desc = root.find(f"{NS}desc")
            assert desc is not None
            assert f"The case is in the state {state.name}." in (desc.text or "")

    def test_nothing_is_marked_without_a_current_state(
        self, bundled: WorkflowDefinition
    ) -> None:
        svg = to_svg(bundled)
        assert "current" not in svg.replace("current one", "")


def test_the_same_declaration_gives_the_same_bytes() -> None:
    for stem, path in PATHS.items():
        again = load_workflow_file(path, guards=GUARDS)
        first = to_svg(BUNDLED[stem], current=again.initial)
        assert first == to_svg(again, current=again.initial)
        assert first == to_svg(BUNDLED[stem], current=again.initial)


def test_accessible_name_and_description() -> None:
    d = BUNDLED["ombudsman_inquiry"]
    root = parse(to_svg(d, current="awaiting_reply"))
    assert root.get("role") == "img"
    (title_id,) = (root.get("aria-labelledby") or "").split()
    title = root.find(f"{NS}title")
    assert title is not None
    assert title.get("id") == title_id
    assert title.text == "ombudsman-inquiry version 3: Inquiry to an administration"
    desc = root.find(f"{NS}desc")
    assert desc is not None
    assert desc.get("id") == root.get("aria-describedby")
    assert "No state" in (to_svg(d).split("<desc")[1])
    named = parse(to_svg(d, title="Sag 2024-0000001"))
    assert named.findtext(f"{NS}title") == "Sag 2024-0000001"


def test_in_danish_every_word_of_the_diagram_s_own_is_danish() -> None:
    d = BUNDLED["ombudsman_inquiry"]
    danish = to_svg(d, current="awaiting_reply", language="da")
    english = to_svg(d, current="awaiting_reply")
    root = parse(danish)
    desc = root.findtext(f"{NS}desc") or ""
    assert desc.startswith("Sagen er i tilstanden awaiting_reply. Tilstande: ")
    assert "awaiting_reply (venter)" in desc
    assert "send_inquiry fra opened til inquiry_sent" in desc
    assert "Hændelser der ikke skifter tilstand: note</text>" in danish
    assert "Stiplet kant: venter på nogen uden for kontoret" in danish
    assert "sagens nuværende tilstand (awaiting_reply)." in danish
    assert (
        "frist: reply_by hvis givet, ellers 20 arbejdsdage efter at sagen kom" in danish
    )
    assert ">frist: reply_by eller 20 arbejdsdage</text>" in danish
    assert ">rykkerstige: 3 trin</text>" in danish
    assert "rykker 1: reminder_1 → authority, owner, derefter 10 arbejdsdage" in (
        danish
    )
    assert "opened (start)" in danish
    assert "open: en ny sag → opened" in danish
    # Events and descriptions are the workflow's own words (extend_deadline).
    for word in ("border", "\ndeadline:", "chase", "working day", "(initial)"):
        assert word not in danish
    drawn = [g.attrib for g in groups(root, "state")]  # the same states, marked alike
    assert drawn == [g.attrib for g in groups(parse(english), "state")]
    assert_geometry(root)


def test_an_unknown_diagram_language_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="language must be one of en, da"):
        to_svg(BUNDLED["ombudsman_inquiry"], language="de")


def test_kinds_are_drawn_apart() -> None:
    root = parse(to_svg(BUNDLED["ombudsman_inquiry"], current="assessed"))
    rects = {g.get("data-state"): g.findall(f"{NS}rect") for g in groups(root, "state")}
    assert len(rects["closed"]) == 2  # a double border
    assert rects["awaiting_reply"][0].get("stroke-dasharray")
    assert not rects["opened"][0].get("stroke-dasharray")
    current, plain = rects["assessed"][0], rects["opened"][0]
    assert current.get("fill") != plain.get("fill")
    assert float(current.get("stroke-width", "")) > float(plain.get("stroke-width", ""))


def test_tooltips_hold_the_deadline_and_ladder() -> None:
    root = parse(to_svg(BUNDLED["ombudsman_inquiry"]))
    (waiting,) = (
        g for g in groups(root, "state") if g.get("data-state") == "awaiting_reply"
    )
    tooltip = waiting.findtext(f"{NS}title") or ""
    assert tooltip.startswith("awaiting_reply (waiting): The administration")
    assert "chase 3: escalation → advisor, owner" in tooltip


def test_self_contained() -> None:
    svg = to_svg(BUNDLED["access_to_documents"], current="decided")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    for banned in ("<script", "<style", "href", "<image", "@import", "<?xml"):
        assert banned not in svg
    assert re.findall(r"https?://[^\"]*", svg) == ["http://www.w3.org/2000/svg"]


def test_unknown_current_state_is_refused() -> None:
    with pytest.raises(ValueError, match="'nosuch' is not a state of mini@1"):
        to_svg(mini(), current="nosuch")
    with pytest.raises(InvalidInputError):
        to_svg(mini(), current="")


def test_text_from_the_declaration_is_escaped() -> None:
    nasty = '"<script>alert(1)</script> & <b>"'
    d = replace(mini(nasty), title='Quotes " and <&">')
    svg = to_svg(d, title=d.title + "\x01\ud800")
    assert "<script" not in svg
    root = parse(svg)
    assert root.findtext(f"{NS}title") == 'Quotes " and <&">'
    (start,) = (g for g in groups(root, "state") if g.get("data-state") == "start")
    assert (
        start.findtext(f"{NS}title")
        == "start (initial): <script>alert(1)</script> & <b>"
    )
    parse(to_svg(mini(), title='<&">'))


def test_loops_above_and_below_keep_apart() -> None:
    root = parse(to_svg(mini(extra=LOOPS), current="waiting"))
    loops = [
        g for g in groups(root, "edge") if g.get("data-source") == g.get("data-target")
    ]
    assert [g.get("data-event") for g in loops] == [
        "nudge",
        "extend_the_deadline_once_more",
        "remind",
    ]
    assert_geometry(root)


def test_states_the_initial_one_does_not_reach_are_drawn() -> None:
    d = mini()
    cut = replace(d, transitions=d.transitions[1:])  # nothing leads to 'waiting'
    root = parse(to_svg(cut))
    assert [g.get("data-state") for g in groups(root, "state")] == [
        "start",
        "waiting",
        "done",
    ]
    assert_geometry(root)
    boxes = dict(zip(["start", "waiting", "done"], node_boxes(root), strict=True))
    assert boxes["waiting"].x > boxes["done"].x  # drawn after the reachable ones
    alone = parse(to_svg(replace(d, transitions=())))
    assert len(groups(alone, "state")) == 3
    assert_geometry(alone)


def test_the_layout_leaves_loops_to_the_caller() -> None:
    with pytest.raises(ValueError, match="loops"):
        layered(
            [NodeSpec(w=10, h=10)],
            [EdgeSpec(source=0, target=0, size=(10, 10))],
            root=0,
        )


def test_text_width_counts_wide_and_combining_characters() -> None:
    assert text_width("ab", 10) < text_width("mw", 10)
    assert text_width("e\u0301", 10) == text_width("e", 10)
    assert text_width("日", 10) == pytest.approx(10.4)
    assert text_width("a", 10, bold=True) > text_width("a", 10)


# -- random workflows ----------------------------------------------------------------
@st.composite
def workflow_texts(draw: st.DrawFn) -> str:
    """A valid declaration of 2 to 8 states and random transitions between them."""
    n = draw(st.integers(min_value=2, max_value=8))
    names = [f"s{i}" + "_step" * draw(st.integers(0, 3)) for i in range(n)]
    finals = {n - 1} | draw(st.sets(st.integers(1, n - 1), max_size=2))
    waiting = draw(st.sets(st.integers(1, n - 1), max_size=2)) - finals
    edges = [(draw(st.integers(0, i - 1)), i) for i in range(1, n)]
    edges += draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10)
    )
    stuck = {i for i in range(n) if i not in finals}
    edges += [(i, n - 1) for i in sorted(stuck) if i != n - 1]
    roles = st.lists(
        st.sampled_from(["intake", "caseworker", "advisor"]),
        min_size=1,
        max_size=3,
        unique=True,
    )
    lines = ["name: random", "version: 1", "title: Random", "states:"]
    for i, name in enumerate(names):
        kind = (
            "initial"
            if i == 0
            else "final"
            if i in finals
            else "waiting"
            if i in waiting
            else "normal"
        )
        lines += [f"  {name}:", f"    kind: {kind}"]
        if kind == "waiting":
            lines.append("    deadline: {within: 5 working days}")
    lines += ["open:", f"  to: {names[0]}", "  roles: [caseworker]", "transitions:"]
    seen: set[tuple[int, int]] = set()
    for k, (a, b) in enumerate(edges):
        if (a, b) in seen:
            continue
        seen.add((a, b))
        lines += [
            f"  - event: e{k}" + "_event" * draw(st.integers(0, 2)),
            f"    from: {names[a]}",
            f"    to: {names[b]}",
            f"    roles: [{', '.join(draw(roles))}]",
        ]
    if draw(st.booleans()):
        lines += [
            "  - event: note",
            f"    from: [{names[0]}]",
            "    internal: true",
            "    roles: [caseworker]",
        ]
    return "\n".join(lines) + "\n"


@given(text=workflow_texts(), data=st.data())
@settings(deadline=None, max_examples=60)
def test_random_workflows_are_drawn_cleanly(text: str, data: st.DataObject) -> None:
    d = parse_workflow(text, source="random.yaml", guards=GUARDS)
    current = data.draw(st.sampled_from([None, *(s.name for s in d.states)]))
    root = parse(to_svg(d, current=current))
    assert len(groups(root, "state")) == len(d.states)
    assert len(groups(root, "current")) == (current is not None)
    assert_geometry(root)
