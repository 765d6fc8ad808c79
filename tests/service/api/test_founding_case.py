"""The founding case replayed over HTTP gives the same `case show` as the CLI.

The steps and times are those of tests/service/test_founding_case.py (open on
the office's own initiative, the inquiry, its dispatch, the reply on a Sunday,
a close the caseworker may not make, the advisor's close), sent to a real
`sagsflow api` process, which renders each letter (the inquiry's, the close's)
after its response: the replay waits for that render entry before the next
step, as the CLI renders at once. Then:

* on the same database, `sagsflow case show N --json` and `audit log N` (the
  console script) answer exactly what `GET /cases/N` and `/audit/log` answer;
* against the CLI's own replay (on another database), everything is the same
  but the times sagsflow recorded the steps and the case number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.api.process import LiveApi, Prepared, cli, live_api, prepare
from tests.service.conftest import snapshot
from tests.service.test_founding_case import (
    AT_UTC,
    CLOSED_AT,
    DISPATCHED_AT,
    DUE_AFTER,
    EVENTS,
    INQUIRY,
    OPENED_AT,
    REPLIED_AT,
    REPLY,
    SENT_AT,
    TITLE,
    initialised_template,
    replay_founding_case,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    prepared: Prepared = prepare(tmp_path_factory.mktemp("founding-prepared"))
    with live_api(prepared, tmp_path_factory.mktemp("founding-live")) as running:
        yield running


def _fire(live: LiveApi, user: str, number: str, **body: object) -> Any:
    response = live.client(user).post(f"/cases/{number}/events", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def rendered(live: LiveApi, number: str, version: int) -> Any:
    """The case once the letter its step `version` wrote is rendered. The API
    renders it after the response; reading the letter renders it at once if
    that has not run yet. Either way one render step follows (whoever records
    second finds it done), so nothing here waits on the clock."""
    shown = live.client("rev").get(f"/cases/{number}").json()
    [letter] = [e["document"] for e in shown["history"] if e["seq"] == version]
    got = live.client("rev").get(f"/documents/{letter}")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.content.startswith(b"%PDF-")
    shown = live.client("rev").get(f"/cases/{number}").json()
    assert shown["version"] == version + 1, shown["history"]
    assert shown["history"][-1]["event"] == "render"
    assert shown["history"][-1]["data"]["document"] == letter
    return shown


def replay_over_http(live: LiveApi) -> str:
    opened = live.client("bra").post(
        "/cases",
        json={
            "workflow": "ombudsman-inquiry",
            "title": TITLE,
            "parties": [{"role": "authority", "name": "Socialforvaltningen"}],
            "data": {"own_initiative": "true"},  # as the CLI passes it: text
            "at": OPENED_AT,
        },
    )
    assert opened.status_code == 201, opened.text
    number: str = opened.json()["number"]
    sent = _fire(
        live, "jur", number, event="send_inquiry", document=INQUIRY, at=SENT_AT
    )
    rendered(live, number, sent["version"])
    dispatched = _fire(live, "jur", number, event="mark_dispatched", at=DISPATCHED_AT)
    assert dispatched["due"] == "2024-11-06"
    replied = _fire(
        live, "jur", number, event="receive_reply", document=REPLY, at=REPLIED_AT
    )
    assert (replied["state"], replied["due"]) == ("assessed", "2024-11-22")

    before = snapshot(live.db_path)
    refused = live.client("jur").post(
        f"/cases/{number}/events",
        json={
            "event": "close",
            "data": {"outcome": "no_further_action"},
            "at": CLOSED_AT,
        },
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "user 'jur' (caseworker) may not 'close'; allowed roles: advisor"
    )
    assert snapshot(live.db_path) == before

    closed = _fire(
        live,
        "bra",
        number,
        event="close",
        data={"outcome": "no_further_action"},
        at=CLOSED_AT,
    )
    assert (closed["state"], closed["version"], closed["due"]) == ("closed", 6, None)
    assert rendered(live, number, 6)["version"] == 7
    return number


def _without_recording_times(shown: dict[str, Any]) -> dict[str, Any]:
    """The case with the times sagsflow recorded (not the effective ones), the
    way each step came in and the case number taken out: those differ between
    two replays."""
    text = json.dumps(shown).replace(shown["number"], "NUMBER")
    case: dict[str, Any] = json.loads(text)
    for item in (*case["history"], *case["documents"]):
        item.pop("recorded_at")
    for item in case["history"]:
        item.pop("via")
    return case


def test_the_founding_case_over_http_is_the_cli_case(
    live: LiveApi, tmp_path: Path
) -> None:
    number = replay_over_http(live)
    over_http = live.client("rev").get(f"/cases/{number}").json()
    assert [e["event"] for e in over_http["history"]] == EVENTS
    assert [e["at"] for e in over_http["history"]] == AT_UTC
    assert [e["due_after"] for e in over_http["history"]] == DUE_AFTER

    # the same database, read by the command line
    shown = cli(live.env, "case", "show", number, "--json").stdout
    assert json.loads(shown) == over_http
    logged = cli(live.env, "audit", "log", number, "--format", "json").stdout
    assert (
        json.loads(logged)
        == live.client("rev").get("/audit/log", params={"case": number}).json()
    )

    # the CLI's own replay of the same story, on its own database
    db_path, run = initialised_template(tmp_path)
    cli_number = replay_founding_case(run, db_path)
    code, out, err = run("case", "show", cli_number, "--json")
    assert (code, err) == (0, "")
    assert _without_recording_times(json.loads(out)) == _without_recording_times(
        over_http
    )
    # each step came in as it was sent; each letter was rendered by the system
    for history, channel in (
        (over_http["history"], "api"),
        (json.loads(out)["history"], "cli"),
    ):
        assert [e["via"]["channel"] for e in history] == [
            "system" if e["event"] == "render" else channel for e in history
        ]
