"""The exercise checks: drive a learner's app over HTTP and judge what it does, not how it is written.

A check is a function decorated with `@check(...)` that receives a `Probe`. It sends requests
with `probe.get(...)`/`probe.request(...)` and states what it expects with `probe.expect(...)`.
On success it prints one stable line; on failure it raises `CheckFailed`, which Jupyter shows as
a short report (what was sent, what came back, what was expected, a hint) instead of a traceback.

The probe sees the app's own answers (it never follows a redirect), gives up on a request that
takes longer than `REQUEST_TIMEOUT` seconds, turns whatever a broken app does into a report,
notices when an older version of a re-run cell's function is the one answering, and deletes
what the check created, so a learner's own requests afterwards see only their own data.
"""

import functools
import gc
import importlib
import inspect
import io
import json
import linecache
import re
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, redirect_stdout, suppress
from dataclasses import dataclass
from types import FunctionType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter
from fastapi.exceptions import ResponseValidationError
from fastapi.testclient import TestClient
from httpx2 import RequestNotRead, Response
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import Match
from starlette.testclient import WebSocketDenialResponse, WebSocketTestSession
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from course.login import TOKEN_PATH, has_login, log_in_anyone
from course.progress import record
from course.sockets import EndpointFailed, receive

__all__ = [
    "RECEIVE_TIMEOUT",
    "REQUEST_TIMEOUT",
    "CheckFailed",
    "IfRaises",
    "Probe",
    "Received",
    "Socket",
    "TestRun",
    "check",
    "check_answer",
    "check_tests",
    "checks_of",
    "run_test",
]

# Seconds one request may take before the check gives up on it. Generous, because argon2 takes
# about 0.3 s per password and Binder machines are slow; tests lower it.
REQUEST_TIMEOUT = 10.0
# Seconds a check waits for one message on a WebSocket (lesson 10). A message the app is going
# to send comes at once, in-process; a check that waited longer for one that never comes (a
# broadcast that skipped this client) would only make the learner wait.
RECEIVE_TIMEOUT = 2.0

_BODY_PREVIEW = 300
_WIDTH = 88
_LABEL_WIDTH = 12  # "  expected: "

AWAIT_IT = "Calling an `async def` function gives a coroutine: `await` it."

# Python's warning for a coroutine dropped without ever running: `store.delete(task_id)`
# without `await` does nothing, and only this warning, from the app's event loop, says so.
_NEVER_AWAITED = re.compile(r"coroutine '(?P<name>[^']+)' was never awaited")
# Coroutines a library drops itself, whatever the learner wrote: aiosqlite's, which SQLAlchemy
# starts and abandons when an expired row is read without `await` (MissingGreenlet, lesson 07).
# Neither blamed on the learner nor shown.
_DROPPED_BY_LIBRARIES = frozenset({"Connection.cursor"})

RERUN = (
    "Restart the kernel and run all cells (Kernel > Restart Kernel and Run All Cells), or run "
    "the cell that creates `app` again and then each task's cell once."
)


class CheckFailed(Exception):
    """A check's verdict that a task is not done yet.

    `_render_traceback_` is IPython's hook for custom exceptions: the notebook shows just the
    report, so a learner reads four lines instead of a traceback through the check's own code.
    """

    def __init__(
        self,
        task: str,
        problem: str,
        *,
        sent: str | None = None,
        got: str | None = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.task = task
        self.problem = problem
        self.sent = sent
        self.got = got
        self.expected = expected
        self.hint = hint
        super().__init__(self.report())

    def report(self) -> str:
        """The report, its sentences wrapped at 88 columns with a hanging indent.

        JupyterLab would otherwise break long lines anywhere, even inside a word. What was
        sent and what came back are data, shown exactly as they are, on one line each.
        """
        lines = textwrap.wrap(
            f"✘ {self.task} is not done yet: {self.problem}",
            _WIDTH,
            subsequent_indent=" " * 2,
            break_on_hyphens=False,
        )
        for label, value, wrap in (
            ("sent", self.sent, False),
            ("got", self.got, False),
            ("expected", self.expected, True),
            ("hint", self.hint, True),
        ):
            if not value:
                continue
            line = f"  {label + ':':<{_LABEL_WIDTH - 2}}{value}"
            lines += (
                textwrap.wrap(
                    line,
                    _WIDTH,
                    subsequent_indent=" " * _LABEL_WIDTH,
                    break_on_hyphens=False,
                    break_long_words=False,
                )
                if wrap
                else [line]
            )
        return "\n".join(lines)

    def _render_traceback_(self) -> list[str]:
        return self.report().splitlines()

    def with_hint(self, hint: str) -> "CheckFailed":
        """The same report with another hint: one that knows better what went wrong."""
        return CheckFailed(
            self.task,
            self.problem,
            sent=self.sent,
            got=self.got,
            expected=self.expected,
            hint=hint,
        )


def describe(response: Response) -> str:
    """One line for a response: status, a redirect's target, and a preview of the body."""
    body = response.text
    if len(body) > _BODY_PREVIEW:
        body = body[:_BODY_PREVIEW] + "…"
    status = str(response.status_code)
    if response.is_redirect:
        status += f" redirect to {response.headers.get('location')}"
    return f"{status} {body}" if body else status


def _sent(method: str, url: str, payload: Any = None, form: dict[str, str] | None = None) -> str:
    if form is not None:
        return f"{method} {url} with form {urlencode(form, safe=':')}"
    return f"{method} {url}" + (f" with JSON {json.dumps(payload)}" if payload is not None else "")


def _sent_by(response: Response) -> str:
    request = response.request
    try:
        body = request.content.decode(errors="replace")
    except RequestNotRead:  # a streamed request keeps no body to show
        body = ""
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if form:  # as `_sent` shows it: scope=tasks:read rather than scope=tasks%3Aread
        body = urlencode(parse_qsl(body, keep_blank_values=True), safe=":")
    return f"{request.method} {request.url.raw_path.decode()}" + (
        f" with {'form' if form else 'JSON'} {body}" if body else ""
    )


@dataclass(frozen=True)
class IfRaises:
    """What a check says when the learner's app raises while answering one request.

    Without it the report is generic ("your app raised KeyError while answering"). `problem`
    may name the exception as `{error}`; `only` limits it to exceptions of those class names.
    """

    hint: str
    problem: str | None = None
    expected: str | None = None
    only: tuple[str, ...] = ()


class _Hints:
    """Hints that depend on what the course has taught by the check's lesson."""

    def __init__(self, lesson: str) -> None:
        self.routers_taught = lesson >= "04"

    def route(self, response: Response) -> str | None:
        """A missing route, a wrong method or a redirect explains any answer: it comes first."""
        if response.status_code == 404 and response.text == '{"detail":"Not Found"}':
            where = (
                "the decorator's path (and the router's prefix, and that the app includes the "
                "router)"
                if self.routers_taught
                else "the path in the decorator"
            )
            return f"No route matches this path: check {where}, and that its cell ran."
        if response.status_code == 405:
            return (
                "The path exists but not for this method: check the decorator "
                "(@app.get, @app.post…)."
            )
        if response.is_redirect:
            location = response.headers.get("location", "")
            requested = response.request.url
            if location.rstrip("/") != str(requested.copy_with(query=None)).rstrip("/"):
                return (
                    f"Your app answered with a redirect to {location} instead of answering "
                    "itself: return the answer from this route."
                )
            slash = (
                'On a router with a prefix, write the collection\'s route as "" rather than "/".'
                if self.routers_taught
                else "Write the path exactly as the task gives it, without a trailing slash."
            )
            return (
                "Your app answered with a redirect instead of the answer: its path differs "
                f"from the one requested by a trailing slash. {slash}"
            )
        return None

    @staticmethod
    def status(response: Response) -> str | None:
        """The hint a status suggests when the check has nothing more specific to say."""
        if response.status_code == 422:
            return (
                "FastAPI rejected the request before your code ran: compare the 'loc' above "
                "with your parameters."
            )
        return None


class _Guard:
    """Sits between the check's client and the learner's app, in the app's event loop.

    It turns `sys.exit()` in an endpoint into an exception the check can report (otherwise it
    would crash the client's event loop with a screenful of ExceptionGroup), and it records
    which function answered, so a check can tell an old version of a re-run cell from the new.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.endpoint: Callable[..., Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except SystemExit:
            raise _EndpointExited from None
        finally:
            self.endpoint = scope.get("endpoint")


class _EndpointExited(Exception):
    pass


class _NoAnswer(Exception):
    pass


T = TypeVar("T")


def _bounded(call: Callable[[], T], timeout: float) -> T:
    """`call()` in a daemon thread, waiting at most `timeout` seconds.

    A request that never ends (an endpoint in an endless loop) cannot be stopped from outside,
    and Kernel > Interrupt does not reach it; the check gives up on it instead, and the thread
    is left behind, which the report says.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed to the caller's thread as it is
            outcome.append((False, exc))

    worker = threading.Thread(target=run, daemon=True, name="course-check")
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise _NoAnswer
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _first_line(exc: BaseException) -> str:
    """What went wrong, in one line: a pydantic ValidationError, for one, goes on for several."""
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else error["msg"]
    return str(exc).strip().partition("\n")[0]


def _app_error(exc: BaseException) -> tuple[str, str, str]:
    """(problem, got, hint) for an exception the learner's app raised while answering."""
    text = f"{type(exc).__name__}: {_first_line(exc)}".strip()
    if isinstance(exc, _EndpointExited):
        return (
            "your endpoint called sys.exit(), which would stop a real server.",
            "SystemExit",
            "To refuse a request, raise HTTPException(status_code=..., detail=...).",
        )
    if isinstance(exc, ResponseValidationError):
        error = exc.errors()[0] if exc.errors() else {}
        returned = error.get("input")
        if inspect.iscoroutine(returned):
            # A route with a return type fails its validation before FastAPI tries JSON.
            returned.close()  # it will never run; closed, Python does not warn about it
            return (
                "your function returned a coroutine instead of its result.",
                f"a coroutine of {returned.__qualname__}(), not its result",
                AWAIT_IT,
            )
        given = repr(error.get("input"))
        return (
            "your function returned something its return type does not allow.",
            f"{error.get('msg', 'invalid')}, but the function returned {given:.80}",
            "Return what the return type promises; did a branch end without `return`? "
            "(A function that reaches its end returns None.)",
        )
    if isinstance(exc, ValueError) and exc.args and isinstance(exc.args[0], list):
        # fastapi.encoders.jsonable_encoder gives up with the list of what it tried
        if "coroutine" in str(exc):
            return (
                "your function returned a coroutine instead of its result.",
                "a coroutine object, which is not JSON",
                AWAIT_IT,
            )
        return (
            "FastAPI could not turn what your function returned into JSON.",
            text[:200],
            "Return dicts, lists, strings, numbers, None or Pydantic models.",
        )
    return (
        f"your app raised {type(exc).__name__} while answering.",
        text[:200],
        "Run the request yourself with TestClient(app) to see the full traceback.",
    )


def _current_version(function: Callable[..., Any]) -> Callable[..., Any] | None:
    """The function that now has `function`'s name in its module, if it is a plain global."""
    if not isinstance(function, FunctionType) or "<locals>" in function.__qualname__:
        return None
    module = sys.modules.get(function.__module__)
    current = getattr(module, function.__qualname__, None)
    return current if isinstance(current, FunctionType) else None


def _same_code(old: FunctionType, new: Callable[..., Any] | None) -> bool:
    return (
        isinstance(new, FunctionType)
        and old.__code__ == new.__code__
        and old.__defaults__ == new.__defaults__
    )


class Probe:
    """The check's HTTP client for one task: every surprise becomes a `CheckFailed`."""

    def __init__(
        self, task: str, client: TestClient, guard: _Guard, hints: _Hints, timeout: float
    ) -> None:
        self.task = task
        self._client = client
        self._guard = guard
        self._hints = hints
        self._timeout = timeout
        # Functions that answered although their cell has run again since (name -> function).
        self.outdated: dict[str, FunctionType] = {}
        # What the check created (URL of each), for `clean_up`.
        self.created: list[str] = []
        # Set when a request never answered: its client must not wait for it at the end.
        self.stuck = False
        # Users the check signed up, by URL (/users/7): their username and password. From
        # lesson 08 on only a user may delete themselves, so the probe deletes them as them.
        self._accounts: dict[str, tuple[str, str]] = {}

    @property
    def app(self) -> Any:
        """The app under check, for what HTTP cannot show (such as a cached OpenAPI schema)."""
        return self._guard.app

    @property
    def credentials(self) -> list[tuple[str, str]]:
        """The token and API key the probe sends with every request, for requests made by hand."""
        return [
            (name, value)
            for name, value in self._client.headers.items()
            if name.lower() in ("authorization", "x-api-key")
        ]

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        if_raises: IfRaises | None = None,
    ) -> Response:
        """Send a request, with a JSON body or a form (`application/x-www-form-urlencoded`)."""
        sent = _sent(method, url, json_body, form)
        try:
            response = _bounded(lambda: self._send(method, url, json_body, form), self._timeout)
        except _NoAnswer:
            self.stuck = True
            raise CheckFailed(
                self.task,
                f"your app did not answer within {self._timeout:g} seconds.",
                sent=sent,
                hint="Look for an endless loop or a wait that never ends in that endpoint. "
                "The stuck request keeps running in the background: after fixing the code, "
                "restart the kernel (Kernel > Restart Kernel and Run All Cells).",
            ) from None
        except Exception as exc:  # the learner's endpoint raised: report it, never crash
            self._note_who_answered()  # an old version of a re-run cell may be what raised
            raise self.app_failure(exc, sent, if_raises) from None
        self._note_who_answered()
        self._note_created(method, url, response, json_body)
        return response

    def get_at_once(
        self, url: str, count: int, *, if_raises: IfRaises | None = None
    ) -> list[Response]:
        """`count` GET requests to `url`, all sent at the same moment, as `count` clients would.

        Each comes from a thread of its own through the probe's client, so the app's event loop
        receives them together. All must answer within the probe's timeout, together; the first
        exception the app raised is reported as `request` reports one.
        """
        sent = f"{count} × GET {url} at once"
        outcomes: list[tuple[bool, Any] | None] = [None] * count
        start = threading.Barrier(count)

        def one(index: int) -> None:
            try:
                start.wait()  # every thread is ready: they send together
                outcomes[index] = (True, self._send("GET", url))
            except BaseException as exc:  # handed to the check's thread below
                outcomes[index] = (False, exc)

        threads = [
            threading.Thread(target=one, args=(i,), daemon=True, name="course-check")
            for i in range(count)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + self._timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._note_who_answered()
        if any(thread.is_alive() for thread in threads):
            self.stuck = True
            raise CheckFailed(
                self.task,
                f"your app did not answer all {count} requests within {self._timeout:g} seconds.",
                sent=sent,
                hint="Look for a wait that never ends in that endpoint. The stuck requests keep "
                "running in the background: after fixing the code, restart the kernel "
                "(Kernel > Restart Kernel and Run All Cells).",
            )
        responses = []
        for outcome in outcomes:
            assert outcome is not None  # every thread ended
            ok, value = outcome
            if not ok:
                raise self.app_failure(value, sent, if_raises) from None
            responses.append(value)
        return responses

    def _send(
        self, method: str, url: str, json_body: Any = None, form: dict[str, str] | None = None
    ) -> Response:
        account = self._accounts.get(url.split("?")[0].rstrip("/"))
        if method != "DELETE" or account is None or not has_login(self.app):
            return self._client.request(method, url, json=json_body, data=form)
        # Lesson 08's Taskboard lets a user delete only their own account: log in as them.
        username, password = account
        credentials = {"username": username, "password": password}
        login = self._client.post(TOKEN_PATH, data=credentials, headers=dict(self.credentials))
        token = login.json().get("access_token") if login.status_code == 200 else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._client.request(method, url, json=json_body, headers=headers)

    def note_user(self, url: str, username: str, password: str) -> None:
        """Remember the credentials of a user the check signed up, at `url` (/users/7)."""
        self._accounts[url] = (username, password)

    def app_failure(
        self, exc: Exception, sent: str, if_raises: IfRaises | None = None
    ) -> CheckFailed:
        """The report for an exception the learner's app raised while answering `sent`."""
        problem, got, hint = _app_error(exc)
        expected = None
        error = type(exc).__name__
        if if_raises and (not if_raises.only or error in if_raises.only):
            problem = (if_raises.problem or problem).replace("{error}", error)
            expected, hint = if_raises.expected, if_raises.hint
        return CheckFailed(self.task, problem, sent=sent, got=got, expected=expected, hint=hint)

    @contextmanager
    def sending(self, headers: dict[str, str]) -> Iterator[None]:
        """Send `headers` with every request made inside the block (an API key, say)."""
        saved = {name: self._client.headers.get(name) for name in headers}
        self._client.headers.update(headers)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    del self._client.headers[name]
                else:
                    self._client.headers[name] = value

    def websocket(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        if_raises: IfRaises | None = None,
        shown: str | None = None,
    ) -> AbstractContextManager["Socket"]:
        """Open a WebSocket to the app (lesson 10), in a `with` block; see `Socket`.

        The probe's token and API key go with the handshake, as with its requests, and
        `headers` with them. An app that raises, while connecting or when the check's client
        leaves at the end of the block, is reported through `if_raises`. Reports show the URL
        as `shown`, when given: `/live/board?token=<an expired token>` rather than the token.
        """
        return contextmanager(_websocket)(self, url, headers, if_raises, shown)

    def _note_who_answered(self) -> None:
        self.note_answered_by(self._guard.endpoint)

    def note_answered_by(self, answered: Callable[..., Any] | None) -> None:
        """Remember `answered` if a newer version of it exists: an old re-run cell's function.

        The probe does it for its own requests; a check that calls the app itself does it too.
        """
        current = _current_version(answered) if answered is not None else None
        if current is not None and current is not answered:
            self.outdated[answered.__qualname__] = answered  # type: ignore[union-attr]

    def _note_created(self, method: str, url: str, response: Response, sent: Any = None) -> None:
        """Remember a resource created in a top-level collection (POST /tasks), to delete it.

        A POST below an existing resource (POST /tasks/5/checklist) changes that resource,
        whose id is not new: it is not recorded.
        """
        path = url.split("?")[0].strip("/")
        if method != "POST" or response.status_code != 201 or "/" in path:
            return
        try:
            created = response.json()
        except ValueError:
            return
        if isinstance(created, dict) and isinstance(created.get("id"), int):
            location = f"{url.rstrip('/')}/{created['id']}"
            self.created.append(location)
            if isinstance(sent, dict) and {"username", "password"} <= sent.keys():
                self.note_user(location, str(sent["username"]), str(sent["password"]))

    def get(self, url: str, *, if_raises: IfRaises | None = None) -> Response:
        return self.request("GET", url, if_raises=if_raises)

    def create(self, url: str, body: Any, *, hint: str, hint_first: bool = False) -> dict[str, Any]:
        """POST `body` to `url` for something the check needs; expect 201 with the new `id`."""
        response = self.request("POST", url, json_body=body)
        created = self.json(response) if response.status_code == 201 else None
        self.expect(
            isinstance(created, dict) and isinstance(created.get("id"), int),
            f"this check creates what it needs with POST {url} first, and that did not work.",
            response=response,
            expected='201 with the new resource, {"id": ..., ...}',
            hint=hint,
            hint_first=hint_first,
        )
        return created  # type: ignore[return-value]  # expect() raised unless it is a dict

    def clean_up(self) -> list[str]:
        """Delete what the check created; return the URLs that could not be deleted."""
        left = []
        for url in reversed(self.created):
            try:
                response = _bounded(lambda u=url: self._send("DELETE", u), self._timeout)
            except Exception:  # a broken DELETE is another task's business
                left.append(url)
                continue
            if response.status_code not in (200, 202, 204, 404):
                left.append(url)
        self.created.clear()
        return left[::-1]  # deleted newest first, named in the order they were created

    def openapi(self, *, if_raises: IfRaises | None = None) -> tuple[Response, dict[str, Any]]:
        """GET /openapi.json, failing if it is a copy FastAPI cached before a later change.

        FastAPI builds the schema on the first call of `app.openapi()` and keeps it in
        `app.openapi_schema`; changing the app's metadata afterwards does not rebuild it. A
        check compares the served schema with a fresh one, so a stale copy can neither pass nor
        fail a task wrongly, and it leaves no cached schema of its own behind.
        """
        app = self.app
        had_copy = getattr(app, "openapi_schema", None) is not None
        response = self.get("/openapi.json", if_raises=if_raises)
        self.expect_status(
            response,
            200,
            "GET /openapi.json",
            hint="FastAPI serves the schema at /openapi.json unless told otherwise: keep the default.",
        )
        served = self.json(response)
        # What FastAPI holds now, by its own rules (it rebuilds when routes change).
        held = getattr(app, "openapi_schema", None)
        app.openapi_schema = None
        try:
            fresh = app.openapi()
        except Exception:  # a broken app: the served schema is all there is to judge
            fresh = served
        # Leave the app as the request left it, or with no copy if it had none before.
        app.openapi_schema = held if had_copy else None
        self.expect(
            served == fresh,
            "/openapi.json still shows the schema from before your last change.",
            response=response,
            expected="the schema of your app as it is now",
            hint="FastAPI builds /openapi.json once and keeps it; changing the app's metadata "
            "afterwards does not rebuild it. Set `app.openapi_schema = None` after your change.",
        )
        return response, served

    def json(self, response: Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise CheckFailed(
                self.task,
                "the response body is not JSON.",
                sent=_sent_by(response),
                got=describe(response),
                hint=self._hints.route(response)
                or "Return a dict, a list or a Pydantic model and FastAPI turns it into JSON.",
            ) from None

    def expect(
        self,
        ok: bool,
        problem: str,
        *,
        response: Response,
        expected: str,
        hint: str | None = None,
        hint_first: bool = False,
    ) -> None:
        """Fail with a report unless `ok`.

        A missing route, a wrong method or a redirect is named as such before the check's
        `hint`, unless `hint_first` says the hint explains this response better (say, a route
        another task adds). Without a `hint`, the response's status may suggest one.
        """
        if ok:
            return
        raise CheckFailed(
            self.task,
            problem,
            sent=_sent_by(response),
            got=describe(response),
            expected=expected,
            hint=(hint if hint_first else None)
            or self._hints.route(response)
            or hint
            or self._hints.status(response),
        )

    def expect_status(
        self,
        response: Response,
        status: int,
        what: str,
        hint: str | None = None,
        *,
        hint_first: bool = False,
    ) -> None:
        self.expect(
            response.status_code == status,
            f"{what} should answer {status}.",
            response=response,
            expected=f"status {status}",
            hint=hint,
            hint_first=hint_first,
        )

    def expect_error(
        self, response: Response, status: int, detail: str, what: str, hint: str
    ) -> None:
        """Expect `status` with a `detail` that mentions `detail` (case ignored)."""
        self.expect_status(response, status, what, hint)
        body = self.json(response)
        found = body.get("detail") if isinstance(body, dict) else None
        self.expect(
            isinstance(found, str) and detail.casefold() in found.casefold(),
            f"{what} should say why in `detail`, mentioning {detail!r}.",
            response=response,
            expected=f'{{"detail": "... {detail} ..."}}',
            hint=hint,
        )


# --- WebSockets (lesson 10) --------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One thing the app sent on a WebSocket: a text or bytes message, or its close."""

    text: str | None = None
    data: bytes | None = None
    close_code: int | None = None
    close_reason: str = ""

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    def json(self) -> Any:
        """The message decoded from JSON; None if it is no JSON (or a close)."""
        raw = self.text if self.text is not None else self.data
        try:
            return json.loads(raw) if raw is not None else None
        except ValueError:
            return None

    def show(self) -> str:
        if self.close_code is not None:
            return f"close {self.close_code}" + (
                f" {self.close_reason!r}" if self.close_reason else ""
            )
        if self.text is not None:
            shown = (
                self.text if len(self.text) <= _BODY_PREVIEW else self.text[:_BODY_PREVIEW] + "…"
            )
            return repr(shown)
        return f"bytes {self.data!r:.{_BODY_PREVIEW}}"


def _websocket_route_for(app: Any, path: str) -> bool:
    """Whether a WebSocket route of `app` matches `path` (its query string aside)."""
    scope = {"type": "websocket", "path": path.split("?")[0], "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in getattr(app, "routes", ()))


class Socket:
    """The check's WebSocket to the learner's app (`Probe.websocket`): every wait is bounded.

    After connecting, `accepted` says whether the app accepted the socket; if not, `refusal` is
    the close it sent instead (`Received`), or `denial` the HTTP answer it gave the handshake.
    `transcript` lists what the check did, for a report's `sent`.
    """

    def __init__(
        self, probe: "Probe", url: str, headers: dict[str, str] | None, shown: str | None
    ) -> None:
        self._probe = probe
        self.url = url
        self._headers = headers
        self._session: WebSocketTestSession | None = None
        self.accepted = False
        self.refusal: Received | None = None
        self.denial: Response | None = None
        self.transcript: list[str] = [f"WebSocket {shown or url}"]
        self._left = False

    @property
    def sent(self) -> str:
        """What the check did on this socket, as one line."""
        return ", then ".join(self.transcript)

    def _connect(self, if_raises: IfRaises | None) -> None:
        probe = self._probe
        session = probe._client.websocket_connect(self.url, headers=dict(self._headers or {}))
        try:
            _bounded(session.__enter__, probe._timeout)
            self.accepted = True
        except _NoAnswer:
            probe.stuck = True
            raise CheckFailed(
                probe.task,
                f"your app neither accepted nor refused the WebSocket within {probe._timeout:g} "
                "seconds.",
                sent=self.sent,
                hint="An endpoint answers a WebSocket with `await websocket.accept()` (or closes "
                "it): look for a wait that never ends before that.",
            ) from None
        except WebSocketDenialResponse as denial:
            self.denial = denial
            return
        except WebSocketDisconnect as closed:
            self.refusal = Received(close_code=closed.code, close_reason=closed.reason or "")
            if not _websocket_route_for(probe.app, self.url):
                raise CheckFailed(
                    probe.task,
                    "no WebSocket route matches this path.",
                    sent=self.sent,
                    got=self.refusal.show(),
                    hint="Check the path in `@app.websocket(...)`, and that its cell ran.",
                ) from None
            return
        except Exception as exc:  # the learner's endpoint raised before accepting
            raise probe.app_failure(exc, self.sent, if_raises) from None
        finally:
            if not self.accepted:  # the app's call is over: its endpoint is known
                probe.note_answered_by(probe._guard.endpoint)
        self._session = session

    def _live(self) -> WebSocketTestSession:
        if self._session is None:
            raise RuntimeError("the socket was not accepted")  # a bug in the check itself
        return self._session

    def send_text(self, text: str, *, shown: str | None = None) -> None:
        """Send `text`; reports show it as `shown`, when given (a token, say)."""
        self.transcript.append(shown or repr(text))
        self._live().send_text(text)

    def send_json(self, data: Any, *, shown: str | None = None) -> None:
        self.transcript.append(shown or json.dumps(data))
        self._live().send_json(data)

    def leave(self, code: int = 1000) -> None:
        """The client goes away, as a browser tab that closes: the endpoint gets the disconnect.

        The session stays open until `finish` or the end of the `with` block: TestClient would
        cancel the endpoint at once, before it had finished reacting to the goodbye.
        """
        self.transcript.append("left")
        self._left = True
        self._live().close(code)

    def receive(
        self, timeout: float | None = None, *, if_raises: IfRaises | None = None
    ) -> Received | None:
        """What the app sends next, or None if nothing came within `timeout` seconds."""
        try:
            message = receive(self._live(), timeout or RECEIVE_TIMEOUT)
        except TimeoutError:
            return None
        except EndpointFailed:
            error = self._end() or RuntimeError("the endpoint stopped")
            raise self._probe.app_failure(error, self.sent, if_raises) from None
        if message["type"] == "websocket.close":
            return Received(
                close_code=message.get("code", 1000), close_reason=message.get("reason") or ""
            )
        return Received(text=message.get("text"), data=message.get("bytes"))

    def finish(self, *, if_raises: IfRaises | None = None) -> None:
        """End the session now (the client is gone); CheckFailed if the endpoint raised."""
        if self._session is None:
            return
        if not self._left:
            self.transcript.append("left")
        error = self._end()
        if error is not None:
            raise self._probe.app_failure(error, self.sent, if_raises)

    def _end(self) -> BaseException | None:
        """Close the session; the exception the endpoint ended with, if any."""
        session, self._session = self._session, None
        probe = self._probe
        if session is None or probe.stuck:
            return None
        try:
            _bounded(lambda: session.__exit__(None, None, None), probe._timeout)
        except _NoAnswer:
            probe.stuck = True
        except Exception as exc:
            return exc
        finally:
            # The endpoint is known once its call is over: an old version of a re-run cell's?
            probe.note_answered_by(probe._guard.endpoint)
        return None


def _websocket(
    probe: "Probe",
    url: str,
    headers: dict[str, str] | None,
    if_raises: IfRaises | None,
    shown: str | None,
) -> Iterator[Socket]:
    socket = Socket(probe, url, headers, shown)
    socket._connect(if_raises)
    try:
        yield socket
    except BaseException:
        socket._end()  # the check has failed already: its report says more than the end would
        raise
    socket.finish()


def _not_an_app(task: str, app: object) -> CheckFailed | None:
    if isinstance(app, APIRouter):
        return CheckFailed(
            task,
            "this is an APIRouter, not an app: a router serves nothing until an app includes it.",
            hint="Include it, `app.include_router(router)`, and pass `app` to the check.",
        )
    if not callable(app):
        return CheckFailed(
            task,
            f"expected your FastAPI app, got {type(app).__name__} ({app!r:.60}).",
            hint="Pass the app the task asks for and run the cell that builds it again.",
        )
    return None


@contextmanager
def _probe_for(task: str, app: object, lesson: str, *, log_in: bool = True) -> Iterator[Probe]:
    """A probe on `app`, with the app's lifespan running, as under a real server.

    If the app has Taskboard's login (lesson 08) and `log_in` is true, the probe sends a token
    with every request, as the learner's own client would: the demo account's, or that of a
    user it signs up for the check and deletes afterwards.
    """
    problem = _not_an_app(task, app)
    if problem:
        raise problem
    if isinstance(app, Starlette):
        # Starlette builds its middleware stack on the first request and keeps it, so an
        # exception handler added after a request would be ignored. Dropping the stack makes
        # the next request build it from the app as it is now; and `add_middleware` works again
        # after a check, since it refuses to run once a stack exists.
        app.middleware_stack = None
    timeout = REQUEST_TIMEOUT
    guard = _Guard(app)
    client = TestClient(guard, follow_redirects=False)
    try:
        _bounded(client.__enter__, timeout)
    except _NoAnswer:
        raise CheckFailed(
            task,
            f"your app did not finish starting within {timeout:g} seconds.",
            hint="Look at its lifespan: everything before `yield` must finish.",
        ) from None
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(
            task,
            f"the app failed before any request: {type(exc).__name__}: {exc}",
            hint="Check that `app` is an app (FastAPI()) and that its lifespan, if any, works.",
        ) from None
    signed_up = None
    if log_in and has_login(app):
        try:
            signed_up = _bounded(lambda: log_in_anyone(client, app), timeout)
        except Exception as exc:
            raise CheckFailed(
                task,
                f"the check could not log in to your app: {_first_line(exc)}",
                hint="Every check logs in first, as the demo account: keep lesson 08's "
                "POST /auth/token and sign-up working.",
            ) from None
    probe = Probe(task, client, guard, _Hints(lesson), timeout)
    try:
        yield probe
    finally:
        if signed_up is not None and not probe.stuck:
            with suppress(Exception):  # its own token may delete it
                _bounded(lambda: client.delete(f"/users/{signed_up}"), timeout)
        if not probe.stuck:  # leaving a client whose request is stuck would wait for it forever
            # a failing shutdown is not what the task is about
            with suppress(Exception):
                _bounded(lambda: client.__exit__(None, None, None), timeout)
        if isinstance(app, Starlette):
            app.middleware_stack = None


def _outdated_report(task: str, probe: Probe, failed: CheckFailed | None) -> CheckFailed | None:
    """A report for an answer that came from an older version of a re-run cell's function.

    Only when it matters: the check failed, or the newer version differs from the one that
    answered (if both are the same code, the verdict holds for the code as it stands).
    """
    changed = [
        name for name, old in probe.outdated.items() if not _same_code(old, _current_version(old))
    ]
    if not (changed or (failed and probe.outdated)):
        return None
    names = ", ".join(f"`{name}`" for name in (changed or sorted(probe.outdated)))
    return CheckFailed(
        task,
        f"an earlier version of {names} answered, not the one your notebook has now: its cell "
        "ran again, and FastAPI keeps answering with the first route declared for a path.",
        sent=failed.sent if failed else None,
        got=failed.got if failed else None,
        hint=RERUN,
    )


def _lesson_of(body: Callable[..., Any]) -> str:
    return body.__module__.rpartition(".")[2].removeprefix("lesson")


@contextmanager
def _recording(lesson: str, task: str, success: str) -> Iterator[None]:
    """Record the verdict of the check run inside for `course.progress()` (which never raises),
    and print the check's success line when it passed."""
    try:
        yield
    except CheckFailed:
        record(lesson, task, passed=False)
        raise
    record(lesson, task, passed=True)
    print(f"✔ {task} passed: {success}")


def _marked(
    checker: Callable[[Any], None],
    task: str,
    success: str,
    settings: dict[str, Any],
    *,
    judges_app: bool,
) -> Callable[[Any], None]:
    """Mark `checker` as a check, for listings (`checks_of`) and the catch-up tests: its task,
    its success line, the settings its task states, and whether it judges an app."""
    checker.task = task  # type: ignore[attr-defined]
    checker.success = success  # type: ignore[attr-defined]
    checker.settings = settings  # type: ignore[attr-defined]
    checker.judges_app = judges_app  # type: ignore[attr-defined]
    return checker


def check(
    task: str, success: str, *, settings: dict[str, Any] | None = None, log_in: bool = True
) -> Callable[[Callable[[Probe], None]], Callable[[object], None]]:
    """Turn `def body(probe): ...` into `checker(app)`, which prints `success` or raises CheckFailed.

    Either verdict is recorded for `course.progress()`.

    `settings` are the values a task states for the app's Settings; the catch-up tests build
    the lesson's app with them. `log_in=False` leaves a Taskboard with a login (lesson 08 on)
    unauthenticated, for checks that send their own tokens.
    """

    def decorate(body: Callable[[Probe], None]) -> Callable[[object], None]:
        lesson = _lesson_of(body)

        @functools.wraps(body)
        def checker(app: object) -> None:
            with (
                _recording(lesson, task, success),
                _noting_dropped_coroutines() as dropped,
                _probe_for(task, app, lesson, log_in=log_in) as probe,
            ):
                try:
                    left = _run(task, probe, body)
                except CheckFailed as failed:
                    if dropped and failed.hint != RERUN:
                        raise CheckFailed(
                            task,
                            f"your function called {dropped[0]}() without `await`, so it "
                            "never ran.",
                            sent=failed.sent,
                            got=failed.got,
                            hint=AWAIT_IT,
                        ) from None
                    raise
            if left:
                print(
                    textwrap.fill(
                        "(The check could not delete what it created, so it stays in your "
                        f"app: {', '.join(left)}.)",
                        _WIDTH,
                        initial_indent="  ",
                        subsequent_indent="  ",
                    )
                )

        return _marked(checker, task, success, settings or {}, judges_app=True)

    return decorate


def check_answer(
    task: str, success: str
) -> Callable[[Callable[[str, Any], None]], Callable[[Any], None]]:
    """Like `check`, for a task whose answer is not an app: a manifest, a class, a function.

    `def body(task, answer): ...` judges the answer and raises `CheckFailed(task, ...)` when it
    falls short. As with `check`, `checker(answer)` prints `success` or raises, and either
    verdict is recorded for `course.progress()`. An exception the body lets through (one the
    learner's code raised where the check did not expect it) becomes a short report too.

    Such a checker has `judges_app = False`: the catch-up tests give apps only to the others.
    """

    def decorate(body: Callable[[str, Any], None]) -> Callable[[Any], None]:
        lesson = _lesson_of(body)

        @functools.wraps(body)
        def checker(answer: Any) -> None:
            with _recording(lesson, task, success):
                try:
                    body(task, answer)
                except CheckFailed:
                    raise
                except NotImplementedError:
                    raise CheckFailed(
                        task,
                        "your answer is not written yet: it raised NotImplementedError.",
                        hint="Write your code where it says `# YOUR CODE HERE`, run its cell "
                        "again, then this check.",
                    ) from None
                except Exception as exc:
                    raise CheckFailed(
                        task,
                        f"your answer raised {type(exc).__name__} while the check used it.",
                        got=f"{type(exc).__name__}: {_first_line(exc)}".strip(" :")[:200],
                        hint="Run your code yourself on the same input to see the full traceback.",
                    ) from None

        return _marked(checker, task, success, {}, judges_app=False)

    return decorate


@contextmanager
def _noting_dropped_coroutines() -> Iterator[list[str]]:
    """Collect the names of coroutines the app dropped unawaited while the check runs.

    Warning filters are process-wide, so this also catches the warning raised in the thread of
    the app's event loop; the report says it instead, so Python's warning is not shown.
    """
    dropped: list[str] = []
    with warnings.catch_warnings():
        warnings.filterwarnings("always", _NEVER_AWAITED.pattern, RuntimeWarning)
        show = warnings.showwarning

        def note(message: Warning | str, *args: Any, **kwargs: Any) -> None:
            found = _NEVER_AWAITED.match(str(message))
            if found:
                if found["name"] not in _DROPPED_BY_LIBRARIES:
                    dropped.append(found["name"])
            else:
                show(message, *args, **kwargs)

        warnings.showwarning = note
        try:
            yield dropped
        finally:
            gc.collect()  # a coroutine dropped in a reference cycle is reported now, not later


def _run(task: str, probe: Probe, body: Callable[[Probe], None]) -> list[str]:
    """Run the check's body, then clean up after it, whatever its verdict.

    Returns the URLs of what the check created and could not delete.
    """
    try:
        body(probe)
    except CheckFailed as failed:
        if not probe.stuck:
            probe.clean_up()
        raise (_outdated_report(task, probe, failed) or failed) from None
    left = probe.clean_up()
    outdated = _outdated_report(task, probe, None)
    if outdated:
        raise outdated
    return left


# --- Checks that judge a learner's test function (lesson 13) ------------------------------------


@dataclass(frozen=True)
class TestRun:
    """What one run of a learner's test function against an app did."""

    __test__ = False  # not a pytest test class, whatever its name

    # None when the test passed; else one line: what it raised, and at which line of the test.
    failure: str | None
    # The requests it sent through the client it was given.
    requests: int

    @property
    def passed(self) -> bool:
        return self.failure is None


class _CountingClient(TestClient):
    """TestClient that counts the requests sent through it: a test may ignore the one it gets."""

    __test__ = False

    sent = 0

    def request(self, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        self.sent += 1
        return super().request(*args, **kwargs)


def _failing_line(exc: BaseException, code: Any) -> str | None:
    """The source of the line of the test function itself where `exc` went through."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            where = tb.tb_lineno
        tb = tb.tb_next
    if where is None:
        return None
    return linecache.getline(code.co_filename, where).strip() or f"line {where}"


def _test_failure(exc: BaseException, code: Any) -> str:
    """One line for a failed test, as pytest would sum it up: the assert or the exception."""
    message = _first_line(exc)[:200]
    line = _failing_line(exc, code)
    if isinstance(exc, AssertionError) and line and line.startswith("assert"):
        return f"`{line}` failed" + (f": {message}" if message else "")
    failed = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return failed + (f", at `{line}`" if line else "")


def run_test(
    test: Callable[[TestClient], object], app: Any, timeout: float | None = None
) -> TestRun:
    """Run a learner's test function against `app`, as pytest runs a test with a client fixture.

    The test gets `with TestClient(app) as client` (the app's lifespan runs) and passes if it
    returns. Whatever it raises is a failure: an assert that fails, or an exception the app
    raised while answering (TestClient passes them on, as pytest shows them). What it prints is
    not shown. A test that does not finish within `timeout` seconds fails too.
    """
    limit = REQUEST_TIMEOUT if timeout is None else timeout
    code = getattr(test, "__code__", None)

    def run() -> TestRun:
        with _CountingClient(app) as client, redirect_stdout(io.StringIO()):
            try:
                returned = test(client)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # pytest.fail() and sys.exit() fail a test too
                return TestRun(_test_failure(exc, code), client.sent)
            if inspect.iscoroutine(returned):
                returned.close()  # it never ran; closed, Python does not warn about it
                return TestRun("it is an `async def` function: calling it ran nothing", 0)
            return TestRun(None, client.sent)

    try:
        return _bounded(run, limit)
    except _NoAnswer:
        return TestRun(f"it did not finish within {limit:g} seconds", 0)


def _not_a_test(task: str, test: object) -> CheckFailed | None:
    """A report when `test` is not a function that takes the client, as `def test_x(client)`."""
    if isinstance(test, (Starlette, APIRouter)) or not callable(test):
        return CheckFailed(
            task,
            f"expected your test function, got {type(test).__name__}.",
            hint="Pass the test function itself, without calling it: `check.task(test_name)`.",
        )
    if inspect.iscoroutinefunction(test):
        return CheckFailed(
            task,
            "your test is an `async def` function.",
            hint="Write it with `def`: TestClient sends each request and waits for the answer, "
            "so a test that uses it needs no `await`.",
        )
    try:
        inspect.signature(test).bind(object())
    except TypeError:
        return CheckFailed(
            task,
            "your test function does not take exactly one argument, the client.",
            hint="Declare it as `def test_...(client):` and send every request with `client`.",
        )
    except ValueError:  # a builtin without a signature: let the run say what it does
        pass
    return None


def check_tests(
    task: str, success: str
) -> Callable[[Callable[[Any], None]], Callable[[object], None]]:
    """Like `check`, for a check that judges a learner's test function instead of an app.

    `def body(test): ...` runs the test (`run_test`) and raises CheckFailed for a verdict against
    it; the checker refuses what is not a test function first, records either verdict for
    `course.progress()` and prints `success`.
    """

    def decorate(body: Callable[[Any], None]) -> Callable[[object], None]:
        lesson = _lesson_of(body)

        @functools.wraps(body)
        def checker(test: object) -> None:
            with _recording(lesson, task, success):
                problem = _not_a_test(task, test)
                if problem:
                    raise problem
                body(test)

        return _marked(checker, task, success, {}, judges_app=False)

    return decorate


def checks_of(lesson: str) -> tuple[Callable[[object], None], ...]:
    """Every check of `course/checks/lessonNN.py`, in the order they are defined."""
    module = importlib.import_module(f"course.checks.lesson{lesson}")
    return tuple(value for value in vars(module).values() if hasattr(value, "task"))
