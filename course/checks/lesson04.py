"""Lesson 04 checks: the labels router, its router-level header, and an app built from settings.

Checks that need tasks make their own, with labels no one else uses, so they pass in any order
and when run again, on the learner's app as on `checkpoint("04")`.
"""

import itertools
import re
from typing import Any

from httpx2 import Response

from course.checks import CheckFailed, Probe, check
from taskboard.core.config import Settings

# Fresh labels on every run: a label's count must change only because of this check's tasks.
_label_numbers = itertools.count(1)

_LABEL_TASKS_PATH = re.compile(r"^/labels/\{[^/}]+\}/tasks$")


def _fresh_label(task: str) -> str:
    return f"check{task[-1]}-{next(_label_numbers)}"


def _create_task(probe: Probe, labels: list[str]) -> dict[str, Any]:
    """A task with `labels`, for a check that needs tasks of its own."""
    body = {"title": f"Labelled {' '.join(labels)}", "labels": labels}
    hint = 'Start from the catch-up app, `checkpoint("03")`: it already creates tasks.'
    return probe.create("/tasks", body, hint=hint)


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


def _max_ages(response: Response) -> list[str]:
    """The max-age directives of a response's Cache-Control header, as 'max-age=N' strings."""
    header = response.headers.get("cache-control", "")
    return [d.strip() for d in header.split(",") if d.strip().startswith("max-age")]


def _settings_of(probe: Probe) -> Settings:
    """The settings the app under check was built with: they say what it should answer."""
    settings = getattr(getattr(probe.app, "state", None), "settings", None)
    if not isinstance(settings, Settings):
        raise CheckFailed(
            probe.task,
            "this app has no Taskboard settings, so the check cannot tell what it should answer.",
            got=f"app.state.settings is {type(settings).__name__}",
            expected="a taskboard.core.config.Settings",
            hint='Build the app with the course\'s factory: `checkpoint("03", settings)` '
            "stores the settings on the app.",
        )
    return settings


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
        hint="Return what the store's label_counts method returns, and say so in the return "
        "type: `-> dict[str, int]`.",
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
    _expect_tag(probe, lambda path: path.rstrip("/") == "/labels", "GET /labels")


@check(
    "Task 2", "GET /labels/{label}/tasks lists a label's tasks; 404 if unused, 422 if malformed."
)
def label_tasks(probe: Probe) -> None:
    label, other = _fresh_label("Task 2"), _fresh_label("Task 2")
    only = _create_task(probe, [label])
    both = _create_task(probe, [label, other])
    url = f"/labels/{label}/tasks"
    response = probe.get(url)
    probe.expect_status(
        response,
        200,
        f"GET {url}",
        hint="The route's path goes after the router's prefix: the label is a path parameter.",
    )
    tasks = probe.json(response)
    ids = (
        sorted(t.get("id") for t in tasks if isinstance(t, dict))
        if isinstance(tasks, list)
        else None
    )
    probe.expect(
        ids == [only["id"], both["id"]],
        f"the answer should be the two tasks labelled {label!r}.",
        response=response,
        expected=f"a list of tasks {only['id']} and {both['id']}, with all their fields",
        hint="Return what the store's tasks_with_label method returns, as a list of TaskPublic.",
    )
    response = probe.get(f"/labels/{other}/tasks")
    tasks = probe.json(response)
    probe.expect(
        isinstance(tasks, list) and [t.get("id") for t in tasks] == [both["id"]],
        f"only task {both['id']} carries {other!r}.",
        response=response,
        expected=f"a list with task {both['id']} only",
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
    for bad in ("Not%20A%20Label", "UPPER", "x" * 31):
        response = probe.get(f"/labels/{bad}/tasks")
        probe.expect_status(
            response,
            422,
            "A malformed label",
            hint="Give the path parameter the same rules as a task's labels: "
            "the Label type in taskboard/models.py holds them.",
        )
    _expect_tag(probe, _LABEL_TASKS_PATH.match, "GET /labels/{label}/tasks")


@check("Task 3", "every labels answer says Cache-Control: max-age from the app's settings.")
def cache_header(probe: Probe) -> None:
    settings = _settings_of(probe)
    wanted = f"max-age={settings.labels_max_age}"
    label = _fresh_label("Task 3")
    _create_task(probe, [label])
    for url in ("/labels", f"/labels/{label}/tasks"):
        response = probe.get(url)
        probe.expect_status(response, 200, f"GET {url}", hint="Solve Tasks 1 and 2 first.")
        found = _max_ages(response)
        probe.expect(
            bool(found),
            f"GET {url} has no Cache-Control max-age.",
            response=response,
            expected=f"a header Cache-Control: {wanted}",
            hint="A dependency can take `response: Response` and set a header; attach it to the "
            "whole router so every labels route runs it.",
        )
        probe.expect(
            found == [wanted],
            f"GET {url} should allow caching for labels_max_age = "
            f"{settings.labels_max_age} seconds, the app's setting.",
            response=response,
            expected=f"Cache-Control: {wanted} (got Cache-Control: "
            f"{response.headers.get('cache-control')})",
            hint="Read the number from the app's settings, not from the code: a dependency can "
            "take `request: Request`, and `request.app.state.settings` is the app's Settings.",
        )
    response = probe.get("/tasks")
    probe.expect(
        wanted not in _max_ages(response),
        "GET /tasks carries the labels' Cache-Control too.",
        response=response,
        expected="no Cache-Control: max-age on /tasks",
        hint="Attach the dependency to the labels router only, not to the whole app.",
    )


@check("Task 4", "the team app follows its settings: its title, its tasks and its Cache-Control.")
def team_settings(probe: Probe) -> None:
    settings = _settings_of(probe)
    response = probe.get("/openapi.json")
    schema = probe.json(response)
    title = schema.get("info", {}).get("title") if isinstance(schema, dict) else None
    probe.expect(
        title == settings.project_name,
        f"the docs should carry the project name from the settings, {settings.project_name!r}.",
        response=response,
        expected=f'"info": {{"title": "{settings.project_name}", ...}}',
        hint='Pass the settings to the factory, `checkpoint("03", settings)`: it names the '
        "app from them.",
    )
    response = probe.get("/tasks")
    tasks = probe.json(response)
    demo_there = isinstance(tasks, list) and any(
        isinstance(t, dict) and t.get("id") == 1 and t.get("title") == "Write the README"
        for t in tasks
    )
    probe.expect(
        demo_there == settings.demo_data,
        f"with demo_data={settings.demo_data} the app should "
        f"{'start with' if settings.demo_data else 'not start with'} the demo tasks.",
        response=response,
        expected="the demo tasks" if settings.demo_data else "no demo task",
        hint="Build the app from the same Settings object you read, with "
        '`checkpoint("03", settings)`.',
    )
    wanted = f"max-age={settings.labels_max_age}"
    response = probe.get("/labels")
    probe.expect_status(
        response, 200, "GET /labels", hint="Include the labels router in this app too."
    )
    probe.expect(
        _max_ages(response) == [wanted],
        f"this app's labels_max_age is {settings.labels_max_age}, so its labels answers should "
        f"say {wanted}.",
        response=response,
        expected=f"Cache-Control: {wanted} (got Cache-Control: "
        f"{response.headers.get('cache-control')})",
        hint="A number written in the dependency is right for one app only: read it from "
        "`request.app.state.settings`, and include the router with that dependency.",
    )
    secret = settings.secret_key.get_secret_value()
    for url in ("/openapi.json", "/labels", "/tasks"):
        response = probe.get(url)
        probe.expect(
            secret not in response.text,
            f"GET {url} shows the secret key.",
            response=response,
            expected="no secret in any answer",
            hint="Never return a Settings object: it holds the secret key.",
        )
