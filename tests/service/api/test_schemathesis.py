"""schemathesis against the served `/openapi.json` of a real `sagsflow api`.

Every operation gets generated requests, valid and invalid (with the
advisor's token: the advisor may do the most); every answer must not be a
server error and must fit the document: status, content type, headers and
body schema. Then a stateful run follows the document's links (open a case,
then show it, fire events on it, list its documents) with the same checks.

The operations are listed at collection time from an in-process app (the
same code), and each test takes its operation from the document the server
serves. (schemathesis's own lazy pytest loader, `from_fixture`, reads a
private pytest attribute that pytest 9 no longer has.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.generation.stateful.state_machine import APIStateMachine
from schemathesis.specs.openapi import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.api.app import create_app
from service.settings import Settings
from storage import InMemoryCaseStore
from tests.service.api.process import LiveApi, prepare
from tests.service.api.process import live_api as start_live_api
from workflows import bundled_paths

pytestmark = pytest.mark.slow

EXAMPLES = 40  # per operation and mode; about a minute on 2 cores in all
STATEFUL_EXAMPLES = 40


def _document() -> dict[str, Any]:
    store = InMemoryCaseStore()
    engine = CaseEngine(
        store=store,
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(),
        calendar=BusinessCalendar(),
    )
    return create_app(engine=engine, store=store, settings=Settings()).openapi()


DOCUMENT = _document()
OPERATIONS = [
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
]
# Invalid requests need something to get wrong: a parameter, a body or a token.
MUTABLE = {
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if operation.get("parameters")
    or operation.get("requestBody")
    or operation.get("security")
}
# Not checked: that every schema-valid request is accepted. The document says
# what a request looks like; whether its values fit is decided by the workflow
# declarations (states, events, data fields) and by what is recorded, so a
# well-formed request is still refused with 400 or 422 when, for example, it
# names a state no workflow has or a time that does not parse.
EXCLUDED: list[CheckFunction] = [checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    prepared = prepare(tmp_path_factory.mktemp("schemathesis-prepared"))
    with start_live_api(prepared, tmp_path_factory.mktemp("schemathesis")) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(live: LiveApi) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{live.base_url}/openapi.json")


def _headers(live: LiveApi) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.tokens['bra']}"}


def _authorised(case: Case[Any], live: LiveApi) -> dict[str, str] | None:
    """The advisor's token in place of a generated bearer token.

    A generated case that left the header out or wrote it wrongly (an
    invalid request on purpose) is sent as generated: it must get a 401.
    """
    generated: dict[str, Any] = dict(case.headers or {})
    sent = generated.get("Authorization")
    if sent is None or not sent.startswith("Bearer "):
        return None
    return _headers(live)


def test_the_served_document_is_the_apps(live: LiveApi) -> None:
    import httpx2

    served = httpx2.get(f"{live.base_url}/openapi.json").json()
    assert served == DOCUMENT


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_server_error_and_every_answer_fits_the_document(
    api_schema: OpenApiSchema,
    live: LiveApi,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    if mode is GenerationMode.NEGATIVE and (method, path) not in MUTABLE:
        pytest.skip("nothing in this operation's requests can be invalid")
    operation = api_schema[path][method]

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Case[Any]) -> None:
        case.call_and_validate(
            base_url=live.base_url,
            headers=_authorised(case, live),
            excluded_checks=EXCLUDED,
        )

    check()


def test_stateful_runs_fit_the_document(
    api_schema: OpenApiSchema, live: LiveApi
) -> None:
    machine: type[APIStateMachine] = api_schema.as_state_machine()
    headers = _headers(live)

    class Authenticated(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": live.base_url, "headers": headers}

        def validate_response(
            self, response: Any, case: Case[Any], **kwargs: Any
        ) -> None:
            case.validate_response(
                response, excluded_checks=EXCLUDED, transport_kwargs=kwargs
            )

    Authenticated.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
            database=None,
        )
    )
