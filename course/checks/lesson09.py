"""Lesson 09 checks: middleware around Taskboard as it stood after lesson 08.

Each task's app is `checkpoint("08")` with the learner's middleware. A check judges the answers'
headers (and, for gzip, the bytes sent), never how the middleware is written: a pure ASGI class
or function, `BaseHTTPMiddleware`, `@app.middleware("http")` or Starlette's own classes, added
with `add_middleware` or wrapped around the app.

Requests go to the app by hand over ASGI (`_call`), as lesson 06 shows it: the check plays the
server, so it sets every header itself (`Host`, `Origin`, `Accept-Encoding`), sends no token
where a browser sends none (a preflight), sees the bytes as sent, and counts the pieces of a
streamed answer.

Two things no request shows are named too: a middleware class whose cell ran again after `app`
was built (the app still has the old one), and an app that had answered before its middleware
was added, which `add_middleware` refuses with "Cannot add middleware after an application has
started".
"""

import asyncio
import functools
import gzip
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FunctionType
from typing import Any
from urllib.parse import urlencode

import httpx2
from starlette.applications import Starlette

import course.checks as framework
from course.checks import CheckFailed, Probe, _bounded, _NoAnswer, check
from course.checks.lesson06 import _exchange, _scope
from course.login import TOKEN_PATH
from course.progress import record
from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME

# --- What the tasks state -----------------------------------------------------------------------

# Task 1: a client's own id is kept when it is 1 to 128 of these characters.
SANE_ID = re.compile(r"[A-Za-z0-9+/=._:-]{1,128}")
APP_TIMING = re.compile(r"app;dur=(?P<ms>\d+(?:\.\d+)?)")
SANE_IDS = ("bug-report-42", "Root=1-67891233:abc.DEF", "c2VjcmV0/+=", "a" * 128)
INSANE_IDS = ("", "a" * 129, "two words", '"quoted"', "<script>alert(1)</script>")

# Task 2: the one origin that may call, and origins that must not.
BOARD = "https://board.example.com"
OTHER_ORIGINS = (
    "https://evil.example",
    "https://board.example.com.evil.example",
    "https://evilboard.example.com",
    "http://board.example.com",
    "https://board.example.com:8443",
)
CORS_METHODS = ("GET", "POST", "PATCH", "DELETE")
CORS_HEADERS = ("authorization", "content-type")

# Task 3: the security headers, and the size from which answers are compressed.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
GZIP_MINIMUM_SIZE = 1000

# Task 4: the hosts the app answers.
HOSTS = ("testserver", "taskboard.example.com")
BAD_HOSTS = ("evil.example", "taskboard.example.com.evil.example", "api.taskboard.example.com")

RERUN_APP = (
    "Run the cell that builds `app` again (it builds a new app with your middleware as it is "
    "now), then this check."
)
_NOT_WRITTEN = (
    "Write `__call__` where it says `# YOUR CODE HERE`: let a scope that is not http pass "
    "straight through, then call the app with a `send` of your own that adds the headers to "
    "the `http.response.start` message."
)
_STARTED = (
    "Your app has no middleware of yours. If `add_middleware` raised `RuntimeError: Cannot add "
    "middleware after an application has started`, this app had already answered a request: "
    "run the cell that builds `app` again, which builds a new one and adds the middleware "
    "before any request."
)


# --- Requests by hand ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer to a request made by hand, with its headers and body as they were sent."""

    response: httpx2.Response
    raw: bytes  # the body as sent: gzip, if the answer was compressed
    pieces: int  # http.response.body messages that carried bytes
    sent: str

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.response.headers

    def header(self, name: str) -> str | None:
        return self.response.headers.get(name)

    def text(self) -> str:
        return self.raw.decode(errors="replace")


def _describe_sent(method: str, path: str, headers: Iterable[tuple[str, str]], host: str) -> str:
    shown = [f"{name}: {value}" for name, value in headers if name.lower() != "authorization"]
    if host != "testserver":
        shown.insert(0, f"Host: {host}")
    return f"{method} {path}" + (f" with {', '.join(shown)}" if shown else "")


def _call(
    probe: Probe,
    method: str,
    path: str,
    headers: Iterable[tuple[str, str]] = (),
    *,
    host: str = "testserver",
    body: bytes = b"",
) -> Answer:
    """Send one request to the learner's app as a server would; whatever happens is a report."""
    headers = list(headers)
    sent = _describe_sent(method, path, headers, host)
    scope = _scope(method, path, headers, host)
    timeout = framework.REQUEST_TIMEOUT

    def run() -> tuple[dict[str, Any], list[bytes]]:
        exchange = asyncio.wait_for(_exchange(probe.app, scope, iter([body])), timeout)
        return asyncio.run(exchange)

    try:
        start, pieces = _bounded(run, timeout + 1)
    except (_NoAnswer, TimeoutError):
        raise CheckFailed(
            probe.task,
            f"your app did not answer within {timeout:g} seconds.",
            sent=sent,
            hint="A middleware must call the app (`await self.app(scope, receive, send)`) and "
            "pass every message on with `await send(message)`.",
        ) from None
    except Exception as exc:  # the learner's app raised: report it, never crash
        raise _app_failure(probe, exc, sent) from None
    if "status" not in start:
        raise CheckFailed(
            probe.task,
            "your app ended without sending an answer.",
            sent=sent,
            hint="A middleware must pass every message on to the server: `await send(message)`.",
        )
    raw = b"".join(pieces)
    listed = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    # What a client reads: the body decompressed, when it was sent compressed.
    response = httpx2.Response(
        start["status"],
        headers=[(k, v) for k, v in listed if k.lower() != "content-encoding"],
        content=_decompressed(raw, listed),
        request=httpx2.Request(method, f"http://{host}{path}"),
    )
    response.headers.update({k: v for k, v in listed if k.lower() == "content-encoding"})
    return Answer(response, raw, len(pieces), sent)


def _decompressed(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    encoding = next((v for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding.strip().lower() == "gzip":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError):
            return raw
    return raw


_PASS_THROUGH = (
    "A middleware gets every scope, the lifespan's at startup too, and only an http scope has "
    'headers: start `__call__` with `if scope["type"] != "http":`, then '
    "`await self.app(scope, receive, send)` and `return`."
)


# What `@app.middleware("http")` raises when its function returns nothing.
_NO_RETURN = "'NoneType' object is not callable"
_RETURN_RESPONSE = (
    'An `@app.middleware("http")` function must return the response: `return response`.'
)


def _app_failure(probe: Probe, exc: Exception, sent: str) -> CheckFailed:
    failed = probe.app_failure(exc, sent)
    if isinstance(exc, KeyError) and exc.args and exc.args[0] in ("headers", "method", "path"):
        return CheckFailed(
            probe.task, failed.problem, sent=sent, got=failed.got, hint=_PASS_THROUGH
        )
    if isinstance(exc, TypeError) and _NO_RETURN in str(exc):
        return CheckFailed(
            probe.task, failed.problem, sent=sent, got=failed.got, hint=_RETURN_RESPONSE
        )
    return failed


def _fail(
    probe: Probe,
    problem: str,
    answer: Answer,
    *,
    expected: str,
    hint: str,
    show: Iterable[str] = (),
) -> CheckFailed:
    """A report whose `got` shows the status, the headers in `show` and the start of the body."""
    parts = [str(answer.status)]
    for name in show:
        values = answer.headers.get_list(name)
        parts.append(f"{name}: {', '.join(values)}" if values else f"no {name}")
    text = answer.response.text
    if text:
        parts.append(text[:120] + ("…" if len(text) > 120 else ""))
    return CheckFailed(
        probe.task, problem, sent=answer.sent, got=", ".join(parts), expected=expected, hint=hint
    )


_FROM_TASKBOARD = (
    'No route matches this path: build the app from Taskboard, `app = checkpoint("08")`, '
    "and add your middleware to it."
)


def _expect_status(probe: Probe, answer: Answer, status: int, what: str, hint: str) -> None:
    if answer.status == status:
        return
    if answer.status == 404 and answer.text() == '{"detail":"Not Found"}':
        hint = _FROM_TASKBOARD
    raise _fail(probe, f"{what} should answer {status}.", answer, expected=str(status), hint=hint)


def _authorization(probe: Probe) -> list[tuple[str, str]]:
    """The probe's token, or one got by logging in as the demo account by hand (an app the
    learner wrapped in a middleware is not recognised as Taskboard by the probe)."""
    given = [(name, value) for name, value in probe.credentials if name.lower() == "authorization"]
    if given:
        return given
    form = urlencode({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}).encode()
    login = _call(
        probe,
        "POST",
        TOKEN_PATH,
        [("Content-Type", "application/x-www-form-urlencoded")],
        body=form,
    )
    try:
        token = login.response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        return []
    return [("Authorization", f"Bearer {token}")]


# --- The app as it stands -------------------------------------------------------------------


def _middleware_code(app: Any) -> list[Any]:
    """The classes and functions of the middleware added to `app` (a dispatch function too)."""
    found = []
    for middleware in getattr(app, "user_middleware", []):
        found.append(middleware.cls)
        found += [value for value in middleware.kwargs.values() if isinstance(value, FunctionType)]
    return found


def _functions(cls: type) -> dict[str, FunctionType]:
    return {name: value for name, value in vars(cls).items() if isinstance(value, FunctionType)}


def _same(old: Any, new: Any) -> bool:
    """Whether two versions of a middleware class or function have the same code."""
    if isinstance(old, FunctionType) and isinstance(new, FunctionType):
        return old.__code__ == new.__code__ and old.__defaults__ == new.__defaults__
    if isinstance(old, type) and isinstance(new, type):
        before, after = _functions(old), _functions(new)
        return before.keys() == after.keys() and all(
            _same(before[name], after[name]) for name in before
        )
    return old is new


def _stale_middleware(app: Any) -> list[str]:
    """Names of middleware in `app` whose cell has run again since, with other code."""
    stale = []
    for code in _middleware_code(app):
        qualname = getattr(code, "__qualname__", "")
        if not qualname or "<locals>" in qualname:
            continue
        current = getattr(sys.modules.get(code.__module__), qualname, None)
        if current is not None and current is not code and not _same(code, current):
            stale.append(qualname)
    return stale


def _as_it_stands(checker: Callable[[object], None]) -> Callable[[object], None]:
    """Judge the middleware as the notebook now has it, and explain an app started too early."""

    @functools.wraps(checker)
    def run(app: object) -> None:
        task = checker.task  # type: ignore[attr-defined]
        stale = _stale_middleware(app)
        if stale:
            record("09", task, passed=False)
            names = ", ".join(f"`{name}`" for name in stale)
            raise CheckFailed(
                task,
                f"`app` still has an earlier version of {names}: its cell ran again after `app` "
                "was built, and the app keeps the one it was given.",
                hint=RERUN_APP,
            )
        started = isinstance(app, Starlette) and app.middleware_stack is not None
        try:
            checker(app)
        except CheckFailed as failed:
            hint = None
            if "NotImplementedError" in f"{failed.problem} {failed.got}":
                raise CheckFailed(
                    failed.task,
                    "your middleware raised NotImplementedError: its `__call__` is not written yet.",
                    sent=failed.sent,
                    hint=_NOT_WRITTEN,
                ) from None
            if failed.problem.startswith("the app failed before any request: KeyError"):
                hint = _PASS_THROUGH
            elif _NO_RETURN in failed.problem and "could not log in" in failed.problem:
                hint = _RETURN_RESPONSE
            elif started and not getattr(app, "user_middleware", None):
                hint = _STARTED
            if hint is None or hint == failed.hint:
                raise
            raise failed.with_hint(hint) from None

    return run


# --- Task 1 -----------------------------------------------------------------------------------

_ADD_REQUEST_IDS = (
    "Add the headers in the `http.response.start` message, the one with the status and "
    "headers: `headers = MutableHeaders(scope=message)`, then `headers['X-Request-ID'] = ...`; "
    "and add the middleware to the app: `app.add_middleware(RequestIdMiddleware)`."
)
_EVERY_ANSWER = (
    "Every answer goes out as an `http.response.start` message, whatever its status: add the "
    "headers to that message every time, not only on some answers or in a route."
)


def _request_id(probe: Probe, answer: Answer) -> str:
    """The answer's one X-Request-ID, sane by Task 1's rule."""
    values = answer.headers.get_list("x-request-id")
    if not values:
        raise _fail(
            probe,
            "the answer has no X-Request-ID header.",
            answer,
            expected="an X-Request-ID header",
            hint=_ADD_REQUEST_IDS if answer.status == 200 else _EVERY_ANSWER,
            show=["x-request-id"],
        )
    if len(values) > 1:
        raise _fail(
            probe,
            "the answer has several X-Request-ID headers.",
            answer,
            expected="one X-Request-ID header",
            hint="Set the header, `headers['X-Request-ID'] = ...`, rather than append it; and "
            "add the middleware once: build `app` anew in the cell that adds it.",
            show=["x-request-id"],
        )
    return values[0]


def _expect_timing(probe: Probe, answer: Answer) -> None:
    entries = [
        entry.strip()
        for value in answer.headers.get_list("server-timing")
        for entry in value.split(",")
    ]
    timings = [match for entry in entries if (match := APP_TIMING.fullmatch(entry))]
    hint = (
        "Measure from the request's arrival (`start = time.perf_counter()` at the top of "
        "`__call__`) to the `http.response.start` message, and add "
        "`headers['Server-Timing'] = f'app;dur={(time.perf_counter() - start) * 1000:.1f}'`."
    )
    if not entries:
        raise _fail(
            probe,
            "the answer has no Server-Timing header.",
            answer,
            expected="Server-Timing: app;dur=<milliseconds>, such as app;dur=0.8",
            hint=hint if answer.status == 200 else _EVERY_ANSWER,
            show=["server-timing"],
        )
    if len(timings) != 1 or not 0 <= float(timings[0]["ms"]) < 60_000:
        raise _fail(
            probe,
            "Server-Timing should hold one entry `app;dur=<milliseconds>`.",
            answer,
            expected="Server-Timing: app;dur=<milliseconds>, such as app;dur=0.8",
            hint=hint,
            show=["server-timing"],
        )


def _expect_new_id(probe: Probe, answer: Answer, given: str | None) -> str:
    rid = _request_id(probe, answer)
    if given is not None and rid == given:
        raise _fail(
            probe,
            f"the client's X-Request-ID {given!r:.40} came back, but it is not a sane id.",
            answer,
            expected="a new id in its place",
            hint="Keep the client's id only if it is 1 to 128 letters, digits or `+/=._:-` "
            "(`re.fullmatch(r'[A-Za-z0-9+/=._:-]{1,128}', given)`); otherwise make a new one, "
            "`uuid.uuid4().hex`.",
            show=["x-request-id"],
        )
    if not SANE_ID.fullmatch(rid):
        raise _fail(
            probe,
            "the new X-Request-ID is not a sane id itself.",
            answer,
            expected="1 to 128 letters, digits or +/=._:-, such as a uuid4().hex",
            hint="Make a new id with `uuid.uuid4().hex`.",
            show=["x-request-id"],
        )
    return rid


@check("Task 1", "every answer carries an X-Request-ID and a Server-Timing, streamed ones too.")
def request_ids(probe: Probe) -> None:
    for given in SANE_IDS:
        answer = _call(probe, "GET", "/health", [("X-Request-ID", given)])
        _expect_status(
            probe, answer, 200, "GET /health", "A middleware must not change the status."
        )
        rid = _request_id(probe, answer)
        if rid != given:
            raise _fail(
                probe,
                "the client sent a sane X-Request-ID, and it should come back as it is.",
                answer,
                expected=f"X-Request-ID: {given}",
                hint="Read the client's id from the request's headers, "
                "`Headers(scope=scope).get('X-Request-ID')`, and keep it when it is sane.",
                show=["x-request-id"],
            )
        _expect_timing(probe, answer)

    first = _expect_new_id(probe, _call(probe, "GET", "/health"), None)
    second_answer = _call(probe, "GET", "/health")
    second = _expect_new_id(probe, second_answer, None)
    if first == second:
        raise _fail(
            probe,
            "two requests without an X-Request-ID got the same id.",
            second_answer,
            expected="a new id for each request",
            hint="Make the id in `__call__`, once per request (`uuid.uuid4().hex`), not once "
            "for the middleware in `__init__` or at the top of the cell.",
            show=["x-request-id"],
        )
    for given in INSANE_IDS:
        _expect_new_id(probe, _call(probe, "GET", "/health", [("X-Request-ID", given)]), given)

    for path, status, what in (
        ("/nowhere", 404, "A path with no route"),
        ("/tasks", 401, "GET /tasks without a token"),
    ):
        answer = _call(probe, "GET", path, [("X-Request-ID", "bug-report-42")])
        _expect_status(probe, answer, status, what, "A middleware must not change the status.")
        if _request_id(probe, answer) != "bug-report-42":
            raise _fail(
                probe,
                f"{what} should carry the client's X-Request-ID too.",
                answer,
                expected="X-Request-ID: bug-report-42",
                hint=_EVERY_ANSWER,
                show=["x-request-id"],
            )
        _expect_timing(probe, answer)

    _expect_streamed(probe)


def _expect_streamed(probe: Probe) -> None:
    token = _authorization(probe)
    answer = _call(probe, "GET", "/export/tasks", [*token, ("X-Request-ID", "export-7")])
    _expect_status(
        probe,
        answer,
        200,
        "GET /export/tasks, logged in as the demo account,",
        "The check could not log in as the demo account: keep lesson 08's POST /auth/token "
        "working behind your middleware.",
    )
    if _request_id(probe, answer) != "export-7":
        raise _fail(
            probe,
            "the streamed export should carry the client's X-Request-ID too.",
            answer,
            expected="X-Request-ID: export-7",
            hint=_EVERY_ANSWER,
            show=["x-request-id"],
        )
    _expect_timing(probe, answer)
    lines = answer.raw.count(b"\n")
    if lines > 1 and answer.pieces == 1:
        raise _fail(
            probe,
            f"the export's {lines} lines came in one piece: your middleware held the stream "
            "back and sent it whole.",
            answer,
            expected="the answer streamed, a piece per task as the route sends it",
            hint="Change only the `http.response.start` message, and pass every "
            "`http.response.body` message on at once with `await send(message)`: never collect "
            "the body (no `b''.join(...)` of `response.body_iterator`).",
        )


request_ids = _as_it_stands(request_ids)


# --- Task 2 -----------------------------------------------------------------------------------

_ADD_CORS = (
    "Add CORSMiddleware: `app.add_middleware(CORSMiddleware, allow_origins=[BOARD], "
    "allow_credentials=True, allow_methods=[...], allow_headers=[...])`."
)
_DISALLOWED = {
    "origin": "List the board's origin exactly as a browser sends it, scheme and host, without "
    f"a slash at the end: `allow_origins=['{BOARD}']`.",
    "method": "The preflight asked for a method that is not allowed: "
    "`allow_methods=['GET', 'POST', 'PATCH', 'DELETE']` (the default allows GET only).",
    "headers": "The preflight asked for headers that are not allowed: "
    "`allow_headers=['Authorization', 'Content-Type']`.",
}


def _preflight(probe: Probe, origin: str, method: str) -> Answer:
    # As a browser sends it: no token, no cookie.
    return _call(
        probe,
        "OPTIONS",
        "/tasks",
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", ", ".join(CORS_HEADERS)),
        ],
    )


def _listed(answer: Answer, name: str) -> set[str]:
    return {
        item.strip().lower() for value in answer.headers.get_list(name) for item in value.split(",")
    }


def _expect_board_allowed(probe: Probe, answer: Answer, what: str) -> None:
    """The answer names the board as its allowed origin, with credentials."""
    shown = ["access-control-allow-origin", "access-control-allow-credentials"]
    allowed = answer.header("access-control-allow-origin")
    if allowed == "*":
        raise _fail(
            probe,
            f"{what} allows every origin, `*`, which browsers refuse on a request with "
            "credentials.",
            answer,
            expected=f"Access-Control-Allow-Origin: {BOARD}",
            hint=f"Name the origin, `allow_origins=['{BOARD}']`, with `allow_credentials=True`.",
            show=shown,
        )
    if allowed != BOARD:
        raise _fail(
            probe,
            f"{what} should name the board in Access-Control-Allow-Origin.",
            answer,
            expected=f"Access-Control-Allow-Origin: {BOARD}",
            hint=_ADD_CORS if allowed is None else _DISALLOWED["origin"],
            show=shown,
        )
    if answer.header("access-control-allow-credentials") != "true":
        raise _fail(
            probe,
            f"{what} should allow credentials.",
            answer,
            expected="Access-Control-Allow-Credentials: true",
            hint="Pass `allow_credentials=True` to CORSMiddleware.",
            show=shown,
        )


def _expect_preflight_allowed(probe: Probe, method: str) -> None:
    answer = _preflight(probe, BOARD, method)
    what = f"The board's preflight for {method}"
    if answer.status == 405:
        raise _fail(
            probe,
            f"{what} was answered by the router: 405, no route has OPTIONS.",
            answer,
            expected="200, answered by CORS",
            hint=_ADD_CORS,
        )
    if answer.status == 404 and answer.text() == '{"detail":"Not Found"}':
        raise _fail(
            probe, f"{what} should be answered 200.", answer, expected="200", hint=_FROM_TASKBOARD
        )
    if not 200 <= answer.status < 300:
        refused = re.match(r"Disallowed CORS (\w+)", answer.text())
        raise _fail(
            probe,
            f"{what} should be answered 200.",
            answer,
            expected="200",
            hint=_DISALLOWED.get(refused[1], _ADD_CORS) if refused else _ADD_CORS,
        )
    _expect_board_allowed(probe, answer, what)
    if method not in {item.upper() for item in _listed(answer, "access-control-allow-methods")}:
        raise _fail(
            probe,
            f"{what} should list {method} in Access-Control-Allow-Methods.",
            answer,
            expected=f"Access-Control-Allow-Methods with {', '.join(CORS_METHODS)}",
            hint=_DISALLOWED["method"],
            show=["access-control-allow-methods"],
        )
    if not set(CORS_HEADERS) <= _listed(answer, "access-control-allow-headers"):
        raise _fail(
            probe,
            f"{what} should list Authorization and Content-Type in Access-Control-Allow-Headers.",
            answer,
            expected="Access-Control-Allow-Headers with Authorization and Content-Type",
            hint=_DISALLOWED["headers"],
            show=["access-control-allow-headers"],
        )


@check(
    "Task 2",
    "pages from the board, and only from there, may call the API with credentials.",
    settings={"cors_origins": [BOARD]},
    log_in=False,
)
def cors(probe: Probe) -> None:
    for method in CORS_METHODS:
        _expect_preflight_allowed(probe, method)
    answer = _call(probe, "GET", "/health", [("Origin", BOARD)])
    _expect_status(probe, answer, 200, "GET /health from the board", "CORS must not refuse it.")
    _expect_board_allowed(probe, answer, "A request from the board")

    named: list[tuple[str, Answer]] = []
    for origin in OTHER_ORIGINS:
        for answer in (
            _preflight(probe, origin, "PATCH"),
            _call(probe, "GET", "/health", [("Origin", origin)]),
        ):
            if answer.header("access-control-allow-origin") is not None:
                named.append((origin, answer))
                break
    if not named:
        return
    origin, answer = named[0]
    if len(named) == len(OTHER_ORIGINS):
        hint = (
            "Every origin is allowed. With `allow_origins=['*']` and `allow_credentials=True`, "
            "Starlette names whichever origin asks, so every site could call the API as its "
            f"visitors: list the one origin, `allow_origins=['{BOARD}']`."
        )
    else:
        hint = (
            f"Origins other than the board are allowed, such as {origin}: a pattern in "
            "`allow_origin_regex` matches more than the board. List the one origin instead, "
            f"`allow_origins=['{BOARD}']`."
        )
    raise _fail(
        probe,
        f"another origin, {origin}, got an Access-Control-Allow-Origin.",
        answer,
        expected="no Access-Control-Allow-Origin for any origin but the board",
        hint=hint,
        show=["access-control-allow-origin"],
    )


cors = _as_it_stands(cors)


# --- Task 3 -----------------------------------------------------------------------------------

_ADD_SECURITY_HEADERS = (
    "Write a middleware that adds the three headers to the `http.response.start` message of "
    "every answer (as RequestIdMiddleware does), and add it: `app.add_middleware(...)`."
)
_ADD_GZIP = (
    "Add `GZipMiddleware` with `minimum_size=1000`: it compresses an answer of 1000 bytes or "
    "more for a client that sent `Accept-Encoding: gzip`, and leaves smaller ones alone."
)


def _expect_security_headers(probe: Probe, answer: Answer, what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        got = answer.headers.get_list(name)
        if got == [value]:
            continue
        if not got:
            problem = f"{what} has no {name} header."
            hint = _ADD_SECURITY_HEADERS if answer.status == 200 else _EVERY_ANSWER
        else:
            problem = f"{what} should have {name}: {value}."
            hint = f"Give {name} the value {value!r}, once."
        raise _fail(
            probe,
            problem,
            answer,
            expected=f"{name}: {value}",
            hint=hint,
            show=[name],
        )


def _sized(probe: Probe, size: int, accepts: str) -> Answer:
    """An answer of exactly `size` bytes before compression: the 422 of GET /users/<text>,
    which repeats the text it refused."""
    first = _call(probe, "GET", "/users/x", [("Accept-Encoding", "identity")])
    _expect_status(
        probe,
        first,
        422,
        "GET /users/x",
        "The check sizes its answers with the 422 of GET /users/<text>: keep the routes of "
        "checkpoint('08') as they are.",
    )
    path = "/users/" + "x" * (size - len(first.raw) + 1)
    answer = _call(probe, "GET", path, [("Accept-Encoding", accepts)])
    if len(answer.response.content) != size:
        raise _fail(
            probe,
            f"the check could not make an answer of {size} bytes from GET /users/<text>.",
            answer,
            expected=f"a 422 of {size} bytes",
            hint="Keep the routes of checkpoint('08') as they are; only add middleware.",
        )
    return answer


def _expect_encoding(probe: Probe, answer: Answer, compressed: bool, why: str, hint: str) -> None:
    encoding = (answer.header("content-encoding") or "").strip().lower()
    if compressed and encoding != "gzip":
        raise _fail(
            probe,
            why,
            answer,
            expected="Content-Encoding: gzip",
            hint=hint,
            show=["content-encoding", "content-length"],
        )
    if not compressed and encoding:
        raise _fail(
            probe,
            why,
            answer,
            expected="no Content-Encoding: the answer as it is",
            hint=hint,
            show=["content-encoding", "content-length"],
        )
    if compressed:
        try:
            gzip.decompress(answer.raw)
        except (OSError, EOFError):
            raise _fail(
                probe,
                "the answer says gzip, but its body does not decompress.",
                answer,
                expected="a gzip body",
                hint=_ADD_GZIP,
            ) from None


@check(
    "Task 3",
    "every answer has the security headers, and answers of 1000 bytes or more are gzipped.",
    log_in=False,
)
def headers_and_gzip(probe: Probe) -> None:
    for path, status, what in (
        ("/health", 200, "GET /health"),
        ("/nowhere", 404, "A path with no route"),
        ("/users/not-a-number", 422, "A request FastAPI refuses with a 422"),
    ):
        answer = _call(probe, "GET", path)
        _expect_status(probe, answer, status, what, "A middleware must not change the status.")
        _expect_security_headers(probe, answer, what)

    small = _call(probe, "GET", "/health", [("Accept-Encoding", "gzip")])
    _expect_encoding(
        probe,
        small,
        False,
        "a small answer should not be compressed.",
        "Compress only answers of 1000 bytes or more: `minimum_size=1000`.",
    )
    under = _sized(probe, GZIP_MINIMUM_SIZE - 1, "gzip")
    _expect_encoding(
        probe,
        under,
        False,
        f"an answer of {GZIP_MINIMUM_SIZE - 1} bytes should not be compressed.",
        f"Compress from {GZIP_MINIMUM_SIZE} bytes on: `minimum_size={GZIP_MINIMUM_SIZE}` "
        "(GZipMiddleware's default is 500).",
    )
    at = _sized(probe, GZIP_MINIMUM_SIZE, "gzip")
    _expect_encoding(
        probe,
        at,
        True,
        f"an answer of {GZIP_MINIMUM_SIZE} bytes, to a client that accepts gzip, should be "
        "compressed.",
        _ADD_GZIP,
    )
    _expect_security_headers(probe, at, "A compressed answer")
    plain = _sized(probe, GZIP_MINIMUM_SIZE, "identity")
    _expect_encoding(
        probe,
        plain,
        False,
        "a client that does not accept gzip should get the answer as it is.",
        "Compress only for clients that send `Accept-Encoding: gzip`: GZipMiddleware does.",
    )


headers_and_gzip = _as_it_stands(headers_and_gzip)


# --- Task 4 -----------------------------------------------------------------------------------

_ADD_HOSTS = (
    "Only testserver and taskboard.example.com are served: add `TrustedHostMiddleware` with "
    "exactly `allowed_hosts=['testserver', 'taskboard.example.com']` (no `*`). It answers 400 "
    "to any other Host."
)
_ORDER = (
    "The host check answers before anything inside it runs. The last `add_middleware` runs "
    "outermost: add RequestIdMiddleware after TrustedHostMiddleware, so that it wraps it."
)


@check(
    "Task 4",
    "only testserver and taskboard.example.com are served, and a 400 still has a request id.",
    settings={"allowed_hosts": list(HOSTS)},
    log_in=False,
)
def trusted_hosts(probe: Probe) -> None:
    for host in BAD_HOSTS:
        answer = _call(probe, "GET", "/health", [("X-Request-ID", "bad-host-1")], host=host)
        _expect_status(probe, answer, 400, f"A request for the host {host}", _ADD_HOSTS)
    for host in HOSTS:
        answer = _call(probe, "GET", "/health", [("X-Request-ID", "good-host-1")], host=host)
        _expect_status(
            probe,
            answer,
            200,
            f"A request for the host {host}",
            f"{host} is one of the two hosts: `allowed_hosts=['testserver', "
            "'taskboard.example.com']` (TestClient sends testserver).",
        )
        if answer.header("x-request-id") != "good-host-1":
            raise _fail(
                probe,
                "the answer should carry the client's X-Request-ID, as Task 1's middleware gives "
                "it.",
                answer,
                expected="X-Request-ID: good-host-1",
                hint="Add Task 1's middleware to this app too: "
                "`app.add_middleware(RequestIdMiddleware)`.",
                show=["x-request-id"],
            )
    answer = _call(probe, "GET", "/health", [("X-Request-ID", "bad-host-1")], host=BAD_HOSTS[0])
    if answer.header("x-request-id") != "bad-host-1":
        raise _fail(
            probe,
            "the 400 for a bad host should carry the client's X-Request-ID too.",
            answer,
            expected="X-Request-ID: bad-host-1",
            hint=_ORDER,
            show=["x-request-id"],
        )


trusted_hosts = _as_it_stands(trusted_hosts)
