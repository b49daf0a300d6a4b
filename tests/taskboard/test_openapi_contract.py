"""Lesson 03: the OpenAPI document is Taskboard's contract with its clients.

The snapshot test fails on any change to the schema, accidental or not. To accept a change on
purpose, refresh the snapshot (the failure prints the command) and commit it with the change.
The other tests hold the documentation itself to a standard: every operation is described.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course.contract import openapi_text, schema_changes
from taskboard.core.config import Settings
from taskboard.main import create_app

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
REFRESH = (
    "UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/taskboard/test_openapi_contract.py"
)
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return _app().openapi()


def _app() -> FastAPI:
    # Defaults only: the title and version must not depend on the machine's environment.
    return create_app(Settings.model_construct())


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_matches_the_committed_snapshot() -> None:
    text = openapi_text(_app())
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"No snapshot yet. Create it with:\n    {REFRESH}"
    changes = schema_changes(json.loads(SNAPSHOT.read_text()), json.loads(text))
    shown = "\n".join(f"    {change}" for change in changes[:20])
    more = f"\n    ... and {len(changes) - 20} more" if len(changes) > 20 else ""
    assert not changes, (
        f"The API changed: {len(changes)} difference(s) from {SNAPSHOT.name}.\n{shown}{more}\n"
        f"If the change is intended, refresh the snapshot and commit it with the change:\n"
        f"    {REFRESH}"
    )
    assert SNAPSHOT.read_text() == text, f"Same schema, different layout. Refresh:\n    {REFRESH}"


def test_a_change_is_reported_as_the_pointer_that_changed() -> None:
    old = {"paths": {"/tasks": {"get": {"summary": "List tasks", "x": 1}}}}
    new = {"paths": {"/tasks": {"get": {"summary": "All tasks"}, "post": {}}}}
    assert schema_changes(old, new) == [
        'changed /paths/~1tasks/get/summary: "List tasks" -> "All tasks"',
        "removed /paths/~1tasks/get/x",
        "added   /paths/~1tasks/post",
    ]


def test_the_app_describes_itself(schema: dict[str, Any]) -> None:
    info = schema["info"]
    assert (info["title"], info["version"]) == ("Taskboard", "0.1.0")
    assert info["summary"] and info["description"]
    assert info["contact"]["name"] and info["contact"]["url"]


def test_every_tag_in_use_has_a_description(schema: dict[str, Any]) -> None:
    described = {tag["name"] for tag in schema["tags"] if tag.get("description")}
    used = {tag for _, _, operation in _operations(schema) for tag in operation["tags"]}
    assert used <= described, (
        f"add these tags to OPENAPI_TAGS in taskboard/main.py: {used - described}"
    )


def test_every_operation_has_a_summary_a_description_and_a_readable_unique_id(
    schema: dict[str, Any],
) -> None:
    ids = []
    for method, path, operation in _operations(schema):
        where = f"{method} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), f"{where}: give the function a docstring"
        assert not operation["operationId"].endswith(f"_{method.lower()}"), where
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)), "operation ids must be unique: rename a function"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/tasks/{task_id}"),
        ("patch", "/tasks/{task_id}"),
        ("delete", "/tasks/{task_id}"),
        ("post", "/tasks/{task_id}/checklist"),
        ("get", "/users/{user_id}"),
        ("get", "/labels/{label}/tasks"),
    ],
)
def test_a_404_is_documented_with_the_shape_the_api_answers(
    schema: dict[str, Any], client: TestClient, method: str, path: str
) -> None:
    documented = schema["paths"][path][method]["responses"]["404"]
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorMessage"
    }
    url = path.format(task_id=999, user_id=999, label="no-such-label")
    body = {"text": "x"} if path.endswith("checklist") else {"priority": 1}
    answer = client.request(method.upper(), url, json=None if method in {"get", "delete"} else body)
    assert answer.status_code == 404
    assert set(answer.json()) == set(schema["components"]["schemas"]["ErrorMessage"]["properties"])


def _request_examples(schema: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    return [
        (method, path, name, example["value"])
        for method, path, operation in _operations(schema)
        for name, example in operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .items()
    ]


def test_there_are_request_examples(schema: dict[str, Any]) -> None:
    assert len(_request_examples(schema)) >= 3


def test_every_request_example_is_accepted(schema: dict[str, Any], client: TestClient) -> None:
    # An example that the API refuses is worse than none: a reader copies it and gets a 422.
    for method, path, name, body in _request_examples(schema):
        response = client.request(method, path.format(task_id=1), json=body)
        assert response.status_code < 400, f"{method} {path} example {name!r}: {response.text}"


def test_every_model_example_validates() -> None:
    from pydantic import BaseModel

    import taskboard.models as models

    for model in vars(models).values():
        if isinstance(model, type) and issubclass(model, BaseModel) and model is not BaseModel:
            extra = model.model_config.get("json_schema_extra")
            for example in extra.get("examples", []) if isinstance(extra, dict) else []:
                model.model_validate(example)


def test_a_partial_update_documents_no_defaults(schema: dict[str, Any]) -> None:
    # A field left out of a PATCH is unchanged; "default": null would say null is acceptable.
    properties = schema["components"]["schemas"]["TaskUpdate"]["properties"]
    assert not [name for name, field in properties.items() if "default" in field]
    assert "required" not in schema["components"]["schemas"]["TaskUpdate"]


def test_the_old_status_path_is_deprecated_and_still_answers(
    schema: dict[str, Any], client: TestClient
) -> None:
    operation = schema["paths"]["/status"]["get"]
    assert operation["deprecated"] is True
    assert "/health" in operation["description"]
    assert "deprecated" not in schema["paths"]["/health"]["get"]
    assert client.get("/status").json() == client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc")]
)
def test_the_docs_pages_load_the_schema(client: TestClient, page: str, script: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "openapi.json" in response.text and script in response.text
