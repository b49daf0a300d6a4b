"""The check framework: correct answers in any style pass; typical mistakes fail with the right hint."""

import functools
import gc
import pkgutil
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import ModuleType

import anyio
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

import course.checks
from course import checkpoint
from course.checks import RERUN, CheckFailed, checks_of, lesson00, lesson01, lesson02
from taskboard.demo import demo_tasks
from taskboard.models import TaskCreate, TaskFilters, TaskPublic
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
    assert exc.problem == "your function returned something its return type does not allow."
    assert exc.got == "Input should be a valid dictionary, but the function returned ['ok']"


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


def test_warm_up_check_judges_the_greeting() -> None:
    app = FastAPI()

    @app.get("/")
    def home() -> dict[str, str]:
        return {"message": "Hello, World!"}

    assert "spelling" in failure(lesson00.hello, app).hint


# --- Dead ends: every way a learner's app can go wrong gets a short, true report. ---


def test_a_fall_through_to_none_names_the_missing_return_not_a_temp_file() -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        {"status": "ok"}  # noqa: B018  # the learner forgot `return`

    exc = failure(lesson01.health, app)
    assert exc.got == "Input should be a valid dictionary, but the function returned None"
    assert "A function that reaches its end returns None" in exc.hint
    assert "/tmp" not in str(exc) and "File" not in str(exc)


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_a_forgotten_await_is_named() -> None:
    async def status() -> dict[str, str]:
        return {"status": "ok"}

    app = FastAPI()

    @app.get("/health")
    async def health():
        return status()  # the learner forgot `await`

    exc = failure(lesson01.health, app)
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert "`await` it" in exc.hint
    del exc
    gc.collect()  # Python warns of the coroutine never awaited now, while the filter holds


def test_a_value_that_is_not_json_is_named() -> None:
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"status": object()}

    exc = failure(lesson01.health, app)
    assert exc.problem == "FastAPI could not turn what your function returned into JSON."


def test_sys_exit_in_an_endpoint_is_a_report_not_a_crash(capfd: pytest.CaptureFixture[str]) -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        sys.exit()

    exc = failure(lesson01.health, app)
    assert exc.problem == "your endpoint called sys.exit(), which would stop a real server."
    assert "HTTPException" in exc.hint
    assert capfd.readouterr().err == ""  # no ExceptionGroup screenful on stderr


def test_a_router_passed_as_the_app_is_named() -> None:
    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    exc = failure(lesson01.health, router)
    assert exc.problem.startswith("this is an APIRouter, not an app")
    assert "app.include_router(router)" in exc.hint


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Checks give up after 0.3 s; setting the event frees the endpoints that never answer."""
    monkeypatch.setattr(course.checks, "REQUEST_TIMEOUT", 0.3)
    release = threading.Event()
    yield release
    release.set()


def test_an_endpoint_that_never_answers_is_given_up_on(short_timeout: threading.Event) -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        short_timeout.wait()  # stands for an endless loop
        return {"status": "ok"}

    started = time.monotonic()
    exc = failure(lesson01.health, app)
    assert time.monotonic() - started < 5
    assert exc.problem == "your app did not answer within 0.3 seconds."
    assert exc.sent == "GET /health"
    assert "restart the kernel" in exc.hint


def test_an_async_endpoint_that_blocks_the_loop_is_given_up_on(
    short_timeout: threading.Event,
) -> None:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        short_timeout.wait()  # blocks the event loop itself, as `while True: pass` would
        return {"status": "ok"}

    assert failure(lesson01.health, app).problem.startswith("your app did not answer within")


def test_a_lifespan_that_never_finishes_starting_is_given_up_on(
    short_timeout: threading.Event,
) -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(short_timeout.wait)
        yield

    exc = failure(lesson01.health, FastAPI(lifespan=lifespan))
    assert exc.problem == "your app did not finish starting within 0.3 seconds."


def test_a_redirect_is_not_followed_and_is_named() -> None:
    app = FastAPI()

    @app.get("/health/")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    exc = failure(lesson01.health, app)
    assert exc.got == "307 redirect to http://testserver/health/"
    assert "without a trailing slash" in exc.hint
    assert "router" not in exc.hint  # routers come in lesson 04


def test_lesson_01_hints_speak_of_decorators_not_routers() -> None:
    hint = failure(lesson01.health, FastAPI()).hint
    assert (
        hint
        == "No route matches this path: check the path in the decorator, and that its cell ran."
    )


def test_an_exception_handler_added_after_a_request_is_used() -> None:
    class Broken(Exception):
        pass

    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        raise Broken

    assert failure(lesson01.health, app).problem == "your app raised Broken while answering."
    # Starlette builds its middleware stack (exception handlers included) on the first request.
    app.add_exception_handler(Broken, lambda request, exc: JSONResponse({"status": "ok"}))
    lesson01.health(app)
    # ...and a check leaves no stack behind, so middleware can still be added afterwards.
    app.add_middleware(GZipMiddleware)


def _notebook(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A stand-in for a notebook's namespace, where a cell defines top-level functions."""
    namespace = ModuleType("learner_notebook")
    monkeypatch.setitem(sys.modules, namespace.__name__, namespace)
    exec("from fastapi import FastAPI\napp = FastAPI()", namespace.__dict__)
    return namespace


def _run_cell(namespace: ModuleType, source: str) -> None:
    exec(compile(source, "<cell>", "exec"), namespace.__dict__)


HEALTH_CELL = """
@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "STATUS"}
"""


def test_a_fixed_cell_run_again_is_named_not_judged_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notebook = _notebook(monkeypatch)
    _run_cell(notebook, HEALTH_CELL.replace("STATUS", "OK"))
    failure(lesson01.health, notebook.app)
    _run_cell(notebook, HEALTH_CELL.replace("STATUS", "ok"))  # fixed, but the first route answers
    exc = failure(lesson01.health, notebook.app)
    assert exc.problem.startswith("an earlier version of `health` answered")
    assert exc.hint == RERUN


def test_a_broken_change_behind_a_passing_route_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = _notebook(monkeypatch)
    _run_cell(notebook, HEALTH_CELL.replace("STATUS", "ok"))
    lesson01.health(notebook.app)
    _run_cell(notebook, HEALTH_CELL.replace("STATUS", "OK"))  # the first, right one still answers
    assert failure(lesson01.health, notebook.app).problem.startswith("an earlier version")


def test_a_cell_run_again_unchanged_still_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = _notebook(monkeypatch)
    for _ in range(2):
        _run_cell(notebook, HEALTH_CELL.replace("STATUS", "ok"))
    lesson01.health(notebook.app)


def test_a_check_deletes_what_it_created(capsys: pytest.CaptureFixture[str]) -> None:
    app = checkpoint("02")
    every_task = functools.partial(app.state.store.list_tasks, TaskFilters(limit=100))
    before = [task.id for task in anyio.run(every_task)]
    lesson02.create_task(app)
    assert [task.id for task in anyio.run(every_task)] == before
    assert capsys.readouterr().out.count("\n") == 1  # the success line only


def test_a_check_says_what_it_could_not_delete(capsys: pytest.CaptureFixture[str]) -> None:
    app = checkpoint("01")
    store = app.state.store

    @app.post("/tasks", status_code=201)
    async def create_task(task_in: TaskCreate) -> TaskPublic:
        return await store.create(task_in)

    lesson02.create_task(app)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✔ Task 1 passed")
    assert "The check could not delete what it created" in " ".join(lines[1:])
    assert "/tasks/5" in " ".join(lines[1:])


def test_long_report_lines_wrap_at_88_columns_with_a_hanging_indent() -> None:
    report = CheckFailed(
        "Task 9", "x " * 60, sent="GET /x", hint="Read the lesson again, then " * 8
    ).report()
    lines = report.splitlines()
    assert max(map(len, lines)) <= 88
    hint_start = next(i for i, line in enumerate(lines) if line.startswith("  hint:"))
    assert all(line.startswith(" " * 12) for line in lines[hint_start + 1 :])


def test_success_lines_are_plain_text() -> None:
    # Printed as plain text in the notebook, where Markdown backticks would show literally.
    for module in pkgutil.iter_modules(course.checks.__path__):
        for checker in checks_of(module.name.removeprefix("lesson")):
            assert "`" not in checker.success, checker.__name__  # type: ignore[attr-defined]


def test_a_checks_own_words_for_a_crash_apply_only_to_the_exceptions_it_names() -> None:
    # lesson01.read_task explains a KeyError on a known id (a text id used as a key); any
    # other exception keeps the generic report.
    app = FastAPI()

    @app.get("/tasks/{task_id}")
    def read(task_id: int) -> dict:
        raise ZeroDivisionError

    exc = failure(lesson01.read_task, app)
    assert exc.problem == "your app raised ZeroDivisionError while answering."
    assert exc.hint.startswith("Run the request yourself with TestClient(app)")


# --- a forgotten `await` on the store's async methods -------------------------------------------


def test_a_returned_coroutine_is_named_even_with_a_return_type() -> None:
    # With `-> TaskPublic`, FastAPI's validation of the return value fails before any JSON.
    app = checkpoint("01")
    store = app.state.store

    @app.post("/tasks", status_code=201)
    async def create_task(task_in: TaskCreate) -> TaskPublic:
        return store.create(task_in)  # type: ignore[return-value]

    exc = failure(lesson02.create_task, app)
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert exc.got == "a coroutine of Store.create(), not its result"
    assert exc.hint == course.checks.AWAIT_IT


def test_a_coroutine_dropped_unawaited_is_named_and_python_does_not_warn() -> None:
    app = checkpoint("01")
    store = app.state.store

    @app.post("/tasks", status_code=201)
    async def create_task(task_in: TaskCreate) -> TaskPublic:
        return await store.create(task_in)

    @app.delete("/tasks/{task_id}", status_code=204)
    async def delete_task(task_id: int) -> None:
        store.delete(task_id)  # never runs: the task stays

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped the check would fail here
        exc = failure(lesson02.delete_task, app)
        gc.collect()
    assert exc.problem == "your function called Store.delete() without `await`, so it never ran."
    assert exc.hint == course.checks.AWAIT_IT


# --- checks of an answer that is no app (check_answer) ------------------------------------------


def test_a_check_of_an_answer_prints_records_and_reports_like_any_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[tuple[str, str, bool]] = []
    monkeypatch.setattr(
        course.checks,
        "record",
        lambda lesson, task, passed: recorded.append((lesson, task, passed)),
    )

    @course.checks.check_answer("Task 9", "the answer is 42.")
    def answer_is_42(task: str, answer: object) -> None:
        if answer != 42:
            raise CheckFailed(task, f"the answer is {answer!r}.", hint="Think again.")

    answer_is_42(42)
    assert capsys.readouterr().out == "✔ Task 9 passed: the answer is 42.\n"
    assert failure(answer_is_42, 41).hint == "Think again."
    assert answer_is_42.judges_app is False  # type: ignore[attr-defined]
    assert (answer_is_42.task, answer_is_42.success) == ("Task 9", "the answer is 42.")  # type: ignore[attr-defined]
    assert [passed for _, _, passed in recorded] == [True, False]
    assert lesson01.health.judges_app is True  # type: ignore[attr-defined]


def test_an_answer_that_raises_gets_a_short_report_not_a_traceback() -> None:
    @course.checks.check_answer("Task 9", "the function answers.")
    def calls_it(task: str, answer: object) -> None:
        answer()  # type: ignore[operator]

    def broken() -> None:
        raise KeyError

    def stub() -> None:
        raise NotImplementedError  # what an exercise's unwritten function raises

    exc = failure(calls_it, broken)
    assert exc.problem == "your answer raised KeyError while the check used it."
    assert exc.got == "KeyError"
    assert exc.hint.startswith("Run your code yourself")
    exc = failure(calls_it, stub)
    assert exc.problem == "your answer is not written yet: it raised NotImplementedError."
    assert exc.hint.startswith("Write your code where it says `# YOUR CODE HERE`")


# --- Checks that judge a learner's test function (lesson 13) ------------------------------------


def _ping_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    @app.get("/boom")
    async def boom() -> None:
        raise ZeroDivisionError("division by zero")

    return app


def learner_pings(client: TestClient) -> None:
    print("the check hides what a test prints")
    assert client.get("/ping").json() == {"ping": "pong"}


def learner_expects_too_much(client: TestClient) -> None:
    response = client.get("/ping")
    assert response.status_code == 201, "not created"


def learner_hits_a_bug(client: TestClient) -> None:
    client.get("/boom")


def test_a_passing_test_passes_quietly_and_counts_its_requests(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = course.checks.run_test(learner_pings, _ping_app())
    assert (run.passed, run.failure, run.requests) == (True, None, 1)
    assert capsys.readouterr().out == ""


def test_a_failing_assert_is_named_by_its_line_with_its_message() -> None:
    run = course.checks.run_test(learner_expects_too_much, _ping_app())
    assert run.failure == '`assert response.status_code == 201, "not created"` failed: not created'


def test_an_exception_the_app_raised_fails_the_test_and_says_where() -> None:
    run = course.checks.run_test(learner_hits_a_bug, _ping_app())
    assert run.failure == 'ZeroDivisionError: division by zero, at `client.get("/boom")`'


def test_the_lifespan_runs_around_the_test() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    def learner_sees_it_started(client: TestClient) -> None:
        assert events == ["start"]

    assert course.checks.run_test(learner_sees_it_started, FastAPI(lifespan=lifespan)).passed
    assert events == ["start", "stop"]


def test_a_test_that_never_ends_is_given_up() -> None:
    def learner_waits(client: TestClient) -> None:
        threading.Event().wait(5)

    run = course.checks.run_test(learner_waits, _ping_app(), timeout=0.2)
    assert run.failure == "it did not finish within 0.2 seconds"


def test_a_coroutine_returned_by_a_test_is_no_pass() -> None:
    async def later(client: TestClient) -> None:
        raise AssertionError

    run = course.checks.run_test(lambda client: later(client), _ping_app())
    assert run.failure == "it is an `async def` function: calling it ran nothing"


def test_a_check_of_tests_records_its_verdict_and_refuses_what_is_not_a_test(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def learner_returns(client: TestClient) -> None:
        pass

    module = ModuleType("course.checks.lesson99")
    sys.modules[module.__name__] = module
    try:

        def body(test: object) -> None:
            if not course.checks.run_test(test, _ping_app()).passed:  # type: ignore[arg-type]
                raise CheckFailed("Task 1", "it failed.")

        body.__module__ = module.__name__
        checker = course.checks.check_tests("Task 1", "it passes.")(body)
        assert (checker.task, checker.success) == ("Task 1", "it passes.")  # type: ignore[attr-defined]
        assert checker.judges_app is False  # type: ignore[attr-defined]
        checker(learner_returns)
        assert capsys.readouterr().out == "✔ Task 1 passed: it passes.\n"
        for wrong, problem in (
            (_ping_app(), "expected your test function, got FastAPI."),
            (42, "expected your test function, got int."),
        ):
            assert failure(checker, wrong).problem == problem
    finally:
        del sys.modules[module.__name__]


def test_every_check_says_what_it_judges() -> None:
    for module in pkgutil.iter_modules(course.checks.__path__):
        for checker in checks_of(module.name.removeprefix("lesson")):
            assert isinstance(checker.judges_app, bool), checker.__name__  # type: ignore[attr-defined]


# --- Requests sent at once (lesson 14) ----------------------------------------------------------


def _probe_check(body, app: object) -> None:
    """Run `body(probe)` on `app` as a check would, without recording a verdict anywhere."""
    with course.checks._probe_for("Task 1", app, "14") as probe:
        body(probe)


def test_get_at_once_sends_every_request_together() -> None:
    app = FastAPI()
    arrived: list[int] = []
    everyone = anyio.Event()

    @app.get("/wait/{n}")
    async def wait(n: int) -> int:
        arrived.append(n)
        if len(arrived) == 5:
            everyone.set()
        with anyio.fail_after(5):  # each waits until all five are in: only together can they
            await everyone.wait()
        return n

    answers: list[int] = []
    _probe_check(
        lambda probe: answers.extend(r.status_code for r in probe.get_at_once("/wait/1", 5)), app
    )
    assert answers == [200] * 5 and len(arrived) == 5


def test_get_at_once_reports_what_the_app_raised() -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> int:
        raise KeyError("board")

    exc = failure(lambda a: _probe_check(lambda probe: probe.get_at_once("/boom", 3), a), app)
    assert exc.problem == "your app raised KeyError while answering."
    assert exc.sent == "3 × GET /boom at once"


def test_get_at_once_gives_up_on_requests_that_never_answer(
    short_timeout: threading.Event,
) -> None:
    app = FastAPI()

    @app.get("/stuck")
    def stuck() -> int:
        short_timeout.wait()  # stands for an endless loop
        return 1

    exc = failure(lambda a: _probe_check(lambda probe: probe.get_at_once("/stuck", 2), a), app)
    assert exc.problem == "your app did not answer all 2 requests within 0.3 seconds."
    assert "restart the kernel" in exc.hint
