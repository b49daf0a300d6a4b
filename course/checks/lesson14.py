"""Lesson 14 checks: no trip to the threadpool for one-liners, a blocking call kept off the event
loop, a threadpool big enough for a burst, and a large answer built once.

Each task is about how an app runs, not what it answers, so the checks count instead of timing:
a busy machine changes how long a request takes, never how many of them ran at once or how
often a function was called.

- Trips to the threadpool are counted by wrapping `anyio.to_thread.run_sync` while the check's
  requests run: every way FastAPI and Starlette send work to the threadpool goes through it.
- Overlap is counted by `course.perf.render_report`, the blocking call of Tasks 2 and 3. The
  check holds every call inside until as many as it sent are in at once, or until `HOLD`
  seconds have passed, then lets them all go: on a machine of any speed, calls that can run
  together all get in, and calls that cannot never do.
- Task 4's board counts how often it is built and serialized (`course.perf.board_counts`).
"""

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
from httpx2 import Response

from course.checks import CheckFailed, IfRaises, Probe, check
from course.perf import REPORT_ROWS, Task, board_counts, board_tasks, render_report

# How long the check waits for the requests it sent to be inside render_report together. Long
# enough for 60 threads to start on a slow, busy machine; a check that passes waits far less.
HOLD = 5.0

# Task 1: the users the check asks about, and the team the task's settings name.
_USERS = ("ada", "grace")
_TEAM = "Taskboard"
# Tasks 2 and 3: what render_report answers for the report's rows.
_REPORT = {"rows": len(REPORT_ROWS), "pages": 1}
# Task 3: the burst, and the threadpool's default size (anyio's default thread limiter).
_BURST = 60
_DEFAULT_THREADS = 40
# Task 4: requests the check sends.
_SNAPSHOTS = 5


# --- Counting ---------------------------------------------------------------------------------


def _name(func: Callable[..., Any]) -> str:
    """The function a trip to the threadpool was for, as the learner wrote it."""
    while isinstance(func, functools.partial):
        # FastAPI runs a `def` endpoint as partial(_run_sync_endpoint, function=endpoint, ...).
        func = func.keywords.get("function", func.func)
    if type(getattr(func, "__self__", None)).__name__ == "ModelField":
        # After a `def` endpoint, FastAPI validates its answer in the threadpool too.
        return "FastAPI's validation of the answer"
    return getattr(func, "__name__", type(func).__name__)


@contextmanager
def _threadpool_trips() -> Iterator[list[str]]:
    """The names of the functions sent to the threadpool while the block runs, in order."""
    trips: list[str] = []
    original = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        trips.append(_name(func))
        return await original(func, *args, **kwargs)

    anyio.to_thread.run_sync = counted  # type: ignore[assignment]
    try:
        yield trips
    finally:
        anyio.to_thread.run_sync = original


def _inside_at_once(probe: Probe, url: str, count: int) -> tuple[int, list[Response]]:
    """Send `count` GETs to `url` at once; how many were inside render_report together, at most,
    and the answers."""
    outcome: list[tuple[bool, Any]] = []

    def send() -> None:
        try:
            outcome.append((True, probe.get_at_once(url, count, if_raises=_RAISES)))
        except BaseException as exc:  # handed over below
            outcome.append((False, exc))

    sender = threading.Thread(target=send, daemon=True, name="course-check")
    with render_report.held(HOLD):
        sender.start()
        render_report.wait_until(count, HOLD)
        peak = render_report.peak
    sender.join()  # get_at_once gives up by itself after the probe's timeout
    ok, value = outcome[0]
    if not ok:
        raise value
    return peak, value


_RAISES = IfRaises(
    problem="your app raised {error} while answering.",
    hint="To send a call to the threadpool, pass the function and its arguments apart, "
    "`await run_in_threadpool(render_report, rows)`: written `render_report(rows)`, it runs "
    "right there, on the event loop, and its answer (a dict) is what gets passed on.",
    only=("TypeError",),
)


def _expect_report(probe: Probe, responses: list[Response], url: str) -> None:
    for response in responses:
        probe.expect_status(response, 200, f"GET {url}")
        probe.expect(
            probe.json(response) == _REPORT,
            f"GET {url} should answer what render_report returns for the report's rows.",
            response=response,
            expected=str(_REPORT).replace("'", '"'),
            hint="Return render_report's answer as it is: the report is the same as before, "
            "only where it is made changes.",
        )


# --- Task 1 -----------------------------------------------------------------------------------


@check("Task 1", "GET /whoami answers without a single trip to the threadpool.")
def no_thread_trips(probe: Probe) -> None:
    with _threadpool_trips() as trips:
        answers = []
        for user in _USERS:
            with probe.sending({"X-User": user}):
                answers.append((user, probe.get("/whoami")))
    for user, response in answers:
        probe.expect_status(response, 200, f"GET /whoami with X-User: {user}")
        expected = {"user": f"{user}@{_TEAM}"}
        probe.expect(
            probe.json(response) == expected,
            "GET /whoami should answer the user and the team, as before.",
            response=response,
            expected=str(expected).replace("'", '"'),
            hint="Keep what the functions return: only the way FastAPI calls them changes.",
        )
    if trips:
        names = ", ".join(dict.fromkeys(trips))
        raise CheckFailed(
            probe.task,
            f"{len(answers)} requests went to the threadpool {len(trips)} times, for: {names}.",
            sent=f"GET /whoami, {len(answers)} times",
            expected="no trip to the threadpool at all",
            hint="FastAPI runs a plain `def` endpoint or dependency in the threadpool: a thread "
            "takes the call and hands the answer back to the event loop, on every request. "
            "These functions only return a value and never block: make each an `async def`, "
            "and FastAPI calls it on the loop, right away.",
        )


# --- Task 2 -----------------------------------------------------------------------------------


@check("Task 2", "4 requests to GET /report run render_report at the same time.")
def loop_kept_free(probe: Probe) -> None:
    render_report.count()
    first = probe.get("/report", if_raises=_RAISES)
    _expect_report(probe, [first], "/report")
    probe.expect(
        render_report.calls > 0,
        "GET /report should make its report with render_report.",
        response=first,
        expected="a call of render_report(rows), with the rows of fetch_rows()",
        hint="Keep `rows = await fetch_rows()` and the call of render_report: change only "
        "where render_report runs.",
    )
    peak, responses = _inside_at_once(probe, "/report", 4)
    _expect_report(probe, responses, "/report")
    if peak < 4:
        raise CheckFailed(
            probe.task,
            f"4 requests sent at once ran render_report {_together(peak)}.",
            sent="4 × GET /report at once",
            expected="4 calls of render_report inside at the same time",
            hint="render_report blocks the thread it runs on. Called in an `async def` endpoint, "
            "that thread is the event loop's: nothing else runs until it returns, not even "
            "another request. Keep `async def` (the endpoint awaits fetch_rows) and send the "
            "blocking call to the threadpool, as the lesson did with run_in_threadpool."
            if peak == 1
            else "Some calls waited for others: send each request's call to the threadpool, "
            "without a limit of your own below 4.",
        )


def _together(peak: int) -> str:
    return "one at a time" if peak <= 1 else f"at most {peak} at a time"


# --- Task 3 -----------------------------------------------------------------------------------


@check("Task 3", f"a burst of {_BURST} requests to GET /report/legacy runs all at once.")
def threadpool_for_a_burst(probe: Probe) -> None:
    render_report.count()
    first = probe.get("/report/legacy", if_raises=_RAISES)
    _expect_report(probe, [first], "/report/legacy")
    peak, responses = _inside_at_once(probe, "/report/legacy", _BURST)
    _expect_report(probe, responses, "/report/legacy")
    if peak >= _BURST:
        return
    if peak == _DEFAULT_THREADS:
        hint = (
            "That is anyio's default of 40 threads: the 41st call waits for one. Raise it in "
            "the app's lifespan, before `yield`: "
            "`anyio.to_thread.current_default_thread_limiter().total_tokens = 100`. Each event "
            "loop has a limiter of its own, and the lifespan runs in the loop that serves the "
            "requests; set in a notebook cell, it changes the kernel's loop."
        )
    elif peak > _DEFAULT_THREADS:
        hint = (
            f"The threadpool is larger than 40 now, but not large enough: {_BURST} calls must fit."
        )
    else:
        hint = (
            "Fewer calls ran together than anyio's 40 threads allow: leave the endpoint a "
            "plain `def` (FastAPI runs it in the threadpool), and raise the limit of the "
            "threadpool in the lifespan rather than adding a limit of your own."
        )
    raise CheckFailed(
        probe.task,
        f"{_BURST} requests sent at once ran render_report {_together(peak)}.",
        sent=f"{_BURST} × GET /report/legacy at once",
        expected=f"{_BURST} calls of render_report inside at the same time",
        hint=hint,
    )


# --- Task 4 -----------------------------------------------------------------------------------


def _expected_board() -> dict[str, Any]:
    # Built from the tasks, not with the Board model: the check's own work is not counted.
    return {"tasks": [Task.model_validate(task).model_dump(mode="json") for task in board_tasks()]}


@check("Task 4", "GET /snapshot sends the board's JSON built once, and the docs still say Board.")
def board_built_once(probe: Probe) -> None:
    expected = _expected_board()
    board_counts.reset()
    responses = [probe.get("/snapshot", if_raises=_JSON_OF_BYTES) for _ in range(_SNAPSHOTS)]
    loaded, serialized = board_counts.loaded, board_counts.serialized
    for response in responses:
        probe.expect_status(response, 200, "GET /snapshot")
        probe.expect(
            response.headers.get("content-type", "").startswith("application/json"),
            "GET /snapshot should say that its answer is JSON.",
            response=response,
            expected="Content-Type: application/json",
            hint="A Response sends its bytes as they are, and says what they are only if told: "
            'Response(content=..., media_type="application/json").',
        )
        body = probe.json(response)
        probe.expect(
            body == expected,
            "GET /snapshot should answer the board that load_board() builds.",
            response=response,
            expected='{"tasks": [...the 200 tasks of load_board()...]}',
            hint="Build the bytes from load_board()'s board: board.model_dump_json().",
        )
    sent = f"GET /snapshot, {_SNAPSHOTS} times"
    if loaded > 1:
        raise CheckFailed(
            probe.task,
            f"your app built the board {loaded} times for {_SNAPSHOTS} requests.",
            sent=sent,
            expected="the board built once, before the requests (or at the first one)",
            hint="The board never changes while the app runs: call load_board() once, outside "
            "the endpoint (in the cell, or in a lifespan), and answer from what you kept.",
        )
    if serialized > 1:
        raise CheckFailed(
            probe.task,
            f"the board was serialized {serialized} times for {_SNAPSHOTS} requests.",
            sent=sent,
            expected="the board's JSON made once, then the same bytes for every request",
            hint="Returning the board (or building its JSON in the endpoint) serializes it "
            "again for every request, after FastAPI validated it on the way out. Make the "
            "bytes once with board.model_dump_json(), next to load_board(), and return "
            'Response(content=those_bytes, media_type="application/json").',
        )
    _expect_board_documented(probe)


_JSON_OF_BYTES = IfRaises(
    problem="your app raised {error} while answering.",
    hint="JSONResponse turns Python data into JSON, and bytes are no such data: your bytes are "
    'JSON already, so send them as they are: Response(content=..., media_type="application/json").',
    only=("TypeError",),
)


def _expect_board_documented(probe: Probe) -> None:
    response, schema = probe.openapi()
    operation = schema.get("paths", {}).get("/snapshot", {}).get("get", {})
    answer = operation.get("responses", {}).get("200", {})
    documented = answer.get("content", {}).get("application/json", {}).get("schema", {})
    probe.expect(
        documented.get("$ref", "").endswith("/Board"),
        "/openapi.json should still say that GET /snapshot answers a Board.",
        response=response,
        expected='"responses": {"200": {"content": {"application/json": {"schema": '
        '{"$ref": "#/components/schemas/Board"}}}}}',
        hint="FastAPI documents a Response you return as nothing in particular. Say what the "
        "bytes hold in the decorator, `@app.get(..., response_model=Board)`: FastAPI uses it "
        "for the docs, and leaves a Response you return untouched.",
    )
