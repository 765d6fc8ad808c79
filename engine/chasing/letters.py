"""The plain letters the chaser falls back on when no template is found.

Offices write their letters as templates (`service.letters.JinjaLetters`); a
rung whose template is missing still goes out, in this neutral wording, rather
than not at all.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import structlog

from engine.ports import Letters

log = structlog.get_logger()


class PlainLetters:
    """A short, neutral letter built from the context alone."""

    def pinned(self) -> PlainLetters:
        return self

    def render(
        self,
        *,
        workflow: str,
        names: Sequence[str],
        language: str,
        context: Mapping[str, object],
    ) -> tuple[str, str]:
        number = context.get("case_number")
        missed = context.get("due_missed")
        new_due = context.get("new_due")
        days = context.get("working_days_overdue")
        if language == "en":
            subject = f"Reminder: case {number}"
            body = f"The deadline {missed} in case {number} has passed."
            if days is not None:
                body += f" Overdue by {days} working day(s)."
            if new_due:
                body += f" New deadline: {new_due}."
        else:
            subject = f"Rykker: sag {number}"
            body = f"Fristen {missed} i sag {number} er overskredet."
            if days is not None:
                body += f" Overskredet med {days} arbejdsdag(e)."
            if new_due:
                body += f" Ny frist: {new_due}."
        return subject, body + "\n"


class BatchLetters:
    """One batch's letters: a letter asked for again in the batch, with the
    same template names and the same values, is the letter written before.

    The values are the whole key (each with its type: `True` is not `1`), so
    two cases share a text only where every value they are written with is
    the same; a context that cannot be a key is rendered every time. A new
    instance per batch: nothing is kept across batches, sweeps or offices.
    A template that fails is not remembered, so each failure is logged.
    """

    def __init__(self, letters: Letters) -> None:
        self._letters = letters
        self._written: dict[Hashable, tuple[str, str]] = {}

    def pinned(self) -> BatchLetters:
        return self

    def render(
        self,
        *,
        workflow: str,
        names: Sequence[str],
        language: str,
        context: Mapping[str, object],
    ) -> tuple[str, str]:
        key = (
            workflow,
            tuple(names),
            language,
            tuple(context.items()),
            tuple(map(type, context.values())),
        )
        try:
            written = self._written.get(key)
        except TypeError:  # an unhashable value: no key, no reuse
            return self._letters.render(
                workflow=workflow, names=names, language=language, context=context
            )
        if written is None:
            written = self._written[key] = self._letters.render(
                workflow=workflow, names=names, language=language, context=context
            )
        return written


def render_letter(
    letters: Letters,
    *,
    workflow: str,
    names: Sequence[str],
    language: str,
    context: Mapping[str, object],
) -> tuple[str, str]:
    """`letters.render`, falling back on `PlainLetters`.

    A missing template is a warning, a broken one an error in the log; either way
    the letter goes out (in the plain wording) and the chase is not held up.
    """
    try:
        return letters.render(
            workflow=workflow, names=names, language=language, context=context
        )
    except LookupError:
        log.warning("letter_template_missing", workflow=workflow, names=list(names))
    except ValueError as exc:  # a broken template must not stop the chase
        log.error("letter_template_broken", workflow=workflow, error=str(exc))
    return PlainLetters().render(
        workflow=workflow, names=names, language=language, context=context
    )
