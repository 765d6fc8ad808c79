"""`POST /cases/{number}/erase`: the advisor erases a closed case's personal data."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.audit.personal import ERASED
from tests.service.api.conftest import Api, assert_problem, open_inquiry
from tests.service.conftest import snapshot


def close(api: Api, number: str) -> None:
    api.ok(
        "POST",
        f"/cases/{number}/events",
        "jur",
        json={"event": "receive_reply", "at": "2024-11-10T12:00:00+01:00"},
    )
    api.ok(
        "POST",
        f"/cases/{number}/events",
        "bra",
        json={
            "event": "close",
            "data": {"outcome": "no_further_action"},
            "at": "2024-11-20T11:00:00+01:00",
        },
    )


def test_the_advisor_erases_a_closed_case(api: Api, db_path: Path) -> None:
    number = open_inquiry(api)
    close(api, number)
    found = api.ok("GET", "/cases?q=Socialforvaltningen", "bra")
    assert [(c["number"], c["match"]["field"]) for c in found] == [
        (number, "authority")
    ]

    said = api.ok("POST", f"/cases/{number}/erase", "bra", json={"reason": "Anmodning"})

    assert said["case"] == number, said
    assert "rewritten" in said["storage"], said
    assert said["erased"] == ["parties.authority.name"]
    case = api.ok("GET", f"/cases/{number}", "bra")
    assert case["parties"] == [{"role": "authority", "name": ERASED, "email": None}]
    assert case["history"][-1]["event"] == "erase"
    assert case["history"][-1]["data"]["grounds"] == "Anmodning"
    # the party's name (the case title names the authority too: not personal)
    assert b'"Socialforvaltningen"' not in db_path.read_bytes()
    found = api.ok("GET", "/cases?q=Socialforvaltningen", "bra")
    assert [(c["number"], c["match"]["field"]) for c in found] == [(number, "title")]
    assert api.ok("GET", "/audit/verify", "bra")["ok"] is True


@pytest.mark.parametrize(
    ("user", "closed", "body", "status", "slug"),
    [
        pytest.param(
            "jur", True, {"reason": "x"}, 403, "role-not-allowed", id="caseworker"
        ),
        pytest.param(
            "rev", True, {"reason": "x"}, 403, "role-not-allowed", id="auditor"
        ),
        pytest.param(
            "bra", False, {"reason": "x"}, 422, "invalid-data", id="an-open-case"
        ),
        pytest.param("bra", True, {"reason": " "}, 422, "invalid-data", id="no-reason"),
        pytest.param("bra", True, {}, 422, "invalid-body", id="no-body"),
    ],
)
def test_a_refused_erasure_changes_nothing(
    api: Api,
    db_path: Path,
    user: str,
    closed: bool,
    body: dict[str, str],
    status: int,
    slug: str,
) -> None:
    number = open_inquiry(api)
    if closed:
        close(api, number)
    before = snapshot(db_path)

    response = api.post(f"/cases/{number}/erase", user, json=body)

    assert_problem(response, status, slug)
    assert "Socialforvaltningen" not in response.text
    assert snapshot(db_path) == before


def test_an_unknown_case_is_404(api: Api, db_path: Path) -> None:
    before = snapshot(db_path)
    response = api.post("/cases/2024-0999999/erase", "bra", json={"reason": "x"})
    assert_problem(response, 404, "case-not-found")
    assert snapshot(db_path) == before
