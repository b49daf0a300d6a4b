"""The check framework: correct answers in any style pass; typical mistakes fail with the right hint."""

import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from course.checks import lesson00, lesson01
from taskboard.demo import demo_tasks
from tests.checking import failure

TASKS = {task["id"]: task for task in demo_tasks()}


def test_success_prints_one_stable_line(capsys: pytest.CaptureFixture[str]) -> None:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    lesson01.health(app)
    assert capsys.readouterr().out == '✔ Task 1 passed: GET /health answers {"status": "ok"}.\n'


def test_a_sync_endpoint_and_a_model_pass_too() -> None:
    class Health(BaseModel):
        status: str = "ok"

    app = FastAPI()

    @app.get("/health")
    def health() -> Health:
        return Health()

    lesson01.health(app)


def test_report_says_what_was_sent_what_came_back_and_a_hint() -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "OK"}

    report = str(failure(lesson01.health, app))
    assert report.splitlines() == [
        "✘ Task 1 is not done yet: the body is not the one asked for.",
        "  sent:     GET /health",
        '  got:      200 {"status":"OK"}',
        '  expected: {"status": "ok"}',
        "  hint:     Return a dict with one key, 'status', whose value is 'ok'.",
    ]


def test_jupyter_shows_the_report_instead_of_a_traceback() -> None:
    exc = failure(lesson01.health, FastAPI())
    assert exc._render_traceback_() == str(exc).splitlines()


def test_a_missing_route_is_named_as_such() -> None:
    exc = failure(lesson01.health, FastAPI())
    assert exc.got == '404 {"detail":"Not Found"}'
    assert "No route matches" in exc.hint


def test_the_wrong_method_is_named_as_such() -> None:
    app = FastAPI()

    @app.post("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    assert "not for this method" in failure(lesson01.health, app).hint


@pytest.mark.parametrize("not_an_app", [None, 42, "app"])
def test_no_app_at_all_is_reported(not_an_app: object) -> None:
    exc = failure(lesson01.health, not_an_app)
    assert "expected your FastAPI app" in exc.problem


def test_an_exception_inside_the_endpoint_is_reported_not_raised() -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        raise NotImplementedError

    exc = failure(lesson01.health, app)
    assert exc.problem == "your app raised NotImplementedError while answering."
    assert exc.sent == "GET /health"


def test_a_wrong_return_type_is_reported() -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return ["ok"]  # type: ignore[return-value]  # the learner's mistake under test

    exc = failure(lesson01.health, app)
    assert "ResponseValidationError" in exc.problem


def test_a_body_that_is_not_json_is_reported() -> None:
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/health", response_class=PlainTextResponse)
    def health() -> str:
        return "ok"

    assert failure(lesson01.health, app).problem == "the response body is not JSON."


def test_a_failing_lifespan_is_reported() -> None:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        raise RuntimeError("no database")
        yield

    exc = failure(lesson01.health, FastAPI(lifespan=lifespan))
    assert "RuntimeError: no database" in exc.problem


def _tasks_app(*, search_first: bool = True, missing_404: bool = True) -> FastAPI:
    """A correct lesson-01 answer written differently from the solution and from taskboard/."""
    app = FastAPI()

    def search(q: str) -> list[dict]:
        return [t for t in TASKS.values() if t["title"].lower().find(q.lower()) >= 0]

    def read(task_id: int) -> dict:
        if task_id not in TASKS and missing_404:
            raise HTTPException(404, "no such task")
        return TASKS.get(task_id, {})

    routes = [("/tasks/search", search), ("/tasks/{task_id}", read)]
    for path, endpoint in routes if search_first else reversed(routes):
        app.get(path)(endpoint)

    @app.get("/tasks")
    def list_tasks(status: str | None = None, limit: int = 10) -> list[dict]:
        matching = (t for t in TASKS.values() if status in (None, t["status"]))
        return [task for _, task in zip(range(limit), matching, strict=False)]

    return app


def test_an_alternative_correct_answer_passes_every_lesson01_check() -> None:
    app = _tasks_app()
    for checker in (lesson01.list_tasks, lesson01.search_tasks, lesson01.read_task):
        checker(app)


def test_route_order_mistake_gets_the_route_order_hint() -> None:
    exc = failure(lesson01.search_tasks, _tasks_app(search_first=False))
    assert "Routes match in the order they are declared" in exc.hint


def test_missing_404_gets_the_http_exception_hint() -> None:
    exc = failure(lesson01.read_task, _tasks_app(missing_404=False))
    assert exc.problem == "An unknown id should answer 404."
    assert "HTTPException" in exc.hint


def test_limit_applied_before_the_filter_is_caught() -> None:
    app = FastAPI()

    @app.get("/tasks")
    def list_tasks(status: str | None = None, limit: int = 10) -> list[dict]:
        return [t for t in list(TASKS.values())[:limit] if status in (None, t["status"])]

    assert "Filter first" in failure(lesson01.list_tasks, app).hint


def test_an_untyped_path_parameter_misses_the_422() -> None:
    app = FastAPI()

    @app.get("/tasks/{task_id}")
    def read(task_id):  # no annotation: FastAPI passes the raw string
        if task_id.isdigit() and int(task_id) in TASKS:
            return TASKS[int(task_id)]
        raise HTTPException(404)

    exc = failure(lesson01.read_task, app)
    assert exc.problem == "A non-integer id should answer 422."
    assert exc.hint == "Annotate the parameter: `task_id: int`."


def test_warm_up_check_judges_the_greeting() -> None:
    app = FastAPI()

    @app.get("/")
    def home() -> dict[str, str]:
        return {"message": "Hello, World!"}

    assert "spelling" in failure(lesson00.hello, app).hint
