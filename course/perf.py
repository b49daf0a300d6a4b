"""Lesson 14's measured apps and instruments, defined once for the lesson, `make bench`, the
checks and the tests.

- **The ladder**: one endpoint, `GET /tasks/{task_id}`, served with ever more framework around
  it: a raw ASGI app, bare Starlette, a minimal FastAPI app with a return type, the same
  returning a dict, and Taskboard itself. uvicorn serves each by name (`course.perf:raw_app`);
  `course.load.measure_ladder` loads them.
- **`cpu_per_request`**: the CPU time one request costs an app, called in-process the way a
  server calls it, and `layer_costs`, Taskboard's cost built up layer by layer.
- **Instruments** for the lesson and its exercises: `render_report`, a blocking call that
  counts how many of its calls run at once, and `load_board`, a slow board that counts how
  often it is built and serialized. Counting, not timing, is what a busy machine cannot blur.
"""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, HTTPException
from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_tasks

# The endpoint every rung of the ladder serves: the demo task with a checklist.
PATH = "/tasks/3"

# --- The ladder -------------------------------------------------------------------------------

# The demo tasks, by id: the same data on every rung.
TASKS: dict[int, dict[str, Any]] = {task["id"]: task for task in demo_tasks()}
# Compact JSON, as Starlette and FastAPI write it, made once: the raw app only copies bytes.
_TASK_BYTES = {
    f"/tasks/{task_id}".encode(): json.dumps(task, separators=(",", ":")).encode()
    for task_id, task in TASKS.items()
}
_NOT_FOUND = b'{"detail":"Not Found"}'


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint as a bare ASGI app: no request object, no routing table, no validation."""
    if scope["type"] != "http":  # lifespan: nothing to start, and uvicorn carries on without
        return
    body = _TASK_BYTES.get(scope["raw_path"]) if scope["method"] == "GET" else None
    await send(
        {
            "type": "http.response.start",
            "status": 200 if body else 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body or _NOT_FOUND)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body or _NOT_FOUND})


async def _starlette_read_task(request: Request) -> JSONResponse:
    task = TASKS.get(request.path_params["task_id"])
    if task is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return JSONResponse(task)


# Starlette: a Request object, routing with a converted path parameter, a JSON response.
starlette_app = Starlette(routes=[Route("/tasks/{task_id:int}", _starlette_read_task)])


class ChecklistItem(BaseModel):
    text: str
    done: bool = False


class Task(BaseModel):
    """A task as Taskboard answers it (TaskPublic), written out for the minimal app."""

    id: int
    title: str
    description: str | None = None
    status: Literal["todo", "doing", "done"] = "todo"
    priority: int = 3
    labels: list[str] = []
    checklist: list[ChecklistItem] = []


# The models are built once: the endpoint looks one up, as Taskboard's in-memory store does.
_TASK_MODELS = {task_id: Task.model_validate(task) for task_id, task in TASKS.items()}

# FastAPI adds validation of the path parameter, dependency solving, and, with a return type,
# validation of the answer and its serialization straight to JSON bytes by pydantic-core.
fastapi_app = FastAPI()


@fastapi_app.get("/tasks/{task_id}")
async def read_task(task_id: int) -> Task:
    if task_id not in _TASK_MODELS:
        raise HTTPException(404, "Not Found")
    return _TASK_MODELS[task_id]


# The same app without a return type, returning a dict: FastAPI runs jsonable_encoder over it,
# then JSONResponse runs json.dumps, both in Python.
fastapi_dict_app = FastAPI()


@fastapi_dict_app.get("/tasks/{task_id}")
async def read_task_dict(task_id: int):  # no return type, on purpose
    if task_id not in TASKS:
        raise HTTPException(404, "Not Found")
    return TASKS[task_id]


def taskboard_app() -> FastAPI:
    """The finished Taskboard with its default settings (uvicorn calls it: `--factory`).

    Its store is the database of lesson 07, SQLite in memory through aiosqlite; the demo
    account logs in for a token, and `GET /tasks/3` runs every guard a client meets.
    """
    from course.checkpoints import CheckpointSettings  # imported when served, not for the raw app
    from taskboard.main import create_app

    return create_app(CheckpointSettings())


def taskboard_memory_app() -> FastAPI:
    """Taskboard with every feature but the database: the in-memory store of lessons 01-06."""
    from course.checkpoints import CheckpointSettings
    from taskboard.api.main import DATABASE, FEATURES
    from taskboard.main import create_app

    return create_app(CheckpointSettings(), [f for f in FEATURES if f is not DATABASE])


@dataclass(frozen=True)
class Rung:
    """One app of the ladder: what uvicorn serves, and whether it wants a login first."""

    name: str
    app: str  # "module:name", as uvicorn takes it
    factory: bool = False  # `app` is a function that builds the app
    log_in: bool = False  # Taskboard wants the demo account's token on GET /tasks/3


RAW = Rung("raw ASGI app", "course.perf:raw_app")
STARLETTE = Rung("bare Starlette", "course.perf:starlette_app")
FASTAPI_TYPED = Rung("minimal FastAPI, return type", "course.perf:fastapi_app")
FASTAPI_DICT = Rung("minimal FastAPI, dict", "course.perf:fastapi_dict_app")
TASKBOARD_MEMORY = Rung(
    "Taskboard, in-memory store", "course.perf:taskboard_memory_app", factory=True, log_in=True
)
TASKBOARD = Rung("Taskboard", "course.perf:taskboard_app", factory=True, log_in=True)
LADDER: tuple[Rung, ...] = (
    RAW,
    STARLETTE,
    FASTAPI_TYPED,
    FASTAPI_DICT,
    TASKBOARD_MEMORY,
    TASKBOARD,
)

# --- What one request costs, in-process ---------------------------------------------------


@asynccontextmanager
async def lifespan_of(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Run `app`'s lifespan as a server does: startup before the requests, shutdown after.

    Yields the lifespan state, which a server copies into each request's scope. An app that
    does not speak the lifespan protocol (the raw app returns at once) simply has none.
    """
    state: dict[str, Any] = {}
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    running = asyncio.create_task(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    answer = asyncio.create_task(from_app.get())
    await asyncio.wait({answer, running}, return_when=asyncio.FIRST_COMPLETED)
    if not answer.done():  # the app returned without a word: it has no lifespan
        answer.cancel()
        await running
        yield state
        return
    if answer.result()["type"] != "lifespan.startup.complete":
        # Starlette sends the whole traceback: its last line says what went wrong.
        said = answer.result().get("message", "").strip().splitlines() or ["no reason given"]
        with suppress(Exception):  # the app raises it too, once it has said it: collected here
            await running
        raise RuntimeError(f"the app did not start: {said[-1]}")
    try:
        yield state
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await running


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    state: dict[str, Any] | None = None,
) -> Answer:
    """Send one request straight to `app`, as uvicorn would after parsing it, and keep the answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")]
        + [(name.lower().encode(), value.encode()) for name, value in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state or {}),
    }
    sent = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return Answer(start["status"], list(start.get("headers", [])), content)


async def demo_token(app: ASGIApp, state: dict[str, Any] | None = None) -> str:
    """Log in to a Taskboard app as the demo account, in-process; its access token."""
    form = f"username={DEMO_USERNAME}&password={DEMO_PASSWORD.replace(' ', '+')}".encode()
    content_type = ("content-type", "application/x-www-form-urlencoded")
    answer = await call(app, "POST", "/auth/token", headers=[content_type], body=form, state=state)
    if answer.status != 200:
        raise RuntimeError(f"logging in as {DEMO_USERNAME!r}: {answer.status} {answer.body!r}")
    return json.loads(answer.body)["access_token"]


async def cpu_per_request(
    app: ASGIApp, path: str = PATH, *, log_in: bool = False, requests: int = 500
) -> float:
    """Microseconds of CPU time one `GET path` costs `app`, its lifespan running.

    The requests go straight to the app, one after another, with no network and no server: what
    is left is the app's own work. CPU time of the whole process (`time.process_time`) counts
    every thread the app uses, such as aiosqlite's, and not the time other programs take the
    CPU away, so a busy machine changes it far less than it changes a clock on the wall.
    """
    async with lifespan_of(app) as state:
        headers = [("authorization", f"Bearer {await demo_token(app, state)}")] if log_in else []
        for _ in range(max(requests // 10, 20)):  # warm-up: first calls fill caches
            answer = await call(app, "GET", path, headers=headers, state=state)
        if answer.status != 200:
            raise RuntimeError(f"GET {path} answered {answer.status}: {answer.body[:200]!r}")
        started = time.process_time()
        for _ in range(requests):
            await call(app, "GET", path, headers=headers, state=state)
        return (time.process_time() - started) / requests * 1e6


@dataclass(frozen=True)
class Layer:
    name: str
    micros: float  # CPU µs per request with this layer and every one above it
    added: float  # what this layer adds to the one above


async def layer_costs(requests: int = 400) -> list[Layer]:
    """Taskboard's `GET /tasks/3`, built up layer by layer, with the CPU time each one adds.

    From the minimal FastAPI app to the whole Taskboard: its own route (router, path
    validation, the store dependency, in-memory store), its two global dependencies, the
    token check, the middleware, and the database. Each app is built with Taskboard's own
    features, as a deployment would choose them.
    """
    from course.checkpoints import CheckpointSettings
    from taskboard.api import main as features
    from taskboard.main import create_app

    later = [
        ("+ request stats and API key", (features.REQUEST_STATS, features.API_KEY)),
        ("+ token check and user lookup", (features.SECURITY,)),
        ("+ middleware", (features.MIDDLEWARE,)),
        ("+ database (SQLite via aiosqlite)", (features.DATABASE,)),
    ]
    held_back = [feature for _, group in later for feature in group]
    chosen = [feature for feature in features.FEATURES if feature not in held_back]
    steps: list[tuple[str, ASGIApp, bool]] = [
        ("minimal FastAPI, return type", fastapi_app, False),
        ("Taskboard's route, in-memory store", create_app(CheckpointSettings(), chosen), False),
    ]
    for name, group in later:
        chosen += group
        ordered = [feature for feature in features.FEATURES if feature in chosen]
        app = create_app(CheckpointSettings(), ordered)
        steps.append((name, app, features.SECURITY in ordered))
    layers: list[Layer] = []
    for name, app, log_in in steps:
        # The database costs ten times more per request: fewer requests measure it as well.
        count = requests // 4 if name.startswith("+ database") else requests
        micros = await cpu_per_request(app, log_in=log_in, requests=count)
        added = micros - layers[-1].micros if layers else micros
        layers.append(Layer(name, micros, added))
    return layers


# --- Instruments for the exercises ------------------------------------------------------------


class BlockingCall:
    """A stand-in for a slow synchronous library (a PDF renderer, a legacy client).

    Each call blocks its thread for `seconds`, like `time.sleep`, and counts how many calls are
    inside at once: `peak`, since the last `count()`. In an `async def` endpoint it blocks the
    event loop, and the calls run one at a time (peak 1); in the threadpool they overlap.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.inside = 0
        self.peak = 0
        self.calls = 0
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._wait = seconds

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        with self._changed:
            self.inside += 1
            self.calls += 1
            self.peak = max(self.peak, self.inside)
            self._changed.notify_all()
        try:
            self._released.wait(self._wait)
        finally:
            with self._changed:
                self.inside -= 1
                self._changed.notify_all()
        return {"rows": len(rows), "pages": 1 + len(rows) // 50}

    def count(self) -> None:
        """Start counting afresh: `peak` and `calls` from now on."""
        with self._changed:
            self.peak = self.inside
            self.calls = 0

    @contextmanager
    def held(self, timeout: float) -> Iterator["BlockingCall"]:
        """Keep every call inside until the block ends, or `timeout` seconds per call.

        A check fires requests, waits with `wait_until(n)` for n calls to be inside at once,
        and leaves the block, which releases them all: counting overlap this way does not
        depend on how fast the machine is.
        """
        self._wait = timeout
        self.count()
        try:
            yield self
        finally:
            self._released.set()
            with self._changed:
                self._changed.wait_for(lambda: self.inside == 0, timeout)
            self._released = threading.Event()
            self._wait = self.seconds

    def wait_until(self, inside: int, timeout: float) -> bool:
        """Wait until `inside` calls are inside at once; False if it did not happen in time."""
        with self._changed:
            return self._changed.wait_for(lambda: self.inside >= inside, timeout)


# Blocks for 0.1 s per call, as a synchronous report renderer might.
render_report = BlockingCall(0.1)

# The rows a report is made of, as an async database driver would fetch them.
REPORT_ROWS: tuple[dict[str, Any], ...] = tuple(
    {"task": task["id"], "status": task["status"]} for task in demo_tasks()
)


async def fetch_rows() -> list[dict[str, Any]]:
    """The report's rows, after a short wait that lets the event loop serve others meanwhile."""
    await asyncio.sleep(0.01)
    return list(REPORT_ROWS)


class Board(BaseModel):
    """A large answer that never changes while the app runs: 200 tasks."""

    # Its counting serializer below declares no return type, which would leave /openapi.json
    # an empty schema for Board: show the fields as validated, which is what it sends anyway.
    model_config = ConfigDict(json_schema_mode_override="validation")

    tasks: list[Task]

    @model_validator(mode="before")
    @classmethod
    def _counted_validation(cls, data: Any) -> Any:
        # Runs when data is validated into a Board, not for a Board passed as it is.
        board_counts.validated += 1
        return data

    @model_serializer(mode="wrap")
    def _counted(self, handler: SerializerFunctionWrapHandler):  # no return type: see above
        # Counts every serialization, to JSON bytes or to a dict, by FastAPI or by hand.
        board_counts.serialized += 1
        return handler(self)


@dataclass
class BoardCounts:
    """How often the board was built (`load_board`), validated and serialized, since the last
    `reset`."""

    loaded: int = 0
    validated: int = 0
    serialized: int = 0

    def reset(self) -> None:
        self.loaded = self.validated = self.serialized = 0


board_counts = BoardCounts()
BOARD_SIZE = 200


def board_tasks() -> list[dict[str, Any]]:
    """The board's 200 tasks as JSON-ready dicts: the demo tasks over and over, ids 1 to 200."""
    demo = demo_tasks()
    return [demo[n % len(demo)] | {"id": n + 1} for n in range(BOARD_SIZE)]


def load_board() -> Board:
    """Build and validate the whole board: the same answer every time, and counted."""
    board_counts.loaded += 1
    return Board(tasks=[Task.model_validate(task) for task in board_tasks()])
