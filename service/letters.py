"""Letters and notices from Jinja2 templates: the `Letters` the chaser uses.

A template is a plain-text file `<folder>/<workflow>/<name>.<language>.txt`, or
`<folder>/_common/<name>.<language>.txt` for one shared by every workflow. Its
first line is `Subject: ...`, then a blank line, then the body::

    Subject: Rykker: sag {{ case_number }}

    Vi har endnu ikke modtaget ...

The subject line and the body are two templates (a value holding a line break
cannot split the subject into the body); the subject is rendered on one line.

Hazards, all deliberate: autoescaping is off (these are not HTML); a misspelt
variable raises (`StrictUndefined`), and so does printing a `None`, so a
template must guard optional values with `{% if ... %}` rather than send a
letter reading "senest den None". Both surface as `ValueError` naming the file,
never as `LookupError`, which means only "no such template".
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateNotFound,
)

DEFAULT_LANGUAGE = "da"
COMMON = "_common"
"""The folder of templates shared by all workflows, searched after the workflow's."""

SUBJECT_PREFIX = "Subject:"

MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Workflow and template names become path parts: no separators, no leading dot.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_SUBJECT_PART = "subject"
_BODY_PART = "body"
# Stands in for the subject line and the blank line, so line numbers in errors
# from the body are the file's own.
_BODY_PREFIX = "{#\n\n#}"


def dato(value: date) -> str:
    """A date the Danish way: `date(2024, 11, 6)` -> "6. november 2024".

    Raises:
        TypeError: `value` is not a date (None included).
    """
    _check_date(value, "dato")
    return f"{value.day}. {MONTHS_DA[value.month - 1]} {value.year}"


def date_en(value: date) -> str:
    """A date in British English: `date(2024, 11, 6)` -> "6 November 2024".

    Raises:
        TypeError: `value` is not a date (None included).
    """
    _check_date(value, "date_en")
    return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"


def _check_date(value: object, name: str) -> None:
    if not isinstance(value, date):
        raise TypeError(f"filter {name!r} needs a date, got {value!r}")


def _no_none(value: object) -> object:
    """Jinja `finalize`: printing `None` is a template error, not the word "None"."""
    if value is None:
        raise TypeError(
            "a value printed by the template is None; guard it with {% if %}"
        )
    return value


class _LetterLoader(BaseLoader):
    """Finds `<workflow>/<file>` in the first folder that has it.

    `...#subject` and `...#body` load the two halves of a letter template;
    a name without a part loads the whole file (for `{% include %}`).
    """

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = tuple(folders)

    def locate(self, relative: str) -> Path | None:
        """The file `relative` names in the first folder holding it, if any."""
        parts = relative.split("/")
        if any(not _NAME.fullmatch(p) for p in parts):
            return None
        for folder in self.folders:
            path = folder.joinpath(*parts)
            if path.is_file():
                return path
        return None

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        relative, _, part = template.partition("#")
        path = self.locate(relative)
        if path is None:
            raise TemplateNotFound(template)
        mtime = path.stat().st_mtime_ns
        text = path.read_text(encoding="utf-8")
        if part:
            text = _split(text, path)[0 if part == _SUBJECT_PART else 1]

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate


class _TemplateFormatError(ValueError):
    """The file is not laid out as a letter template (already names the file)."""


def _split(text: str, path: Path) -> tuple[str, str]:
    """(subject source, body source) of a letter template.

    Raises:
        _TemplateFormatError: the file does not start with `Subject:` and a
            blank line.
    """
    lines = text.split("\n", 2)
    if not lines[0].startswith(SUBJECT_PREFIX):
        raise _TemplateFormatError(
            f"letter template {path}: line 1 must start with 'Subject:'"
        )
    if len(lines) > 1 and lines[1].strip():
        raise _TemplateFormatError(f"letter template {path}: line 2 must be blank")
    body = lines[2] if len(lines) > 2 else ""
    return lines[0].removeprefix(SUBJECT_PREFIX), _BODY_PREFIX + body


class JinjaLetters:
    """Letters from template folders; earlier folders override later ones.

    For each name in turn (most specific first), the requested language and
    then Danish are tried, each first under the workflow's folder and then
    under `_common`, each in every folder in order. So a workflow's own
    `reminder_1` beats a `_common/reminder_1` even in an earlier folder, and a
    specific name in Danish beats a less specific one in the language asked for
    (a letter meant for the authority is not swapped for an internal notice).

    Args:
        folders: where the templates live, highest priority first (an office's
            own folder before `bundled_letters()`'s).

    Raises:
        ValueError: a folder is not a directory.
    """

    def __init__(self, *, folders: Sequence[Path], pinned: bool = False) -> None:
        missing = [str(f) for f in folders if not Path(f).is_dir()]
        if missing:
            raise ValueError(f"letter template folders not found: {missing}")
        self._loader = _LetterLoader([Path(f) for f in folders])
        # Pinned: each template is looked up and read once (see `pinned`).
        self._found: dict[tuple[str, tuple[str, ...], str], tuple[Path, str]] | None
        self._found = {} if pinned else None
        self._compiled: dict[str, tuple[Template, Template]] = {}  # pinned only
        self._env = Environment(
            loader=self._loader,
            autoescape=False,
            undefined=StrictUndefined,
            finalize=_no_none,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=not pinned,
        )
        self._env.filters["dato"] = dato
        self._env.filters["date_en"] = date_en

    @property
    def folders(self) -> tuple[Path, ...]:
        """The template folders, highest priority first."""
        return self._loader.folders

    def pinned(self) -> JinjaLetters:
        """These letters as one sweep uses them: each template found and read once.

        Unpinned, every letter looks its template up on disk again (several
        `stat` calls) so that an edit applies at once; over a sweep of thousands
        that was a fifth of the time (bench W2). A pass takes a pinned copy, so
        an edit applies from the next pass on, never halfway through one.
        """
        return JinjaLetters(folders=self.folders, pinned=True)

    def find(self, *, workflow: str, names: Sequence[str], language: str) -> Path:
        """The template file `render` would use.

        Raises:
            LookupError: none of `names` has a template.
            ValueError: `workflow` or a name cannot be a file name.
        """
        return self._find(workflow, names, language)[0]

    def _find(
        self, workflow: str, names: Sequence[str], language: str
    ) -> tuple[Path, str]:
        if self._found is None:
            return self._look_up(workflow, names, language)
        key = (workflow, tuple(names), language)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._look_up(workflow, names, language)
        return found

    def _look_up(
        self, workflow: str, names: Sequence[str], language: str
    ) -> tuple[Path, str]:
        for value in (workflow, *names):
            if not _NAME.fullmatch(value):
                raise ValueError(f"not a valid template or workflow name: {value!r}")
        languages = [language_of(language)]
        if languages[0] != DEFAULT_LANGUAGE:
            languages.append(DEFAULT_LANGUAGE)
        for name in names:
            for lang in languages:
                for folder in (workflow, COMMON):
                    relative = f"{folder}/{name}.{lang}.txt"
                    path = self._loader.locate(relative)
                    if path is not None:
                        return path, relative
        raise LookupError(
            f"no letter template for workflow {workflow!r}, names {list(names)!r}, "
            f"language {language!r} in {[str(f) for f in self.folders]}"
        )

    def render(
        self,
        *,
        workflow: str,
        names: Sequence[str],
        language: str,
        context: Mapping[str, object],
    ) -> tuple[str, str]:
        """(subject, body) from the first template in `names` that exists.

        Args:
            workflow: the workflow's name, e.g. "ombudsman-inquiry".
            names: template names, most specific first.
            language: "da" or "en"; any language without a template is Danish.
            context: the values the template may use.

        Returns:
            The subject on one line, whitespace collapsed, and the body.

        Raises:
            LookupError: none of the templates exists.
            ValueError: the template exists but is malformed or fails to render
                (a misspelt variable, a `None` printed, a filter given a non-date);
                the message names the file.
        """
        path, relative = self._find(workflow, names, language)
        values = dict(context)
        try:
            subject_template, body_template = self._templates(relative)
            subject = subject_template.render(values)
            body = body_template.render(values)
        except _TemplateFormatError:
            raise
        except Exception as exc:
            raise _render_error(path, exc) from exc
        subject = " ".join(subject.split())
        if not subject:
            raise ValueError(f"letter template {path}: the subject is empty")
        return subject, body

    def _templates(self, relative: str) -> tuple[Template, Template]:
        """A letter's subject and body templates; pinned, compiled once.

        A pinned pair's globals are copied into one plain dict: Jinja merges a
        template's globals (a ChainMap over the environment's) into every
        render's context, and walking the ChainMap was half of a letter's cost
        (bench W2). The environment is the pinned copy's own, never changed.
        """
        pair = self._compiled.get(relative)
        if pair is None:
            subject = self._env.get_template(f"{relative}#{_SUBJECT_PART}")
            body = self._env.get_template(f"{relative}#{_BODY_PART}")
            pair = subject, body
            if self._found is not None:
                for template in pair:
                    template.globals = dict(template.globals)
                self._compiled[relative] = pair
        return pair


def _render_error(path: Path, exc: Exception) -> ValueError:
    """A ValueError naming the file, the line if known, and what went wrong."""
    line: int | None = getattr(exc, "lineno", None)
    if line is None:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename == str(path)
        ]
        line = frames[-1].lineno if frames else None
    where = f"{path}, line {line}" if line else str(path)
    return ValueError(f"letter template {where}: {type(exc).__name__}: {exc}")


def language_of(language: str) -> str:
    """The primary language subtag ("en-GB" -> "en"); Danish when it is not one."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if _LANGUAGE.fullmatch(primary) else DEFAULT_LANGUAGE


def bundled_letters() -> JinjaLetters:
    """The letters shipped in `workflows/templates`."""
    return JinjaLetters(folders=[bundled_folder()])


def bundled_folder() -> Path:
    """The folder of the bundled templates (`workflows/templates`)."""
    return Path(str(files("workflows").joinpath("templates")))
