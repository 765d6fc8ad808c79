"""`POST /cases/{number}/assign`, `owner` in every case, the queues of GET /cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.api.conftest import Api, assert_problem
from tests.service.conftest import snapshot


def opened(api: Api, user: str, **extra: Any) -> str:
    case = api.ok(
        "POST",
        "/cases",
        user,
        json={"workflow": "ombudsman-inquiry", "title": "Klage", **extra},
    )
    return str(case["number"])


def numbers(api: Api, query: str) -> list[str]:
    return [c["number"] for c in api.ok("GET", f"/cases?{query}", "bra")]


def test_owner_at_opening_assignment_and_the_queues(api: Api) -> None:
    own = opened(api, "jur")
    given = opened(api, "bra", owner="jur2")
    nobody = opened(api, "bra")
    assert api.ok("GET", f"/cases/{own}", "bra")["owner"] == "jur"
    assert api.ok("GET", f"/cases/{nobody}", "bra")["owner"] is None

    assert numbers(api, "owner=jur") == [own]
    assert numbers(api, "owner=jur2") == [given]
    assert numbers(api, "unassigned=true") == [nobody]

    case = api.ok(
        "POST", f"/cases/{nobody}/assign", "jur", json={"owner": "jur", "reason": "Min"}
    )
    assert case["owner"] == "jur"
    assert case["history"][-1]["event"] == "assign"
    assert numbers(api, "owner=jur") == [own, nobody]
    assert numbers(api, "unassigned=true") == []
    assert api.ok("GET", "/audit/verify", "bra")["ok"] is True


@pytest.mark.parametrize(
    ("user", "body", "status", "slug"),
    [
        pytest.param("jur2", {"owner": "jur2"}, 403, "not-allowed", id="not-theirs"),
        pytest.param("rev", {"owner": "jur2"}, 403, "role-not-allowed", id="auditor"),
        pytest.param("bra", {"owner": "rev"}, 422, "invalid-data", id="to-auditor"),
        pytest.param("bra", {"owner": "ind"}, 422, "invalid-data", id="to-intake"),
        pytest.param("bra", {"owner": "nobody"}, 404, "user-not-found", id="unknown"),
        pytest.param("bra", {"owner": "jur"}, 422, "invalid-data", id="same-owner"),
        pytest.param("bra", {}, 422, "invalid-body", id="no-owner"),
        pytest.param(
            "bra", {"owner": "jur2", "at": "i går"}, 422, "invalid-time", id="bad-at"
        ),
    ],
)
def test_a_refused_assignment_changes_nothing(
    api: Api, db_path: Path, user: str, body: dict[str, str], status: int, slug: str
) -> None:
    number = opened(api, "jur")
    before = snapshot(db_path)

    response = api.post(f"/cases/{number}/assign", user, json=body)

    assert_problem(response, status, slug)
    assert snapshot(db_path) == before


def test_bad_queue_parameters_are_refused(api: Api) -> None:
    opened(api, "jur")
    assert_problem(
        api.get("/cases?owner=jur&unassigned=true", "bra"), 400, "bad-request"
    )
    assert_problem(api.get("/cases?owner=nobody", "bra"), 404, "user-not-found")
    assert_problem(
        api.post("/cases/2024-0999999/assign", "bra", json={"owner": "jur"}),
        404,
        "case-not-found",
    )
