"""Lesson 06 checks: a JSON Lines export, uploads within a limit, a lifespan's shared client, and
a task's links checked all at once.

Some requests go to the learner's app by hand over ASGI (`_call`), as lesson 06 shows it: the
check plays the server, so it can send an upload in pieces, count the pieces of a streamed
answer, and measure the memory a request takes. Checks that need tasks or comments make their
own through the API, and the framework deletes those tasks afterwards.
"""

import asyncio
import itertools
import json
import tracemalloc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
from fastapi.testclient import TestClient

import course.checks as framework
from course.checks import (
    CheckFailed,
    IfRaises,
    Probe,
    _bounded,
    _NoAnswer,
    check,
)

# Task 2's limit: the app's setting max_file_bytes, 1 MiB with the default settings.
LIMIT = 1024 * 1024
# Task 2's large upload: whole in memory, it takes 8 MiB; read in chunks, far less.
LARGE = 8 * 1024 * 1024
# Memory a request may take while the large upload is refused. Starlette's own parsing and
# spooling take about 2 MiB; reading the whole file takes 8 MiB more.
MEMORY_BUDGET = 5 * 1024 * 1024
# Pieces of an upload as the check sends it, as a server hands a body over.
PIECE = 64 * 1024

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Exchange:
    """What came back from one request made by hand."""

    response: httpx2.Response
    pieces: int  # http.response.body messages that carried bytes
    peak_memory: int  # bytes allocated at most while it ran, if measured, else 0


def _scope(
    method: str, url: str, headers: Iterable[tuple[str, str]], host: str = "testserver"
) -> dict[str, Any]:
    """An HTTP scope as a server hands it to the app, for `url` on `host`."""
    path, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", host.encode())]
        + [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        "client": ("check", 50000),
        "server": ("testserver", 80),
    }


async def _exchange(
    app: Any, scope: dict[str, Any], body: Iterator[bytes]
) -> tuple[dict[str, Any], list[bytes]]:
    """Call `app` once as a server would: the body in pieces, the answer's messages kept."""
    answered = asyncio.Event()
    start: dict[str, Any] = {}
    pieces: list[bytes] = []
    pending = next(body, b"")

    async def receive() -> dict[str, Any]:
        nonlocal pending
        if pending is not None:
            piece, pending = pending, next(body, None)
            return {"type": "http.request", "body": piece, "more_body": pending is not None}
        await answered.wait()  # a client that stays until the whole answer has come
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            if message.get("body"):
                pieces.append(bytes(message["body"]))
            if not message.get("more_body"):
                answered.set()

    try:
        await app(scope, receive, send)
    finally:
        answered.set()
    return start, pieces


def _call(
    probe: Probe,
    method: str,
    url: str,
    *,
    sent: str,
    headers: Iterable[tuple[str, str]] = (),
    body: Iterable[bytes] = (),
    measure_memory: bool = False,
    if_raises: IfRaises | None = None,
) -> Exchange:
    """Send one request to the learner's app by hand, in an event loop of its own, bounded.

    `sent` says what was sent, for the report. Whatever the app does becomes a CheckFailed.
    """
    timeout = framework.REQUEST_TIMEOUT
    scope = _scope(method, url, [*probe.credentials, *headers])

    def run() -> tuple[dict[str, Any], list[bytes], int]:
        exchange = asyncio.wait_for(_exchange(probe.app, scope, iter(body)), timeout)
        if not measure_memory:
            return (*asyncio.run(exchange), 0)
        tracing = tracemalloc.is_tracing()
        if tracing:
            tracemalloc.reset_peak()
        else:
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        try:
            start, pieces = asyncio.run(exchange)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            if not tracing:
                tracemalloc.stop()
        return start, pieces, peak

    try:
        start, pieces, peak = _bounded(run, timeout + 1)
    except (_NoAnswer, TimeoutError):
        raise CheckFailed(
            probe.task,
            f"your app did not answer within {timeout:g} seconds.",
            sent=sent,
            hint="Look for an endless loop or a wait that never ends in that endpoint.",
        ) from None
    except Exception as exc:  # the learner's endpoint raised: report it, never crash
        probe.note_answered_by(scope.get("endpoint"))
        raise probe.app_failure(exc, sent, if_raises) from None
    probe.note_answered_by(scope.get("endpoint"))
    if "status" not in start:
        raise CheckFailed(
            probe.task,
            "your app ended without sending an answer.",
            sent=sent,
            hint="Return a value or a Response from the route, or raise HTTPException.",
        )
    response = httpx2.Response(
        start["status"],
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])],
        content=b"".join(pieces),
        request=httpx2.Request(method, f"http://testserver{url}"),
    )
    return Exchange(response, len(pieces), peak)


def _with_hint(failed: CheckFailed, symptom: str, hint: str) -> CheckFailed:
    """`failed`, with `hint` instead of its own when what came back shows `symptom`."""
    if symptom not in (failed.got or ""):
        return failed
    return failed.with_hint(hint)


def _media_type(response: httpx2.Response) -> str:
    return response.headers.get("content-type", "").partition(";")[0].strip().casefold()


# --- Task 1 -----------------------------------------------------------------------------------


def _lines(probe: Probe, response: httpx2.Response) -> list[Any]:
    """The JSON value on each line of a JSON Lines body."""
    text = response.text
    probe.expect(
        text.endswith("\n"),
        "each line, the last one too, should end with a newline.",
        response=response,
        expected='{"id": 1, ...}\\n{"id": 2, ...}\\n',
        hint="FastAPI writes one line per item you `yield`; written by hand, end each with \\n.",
    )
    try:
        return [json.loads(line) for line in text.split("\n")[:-1]]
    except ValueError:
        raise CheckFailed(
            probe.task,
            "a line of the answer is not JSON.",
            sent=f"GET {response.request.url.path}",
            got=text[:200],
            expected="one JSON object per line",
            hint="`yield` each task (a TaskPublic or a dict) and let FastAPI write the lines.",
        ) from None


@check("Task 1", "GET /export/tasks streams every task as JSON Lines, as it reads them.")
def export_tasks(probe: Probe) -> None:
    # More tasks than GET /tasks answers by default, so reading only its first page shows.
    label = f"export-{next(_numbers)}"
    mine = [
        probe.create(
            "/tasks",
            {"title": f"Export me {n}", "labels": [label], "priority": n % 5 + 1},
            hint='Start from the catch-up app, checkpoint("05"): it already creates tasks.',
            hint_first=True,
        )
        for n in range(11)
    ]
    try:
        exchange = _call(probe, "GET", "/export/tasks", sent="GET /export/tasks")
    except CheckFailed as failed:
        raise _with_hint(
            failed,
            "'async_generator' object is not iterable",
            "store.iter_tasks() is an async generator: go through it with `async for`.",
        ) from None
    response = exchange.response
    probe.expect_status(response, 200, "GET /export/tasks")
    probe.expect(
        _media_type(response) == "application/jsonl",
        "the answer should be JSON Lines, with the media type application/jsonl.",
        response=response,
        expected=f"Content-Type: application/jsonl (got {response.headers.get('content-type')})",
        hint="Make the route a generator: `yield` each task instead of returning a list, and "
        "declare it `-> AsyncIterable[TaskPublic]`; FastAPI then answers application/jsonl.",
    )
    lines = _lines(probe, response)
    ids = [line.get("id") if isinstance(line, dict) else None for line in lines]
    mine_ids = [task["id"] for task in mine]
    probe.expect(
        all(task_id in ids for task_id in mine_ids),
        f"the 11 tasks this check created ({mine_ids[0]} to {mine_ids[-1]}) should all be there.",
        response=response,
        expected="every task the app holds, one per line",
        hint="Export every task, not the first page of GET /tasks: `async for task in "
        "store.iter_tasks()` goes through all of them.",
    )
    probe.expect(
        all(isinstance(i, int) for i in ids) and ids == sorted(set(ids)),
        "each task should come once, in the order the tasks were created.",
        response=response,
        expected="ids in increasing order, no repeats",
        hint="`store.iter_tasks()` gives the tasks in creation order: yield each one once.",
    )
    exported = {line["id"]: line for line in lines}
    probe.expect(
        all(exported[task["id"]] == task for task in mine),
        "each line should be a whole task, as POST /tasks answered it.",
        response=response,
        expected=json.dumps(mine[0]),
        hint="Yield the tasks themselves (TaskPublic), every field included.",
    )
    probe.expect(
        exchange.pieces > 1,
        f"the {len(lines)} lines came in one piece: the export was built whole before sending.",
        response=response,
        expected="the answer streamed, a piece per task as it is produced",
        hint="`yield` each task from the route, instead of joining all the lines into one "
        "answer: FastAPI then sends each line as soon as it is ready.",
    )


# --- Task 2 -----------------------------------------------------------------------------------

_BOUNDARY = "course-check-boundary"


def _form(field: str, filename: str, content_type: str, content: bytes) -> Iterator[bytes]:
    """A multipart form with one file, in pieces, as a server hands a body over."""
    yield (
        f"--{_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    for start in range(0, len(content), PIECE):
        yield content[start : start + PIECE]
    yield f"\r\n--{_BOUNDARY}--\r\n".encode()


_REFUSE_WITH_413 = IfRaises(
    hint="A refused upload must be an HTTP answer, never an error: "
    "raise HTTPException(413, ...) when the file is too large.",
)
_REQUIRED_FILE = IfRaises(
    hint="Declare the file as a required parameter, `file: UploadFile`: FastAPI then answers "
    "422 itself when it is missing.",
)


def _upload(
    probe: Probe,
    task_id: int,
    filename: str,
    content: bytes,
    *,
    field: str = "file",
    content_type: str = "application/octet-stream",
    measure_memory: bool = False,
    if_raises: IfRaises | None = None,
) -> Exchange:
    url = f"/tasks/{task_id}/files"
    size = f"{len(content):,} bytes"
    return _call(
        probe,
        "POST",
        url,
        sent=f"POST {url} with the form field {field!r}: the file {filename} ({size})",
        headers=[("content-type", f"multipart/form-data; boundary={_BOUNDARY}")],
        body=_form(field, filename, content_type, content),
        measure_memory=measure_memory,
        if_raises=if_raises,
    )


def _expect_file(
    probe: Probe, exchange: Exchange, task_id: int, filename: str, content_type: str, size: int
) -> dict[str, Any]:
    response = exchange.response
    probe.expect_status(
        response,
        201,
        f"Uploading {filename} ({size:,} bytes, the limit is {LIMIT:,})",
        hint="Declare `status_code=201` on the route, and answer 413 only past the limit: "
        "a file of exactly max_file_bytes is allowed.",
    )
    body = probe.json(response)
    wanted = {"task_id": task_id, "filename": filename, "content_type": content_type, "size": size}
    probe.expect(
        isinstance(body, dict)
        and isinstance(body.get("id"), int)
        and {key: body.get(key) for key in wanted} == wanted,
        "the answer should describe the stored file.",
        response=response,
        expected=json.dumps({"id": 1, **wanted}),
        hint="Store the bytes you read with `await store.add_file(task_id, file.filename, "
        "file.content_type, content)` and return what it returns; `size` counts every byte "
        "of the file.",
    )
    return body


@check(
    "Task 2", "POST /tasks/{task_id}/files stores files up to 1 MiB whole, and answers 413 past."
)
def upload_files(probe: Probe) -> None:
    task = probe.create(
        "/tasks",
        {"title": "Has files"},
        hint='Start from the catch-up app, checkpoint("05"): it already creates tasks.',
        hint_first=True,
    )
    task_id = task["id"]
    notes = b"Files go up as multipart forms.\n"
    first = _expect_file(
        probe,
        _upload(probe, task_id, "notes.txt", notes, content_type="text/plain"),
        task_id,
        "notes.txt",
        "text/plain",
        len(notes),
    )
    at_limit = _expect_file(
        probe,
        _upload(probe, task_id, "exactly-the-limit.bin", b"x" * LIMIT),
        task_id,
        "exactly-the-limit.bin",
        "application/octet-stream",
        LIMIT,
    )
    too_big = _upload(
        probe,
        task_id,
        "one-byte-too-many.bin",
        b"x" * (LIMIT + 1),
        if_raises=_REFUSE_WITH_413,
    ).response
    probe.expect_error(
        too_big,
        413,
        str(LIMIT),
        f"A file of {LIMIT + 1:,} bytes, one more than the limit,",
        hint="Count the bytes as you read the file in chunks, and raise HTTPException(413, "
        "...) as soon as the count passes max_file_bytes, naming the limit in `detail`.",
    )
    listing = probe.get(f"/tasks/{task_id}/files")
    probe.expect_status(
        listing, 200, f"GET /tasks/{task_id}/files", hint="Add the route that lists the files."
    )
    probe.expect(
        probe.json(listing) == [first, at_limit],
        "the task should list the two files it accepted, and nothing of the refused one.",
        response=listing,
        expected=json.dumps([first, at_limit])[:200],
        hint="Read the whole file (and check its size) before you store anything: "
        "`await store.list_files(task_id)` lists what was stored.",
    )
    large = _upload(
        probe,
        task_id,
        "large.bin",
        b"x" * LARGE,
        measure_memory=True,
        if_raises=_REFUSE_WITH_413,
    )
    probe.expect_status(
        large.response,
        413,
        f"A file of {LARGE:,} bytes",
        hint="Answer 413 for any file past the limit.",
    )
    used = large.peak_memory
    probe.expect(
        used < MEMORY_BUDGET,
        f"refusing a {LARGE // 2**20} MiB file took {used / 2**20:.0f} MiB of memory: the "
        "whole file was read before its size was checked.",
        response=large.response,
        expected=f"less than {MEMORY_BUDGET // 2**20} MiB, whatever the size of the upload",
        hint="Read it in chunks, `await file.read(64 * 1024)` in a loop, and stop at the limit; "
        "or refuse it from `file.size` before reading anything.",
    )
    missing = _upload(
        probe, task_id, "notes.txt", notes, field="attachment", if_raises=_REQUIRED_FILE
    ).response
    probe.expect_status(
        missing,
        422,
        "A form without the field `file`",
        hint="Declare the file as a required parameter, `file: UploadFile`: FastAPI then "
        "answers 422 itself when it is missing.",
    )
    unknown = _upload(probe, 10**9, "notes.txt", notes).response
    probe.expect_status(
        unknown,
        404,
        "Uploading to a task that does not exist",
        hint="`await store.get(task_id)` (or store.add_file) raises TaskNotFound, which the "
        "app answers with 404: do not catch it.",
    )


# --- Task 3 -----------------------------------------------------------------------------------

_ATTACH = (
    "Set app.state.http in the lifespan, before its `yield`, and give the lifespan to the app: "
    "`app.include_router(APIRouter(lifespan=lifespan))`."
)


def _lifespan_failed(probe: Probe, exc: BaseException) -> CheckFailed:
    if isinstance(exc, _NoAnswer):
        problem = "a second startup or shutdown of the app did not finish."
    else:
        problem = f"a second startup or shutdown of the app failed: {type(exc).__name__}: {exc}"
    return CheckFailed(
        probe.task,
        problem,
        hint="Everything before `yield` runs at startup, the rest at shutdown: both must finish.",
    )


@check("Task 3", "a lifespan opens app.state.http at each startup and closes it at shutdown.")
def shared_client(probe: Probe) -> None:
    app = probe.app
    http = getattr(app.state, "http", None)
    if http is None:
        raise CheckFailed(
            probe.task,
            "while the app runs, app.state.http should hold its httpx2.AsyncClient, and it "
            "holds nothing.",
            hint=_ATTACH,
        )
    if not isinstance(http, httpx2.AsyncClient):
        raise CheckFailed(
            probe.task,
            f"app.state.http holds {type(http).__name__}, not an httpx2.AsyncClient.",
            hint="Create it with httpx2.AsyncClient(...): the async client, shared by all "
            "requests.",
        )
    if http.is_closed:
        raise CheckFailed(
            probe.task,
            "app.state.http is closed already while the app runs.",
            hint="Keep the `yield` inside the `async with httpx2.AsyncClient() as client:` "
            "block: the client closes when the block ends.",
        )
    for _ in range(2):
        probe.get("/health")
    if getattr(app.state, "http", None) is not http:
        raise CheckFailed(
            probe.task,
            "app.state.http changed while the app served requests.",
            hint="Create the client once, in the lifespan; routes only use it.",
        )
    # Start and stop the app a second time, as a test suite or a restarted worker does.
    again = TestClient(app)
    timeout = framework.REQUEST_TIMEOUT
    try:
        _bounded(again.__enter__, timeout)
        second = getattr(app.state, "http", None)
        _bounded(lambda: again.__exit__(None, None, None), timeout)
    except Exception as exc:
        raise _lifespan_failed(probe, exc) from None
    finally:
        app.state.http = http  # what the running app had, so its own shutdown closes it
    if second is http:
        raise CheckFailed(
            probe.task,
            "at its second startup the app got the same client again: once closed, it "
            "cannot serve another run.",
            hint="Create the client inside the lifespan, not once when the cell runs.",
        )
    if not isinstance(second, httpx2.AsyncClient) or not second.is_closed:
        raise CheckFailed(
            probe.task,
            "after shutdown, the client the app opened at startup is still open.",
            hint="Close it after the `yield`: `await client.aclose()`, or open it with "
            "`async with httpx2.AsyncClient() as client:` around the `yield`.",
        )


# --- Task 4 -----------------------------------------------------------------------------------

# The links the check attaches to a task's comments, and what each answers on its fake web.
_LINKS: list[list[dict[str, str]]] = [
    [
        {"name": "spec", "url": "https://links.test/spec"},
        {"name": "old draft", "url": "https://links.test/draft"},
    ],
    [],
    [
        {"name": "moved", "url": "https://links.test/moved"},
        {"name": "down", "url": "https://down.test/"},
        {"name": "slow", "url": "https://slow.test/"},
    ],
]
_STATUS = {"/spec": 200, "/draft": 404, "/moved": 301}
_EXPECTED = [
    {"name": "spec", "url": "https://links.test/spec", "status": 200, "ok": True},
    {"name": "old draft", "url": "https://links.test/draft", "status": 404, "ok": False},
    {"name": "moved", "url": "https://links.test/moved", "status": 301, "ok": True},
    {"name": "down", "url": "https://down.test/", "status": None, "ok": False},
    {"name": "slow", "url": "https://slow.test/", "status": None, "ok": False},
]


class _FakeWeb:
    """The web as the check's links see it: each answers after a short wait, or fails. It
    notes the methods it was sent, and how many requests it held at once."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.methods.append(request.method)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.05)
            if request.url.host == "down.test":
                raise httpx2.ConnectError("connection refused", request=request)
            if request.url.host == "slow.test":
                raise httpx2.ReadTimeout("no answer in time", request=request)
            return httpx2.Response(_STATUS.get(request.url.path, 404))
        finally:
            self.in_flight -= 1


_NOT_CAUGHT = (
    "A link that does not answer must not fail the whole answer: catch httpx2.HTTPError around "
    "each request and report that link with status null."
)
_SHARED = (
    "Send the requests with the app's shared client, `request.app.state.http`, read in the "
    "route on each request: the check swaps it for one that reaches its test links."
)


def _first_difference(got: list[Any]) -> tuple[str, str]:
    """(problem, hint) for the first entry of `got` that differs from the expected list."""
    if [entry.get("url") if isinstance(entry, dict) else None for entry in got] != [
        link["url"] for link in _EXPECTED
    ]:
        return (
            "the answer should have one entry per link, in the order of the comments and of "
            "the links in each.",
            "Go through `await store.list_comments(task_id)` and, in each comment, its "
            "`attachments`; asyncio.gather keeps the order of what you give it.",
        )
    if all(entry.get("status") is None for entry in got):
        return ("no link answered.", _SHARED)
    for entry, wanted in zip(got, _EXPECTED, strict=True):
        if entry == wanted:
            continue
        if wanted["status"] is None:
            return (f"{wanted['url']} does not answer: its status should be null.", _NOT_CAUGHT)
        if entry.get("status") != wanted["status"]:
            return (
                f"{wanted['url']} answers {wanted['status']}, not {entry.get('status')}.",
                "Report `response.status_code` as it is; do not follow redirects.",
            )
        if entry.get("ok") != wanted["ok"]:
            return (
                f"{wanted['url']} answers {wanted['status']}, so its `ok` should be "
                f"{str(wanted['ok']).lower()}.",
                "`ok` is true when the status is below 400: a redirect (3xx) still leads "
                "somewhere.",
            )
        return (
            f"the entry for {wanted['url']} should have exactly name, url, status and ok.",
            "Return one LinkCheck (or dict) per link with those four fields.",
        )
    return ("", "")


@check("Task 4", "GET /tasks/{task_id}/links checks every link at once and reports its status.")
def link_checks(probe: Probe) -> None:
    hint = 'Start from the catch-up app, checkpoint("05"): it already creates tasks.'
    task = probe.create("/tasks", {"title": "Has links"}, hint=hint, hint_first=True)
    bare = probe.create("/tasks", {"title": "Has no links"}, hint=hint, hint_first=True)
    for number, links in enumerate(_LINKS):
        response = probe.request(
            "POST",
            f"/tasks/{task['id']}/comments",
            json_body={"text": f"Comment {number}", "attachments": links},
        )
        probe.expect_status(response, 201, "Adding a comment with links", hint=hint)
    app = probe.app
    had = getattr(app.state, "http", None)
    web = _FakeWeb()
    app.state.http = httpx2.AsyncClient(transport=httpx2.MockTransport(web))
    try:
        _judge_links(probe, task["id"], bare["id"], web)
    finally:
        if had is None:
            del app.state.http
        else:
            app.state.http = had


def _judge_links(probe: Probe, task_id: int, bare_id: int, web: _FakeWeb) -> None:
    url = f"/tasks/{task_id}/links"
    try:
        response = probe.get(
            url,
            if_raises=IfRaises(
                hint=_NOT_CAUGHT,
                problem="a link that does not answer made your app raise {error}.",
                only=("ConnectError", "ReadTimeout"),
            ),
        )
    except CheckFailed as failed:
        failed = _with_hint(
            failed,
            "asyncio.run() cannot be called from a running event loop",
            "The route already runs in the app's event loop: `await` the requests "
            "(`await asyncio.gather(...)`) instead of asyncio.run().",
        )
        raise _with_hint(
            failed,
            "_GatheringFuture",
            "asyncio.gather(...) gives a future: `await` it to get the list of results.",
        ) from None
    probe.expect_status(response, 200, f"GET {url}")
    got = probe.json(response)
    probe.expect(
        bool(web.methods) or not got,
        "no request reached the links, yet the answer has entries.",
        response=response,
        expected="one HEAD request per link, through app.state.http",
        hint=_SHARED,
    )
    if got != _EXPECTED:
        problem, hint = (
            _first_difference(got)
            if isinstance(got, list) and all(isinstance(e, dict) for e in got)
            else ("the answer should be a list, one entry per link.", "")
        )
        probe.expect(
            False,
            problem,
            response=response,
            expected=json.dumps(_EXPECTED[:2])[:-1] + ", ...]",
            hint=hint or "Return a list of LinkCheck: name, url, status, ok.",
        )
    probe.expect(
        set(web.methods) == {"HEAD"},
        f"the links got {', '.join(sorted(set(web.methods)))} requests, not HEAD.",
        response=response,
        expected="HEAD requests only",
        hint="Only the status matters: `await http.head(link.url)` asks for no body.",
    )
    probe.expect(
        web.most_in_flight > 1,
        "the links were checked one after another: each request waited for the one before.",
        response=response,
        expected="all the requests on their way at once",
        hint="Create one request per link and await them together: "
        "`await asyncio.gather(*(check(link) for link in links))`.",
    )
    response = probe.get(f"/tasks/{bare_id}/links")
    probe.expect(
        response.status_code == 200 and probe.json(response) == [],
        "a task whose comments have no links should answer an empty list.",
        response=response,
        expected="200 []",
        hint="With no links there is nothing to check: gather of nothing is [].",
    )
    response = probe.get("/tasks/1000000000/links")
    probe.expect_status(
        response,
        404,
        "A task that does not exist",
        hint="`await store.list_comments(task_id)` raises TaskNotFound for it, which the app "
        "answers with 404: do not catch it.",
    )
