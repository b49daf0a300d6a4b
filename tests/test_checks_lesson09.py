"""Lesson 09 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is the exercise's: Taskboard after lesson 08 with middleware added (`taskboard(...)`).
The middleware comes in the styles a learner may write: a pure ASGI class or function,
`BaseHTTPMiddleware`, `@app.middleware("http")`, Starlette's own classes, or the app wrapped
by hand. Mistakes are turned on by keywords.
"""

import re
import time
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import nbformat
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.gzip import GZipResponder

from course import checkpoint
from course.checkpoints import FEATURES_ADDED_BY, CheckpointSettings
from course.checks import checks_of, lesson09
from course.exercises import make_exercise
from tests.checking import failure, run_checking
from tests.conftest import ROOT

ALL_CHECKS = checks_of("09")
SANE = re.compile(r"[A-Za-z0-9+/=._:-]{1,128}")
BOARD = lesson09.BOARD
HOSTS = ["testserver", "taskboard.example.com"]
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def taskboard(*layers: Any) -> FastAPI:
    """Taskboard after lesson 08, with each layer added in turn: a factory, or (factory, kwargs)."""
    app = checkpoint("08")
    for layer in layers:
        factory, options = layer if isinstance(layer, tuple) else (layer, {})
        app.add_middleware(factory, **options)
    return app


# --- Task 1's middleware, in several styles -----------------------------------------------------


def _new_id(given: str, mistakes: dict[str, Any]) -> str:
    if mistakes.get("echo_any") and given is not None:
        return given
    if not mistakes.get("never_echo") and given and SANE.fullmatch(given):
        return given
    return mistakes.get("constant") or uuid.uuid4().hex


class RawRequestIds:
    """Pure ASGI, writing raw header pairs into the message (no MutableHeaders)."""

    def __init__(self, app: Any, **mistakes: Any) -> None:
        self.app = app
        self.mistakes = mistakes
        if mistakes.get("constant"):
            mistakes["constant"] = uuid.uuid4().hex  # made once, for every request

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" and not self.mistakes.get("no_guard"):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        sent = dict(scope["headers"]).get(b"x-request-id")
        rid = _new_id(sent.decode("latin-1") if sent is not None else None, self.mistakes)
        timing = self.mistakes.get("timing", "app;dur={ms:.2f}")

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start" and (
                not self.mistakes.get("only_200") or message["status"] == 200
            ):
                ms = (time.perf_counter() - start) * 1000
                extra = [(b"x-request-id", rid.encode("latin-1"))]
                if timing:
                    extra.append((b"server-timing", timing.format(ms=ms).encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_id)


def request_ids_function(app: Any) -> Any:
    """Pure ASGI written as a function that wraps the app."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = _new_id(Headers(scope=scope).get("x-request-id"), {})

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


class RequestIdsHTTP(BaseHTTPMiddleware):
    """BaseHTTPMiddleware, as a class."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        start = time.perf_counter()
        rid = _new_id(request.headers.get("x-request-id"), {})
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.0f}"
        return response


def with_decorator(app: FastAPI, **mistakes: Any) -> FastAPI:
    """`@app.middleware("http")`, the short way, with its typical mistakes."""

    @app.middleware("http")
    async def add_request_id(request: Request, call_next: Any) -> Response:
        start = time.perf_counter()
        rid = _new_id(request.headers.get("x-request-id"), mistakes)
        response = await call_next(request)
        if mistakes.get("buffer"):
            body = b"".join([chunk async for chunk in response.body_iterator])
            response = Response(body, response.status_code, headers=dict(response.headers))
        if mistakes.get("only_200") and response.status_code != 200:
            return response
        response.headers["X-Request-ID"] = rid
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        if mistakes.get("no_return"):
            return None  # type: ignore[return-value]  # the mistake
        return response

    return app


# --- Task 3's middleware ----------------------------------------------------------------------


class SecurityHeaders:
    """Pure ASGI, with a typical mistake or two."""

    def __init__(self, app: Any, **mistakes: Any) -> None:
        self.app = app
        self.headers = {**SECURITY, **mistakes.get("values", {})}
        self.only_200 = mistakes.get("only_200", False)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start" and (
                not self.only_200 or message["status"] == 200
            ):
                MutableHeaders(scope=message).update(self.headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers_decorator(app: FastAPI) -> FastAPI:
    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY)
        return response

    return app


def always_gzip(app: Any) -> Any:
    """Compresses whether or not the client accepts gzip: a mistake."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        await GZipResponder(app, 1000)(scope, receive, send)

    return middleware


CORS_OPTIONS = {
    "allow_origins": [BOARD],
    "allow_credentials": True,
    "allow_methods": ["GET", "POST", "PATCH", "DELETE"],
    "allow_headers": ["Authorization", "Content-Type"],
}


def cors(**changes: Any) -> tuple[type, dict[str, Any]]:
    options = {**CORS_OPTIONS, **changes}
    return CORSMiddleware, {key: value for key, value in options.items() if value is not None}


HOST_CHECK = (TrustedHostMiddleware, {"allowed_hosts": HOSTS})


# --- Every task -------------------------------------------------------------------------------

SOLVED = {
    "request_ids": lambda: taskboard(RawRequestIds),
    "cors": lambda: taskboard(cors()),
    "headers_and_gzip": lambda: taskboard(
        (GZipMiddleware, {"minimum_size": 1000}), SecurityHeaders
    ),
    "trusted_hosts": lambda: taskboard(HOST_CHECK, RawRequestIds),
}


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_solved_task_passes_twice(checker: Callable[[object], None]) -> None:
    app = SOLVED[checker.__name__]()
    checker(app)
    checker(app)  # and again, as a learner re-running the check


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_09_passes_twice(checker: Callable[[object], None]) -> None:
    if "09" not in FEATURES_ADDED_BY:
        pytest.skip("checkpoint 09 is not wired yet")
    app = checkpoint("09", CheckpointSettings(**checker.settings))  # type: ignore[attr-defined]
    checker(app)
    checker(app)


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_empty_app_fails_kindly(checker: Callable[[object], None]) -> None:
    exc = failure(checker, FastAPI())
    assert exc.hint == lesson09._FROM_TASKBOARD
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_app_that_answered_before_its_middleware_is_explained(
    checker: Callable[[object], None],
) -> None:
    app = checkpoint("08")
    TestClient(app).get("/health")
    with pytest.raises(
        RuntimeError, match="Cannot add middleware after an application has started"
    ):
        app.add_middleware(RawRequestIds)
    exc = failure(checker, app)
    assert exc.hint == lesson09._STARTED


# --- Task 1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: taskboard(request_ids_function),
        lambda: taskboard(RequestIdsHTTP),
        lambda: with_decorator(checkpoint("08")),
        lambda: RawRequestIds(checkpoint("08")),  # the app wrapped by hand: no add_middleware
        lambda: taskboard(RawRequestIds, (GZipMiddleware, {"minimum_size": 10})),  # gzip outside
    ],
    ids=["asgi-function", "base-http-class", "decorator", "wrapped-app", "gzip-outside"],
)
def test_request_ids_written_another_way_pass(build: Callable[[], Any]) -> None:
    lesson09.request_ids(build())


def test_an_id_only_on_200s_is_caught() -> None:
    for app in (
        taskboard((RawRequestIds, {"only_200": True})),
        with_decorator(checkpoint("08"), only_200=True),
    ):
        exc = failure(lesson09.request_ids, app)
        assert exc.sent == "GET /nowhere with X-Request-ID: bug-report-42"
        assert exc.problem == "the answer has no X-Request-ID header."
        assert exc.hint == lesson09._EVERY_ANSWER


def test_an_id_echoed_whatever_it_is_is_caught() -> None:
    exc = failure(lesson09.request_ids, taskboard((RawRequestIds, {"echo_any": True})))
    assert "came back, but it is not a sane id" in exc.problem
    assert "uuid.uuid4().hex" in exc.hint
    assert "{1,128}" in exc.hint


def test_an_id_never_echoed_is_caught() -> None:
    exc = failure(lesson09.request_ids, taskboard((RawRequestIds, {"never_echo": True})))
    assert exc.problem == "the client sent a sane X-Request-ID, and it should come back as it is."
    assert exc.expected == "X-Request-ID: bug-report-42"
    assert "Headers(scope=scope)" in exc.hint


def test_one_id_for_every_request_is_caught() -> None:
    exc = failure(lesson09.request_ids, taskboard((RawRequestIds, {"constant": True})))
    assert exc.problem == "two requests without an X-Request-ID got the same id."
    assert "once per request" in exc.hint


@pytest.mark.parametrize("timing", [None, "app;dur={ms:.1f}ms", "total;dur={ms:.1f}"])
def test_a_missing_or_malformed_timing_is_caught(timing: str | None) -> None:
    exc = failure(lesson09.request_ids, taskboard((RawRequestIds, {"timing": timing})))
    assert "Server-Timing" in exc.problem
    assert "time.perf_counter()" in exc.hint


def test_an_id_added_twice_is_caught() -> None:
    # The cell that adds the middleware ran twice on the same app, which had served nothing.
    exc = failure(lesson09.request_ids, taskboard(RawRequestIds, RawRequestIds))
    assert exc.problem == "the answer has several X-Request-ID headers."
    assert "build `app` anew" in exc.hint


def test_a_middleware_that_buffers_the_stream_is_caught() -> None:
    exc = failure(lesson09.request_ids, with_decorator(checkpoint("08"), buffer=True))
    assert exc.problem.startswith("the export's 4 lines came in one piece")
    assert "await send(message)" in exc.hint


def test_a_middleware_that_does_not_let_the_lifespan_through_is_explained() -> None:
    exc = failure(lesson09.request_ids, taskboard((RawRequestIds, {"no_guard": True})))
    assert exc.problem.startswith("the app failed before any request: KeyError")
    assert exc.hint == lesson09._PASS_THROUGH


def test_a_decorated_middleware_without_return_is_explained() -> None:
    exc = failure(lesson09.request_ids, with_decorator(checkpoint("08"), no_return=True))
    assert "return response" in exc.hint


# --- Task 2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: taskboard(cors(allow_methods=["*"], allow_headers=["*"])),
        lambda: taskboard(
            cors(allow_origins=None, allow_origin_regex=r"https://board\.example\.com")
        ),
        lambda: CORSMiddleware(checkpoint("08"), **CORS_OPTIONS),  # wrapped by hand
        lambda: taskboard(cors(), RawRequestIds),
    ],
    ids=["stars-for-methods-and-headers", "tight-regex", "wrapped-app", "with-request-ids"],
)
def test_cors_written_another_way_passes(build: Callable[[], Any]) -> None:
    lesson09.cors(build())


def test_any_origin_with_credentials_is_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_origins=["*"])))
    assert (
        exc.problem == "another origin, https://evil.example, got an Access-Control-Allow-Origin."
    )
    assert "Starlette names whichever origin asks" in exc.hint


def test_any_origin_without_credentials_is_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_origins=["*"], allow_credentials=False)))
    assert "allows every origin, `*`" in exc.problem
    assert "allow_credentials=True" in exc.hint


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        (r"https://board\.example\.com.*", "https://board.example.com.evil.example"),
        (r"https://.*board\.example\.com", "https://evilboard.example.com"),
        (r"https?://board\.example\.com", "http://board.example.com"),
    ],
)
def test_a_regex_too_loose_is_caught(pattern: str, allowed: str) -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_origins=None, allow_origin_regex=pattern)))
    assert exc.problem == f"another origin, {allowed}, got an Access-Control-Allow-Origin."
    assert "allow_origin_regex" in exc.hint


def test_an_origin_with_a_slash_is_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_origins=[BOARD + "/"])))
    assert exc.got.startswith("400, Disallowed CORS origin")
    assert "without a slash at the end" in exc.hint


def test_no_credentials_is_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_credentials=False)))
    assert exc.problem == "The board's preflight for GET should allow credentials."
    assert "allow_credentials=True" in exc.hint


def test_the_default_methods_are_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_methods=None)))
    assert exc.problem == "The board's preflight for POST should be answered 200."
    assert exc.got.startswith("400, Disallowed CORS method")
    assert "allow_methods=['GET', 'POST', 'PATCH', 'DELETE']" in exc.hint


def test_the_default_headers_are_caught() -> None:
    exc = failure(lesson09.cors, taskboard(cors(allow_headers=None)))
    assert exc.got.startswith("400, Disallowed CORS headers")
    assert "allow_headers=['Authorization', 'Content-Type']" in exc.hint


def test_no_cors_at_all_is_caught() -> None:
    exc = failure(lesson09.cors, checkpoint("08"))
    assert exc.got == '405, {"detail":"Method Not Allowed"}'
    assert exc.hint == lesson09._ADD_CORS


# --- Task 3 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: security_headers_decorator(taskboard((GZipMiddleware, {"minimum_size": 1000}))),
        lambda: taskboard(SecurityHeaders, (GZipMiddleware, {"minimum_size": 1000})),
        lambda: GZipMiddleware(SecurityHeaders(checkpoint("08")), minimum_size=1000),
    ],
    ids=["decorator", "gzip-outermost", "wrapped-app"],
)
def test_headers_and_gzip_written_another_way_pass(build: Callable[[], Any]) -> None:
    lesson09.headers_and_gzip(build())


def test_security_headers_only_on_200s_are_caught() -> None:
    app = taskboard((GZipMiddleware, {"minimum_size": 1000}), (SecurityHeaders, {"only_200": True}))
    exc = failure(lesson09.headers_and_gzip, app)
    assert exc.problem == "A path with no route has no X-Content-Type-Options header."
    assert exc.hint == lesson09._EVERY_ANSWER


def test_a_wrong_security_header_value_is_caught() -> None:
    values = {"X-Frame-Options": "SAMEORIGIN"}
    app = taskboard((GZipMiddleware, {"minimum_size": 1000}), (SecurityHeaders, {"values": values}))
    exc = failure(lesson09.headers_and_gzip, app)
    assert exc.problem == "GET /health should have X-Frame-Options: DENY."
    assert "'DENY'" in exc.hint


def test_gzip_with_its_default_minimum_size_is_caught() -> None:
    exc = failure(lesson09.headers_and_gzip, taskboard(GZipMiddleware, SecurityHeaders))
    assert exc.problem == "an answer of 999 bytes should not be compressed."
    assert "minimum_size=1000" in exc.hint


def test_gzip_from_a_larger_size_is_caught() -> None:
    app = taskboard((GZipMiddleware, {"minimum_size": 1001}), SecurityHeaders)
    exc = failure(lesson09.headers_and_gzip, app)
    assert exc.problem.startswith("an answer of 1000 bytes, to a client that accepts gzip")
    assert exc.hint == lesson09._ADD_GZIP


def test_no_gzip_is_caught() -> None:
    exc = failure(lesson09.headers_and_gzip, taskboard(SecurityHeaders))
    assert exc.problem.startswith("an answer of 1000 bytes")
    assert exc.hint == lesson09._ADD_GZIP


def test_gzip_for_a_client_that_does_not_accept_it_is_caught() -> None:
    exc = failure(lesson09.headers_and_gzip, taskboard(always_gzip, SecurityHeaders))
    assert exc.problem == "a client that does not accept gzip should get the answer as it is."
    assert "Accept-Encoding: gzip" in exc.hint


def test_no_security_headers_is_caught() -> None:
    exc = failure(lesson09.headers_and_gzip, checkpoint("08"))
    assert exc.hint == lesson09._ADD_SECURITY_HEADERS


# --- Task 4 -----------------------------------------------------------------------------------


def refuse_bad_hosts(app: FastAPI) -> FastAPI:
    """A host check written by hand, with `@app.middleware("http")`."""

    @app.middleware("http")
    async def check_host(request: Request, call_next: Any) -> Response:
        if request.headers.get("host", "").split(":")[0] not in HOSTS:
            return PlainTextResponse("Invalid host header", status_code=400)
        return await call_next(request)

    return app


def test_trusted_hosts_around_the_app_by_hand_pass() -> None:
    app = RawRequestIds(TrustedHostMiddleware(checkpoint("08"), allowed_hosts=HOSTS))
    lesson09.trusted_hosts(app)


def test_a_host_check_written_by_hand_passes() -> None:
    app = refuse_bad_hosts(checkpoint("08"))
    app.add_middleware(request_ids_function)  # added after the decorator's: outermost
    lesson09.trusted_hosts(app)


def test_the_wrong_order_is_caught() -> None:
    exc = failure(lesson09.trusted_hosts, taskboard(RawRequestIds, HOST_CHECK))
    assert exc.problem == "the 400 for a bad host should carry the client's X-Request-ID too."
    assert exc.hint == lesson09._ORDER


def test_any_host_is_caught() -> None:
    app = taskboard((TrustedHostMiddleware, {"allowed_hosts": ["*"]}), RawRequestIds)
    exc = failure(lesson09.trusted_hosts, app)
    assert exc.problem == "A request for the host evil.example should answer 400."
    assert exc.hint == lesson09._ADD_HOSTS


def test_a_pattern_for_subdomains_is_caught() -> None:
    hosts = ["testserver", "taskboard.example.com", "*.taskboard.example.com"]
    app = taskboard((TrustedHostMiddleware, {"allowed_hosts": hosts}), RawRequestIds)
    exc = failure(lesson09.trusted_hosts, app)
    assert exc.problem == "A request for the host api.taskboard.example.com should answer 400."


def test_forgetting_testserver_is_caught() -> None:
    app = taskboard(
        (TrustedHostMiddleware, {"allowed_hosts": ["taskboard.example.com"]}), RawRequestIds
    )
    exc = failure(lesson09.trusted_hosts, app)
    assert exc.problem == "A request for the host testserver should answer 200."
    assert "TestClient sends testserver" in exc.hint


def test_no_request_ids_are_caught() -> None:
    exc = failure(lesson09.trusted_hosts, taskboard(HOST_CHECK))
    assert exc.expected == "X-Request-ID: good-host-1"
    assert "Task 1's middleware" in exc.hint


# --- The notebook's cells, run as a notebook runs them ------------------------------------------

SOLUTION = nbformat.read(ROOT / "solutions" / "09_middleware_and_cors.ipynb", as_version=4)
EXERCISE = make_exercise(SOLUTION)


def _cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_solution_passes_every_check(namespace: ModuleType) -> None:
    verdicts = run_checking(SOLUTION, namespace, lesson09)
    assert verdicts == dict.fromkeys(checker.__name__ for checker in ALL_CHECKS)


def test_the_unsolved_exercise_fails_kindly(namespace: ModuleType) -> None:
    verdicts = run_checking(EXERCISE, namespace, lesson09)
    hints = {name: exc.hint for name, exc in verdicts.items()}
    assert hints == {
        "request_ids": lesson09._NOT_WRITTEN,
        "cors": lesson09._ADD_CORS,
        "headers_and_gzip": lesson09._ADD_SECURITY_HEADERS,
        "trusted_hosts": lesson09._ADD_HOSTS,
    }
    assert all(len(exc._render_traceback_()) <= 12 for exc in verdicts.values())


SOLUTION_CELLS = {cell.id: cell.source for cell in _cells(SOLUTION)}
SETUP, CLASS, APP = SOLUTION_CELLS["09-001"], SOLUTION_CELLS["09-003"], SOLUTION_CELLS["09-004"]


def test_a_class_changed_after_the_app_was_built_is_named(namespace: ModuleType) -> None:
    for source in (SETUP, CLASS, APP):
        exec(source, namespace.__dict__)
    lesson09.request_ids(namespace.app)
    # The class's cell runs again unchanged: the app's class is the same code.
    exec(CLASS, namespace.__dict__)
    lesson09.request_ids(namespace.app)
    # Changed, and only the class's cell ran: the app still has the old one.
    changed = CLASS.replace(":.1f}", ":.2f}")
    assert changed != CLASS
    exec(changed, namespace.__dict__)
    exc = failure(lesson09.request_ids, namespace.app)
    assert "still has an earlier version of `RequestIdMiddleware`" in exc.problem
    assert exc.hint == lesson09.RERUN_APP
    # The app's cell run again, as the hint says: a new app with the new class.
    exec(APP, namespace.__dict__)
    lesson09.request_ids(namespace.app)
