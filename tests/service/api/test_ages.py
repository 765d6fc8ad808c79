"""The API's case JSON carries the case's age in a state without a deadline.

The same shape as `case show --json` (`service.present.age_json`), judged as
of `now`: an access-to-documents case decided on Thursday 3 October 2024 is
in `decided` (no deadline, stale after 10 working days) for 9 working days
on 16 October and stale on 17 October.
"""

from __future__ import annotations

from service.api.schemas import CaseOut
from tests.service.api.conftest import Api, open_inquiry

ON_9TH = "2024-10-16T12:00:00+02:00"
ON_10TH = "2024-10-17T12:00:00+02:00"


def decided(api: Api) -> str:
    opened = api.ok(
        "POST",
        "/cases",
        "jur",
        json={
            "workflow": "access-to-documents",
            "title": "Aktindsigt i journalen",
            "data": {"received_on": "2024-10-01"},
            "at": "2024-10-01T10:00:00+02:00",
        },
    )
    number: str = opened["number"]
    for event, data, at in (
        ("start_processing", {}, "2024-10-02T10:00:00+02:00"),
        ("decide", {"decision": "granted"}, "2024-10-03T10:00:00+02:00"),
    ):
        api.ok(
            "POST",
            f"/cases/{number}/events",
            "jur",
            json={"event": event, "data": data, "at": at},
        )
    return number


def test_a_case_shows_its_age_and_whether_it_is_stale(api: Api) -> None:
    number = decided(api)

    before = api.ok("GET", f"/cases/{number}", "rev", params={"now": ON_9TH})
    stale = api.ok("GET", f"/cases/{number}", "rev", params={"now": ON_10TH})

    assert before["age"] == {
        "state": "decided",
        "working_days": 9,
        "stale": False,
        "stale_after": 10,
    }
    assert stale["age"] == {
        "state": "decided",
        "working_days": 10,
        "stale": True,
        "stale_after": 10,
    }
    CaseOut.model_validate(stale)  # the documented shape


def test_a_listing_carries_each_cases_age_and_a_deadline_means_none(
    api: Api,
) -> None:
    number = decided(api)
    inquiry = open_inquiry(api)  # awaiting the reply, under its deadline

    listed = api.ok("GET", "/cases", "rev", params={"now": ON_10TH})

    ages = {case["number"]: case["age"] for case in listed}
    assert ages == {
        number: {
            "state": "decided",
            "working_days": 10,
            "stale": True,
            "stale_after": 10,
        },
        inquiry: None,
    }
    for case in listed:
        CaseOut.model_validate(case)
