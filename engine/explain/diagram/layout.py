"""A layered, left-to-right layout of a directed graph, for the SVG diagrams.

The Sugiyama scheme, kept small: back edges are found by a depth-first search
from the root (edges in the order given) and drawn reversed; a node's rank is
the longest path to it from the root over the remaining edges, and nodes the
root does not reach are ranked after the rest. Ranks are doubled, so every
edge passes at least one column between its ends, and an edge is a chain of
placeholders, one a column it crosses. One placeholder of each chain carries
the edge's label, as wide and tall as the label: the label then gets its own
place in its column, like a node, and no label can overlap a node or another
label. Barycenter sweeps order each column (the order with the fewest
crossings wins); the vertical positions are a weighted fit to the neighbours
under minimum gaps (isotonic regression, pool adjacent violators), least
squares first, then reweighted towards least absolute distances, which keeps
long edges straight; a last pass puts each edge on one line where there is room.
Edges leave a node on its right and enter on its left (reversed edges the other
way round) and run straight through every column, bending only in the gaps
between columns, where there are no boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from engine.explain.diagram.geometry import (
    Box,
    EdgeSpec,
    Layout,
    NodeSpec,
    Point,
    Route,
)

GAP_X = 34.0  # between two columns: where edges bend
GAP_Y = 22.0  # between two boxes (nodes or labels) in one column
LANE_GAP = 12.0  # between an edge passing through a column and its neighbours
PORT_GAP = 13.0  # between two edges on one side of a box
SWEEPS = 8


@dataclass(kw_only=True, slots=True)
class _Item:
    """A node or an edge's placeholder in one column."""

    layer: int
    up: float  # extent above the line edges attach to
    down: float
    w: float
    node: int | None = None
    y: float = 0.0
    left: list[tuple[int, float]] = field(default_factory=list)  # (item, weight)
    right: list[tuple[int, float]] = field(default_factory=list)


def layered(
    nodes: Sequence[NodeSpec],
    edges: Sequence[EdgeSpec],
    *,
    root: int,
    origin: Point = (0.0, 0.0),
) -> Layout:
    """Lay out `nodes` and `edges` left to right, `root` in the first column.

    Raises:
        ValueError: for a loop (an edge from a node to itself).
    """
    if any(e.source == e.target for e in edges):
        raise ValueError("loops are drawn by the caller, not laid out")
    rank, flipped, preorder = _ranks(len(nodes), edges, root)
    ends = [
        (e.target, e.source) if flip else (e.source, e.target)
        for e, flip in zip(edges, flipped, strict=True)
    ]
    ports: list[list[int]] = [[0, 0] for _ in nodes]  # left, right
    for lo, hi in ends:
        ports[lo][1] += 1
        ports[hi][0] += 1
    heights = [
        max(n.h, (max(p) + 1) * PORT_GAP) for n, p in zip(nodes, ports, strict=True)
    ]
    items = [
        _Item(
            layer=2 * rank[i],
            up=h / 2 + n.above,
            down=h / 2 + n.below,
            w=max(n.w, n.slot_w),
            node=i,
        )
        for i, (n, h) in enumerate(zip(nodes, heights, strict=True))
    ]
    chains, labels = _chains(items, edges, ends, rank)
    layers = _order(items, preorder)
    _place(items, layers)
    _straighten(items, layers, chains)
    top = min(it.y - it.up for it in items)
    for it in items:
        it.y += origin[1] - top
    widths = [max((items[i].w for i in layer), default=0.0) for layer in layers]
    lefts = [origin[0] + sum(widths[:i]) + GAP_X * i for i in range(len(layers))]
    boxes = tuple(
        Box(
            x=lefts[it.layer] + (widths[it.layer] - nodes[i].w) / 2,
            y=it.y - heights[i] / 2,
            w=nodes[i].w,
            h=heights[i],
        )
        for i, it in enumerate(items[: len(nodes)])
    )
    attach = _ports(items, chains, boxes)
    routes = []
    for e, (chain, label) in enumerate(zip(chains, labels, strict=True)):
        # straight through every column, bending only between columns
        (lo_y, hi_y), start, end = attach[e], boxes[chain[0]], boxes[chain[-1]]
        points: list[Point] = [(start.x + start.w, lo_y)]
        points += [(lefts[items[chain[0]].layer] + widths[items[chain[0]].layer], lo_y)]
        for it in (items[i] for i in chain[1:-1]):
            points += [
                (lefts[it.layer], it.y),
                (lefts[it.layer] + widths[it.layer], it.y),
            ]
        points += [(lefts[items[chain[-1]].layer], hi_y), (end.x, hi_y)]
        mid, (w, h) = items[label], edges[e].size
        x = lefts[mid.layer] + (widths[mid.layer] - w) / 2
        routes.append(
            Route(
                points=tuple(reversed(points)) if flipped[e] else tuple(points),
                label=Box(x=x, y=mid.y - h / 2, w=w, h=h),
                reversed=flipped[e],
            )
        )
    width = lefts[-1] + widths[-1] - origin[0]
    height = max(it.y + it.down for it in items) - origin[1]
    return Layout(nodes=boxes, routes=tuple(routes), width=width, height=height)


def _ranks(
    n: int, edges: Sequence[EdgeSpec], root: int
) -> tuple[list[int], list[bool], list[int]]:
    """Ranks, which edges point back, and the nodes in the order first visited."""
    out: list[list[int]] = [[] for _ in range(n)]
    for i, e in enumerate(edges):
        out[e.source].append(i)
    status = [0] * n  # 0 unseen, 1 on the path, 2 done
    back: set[int] = set()
    preorder: list[int] = []
    postorder: list[int] = []

    def visit(u: int) -> None:
        status[u] = 1
        preorder.append(u)
        for i in out[u]:
            v = edges[i].target
            if status[v] == 1:
                back.add(i)
            elif status[v] == 0:
                visit(v)
        status[u] = 2
        postorder.append(u)

    visit(root)
    reached = set(preorder)
    for u in range(n):
        if status[u] == 0:
            visit(u)
    rank = [0] * n
    for u in reversed(postorder):  # a topological order without the back edges
        for i in out[u]:
            v = edges[i].target
            if i not in back and (u in reached) == (v in reached):
                rank[v] = max(rank[v], rank[u] + 1)
    after = max(rank[u] for u in reached) + 1
    for u in range(n):
        if u not in reached:
            rank[u] += after
    flipped = [rank[e.source] > rank[e.target] for e in edges]
    return rank, flipped, preorder


def _chains(
    items: list[_Item],
    edges: Sequence[EdgeSpec],
    ends: list[tuple[int, int]],
    rank: list[int],
) -> tuple[list[list[int]], list[int]]:
    """Each edge's items, left to right, and the one that carries its label."""
    chains: list[list[int]] = [[] for _ in edges]
    labels = [0] * len(edges)
    count: dict[int, int] = {}  # labels per column so far
    by_span = sorted(
        range(len(edges)), key=lambda e: (rank[ends[e][1]] - rank[ends[e][0]], e)
    )
    for e in by_span:
        lo, hi = ends[e]
        first, last = 2 * rank[lo], 2 * rank[hi]
        mid = (first + last) / 2
        label = min(
            range(first + 1, last, 2),
            key=lambda layer: (count.get(layer, 0), abs(layer - mid), layer),
        )
        count[label] = count.get(label, 0) + 1
        chain = [lo]
        for layer in range(first + 1, last):
            w, h = edges[e].size if layer == label else (0.0, 0.0)
            items.append(_Item(layer=layer, up=h / 2, down=h / 2, w=w))
            chain.append(len(items) - 1)
            if layer == label:
                labels[e] = len(items) - 1
        chain.append(hi)
        chains[e] = chain
        for a, b in pairwise(chain):
            dummies = (items[a].node is None) + (items[b].node is None)
            weight = (1.0, 2.0, 8.0)[dummies]  # keep long edges straight
            items[a].right.append((b, weight))
            items[b].left.append((a, weight))
    return chains, labels


def _order(items: list[_Item], preorder: list[int]) -> list[list[int]]:
    """The items of each column, top to bottom, with few crossings."""
    layers: list[list[int]] = [[] for _ in range(max(it.layer for it in items) + 1)]
    first = {node: i for i, node in enumerate(preorder)}
    nodes = sorted(
        (i for i, it in enumerate(items) if it.node is not None), key=lambda i: first[i]
    )
    for i in [*nodes, *(i for i, it in enumerate(items) if it.node is None)]:
        layers[items[i].layer].append(i)
    best, fewest = [list(layer) for layer in layers], _crossings(items, layers)
    for _ in range(SWEEPS):
        for forward in (True, False):
            steps = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
            for layer in steps:
                ref = layers[layer - 1 if forward else layer + 1]
                layers[layer] = _by_barycenter(items, layers[layer], ref, forward)
            crossings = _crossings(items, layers)
            if crossings < fewest:
                best, fewest = [list(layer) for layer in layers], crossings
    return best


def _by_barycenter(
    items: list[_Item], layer: list[int], ref: list[int], left: bool
) -> list[int]:
    """`layer` sorted by the mean place of each item's neighbours in `ref`."""
    pos = {item: p for p, item in enumerate(ref)}

    def key(entry: tuple[int, int]) -> float:
        here, i = entry
        near = items[i].left if left else items[i].right
        return sum(pos[j] for j, _ in near) / len(near) if near else here

    return [i for _, i in sorted(enumerate(layer), key=key)]


def _crossings(items: list[_Item], layers: list[list[int]]) -> int:
    total = 0
    for layer, right in pairwise(layers):
        pos = {item: p for p, item in enumerate(right)}
        segs = [(p, pos[j]) for p, i in enumerate(layer) for j, _ in items[i].right]
        total += sum(
            1
            for k, (a1, b1) in enumerate(segs)
            for a2, b2 in segs[k + 1 :]
            if (a1 - a2) * (b1 - b2) < 0
        )
    return total


def _place(items: list[_Item], layers: list[list[int]]) -> None:
    """Vertical positions near the neighbours', in order, the gaps kept.

    Least squares first, then reweighted towards least absolute distances, which
    straightens edges rather than splitting every difference.
    """
    offsets: list[list[float]] = []
    for layer in layers:
        offs, at = [], 0.0
        for k, i in enumerate(layer):
            if k:
                at += _apart(items[layer[k - 1]], items[i])
            offs.append(at)
        offsets.append(offs)
        for i, o in zip(layer, offs, strict=True):
            items[i].y = o - at / 2
    passes = [list(range(len(layers))), list(range(len(layers) - 1, -1, -1))]
    for sweep in range(4 * SWEEPS):
        l1 = sweep >= 2 * SWEEPS
        for li in passes[sweep % 2]:
            layer, offs = layers[li], offsets[li]
            targets, weights = [], []
            for i in layer:
                near = [
                    (j, w / max(abs(items[j].y - items[i].y), 1.0) if l1 else w)
                    for j, w in items[i].left + items[i].right
                ]
                total = sum(w for _, w in near)
                if total:
                    targets.append(sum(items[j].y * w for j, w in near) / total)
                    weights.append(total)
                else:
                    targets.append(items[i].y)
                    weights.append(0.01)
            fitted = _isotonic(
                [t - o for t, o in zip(targets, offs, strict=True)], weights
            )
            for i, z, o in zip(layer, fitted, offs, strict=True):
                items[i].y = z + o


def _straighten(
    items: list[_Item], layers: list[list[int]], chains: list[list[int]]
) -> None:
    """Put each edge's placeholders on one line where their columns leave room."""
    where = {i: (layer, k) for layer in layers for k, i in enumerate(layer)}

    def fits(i: int, y: float) -> bool:
        layer, k = where[i]
        above = items[layer[k - 1]] if k else None
        below = items[layer[k + 1]] if k + 1 < len(layer) else None
        here = items[i]
        return (above is None or y - above.y >= _apart(above, here) - 0.01) and (
            below is None or below.y - y >= _apart(here, below) - 0.01
        )

    for chain in sorted(chains, key=len, reverse=True):
        run = chain[1:-1]
        options = {items[i].y for i in chain}
        for y in sorted(
            options, key=lambda y: (sum(abs(items[i].y - y) for i in run), y)
        ):
            if all(fits(i, y) for i in run):
                for i in run:
                    items[i].y = y
                break


def _apart(upper: _Item, lower: _Item) -> float:
    """The least distance between the lines of two neighbours in a column."""
    lanes = upper.w == 0 or lower.w == 0  # an edge passing through, no label
    return upper.down + (LANE_GAP if lanes else GAP_Y) + lower.up


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence nearest to `values` (weighted least squares)."""
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v * w, w, 1])
        while (
            len(blocks) > 1
            and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]
        ):
            s, w2, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += c
    return [b[0] / b[1] for b in blocks for _ in range(int(b[2]))]


def _ports(
    items: list[_Item], chains: list[list[int]], boxes: tuple[Box, ...]
) -> list[list[float]]:
    """Where each edge leaves its left end and enters its right end."""
    attach = [[0.0, 0.0] for _ in chains]
    sides: dict[tuple[int, int], list[tuple[float, int]]] = {}
    for e, chain in enumerate(chains):
        sides.setdefault((chain[0], 1), []).append((items[chain[1]].y, e))
        sides.setdefault((chain[-1], 0), []).append((items[chain[-2]].y, e))
    for (node, side), found in sides.items():
        box = boxes[node]
        step = min(PORT_GAP * 1.4, box.h / (len(found) + 1))
        for k, (_, e) in enumerate(sorted(found)):
            attach[e][0 if side == 1 else 1] = (
                box.cy + (k - (len(found) - 1) / 2) * step
            )
    return attach
