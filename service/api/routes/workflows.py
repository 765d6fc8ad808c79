"""`/workflows`: the declarations cases can be opened on (any office role)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import PlainTextResponse, Response

from engine.exceptions import InvalidInputError
from engine.explain.diagram.svg import to_svg
from engine.explain.diagram.text import to_dot, to_mermaid
from engine.workflow.definition import WorkflowDefinition
from service import present
from service.api.auth import AnyUser
from service.api.routes.shared import json_response, problems
from service.api.schemas import WorkflowOut, WorkflowSummary
from service.api.state import ApiState, api_state

router = APIRouter(prefix="/workflows", tags=["workflows"])

State = Annotated[ApiState, Depends(api_state)]
SVG = "image/svg+xml"


def summary_json(d: WorkflowDefinition) -> dict[str, Any]:
    """One workflow as `sagsflow workflow list --json` prints it."""
    return {
        "name": d.name,
        "version": d.version,
        "title": d.title,
        "source": d.source,
        "states": [s.name for s in d.states],
        "events": list(d.events),
    }


@router.get(
    "",
    response_model=None,
    responses={200: {"model": list[WorkflowSummary]}, **problems()},
)
def list_workflows(state: State, _: AnyUser) -> Response:
    """The newest version of every workflow (`sagsflow workflow list --json`)."""
    return json_response([summary_json(d) for d in state.engine.registry.latest()])


@router.get(
    "/{name}",
    response_model=None,
    responses={200: {"model": WorkflowOut}, **problems(404)},
)
def show_workflow(name: str, state: State, _: AnyUser) -> Response:
    """States, deadlines, chase ladders, events, roles and data fields."""
    return json_response(present.workflow_json(state.engine.registry.get(name)))


@router.get(
    "/{name}/diagram",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Mermaid or Graphviz source, or an SVG image",
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
        },
        **problems(400, 404),
    },
)
def diagram(
    name: str,
    state: State,
    _: AnyUser,
    format: Annotated[Literal["mermaid", "dot", "svg"], Query()] = "mermaid",
    current: Annotated[
        str | None, Query(description="State to highlight (svg)")
    ] = None,
) -> Response:
    """A diagram of the workflow, deadlines and chase ladders included.

    Mermaid or Graphviz source, or an SVG image with the state `current`
    highlighted.
    """
    definition = state.engine.registry.get(name)
    if format == "svg":
        return Response(to_svg(definition, current=current), media_type=SVG)
    if current is not None:
        raise InvalidInputError("'current' needs format=svg")
    text = to_mermaid(definition) if format == "mermaid" else to_dot(definition)
    return PlainTextResponse(text)
