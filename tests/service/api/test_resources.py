"""Workflows, audit, reports, the outbox, health and metrics, in-process.

Each answer is the CLI's `--json` for the same question; each resource is
asked by every role, and the roles it refuses get 403.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import ChaseSettings
from engine.records import NotificationStatus
from engine.testing import FakeClock, chaser_for
from service import present
from service.api.metrics import Metrics
from storage import SqlCaseStore
from tests.service.api.conftest import ROLE_OF, Api, assert_problem, open_inquiry

ANY_DAY = ChaseSettings(working_days_only=False, quiet_hours=(0, 0))

# path -> the users allowed (everyone else with a token gets 403)
READ_RULES = {
    "/workflows": set(ROLE_OF),
    "/workflows/ombudsman-inquiry": set(ROLE_OF),
    "/workflows/ombudsman-inquiry/diagram": set(ROLE_OF),
    "/cases": set(ROLE_OF),
    "/metrics": set(ROLE_OF),
    "/audit/log": {"bra", "jur", "jur2", "rev"},
    "/reports": {"bra", "jur", "jur2", "rev"},
    "/outbox": {"bra", "jur", "jur2", "rev"},
    "/audit/verify": {"bra", "rev"},
    "/audit/access": {"bra", "rev"},
}


def _chase(engine: CaseEngine) -> None:
    """One sweep at the clock's time: the founding case is overdue since 6 Nov."""
    result = chaser_for(engine, settings=ANY_DAY).sweep()
    assert [c.rung for c in result.chased] == ["reminder_1"]


@pytest.mark.parametrize("path", sorted(READ_RULES))
@pytest.mark.parametrize("user", sorted(ROLE_OF))
def test_who_may_read_what(api: Api, path: str, user: str) -> None:
    response = api.get(path, user)
    if user in READ_RULES[path]:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 403, "role-not-allowed")


@pytest.mark.parametrize("path", sorted(READ_RULES))
def test_every_resource_needs_a_token(api: Api, path: str) -> None:
    response = api.get(path)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == 'Bearer realm="sagsflow"'


class TestWorkflows:
    def test_list_is_the_cli_list(self, api: Api, api_engine: CaseEngine) -> None:
        listed = api.ok("GET", "/workflows", "ind")
        assert [w["name"] for w in listed] == [
            "access-to-documents",
            "ombudsman-inquiry",
        ]
        assert set(listed[1]) == {
            "name",
            "version",
            "title",
            "source",
            "states",
            "events",
        }

    def test_show_is_workflow_show_json(self, api: Api, api_engine: CaseEngine) -> None:
        shown = api.ok("GET", "/workflows/ombudsman-inquiry", "rev")
        assert shown == present.workflow_json(
            api_engine.registry.get("ombudsman-inquiry")
        )

    def test_diagrams(self, api: Api) -> None:
        mermaid = api.get("/workflows/ombudsman-inquiry/diagram", "rev")
        assert mermaid.headers["content-type"].startswith("text/plain")
        assert mermaid.text.startswith("stateDiagram")
        dot = api.get("/workflows/ombudsman-inquiry/diagram?format=dot", "rev")
        assert dot.text.startswith('digraph "ombudsman-inquiry"')
        bad = api.get("/workflows/ombudsman-inquiry/diagram?format=png", "rev")
        assert_problem(bad, 400, "malformed-request")

    def test_svg_diagram(self, api: Api) -> None:
        path = "/workflows/ombudsman-inquiry/diagram?format=svg"
        svg = api.get(f"{path}&current=assessed", "rev")
        assert svg.status_code == 200, svg.text
        assert svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert 'aria-current="true" data-state="assessed"' in svg.text
        assert "aria-current" not in api.get(path, "rev").text
        unknown = api.get(f"{path}&current=nosuch", "rev")
        assert (
            "'nosuch' is not a state"
            in assert_problem(unknown, 400, "bad-request")["detail"]
        )
        not_svg = api.get(f"{path.replace('svg', 'dot')}&current=opened", "rev")
        assert_problem(not_svg, 400, "bad-request")

    def test_an_unknown_workflow_is_404(self, api: Api) -> None:
        body = assert_problem(
            api.get("/workflows/nope", "rev"), 404, "workflow-not-found"
        )
        assert "ombudsman-inquiry" in body["detail"]


class TestAudit:
    def test_log_is_audit_log_json_and_reading_a_case_is_logged(
        self, api: Api, api_engine: CaseEngine
    ) -> None:
        number = open_inquiry(api)
        rows = api.ok("GET", "/audit/log", "rev", params={"case": number})
        assert [r["event"] for r in rows] == ["open", "send_inquiry", "mark_dispatched"]
        from engine.records import AuditFilter

        expected = list(present.audit_rows(api_engine.audit_log(AuditFilter())))
        assert rows == json.loads(json.dumps(expected))
        assert [(r.actor, r.action) for r in api_engine.reads()] == [
            ("rev", "audit_log")
        ]

    def test_log_filters_and_pages(self, api: Api) -> None:
        open_inquiry(api)
        open_inquiry(api)
        by_jur = api.ok("GET", "/audit/log", "rev", params={"actor": "jur"})
        assert len(by_jur) == 4
        assert {r["actor"] for r in by_jur} == {"jur"}
        opened = api.ok("GET", "/audit/log", "rev", params={"event": "open"})
        assert len(opened) == 2
        second = api.ok("GET", "/audit/log", "rev", params={"limit": 2, "offset": 2})
        assert [(r["seq"], r["event"]) for r in second] == [
            (3, "mark_dispatched"),
            (1, "open"),
        ]
        windowed = api.ok(
            "GET",
            "/audit/log",
            "rev",
            params={"since": "2024-10-09", "until": "2024-10-09T12:00"},
        )
        assert {r["event"] for r in windowed} == {"send_inquiry"}
        one_day = {"since": "2024-10-09", "until": "2024-10-09"}  # both ends in
        whole = api.ok("GET", "/audit/log", "rev", params=one_day)
        assert {r["event"] for r in whole} == {"send_inquiry", "mark_dispatched"}

    @pytest.mark.parametrize(
        ("params", "status", "slug"),
        [
            ({"case": "2024-9999999"}, 404, "case-not-found"),
            ({"role": "king"}, 400, "bad-request"),
            ({"workflow": "nope"}, 404, "workflow-not-found"),
            ({"since": "2024-11-01", "until": "2024-10-01"}, 400, "bad-request"),
            ({"since": "never"}, 422, "invalid-time"),
            ({"limit": 0}, 400, "malformed-request"),
        ],
    )
    def test_log_refuses_bad_filters(
        self, api: Api, params: dict[str, object], status: int, slug: str
    ) -> None:
        assert_problem(api.get("/audit/log", "rev", params=params), status, slug)

    def test_verify(self, api: Api) -> None:
        open_inquiry(api)
        assert api.ok("GET", "/audit/verify", "rev") == {
            "ok": True,
            "cases": 1,
            "entries": 3,
            "anchored_cases": 0,
            "problems": [],
        }

    def test_access_log(self, api: Api) -> None:
        number = open_inquiry(api)
        api.ok("GET", f"/cases/{number}", "jur")
        api.ok("GET", f"/cases/{number}", "ind")
        reads = api.ok("GET", "/audit/access", "bra")
        assert [(r["actor"], r["action"], r["case"]) for r in reads] == [
            ("jur", "case_show", number),
            ("ind", "case_show", number),
        ]
        assert api.ok("GET", "/audit/access", "rev", params={"actor": "ind"}) == [
            reads[1]
        ]

    def test_dossier_verifies_offline(self, api: Api, api_engine: CaseEngine) -> None:
        from engine.audit.dossier import verify_dossier

        number = open_inquiry(api)
        dossier = api.ok("GET", f"/audit/cases/{number}/dossier", "rev")
        assert dossier["case"]["number"] == number
        assert dossier["exported_by"] == "rev"
        assert verify_dossier(dossier, None) == []
        assert [(r.actor, r.action) for r in api_engine.reads()] == [
            ("rev", "audit_export")
        ]
        assert_problem(
            api.get("/audit/cases/nope/dossier", "rev"), 404, "case-not-found"
        )


class TestReports:
    def test_report_is_report_json(self, api: Api) -> None:
        open_inquiry(api)
        figures = api.ok("GET", "/reports", "bra", params={"since": "2024-10-01"})
        assert (figures["workflow"], figures["since"], figures["cases_opened"]) == (
            None,
            "2024-10-01",
            1,
        )
        assert figures["open_now"]["by_workflow"] == {
            "ombudsman-inquiry": {"awaiting_reply": 1}
        }

    @pytest.mark.parametrize(
        ("params", "status", "slug"),
        [
            ({"since": "2024-13-01"}, 422, "invalid-time"),
            ({"since": "2024-12-01", "until": "2024-11-01"}, 400, "bad-request"),
            ({"until": "0001-01-02"}, 422, "invalid-time"),
            ({"workflow": "nope"}, 404, "workflow-not-found"),
        ],
    )
    def test_report_refuses_bad_periods(
        self, api: Api, params: dict[str, object], status: int, slug: str
    ) -> None:
        """In the API's words: no command-line flag in the answer."""
        problem = assert_problem(
            api.get("/reports", "rev", params=params), status, slug
        )
        assert "--" not in problem["detail"], problem["detail"]

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/reports", {"since": "2024-12-01", "until": "2024-11-01"}),
            ("/audit/log", {"since": "2024-12-01", "until": "2024-11-01"}),
        ],
    )
    def test_a_period_that_ends_before_it_starts_is_named_as_such(
        self, api: Api, path: str, params: dict[str, object]
    ) -> None:
        problem = assert_problem(
            api.get(path, "rev", params=params), 400, "bad-request"
        )
        assert "the period must not start after it ends" in problem["detail"]
        assert "--" not in problem["detail"]


class TestOutbox:
    def test_list_is_outbox_list_json(self, api: Api, api_engine: CaseEngine) -> None:
        open_inquiry(api)
        _chase(api_engine)
        listed = api.ok("GET", "/outbox", "rev")
        with api_engine.store.transaction(write=False) as tx:
            expected = [present.notification_json(n) for n in tx.list_notifications()]
        assert listed == json.loads(json.dumps(expected))
        assert len(listed) == 2
        assert api.ok("GET", "/outbox", "rev", params={"status": "sent"}) == []
        assert len(api.ok("GET", "/outbox", "rev", params={"limit": 1})) == 1

    def test_retry_a_failed_notification(
        self, api: Api, api_engine: CaseEngine, clock: FakeClock
    ) -> None:
        open_inquiry(api)
        _chase(api_engine)
        with api_engine.store.transaction() as tx:
            (claimed, *_) = tx.claim_notifications(
                clock.now(), limit=1, lease_until=clock.now() + timedelta(minutes=5)
            )
            assert claimed.id is not None
            tx.finish_notification(
                claimed.id,
                claimed_attempts=claimed.attempts,
                status=NotificationStatus.FAILED,
                error="550 no such mailbox",
            )
        assert_problem(
            api.post(f"/outbox/{claimed.id}/retry", "rev"), 403, "role-not-allowed"
        )
        retried = api.ok("POST", f"/outbox/{claimed.id}/retry", "jur")
        assert (retried["id"], retried["status"]) == (claimed.id, "pending")
        assert_problem(api.post("/outbox/999/retry", "jur"), 404, "not-found")
        assert_problem(
            api.post(f"/outbox/{2**63}/retry", "jur"), 400, "malformed-request"
        )


class TestHealthAndMetrics:
    def test_health_needs_no_token(self, api: Api, api_engine: CaseEngine) -> None:
        assert api.ok("GET", "/health", "rev") == api.get("/health").json()
        assert api.get("/health").json() == {
            "status": "ok",
            "database": "ok",
            "scheduler": "off",
            "oldest_overdue_lag_days": 0,
        }
        open_inquiry(api)  # due 2024-11-06; the clock says 2024-11-25
        assert api.get("/health").json()["oldest_overdue_lag_days"] == 19

    def test_health_reports_a_stopped_timer_and_a_lost_database(
        self, api_engine: CaseEngine, settings: object, api_store: SqlCaseStore
    ) -> None:
        from fastapi.testclient import TestClient

        from service.api.app import create_app
        from service.settings import Settings
        from storage import SqlCaseStore, create_db_engine

        assert isinstance(settings, Settings)
        stopped = create_app(
            engine=api_engine,
            store=api_store,
            settings=settings,
            scheduler_running=lambda: False,
        )
        with TestClient(stopped) as client:
            response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["scheduler"] == "stopped"
        away = SqlCaseStore(
            create_db_engine("sqlite:////nonexistent/x.db", create=False)
        )
        gone = CaseEngine(
            store=away,
            registry=api_engine.registry,
            clock=api_engine.clock,
            calendar=api_engine.calendar,
        )
        with TestClient(
            create_app(engine=gone, store=away, settings=settings)
        ) as client:
            response = client.get("/health")
            well_formed = "sgf_" + "0" * 12 + "_secret"
            refused = client.get(
                "/cases", headers={"Authorization": f"Bearer {well_formed}"}
            )
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "database": "unavailable",
            "scheduler": "off",
            "oldest_overdue_lag_days": None,
        }
        assert_problem(refused, 503, "database-unavailable")

    def test_metrics_count_from_the_record(
        self, api: Api, api_engine: CaseEngine, clock: FakeClock
    ) -> None:
        open_inquiry(api)
        _chase(api_engine)
        response = api.get("/metrics", "rev")
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        sent = 'event="send_inquiry",workflow="ombudsman-inquiry"'
        assert f"sagsflow_transitions_total{{{sent}}} 1.0" in text
        assert 'sagsflow_chases_total{workflow="ombudsman-inquiry"} 1.0' in text
        assert 'sagsflow_outbox_notifications{status="pending"} 2.0' in text
        assert "sagsflow_oldest_chase_lag_days 0.0" in text  # chased: next rung later
        assert "sagsflow_sweep_duration_seconds_count 0.0" in text
        open_inquiry(api)  # counted incrementally on the next scrape
        again = api.get("/metrics", "rev").text
        assert (
            'sagsflow_transitions_total{event="open",workflow="ombudsman-inquiry"} 2.0'
            in again
        )
        clock.advance(timedelta(hours=2))  # a whole recount: the same totals
        assert api.get("/metrics", "rev").text == again

    def test_sweep_durations(self, api_engine: CaseEngine) -> None:
        metrics = Metrics(store=api_engine.store, clock=api_engine.clock)
        metrics.observe_sweep(0.02)
        metrics.observe_sweep(3.0)
        text = metrics.render().decode()
        assert 'sagsflow_sweep_duration_seconds_bucket{le="0.05"} 1.0' in text
        assert 'sagsflow_sweep_duration_seconds_bucket{le="+Inf"} 2.0' in text
        assert "sagsflow_sweep_duration_seconds_sum 3.02" in text


class TestHttpErrors:
    def test_an_unknown_path_is_a_problem(self, api: Api) -> None:
        assert_problem(api.get("/nowhere", "rev"), 404, "no-such-resource")

    def test_a_method_not_allowed_is_a_problem(self, api: Api) -> None:
        response = api.call("DELETE", "/cases", "rev")
        assert_problem(response, 405, "method-not-allowed")
        assert "GET" in response.headers["allow"]

    def test_openapi_and_docs_need_no_token(self, api: Api) -> None:
        document = api.get("/openapi.json").json()
        assert document["openapi"].startswith("3.")
        assert "Problem" in document["components"]["schemas"]
        assert api.get("/docs").status_code == 200

    def test_docs_load_swagger_ui_from_the_server_itself(self, api: Api) -> None:
        page = api.get("/docs").text
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources, page
        assert all(s.startswith("/docs-assets/") for s in sources), sources
        assert "cdn" not in page.lower()
        kinds = {"swagger-ui-bundle.js": "javascript", "swagger-ui.css": "text/css"}
        for name, kind in kinds.items():
            asset = api.get(f"/docs-assets/{name}")  # no token, as /docs
            assert asset.status_code == 200
            assert kind in asset.headers["content-type"]
            assert len(asset.content) > 100_000
        assert_problem(api.get("/docs-assets/nothing.js"), 404, "no-such-resource")
