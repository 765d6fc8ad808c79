"""What a layout is made of: boxes, the routes edges take, the finished layout.

`engine.explain.diagram.layout` computes a `Layout`; the SVG draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True, kw_only=True, slots=True)
class Box:
    x: float  # left
    y: float  # top
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeSpec:
    """A node's box, and room kept free above, below and beside it (for loops)."""

    w: float
    h: float
    above: float = 0.0
    below: float = 0.0
    slot_w: float = 0.0  # the width kept free, if more than `w`


@dataclass(frozen=True, kw_only=True, slots=True)
class EdgeSpec:
    source: int
    target: int  # not `source`: the caller draws loops itself
    size: tuple[float, float]  # of the label: width, height


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    """Where an edge runs: `points` go from the source's side to the target's."""

    points: tuple[Point, ...]
    label: Box
    reversed: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class Layout:
    nodes: tuple[Box, ...]  # the boxes, in the order of the specs (heights grown)
    routes: tuple[Route, ...]  # in the order of the edges
    width: float
    height: float
