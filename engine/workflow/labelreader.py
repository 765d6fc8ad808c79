"""Reading `labels` in a workflow file, and cutting them out of the rules' text.

```yaml
states:
  awaiting_reply:
    kind: waiting
    labels: {da: Afventer svar, en: Awaiting reply}
transitions:
  - event: close
    labels: {da: Afslut, en: Close}
    data:
      outcome:
        type: choice
        values: [no_further_action, criticism]
        labels:
          da: Udfald
          en: Outcome
          values:
            no_further_action:
              da: Ikke anledning til videre foranstaltning
              en: No further action
```

A label names both languages, each a non-empty text. A choice value's label
must name one of that field's values (or one a transition `sets` for it); a
label given twice for the same identifier must say the same. Every problem is
reported with its file and line like any other.

Each `labels` entry is remembered as a span of the text (`cuts`): whole lines
in block style, `, labels: {...}` inside a flow mapping. `rules_text` removes
them, and the declaration's digest is taken over what is left, so labels added
to a bundled workflow leave its version's recorded text and digest as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from engine.workflow.labels import (
    EVENT,
    FIELD,
    LANGUAGES,
    PARTY,
    STATE,
    VALUE,
    WORKFLOW,
    Label,
    Labels,
)
from engine.workflow.yamlsource import Path, Reader, format_path

LABELS_KEY = "labels"


class LabelReader(Reader):
    """The `labels` of states, events and fields, and where they stand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cuts: list[tuple[int, int]] = []
        self.found: dict[tuple[str, str, str], tuple[Label, Path]] = {}
        self.value_labels: list[tuple[str, str, Path]] = []  # field, value, where

    def labelled(
        self, spec: dict[str, Any], path: Path, kind: str, name: str, *, choice: bool
    ) -> None:
        """Read `spec`'s `labels`, if it has them, for the `kind` named `name`.

        `choice`: the thing is a choice field, whose labels may hold `values`.
        """
        if LABELS_KEY not in spec:
            return
        where = (*path, LABELS_KEY)
        self._cut(where)
        keys = (*LANGUAGES, "values") if choice else LANGUAGES
        raw = self.mapping(spec[LABELS_KEY], where, keys)
        if raw is None:
            return
        label = self.label(raw, where)
        if label is not None:
            self._remember((kind, name, ""), label, where)
        if choice and "values" in raw:
            values_path = (*where, "values")
            values = raw["values"]
            mapping = self.mapping(
                values, values_path, values if isinstance(values, dict) else ()
            )
            for value, spec_value in (mapping or {}).items():
                value_path = (*values_path, value)
                entry = self.mapping(spec_value, value_path, LANGUAGES)
                value_label = self.label(entry, value_path) if entry else None
                if value_label is not None:
                    self._remember((VALUE, name, str(value)), value_label, value_path)
                    self.value_labels.append((name, str(value), value_path))

    def workflow_labels(
        self, top: dict[str, Any], name: str, parties: Iterable[str]
    ) -> None:
        """The workflow's own `labels`: its title in both languages, and its
        party roles' (`parties: {authority: {da: ..., en: ...}}`)."""
        if LABELS_KEY not in top:
            return
        where: Path = (LABELS_KEY,)
        self._cut(where)
        raw = self.mapping(top[LABELS_KEY], where, (*LANGUAGES, "parties"))
        if raw is None:
            return
        label = self.label(raw, where)
        if label is not None:
            self._remember((WORKFLOW, name, ""), label, where)
        if "parties" not in raw:
            return
        roles_path = (*where, "parties")
        roles = self.mapping(raw["parties"], roles_path, tuple(parties))
        for role, spec in (roles or {}).items():
            role_path = (*roles_path, role)
            entry = self.mapping(spec, role_path, LANGUAGES)
            role_label = self.label(entry, role_path) if entry else None
            if role_label is not None:
                self._remember((PARTY, str(role), ""), role_label, role_path)

    def label(self, raw: dict[str, Any], path: Path) -> Label | None:
        """Both languages, each a non-empty text; None (reported) otherwise."""
        texts: list[str] = []
        for language in LANGUAGES:
            if language not in raw:
                self.problem(
                    path,
                    f"the label has no {language!r}: a label is given in "
                    f"{' and '.join(repr(code) for code in LANGUAGES)}",
                )
                continue
            said = self.text(raw[language], (*path, language))
            if said is not None:
                texts.append(said)
        if len(texts) != len(LANGUAGES):
            return None
        da, en = texts
        return Label(da=da, en=en)

    def check_values(self, known: dict[str, set[str]]) -> None:
        """Refuse a value label for a value its field never holds.

        `known`: each field's choice values and the values transitions set.
        """
        for name, value, path in self.value_labels:
            if value not in known.get(name, set()):
                listed = ", ".join(sorted(known.get(name, set()))) or "none"
                self.problem(
                    path,
                    f"{value!r} is not a value of {name!r} (its values: {listed})",
                )

    def labels(self) -> Labels:
        return Labels(
            entries=tuple((key, label) for key, (label, _) in self.found.items())
        )

    def _remember(self, key: tuple[str, str, str], label: Label, path: Path) -> None:
        earlier = self.found.get(key)
        if earlier is None:
            self.found[key] = (label, path)
        elif earlier[0] != label:
            line = self.loaded.line(earlier[1])
            self.problem(
                path,
                f"{key[2] or key[1]!r} is labelled differently at line {line} "
                f"({format_path(earlier[1])}); one identifier has one label",
            )

    def _cut(self, path: Path) -> None:
        """Remember where the entry at `path` stands in the text."""
        key, value, parent = self.loaded.entries[path]
        text = self.loaded.text
        if parent.flow_style:
            pairs = parent.value
            i = next(n for n, (k, _) in enumerate(pairs) if k is key)
            if i > 0:
                self.cuts.append((_end(pairs[i - 1][1]), _end(value)))
            elif len(pairs) > 1:
                self.cuts.append((key.start_mark.index, pairs[1][0].start_mark.index))
            else:
                self.cuts.append((key.start_mark.index, _end(value)))
            return
        start = key.start_mark.index - key.start_mark.column
        if text[start : key.start_mark.index].strip():
            self.problem(
                path,
                "labels stand on lines of their own (or inside a {...} mapping), "
                "so the rules read the same without them",
            )
            return
        end = _end(value)
        if end > 0 and text[end - 1] != "\n":
            newline = text.find("\n", end)
            end = len(text) if newline < 0 else newline + 1
        self.cuts.append((start, end))


def rules_text(text: str, cuts: Iterable[tuple[int, int]]) -> str:
    """`text` without the spans in `cuts` (the labels): what the rules are."""
    out, at = [], 0
    for start, end in sorted(cuts):
        out.append(text[at:start])
        at = max(at, end)
    out.append(text[at:])
    return "".join(out)


def _end(node: yaml.Node) -> int:
    """Where the last character of `node`'s own text ends (not the next token)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[yaml.Node] = []
    for item in node.value:
        children.extend(item if isinstance(item, tuple) else (item,))
    return max((_end(c) for c in children), default=int(node.end_mark.index))


__all__ = ["EVENT", "FIELD", "LABELS_KEY", "STATE", "LabelReader", "rules_text"]
