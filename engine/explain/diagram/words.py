"""The words of a workflow diagram (`engine.explain.diagram.svg`) in English and Danish.

State names, events and roles are the workflow's own and stay as declared.
"""

from __future__ import annotations

from collections.abc import Mapping

EN: Mapping[str, str] = {
    "language": "en",  # durations are said by engine.explain.words
    "internal": "Events that keep the state: {events}",
    "waiting": "dashed border: waiting on someone outside the office",
    "final": "double border: final state",
    "current": "filled, thick border: the case's current state ({state})",
    "now": "The case is in the state {state}.",
    "no_current": "No state is marked as the current one.",
    "step": "{event} from {source} to {target}",
    "describe": "{now} States: {states}. Transitions: {steps}.",
    "none": "none",
    "kind.initial": "initial",
    "kind.waiting": "waiting",
    "kind.final": "final",
    "new_case": "a new case",
    "due": "due: {what}",
    "either": "{until} or {within}",
    "ladder": "chase ladder: {n} rungs",
    "ladder.one": "chase ladder: {n} rung",
    "deadline": "deadline: {what}",
    "paused": "deadline: the previous state's stands still",
    "after": "{within} after {start}",
    "entering": "entering the state",
    "if_given": "{until} if given, else {otherwise}",
    "chase": "chase {i}: {name} → {notify}{then}",
    "then": ", then {next}",
    "stale": "stale after {after} in the state",
}

DA: Mapping[str, str] = {
    "language": "da",
    "internal": "Hændelser der ikke skifter tilstand: {events}",
    "waiting": "stiplet kant: venter på nogen uden for kontoret",
    "final": "dobbelt kant: sluttilstand",
    "current": "udfyldt, tyk kant: sagens nuværende tilstand ({state})",
    "now": "Sagen er i tilstanden {state}.",
    "no_current": "Ingen tilstand er markeret som den nuværende.",
    "step": "{event} fra {source} til {target}",
    "describe": "{now} Tilstande: {states}. Overgange: {steps}.",
    "none": "ingen",
    "kind.initial": "start",
    "kind.waiting": "venter",
    "kind.final": "slut",
    "new_case": "en ny sag",
    "due": "frist: {what}",
    "either": "{until} eller {within}",
    "ladder": "rykkerstige: {n} trin",
    "ladder.one": "rykkerstige: {n} trin",
    "deadline": "frist: {what}",
    "paused": "frist: den forrige tilstands står stille",
    "after": "{within} efter {start}",
    "entering": "at sagen kom i tilstanden",
    "if_given": "{until} hvis givet, ellers {otherwise}",
    "chase": "rykker {i}: {name} → {notify}{then}",
    "then": ", derefter {next}",
    "stale": "stillestående efter {after} i tilstanden",
}

WORDS: Mapping[str, Mapping[str, str]] = {"en": EN, "da": DA}
