"""Lesson 04 checks: the labels router, its router-level header, and an app built from settings.

Checks that need tasks make their own through POST /tasks, with labels no one else uses, so they
pass in any order and when run again; the framework deletes those tasks afterwards. Every value
a check expects is one the task states (30 for Task 3's app with the default settings, the
team's three values for Task 4), never one read from the app under check.
"""

import itertools
import json
import re
from typing import Any

from httpx2 import Response

from course.checks import Probe, check
from taskboard.demo import demo_tasks

# Fresh labels on every run: a label's count must change only because of this check's tasks.
_label_numbers = itertools.count(1)

_LABEL_TASKS_PATH = re.compile(r"^/labels/\{[^/}]+\}/tasks$")

# The values Task 4 states for the team's app.
TEAM = {"project_name": "Team board", "demo_data": False, "labels_max_age": 5}
# Task 3's app has the default settings: taskboard/core/config.py's labels_max_age.
DEFAULT_MAX_AGE = 30

_DEFAULTS_WON = (
    "check that each line of the .env file is TASKBOARD_ plus the setting's name (a misspelled "
    "line is ignored, so the default stays) and that team_app is built from those Settings: "
    'checkpoint("03", settings).'
)


def _fresh_label(task: str) -> str:
    return f"check{task[-1]}-{next(_label_numbers)}"


def _create_task(probe: Probe, labels: list[str]) -> dict[str, Any]:
    """A task with `labels`, for a check that needs tasks of its own."""
    body = {"title": f"Labelled {' '.join(labels)}", "labels": labels}
    hint = 'Start from the catch-up app, checkpoint("03"): it already creates tasks.'
    return probe.create("/tasks", body, hint=hint, hint_first=True)


def _operation(probe: Probe, path_matches: Any, what: str) -> tuple[Response, str, dict[str, Any]]:
    """The /openapi.json response, and the one path that `path_matches` with its GET operation."""
    response, schema = probe.openapi()
    paths = schema.get("paths", {}) if isinstance(schema, dict) else {}
    found = [
        (path, item["get"])
        for path, item in paths.items()
        if path_matches(path) and isinstance(item, dict) and "get" in item
    ]
    probe.expect(
        len(found) == 1,
        f"/openapi.json should list {what} once.",
        response=response,
        expected=f"{what} among the paths",
        hint="Declare each route once, on the router the app includes.",
    )
    return (response, *found[0])


def _expect_tag(probe: Probe, path_matches: Any, what: str) -> None:
    response, path, operation = _operation(probe, path_matches, what)
    probe.expect(
        "labels" in operation.get("tags", []),
        f"{path} should be filed under the 'labels' tag in the docs.",
        response=response,
        expected=f'"tags": ["labels"] on GET {path}',
        hint="Give the router its tags once, where you create it, and every route inherits them.",
    )


def _by_id(answer: Any) -> list[dict[str, Any]]:
    """The tasks of a list answer in the order of their ids; [] for anything else."""
    if not isinstance(answer, list) or not all(
        isinstance(task, dict) and isinstance(task.get("id"), int) for task in answer
    ):
        return []
    return sorted(answer, key=lambda task: task["id"])


def _max_ages(response: Response) -> list[str]:
    """The max-age directives of a response's Cache-Control header, as 'max-age=N' strings.

    Other directives ("public, max-age=5") are allowed; directive names ignore case, and a
    quoted number counts as the number.
    """
    header = response.headers.get("cache-control", "")
    directives = ("".join(d.split()).casefold() for d in header.split(","))
    return [
        "max-age=" + d.partition("=")[2].strip('"')
        for d in directives
        if d.partition("=")[0] == "max-age"
    ]


def _cache_control(response: Response) -> str:
    return f"Cache-Control: {response.headers.get('cache-control', '(none)')}"


@check("Task 1", "GET /labels counts the tasks per label, and the docs file it under 'labels'.")
def list_labels(probe: Probe) -> None:
    response = probe.get("/labels")
    probe.expect_status(
        response,
        200,
        "GET /labels",
        hint="The path is the router's prefix plus the route's path.",
    )
    before = probe.json(response)
    probe.expect(
        isinstance(before, dict) and all(isinstance(n, int) for n in before.values()),
        "the answer should be a JSON object: each label with its number of tasks.",
        response=response,
        expected='{"api": 2, "docs": 1, ...}',
        hint="Return what `await store.label_counts()` gives, and say so in the return type: "
        "`-> dict[str, int]`.",
    )
    first, second = _fresh_label("Task 1"), _fresh_label("Task 1")
    # More tasks than GET /tasks answers by default, so counting only its first page shows.
    _create_task(probe, [first, second])
    for _ in range(11):
        _create_task(probe, [first])
    response = probe.get("/labels")
    after = probe.json(response)
    expected = before | {first: 12, second: 1}
    probe.expect(
        isinstance(after, dict) and after == expected,
        f"after 12 new tasks labelled {first!r} (one also {second!r}), the counts are off.",
        response=response,
        expected=f'... "{first}": 12, "{second}": 1 ..., the other counts unchanged',
        hint="Count every task the app's store holds, not only the first page of GET /tasks.",
    )
    probe.expect(
        list(after) == sorted(after),
        "the labels should come in alphabetical order.",
        response=response,
        expected=", ".join(sorted(after)),
        hint="A dict keeps the order its keys were added in: add them sorted.",
    )
    _expect_tag(probe, lambda path: path == "/labels", "GET /labels")


@check(
    "Task 2", "GET /labels/{label}/tasks lists a label's tasks; 404 if unused, 422 if malformed."
)
def label_tasks(probe: Probe) -> None:
    label, other = _fresh_label("Task 2"), _fresh_label("Task 2")
    # Eleven tasks, more than the first page of GET /tasks; the last also carries `other`.
    mine = [_create_task(probe, [label]) for _ in range(10)]
    mine.append(_create_task(probe, [label, other]))
    url = f"/labels/{label}/tasks"
    response = probe.get(url)
    probe.expect_status(
        response,
        200,
        f"GET {url}",
        hint="The route's path goes after the router's prefix: the label is a path parameter.",
    )
    tasks = _by_id(probe.json(response))
    probe.expect(
        [task["id"] for task in tasks] == [task["id"] for task in mine],
        f"the answer should be the 11 tasks labelled {label!r}.",
        response=response,
        expected=f"a list of tasks {mine[0]['id']} to {mine[-1]['id']}",
        hint="Return every task with that label that the store holds, not only the first page "
        "of GET /tasks: the store's tasks_with_label method finds them.",
    )
    probe.expect(
        tasks == mine,
        "each task should come with all its fields, as POST /tasks answered it.",
        response=response,
        expected=f"{json.dumps(mine[-1])} among them",
        hint="Say `-> list[TaskPublic]` and return the tasks themselves.",
    )
    response = probe.get(f"/labels/{other}/tasks")
    tasks = _by_id(probe.json(response))
    probe.expect(
        [task["id"] for task in tasks] == [mine[-1]["id"]],
        f"only task {mine[-1]['id']} carries {other!r}.",
        response=response,
        expected=f"a list with task {mine[-1]['id']} only",
        hint="Use the label from the path: each label has its own tasks.",
    )
    response = probe.get("/labels/no-task-has-this-label/tasks")
    probe.expect_status(
        response,
        404,
        "A label that no task carries",
        hint="Let the store's LabelNotFound reach the app's exception handler, "
        "or raise HTTPException(404); an unknown label is not an empty success.",
    )
    for bad in ("Front%20End", "UPPER", "x" * 31):
        response = probe.get(f"/labels/{bad}/tasks")
        probe.expect_status(
            response,
            422,
            "A malformed label",
            hint="Give the path parameter the same rules as a task's labels: "
            "the Label type in taskboard/models.py holds them.",
        )
    _expect_tag(probe, _LABEL_TASKS_PATH.match, "GET /labels/{label}/tasks")


def _expect_labels_max_age(probe: Probe, max_age: int, hint: str) -> None:
    """Both labels routes answer with Cache-Control: max-age=`max_age`."""
    wanted = f"max-age={max_age}"
    label = _fresh_label(probe.task)
    _create_task(probe, [label])
    for url in ("/labels", f"/labels/{label}/tasks"):
        response = probe.get(url)
        probe.expect_status(response, 200, f"GET {url}", hint="Solve Tasks 1 and 2 first.")
        found = _max_ages(response)
        probe.expect(
            bool(found),
            f"GET {url} has no Cache-Control max-age.",
            response=response,
            expected=f"the header Cache-Control: {wanted}",
            hint="A dependency can take `response: Response` and set a header; attach it to the "
            "whole router so every labels route runs it.",
        )
        probe.expect(
            found == [wanted],
            f"GET {url} should allow caching for {max_age} seconds.",
            response=response,
            expected=f"Cache-Control: {wanted} (got {_cache_control(response)})",
            hint=hint,
        )


@check("Task 3", "every labels answer, and only those, says Cache-Control: max-age=30.")
def cache_header(probe: Probe) -> None:
    _expect_labels_max_age(
        probe,
        DEFAULT_MAX_AGE,
        hint="This app has the default settings, so its labels_max_age is 30: read the "
        "number from the app's settings, `request.app.state.settings`, in the dependency.",
    )
    response = probe.get("/tasks")
    probe.expect(
        not _max_ages(response),
        "GET /tasks carries a Cache-Control max-age too.",
        response=response,
        expected=f"no Cache-Control max-age on /tasks (got {_cache_control(response)})",
        hint="Attach the dependency to the labels router only, not to the whole app.",
    )


@check(
    "Task 4",
    "team_app is 'Team board', with no demo task and Cache-Control: max-age=5 on labels.",
    settings=TEAM,
)
def team_settings(probe: Probe) -> None:
    response, schema = probe.openapi()
    title = schema.get("info", {}).get("title") if isinstance(schema, dict) else None
    probe.expect(
        title == TEAM["project_name"],
        f"the docs should carry the team's project name, {TEAM['project_name']!r}.",
        response=response,
        expected=f'"info": {{"title": "{TEAM["project_name"]}", ...}}',
        hint=f"The app is named after its settings' project_name: {_DEFAULTS_WON}",
    )
    response = probe.get("/tasks")
    demo = {(task["id"], task["title"]) for task in demo_tasks()}
    shown = [
        task for task in _by_id(probe.json(response)) if (task["id"], task.get("title")) in demo
    ]
    probe.expect(
        not shown,
        "the team's app should start with no demo tasks.",
        response=response,
        expected="no demo task in GET /tasks",
        hint=f"demo_data false turns them off: {_DEFAULTS_WON}",
    )
    _expect_labels_max_age(
        probe,
        TEAM["labels_max_age"],
        hint="The team's labels_max_age is 5. A number written into the dependency is right "
        "for one app only: read it from `request.app.state.settings`. If the dependency does "
        f"that already, {_DEFAULTS_WON}",
    )
