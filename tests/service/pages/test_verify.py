"""`/ui/audit/verify`: every chain checked; a broken one names its first bad entry."""

from __future__ import annotations

from pathlib import Path

from engine.cases.engine import CaseEngine
from tests.engine.audit.test_verify import tampering
from tests.service.pages.conftest import Pages, inquiry
from tests.service.pages.html import parse

SECOND = "2024-0000010"


def test_the_button_is_on_the_audit_page_and_its_own(pages: Pages) -> None:
    client = pages.as_user("bra")
    for path in ("/ui/audit", "/ui/audit/verify"):
        page = parse(client.get(path).text)
        form = page.find("form", action="/ui/audit/verify")
        assert form.attrs["method"] == "post"
        assert form.find("button", id="verify")
    assert not parse(pages.as_user("jur").get("/ui/audit").text).find_all(id="verify")


def test_an_intact_record_verifies(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    inquiry(api_engine, SECOND, "2024-10-21")
    response = pages.as_user("rev").post("/ui/audit/verify")
    assert response.status_code == 200
    result = parse(response.text).find("section", id="verify-result")
    assert result.attrs["data-ok"] == "true"
    assert result.find("h2").text == "Registret hænger sammen"
    assert "2 sager og 6 poster" in result.find(id="verify-counts").text
    assert not result.find_all(id="first-broken")


def test_a_tampered_record_names_its_first_broken_entry(
    pages: Pages, founding: str, api_engine: CaseEngine, db_path: Path
) -> None:
    inquiry(api_engine, SECOND, "2024-10-21")
    with tampering(db_path) as conn:  # an edited actor, below the triggers
        conn.execute(
            "UPDATE audit_entry SET actor = 'bra' WHERE case_number = ? AND seq = 2",
            (SECOND,),
        )
    response = pages.as_user("bra").post("/ui/audit/verify?lang=en")
    assert response.status_code == 200
    result = parse(response.text).find("section", id="verify-result")
    assert result.attrs["data-ok"] == "false"
    assert result.find("h2").text == "The record is broken"
    assert "Checked 2 cases and 6 entries" in result.find(id="verify-counts").text
    first = result.find("dl", id="first-broken")
    assert (
        first.attrs["data-case"],
        first.attrs["data-seq"],
        first.attrs["data-kind"],
    ) == (
        SECOND,
        "2",
        "altered",
    )
    assert "entry 2 was altered" in first.text
    assert first.find("a").attrs["href"] == f"/ui/cases/{SECOND}"
