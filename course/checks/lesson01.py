"""Lesson 01 checks: Taskboard's first read-only endpoints, judged against the demo tasks."""

from typing import Any

from course.checks import Probe, check
from taskboard.demo import demo_tasks


def _demo_by_id() -> dict[int, dict[str, Any]]:
    return {task["id"]: task for task in demo_tasks()}


def _ids(probe: Probe, url: str) -> list[int]:
    """GET `url`, expect a JSON list of demo tasks, and return their ids."""
    response = probe.get(url)
    probe.expect_status(response, 200, f"GET {url}")
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
    "Task 4", "GET /tasks/{task_id} returns a task, 404 for an unknown id, 422 for a non-integer."
)
def read_task(probe: Probe) -> None:
    for task_id, task in _demo_by_id().items():
        response = probe.get(f"/tasks/{task_id}")
        probe.expect_status(response, 200, f"GET /tasks/{task_id}")
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
    response = probe.get("/tasks/999")
    probe.expect_status(
        response,
        404,
        "An unknown id",
        hint='raise HTTPException(status_code=404, detail="...") when the id is not in TASKS.',
    )
    response = probe.get("/tasks/first")
    # An untyped task_id reaches the learner's own 404, which reads like a missing route.
    probe.expect_status(
        response,
        422,
        "A non-integer id",
        hint="Annotate the parameter: `task_id: int`.",
        hint_first=True,
    )


@check("Task 2", "GET /tasks lists tasks, filtered by an optional status and cut to `limit`.")
def list_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    every_id = sorted(demo)
    ids = _ids(probe, "/tasks")
    probe.expect(
        sorted(ids) == every_id,
        "without query parameters every task should be listed.",
        response=probe.get("/tasks"),
        expected=f"the tasks with ids {every_id}",
        hint="Both parameters need defaults (None and 10) so the client may leave them out.",
    )
    for status in ("todo", "doing", "done"):
        wanted = [task_id for task_id, task in demo.items() if task["status"] == status]
        url = f"/tasks?status={status}"
        probe.expect(
            sorted(_ids(probe, url)) == wanted,
            f"?status={status} should keep only the tasks with that status.",
            response=probe.get(url),
            expected=f"the tasks with ids {wanted}",
            hint="Keep a task when `status is None or task['status'] == status`.",
        )
    for limit in (1, 2):
        url = f"/tasks?limit={limit}"
        probe.expect(
            len(_ids(probe, url)) == limit,
            f"?limit={limit} should return at most {limit} tasks.",
            response=probe.get(url),
            expected=f"a list of {limit} tasks",
            hint="Slice the list at the end: `tasks[:limit]`.",
        )
    url = "/tasks?status=todo&limit=1"
    probe.expect(
        len(_ids(probe, url)) == 1,
        "the filter and the limit should work together.",
        response=probe.get(url),
        expected="a list of 1 task whose status is todo",
        hint="Filter first, then cut the filtered list to `limit`.",
    )
    response = probe.get("/tasks?limit=many")
    probe.expect_status(response, 422, "?limit=many", hint="Annotate it: `limit: int = 10`.")


@check("Task 3", "GET /tasks/search?q=... finds tasks by title and needs q.")
def search_tasks(probe: Probe) -> None:
    demo = _demo_by_id()
    for text in ("api", "README", "zzz"):
        wanted = sorted(
            i for i, task in demo.items() if text.casefold() in task["title"].casefold()
        )
        url = f"/tasks/search?q={text}"
        response = probe.get(url)
        probe.expect(
            not (response.status_code == 422 and '"task_id"' in response.text),
            "/tasks/search was handled by the /tasks/{task_id} route.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            hint="Routes match in the order they are declared: "
            "declare /tasks/search before /tasks/{task_id} and run the cells again.",
        )
        probe.expect(
            sorted(_ids(probe, url)) == wanted,
            f"?q={text} should find the tasks whose title contains it, ignoring case.",
            response=response,
            expected=f"the tasks with ids {wanted}",
            hint="Compare lowercased: `q.lower() in task['title'].lower()`.",
        )
    response = probe.get("/tasks/search")
    probe.expect_status(
        response, 422, "A search without q", hint="Give `q: str` no default, so it is required."
    )
