"""Reading the data an event declares: fields, fixed values and its document."""

from __future__ import annotations

from typing import Any

from engine.workflow.definition import Direction, DocumentSpec, FieldSpec, FieldType
from engine.workflow.labelreader import LabelReader
from engine.workflow.labels import DOCUMENT, FIELD
from engine.workflow.yamlsource import Path, kind_of

# What the engine says in a step's entry beside the event's data
# (engine.cases.pauses): no event takes or sets a field of these names.
ENGINE_KEYS = frozenset({"paused", "resumed"})


class FieldReader(LabelReader):
    """The parts of a transition that describe its data."""

    def fields(self, value: Any, path: Path) -> list[FieldSpec]:
        if not isinstance(value, dict):
            self.problem(
                path, f"must be a mapping of field names, not {kind_of(value)}"
            )
            return []
        out = []
        for key, spec in value.items():
            if (f := self.field(key, spec, (*path, key))) is not None:
                out.append(f)
        names = {f.name: f for f in out}
        for f in out:
            for other, values in f.required_if:
                ref = names.get(other)
                where = (*path, f.name, "required_if", other)
                if ref is None:
                    self.problem(
                        where, f"refers to {other!r}, which this event does not take"
                    )
                elif ref.type is FieldType.CHOICE:
                    for v in values:
                        if v not in ref.values:
                            self.problem(
                                where, f"{v!r} is not one of {other!r}'s values"
                            )
        return out

    def field(self, key: str, value: Any, path: Path) -> FieldSpec | None:
        spec = self.mapping(
            value,
            path,
            (
                "type",
                "required",
                "values",
                "required_if",
                "default",
                "relative",
                "personal",
                "description",
                "labels",
            ),
        )
        name = self.name(key, path)
        if spec is None or name is None or self.engine_key(name, path):
            return None
        raw_type = spec.get("type")
        try:
            ftype = FieldType(str(raw_type))
        except ValueError:
            options = ", ".join(t.value for t in FieldType)
            self.problem(
                (*path, "type"), f"{raw_type!r} is not a field type ({options})"
            )
            return None
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.problem(
                (*path, "required"), f"must be true or false, not {required!r}"
            )
        personal = self.personal(
            spec.get("personal", False), ftype, (*path, "personal")
        )
        values: tuple[str, ...] = ()
        if ftype is FieldType.CHOICE:
            values = self.names(spec.get("values"), (*path, "values"))
        elif "values" in spec:
            self.problem((*path, "values"), "only a 'choice' field has values")
        required_if: list[tuple[str, tuple[str, ...]]] = []
        if "required_if" in spec:
            cond = self.mapping(
                spec["required_if"],
                (*path, "required_if"),
                spec["required_if"] if isinstance(spec["required_if"], dict) else (),
            )
            for other, vals in (cond or {}).items():
                required_if.append(
                    (other, self.names(vals, (*path, "required_if", other)))
                )
        description = self.text(
            spec.get("description"), (*path, "description"), required=False
        )
        default, relative = self.date_rules(spec, ftype, path)
        self.labelled(spec, path, FIELD, name, choice=ftype is FieldType.CHOICE)
        return FieldSpec(
            name=name,
            type=ftype,
            required=required is True,
            values=values,
            required_if=tuple(required_if),
            default_today=default,
            relative=relative,
            personal=personal,
            description=description or "",
        )

    def personal(self, value: Any, ftype: FieldType, path: Path) -> bool:
        """`personal: true`: the value is personal data (a name, a free text)."""
        if not isinstance(value, bool):
            self.problem(path, f"must be true or false, not {value!r}")
            return False
        if value and ftype is FieldType.CHOICE:
            self.problem(
                path,
                "a 'choice' holds one of the workflow's own values, never personal "
                "data",
            )
            return False
        return value

    def date_rules(
        self, spec: dict[str, Any], ftype: FieldType, path: Path
    ) -> tuple[bool, str | None]:
        """`default: today` and `relative: past|future`, for date fields only."""
        default = spec.get("default")
        relative = spec.get("relative")
        for key, value, allowed in (
            ("default", default, ("today",)),
            ("relative", relative, ("past", "future")),
        ):
            if value is None:
                continue
            if ftype is not FieldType.DATE:
                self.problem((*path, key), f"only a 'date' field has '{key}'")
            elif value not in allowed:
                options = " or ".join(repr(a) for a in allowed)
                self.problem((*path, key), f"{value!r} must be {options}")
        ok_relative = relative if relative in ("past", "future") else None
        return default == "today" and ftype is FieldType.DATE, ok_relative

    def engine_key(self, name: str, path: Path) -> bool:
        """True (and reported) when `name` is one the engine's entries use."""
        if name in ENGINE_KEYS:
            self.problem(path, f"{name!r} is the engine's own word in an entry")
        return name in ENGINE_KEYS

    def sets(self, value: Any, path: Path) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, not {kind_of(value)}")
            return ()
        out = []
        for key, v in value.items():
            if self.engine_key(str(key), (*path, key)):
                continue
            if not isinstance(v, str | int | bool):
                self.problem((*path, key), f"must be a plain value, not {kind_of(v)}")
                continue
            out.append((key, str(v) if not isinstance(v, bool) else str(v).lower()))
        return tuple(out)

    def document(self, value: Any, path: Path, event: str) -> DocumentSpec | None:
        spec = self.mapping(value, path, ("direction", "title", "required", "labels"))
        if spec is None:
            return None
        self.labelled(spec, path, DOCUMENT, event, choice=False)
        found = self.found.get((DOCUMENT, event, ""))
        titles = ((("da", found[0].da), ("en", found[0].en))) if found else ()
        raw = spec.get("direction")
        try:
            direction = Direction(str(raw))
        except ValueError:
            options = ", ".join(d.value for d in Direction)
            self.problem(
                (*path, "direction"), f"{raw!r} is not a direction ({options})"
            )
            return None
        title = self.text(spec.get("title"), (*path, "title"), required=False)
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.problem(
                (*path, "required"), f"must be true or false, not {required!r}"
            )
        return DocumentSpec(
            direction=direction, title=title, required=required is True, titles=titles
        )
