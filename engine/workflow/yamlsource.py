"""Load YAML into plain Python values while remembering where each value stood.

PyYAML's `safe_load` forgets line numbers and silently keeps the last of two
duplicate keys. Workflow files are written by hand by lawyers and reviewed as
diffs, so every error must point at its line: `compose` the node tree and convert
it ourselves, recording `path -> line` on the way and refusing duplicate keys.

Hazards:
- An alias (`*name`) repeats a whole node, and aliases of aliases multiply: a
  few hundred bytes of nested anchors (a "billion laughs" file) expand into
  gigabytes. A declaration that is read as a diff has no use for them, so any
  alias is refused, found by PyYAML's streaming parser before a node is built.
- A text over `MAX_BYTES` is refused before it is parsed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml

Path = tuple[str | int, ...]
T = TypeVar("T")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# libyaml's parser where PyYAML was built with it (its wheels are): the same
# events, nodes and marks as the pure-Python one, 15-20 times faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 256 * 1024  # the bundled workflows are 3-5 KB


def format_path(path: Path) -> str:
    """Render a path like `events[3].data.outcome`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


@dataclass(slots=True)
class LoadedYaml:
    """A YAML document as plain values plus the line of every value."""

    value: Any
    text: str = ""
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # A mapping's entry by its path: (key, value, the mapping), for the text's
    # places (`engine.workflow.labels` cuts labels out of the rules' text).
    entries: dict[Path, tuple[yaml.Node, yaml.Node, yaml.MappingNode]] = field(
        default_factory=dict
    )

    def line(self, path: Path) -> int | None:
        """The 1-based line of `path`, or of its nearest ancestor that has one."""
        probe = path
        while True:
            if probe in self.lines:
                return self.lines[probe]
            if not probe:
                return None
            probe = probe[:-1]


def load_yaml(text: str, *, source: str) -> LoadedYaml:
    """Parse `text`; bad syntax, duplicate keys, aliases, size become `problems`."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return LoadedYaml(
            value=None,
            problems=[
                f"{source}: the file is {size:,} bytes; a workflow file may have "
                f"at most {MAX_BYTES:,}"
            ],
        )
    refused = _first_alias(text, source)
    if refused is not None:
        return LoadedYaml(value=None, problems=[refused])
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        return LoadedYaml(value=None, problems=[f"{where}: not valid YAML: {problem}"])
    loaded = LoadedYaml(value=None, text=text)
    if node is not None:
        loaded.value = _Converter(source, loaded).convert(node, ())
    return loaded


def _first_alias(text: str, source: str) -> str | None:
    """Where the first alias stands, said as a problem; None when there is none.

    A syntax error ends the scan: `compose` reports it with its place.
    """
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                where = f"{source}:{mark.line + 1}" if mark is not None else source
                return (
                    f"{where}: an alias (*{event.anchor}) repeats another "
                    "part of the file; a workflow file spells every value out"
                )
    except yaml.YAMLError:
        return None
    return None


class _Converter:
    def __init__(self, source: str, loaded: LoadedYaml) -> None:
        self.source = source
        self.loaded = loaded
        self.scalars = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, path: Path) -> Any:
        return _convert(node, path, self)


def _convert(node: yaml.Node, path: Path, conv: _Converter) -> Any:
    loaded, source = conv.loaded, conv.source
    loaded.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(conv.scalars.construct_object(key_node, deep=True))
            child = (*path, key)
            if key in result:
                loaded.problems.append(
                    f"{source}:{key_node.start_mark.line + 1}: {format_path(child)}: "
                    "duplicate key"
                )
                continue
            result[key] = _convert(value_node, child, conv)
            loaded.lines[child] = key_node.start_mark.line + 1
            loaded.entries[child] = (key_node, value_node, node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), conv) for i, item in enumerate(node.value)]
    try:
        return conv.scalars.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:  # e.g. the date 2024-02-30
        loaded.problems.append(
            f"{source}:{node.start_mark.line + 1}: {format_path(path)}: "
            f"{node.value!r} cannot be read ({exc})"
        )
        return node.value


class Reader:
    """Typed reads of loaded YAML values that report problems with their line.

    Subclasses read one kind of document; every check appends a message of the
    form `file:line: path: problem` and returns None (or an empty value), so one
    pass finds every problem.
    """

    def __init__(self, loaded: LoadedYaml, source: str) -> None:
        self.loaded = loaded
        self.source = source
        self.problems: list[str] = []

    def problem(self, path: Path, message: str) -> None:
        line = self.loaded.line(path)
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append(f"{where}: {format_path(path)}: {message}")

    def mapping(
        self, value: Any, path: Path, keys: Iterable[str]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, not {kind_of(value)}")
            return None
        allowed = set(keys)
        for key in value:
            if key not in allowed:
                self.problem(
                    (*path, key), f"unknown key; allowed: {', '.join(sorted(allowed))}"
                )
        return value

    def text(self, value: Any, path: Path, *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"must be a non-empty text, not {kind_of(value)}")
            return None
        return value.strip()

    def name(self, value: Any, path: Path) -> str | None:
        text = self.text(value, path)
        if text is not None and not (set(text) <= _NAME_CHARS and text[0].isalpha()):
            self.problem(path, f"{text!r} must be snake_case (a-z, 0-9, _)")
            return None
        return text

    def names(
        self, value: Any, path: Path, *, empty_ok: bool = False
    ) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or (not items and not empty_ok):
            self.problem(
                path,
                f"must be a name or a non-empty list of names, not {kind_of(value)}",
            )
            return ()
        out = [
            self.name(v, (*path, i) if not isinstance(value, str) else path)
            for i, v in enumerate(items)
        ]
        return tuple(n for n in out if n is not None)

    def each(
        self, value: Any, path: Path, fn: Callable[[Any, Path], T | None]
    ) -> list[T]:
        if not isinstance(value, list):
            self.problem(path, f"must be a list, not {kind_of(value)}")
            return []
        return [r for i, v in enumerate(value) if (r := fn(v, (*path, i))) is not None]


def kind_of(value: Any) -> str:
    """How a value is named in a message: `a list`, `the text 'x'`."""
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: f"the text {value!r}",
        bool: f"{value}".lower(),
    }.get(type(value), repr(value))
