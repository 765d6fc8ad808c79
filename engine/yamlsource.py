"""Load YAML into plain Python values while remembering where each value stood.

PyYAML's `safe_load` forgets line numbers and silently keeps the last of two
duplicate keys. Workflow files are written by hand by lawyers and reviewed as
diffs, so every error must point at its line: `compose` the node tree and convert
it ourselves, recording `path -> line` on the way and refusing duplicate keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


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
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

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
    """Parse `text`; syntax errors and duplicate keys become `problems`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        return LoadedYaml(value=None, problems=[f"{where}: not valid YAML: {problem}"])
    loaded = LoadedYaml(value=None)
    if node is not None:
        loaded.value = _Converter(source, loaded).convert(node, ())
    return loaded


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
