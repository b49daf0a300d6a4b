"""Lesson 03 checks: Taskboard's documentation, judged from the /openapi.json it serves.

Any correct way passes: arguments to `FastAPI(...)`, attributes set on an existing app, decorator
arguments or docstrings. What counts is the schema a client downloads, and that the behaviour it
documents is real (a documented example is sent, and must be accepted).
"""

import json
from typing import Any

from course.checks import CheckFailed, Probe, check


def _expect_in_schema(
    probe: Probe, ok: bool, problem: str, *, got: Any, expected: str, hint: str | None = None
) -> None:
    """Like `probe.expect`, but `got` shows the part of the schema that matters, not its start."""
    if not ok:
        text = json.dumps(got)
        raise CheckFailed(
            probe.task,
            problem,
            sent="GET /openapi.json",
            got=text if len(text) <= 200 else text[:200] + "…",
            expected=expected,
            hint=hint,
        )


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for item in schema.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
    ]


def _resolve(schema: dict[str, Any], node: Any) -> dict[str, Any]:
    """Follow a `$ref` into components/schemas; anything else is returned as it is."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        name = node["$ref"].rsplit("/", 1)[-1]
        return schema.get("components", {}).get("schemas", {}).get(name, {})
    return node if isinstance(node, dict) else {}


def _body_examples(schema: dict[str, Any], operation: dict[str, Any]) -> list[Any]:
    """Whole example bodies, wherever OpenAPI allows them: the operation or the body's model."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = [example.get("value") for example in content.get("examples", {}).values()]
    if "example" in content:
        examples.append(content["example"])
    examples.extend(_resolve(schema, content.get("schema")).get("examples", []))
    return [example for example in examples if isinstance(example, dict)]


@check("Task 1", "/openapi.json describes the API, with a description and a contact.")
def describe_api(probe: Probe) -> None:
    _, schema = probe.openapi()
    info = schema.get("info", {})
    description = info.get("description")
    _expect_in_schema(
        probe,
        isinstance(description, str) and len(description.strip()) >= 20,
        "the schema's `info` has no description (or one under 20 characters).",
        got={"info": info},
        expected='"info": {"description": "<a sentence or two, Markdown allowed>", ...}',
        hint="FastAPI(...) takes the API's description; on an app that exists already, set the "
        "attribute of the same name.",
    )
    contact = info.get("contact")
    _expect_in_schema(
        probe,
        isinstance(contact, dict)
        and bool(contact.get("name"))
        and bool(contact.get("url") or contact.get("email")),
        "the schema's `info` has no contact with a name and a URL (or an email).",
        got={"info": info},
        expected='"contact": {"name": "...", "url": "https://..."}',
        hint="The contact is a dict with the keys OpenAPI defines: name, url, email.",
    )


@check("Task 2", "every tag the operations use has a description in /openapi.json.")
def describe_tags(probe: Probe) -> None:
    _, schema = probe.openapi()
    used = sorted({tag for operation in _operations(schema) for tag in operation.get("tags", [])})
    listed = schema.get("tags")
    _expect_in_schema(
        probe,
        isinstance(listed, list),
        "the schema has no top-level `tags` list.",
        got={"tags": listed, "tags used by the operations": used},
        expected=f'"tags": [{{"name": "{used[0] if used else "tasks"}", "description": "..."}}, ...]',
        hint="The list of tag descriptions is the app's `openapi_tags`: one dict per tag.",
    )
    described = {
        tag.get("name"): tag.get("description")
        for tag in listed
        if isinstance(tag, dict) and tag.get("description")
    }
    missing = [tag for tag in used if tag not in described]
    _expect_in_schema(
        probe,
        not missing,
        f"these tags have no description: {', '.join(missing)}.",
        got={"tags": listed},
        expected=f"a description for each of: {', '.join(used)}",
        hint="Each dict needs the tag's exact name, as the routes spell it (case counts), and a "
        "non-empty description.",
    )


@check("Task 3", "GET /status answers as /health does, and the docs mark it deprecated.")
def deprecated_status(probe: Probe) -> None:
    health = probe.get("/health")
    status = probe.get("/status")
    probe.expect(
        status.status_code == 200 and probe.json(status) == probe.json(health),
        "GET /status should answer exactly what GET /health answers.",
        response=status,
        expected=f"200 {health.text}",
        hint="Return what the health check returns.",
    )
    _, schema = probe.openapi()
    paths = schema.get("paths", {})
    operation = paths.get("/status", {}).get("get")
    _expect_in_schema(
        probe,
        isinstance(operation, dict),
        "GET /status works but is not in the schema.",
        got={"paths": sorted(paths)},
        expected='"/status" in "paths"',
        hint="A route left out of the schema is invisible to readers: a deprecated route stays "
        "in the docs, struck through.",
    )
    shown = {"/status": {"get": operation}}
    _expect_in_schema(
        probe,
        operation.get("deprecated") is True,
        "GET /status is not marked deprecated.",
        got=shown,
        expected='"deprecated": true on GET /status',
        hint="The route decorator has a parameter for this; the route keeps working.",
    )
    _expect_in_schema(
        probe,
        "/health" in operation.get("description", ""),
        "the description of GET /status does not say what to use instead.",
        got=shown,
        expected='a "description" that mentions "/health"',
        hint="The function's docstring becomes the description: point readers to /health.",
    )
    health_operation = paths.get("/health", {}).get("get", {})
    _expect_in_schema(
        probe,
        not health_operation.get("deprecated"),
        "GET /health is marked deprecated, but it is the path to keep.",
        got={"/health": {"get": health_operation}},
        expected="only GET /status deprecated",
        hint="Mark only the old path; /health stays as it was.",
    )
    _expect_in_schema(
        probe,
        operation.get("tags") == health_operation.get("tags"),
        "GET /status is not grouped with GET /health in the docs.",
        got={"tags of /status": operation.get("tags"), "of /health": health_operation.get("tags")},
        expected=f"the tags of /health, {health_operation.get('tags')}",
        hint="The docs group operations by tag: give the new route the tag /health has.",
    )


@check("Task 4", "POST /tasks/{task_id}/checklist works, with a working example and its 404.")
def add_checklist_item(probe: Probe) -> None:
    task = probe.create(
        "/tasks",
        {"title": "Check the checklist"},
        hint="POST /tasks comes with the catch-up app: run the first cell again.",
    )
    url = f"/tasks/{task['id']}/checklist"
    response = probe.request("POST", url, json_body={"text": "First step"})
    probe.expect_status(
        response,
        201,
        f"POST {url}",
        hint="Adding an item creates something: answer 201.",
    )
    answer = probe.json(response)
    probe.expect(
        isinstance(answer, dict)
        and answer.get("id") == task["id"]
        and (answer.get("checklist") or [None])[-1] == {"text": "First step", "done": False},
        "the answer should be the task, with the new item last in its checklist.",
        response=response,
        expected='{"id": ..., "checklist": [..., {"text": "First step", "done": false}], ...}',
        hint="Return what store.add_checklist_item returns, with TaskPublic as the return type.",
    )
    missing = probe.request("POST", "/tasks/999999/checklist", json_body={"text": "x"})
    probe.expect_status(
        missing,
        404,
        "Adding an item to an unknown task",
        hint="Let the store's TaskNotFound reach the app's exception handler.",
    )
    empty = probe.request("POST", url, json_body={"text": ""})
    probe.expect_status(
        empty, 422, "An item with empty text", hint="Declare the body as a ChecklistItem."
    )

    _, schema = probe.openapi()
    operation = schema.get("paths", {}).get("/tasks/{task_id}/checklist", {}).get("post", {})
    shown = {"post": {k: v for k, v in operation.items() if k != "responses"}}
    _expect_in_schema(
        probe,
        bool(operation.get("description")),
        "the operation has no description.",
        got=shown,
        expected='"description": "..." on POST /tasks/{task_id}/checklist',
        hint="Give the function a docstring: FastAPI uses it as the description.",
    )
    examples = _body_examples(schema, operation)
    _expect_in_schema(
        probe,
        bool(examples),
        "the request body has no example.",
        got={"requestBody": operation.get("requestBody")},
        expected='an example body, such as {"text": "..."}, in the operation or its model',
        hint="Swagger UI's 'Try it out' starts from the example. Give the body parameter named "
        "examples (openapi_examples), as the lesson did for POST /tasks.",
    )
    for example in examples:
        tried = probe.request("POST", url, json_body=example)
        probe.expect(
            tried.status_code == 201,
            "a documented example is refused.",
            response=tried,
            expected="201: a reader who copies the example gets it accepted",
            hint="Compare the example's fields with ChecklistItem's.",
        )
    error = operation.get("responses", {}).get("404", {})
    error_schema = _resolve(
        schema, error.get("content", {}).get("application/json", {}).get("schema")
    )
    _expect_in_schema(
        probe,
        "detail" in error_schema.get("properties", {}),
        "the 404 answer is not documented with its JSON shape.",
        got={"responses": sorted(operation.get("responses", {})), "404": error},
        expected='"404": {"content": {"application/json": {"schema": <an object with "detail">}}}',
        hint="`responses` in the decorator maps a status code to a dict; its `model` key gives "
        "the body's schema (ErrorMessage has the `detail` Taskboard answers).",
    )
