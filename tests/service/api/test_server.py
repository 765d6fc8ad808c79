"""The API through a real HTTP server process: every role, every error class.

`sagsflow api --port 0` runs on a SQLite file made with `sagsflow init`, with
tokens made by `sagsflow token create`; requests go over TCP with an HTTP
client. `sagsflow serve` is run too: the API next to the chaser, /health
saying the timer runs, and SIGTERM still stopping both cleanly.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.api.process import (
    LiveApi,
    Prepared,
    Process,
    cli,
    environment,
    live_api,
    prepare,
)

pytestmark = pytest.mark.slow

TITLE = "Politianmeldelse af borger for digital chikane (egen drift)"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return prepare(tmp_path_factory.mktemp("prepared"))


@pytest.fixture(scope="module")
def live(
    prepared: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    with live_api(prepared, tmp_path_factory.mktemp("live")) as running:
        yield running


def _problem(response: object, status: int, slug: str) -> None:
    import httpx2

    assert isinstance(response, httpx2.Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:sagsflow:problem:{slug}"


def _open(live: LiveApi) -> str:
    response = live.client("bra").post(
        "/cases",
        json={
            "workflow": "ombudsman-inquiry",
            "title": TITLE,
            "parties": [{"role": "authority", "name": "Socialforvaltningen"}],
            "data": {"own_initiative": True},
            "at": "2024-10-03T10:00:00+02:00",
        },
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["number"]
    return number


def test_it_says_where_it_listens(live: LiveApi) -> None:
    assert live.process.proc.poll() is None
    assert live.client().get("/health").json()["scheduler"] == "off"


def test_each_role_over_http(live: LiveApi) -> None:
    number = _open(live)  # the advisor opens
    sent = live.client("jur").post(
        f"/cases/{number}/events",
        json={"event": "send_inquiry", "at": "2024-10-09T09:30:00+02:00"},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["history"][-1]["actor"] == "jur"
    noted = live.client("ind").post(
        f"/cases/{number}/documents", json={"title": "Telefonnotat"}
    )
    assert noted.status_code == 200, noted.text
    shown = live.client("rev").get(f"/cases/{number}")
    assert shown.status_code == 200
    assert [e["actor"] for e in shown.json()["history"]] == ["bra", "jur", "ind"]
    _problem(
        live.client("rev").post(f"/cases/{number}/events", json={"event": "note"}),
        403,
        "role-not-allowed",
    )
    _problem(
        live.client("jur").post(
            f"/cases/{number}/events",
            json={"event": "close", "data": {"outcome": "no_further_action"}},
        ),
        403,
        "role-not-allowed",
    )
    assert live.client("rev").get("/audit/access").status_code == 200
    _problem(live.client("jur").get("/audit/access"), 403, "role-not-allowed")


def test_each_error_class_over_http(live: LiveApi) -> None:
    number = _open(live)
    jur = live.client("jur")
    _problem(live.client().get("/cases"), 401, "unauthenticated")
    _problem(
        jur.post(
            f"/cases/{number}/events",
            content=b"{",
            headers={"content-type": "application/json"},
        ),
        400,
        "malformed-request",
    )
    _problem(jur.get("/cases/2024-9999999"), 404, "case-not-found")
    _problem(
        jur.post(f"/cases/{number}/events", json={"event": "receive_reply"}),
        409,
        "transition-not-allowed",
    )
    _problem(
        jur.post(
            f"/cases/{number}/events",
            json={"event": "send_inquiry", "expected_version": 7},
        ),
        409,
        "concurrent-update",
    )
    _problem(
        jur.post(
            f"/cases/{number}/events",
            json={"event": "send_inquiry", "data": {"reply_by": "someday"}},
        ),
        422,
        "invalid-data",
    )
    _problem(
        jur.post(
            f"/cases/{number}/events",
            content=b"[" + b"0," * (600 * 1024) + b"0]",
            headers={"content-type": "application/json"},
        ),
        413,
        "body-too-large",
    )
    _problem(jur.delete("/cases"), 405, "method-not-allowed")
    assert jur.get(f"/cases/{number}").json()["version"] == 1  # nothing changed


def test_idempotency_over_http(live: LiveApi) -> None:
    number = _open(live)
    headers = {"Idempotency-Key": f"send-{number}"}
    body = {"event": "send_inquiry", "at": "2024-10-09T09:30:00+02:00"}
    jur = live.client("jur")
    first = jur.post(f"/cases/{number}/events", json=body, headers=headers)
    again = jur.post(f"/cases/{number}/events", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    other = jur.post(
        f"/cases/{number}/events", json={"event": "withdraw"}, headers=headers
    )
    _problem(other, 422, "idempotency-key-reused")
    log = live.client("rev").get("/audit/log", params={"case": number}).json()
    # the step once; its letter is rendered after the first response (a system
    # step the log holds once that has run: never twice)
    events = [e["event"] for e in log]
    assert [e for e in events if e != "render"] == ["open", "send_inquiry"]
    assert events.count("render") <= 1


def test_a_revoked_token_is_refused_at_once(live: LiveApi) -> None:
    token = cli(live.env, "token", "create", "rev").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    client = live.client()
    assert client.get("/workflows", headers=headers).status_code == 200
    token_id = token.split("_")[1]
    cli(live.env, "token", "revoke", token_id)
    _problem(client.get("/workflows", headers=headers), 401, "unauthenticated")


def test_sigterm_stops_it_cleanly_and_the_log_holds_no_token(
    prepared: Prepared, tmp_path: Path
) -> None:
    with live_api(prepared, tmp_path) as running:
        assert running.client("rev").get("/workflows").status_code == 200
        running.client().get("/cases", headers={"Authorization": "Bearer sgf_x_y"})
        code = running.process.terminate()
        assert code == 0
        assert "listening on http://127.0.0.1:" in running.process.stdout
        events = running.process.events()
        text = "".join(running.process.stderr)
    assert None not in {e["event"] for e in events}, text  # JSON lines only
    assert [e["event"] for e in events][-1] == "api_stopped"
    assert {"api_request", "api_unauthenticated"} <= {e["event"] for e in events}
    for token in running.tokens.values():
        assert token not in text
        assert token.split("_", 2)[2] not in text


def test_a_port_in_use_is_one_clear_error(prepared: Prepared, tmp_path: Path) -> None:
    _, env, _ = prepared.copy(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = Process(env, ("api", "--port", str(port)))
        code = process.proc.wait(timeout=60)
        process.close()
    assert code == 1
    assert f"the API cannot listen on 127.0.0.1:{port}" in process.tail()


def test_serve_runs_the_api_next_to_the_chaser(
    prepared: Prepared, tmp_path: Path
) -> None:
    db_path, _, tokens = prepared.copy(tmp_path)
    env = environment(
        db_path, SAGSFLOW_SWEEP_CLOSED_DAYS="1", SAGSFLOW_QUIET_HOURS="none"
    )
    process = Process(env, ("serve", "--interval", "0.2", "--api-port", "0"))
    try:
        started = process.wait_for_event("api_started")
        process.wait_for_event("sweep_finished")
        import httpx2

        with httpx2.Client(base_url=f"http://127.0.0.1:{started['port']}") as client:
            health = client.get("/health")
            metrics = client.get(
                "/metrics", headers={"Authorization": f"Bearer {tokens['rev']}"}
            )
        assert health.json() == {
            "status": "ok",
            "database": "ok",
            "scheduler": "running",
            "oldest_overdue_lag_days": 0,
        }
        assert "sagsflow_sweep_duration_seconds_count" in metrics.text
        assert "sagsflow_sweep_duration_seconds_count 0.0" not in metrics.text
        assert process.terminate() == 0
    finally:
        process.close()
    names = [e["event"] for e in process.events()]
    assert names[-1] == "service_stopped"
    assert names.index("api_stopped") < names.index("service_stopped")
    assert process.stdout == ""  # stdout is the CLI's result channel


def test_serve_chases_on_when_the_api_port_is_taken(
    prepared: Prepared, tmp_path: Path
) -> None:
    db_path, _, _ = prepared.copy(tmp_path)
    env = environment(
        db_path, SAGSFLOW_SWEEP_CLOSED_DAYS="1", SAGSFLOW_QUIET_HOURS="none"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = Process(env, ("serve", "--interval", "0.2", "--api-port", str(port)))
        try:
            unavailable = process.wait_for_event("api_unavailable")
            assert f"127.0.0.1:{port}" in unavailable["error"]
            process.wait_for_event("sweep_finished")
            assert process.terminate() == 0
        finally:
            process.close()


def test_serve_without_the_api(prepared: Prepared, tmp_path: Path) -> None:
    db_path, _, _ = prepared.copy(tmp_path)
    env = environment(
        db_path, SAGSFLOW_SWEEP_CLOSED_DAYS="1", SAGSFLOW_QUIET_HOURS="none"
    )
    process = Process(env, ("serve", "--interval", "0.2", "--no-api"))
    try:
        process.wait_for_event("sweep_finished")
        assert process.terminate() == 0
    finally:
        process.close()
    assert "api_started" not in {e["event"] for e in process.events()}
