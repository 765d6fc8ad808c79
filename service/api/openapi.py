"""The OpenAPI document: FastAPI's, plus what only the running app knows.

Added to what FastAPI generates: the `Problem` schema every error answer
names, and the names the loaded workflows declare (workflows, events,
states) as `enum`s where requests name them, so the document tells a client
(and schemathesis) which values exist. The server still answers other names
with a problem (404 or 400), as the engine refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

from engine.workflow.registry import WorkflowRegistry
from service.api.schemas import Problem

_WORKFLOW_QUERIES = ("/cases", "/audit/log", "/reports")


def install(app: FastAPI, registry: WorkflowRegistry) -> None:
    """Make `app.openapi()` return the document with these additions."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        if "Problem" not in document.get("components", {}).get("schemas", {}):
            _complete(document, registry)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(document: dict[str, Any], registry: WorkflowRegistry) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    definitions = registry.latest()
    workflows = [d.name for d in definitions]
    events = sorted({t.event for d in definitions for t in d.transitions})
    states = sorted({s.name for d in definitions for s in d.states})
    _enumerate(schemas["OpenCase"]["properties"]["workflow"], workflows)
    _enumerate(schemas["FireEvent"]["properties"]["event"], events)
    paths = document["paths"]
    for parameter in paths["/workflows/{name}"]["get"]["parameters"]:
        _enumerate(parameter["schema"], workflows)
    for path in _WORKFLOW_QUERIES:
        for parameter in paths[path]["get"]["parameters"]:
            if parameter["name"] == "workflow":
                _enumerate(parameter["schema"], workflows)
            elif parameter["name"] == "state" and path == "/cases":
                # not the audit log's: it may name states of older versions
                _enumerate(parameter["schema"], states)


def _enumerate(schema: dict[str, Any], values: Iterable[str]) -> None:
    """Put `values` as the enum of the string (or the string branch of anyOf)."""
    target = next(
        (s for s in schema.get("anyOf", ()) if s.get("type") == "string"), schema
    )
    target["enum"] = list(values)
