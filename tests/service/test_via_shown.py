"""`via` as people and auditors see it: the shared shapes, and the dossier.

The JSON and CSV of an entry carry its `via` as recorded; the text says it
short (`cli:jdoe`, `api:3f9a...`, `pages`, `system`; `-` for an entry
sealed before chain version 4). A dossier's entries carry it among their
hashed fields from chain version 4 on, and `audit verify --dossier` refuses
one shown beside an older entry, which sealed none.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

import engine.cases.recorder as recorder
from engine import via
from engine.audit.dossier import check_dossier
from engine.cases.engine import CaseEngine
from engine.records import Party
from service import present

TOKEN_ID = "3f9a0c1b2d4e5f60"


def _case(engine: CaseEngine) -> str:
    with via.entering(via.cli("jdoe")):
        number = engine.open_case(
            "ombudsman-inquiry",
            actor="jur",
            title="Klage",
            parties=[Party(role="authority", name="Borgerservice")],
        ).case.number
    with via.entering(via.api(TOKEN_ID)):
        engine.fire(number, "send_inquiry", actor="jur")
    return number


def _dossier(engine: CaseEngine, number: str) -> dict[str, Any]:
    body = present.dossier_json(
        engine, engine.show(number), checkpoint=None, exported_by="rev"
    )
    # as `audit export` writes it and `audit verify --dossier` reads it
    loaded: dict[str, Any] = json.loads(json.dumps(body, default=str))
    return loaded


@pytest.mark.parametrize(
    ("came", "shown"),
    [
        pytest.param({"channel": "cli", "login": "jdoe"}, "cli:jdoe", id="cli"),
        pytest.param(
            {"channel": "api", "token": TOKEN_ID}, f"api:{TOKEN_ID}", id="api"
        ),
        pytest.param({"channel": "pages", "session": "s-1"}, "pages", id="pages"),
        pytest.param({"channel": "system"}, "system", id="system"),
        pytest.param({"channel": "engine"}, "engine", id="engine"),
        pytest.param({"channel": "cli"}, "cli", id="cli-without-login"),
        pytest.param({}, "-", id="empty"),
        pytest.param(None, "-", id="before-version-4"),
    ],
)
def test_the_text_says_how_it_came_in_short(
    came: dict[str, Any] | None, shown: str
) -> None:
    assert present.via_text(came) == shown


def test_json_and_csv_carry_via_as_recorded(fast_engine: CaseEngine) -> None:
    number = _case(fast_engine)
    history = fast_engine.show(number).history
    expected = [
        {"channel": "cli", "login": "jdoe"},
        {"channel": "api", "token": TOKEN_ID},
    ]

    assert [present.entry_json(e)["via"] for e in history] == expected
    assert [r["via"] for r in present.audit_rows(history)] == expected
    rows = list(csv.DictReader(io.StringIO("".join(present.audit_csv_lines(history)))))
    assert [json.loads(r["via"]) for r in rows] == expected


def test_a_version_4_dossier_carries_and_verifies_via(fast_engine: CaseEngine) -> None:
    number = _case(fast_engine)
    body = _dossier(fast_engine, number)

    assert [e["via"] for e in body["entries"]] == [
        {"channel": "cli", "login": "jdoe"},
        {"channel": "api", "token": TOKEN_ID},
    ]
    assert check_dossier(body).problems == []

    body["entries"][0]["via"] = {"channel": "cli", "login": "bra"}
    assert check_dossier(body).problems == [
        "entry 1 does not verify (altered or re-chained)"
    ]


def test_a_via_beside_an_older_entry_in_a_dossier_is_refused(
    fast_engine: CaseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 3 entries seal no via and a dossier of them shows none; one put
    in afterwards leaves the hash as it was, and is refused for that."""
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 3)
    number = _case(fast_engine)
    body = _dossier(fast_engine, number)
    assert all("via" not in e for e in body["entries"])
    assert check_dossier(body).problems == []

    body["entries"][1]["via"] = {"channel": "cli", "login": "jur"}

    assert check_dossier(body).problems == [
        "entry 2 shows how it came in (via), but its chain version (3) seals no "
        "such thing"
    ]
