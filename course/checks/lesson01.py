"""Lesson 01 checks: Taskboard's first read-only endpoints, judged against the demo tasks.

The demo data decides what a check can tell apart: `demo_tasks()` has four tasks, two of them
`todo`, and words in descriptions ("errors") that no title has.
"""

from typing import Any

from httpx2 import Response

from course.checks import CheckFailed, IfRaises, Probe, check
from taskboard.demo import demo_tasks

# Ways to say that no task has this id; the task names no exact words.
_NOT_FOUND_WORDS = ("found", "find", "no such", "unknown", "exist", "missing", "no task", "not in")

_ROUTE_ORDER = (
    "Routes match in the order they are declared: declare /tasks/search before "
    "/tasks/{task_id} and run the cells again."
)
_INT_ID = (
    'TASKS has integer keys, and a path parameter is text ("1") unless annotated: `task_id: int`.'
)
_DEFAULTS = "Both parameters need defaults: None for status, 10 for limit."
_HTTP_404 = 'raise HTTPException(status_code=404, detail="...") when the id is not in TASKS.'


def _demo_by_id() -> dict[int, dict[str, Any]]:
    return {task["id"]: task for task in demo_tasks()}


def _ids(probe: Probe, response: Response, hint: str | None = None) -> list[int]:
    """Expect a 200 with a JSON list of demo tasks, and return their ids."""
    url = response.request.url.raw_path.decode()
    probe.expect_status(response, 200, f"GET {url}", hint)
    body = probe.json(response)
    demo = _demo_by_id()
    probe.expect(
        isinstance(body, list)
        and all(isinstance(task, dict) and task.get("id") in demo for task in body),
        "the response should be a list of tasks taken from TASKS.",
        response=response,
        expected='a JSON list like [{"id": 1, "title": ...}, ...]',
        hint="Return a list of the task dicts themselves, not their ids or a dict of them.",
    )
    return [task["id"] for task in body]


def _declared_limit_default(probe: Probe) -> Any:
    """The default the app's OpenAPI schema gives `limit` of GET /tasks, or None.

    Four demo tasks cannot tell a default of 5 from 10 (both list them all); the schema FastAPI
    builds from the function's parameters can. A default set in the function's body
    (`limit or 10`) is not in the schema, and then behaviour is all there is to judge.
    """
    try:
        _, schema = probe.openapi()
    except CheckFailed:  # no schema to read (say, a custom openapi_url): nothing more to judge
        if probe.stuck:
            raise
        return None
    operation = schema.get("paths", {}).get("/tasks", {}).get("get", {})
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == "limit":
            return parameter.get("schema", {}).get("default")
    return None


@check("Task 1", 'GET /health answers {"status": "ok"}.')
def health(probe: Probe) -> None:
    response = probe.get("/health")
    probe.expect_status(response, 200, "GET /health")
    probe.expect(
        probe.json(response) == {"status": "ok"},
        "the body is not the one asked for.",
        response=response,
        expected='{"status": "ok"}',
        hint="Return a dict with one key, 'status', whose value is 'ok'.",
    )


@check("Task 2", "GET /tasks lists tasks, filtered by an optional status, cut to limit.")
def list_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    every_id = sorted(demo)
    response = probe.get("/tasks")
    probe.expect(
        sorted(_ids(probe, response, _DEFAULTS)) == every_id,
        "without query parameters every task should be listed.",
        response=response,
        expected=f"the tasks with ids {every_id}",
        hint=_DEFAULTS,
    )
    for status in ("todo", "doing", "done"):
        wanted = [task_id for task_id, task in demo.items() if task["status"] == status]
        response = probe.get(f"/tasks?status={status}")
        probe.expect(
            sorted(_ids(probe, response)) == wanted,
            f"?status={status} should keep only the tasks with that status.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            hint="Keep a task when `status is None or task['status'] == status`.",
        )
    for limit in (1, 2):
        response = probe.get(f"/tasks?limit={limit}")
        probe.expect(
            len(_ids(probe, response)) == limit,
            f"?limit={limit} should return at most {limit} tasks.",
            response=response,
            expected=f"a list of {limit} tasks",
            hint="Slice the list at the end: `tasks[:limit]`.",
        )
    todo = [task_id for task_id, task in demo.items() if task["status"] == "todo"]
    response = probe.get("/tasks?status=todo&limit=1")
    ids = _ids(probe, response)
    probe.expect(
        len(ids) == 1 and set(ids) <= set(todo),
        "the filter and the limit should work together.",
        response=response,
        expected=f"a list of 1 task, one of those with ids {todo}",
        hint="Filter first, then cut the filtered list to `limit`.",
    )
    response = probe.get("/tasks?limit=many", if_raises=IfRaises("Annotate it: `limit: int = 10`."))
    probe.expect_status(response, 422, "?limit=many", hint="Annotate it: `limit: int = 10`.")
    default = _declared_limit_default(probe)
    if default not in (None, 10):
        raise CheckFailed(
            probe.task,
            f"limit should be 10 by default, and your app declares {default!r}: four tasks "
            "cannot show it, but FastAPI's description of your app (/openapi.json) does.",
            sent="GET /openapi.json",
            got=f"limit's default: {default!r}",
            expected="limit's default: 10",
            hint="Give limit the default the task states: `limit: int = 10`.",
        )


@check("Task 3", "GET /tasks/search?q=... finds tasks by title and needs q.")
def search_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    # "Read" and "api" differ in case from the titles; "errors" is only in a description.
    for text in ("api", "Read", "errors"):
        wanted = sorted(
            i for i, task in demo.items() if text.casefold() in task["title"].casefold()
        )
        response = probe.get(f"/tasks/search?q={text}")
        probe.expect(
            not (response.status_code == 422 and '"task_id"' in response.text),
            "/tasks/search was handled by the /tasks/{task_id} route.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            hint=_ROUTE_ORDER,
        )
        # A 404 of the learner's own: their /tasks/{task_id} route answered for "search".
        found = _ids(probe, response, _ROUTE_ORDER if response.status_code == 404 else None)
        probe.expect(
            sorted(found) == wanted,
            f"?q={text} should find the tasks whose title contains it, ignoring case.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            hint="Look in the title only, both lowercased: `q.lower() in task['title'].lower()`.",
        )
    response = probe.get("/tasks/search")
    probe.expect_status(
        response, 422, "A search without q", hint="Give `q: str` no default, so it is required."
    )


@check("Task 4", "GET /tasks/{task_id} returns the task, a 404 that says so, or a 422.")
def read_task(probe: Probe) -> None:
    for task_id, task in _demo_by_id().items():
        response = probe.get(f"/tasks/{task_id}", if_raises=IfRaises(_INT_ID, only=("KeyError",)))
        probe.expect_status(response, 200, f"GET /tasks/{task_id}", hint=_INT_ID)
        body = probe.json(response)
        probe.expect(
            isinstance(body, dict)
            and body.get("id") == task_id
            and body.get("title") == task["title"],
            f"the body should be task {task_id}.",
            response=response,
            expected=f'{{"id": {task_id}, "title": "{task["title"]}", ...}}',
            hint="Look the task up with TASKS[task_id] and return it.",
        )
    response = probe.get(
        "/tasks/first", if_raises=IfRaises("Annotate the parameter: `task_id: int`.")
    )
    # An untyped task_id reaches the learner's own 404, which reads like a missing route.
    probe.expect_status(
        response,
        422,
        "A non-integer id",
        hint="Annotate the parameter: `task_id: int`.",
        hint_first=True,
    )
    response = probe.get("/tasks/999", if_raises=IfRaises(_HTTP_404))
    probe.expect_status(response, 404, "An unknown id", hint=_HTTP_404)
    body = probe.json(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    said = detail.casefold().strip(" .!") if isinstance(detail, str) else ""
    probe.expect(
        # FastAPI's bare "Not Found" is also the answer to any path that matches no route.
        said != "not found" and any(word in said for word in _NOT_FOUND_WORDS),
        "the 404 should say in `detail` that no task has this id.",
        response=response,
        expected='{"detail": "Task 999 not found"}, or other words saying so',
        hint='Say so in the detail: HTTPException(status_code=404, detail=f"Task {task_id} not '
        'found"). A bare "Not Found" is what any unknown path gets.',
        # The route exists (it served the known ids): a bare 404 is the learner's own.
        hint_first=True,
    )
    # Task 4 says so: /tasks/{task_id} declared first would take "search" for an id.
    order = _ROUTE_ORDER.replace("/tasks/search", "/tasks/search (Task 3)", 1)
    response = probe.get("/tasks/search?q=api", if_raises=IfRaises(order))
    probe.expect(
        response.status_code == 200 and isinstance(probe.json(response), list),
        "/tasks/search from Task 3 should keep working.",
        response=response,
        expected="200 with a list of tasks",
        hint=order,
        hint_first=True,
    )
