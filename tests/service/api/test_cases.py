"""`/cases` in-process: open, fire, show, list, documents; roles and every error.

Each refused request answers one problem and leaves the database as it was
(compared table by table).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.logs import contains_cpr
from engine.testing import FakeClock
from service import present
from tests.service.api.conftest import (
    DISPATCHED_AT,
    OPENED_AT,
    ROLE_OF,
    TITLE,
    Api,
    assert_problem,
    open_inquiry,
)
from tests.service.conftest import snapshot

OPEN = {
    "workflow": "ombudsman-inquiry",
    "title": TITLE,
    "parties": [{"role": "authority", "name": "Socialforvaltningen"}],
    "at": OPENED_AT,
}


class TestOpen:
    def test_an_advisor_opens_a_case(self, api: Api, api_engine: CaseEngine) -> None:
        response = api.post(
            "/cases", "bra", json={**OPEN, "data": {"own_initiative": True}}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/cases/{body['number']}"
        assert (body["state"], body["version"], body["data"]) == (
            "opened",
            1,
            {"own_initiative": True},
        )
        (entry,) = body["history"]
        assert (entry["actor"], entry["role"], entry["at"]) == (
            "bra",
            "advisor",
            "2024-10-03T08:00:00+00:00",
        )
        view = api_engine.show(body["number"])
        now = api_engine.clock.now()
        expected = present.case_json(
            view,
            now=now,
            calendar=api_engine.calendar,
            age=api_engine.age(view.case, now),
        )
        assert body == expected  # the CLI's --json, byte for byte in meaning

    def test_the_actor_is_the_token_user_and_cannot_be_named(
        self, api: Api, db_path: Path
    ) -> None:
        before = snapshot(db_path)
        response = api.post("/cases", "jur", json={**OPEN, "actor": "bra"})
        body = assert_problem(response, 422, "invalid-body")
        assert "actor" in body["detail"]
        assert snapshot(db_path) == before
        opened = api.ok("POST", "/cases", "jur", json=OPEN)
        assert opened["history"][0]["actor"] == "jur"

    @pytest.mark.parametrize("user", ["ind", "rev"])
    def test_roles_the_opening_does_not_allow_get_403(
        self, api: Api, db_path: Path, user: str
    ) -> None:
        before = snapshot(db_path)
        body = assert_problem(
            api.post("/cases", user, json=OPEN), 403, "role-not-allowed"
        )
        assert body["allowed"] == ["advisor", "caseworker"]
        assert snapshot(db_path) == before

    def test_intake_may_open_where_the_workflow_says_so(self, api: Api) -> None:
        opened = api.ok(
            "POST",
            "/cases",
            "ind",
            json={
                "workflow": "access-to-documents",
                "title": "Aktindsigt i sagen om vejarbejdet",
                "parties": [{"role": "requester", "name": "A. Borger"}],
            },
        )
        assert opened["history"][0]["role"] == "intake"

    @pytest.mark.parametrize(
        ("body", "status", "slug"),
        [
            ({**OPEN, "workflow": "nope"}, 404, "workflow-not-found"),
            ({**OPEN, "title": "  "}, 422, "invalid-data"),
            ({**OPEN, "title": "Borger 010190-1234"}, 422, "invalid-data"),
            ({**OPEN, "data": {"colour": "red"}}, 422, "invalid-data"),
            ({**OPEN, "data": {"own_initiative": "maybe"}}, 422, "invalid-data"),
            ({**OPEN, "data": {"own_initiative": "010190-1234"}}, 422, "invalid-data"),
            (
                {
                    **OPEN,
                    "parties": [
                        {
                            "role": "authority",
                            "name": "Forvaltningen",
                            "email": "f@kk.dk\r\nBcc: all@kk.dk",
                        }
                    ],
                },
                422,
                "invalid-data",
            ),
            (
                {**OPEN, "parties": [{"role": "mayor", "name": "X"}]},
                422,
                "invalid-data",
            ),
            ({**OPEN, "at": "yesterday"}, 422, "invalid-time"),
            ({**OPEN, "at": "2030-01-01T10:00"}, 422, "invalid-time"),
            ({**OPEN, "at": "0001-01-01T00:00+05:00"}, 422, "invalid-time"),
            ({**OPEN, "at": "1969-12-31T10:00"}, 422, "invalid-time"),
            ({**OPEN, "title": "nul\x00byte"}, 422, "invalid-body"),
            ({**OPEN, "unknown": 1}, 422, "invalid-body"),
            ({"title": "no workflow"}, 422, "invalid-body"),
            ([1, 2], 422, "invalid-body"),
        ],
        ids=[
            "unknown-workflow",
            "empty-title",
            "cpr-in-title",
            "undeclared-field",
            "not-a-bool",
            "cpr-as-a-bool",
            "party-email-header-injection",
            "undeclared-party",
            "unparsable-time",
            "future-time",
            "time-out-of-range",
            "time-before-1970",
            "nul-in-text",
            "unknown-member",
            "missing-member",
            "not-an-object",
        ],
    )
    def test_bad_input_is_one_problem_and_changes_nothing(
        self, api: Api, db_path: Path, body: object, status: int, slug: str
    ) -> None:
        before = snapshot(db_path)
        response = api.post("/cases", "bra", json=body)
        assert_problem(response, status, slug)
        assert not contains_cpr(response.text)  # a refusal never echoes one
        assert snapshot(db_path) == before

    @pytest.mark.parametrize(
        ("at", "fragment"),
        [
            ("2024-03-31T02:30", "does not exist in Copenhagen"),
            ("2024-10-27T02:30", "happens twice in Copenhagen"),
        ],
        ids=["skipped-by-the-clock", "shown-twice"],
    )
    def test_a_local_time_the_clock_skips_or_repeats_is_refused(
        self, api: Api, db_path: Path, at: str, fragment: str
    ) -> None:
        before = snapshot(db_path)
        problem = assert_problem(
            api.post("/cases", "bra", json={**OPEN, "at": at}), 422, "invalid-time"
        )
        assert fragment in problem["detail"]
        assert snapshot(db_path) == before
        with_offset = {**OPEN, "at": "2024-10-27T02:30+01:00"}  # the second 02:30
        assert api.post("/cases", "bra", json=with_offset).status_code == 201

    @pytest.mark.parametrize(
        "path", ["/cases/010190-1234", "/cases/0101901234/documents"]
    )
    def test_a_cpr_number_in_the_path_is_not_echoed(self, api: Api, path: str) -> None:
        response = api.get(path, "bra")
        assert response.status_code in (404, 422), response.text
        assert not contains_cpr(response.text)
        assert "[CPR-REDACTED]" in response.text

    def test_json_that_does_not_parse_is_400(self, api: Api, db_path: Path) -> None:
        before = snapshot(db_path)
        response = api.post(
            "/cases",
            "bra",
            content=b'{"workflow": ',
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 400, "malformed-request")
        assert snapshot(db_path) == before

    def test_a_body_over_the_limit_is_413(self, api: Api, db_path: Path) -> None:
        before = snapshot(db_path)
        huge = {**OPEN, "document": "x" * (2 * 1024 * 1024)}
        assert_problem(api.post("/cases", "bra", json=huge), 413, "body-too-large")
        assert snapshot(db_path) == before

    def test_a_streamed_body_over_the_limit_is_413(self, api: Api) -> None:
        def chunks() -> object:
            for _ in range(3):
                yield b" " * (512 * 1024)

        response = api.post(
            "/cases",
            "bra",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 413, "body-too-large")


class TestFire:
    def test_a_caseworker_may_not_close_whatever_the_state(
        self, api: Api, db_path: Path
    ) -> None:
        number = open_inquiry(api)
        before = snapshot(db_path)
        response = api.post(
            f"/cases/{number}/events",
            "jur",
            json={"event": "close", "data": {"outcome": "no_further_action"}},
        )
        body = assert_problem(response, 403, "role-not-allowed")
        assert body["detail"] == (
            "user 'jur' (caseworker) may not 'close'; allowed roles: advisor"
        )
        assert snapshot(db_path) == before

    @pytest.mark.parametrize("event", ["send_inquiry", "note", "close", "withdraw"])
    def test_an_auditor_fires_nothing(
        self, api: Api, db_path: Path, event: str
    ) -> None:
        number = open_inquiry(api, dispatched=False)
        before = snapshot(db_path)
        response = api.post(
            f"/cases/{number}/events", "rev", json={"event": event, "document": "x"}
        )
        assert_problem(response, 403, "role-not-allowed")
        assert snapshot(db_path) == before

    def test_an_event_not_allowed_in_the_state_is_409(
        self, api: Api, db_path: Path
    ) -> None:
        number = open_inquiry(api)
        before = snapshot(db_path)
        response = api.post(
            f"/cases/{number}/events",
            "bra",
            json={"event": "close", "data": {"outcome": "no_further_action"}},
        )
        body = assert_problem(response, 409, "transition-not-allowed")
        assert body["state"] == "awaiting_reply"
        assert "receive_reply" in body["allowed"]
        assert snapshot(db_path) == before

    def test_a_stale_expected_version_is_409(self, api: Api, db_path: Path) -> None:
        number = open_inquiry(api)
        before = snapshot(db_path)
        response = api.post(
            f"/cases/{number}/events",
            "jur",
            json={"event": "receive_reply", "expected_version": 2},
        )
        body = assert_problem(response, 409, "concurrent-update")
        assert "version 2" in body["detail"]
        assert snapshot(db_path) == before

    def test_a_rule_that_refuses_is_409(self, api: Api) -> None:
        number = open_inquiry(api)
        api.ok(
            "POST",
            f"/cases/{number}/events",
            "jur",
            json={
                "event": "extend_deadline",
                "data": {"reply_by": "2024-12-05", "reason": "asked for time"},
            },
        )
        response = api.post(
            f"/cases/{number}/events",
            "jur",
            json={
                "event": "extend_deadline",
                "data": {"reply_by": "2024-12-20", "reason": "again"},
            },
        )
        body = assert_problem(response, 409, "rule-refused")
        assert body["rule"] == "repeat_needs_advisor"

    @pytest.mark.parametrize(
        ("body", "status", "slug"),
        [
            ({"event": "fly"}, 422, "unknown-event"),
            ({"event": "receive_reply", "data": {"x": 1}}, 422, "invalid-data"),
            ({"event": "receive_reply", "at": "2024-10-01T10:00"}, 422, "invalid-time"),
            ({"event": "receive_reply", "document": " "}, 422, "invalid-data"),
            ({"event": "receive_reply", "expected_version": 0}, 422, "invalid-body"),
            ({"event": "receive_reply", "actor": "bra"}, 422, "invalid-body"),
            ({"data": {}}, 422, "invalid-body"),
            (
                {"event": "extend_deadline", "data": {"reply_by": "3001-01-01"}},
                422,
                "invalid-data",
            ),
        ],
        ids=[
            "unknown-event",
            "undeclared-data",
            "before-the-last-step",
            "blank-document",
            "version-zero",
            "names-an-actor",
            "no-event",
            "date-out-of-range",
        ],
    )
    def test_bad_input_is_one_problem_and_changes_nothing(
        self, api: Api, db_path: Path, body: object, status: int, slug: str
    ) -> None:
        number = open_inquiry(api)
        before = snapshot(db_path)
        assert_problem(
            api.post(f"/cases/{number}/events", "jur", json=body), status, slug
        )
        assert snapshot(db_path) == before

    def test_an_unknown_case_is_404(self, api: Api) -> None:
        response = api.post("/cases/2024-9999999/events", "jur", json={"event": "note"})
        assert_problem(response, 404, "case-not-found")

    def test_a_fire_answers_the_case_as_the_cli_does(
        self, api: Api, api_engine: CaseEngine
    ) -> None:
        number = open_inquiry(api)
        fired = api.ok(
            "POST",
            f"/cases/{number}/events",
            "jur",
            json={"event": "receive_reply", "document": "Svar"},
        )
        assert (fired["state"], fired["version"]) == ("assessed", 4)
        view = api_engine.show(number)
        now = api_engine.clock.now()
        assert fired == present.case_json(
            view,
            now=now,
            calendar=api_engine.calendar,
            age=api_engine.age(view.case, now),
        )


class TestRead:
    @pytest.mark.parametrize("user", sorted(ROLE_OF))
    def test_every_role_reads_a_case_and_the_read_is_logged(
        self, api: Api, api_engine: CaseEngine, user: str
    ) -> None:
        number = open_inquiry(api)
        shown = api.ok("GET", f"/cases/{number}", user)
        assert (shown["number"], shown["state"]) == (number, "awaiting_reply")
        reads = [(r.actor, r.action, r.case_number) for r in api_engine.reads()]
        assert reads == [(user, "case_show", number)]

    def test_show_judges_deadlines_as_of_now(self, api: Api, clock: FakeClock) -> None:
        number = open_inquiry(api)  # the reply is due 2024-11-06
        shown = api.ok("GET", f"/cases/{number}", "rev")
        assert (shown["due"], shown["overdue"], shown["working_days_overdue"]) == (
            "2024-11-06",
            True,
            13,
        )
        earlier = api.ok("GET", f"/cases/{number}", "rev", params={"now": "2024-11-01"})
        assert earlier["overdue"] is False

    def test_an_unknown_case_is_404_and_no_read_is_logged(
        self, api: Api, api_engine: CaseEngine
    ) -> None:
        assert_problem(api.get("/cases/2024-9999999", "rev"), 404, "case-not-found")
        assert list(api_engine.reads()) == []

    def test_each_case_a_list_hands_out_is_logged_as_read_by_the_caller(
        self, api: Api, api_engine: CaseEngine
    ) -> None:
        numbers = [open_inquiry(api) for _ in range(4)]
        listed = api.ok("GET", "/cases", "ind", params={"limit": 2, "offset": 1})
        assert [c["number"] for c in listed] == numbers[1:3]
        reads = [(r.actor, r.action, r.case_number) for r in api_engine.reads()]
        assert reads == [("ind", "case_list", n) for n in numbers[1:3]]
        assert api.ok("GET", "/cases", "rev", params={"state": "closed"}) == []
        assert len(list(api_engine.reads())) == 2

    def test_list_filters_and_pages(self, api: Api) -> None:
        numbers = [open_inquiry(api, dispatched=i % 2 == 0) for i in range(5)]
        listed = api.ok("GET", "/cases", "ind")
        assert [c["number"] for c in listed] == numbers
        waiting = api.ok("GET", "/cases", "ind", params={"state": "awaiting_reply"})
        assert [c["number"] for c in waiting] == numbers[0::2]
        overdue = api.ok(
            "GET", "/cases", "ind", params={"overdue": "true", "now": "2024-10-12"}
        )
        assert [c["number"] for c in overdue] == numbers[1::2]  # due 2024-10-11
        first = api.get("/cases", "ind", params={"limit": 2})
        assert [c["number"] for c in first.json()] == numbers[:2]
        assert first.headers["link"] == '</cases?limit=2&offset=2>; rel="next"'
        last = api.get("/cases", "ind", params={"limit": 2, "offset": 4})
        assert [c["number"] for c in last.json()] == numbers[4:]
        assert "link" not in last.headers

    @pytest.mark.parametrize(
        ("params", "status", "slug"),
        [
            ({"limit": 0}, 400, "malformed-request"),
            ({"limit": 501}, 400, "malformed-request"),
            ({"offset": -1}, 400, "malformed-request"),
            ({"limit": "many"}, 400, "malformed-request"),
            ({"workflow": "nope"}, 404, "workflow-not-found"),
            ({"state": "flying"}, 400, "bad-request"),
            ({"now": "soon"}, 422, "invalid-time"),
            ({"now": "2030-01-01"}, 422, "invalid-time"),
            ({"now": "1900-01-01"}, 422, "invalid-time"),
            ({"stat": "closed"}, 400, "unknown-parameter"),
            ({"state": "x\x00"}, 400, "malformed-request"),
        ],
    )
    def test_list_refuses_bad_parameters(
        self, api: Api, params: dict[str, object], status: int, slug: str
    ) -> None:
        assert_problem(api.get("/cases", "rev", params=params), status, slug)


class TestDocuments:
    def test_journal_a_note_and_list_the_documents(
        self, api: Api, api_engine: CaseEngine
    ) -> None:
        number = open_inquiry(api)
        noted = api.ok(
            "POST",
            f"/cases/{number}/documents",
            "ind",
            json={"title": "Telefonnotat", "direction": "incoming"},
        )
        assert noted["state"] == "awaiting_reply"  # a note keeps the state
        assert noted["history"][-1]["event"] == "note"
        documents = api.ok("GET", f"/cases/{number}/documents", "rev")
        assert [(d["number"], d["title"], d["direction"]) for d in documents] == [
            (f"{number}-1", "Høring", "outgoing"),
            (f"{number}-2", "Telefonnotat", "incoming"),
        ]
        actions = [(r.actor, r.action) for r in api_engine.reads()]
        assert actions == [("rev", "case_documents")]

    def test_an_auditor_journals_nothing(self, api: Api, db_path: Path) -> None:
        number = open_inquiry(api)
        before = snapshot(db_path)
        response = api.post(f"/cases/{number}/documents", "rev", json={"title": "X"})
        assert_problem(response, 403, "role-not-allowed")
        assert snapshot(db_path) == before

    def test_a_direction_not_declared_is_422(self, api: Api) -> None:
        number = open_inquiry(api)
        response = api.post(
            f"/cases/{number}/documents",
            "jur",
            json={"title": "X", "direction": "sideways", "at": DISPATCHED_AT},
        )
        assert_problem(response, 422, "invalid-data")
