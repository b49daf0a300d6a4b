"""course.perf: the ladder's apps, the in-process cost of a request, and the exercises' instruments.

Nothing here times anything: costs are only checked to be measured at all, never compared.
"""

import itertools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from course import perf
from course.perf import (
    PATH,
    TASKS,
    BlockingCall,
    Board,
    board_counts,
    call,
    cpu_per_request,
    layer_costs,
    lifespan_of,
    load_board,
)


@pytest.mark.parametrize(
    "app", [perf.raw_app, perf.starlette_app, perf.fastapi_app, perf.fastapi_dict_app]
)
def test_every_rung_answers_the_same_task_and_a_404(app: object) -> None:
    client = TestClient(app)
    answer = client.get(PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == TASKS[3]
    assert client.get("/tasks/99").status_code == 404


def test_the_raw_app_sends_compact_json_like_starlette() -> None:
    raw = TestClient(perf.raw_app).get(PATH)
    starlette = TestClient(perf.starlette_app).get(PATH)
    assert raw.content == starlette.content


@pytest.mark.anyio
async def test_lifespan_of_runs_startup_before_and_shutdown_after() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        events.append("startup")
        yield {"answer": "from the lifespan"}
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def root(request: Request) -> str:
        return request.state.answer

    async with lifespan_of(app) as state:
        assert events == ["startup"]
        answer = await call(app, "GET", "/", state=state)
    assert events == ["startup", "shutdown"]
    assert answer.status == 200 and answer.body == b'"from the lifespan"'


@pytest.mark.anyio
async def test_lifespan_of_an_app_without_one_yields_no_state() -> None:
    async with lifespan_of(perf.raw_app) as state:
        assert state == {}
        assert (await call(perf.raw_app, "GET", PATH)).status == 200


@pytest.mark.anyio
async def test_a_lifespan_that_fails_is_reported() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError, match=r"^the app did not start: RuntimeError: no database$"):
        async with lifespan_of(FastAPI(lifespan=lifespan)):
            pass


@pytest.mark.anyio
async def test_cpu_per_request_measures_an_answering_route() -> None:
    assert await cpu_per_request(perf.fastapi_app, requests=20) > 0
    with pytest.raises(RuntimeError, match="GET /tasks/99 answered 404"):
        await cpu_per_request(perf.fastapi_app, "/tasks/99", requests=20)


@pytest.mark.anyio
async def test_cpu_per_request_logs_in_to_taskboard() -> None:
    assert await cpu_per_request(perf.taskboard_memory_app(), log_in=True, requests=20) > 0


@pytest.mark.anyio
async def test_layer_costs_builds_taskboard_up_layer_by_layer() -> None:
    layers = await layer_costs(requests=20)
    assert [layer.name for layer in layers] == [
        "minimal FastAPI, return type",
        "Taskboard's route, in-memory store",
        "+ request stats and API key",
        "+ token check and user lookup",
        "+ middleware",
        "+ database (SQLite via aiosqlite)",
    ]
    assert all(layer.micros > 0 for layer in layers)
    assert layers[0].added == layers[0].micros
    for before, after in itertools.pairwise(layers):
        assert after.added == pytest.approx(after.micros - before.micros)


# --- The instruments ----------------------------------------------------------------------------


def test_a_blocking_call_counts_the_calls_inside_at_once() -> None:
    slow = BlockingCall(0.05)
    slow.count()
    threads = [threading.Thread(target=slow, args=([{}],)) for _ in range(3)]
    with slow.held(timeout=5):
        for thread in threads:
            thread.start()
        assert slow.wait_until(3, timeout=5)
    for thread in threads:
        thread.join()
    assert (slow.peak, slow.calls, slow.inside) == (3, 3, 0)
    assert slow([{}, {}]) == {"rows": 2, "pages": 1}  # released: it blocks for 0.05 s again


def test_waiting_for_calls_that_never_come_gives_up() -> None:
    slow = BlockingCall(0.01)
    assert not slow.wait_until(1, timeout=0.05)


@pytest.mark.anyio
async def test_a_blocking_call_in_the_threadpool_overlaps() -> None:
    slow = BlockingCall(0.2)
    slow.count()
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(anyio.to_thread.run_sync, slow, [])
    assert slow.peak > 1  # four threads of 0.2 s each, started together


def test_the_board_counts_its_work_and_documents_its_fields() -> None:
    board_counts.reset()
    board = load_board()
    assert len(board.tasks) == 200 and board.tasks[199].id == 200
    board.model_dump_json()
    assert (board_counts.loaded, board_counts.serialized) == (1, 1)
    Board.model_validate(board.model_dump())
    assert board_counts.validated == 2  # by load_board, then from the dict
    schema = Board.model_json_schema(mode="serialization")
    assert schema["properties"]["tasks"]["items"] == {"$ref": "#/$defs/Task"}
