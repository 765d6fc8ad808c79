"""Draw a workflow definition as a standalone SVG image, a case's state marked.

Pure Python, no Graphviz: `engine.explain.diagram.layout` places the states and routes
the edges, this module measures the text and writes the markup. The output is
deterministic (the same definition gives the same bytes) and fit both to be
inlined in an HTML page and to be served as `image/svg+xml`: no script, no
stylesheet (a `<style>` element inlined in a page would style the whole page), no
external reference, and ids prefixed with the workflow's name and version.
State names, titles and descriptions come from user YAML, so every text is
escaped. Text widths are estimated with the metrics of DejaVu Sans, which is
wider than Helvetica and Arial, so a label fits its box whichever font renders.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from itertools import pairwise
from typing import NamedTuple

from engine.exceptions import InvalidInputError
from engine.explain.diagram.fonts import text_width
from engine.explain.diagram.geometry import Box, EdgeSpec, Layout, NodeSpec, Point
from engine.explain.diagram.layout import layered
from engine.explain.diagram.text import duration, state_note
from engine.explain.diagram.words import WORDS
from engine.workflow.definition import State, StateKind, WorkflowDefinition
from engine.workflow.labels import Labels, Spoken

FONT = "Helvetica, Arial, sans-serif"
INK, MUTED, LINE, PAPER = "#1f2933", "#52606d", "#3e4c59", "#ffffff"
CURRENT_FILL, CURRENT_LINE = "#1d4f91", "#0b1f3a"  # dark in grayscale too
MARGIN, PAD_X, PAD_Y, LOOP_RISE = 16.0, 14.0, 9.0, 16.0
NAME, NOTE, EVENT, ROLES, HEADING, CAPTION = 13.0, 10.5, 11.5, 10.0, 15.0, 11.0

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Edge(NamedTuple):
    source: str  # "" for the opening
    event: str
    target: str
    roles: str
    said: str  # the event's label


def to_svg(
    d: WorkflowDefinition,
    *,
    current: str | None = None,
    title: str | None = None,
    language: str = "en",
    spoken: Spoken | None = None,
) -> str:
    """The diagram of `d` as an SVG document, the state `current` highlighted.

    Args:
        d: the workflow definition.
        current: the state to mark as the case's current one, if any.
        title: the accessible name and visible heading; by default
            "{name} version {version}: {title}".
        language: of the legend and the description, "en" or "da".
        spoken: the states' and events' labels; without, their identifiers
            (a workflow's author reads those). `data-*` keep the identifiers.

    Raises:
        InvalidInputError: (a `ValueError`) if `current` is not a state of `d`,
            or `language` is not known.
    """
    names = [s.name for s in d.states]
    if current is not None and current not in names:
        raise InvalidInputError(
            f"{current!r} is not a state of {d.key} (states: {', '.join(names)})"
        )
    if language not in WORDS:
        raise InvalidInputError(f"language must be one of {', '.join(WORDS)}")
    words = WORDS[language]
    said = spoken or Labels().speaking(language)
    named = said.workflow(d.name)  # its label is its title, in the language
    default = f"{named}, version {d.version}" if named != d.name else None
    heading = title or default or f"{d.name} version {d.version}: {d.title}"
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", f"sagsflow-{d.name}-{d.version}")
    prefix += f"-{current}" if current else ""
    edges = [
        _Edge(source, t.event, t.target(source), "/".join(t.roles), said.event(t.event))
        for t in d.transitions
        if not t.internal
        for source in t.sources
    ]
    loops = {n: [e for e in edges if e.source == n == e.target] for n in names}
    opening = _Edge(
        "",
        d.opening.event,
        d.initial,
        "/".join(d.opening.roles),
        said.event(d.opening.event),
    )
    links = [opening, *(e for e in edges if e.source != e.target)]
    index = {name: i for i, name in enumerate(names)} | {"": len(names)}
    top = MARGIN + HEADING * 1.3 + 14
    layout = layered(
        [
            *(_node_spec(s, loops[s.name], words, said) for s in d.states),
            NodeSpec(w=14, h=14),
        ],
        [
            EdgeSpec(source=index[e.source], target=index[e.target], size=_label(e))
            for e in links
        ],
        root=len(names),
        origin=(MARGIN, top),
    )
    internal = [said.event(t.event) for t in d.transitions if t.internal]
    captions = [words["internal"].format(events=", ".join(internal))] * bool(internal)
    captions.append(_legend(d, said.state(current) if current else None, words))
    width = 2 * MARGIN + max(
        layout.width,
        text_width(heading, HEADING, bold=True),
        *(text_width(c, CAPTION) for c in captions),
    )
    height = top + layout.height + 14 + len(captions) * CAPTION * 1.5 + MARGIN
    size = f'width="{_n(width)}" height="{_n(height)}"'
    description = _describe(d, edges, current, words, said)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)}'
        f' {_n(height)}" {size} role="img" aria-labelledby="{prefix}-title"'
        f' aria-describedby="{prefix}-desc" font-family="{FONT}"'
        ' style="max-width:100%;height:auto">',
        f'<title id="{prefix}-title">{_x(heading)}</title>',
        f'<desc id="{prefix}-desc">{_x(description)}</desc>',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5"'
        ' markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse"'
        f' orient="auto"><path d="M0,1L10,5L0,9z" fill="{LINE}"/></marker></defs>',
        f'<rect width="100%" height="100%" fill="{PAPER}"/>',
        _text(MARGIN, MARGIN + HEADING / 2, heading, HEADING, INK, bold=True),
        *_drawing(
            d, layout, links, loops, current, f"url(#{prefix}-arrow)", words, said
        ),
    ]
    y = top + layout.height + 14
    for k, caption in enumerate(captions):
        out.append(
            _text(MARGIN, y + (k + 0.5) * CAPTION * 1.5, caption, CAPTION, MUTED)
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _drawing(
    d: WorkflowDefinition,
    layout: Layout,
    links: list[_Edge],
    loops: dict[str, list[_Edge]],
    current: str | None,
    arrow: str,
    words: Mapping[str, str],
    said: Spoken,
) -> list[str]:
    """The edges, the start marker and the states (over the edges' ends)."""
    out = [
        _edge_group(e, _path(route.points), route.label, arrow, words)
        for e, route in zip(links, layout.routes, strict=True)
    ]
    start = layout.nodes[-1]
    out.append(f'<circle cx="{_n(start.cx)}" cy="{_n(start.cy)}" r="6" fill="{LINE}"/>')
    for state, box in zip(d.states, layout.nodes, strict=False):
        for k, e in enumerate(loops[state.name]):
            path, label = _loop(box, k, len(loops[state.name]), _label(e))
            out.append(_edge_group(e, path, label, arrow, words))
        current_one = state.name == current
        out.append(_state_group(state, box, words, said, current=current_one))
    return out


def _node_lines(state: State, words: Mapping[str, str], said: Spoken) -> list[str]:
    """The short note under a state's name; the tooltip has the whole of it."""
    lines = [words["paused"]] if state.pauses else []
    if (deadline := state.deadline) is not None:
        within = duration(deadline.within, words)
        either = (
            words["either"].format(until=said.field(deadline.until), within=within)
            if deadline.until and within
            else ""
        )
        until = said.field(deadline.until) if deadline.until else ""
        lines.append(words["due"].format(what=either or until or within))
    if state.ladder is not None:
        n = len(state.ladder.rungs)
        lines.append(words["ladder.one" if n == 1 else "ladder"].format(n=n))
    return lines


def _node_spec(
    state: State, loops: list[_Edge], words: Mapping[str, str], said: Spoken
) -> NodeSpec:
    lines = _node_lines(state, words, said)
    w = max(
        [text_width(said.state(state.name), NAME, bold=True)]
        + [text_width(line, NOTE) for line in lines]
    )
    h = 2 * PAD_Y + NAME * 1.25 + len(lines) * NOTE * 1.35
    if state.kind is StateKind.FINAL:  # room for the inner border
        w, h = w + 8, h + 6
    sizes = [_label(e) for e in loops]
    rise = [LOOP_RISE + lh + k // 2 * (lh + 8) for k, (_, lh) in enumerate(sizes)]
    return NodeSpec(
        w=max(w + 2 * PAD_X, 90.0),
        h=h,
        above=max(rise[0::2], default=0.0),
        below=max(rise[1::2], default=0.0),
        slot_w=max((lw for lw, _ in sizes), default=0.0),
    )


def _label(e: _Edge) -> tuple[float, float]:
    """The size of an edge's label: the event, and the roles under it."""
    w = max(text_width(e.said, EVENT), text_width(f"[{e.roles}]", ROLES))
    return w + 8, EVENT * 1.25 + ROLES * 1.25 + 6


def _loop(box: Box, k: int, n: int, size: tuple[float, float]) -> tuple[str, Box]:
    """Loop `k` of `n` on a state, over the box (even `k`) or under it; its label.

    Loops on one side nest: the outer ones higher and wider.
    """
    lw, lh = size
    sign = -1 if k % 2 == 0 else 1
    edge = box.y if sign < 0 else box.y + box.h
    mid = edge + sign * (LOOP_RISE + lh / 2 + k // 2 * (lh + 8))
    inside = (n - k % 2 + 1) // 2 - 1 - k // 2  # loops nested in this one
    a, r = max(12.0, box.w / 2 - 16 - inside * 10), 6.0
    x1, x2 = box.cx + a, box.cx - a
    path = (
        f"M{_n(x1)},{_n(edge)}V{_n(mid - sign * r)}Q{_n(x1)},{_n(mid)}"
        f" {_n(x1 - r)},{_n(mid)}H{_n(x2 + r)}Q{_n(x2)},{_n(mid)}"
        f" {_n(x2)},{_n(mid - sign * r)}V{_n(edge)}"
    )
    return path, Box(x=box.cx - lw / 2, y=mid - lh / 2, w=lw, h=lh)


def _path(points: tuple[Point, ...]) -> str:
    """Straight where level, else a curve that leaves and arrives level."""
    parts = [f"M{_n(points[0][0])},{_n(points[0][1])}"]
    for (x1, y1), (x2, y2) in pairwise(points):
        if abs(y1 - y2) < 0.05:
            parts.append(f"H{_n(x2)}")
        else:
            dx = (x2 - x1) / 2
            parts.append(
                f"C{_n(x1 + dx)},{_n(y1)} {_n(x2 - dx)},{_n(y2)} {_n(x2)},{_n(y2)}"
            )
    return "".join(parts)


def _edge_group(
    e: _Edge, path: str, label: Box, arrow: str, words: Mapping[str, str]
) -> str:
    source = f' data-source="{_x(e.source)}"' if e.source else ""
    kind = "edge" if e.source else "edge start"
    roles, new = e.roles.replace("/", ", "), words["new_case"]
    lines = [
        f'<g class="{kind}" data-event="{_x(e.event)}"{source}'
        f' data-target="{_x(e.target)}">',
        f"<title>{_x(f'{e.said}: {e.source or new} → {e.target} ({roles})')}</title>",
        f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="1.4"'
        f' marker-end="{arrow}"/>',
        f'<rect class="label" x="{_n(label.x)}" y="{_n(label.y)}"'
        f' width="{_n(label.w)}" height="{_n(label.h)}" rx="3" fill="{PAPER}"/>',
        _text(label.cx, label.y + 3 + EVENT * 0.625, e.said, EVENT, INK, mid=True),
        _text(
            label.cx,
            label.y + 3 + EVENT * 1.25 + ROLES * 0.625,
            f"[{e.roles}]",
            ROLES,
            MUTED,
            mid=True,
        ),
        "</g>",
    ]
    return "\n".join(lines)


def _state_group(
    state: State, box: Box, words: Mapping[str, str], said: Spoken, *, current: bool
) -> str:
    kind = (
        ""
        if state.kind is StateKind.NORMAL
        else f" ({words['kind.' + state.kind.value]})"
    )
    about = f"{said.state(state.name)}{kind}" + (
        f": {state.description}" * bool(state.description)
    )
    stroke = f'stroke="{CURRENT_LINE if current else LINE}"'
    dash = ' stroke-dasharray="6 4"' * (state.kind is StateKind.WAITING)
    mark = ' class="state current" aria-current="true"' if current else ' class="state"'
    out = [
        f'<g{mark} data-state="{_x(state.name)}">',
        f"<title>{_x(chr(10).join([about, *state_note(state, words)]))}</title>",
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}"'
        f' height="{_n(box.h)}" rx="9" fill="{CURRENT_FILL if current else PAPER}"'
        f' {stroke} stroke-width="{3.5 if current else 1.5}"{dash}/>',
    ]
    if state.kind is StateKind.FINAL:
        out.append(
            f'<rect x="{_n(box.x + 4)}" y="{_n(box.y + 4)}" width="{_n(box.w - 8)}"'
            f' height="{_n(box.h - 8)}" rx="6" fill="none" {stroke}'
            ' stroke-width="1.2"/>'
        )
    lines = _node_lines(state, words, said)
    y = box.cy - (NAME * 1.25 + len(lines) * NOTE * 1.35) / 2
    ink, muted = (PAPER, PAPER) if current else (INK, MUTED)
    out.append(
        _text(
            box.cx,
            y + NAME * 0.625,
            said.state(state.name),
            NAME,
            ink,
            bold=True,
            mid=True,
        )
    )
    for k, line in enumerate(lines):
        y_line = y + NAME * 1.25 + (k + 0.5) * NOTE * 1.35
        out.append(_text(box.cx, y_line, line, NOTE, muted, mid=True))
    out.append("</g>")
    return "\n".join(out)


def _legend(
    d: WorkflowDefinition, current: str | None, words: Mapping[str, str]
) -> str:
    parts = []
    if any(s.kind is StateKind.WAITING for s in d.states):
        parts.append(words["waiting"])
    parts.append(words["final"])
    if current is not None:
        parts.append(words["current"].format(state=current))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _describe(
    d: WorkflowDefinition,
    edges: list[_Edge],
    current: str | None,
    words: Mapping[str, str],
    said: Spoken,
) -> str:
    now = (
        words["now"].format(state=said.state(current))
        if current is not None
        else words["no_current"]
    )
    states = ", ".join(
        said.state(s.name)
        if s.kind is StateKind.NORMAL
        else f"{said.state(s.name)} ({words['kind.' + s.kind.value]})"
        for s in d.states
    )
    steps = "; ".join(
        words["step"].format(
            event=e.said, source=said.state(e.source), target=said.state(e.target)
        )
        for e in edges
    )
    return words["describe"].format(
        now=now, states=states, steps=steps or words["none"]
    )


def _text(
    x: float,
    y: float,
    text: str,
    size: float,
    fill: str,
    *,
    bold: bool = False,
    mid: bool = False,
) -> str:
    """One line of text, vertically centred on `y`; centred on `x` or from it."""
    extra = ' text-anchor="middle"' * mid + ' font-weight="bold"' * bold
    return (
        f'<text x="{_n(x)}" y="{_n(y + size * 0.35)}" font-size="{_n(size)}"'
        f' fill="{fill}"{extra}>{_x(text)}</text>'
    )


def _x(text: str) -> str:
    """`text` escaped for XML, without the characters XML cannot hold."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
