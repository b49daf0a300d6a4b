"""Lesson 01 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

from enum import Enum
from itertools import islice
from typing import Annotated, Any, Literal

import pytest
from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from course import checkpoint
from course.checks import checks_of, lesson01
from taskboard.demo import demo_tasks
from taskboard.models import Label
from tests.checking import failure

ALL_CHECKS = checks_of("01")
FILTERS = {"status", "label", "limit"}


def _limit_rule(mistakes: dict[str, bool]) -> Any:
    if mistakes.get("no_bounds"):
        return Query()
    if mistakes.get("le_99"):
        return Query(ge=1, le=99)
    if mistakes.get("gt_1"):
        return Query(gt=1, le=100)
    return Query(ge=1, le=100)


def _label_type(mistakes: dict[str, bool]) -> Any:
    if mistakes.get("label_without_query"):
        return list[str]  # FastAPI reads it from the body: the query's labels never arrive
    if mistakes.get("label_str"):
        return Annotated[list[str], Query()]
    if mistakes.get("label_single"):
        return str | None
    return Annotated[list[Label], Query()]


def _id_rule(mistakes: dict[str, bool]) -> Any:
    if mistakes.get("id_without_bound") or mistakes.get("str_id"):
        return Path()  # a text id with `ge` would not even run: ge needs a number
    if mistakes.get("id_gt_1"):
        return Path(gt=1)
    if mistakes.get("id_upper_bound"):
        return Path(ge=1, le=4)
    return Path(ge=1)


def learner_app(**mistakes: bool) -> FastAPI:
    """A correct lesson-01 answer on the exercise's starting app, unlike the solution in style:
    sync endpoints, one Annotated Query/Path per parameter instead of a model, a Literal for
    status, unknown parameters refused by hand, a JSONResponse for the 404, search declared in
    the same cell as the read. Each keyword turns on one typical mistake."""
    tasks = {task["id"]: task for task in demo_tasks()}
    app = FastAPI()

    @app.get("/health/" if mistakes.get("health_slash") else "/health")
    def health():
        if mistakes.get("health_text"):
            return "ok"
        return {"status": "OK" if mistakes.get("health_upper") else "ok"}

    limit_default = 3 if mistakes.get("default_of_3") else 5 if mistakes.get("default_of_5") else 10
    status_type = str if mistakes.get("str_status") else Literal["todo", "doing", "done"]
    label_type = _label_type(mistakes)
    status_default = ... if mistakes.get("status_required") else None
    label_default = None if mistakes.get("label_single") else []

    @app.get("/tasks/" if mistakes.get("tasks_slash") else "/tasks")
    def list_tasks(
        request: Request,
        status: status_type | None = status_default,
        label: label_type = label_default,
        limit: Annotated[int, _limit_rule(mistakes)] = limit_default,
    ):
        unknown = sorted(set(request.query_params) - FILTERS)
        if unknown and not mistakes.get("extras_allowed"):
            raise RequestValidationError(
                [
                    {
                        "type": "extra_forbidden",
                        "loc": ("query", name),
                        "msg": "Extra inputs are not permitted",
                        "input": request.query_params[name],
                    }
                    for name in unknown
                ]
            )
        labels = [label] if isinstance(label, str) else label or []
        every = list(tasks.values())
        if mistakes.get("limit_first"):
            every = every[:limit]
        if mistakes.get("no_filter_with_limit") and limit != limit_default:
            return every[:limit]
        have = any if mistakes.get("any_label") else all
        wanted = (
            t
            for t in every
            if status in (None, t["status"])
            and (not labels or have(x in t["labels"] for x in labels))
        )
        return list(islice(wanted, limit))

    q_rule = Query(min_length=2) if mistakes.get("q_min_length_2") else Query(min_length=1)
    q_type = str if mistakes.get("q_may_be_empty") else Annotated[str, q_rule]

    def find(q: str) -> list[dict]:
        def haystack(task: dict) -> str:
            if mistakes.get("search_description"):
                return f"{task['title']} {task['description'] or ''}"
            return task["title"]

        if mistakes.get("case_sensitive"):
            return [t for t in tasks.values() if q in haystack(t)]
        return [t for t in tasks.values() if q.casefold() in haystack(t).casefold()]

    if mistakes.get("q_optional"):

        def search(q: str | None = None):
            return find(q or "")

    else:

        def search(q: q_type):
            return find(q)

    id_type = str if mistakes.get("str_id") else int

    def read(task_id: Annotated[id_type, _id_rule(mistakes)]):
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


class Status(Enum):  # a plain Enum: its members are not strings
    todo = "todo"
    doing = "doing"
    done = "done"


class Filters(BaseModel):
    model_config = {"extra": "forbid"}

    status: Status | None = None
    label: list[Label] = Field(default_factory=list)
    limit: Annotated[int, Field(ge=1, le=100)] = 10


TaskId = Annotated[int, Path(ge=1, description="The task's id.")]


def model_app() -> FastAPI:
    """Another correct answer: a query-parameter model with `Field` constraints on an
    `Annotated` type, a plain `Enum` status, a reusable `TaskId` alias, sync routes."""
    tasks = {task["id"]: task for task in demo_tasks()}
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/tasks")
    def list_tasks(filters: Annotated[Filters, Query()]) -> list[dict]:
        found = [
            t
            for t in tasks.values()
            if (filters.status is None or t["status"] == filters.status.value)
            and set(filters.label) <= set(t["labels"])
        ]
        return found[: filters.limit]

    @app.get("/tasks/search")
    def search(q: Annotated[str, Query(min_length=1, max_length=50)]) -> list[dict]:
        return [t for t in tasks.values() if q.casefold() in t["title"].casefold()]

    @app.get("/tasks/{task_id}")
    def read(task_id: TaskId) -> dict:
        if task_id not in tasks:
            raise HTTPException(404, f"Task {task_id} does not exist")
        return tasks[task_id]

    return app


@pytest.mark.parametrize("make_app", [learner_app, model_app])
@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker, make_app) -> None:
    app = make_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_catch_up_app_passes(checker) -> None:
    checker(checkpoint("01"))  # Taskboard's way: TaskFilters, an enum, a store that raises


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
    assert exc.hint == (
        "Every filter needs a default: None for status, an empty list for label, 10 for limit."
    )


def test_a_required_limit_gets_the_defaults_hint() -> None:
    app = FastAPI()

    @app.get("/tasks")
    async def list_tasks(limit: int, status: str | None = None) -> list[dict]:
        return [t for t in demo_tasks() if status in (None, t["status"])][:limit]

    exc = failure(lesson01.list_tasks, app)
    assert exc.got.startswith('422 {"detail":[{"type":"missing","loc":["query","limit"]')
    assert exc.hint.startswith("Every filter needs a default")


def test_a_list_without_query_and_without_default_gets_the_list_hint() -> None:
    # FastAPI reads `label: list[str]` from the body, and a GET without one is a 422.
    app = FastAPI()

    @app.get("/tasks")
    async def list_tasks(label: list[str], status: str | None = None) -> list[dict]:
        return []

    exc = failure(lesson01.list_tasks, app)
    assert exc.got.startswith('422 {"detail":[{"type":"missing","loc":["body"]')
    assert exc.hint.startswith("A list parameter is read from the request body")


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
    assert exc.hint == "Give limit the default the task states: 10."


class LimitInTheBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["todo", "doing", "done"] | None = None
    label: list[Label] = []
    limit: int | None = Field(default=None, ge=1, le=100)


def test_a_default_set_in_the_body_passes() -> None:
    # `limit or 10` is 10 by default too; the schema says None and cannot judge it.
    app = FastAPI()
    tasks = list(demo_tasks())

    @app.get("/tasks")
    async def list_tasks(filters: Annotated[LimitInTheBody, Query()]) -> list[dict]:
        found = [t for t in tasks if filters.status in (None, t["status"])]
        found = [t for t in found if all(x in t["labels"] for x in filters.label)]
        return found[: filters.limit or 10]

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
    assert exc.hint.startswith("Give limit the type `int`")


def test_limit_without_bounds_is_caught_at_0() -> None:
    exc = failure(lesson01.list_tasks, learner_app(no_bounds=True))
    assert (
        exc.problem == "/tasks?limit=0 breaks a rule of the task and should be refused with a 422."
    )
    assert exc.expected == '422 with "loc": ["query", "limit"]'
    assert exc.got == "200 []"
    assert exc.hint.startswith("limit goes from 1 to 100: give it bounds")


def test_limit_with_a_wider_upper_bound_is_caught_at_101() -> None:
    app = FastAPI()

    @app.get("/tasks")
    def list_tasks(
        status: Literal["todo", "doing", "done"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    ) -> list[dict]:
        return [t for t in demo_tasks() if status in (None, t["status"])][:limit]

    exc = failure(lesson01.list_tasks, app)
    assert exc.sent == "GET /tasks?limit=101"
    assert exc.hint.startswith("limit goes from 1 to 100")


def test_an_upper_bound_of_99_is_caught_at_100() -> None:
    exc = failure(lesson01.list_tasks, learner_app(le_99=True))
    assert exc.problem == "GET /tasks?limit=100 should answer 200."
    assert exc.hint == (
        "Your rule for limit refuses 100, which the task allows: `ge` and `le` include the "
        "bound itself, `gt` and `lt` leave it out."
    )


def test_gt_1_is_caught_at_1() -> None:
    exc = failure(lesson01.list_tasks, learner_app(gt_1=True))
    assert exc.problem == "GET /tasks?limit=1 should answer 200."
    assert exc.hint.startswith("Your rule for limit refuses 1, which the task allows")


def test_a_str_status_is_caught_by_a_status_outside_the_list() -> None:
    exc = failure(lesson01.list_tasks, learner_app(str_status=True))
    assert exc.sent == "GET /tasks?status=someday"
    assert exc.got == "200 []"
    assert exc.expected == '422 with "loc": ["query", "status"]'
    assert exc.hint.startswith("Only todo, doing and done are allowed: give status an Enum type")


def test_a_list_without_query_gets_the_list_hint() -> None:
    exc = failure(lesson01.list_tasks, learner_app(label_without_query=True))
    assert exc.problem == "?label=api should keep only the tasks that carry every label given."
    assert exc.hint.startswith("A list parameter is read from the request body")


def test_tasks_with_any_of_the_labels_are_caught() -> None:
    exc = failure(lesson01.list_tasks, learner_app(any_label=True))
    assert exc.sent == "GET /tasks?label=api&label=review"
    assert exc.expected == "the tasks with ids [4]"
    assert exc.hint.startswith("Read label as a list")


def test_a_single_label_is_caught_by_the_order_of_two() -> None:
    # A plain `label: str` keeps the last value: right for api&review, wrong for review&api.
    exc = failure(lesson01.list_tasks, learner_app(label_single=True))
    assert exc.sent == "GET /tasks?label=review&label=api"
    assert exc.hint.startswith("Read label as a list")


def test_labels_as_plain_strings_are_caught() -> None:
    exc = failure(lesson01.list_tasks, learner_app(label_str=True))
    assert exc.sent == "GET /tasks?label=API"
    assert exc.hint == (
        "Each label must be a `Label`, the type the setup cell imports: `list[Label]`."
    )


def test_unknown_parameters_let_through_are_caught() -> None:
    exc = failure(lesson01.list_tasks, learner_app(extras_allowed=True))
    assert exc.sent == "GET /tasks?stauts=todo"
    assert exc.got.startswith("200 [")
    assert exc.expected == '422 with "loc": ["query", "stauts"]'
    assert 'extra="forbid"' in exc.hint


def test_a_model_that_allows_extra_parameters_is_caught() -> None:
    class Loose(BaseModel):  # no extra="forbid"
        status: Literal["todo", "doing", "done"] | None = None
        label: list[Label] = []
        limit: int = Field(10, ge=1, le=100)

    app = FastAPI()

    @app.get("/tasks")
    async def list_tasks(filters: Annotated[Loose, Query()]) -> list[dict]:
        found = [t for t in demo_tasks() if filters.status in (None, t["status"])]
        return [t for t in found if set(filters.label) <= set(t["labels"])][: filters.limit]

    exc = failure(lesson01.list_tasks, app)
    assert exc.sent == "GET /tasks?stauts=todo"
    assert 'extra="forbid"' in exc.hint


def test_one_task_too_many_reads_in_the_singular() -> None:
    app = FastAPI()

    @app.get("/tasks")
    async def list_tasks(status: str | None = None, limit: int = 10) -> list[dict]:
        found = [t for t in demo_tasks() if status in (None, t["status"])]
        return found[: limit + 1] if limit < 10 else found  # one too many below 10

    exc = failure(lesson01.list_tasks, app)
    assert exc.problem == "?limit=1 should return at most 1 task."
    assert exc.expected == "a list of 1 task"


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


def test_an_empty_q_let_through_is_caught() -> None:
    exc = failure(lesson01.search_tasks, learner_app(q_may_be_empty=True))
    assert exc.sent == "GET /tasks/search?q="
    assert exc.got.startswith("200 [")
    assert exc.expected == '422 with "loc": ["query", "q"]'
    assert exc.hint == (
        "q must not be empty: give it a minimum length with `Query(min_length=...)`."
    )


def test_a_minimum_length_of_2_is_caught_by_one_letter() -> None:
    exc = failure(lesson01.search_tasks, learner_app(q_min_length_2=True))
    assert exc.problem == "GET /tasks/search?q=a should answer 200."
    assert exc.hint == (
        "Your rule for q refuses 'a', which the task allows: check its min_length and max_length."
    )


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
    def read(task_id: Annotated[int, Path(ge=1)]) -> dict:
        if task_id not in tasks:
            raise HTTPException(404, detail)
        return tasks[task_id]

    lesson01.read_task(app)


def test_an_id_without_a_lower_bound_is_caught_at_0() -> None:
    exc = failure(lesson01.read_task, learner_app(id_without_bound=True))
    assert exc.sent == "GET /tasks/0"
    assert exc.got == '404 {"detail":"There is no task 0"}'
    assert exc.expected == '422 with "loc": ["path", "task_id"]'
    assert exc.hint.startswith("Ids start at 1: give task_id a lower bound with `Path(ge=...)`")


def test_an_unchecked_id_0_that_crashes_gets_the_lower_bound_hint() -> None:
    app = FastAPI()
    tasks = {task["id"]: task for task in demo_tasks()}

    @app.get("/tasks/{task_id}")
    def read(task_id: int) -> dict:
        if task_id > len(tasks):
            raise HTTPException(404, f"Task {task_id} not found")
        return tasks[task_id]  # KeyError for 0

    exc = failure(lesson01.read_task, app)
    assert exc.sent == "GET /tasks/0"
    assert exc.hint.startswith("Ids start at 1")


def test_gt_1_on_the_id_is_caught_at_1() -> None:
    exc = failure(lesson01.read_task, learner_app(id_gt_1=True))
    assert exc.problem == "GET /tasks/1 should answer 200."
    assert exc.hint.startswith("Your rule for task_id refuses 1, which the task allows")


def test_an_upper_bound_on_the_id_is_caught_at_999() -> None:
    exc = failure(lesson01.read_task, learner_app(id_upper_bound=True))
    assert exc.problem == "An unknown id should answer 404."
    assert exc.hint.startswith("Any id from 1 up may exist: set no upper bound on task_id.")


def test_read_declared_before_search_is_caught_by_task_4_too() -> None:
    # Task 4 says /tasks/search must keep working.
    exc = failure(lesson01.read_task, learner_app(read_first=True))
    assert exc.problem == "/tasks/search from Task 3 should keep working."
    assert "declare /tasks/search (Task 3) before /tasks/{task_id}" in exc.hint


def test_report_is_short_and_has_no_traceback() -> None:
    lines = failure(lesson01.read_task, learner_app(bare_404=True))._render_traceback_()
    assert lines[0].startswith("✘ Task 4 is not done yet")
    assert len(lines) <= 8
