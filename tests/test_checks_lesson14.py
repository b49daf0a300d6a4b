"""Lesson 14's checks: each task's solution and other right answers pass; typical mistakes fail
with the hint that names them.

The checks count (trips to the threadpool, calls inside render_report at once, boards built),
so these tests time nothing. A check of overlap waits up to `HOLD` seconds for calls that can
never come together in a wrong answer: those tests lower it, since no wait changes that count.
"""

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.from_thread
import anyio.to_thread
import pytest
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from course.checks import lesson14
from course.perf import REPORT_ROWS, Board, fetch_rows, load_board, render_report
from tests.checking import failure

SETTINGS = {"team": "Taskboard"}


@pytest.fixture
def short_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """For answers whose calls never overlap: waiting longer for them would change nothing."""
    monkeypatch.setattr(lesson14, "HOLD", 1.0)


# --- Task 1: no trip to the threadpool ----------------------------------------------------------


def whoami_app(*, deps_async: bool, endpoint_async: bool, team: str = "Taskboard") -> FastAPI:
    app = FastAPI()

    if deps_async:

        async def get_settings() -> dict[str, str]:
            return SETTINGS | {"team": team}

        async def get_user(
            x_user: Annotated[str, Header()],
            settings: Annotated[dict[str, str], Depends(get_settings)],
        ) -> str:
            return f"{x_user}@{settings['team']}"

    else:

        def get_settings() -> dict[str, str]:
            return SETTINGS | {"team": team}

        def get_user(
            x_user: Annotated[str, Header()],
            settings: Annotated[dict[str, str], Depends(get_settings)],
        ) -> str:
            return f"{x_user}@{settings['team']}"

    if endpoint_async:

        @app.get("/whoami")
        async def whoami(user: Annotated[str, Depends(get_user)]) -> dict[str, str]:
            return {"user": user}

    else:

        @app.get("/whoami")
        def whoami(user: Annotated[str, Depends(get_user)]) -> dict[str, str]:
            return {"user": user}

    return app


def test_task1_async_functions_pass() -> None:
    lesson14.no_thread_trips(whoami_app(deps_async=True, endpoint_async=True))


def test_task1_one_async_endpoint_without_dependencies_passes() -> None:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(x_user: Annotated[str, Header()]) -> dict[str, str]:
        return {"user": f"{x_user}@{SETTINGS['team']}"}

    lesson14.no_thread_trips(app)


def test_task1_a_callable_class_with_async_call_passes() -> None:
    class Team:
        def __init__(self, name: str) -> None:
            self.name = name

        async def __call__(self, x_user: Annotated[str, Header()]) -> str:
            return f"{x_user}@{self.name}"

    app = FastAPI()

    @app.get("/whoami")
    async def whoami(user: Annotated[str, Depends(Team("Taskboard"))]) -> dict[str, str]:
        return {"user": user}

    lesson14.no_thread_trips(app)


def test_task1_all_def_is_caught_with_every_trip_named() -> None:
    exc = failure(lesson14.no_thread_trips, whoami_app(deps_async=False, endpoint_async=False))
    assert exc.problem == (
        "2 requests went to the threadpool 8 times, for: get_settings, get_user, whoami, "
        "FastAPI's validation of the answer."
    )
    assert "make each an `async def`" in exc.hint


def test_task1_def_dependencies_left_are_caught() -> None:
    exc = failure(lesson14.no_thread_trips, whoami_app(deps_async=False, endpoint_async=True))
    assert exc.problem == "2 requests went to the threadpool 4 times, for: get_settings, get_user."
    assert "runs a plain `def` endpoint or dependency in the threadpool" in exc.hint


def test_task1_a_def_endpoint_left_is_caught() -> None:
    exc = failure(lesson14.no_thread_trips, whoami_app(deps_async=True, endpoint_async=False))
    assert "for: whoami, FastAPI's validation of the answer." in exc.problem
    assert "async def" in exc.hint


def test_task1_a_changed_answer_is_caught() -> None:
    app = whoami_app(deps_async=True, endpoint_async=True, team="Board")
    exc = failure(lesson14.no_thread_trips, app)
    assert exc.problem == "GET /whoami should answer the user and the team, as before."
    assert exc.hint.startswith("Keep what the functions return")


def test_task1_a_missing_route_is_named() -> None:
    exc = failure(lesson14.no_thread_trips, FastAPI())
    assert exc.hint.startswith("No route matches this path")


# --- Task 2: the event loop kept free ------------------------------------------------------------


def report_app(render: Callable[[list[dict[str, Any]]], Any]) -> FastAPI:
    """GET /report: the rows of fetch_rows(), rendered by `render` (awaited if it is async)."""
    app = FastAPI()

    @app.get("/report")
    async def report() -> dict[str, int]:
        rows = await fetch_rows()
        return await render(rows)

    return app


def test_task2_run_in_threadpool_passes() -> None:
    lesson14.loop_kept_free(report_app(lambda rows: run_in_threadpool(render_report, rows)))


def test_task2_anyio_to_thread_passes() -> None:
    lesson14.loop_kept_free(report_app(lambda rows: anyio.to_thread.run_sync(render_report, rows)))


def test_task2_asyncio_to_thread_passes() -> None:
    # asyncio's own executor: min(32, CPUs + 4) threads, room for 4 on any machine.
    lesson14.loop_kept_free(report_app(lambda rows: asyncio.to_thread(render_report, rows)))


def test_task2_a_def_endpoint_that_calls_back_into_the_loop_passes() -> None:
    app = FastAPI()

    @app.get("/report")
    def report() -> dict[str, int]:
        rows = anyio.from_thread.run(fetch_rows)
        return render_report(rows)

    lesson14.loop_kept_free(app)


@pytest.mark.usefixtures("short_hold")
def test_task2_the_blocking_call_on_the_loop_is_caught() -> None:
    async def on_the_loop(rows: list[dict[str, Any]]) -> dict[str, int]:
        return render_report(rows)

    exc = failure(lesson14.loop_kept_free, report_app(on_the_loop))
    assert exc.problem == "4 requests sent at once ran render_report one at a time."
    assert "send the blocking call to the threadpool" in exc.hint


def test_task2_the_call_made_before_the_threadpool_is_caught() -> None:
    exc = failure(
        lesson14.loop_kept_free, report_app(lambda rows: run_in_threadpool(render_report(rows)))
    )
    assert exc.problem == "your app raised TypeError while answering."
    assert "pass the function and its arguments apart" in exc.hint


def test_task2_a_thread_never_awaited_is_caught(no_coroutine_outlives_its_test: None) -> None:
    app = FastAPI()

    @app.get("/report")
    async def report() -> dict[str, int]:
        rows = await fetch_rows()
        return asyncio.to_thread(render_report, rows)  # type: ignore[return-value]

    exc = failure(lesson14.loop_kept_free, app)
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert "`await` it" in exc.hint


@pytest.mark.usefixtures("short_hold")
def test_task2_a_limit_of_two_is_caught() -> None:
    two = anyio.CapacityLimiter(2)
    app = report_app(lambda rows: anyio.to_thread.run_sync(render_report, rows, limiter=two))
    exc = failure(lesson14.loop_kept_free, app)
    assert exc.problem == "4 requests sent at once ran render_report at most 2 at a time."
    assert "without a limit of your own below 4" in exc.hint


def test_task2_a_report_made_without_render_report_is_caught() -> None:
    async def by_hand(rows: list[dict[str, Any]]) -> dict[str, int]:
        await asyncio.sleep(0.1)
        return {"rows": len(rows), "pages": 1}

    exc = failure(lesson14.loop_kept_free, report_app(by_hand))
    assert exc.problem == "GET /report should make its report with render_report."
    assert "change only where render_report runs" in exc.hint


# --- Task 3: room for a burst --------------------------------------------------------------------


def legacy_app(tokens: int | None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if tokens is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = tokens
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/report/legacy")
    def legacy_report() -> dict[str, int]:
        return render_report(list(REPORT_ROWS))

    return app


def test_task3_a_limit_of_100_in_the_lifespan_passes() -> None:
    lesson14.threadpool_for_a_burst(legacy_app(100))


def test_task3_a_limiter_of_its_own_passes() -> None:
    app = FastAPI()
    roomy = anyio.CapacityLimiter(64)

    @app.get("/report/legacy")
    async def legacy_report() -> dict[str, int]:
        return await anyio.to_thread.run_sync(render_report, list(REPORT_ROWS), limiter=roomy)

    lesson14.threadpool_for_a_burst(app)


def test_task3_an_executor_of_its_own_passes() -> None:
    app = FastAPI()
    executor = ThreadPoolExecutor(max_workers=80)

    @app.get("/report/legacy")
    async def legacy_report() -> dict[str, int]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, render_report, list(REPORT_ROWS))

    try:
        lesson14.threadpool_for_a_burst(app)
    finally:
        executor.shutdown(wait=False)


@pytest.mark.usefixtures("short_hold")
def test_task3_the_default_40_threads_are_caught() -> None:
    exc = failure(lesson14.threadpool_for_a_burst, legacy_app(None))
    assert exc.problem == "60 requests sent at once ran render_report at most 40 at a time."
    assert "anyio's default of 40 threads" in exc.hint
    assert "in the app's lifespan" in exc.hint


@pytest.mark.usefixtures("short_hold")
def test_task3_the_limit_set_on_another_event_loop_is_caught() -> None:
    # As in a notebook cell: the limiter changed is that of the loop the code ran in, not the
    # one that serves the app.
    async def elsewhere() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 100

    asyncio.run(elsewhere())
    exc = failure(lesson14.threadpool_for_a_burst, legacy_app(None))
    assert "at most 40 at a time" in exc.problem
    assert "Each event loop has a limiter of its own" in exc.hint


@pytest.mark.usefixtures("short_hold")
def test_task3_a_limit_too_small_is_caught() -> None:
    exc = failure(lesson14.threadpool_for_a_burst, legacy_app(50))
    assert exc.problem == "60 requests sent at once ran render_report at most 50 at a time."
    assert exc.hint.startswith("The threadpool is larger than 40 now, but not large enough")


@pytest.mark.usefixtures("short_hold")
def test_task3_a_limit_lowered_is_caught() -> None:
    exc = failure(lesson14.threadpool_for_a_burst, legacy_app(10))
    assert "at most 10 at a time" in exc.problem
    assert "raise the limit of the threadpool in the lifespan" in exc.hint


# --- Task 4: the board built once ----------------------------------------------------------------


def snapshot_app(kind: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.board = load_board()
        app.state.board_json = app.state.board.model_dump_json().encode()
        yield

    app = FastAPI(lifespan=lifespan)
    json_bytes = "application/json"

    if kind == "solution":

        @app.get("/snapshot", response_model=Board)
        async def snapshot(request: Request) -> Response:
            return Response(request.app.state.board_json, media_type=json_bytes)

    elif kind == "model":

        @app.get("/snapshot")
        async def snapshot(request: Request) -> Board:
            return request.app.state.board

    elif kind == "every request":

        @app.get("/snapshot")
        async def snapshot() -> Board:
            return load_board()

    elif kind == "json made per request":

        @app.get("/snapshot", response_model=Board)
        async def snapshot(request: Request) -> Response:
            return Response(request.app.state.board.model_dump_json(), media_type=json_bytes)

    elif kind == "no media type":

        @app.get("/snapshot", response_model=Board)
        async def snapshot(request: Request) -> Response:
            return Response(request.app.state.board_json)

    elif kind == "undocumented":

        @app.get("/snapshot")
        async def snapshot(request: Request) -> Response:
            return Response(request.app.state.board_json, media_type=json_bytes)

    elif kind == "JSONResponse of bytes":

        @app.get("/snapshot", response_model=Board)
        async def snapshot(request: Request) -> Response:
            return JSONResponse(request.app.state.board_json)

    return app


def test_task4_the_solution_passes() -> None:
    lesson14.board_built_once(snapshot_app("solution"))


def test_task4_bytes_made_at_the_first_request_and_documented_with_responses_pass() -> None:
    app = FastAPI()

    @functools.cache
    def board_json() -> bytes:
        return load_board().model_dump_json().encode()

    @app.get("/snapshot", responses={200: {"model": Board}})
    async def snapshot() -> Response:
        return Response(board_json(), media_type="application/json")

    lesson14.board_built_once(app)


def test_task4_bytes_made_when_the_cell_runs_pass() -> None:
    board_json = load_board().model_dump_json()
    app = FastAPI()

    @app.get("/snapshot", response_model=Board)
    async def snapshot() -> Response:
        return Response(content=board_json, media_type="application/json; charset=utf-8")

    lesson14.board_built_once(app)


def test_task4_returning_the_board_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("model"))
    assert exc.problem == "the board was serialized 5 times for 5 requests."
    assert "board.model_dump_json()" in exc.hint


def test_task4_the_board_built_for_every_request_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("every request"))
    assert exc.problem == "your app built the board 5 times for 5 requests."
    assert "call load_board() once, outside the endpoint" in exc.hint


def test_task4_json_made_for_every_request_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("json made per request"))
    assert exc.problem == "the board was serialized 5 times for 5 requests."
    assert "Make the bytes once" in exc.hint


def test_task4_a_response_without_media_type_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("no media type"))
    assert exc.problem == "GET /snapshot should say that its answer is JSON."
    assert 'media_type="application/json"' in exc.hint


def test_task4_an_undocumented_response_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("undocumented"))
    assert exc.problem == "/openapi.json should still say that GET /snapshot answers a Board."
    assert "response_model=Board" in exc.hint


def test_task4_a_json_response_of_bytes_is_caught() -> None:
    exc = failure(lesson14.board_built_once, snapshot_app("JSONResponse of bytes"))
    assert exc.problem == "your app raised TypeError while answering."
    assert "your bytes are JSON already" in exc.hint


def test_task4_a_missing_lifespan_step_is_reported_kindly() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise NotImplementedError
        yield

    exc = failure(lesson14.board_built_once, FastAPI(lifespan=lifespan))
    assert exc.problem.startswith("the app failed before any request: NotImplementedError")
    assert exc.hint
