"""Lesson 01 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

from itertools import islice
from typing import Annotated

import pytest
from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from course import checkpoint
from course.checks import checks_of, lesson01
from taskboard.demo import demo_tasks
from tests.checking import failure

ALL_CHECKS = checks_of("01")


def learner_app(**mistakes: bool) -> FastAPI:
    """A correct lesson-01 answer on the exercise's starting app, unlike the solution in style:
    sync endpoints, Annotated Query/Path, a case-insensitive status, a JSONResponse for the 404,
    search declared in the same cell as the read. Each keyword turns on one typical mistake."""
    tasks = {task["id"]: task for task in demo_tasks()}
    app = FastAPI()

    @app.get("/health/" if mistakes.get("health_slash") else "/health")
    def health():
        if mistakes.get("health_text"):
            return "ok"
        return {"status": "OK" if mistakes.get("health_upper") else "ok"}

    limit_default = 3 if mistakes.get("default_of_3") else 5 if mistakes.get("default_of_5") else 10

    @app.get("/tasks/" if mistakes.get("tasks_slash") else "/tasks")
    def list_tasks(
        status: str | None = ... if mistakes.get("status_required") else None,
        limit: Annotated[int, Query(ge=1)] = limit_default,
    ):
        every = list(tasks.values())
        if mistakes.get("limit_first"):
            every = every[:limit]
        if mistakes.get("no_filter_with_limit") and limit != limit_default:
            return every[:limit]
        wanted = (t for t in every if status is None or t["status"].lower() == status.lower())
        return list(islice(wanted, limit))

    def search(q: str | None = None if mistakes.get("q_optional") else ...):
        def haystack(task: dict) -> str:
            if mistakes.get("search_description"):
                return f"{task['title']} {task['description'] or ''}"
            return task["title"]

        if mistakes.get("case_sensitive"):
            return [t for t in tasks.values() if (q or "") in haystack(t)]
        return [t for t in tasks.values() if (q or "").casefold() in haystack(t).casefold()]

    id_type = str if mistakes.get("str_id") else int

    def read(task_id: Annotated[id_type, Path()]):
        if mistakes.get("key_error"):
            return tasks[task_id]
        if task_id in tasks:
            return tasks[task_id]
        if mistakes.get("none_for_unknown"):
            return None
        if mistakes.get("bare_404"):
            raise HTTPException(status_code=404)
        if mistakes.get("vague_detail"):
            raise HTTPException(status_code=404, detail="Oops")
        return JSONResponse({"detail": f"There is no task {task_id}"}, status_code=404)

    routes = [("/tasks/search", search), ("/tasks/{task_id}", read)]
    for path, endpoint in reversed(routes) if mistakes.get("read_first") else routes:
        app.get(path)(endpoint)
    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker) -> None:
    app = learner_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_catch_up_app_passes(checker) -> None:
    checker(checkpoint("01"))  # Taskboard's way: an enum for status, a store that raises


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    exc = failure(checker, FastAPI())
    assert exc.hint == (
        "No route matches this path: check the path in the decorator, and that its cell ran."
    )


# Task 1


@pytest.mark.parametrize("mistake", ["health_upper", "health_text"])
def test_a_wrong_health_body_is_caught(mistake: str) -> None:
    exc = failure(lesson01.health, learner_app(**{mistake: True}))
    assert exc.problem == "the body is not the one asked for."
    assert "'status'" in exc.hint


def test_a_trailing_slash_is_named_as_a_redirect() -> None:
    exc = failure(lesson01.health, learner_app(health_slash=True))
    assert exc.got.startswith("307 redirect to")
    assert "without a trailing slash" in exc.hint


# Task 2


def test_a_trailing_slash_on_tasks_is_named_as_a_redirect() -> None:
    exc = failure(lesson01.list_tasks, learner_app(tasks_slash=True))
    assert exc.got == "307 redirect to http://testserver/tasks/"
    assert "without a trailing slash" in exc.hint


def test_a_required_status_gets_the_defaults_hint() -> None:
    exc = failure(lesson01.list_tasks, learner_app(status_required=True))
    assert exc.problem == "GET /tasks should answer 200."
    assert exc.hint == "Both parameters need defaults: None for status, 10 for limit."


def test_a_required_limit_gets_the_defaults_hint() -> None:
    app = FastAPI()

    @app.get("/tasks")
    async def list_tasks(limit: int, status: str | None = None) -> list[dict]:
        return [t for t in demo_tasks() if status in (None, t["status"])][:limit]

    exc = failure(lesson01.list_tasks, app)
    assert exc.got.startswith('422 {"detail":[{"type":"missing","loc":["query","limit"]')
    assert exc.hint == "Both parameters need defaults: None for status, 10 for limit."


def test_a_default_limit_below_four_is_caught_by_the_listing() -> None:
    exc = failure(lesson01.list_tasks, learner_app(default_of_3=True))
    assert exc.problem == "without query parameters every task should be listed."
    assert "10 for limit" in exc.hint


def test_a_default_limit_of_five_is_caught_by_the_schema() -> None:
    # Five and ten list the same four demo tasks: only the declared default tells them apart.
    exc = failure(lesson01.list_tasks, learner_app(default_of_5=True))
    assert exc.problem.startswith("limit should be 10 by default, and your app declares 5")
    assert exc.sent == "GET /openapi.json"
    assert exc.got == "limit's default: 5"
    assert exc.hint == "Give limit the default the task states: `limit: int = 10`."


def test_a_default_set_in_the_body_passes() -> None:
    # `limit or 10` is 10 by default too; the schema says None and cannot judge it.
    app = FastAPI()
    tasks = list(demo_tasks())

    @app.get("/tasks")
    async def list_tasks(status: str | None = None, limit: int | None = None) -> list[dict]:
        return [t for t in tasks if status in (None, t["status"])][: limit or 10]

    lesson01.list_tasks(app)


def test_limit_applied_before_the_filter_is_caught() -> None:
    exc = failure(lesson01.list_tasks, learner_app(limit_first=True))
    assert exc.problem == "the filter and the limit should work together."
    assert exc.hint == "Filter first, then cut the filtered list to `limit`."


def test_a_filter_dropped_when_a_limit_is_given_is_caught() -> None:
    # It returns one task for status=todo&limit=1, but not a todo one.
    exc = failure(lesson01.list_tasks, learner_app(no_filter_with_limit=True))
    assert exc.problem == "the filter and the limit should work together."


def test_a_text_limit_converted_by_hand_crashes_on_many() -> None:
    app = FastAPI()

    @app.get("/tasks")
    def list_tasks(status: str | None = None, limit: str = "10") -> list[dict]:
        return [t for t in demo_tasks() if status in (None, t["status"])][: int(limit)]

    exc = failure(lesson01.list_tasks, app)
    assert exc.problem == "your app raised ValueError while answering."
    assert exc.sent == "GET /tasks?limit=many"
    assert exc.hint == "Annotate it: `limit: int = 10`."


# Task 3


@pytest.mark.parametrize("mistake", ["search_description", "case_sensitive"])
def test_a_search_beyond_titles_or_with_case_is_caught(mistake: str) -> None:
    exc = failure(lesson01.search_tasks, learner_app(**{mistake: True}))
    assert "should find the tasks whose title contains it, ignoring case" in exc.problem
    assert "title only" in exc.hint


def test_searching_descriptions_is_caught_by_a_word_only_they_have() -> None:
    exc = failure(lesson01.search_tasks, learner_app(search_description=True))
    assert exc.sent == "GET /tasks/search?q=errors"
    assert exc.expected == "the tasks with ids []"


def test_an_optional_q_is_caught() -> None:
    exc = failure(lesson01.search_tasks, learner_app(q_optional=True))
    assert exc.problem == "A search without q should answer 422."
    assert "no default" in exc.hint


def test_search_declared_after_read_gets_the_route_order_hint() -> None:
    exc = failure(lesson01.search_tasks, learner_app(read_first=True))
    assert exc.problem == "/tasks/search was handled by the /tasks/{task_id} route."
    assert exc.hint.startswith("Routes match in the order they are declared")


def test_search_declared_after_a_text_id_gets_the_route_order_hint_too() -> None:
    # task_id: str takes "search" as an id and answers the learner's own 404.
    exc = failure(lesson01.search_tasks, learner_app(read_first=True, str_id=True))
    assert exc.got.startswith('404 {"detail":"There is no task search"}')
    assert exc.hint.startswith("Routes match in the order they are declared")


# Task 4


def test_a_text_id_gets_the_int_hint() -> None:
    exc = failure(lesson01.read_task, learner_app(str_id=True))
    assert exc.problem == "GET /tasks/1 should answer 200."
    assert "`task_id: int`" in exc.hint


def test_a_text_id_looked_up_directly_gets_the_int_hint() -> None:
    exc = failure(lesson01.read_task, learner_app(str_id=True, key_error=True))
    assert exc.problem == "your app raised KeyError while answering."
    assert "`task_id: int`" in exc.hint


def test_no_check_for_unknown_ids_gets_the_404_hint() -> None:
    exc = failure(lesson01.read_task, learner_app(key_error=True))
    assert exc.problem == "your app raised KeyError while answering."
    assert exc.sent == "GET /tasks/999"
    assert "HTTPException(status_code=404" in exc.hint


def test_null_for_an_unknown_id_is_caught() -> None:
    exc = failure(lesson01.read_task, learner_app(none_for_unknown=True))
    assert exc.got == "200 null"
    assert exc.problem == "An unknown id should answer 404."
    assert "HTTPException(status_code=404" in exc.hint


def test_none_against_a_dict_return_type_gets_the_404_hint() -> None:
    app = FastAPI()
    tasks = {task["id"]: task for task in demo_tasks()}

    @app.get("/tasks/{task_id}")
    async def read_task(task_id: int) -> dict:
        return tasks.get(task_id)  # type: ignore[return-value]  # the mistake under test

    exc = failure(lesson01.read_task, app)
    assert exc.problem == "your function returned something its return type does not allow."
    assert "HTTPException(status_code=404" in exc.hint


@pytest.mark.parametrize("mistake", ["bare_404", "vague_detail"])
def test_a_404_that_does_not_say_the_task_is_missing_is_caught(mistake: str) -> None:
    exc = failure(lesson01.read_task, learner_app(**{mistake: True}))
    assert exc.problem == "the 404 should say in `detail` that no task has this id."
    assert exc.hint.startswith("Say so in the detail: HTTPException(status_code=404")


@pytest.mark.parametrize(
    "detail", ["Task 999 not found", "No such task", "Unknown task id", "Task 999 does not exist"]
)
def test_any_words_saying_the_task_is_missing_pass(detail: str) -> None:
    app = FastAPI()
    tasks = {task["id"]: task for task in demo_tasks()}

    @app.get("/tasks/search")
    def search(q: str) -> list[dict]:
        return []

    @app.get("/tasks/{task_id}")
    def read(task_id: int) -> dict:
        if task_id not in tasks:
            raise HTTPException(404, detail)
        return tasks[task_id]

    lesson01.read_task(app)


def test_read_declared_before_search_is_caught_by_task_4_too() -> None:
    # Task 4 says /tasks/search must keep working.
    exc = failure(lesson01.read_task, learner_app(read_first=True))
    assert exc.problem == "/tasks/search from Task 3 should keep working."
    assert "declare /tasks/search (Task 3) before /tasks/{task_id}" in exc.hint


def test_report_is_short_and_has_no_traceback() -> None:
    lines = failure(lesson01.read_task, learner_app(bare_404=True))._render_traceback_()
    assert lines[0].startswith("✘ Task 4 is not done yet")
    assert len(lines) <= 8
