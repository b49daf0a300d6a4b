"""Lesson 03 checks: Taskboard's documentation, judged from the /openapi.json it serves.

Any correct way passes: arguments to `FastAPI(...)`, attributes set on an existing app, decorator
arguments or docstrings. What counts is the schema a client downloads, and that the behaviour it
documents is real (a documented example is sent, and must be accepted).
"""

import json
from typing import Any

from course.checks import CheckFailed, IfRaises, Probe, check
from taskboard.models import ChecklistItem


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


# FastAPI checks the whole schema against OpenAPI's rules when it builds it, so metadata it
# refuses (a contact url that is not a URL) fails every request for /openapi.json.
_REFUSED_METADATA = IfRaises(
    "info.contact is the app's contact, tags the list in its openapi_tags (tags.0 its first "
    "dict): correct that value and run its cell again.",
    problem="FastAPI could not build /openapi.json from your app's metadata.",
    only=("ValidationError",),
)


def _schema(probe: Probe) -> dict[str, Any]:
    """The app's /openapi.json; metadata FastAPI refuses to build it from is named as such."""
    return probe.openapi(if_raises=_REFUSED_METADATA)[1]


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


def _variants(schema: dict[str, Any], node: Any, depth: int = 0) -> list[dict[str, Any]]:
    """`node`, the schema its `$ref` points to, and the same for each branch of an anyOf/oneOf/allOf.

    FastAPI writes `Body(examples=[...])` next to the body's `$ref`, and a model's examples
    into the schema the `$ref` points to; an optional body is an `anyOf` with null.
    """
    if not isinstance(node, dict) or depth > 3:
        return []
    found = [node]
    resolved = _resolve(schema, node)
    if resolved is not node:
        found.append(resolved)
    for part in found[:]:
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in part.get(key, []) if isinstance(part.get(key), list) else []:
                found += _variants(schema, branch, depth + 1)
    return found


def _field_example(node: dict[str, Any]) -> dict[str, list[Any]] | None:
    """The examples on a model's fields, by field name, from which Swagger UI builds an example
    body (each field's first one); None unless every required field has one."""
    fields = {
        name: field["examples"]
        for name, field in node.get("properties", {}).items()
        if isinstance(field, dict) and isinstance(field.get("examples"), list) and field["examples"]
    }
    if not fields or not set(node.get("required", [])) <= set(fields):
        return None
    return fields


# ChecklistItem comes with an example for `text` alone: the task asks for one of the learner's own.
_GIVEN = _field_example(ChecklistItem.model_json_schema())


def _body_examples(schema: dict[str, Any], operation: dict[str, Any]) -> list[Any]:
    """Every example body the docs offer, wherever OpenAPI allows one.

    On the operation (`Body(openapi_examples=...)`), next to the body's schema
    (`Body(examples=[...])`), in the model (`json_schema_extra`), or built from examples on the
    fields of a model of the learner's own (`Field(examples=[...])`): each one is sent.
    """
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    named = content.get("examples")
    examples = [
        example["value"]
        for example in (named.values() if isinstance(named, dict) else [])
        if isinstance(example, dict) and "value" in example
    ]
    if "example" in content:
        examples.append(content["example"])
    for node in _variants(schema, content.get("schema")):
        if isinstance(node.get("examples"), list):
            examples += node["examples"]
        if "example" in node:
            examples.append(node["example"])
        fields = _field_example(node)
        if fields and fields != _GIVEN:
            first = {name: values[0] for name, values in fields.items()}
            examples.append(first)
            examples += [
                first | {name: value} for name, values in fields.items() for value in values[1:]
            ]
    unique: list[Any] = []
    for example in examples:
        if example not in unique:
            unique.append(example)
    return unique


def _is_string(schema: dict[str, Any], node: Any) -> bool:
    types = [part.get("type") for part in _variants(schema, node)]
    return any(kind == "string" or (isinstance(kind, list) and "string" in kind) for kind in types)


def _has_detail(schema: dict[str, Any], node: Any) -> bool:
    """Whether the body schema `node` is an object with a string `detail`, as ErrorMessage is."""
    return any(
        isinstance(part.get("properties"), dict)
        and _is_string(schema, part["properties"].get("detail"))
        for part in _variants(schema, node)
    )


@check("Task 1", "/openapi.json describes the API, with a description and a contact.")
def describe_api(probe: Probe) -> None:
    info = _schema(probe).get("info", {})
    description = info.get("description")
    _expect_in_schema(
        probe,
        isinstance(description, str) and bool(description.strip()),
        "the schema's `info` has no description.",
        got={"info": info},
        expected='"info": {"description": "<a sentence or two, Markdown allowed>", ...}',
        hint="FastAPI(...) takes the API's description; on an app that exists already, set the "
        "attribute of the same name (the summary is another field).",
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
    schema = _schema(probe)
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
        status.status_code == health.status_code and probe.json(status) == probe.json(health),
        "GET /status should answer exactly what GET /health answers.",
        response=status,
        expected=f"{health.status_code} {health.text}",
        hint="Answer with the same status and body as /health, rather than send the monitor "
        "elsewhere."
        if status.is_redirect
        else "Return what the health check returns.",
        hint_first=status.is_redirect,
    )
    paths = _schema(probe).get("paths", {})
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
    description = operation.get("description")
    _expect_in_schema(
        probe,
        isinstance(description, str) and "/health" in description,
        "the description of GET /status does not say what to use instead.",
        got=shown,
        expected='a "description" that mentions "/health"',
        hint="The function's docstring becomes the description (the summary is another field): "
        "point readers to /health.",
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
    health_tags = health_operation.get("tags", [])
    status_tags = operation.get("tags", [])
    _expect_in_schema(
        probe,
        set(health_tags) <= set(status_tags),
        "GET /status is not grouped with GET /health in the docs.",
        got={"tags of /status": status_tags, "of /health": health_tags},
        expected=f"the tags of /health, {health_tags}",
        hint="The docs group operations by tag: give the new route the tag /health has, "
        "spelled the same.",
    )


@check("Task 4", "POST /tasks/{task_id}/checklist works, with a working example and its 404.")
def add_checklist_item(probe: Probe) -> None:
    first = {"text": "Existing step", "done": True}
    task = probe.create(
        "/tasks",
        {"title": "Check the checklist", "checklist": [first]},
        hint="POST /tasks comes with the catch-up app: run the first cell again.",
    )
    url = f"/tasks/{task['id']}/checklist"
    response = probe.request("POST", url, json_body={"text": "Second step"})
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
        and answer.get("checklist") == [first, {"text": "Second step", "done": False}],
        "the answer should be the task, with the new item after the ones it had.",
        response=response,
        expected='{"id": ..., "checklist": [{"text": "Existing step", "done": true}, '
        '{"text": "Second step", "done": false}], ...}',
        hint="Return what `await store.add_checklist_item(...)` gives, with TaskPublic as the "
        "return type.",
    )
    missing = probe.request("POST", "/tasks/999999/checklist", json_body={"text": "x"})
    found = probe.json(missing) if missing.status_code == 404 else None
    detail = found.get("detail") if isinstance(found, dict) else None
    probe.expect(
        isinstance(detail, str) and "999999" in detail,
        "adding an item to an unknown task should answer 404, with a detail that says which "
        "task was not found.",
        response=missing,
        expected='404 {"detail": "Task 999999 not found"}',
        hint="Let the store's TaskNotFound reach the app's exception handler, which answers "
        "that; or raise HTTPException with such a detail.",
        hint_first=True,  # the route exists (it answered 201): a bare "Not Found" came from it
    )
    declare = "Declare the body as a ChecklistItem: FastAPI then refuses it before your code runs."
    # The body got past FastAPI when ChecklistItem refuses it later, in the learner's code.
    empty = probe.request(
        "POST",
        url,
        json_body={"text": ""},
        if_raises=IfRaises(
            declare,
            problem="an item with empty text should answer 422, and your code failed on it "
            "instead.",
            expected="status 422",
            only=("ValidationError",),
        ),
    )
    probe.expect_status(empty, 422, "An item with empty text", hint=declare)

    schema = _schema(probe)
    operation = schema.get("paths", {}).get("/tasks/{task_id}/checklist", {}).get("post", {})
    shown = {"post": {k: v for k, v in operation.items() if k != "responses"}}
    _expect_in_schema(
        probe,
        bool(operation.get("description")),
        "the operation has no description.",
        got=shown,
        expected='"description": "..." on POST /tasks/{task_id}/checklist',
        hint="Give the function a docstring: FastAPI uses it as the description (the summary "
        "is another field).",
    )
    examples = _body_examples(schema, operation)
    _expect_in_schema(
        probe,
        bool(examples),
        "the request body has no example of your own.",
        got={"requestBody": operation.get("requestBody")},
        expected='an example body, such as {"text": "..."}, in the operation or its model',
        hint="ChecklistItem's example for `text` was there already. Add a whole body as the "
        "lesson did for POST /tasks: Body(openapi_examples=...) on the parameter, or a model "
        "of your own with examples.",
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
    error_schema = error.get("content", {}).get("application/json", {}).get("schema")
    _expect_in_schema(
        probe,
        _has_detail(schema, error_schema),
        "the 404 answer is not documented with its JSON shape.",
        got={"responses": sorted(operation.get("responses", {})), "404": error},
        expected='"404": {"content": {"application/json": {"schema": <an object whose '
        '"detail" is a string>}}}',
        hint="`responses` in the decorator maps a status code to a dict; its `model` key gives "
        "the body's schema (ErrorMessage has the `detail` Taskboard answers).",
    )
