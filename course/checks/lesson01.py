"""Lesson 01 checks: Taskboard's first read-only endpoints, judged against the demo tasks.

The demo data decides what a check can tell apart: `demo_tasks()` has four tasks, two of them
`todo`, one with both labels `api` and `review` and one with `api` alone, and words in
descriptions ("errors") that no title has.

Each rule a task states is judged by sending a value on each side of it: a value the rule
refuses must get FastAPI's 422 with the parameter in `loc`, and the nearest value it allows
must not (so `gt=1` for "from 1" and `le=99` for "up to 100" are caught too).
"""

import json
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
_DEFAULTS = "Every filter needs a default: None for status, an empty list for label, 10 for limit."
_HTTP_404 = 'raise HTTPException(status_code=404, detail="...") when the id is not in TASKS.'
_INT_LIMIT = "Give limit the type `int`: FastAPI then refuses text such as 'many' with a 422."
_LIMIT_BOUNDS = (
    "limit goes from 1 to 100: give it bounds, `Query(ge=..., le=...)` on a parameter or "
    "`Field(ge=..., le=...)` in a query-parameter model."
)
_STATUS_ENUM = (
    "Only todo, doing and done are allowed: give status an Enum type (or a Literal) instead of "
    "str, and FastAPI refuses any other value with a 422."
)
_LABEL_LIST = (
    "A list parameter is read from the request body unless you say otherwise: declare it "
    "`Annotated[list[...], Query()]`, or make it a field of a query-parameter model."
)
_EVERY_LABEL = (
    "Read label as a list (`?label=review&label=api` gives two) and keep a task only when it "
    "carries every label given."
)
_LABEL_TYPE = "Each label must be a `Label`, the type the setup cell imports: `list[Label]`."
_EXTRA_FORBID = (
    "FastAPI ignores a query parameter it does not know, unless the parameters are one "
    'query-parameter model with `model_config = ConfigDict(extra="forbid")`.'
)
_Q_NOT_EMPTY = "q must not be empty: give it a minimum length with `Query(min_length=...)`."
_ID_FROM_1 = (
    "Ids start at 1: give task_id a lower bound with `Path(ge=...)`, so that 0 gets a 422 "
    "before your code runs, instead of your 404."
)
_ID_NO_UPPER = (
    "Any id from 1 up may exist: set no upper bound on task_id. An id that could exist but is "
    "not in TASKS is a 404."
)
_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
_LENGTH_ERRORS = ("string_too_short", "string_too_long")


def _demo_by_id() -> dict[int, dict[str, Any]]:
    return {task["id"]: task for task in demo_tasks()}


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def _errors(response: Response) -> list[dict[str, Any]]:
    """The errors of a 422 in FastAPI's shape, `{"detail": [{"loc": [...], ...}, ...]}`."""
    try:
        body = response.json()
    except ValueError:
        return []
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return []
    return [error for error in detail if isinstance(error, dict)]


def _names(response: Response, loc: tuple[str, ...]) -> bool:
    """Whether `response` is a 422 with an error whose `loc` starts with `loc`."""
    return response.status_code == 422 and any(
        tuple(error.get("loc") or ())[: len(loc)] == loc for error in _errors(response)
    )


def _too_strict(response: Response) -> str | None:
    """A hint for a 422 that a bound or a length rule gave a value the task allows."""
    for error in _errors(response):
        loc = error.get("loc") or []
        name = loc[1] if len(loc) > 1 else "this parameter"
        given = error.get("input")
        if error.get("type") in _BOUND_ERRORS:
            return (
                f"Your rule for {name} refuses {given}, which the task allows: `ge` and `le` "
                "include the bound itself, `gt` and `lt` leave it out."
            )
        if error.get("type") in _LENGTH_ERRORS:
            return (
                f"Your rule for {name} refuses {given!r}, which the task allows: check its "
                "min_length and max_length."
            )
    return None


def _body_expected(response: Response) -> bool:
    """Whether FastAPI refused the request for a missing body: a list declared without Query()."""
    return any((error.get("loc") or [None])[0] == "body" for error in _errors(response))


def _ids(probe: Probe, response: Response, hint: str | None = None) -> list[int]:
    """Expect a 200 with a JSON list of demo tasks, and return their ids."""
    url = response.request.url.raw_path.decode()
    probe.expect_status(response, 200, f"GET {url}", _too_strict(response) or hint)
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


def _expect_refused(
    probe: Probe,
    url: str,
    loc: tuple[str, ...],
    hint: str,
    *,
    if_raises: IfRaises | None = None,
    hint_first: bool = False,
) -> None:
    """Expect FastAPI's 422 for `url`, with `loc` at the start of one error's `loc`."""
    response = probe.get(url, if_raises=if_raises)
    where = json.dumps(list(loc))
    probe.expect(
        _names(response, loc),
        f"{url} breaks a rule of the task and should be refused with a 422.",
        response=response,
        expected=f'422 with "loc": {where}',
        hint=hint,
        hint_first=hint_first,
    )


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


@check(
    "Task 2",
    "GET /tasks filters by status and labels, cuts to limit, and refuses what its rules do not "
    "allow.",
)
def list_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    every_id = sorted(demo)
    response = probe.get("/tasks")
    # A list declared without Query() makes FastAPI wait for a body.
    defaults = _LABEL_LIST if _body_expected(response) else _DEFAULTS
    probe.expect(
        sorted(_ids(probe, response, defaults)) == every_id,
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
    # 1 and 100 are the bounds the task allows, both included.
    for limit in (1, 2, 100):
        response = probe.get(f"/tasks?limit={limit}")
        count = min(limit, len(every_id))
        probe.expect(
            len(_ids(probe, response)) == count,
            f"?limit={limit} should return at most {_tasks(limit)}.",
            response=response,
            expected=f"a list of {_tasks(count)}",
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
    response = probe.get("/tasks?limit=many", if_raises=IfRaises(_INT_LIMIT))
    probe.expect_status(response, 422, "?limit=many", hint=_INT_LIMIT)
    for limit in (0, 101):
        _expect_refused(probe, f"/tasks?limit={limit}", ("query", "limit"), _LIMIT_BOUNDS)
    _expect_refused(probe, "/tasks?status=someday", ("query", "status"), _STATUS_ENUM)
    for query, wanted in (
        ("label=api", [3, 4]),
        ("label=api&label=review", [4]),
        ("label=review&label=api", [4]),
    ):
        response = probe.get(f"/tasks?{query}")
        found = sorted(_ids(probe, response))
        probe.expect(
            found == wanted,
            f"?{query} should keep only the tasks that carry every label given.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            # Every task back: the labels never reached the function.
            hint=_LABEL_LIST if found == every_id else _EVERY_LABEL,
        )
    _expect_refused(probe, "/tasks?label=API", ("query", "label"), _LABEL_TYPE)
    _expect_refused(probe, "/tasks?stauts=todo", ("query", "stauts"), _EXTRA_FORBID)
    default = _declared_limit_default(probe)
    if default not in (None, 10):
        raise CheckFailed(
            probe.task,
            f"limit should be 10 by default, and your app declares {default!r}: four tasks "
            "cannot show it, but FastAPI's description of your app (/openapi.json) does.",
            sent="GET /openapi.json",
            got=f"limit's default: {default!r}",
            expected="limit's default: 10",
            hint="Give limit the default the task states: 10.",
        )


@check("Task 3", "GET /tasks/search?q=... finds tasks by title and needs a q that is not empty.")
def search_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    # "Read" and "api" differ in case from the titles; "errors" is only in a description;
    # "a", one letter, is as short as the task allows.
    for text in ("api", "Read", "errors", "a"):
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
        response, 422, "A search without q", hint="Give q no default, so it is required."
    )
    _expect_refused(probe, "/tasks/search?q=", ("query", "q"), _Q_NOT_EMPTY)


@check("Task 4", "GET /tasks/{task_id} returns the task, a 404 that says so, or a 422.")
def read_task(probe: Probe) -> None:
    for task_id, task in _demo_by_id().items():
        response = probe.get(f"/tasks/{task_id}", if_raises=IfRaises(_INT_ID, only=("KeyError",)))
        probe.expect_status(
            response, 200, f"GET /tasks/{task_id}", hint=_too_strict(response) or _INT_ID
        )
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
    probe.expect_status(
        response,
        404,
        "An unknown id",
        hint=_ID_NO_UPPER if _names(response, ("path", "task_id")) else _HTTP_404,
    )
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
    # The route exists: a 404 here is the learner's own, not a missing route.
    _expect_refused(
        probe,
        "/tasks/0",
        ("path", "task_id"),
        _ID_FROM_1,
        if_raises=IfRaises(_ID_FROM_1),
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
