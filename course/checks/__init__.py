"""The exercise checks: drive a learner's app over HTTP and judge what it does, not how it is written.

A check is a function decorated with `@check(...)` that receives a `Probe`. It sends requests
with `probe.get(...)`/`probe.request(...)` and states what it expects with `probe.expect(...)`.
On success it prints one stable line; on failure it raises `CheckFailed`, which Jupyter shows as
a short report (what was sent, what came back, what was expected, a hint) instead of a traceback.
"""

import functools
import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import RequestNotRead, Response

__all__ = ["CheckFailed", "Probe", "check", "checks_of"]

_BODY_PREVIEW = 300


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
        lines = [f"✘ {self.task} is not done yet: {self.problem}"]
        for label, value in (
            ("sent", self.sent),
            ("got", self.got),
            ("expected", self.expected),
            ("hint", self.hint),
        ):
            if value:
                lines.append(f"  {label + ':':<9} {value}")
        return "\n".join(lines)

    def _render_traceback_(self) -> list[str]:
        return self.report().splitlines()


def describe(response: Response) -> str:
    """One line for a response: status and a preview of the body."""
    body = response.text
    if len(body) > _BODY_PREVIEW:
        body = body[:_BODY_PREVIEW] + "…"
    return f"{response.status_code} {body}" if body else str(response.status_code)


def _sent(method: str, url: str, payload: Any = None) -> str:
    return f"{method} {url}" + (f" with JSON {json.dumps(payload)}" if payload is not None else "")


def _sent_by(response: Response) -> str:
    request = response.request
    try:
        body = request.content.decode(errors="replace")
    except RequestNotRead:  # a redirected request (GET /labels -> /labels/) keeps no body
        body = ""
    return f"{request.method} {request.url.raw_path.decode()}" + (
        f" with JSON {body}" if body else ""
    )


def _route_hint(response: Response) -> str | None:
    """A missing route or method explains any answer, so this hint beats a check's own."""
    if response.status_code == 404 and response.text == '{"detail":"Not Found"}':
        return (
            "No route matches this path: check the decorator's path (and a router's prefix, "
            "and that the app includes the router), and that its cell ran."
        )
    if response.status_code == 405:
        return (
            "The path exists but not for this method: check the decorator (@app.get, @app.post…)."
        )
    return None


def _status_hint(response: Response) -> str | None:
    """The hint a status suggests when the check has nothing more specific to say."""
    if response.status_code == 422:
        return "FastAPI rejected the request before your code ran: compare the 'loc' above with your parameters."
    return None


class Probe:
    """The check's HTTP client for one task: every surprise becomes a `CheckFailed`."""

    def __init__(self, task: str, client: TestClient) -> None:
        self.task = task
        self._client = client

    @property
    def app(self) -> Any:
        """The app under check, for what HTTP cannot show (such as a cached OpenAPI schema)."""
        return self._client.app

    def request(self, method: str, url: str, *, json_body: Any = None) -> Response:
        sent = _sent(method, url, json_body)
        try:
            return self._client.request(method, url, json=json_body)
        except Exception as exc:  # the learner's endpoint raised: report it, never crash
            raise CheckFailed(
                self.task,
                f"your app raised {type(exc).__name__} while answering.",
                sent=sent,
                got=f"{type(exc).__name__}: {exc}".strip(),
                hint="Run the request yourself with TestClient(app) to see the full traceback.",
            ) from None

    def get(self, url: str) -> Response:
        return self.request("GET", url)

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

    def openapi(self) -> tuple[Response, dict[str, Any]]:
        """GET /openapi.json, failing if it is a copy FastAPI cached before a later change.

        FastAPI builds the schema on the first request and keeps it in `app.openapi_schema`;
        changing the app's metadata afterwards does not rebuild it. A check compares the served
        schema with a fresh one, so a stale copy can neither pass nor fail a task wrongly, and it
        leaves no cached schema of its own behind.
        """
        app = self.app
        cached = getattr(app, "openapi_schema", None)
        response = self.get("/openapi.json")
        self.expect_status(
            response,
            200,
            "GET /openapi.json",
            hint="FastAPI serves the schema at /openapi.json unless told otherwise: keep the default.",
        )
        served = self.json(response)
        if cached is None:
            app.openapi_schema = None
            return response, served
        app.openapi_schema = None
        try:
            fresh = app.openapi()
        except Exception:  # a broken app: the served schema is all there is to judge
            fresh = served
        finally:
            app.openapi_schema = cached
        self.expect(
            served == fresh,
            "/openapi.json still shows the schema from before your last change.",
            response=response,
            expected="the schema of your app as it is now",
            hint="FastAPI builds /openapi.json on the first request and keeps it; changing the "
            "app's metadata afterwards does not rebuild it. Set `app.openapi_schema = None` "
            "after your change.",
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
                hint="Return a dict, a list or a Pydantic model and FastAPI turns it into JSON.",
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

        A missing route or method is named as such before the check's `hint`, unless
        `hint_first` says the hint explains this response better (say, a route another task
        adds). Without a `hint`, the response's status may suggest one.
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
            or _route_hint(response)
            or hint
            or _status_hint(response),
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


@contextmanager
def _client_for(task: str, app: object) -> Iterator[TestClient]:
    if not callable(app):
        raise CheckFailed(
            task,
            f"expected your FastAPI app, got {type(app).__name__} ({app!r:.60}).",
            hint="Pass the app the task asks for (`app = FastAPI()`, `create_app(...)`…) and re-run the cell that builds it.",
        )
    # `with` runs the app's lifespan, as a real server would, so startup errors surface here.
    try:
        with TestClient(app) as client:
            yield client
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(
            task,
            f"the app failed outside any request: {type(exc).__name__}: {exc}",
            hint="Check that `app` is an ASGI app (FastAPI()) and that its lifespan, if any, works.",
        ) from None


def check(task: str, success: str) -> Callable[[Callable[[Probe], None]], Callable[[object], None]]:
    """Turn `def body(probe): ...` into `checker(app)`, which prints `success` or raises CheckFailed."""

    def decorate(body: Callable[[Probe], None]) -> Callable[[object], None]:
        @functools.wraps(body)
        def checker(app: object) -> None:
            with _client_for(task, app) as client:
                body(Probe(task, client))
            print(f"✔ {task} passed: {success}")

        checker.task = task  # type: ignore[attr-defined]  # marks it as a check, for listings
        return checker

    return decorate


def checks_of(lesson: str) -> tuple[Callable[[object], None], ...]:
    """Every check of `course/checks/lessonNN.py`, in the order they are defined."""
    module = importlib.import_module(f"course.checks.lesson{lesson}")
    return tuple(value for value in vars(module).values() if hasattr(value, "task"))
