"""A sequence the store reads only when something looks at it.

A transition with guards hands them the case's history and documents; most
guards decide from the event's data alone (`heard_before_criticism` reads the
documents only for an outcome that criticises), so reading both for every such
step was a twentieth of bench W1. A `Later` reads them, within the same
transaction, the first time a guard asks, and keeps what it read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Later(Sequence[T]):
    """`load()`'s sequence, read on first use and kept."""

    __slots__ = ("_items", "_load")

    def __init__(self, load: Callable[[], Sequence[T]]) -> None:
        self._load = load
        self._items: Sequence[T] | None = None

    def _got(self) -> Sequence[T]:
        items = self._items
        if items is None:
            items = self._items = self._load()
        return items

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self._got()[index]

    def __len__(self) -> int:
        return len(self._got())

    def __iter__(self) -> Iterator[T]:
        return iter(self._got())

    def __reversed__(self) -> Iterator[T]:
        return reversed(self._got())

    @property
    def read(self) -> bool:
        """Whether the store was asked (for tests and the curious)."""
        return self._items is not None
