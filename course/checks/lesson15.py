"""Lesson 15 checks: deploying Taskboard.

Task 1 judges an app, as every check so far: its readiness route, with the database up, then
down in three ways (a file SQLite cannot open, a PostgreSQL server that refuses the connection,
and one that never answers), swapped in as the app's store for a moment. The other three judge
an answer that is no app (`check_answer`): a settings class, run against variables and secret
files the check sets; a function that invokes a Lambda handler, given Taskboard's own handler;
and a Kubernetes Deployment, validated against Kubernetes' schema by kubernetes-validate.
"""

import asyncio
import base64
import inspect
import ipaddress
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from course.checks import (
    REQUEST_TIMEOUT,
    CheckFailed,
    IfRaises,
    Probe,
    _bounded,
    _first_line,
    _NoAnswer,
    check,
    check_answer,
)
from taskboard.db.engine import make_engine
from taskboard.db.store import DatabaseStore
from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME

# --- Task 1: readiness ----------------------------------------------------------------------------

READY = {"status": "ready"}
UNAVAILABLE = "Database unavailable"
# The task asks for an answer within a second; a busy machine gets three.
SLOWEST_503 = 3.0
# A PostgreSQL server that never answers makes asyncpg give up after this many seconds, so an
# answer without a deadline of its own comes late (and fails) rather than never.
DRIVER_TIMEOUT = 4.5

_NOT_DATABASE = (
    "Build `app` as the task's cell does: Taskboard from `checkpoint(...)`, whose store keeps the "
    "board in a database (`app.state.store.engine`)."
)
_ASK_EACH_TIME = (
    "/ready must ask the database each time it is called: run `SELECT 1` through "
    "`request.app.state.store.engine` inside the route (not an engine or an answer kept from "
    "before), and answer 503 when it fails."
)
_CATCH_ALL = (
    "A database that is down raises more than SQLAlchemy's own errors: a refused connection is a "
    "ConnectionRefusedError (an OSError), and `asyncio.timeout` raises TimeoutError. Catch every "
    "Exception around the query and answer 503."
)
_LIVENESS = (
    "Leave /health as it was: it says the process is alive. If it checked the database, an "
    "outage would make Kubernetes restart every replica."
)
_DEADLINE = (
    "Give the query a deadline of one second, `async with asyncio.timeout(1):` around it, and "
    "answer 503 when it expires (it raises TimeoutError)."
)


@check(
    "Task 1",
    "GET /ready answers 200 while the database answers, and 503 within a second when it does not.",
    log_in=False,
)
def readiness(probe: Probe) -> None:
    store = getattr(getattr(probe.app, "state", None), "store", None)
    engine = getattr(store, "engine", None)
    if not isinstance(store, DatabaseStore) or not isinstance(engine, AsyncEngine):
        raise CheckFailed(
            probe.task,
            "this app keeps no database: the check needs Taskboard's, to take it down.",
            hint=_NOT_DATABASE,
        )
    _expect_ready(probe, "GET /ready with the database up")
    for number, (what, outage) in enumerate(_OUTAGES):
        with outage() as broken, _serving(probe, store, broken):
            start = time.perf_counter()
            response = probe.get(
                "/ready",
                if_raises=IfRaises(
                    problem=f"your app raised {{error}} while {what}.",
                    expected=f'503 with {{"detail": "{UNAVAILABLE}"}}',
                    hint=_CATCH_ALL,
                ),
            )
            took = time.perf_counter() - start
            probe.expect(
                response.status_code != 200,
                f"/ready answered 200 while {what}.",
                response=response,
                expected=f'503 with {{"detail": "{UNAVAILABLE}"}}',
                hint=_ASK_EACH_TIME,
            )
            probe.expect_status(response, 503, f"GET /ready while {what}", hint=_CATCH_ALL)
            body = probe.json(response)
            probe.expect(
                isinstance(body, dict) and body.get("detail") == UNAVAILABLE,
                f'the 503 should say {{"detail": "{UNAVAILABLE}"}}.',
                response=response,
                expected=f'503 with {{"detail": "{UNAVAILABLE}"}}',
                hint=f'Raise `HTTPException(503, "{UNAVAILABLE}")`: FastAPI puts the text in detail.',
            )
            probe.expect(
                took <= SLOWEST_503,
                f"/ready took more than {SLOWEST_503:g} seconds to answer while {what}.",
                response=response,
                expected="the 503 within a second",
                hint=_DEADLINE,
            )
            if number == 0:
                health = probe.get("/health", if_raises=IfRaises(hint=_LIVENESS))
                probe.expect(
                    health.status_code == 200,
                    f"/health should still answer 200 while {what}.",
                    response=health,
                    expected='200 {"status": "ok"}',
                    hint=_LIVENESS,
                )
    _expect_ready(probe, "GET /ready once the database is back")


def _expect_ready(probe: Probe, what: str) -> None:
    response = probe.get("/ready")
    hint = None
    if response.status_code in (401, 403):
        hint = "Kubernetes sends no token: /ready must be public, like /health."
    elif response.status_code == 503:
        hint = (
            "The database is up, so your query itself failed: write it as SQLAlchemy 2 wants "
            'raw SQL, `await connection.execute(text("SELECT 1"))` (text from sqlalchemy).'
        )
    probe.expect_status(response, 200, what, hint)
    probe.expect(
        probe.json(response) == READY,
        f"{what} should answer {READY}.",
        response=response,
        expected=f"200 {READY}",
        hint='Return {"status": "ready"} when the database answers.',
    )


@contextmanager
def _serving(probe: Probe, store: DatabaseStore, broken: AsyncEngine) -> Iterator[None]:
    """The app's store swapped for one on `broken`, as if the database went down after startup."""
    outage = DatabaseStore(broken, events=store.events)
    outage._schema_ready = True  # the schema was made at startup, when the database was up
    probe.app.state.store = outage
    try:
        yield
    finally:
        probe.app.state.store = store
        with suppress(Exception, _NoAnswer):
            _bounded(lambda: asyncio.run(broken.dispose()), REQUEST_TIMEOUT)


@contextmanager
def _sqlite_file_that_cannot_open() -> Iterator[AsyncEngine]:
    with tempfile.TemporaryDirectory() as folder:
        yield make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'missing' / 'taskboard.db'}")


@contextmanager
def _postgresql_that_refuses() -> Iterator[AsyncEngine]:
    with socket.socket() as sock:  # a port nothing listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield make_engine(f"postgresql+asyncpg://taskboard:taskboard@127.0.0.1:{port}/taskboard")


@contextmanager
def _postgresql_that_never_answers() -> Iterator[AsyncEngine]:
    # The kernel completes the TCP handshake for a listening socket; nobody ever reads from it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        yield make_engine(
            f"postgresql+asyncpg://taskboard:taskboard@127.0.0.1:{port}/taskboard",
            connect_args={"timeout": DRIVER_TIMEOUT},
        )


_OUTAGES: tuple[tuple[str, Callable[[], Any]], ...] = (
    ("the database file could not be opened", _sqlite_file_that_cannot_open),
    ("the database server refused the connection", _postgresql_that_refuses),
    ("the database server never answered", _postgresql_that_never_answers),
)

# --- Task 2: settings and secrets -----------------------------------------------------------------

SECRET_KEY = "k7Qm2VxR9pLw4ZtN8cYb3HfJ6dGs5AeU1oKi0Wq"  # 39 characters, as token_urlsafe(29)
SHORT_KEY = "k7Qm2VxR9pLw4ZtN8cYb3HfJ6dGs5Ae"  # 31
DB_PASSWORD = "pw-Xy7k2Lq9"
DATABASE_URL = f"postgresql+asyncpg://taskboard:{DB_PASSWORD}@db.internal:5432/taskboard"
_OUR_VARIABLES = ("TASKBOARD_", "DATABASE_URL")

_PREFIX = (
    'Read secret_key from TASKBOARD_SECRET_KEY: give the class `env_prefix="TASKBOARD_"` in its '
    "`model_config = SettingsConfigDict(...)`."
)
_NO_PREFIX = (
    "DATABASE_URL has no TASKBOARD_ prefix: give database_url "
    '`Field(validation_alias="DATABASE_URL")`.'
)
_SECRET_STR = (
    "Declare both as SecretStr: they print as '**********', and `.get_secret_value()` reads them."
)


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Exactly `variables` of ours in the environment (others removed), restored afterwards."""
    with mock.patch.dict(os.environ):
        for name in list(os.environ):
            if name.upper().startswith(_OUR_VARIABLES):
                del os.environ[name]
        os.environ.update(variables)
        yield


def _settings(
    settings_class: type[BaseSettings], folder: Path, variables: dict[str, str]
) -> BaseSettings:
    """`settings_class()` with `variables` only, secret files from `folder`, and no .env file."""
    with _environment(variables):
        return settings_class(_env_file=None, _secrets_dir=folder)  # type: ignore[call-arg]


def _refusal(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"ValidationError: {where}: {problem['msg']}"


@check_answer(
    "Task 2",
    "DeploySettings reads its secret key and database URL from variables or secret files, "
    "hides both, and refuses to start without a good key.",
)
def secret_settings(task: str, settings_class: Any) -> None:
    if not (isinstance(settings_class, type) and issubclass(settings_class, BaseSettings)):
        raise CheckFailed(
            task,
            f"expected a class of settings, got {type(settings_class).__name__}.",
            hint="Write `class DeploySettings(BaseSettings):` and pass the class itself, "
            "`check.secret_settings(DeploySettings)`, not an instance.",
        )
    both = {"TASKBOARD_SECRET_KEY": SECRET_KEY, "DATABASE_URL": DATABASE_URL}
    with tempfile.TemporaryDirectory() as empty:
        sent = "TASKBOARD_SECRET_KEY=<39 characters> and DATABASE_URL=postgresql+asyncpg://..."
        try:
            settings = _settings(settings_class, Path(empty), both)
        except ValidationError as error:
            missing = str(error.errors()[0]["loc"][0]).lower()
            raise CheckFailed(
                task,
                "the settings refused a good key and URL set as environment variables.",
                sent=sent,
                got=_refusal(error),
                hint=_NO_PREFIX if "database" in missing else _PREFIX,
            ) from None
        for field, expected in (("secret_key", SECRET_KEY), ("database_url", DATABASE_URL)):
            value = getattr(settings, field, None)
            if not isinstance(value, SecretStr):
                raise CheckFailed(
                    task,
                    f"{field} is a {type(value).__name__}, not a SecretStr.",
                    sent=sent,
                    hint=_SECRET_STR,
                )
            if value.get_secret_value() != expected:
                raise CheckFailed(
                    task,
                    f"{field} does not hold the value of its variable.",
                    sent=sent,
                    got=f"{len(value.get_secret_value())} characters",
                    hint=_NO_PREFIX if field == "database_url" else _PREFIX,
                )
        shown = f"{settings!r} {settings!s}"
        if SECRET_KEY in shown or DB_PASSWORD in shown:
            raise CheckFailed(
                task, "printing the settings shows a secret.", sent=sent, hint=_SECRET_STR
            )
        for variables, problem, hint in (
            (
                {"DATABASE_URL": DATABASE_URL},
                "the settings started without TASKBOARD_SECRET_KEY.",
                "Give secret_key no default: a missing key must stop the app at startup, "
                "never fall back to a key anyone can read.",
            ),
            (
                {"TASKBOARD_SECRET_KEY": SECRET_KEY},
                "the settings started without DATABASE_URL.",
                "Give database_url no default either.",
            ),
            (
                {"TASKBOARD_SECRET_KEY": SHORT_KEY, "DATABASE_URL": DATABASE_URL},
                "the settings accepted a secret key of 31 characters.",
                "Refuse keys shorter than 32 characters: `Field(min_length=32)`.",
            ),
        ):
            try:
                _settings(settings_class, Path(empty), variables)
            except ValidationError:
                continue
            raise CheckFailed(task, problem, sent=", ".join(variables) + " only", hint=hint)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "TASKBOARD_SECRET_KEY").write_text(SECRET_KEY + "\n")
        (Path(folder) / "DATABASE_URL").write_text(DATABASE_URL + "\n")
        sent = "no variable; files TASKBOARD_SECRET_KEY and DATABASE_URL in _secrets_dir"
        try:
            settings = _settings(settings_class, Path(folder), {})
        except ValidationError as error:
            raise CheckFailed(
                task,
                "the settings did not read the secret files.",
                sent=sent,
                got=_refusal(error),
                hint="pydantic-settings reads a file named like each variable in the folder "
                "`_secrets_dir` names: keep the variables' names as the task gives them, and "
                "keep its default sources (no settings_customise_sources).",
            ) from None
        for field, expected in (("secret_key", SECRET_KEY), ("database_url", DATABASE_URL)):
            value = getattr(settings, field)
            if value.get_secret_value() != expected:
                raise CheckFailed(
                    task,
                    f"{field} read from its secret file is not the file's value.",
                    sent=sent,
                    hint="Keep the default sources: pydantic-settings strips the file's "
                    "trailing newline itself.",
                )


# --- Task 3: a Lambda round trip ------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
_BOUNDARY = "taskboard-check-boundary"


class _BadEvent(Exception):
    """The event or context the learner built lacks what the task lists."""


class _Recording:
    """Taskboard's Lambda handler, checking each event and context before passing them on."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.handler = handler
        self.expected: tuple[str, str, str, dict[str, str], bytes] | None = None
        self.calls = 0

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        self.calls += 1
        assert self.expected is not None
        problem = _event_problem(event, *self.expected) or _context_problem(context)
        if problem:
            raise _BadEvent(problem)
        return self.handler(event, context)


def _event_problem(
    event: Any, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> str | None:
    """What the event lacks of the task's list, or None."""
    if not isinstance(event, dict):
        return f"the event is a {type(event).__name__}, not a dict"
    for key, value in (("version", "2.0"), ("routeKey", "$default"), ("rawPath", path)):
        if event.get(key) != value:
            return f"event[{key!r}] is {event.get(key)!r}, not {value!r}"
    if event.get("rawQueryString") != query:
        return f"event['rawQueryString'] is {event.get('rawQueryString')!r}, not {query!r}"
    sent_headers = event.get("headers")
    if not isinstance(sent_headers, dict):
        return "event['headers'] is not a dict"
    upper = [name for name in sent_headers if name != name.lower()]
    if upper:
        return f"header names must be lowercase, as API Gateway sends them: {upper[0]!r}"
    for name, value in headers.items():
        if sent_headers.get(name.lower()) != value:
            return f"event['headers'] lacks {name.lower()!r}: {value!r}"
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    if not isinstance(http, dict):
        return "event['requestContext']['http'] is missing"
    for key, value in (("method", method), ("path", path), ("protocol", "HTTP/1.1")):
        if http.get(key) != value:
            return f"requestContext['http'][{key!r}] is {http.get(key)!r}, not {value!r}"
    try:
        ipaddress.ip_address(http.get("sourceIp"))
    except ValueError:
        return f"requestContext['http']['sourceIp'] is {http.get('sourceIp')!r}, not an IP address"
    if not isinstance(http.get("userAgent"), str):
        return "requestContext['http']['userAgent'] is missing"
    assert isinstance(context, dict)
    if context.get("stage") != "$default":
        return f"requestContext['stage'] is {context.get('stage')!r}, not '$default'"
    if not (isinstance(context.get("requestId"), str) and context["requestId"]):
        return "requestContext['requestId'] is missing"
    encoded = event.get("isBase64Encoded")
    if not isinstance(encoded, bool):
        return "event['isBase64Encoded'] is missing: true or false"
    carried = event.get("body")
    if not body:
        if carried not in (None, ""):
            return "the event has a body, but this request has none"
        return None
    if encoded:
        try:
            decoded = base64.b64decode(carried or "", validate=True)
        except ValueError:
            return "event['body'] is not base64, but isBase64Encoded is true"
    else:
        decoded = carried.encode() if isinstance(carried, str) else b"<not text>"
    if decoded != body:
        return (
            "event['body'] does not carry the request's bytes: base64-encode them, with "
            "isBase64Encoded true"
        )
    return None


def _context_problem(context: Any) -> str | None:
    for name in ("function_name", "aws_request_id"):
        if not isinstance(getattr(context, name, None), str):
            return f"the context has no {name} (a str)"
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining) or not isinstance(remaining(), int):
        return "the context has no get_remaining_time_in_millis() returning an int"
    return None


def _form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{name}={value.replace(' ', '+')}" for name, value in fields.items()).encode()


def _multipart(filename: str, content_type: str, content: bytes) -> bytes:
    return (
        (
            f"--{_BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{_BOUNDARY}--\r\n".encode()
    )


@check_answer(
    "Task 3",
    "call_lambda sends API Gateway events to the handler from a worker thread and reads back "
    "status, headers and bytes.",
)
def lambda_round_trip(task: str, call_lambda: Any) -> None:
    if not callable(call_lambda):
        raise CheckFailed(
            task,
            f"expected your function, got {type(call_lambda).__name__}.",
            hint="Pass the function itself: `check.lambda_round_trip(call_lambda)`.",
        )
    # Imported here: importing the module builds an app from the environment's settings.
    from course.checkpoints import CheckpointSettings
    from taskboard.lambda_handler import LambdaHandler
    from taskboard.main import create_app

    taskboard = LambdaHandler(create_app(CheckpointSettings(demo_data=True)))
    handler = _Recording(taskboard)
    try:
        _round_trips(task, call_lambda, handler)
    finally:
        with suppress(Exception, _NoAnswer):  # the handler's own loop, closed in a thread
            _bounded(taskboard.close, REQUEST_TIMEOUT)


def _round_trips(task: str, call_lambda: Any, handler: _Recording) -> None:
    def call(
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        headers = headers or {}
        handler.expected = (method, path, query, headers, body)
        sent = f"call_lambda(handler, {method!r}, {path!r}" + (
            f", query={query!r})" if query else ")"
        )
        calls = handler.calls
        try:
            result = _in_a_running_loop(
                lambda: call_lambda(handler, method, path, query=query, headers=headers, body=body)
            )
        except _NoAnswer:
            raise CheckFailed(
                task,
                f"call_lambda did not return within {REQUEST_TIMEOUT:g} seconds.",
                sent=sent,
                hint="Wait for the worker thread's result: `await asyncio.to_thread(...)`.",
            ) from None
        except _BadEvent as bad:
            raise CheckFailed(
                task,
                "the event or the context lacks what the task lists.",
                sent=sent,
                got=str(bad),
                hint="Build the event as the lesson's `api_gateway_event` does: every field the "
                "task lists, with these values.",
            ) from None
        except RuntimeError as error:
            if "loop" not in str(error):
                raise
            raise CheckFailed(
                task,
                "the handler ran in the thread whose event loop is running.",
                sent=sent,
                got=f"RuntimeError: {_first_line(error)}"[:200],
                hint="Mangum runs an event loop of its own: call the handler in a worker thread, "
                "`await asyncio.to_thread(handler, event, context)` in an `async def call_lambda`.",
            ) from None
        if handler.calls == calls:
            raise CheckFailed(
                task, "call_lambda never called the handler.", sent=sent, hint="Call `handler`."
            )
        if not (
            isinstance(result, tuple)
            and len(result) == 3
            and isinstance(result[0], int)
            and isinstance(result[1], dict)
            and isinstance(result[2], bytes)
        ):
            raise CheckFailed(
                task,
                "call_lambda should return (status, headers, body): an int, a dict and bytes.",
                sent=sent,
                got=repr(result)[:200],
                hint="Return `response['statusCode']`, `response['headers']` and the body as "
                "bytes: base64-decoded when `response['isBase64Encoded']`, else encoded.",
            )
        return result

    def expect(ok: bool, problem: str, sent: str, got: Any, hint: str) -> None:
        if not ok:
            raise CheckFailed(task, problem, sent=sent, got=repr(got)[:200], hint=hint)

    status, headers, body = call("GET", "/health")
    expect(
        (status, body) == (200, b'{"status":"ok"}'),
        "GET /health should come back as 200 and its JSON.",
        "GET /health",
        (status, body),
        "Return the answer's statusCode and its body, encoded to bytes.",
    )
    expect(
        headers.get("content-type") == "application/json",
        "the headers should be the answer's, such as content-type: application/json.",
        "GET /health",
        headers,
        "Return `response['headers']`.",
    )
    form = _form({"username": DEMO_USERNAME, "password": DEMO_PASSWORD})
    status, _, body = call(
        "POST",
        "/auth/token",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=form,
    )
    expect(
        status == 200 and b"access_token" in body,
        "POST /auth/token with the demo account's form should log in.",
        "POST /auth/token with a form body",
        (status, body[:120]),
        "Put the request's bytes in the event's body, base64-encoded with isBase64Encoded true "
        "(or as text with it false), and its headers in the event's headers.",
    )
    token = {"authorization": f"Bearer {_token(body)}"}
    status, _, body = call("GET", "/tasks", query="status=todo&limit=1", headers=token)
    expect(
        status == 200 and body.count(b'"id"') == 1 and b'"status":"todo"' in body,
        "GET /tasks?status=todo&limit=1 should list one task to do.",
        "GET /tasks with query status=todo&limit=1",
        (status, body[:120]),
        "Put the query string in the event's rawQueryString, without the '?'.",
    )
    upload = _multipart("logo.png", "image/png", PNG_BYTES)
    status, _, body = call(
        "POST",
        "/tasks/3/files",
        headers={**token, "content-type": f"multipart/form-data; boundary={_BOUNDARY}"},
        body=upload,
    )
    expect(
        status == 201,
        "uploading a PNG file to task 3 should answer 201.",
        "POST /tasks/3/files with a PNG file",
        (status, body[:120]),
        "A file is bytes that are no text: base64-encode the body, with isBase64Encoded true.",
    )
    file_id = _file_id(body)
    status, headers, body = call("GET", f"/tasks/3/files/{file_id}", headers=token)
    expect(
        status == 200 and body == PNG_BYTES,
        "downloading the PNG file should give back its bytes exactly.",
        f"GET /tasks/3/files/{file_id}",
        (status, body[:40]),
        "An answer that is no text comes base64-encoded, with isBase64Encoded true: decode it "
        "with base64.b64decode.",
    )


def _token(body: bytes) -> str:
    return str(json.loads(body)["access_token"])


def _file_id(body: bytes) -> int:
    return int(json.loads(body)["id"])


def _in_a_running_loop(call: Callable[[], Any]) -> Any:
    """`call()` as a notebook cell makes it: inside a running event loop (awaited if async).

    In a thread of its own with a loop of its own, whether or not the caller's loop runs (the
    kernel's does), and for at most REQUEST_TIMEOUT seconds.
    """

    async def cell() -> Any:
        result = call()
        if inspect.isawaitable(result):
            result = await result
        return result

    return _bounded(lambda: asyncio.run(cell()), REQUEST_TIMEOUT)


# --- Task 4: a Kubernetes Deployment --------------------------------------------------------------

KUBERNETES_VERSION = "1.37"
IMAGE = "registry.example.com/taskboard:0.1.0"
PORT = 8000
PORT_NAME = "http"
PROBES = {"livenessProbe": "/health", "readinessProbe": "/ready"}
PLAIN_ENV = {"TASKBOARD_ENVIRONMENT": "production", "TASKBOARD_DEMO_DATA": "false"}
SECRET_ENV = {"TASKBOARD_SECRET_KEY": "secret-key", "DATABASE_URL": "database-url"}
SECRET_NAME = "taskboard"
_AS_IN_THE_LESSON = "Compare with deploy/k8s/deployment.yaml, which the lesson printed."


def _load(task: str, manifest: Any) -> dict[str, Any]:
    if isinstance(manifest, str):
        try:
            manifest = yaml.safe_load(manifest)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise CheckFailed(
                task,
                f"the YAML does not parse{where}.",
                got=_first_line(error)[:200],
                hint="Indent with spaces only, the same number for items at the same level, and "
                "keep one document (no ---).",
            ) from None
    if manifest is None:
        raise CheckFailed(
            task,
            "there is no Deployment yet: the YAML is empty.",
            hint="Write the Deployment as YAML text between the quotes.",
        )
    if not isinstance(manifest, dict):
        raise CheckFailed(
            task,
            f"expected YAML text or a dict, got {type(manifest).__name__}.",
            hint="Write the Deployment as YAML text in a string, `deployment = '''...'''`.",
        )
    return manifest


@check_answer(
    "Task 4",
    "the Deployment passes Kubernetes' schema, with 3 replicas, probes on /health and /ready, "
    "port 8000, and its secrets from the Secret.",
)
def deployment(task: str, manifest: Any) -> None:
    manifest = _load(task, manifest)

    def fail(problem: str, hint: str, got: Any = None) -> CheckFailed:
        return CheckFailed(task, problem, got=None if got is None else repr(got)[:200], hint=hint)

    kind = (manifest.get("apiVersion"), manifest.get("kind"))
    if kind != ("apps/v1", "Deployment"):
        raise fail(
            "this is not a Deployment.",
            "Start with `apiVersion: apps/v1` and `kind: Deployment`.",
            kind,
        )
    # Imported here: jsonschema, beneath it, takes a second to import, and only this task needs it.
    import kubernetes_validate

    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "the top"
        raise CheckFailed(
            task,
            f"Kubernetes {KUBERNETES_VERSION}'s schema refuses it at {where}.",
            got=error.message[:200],
            hint="Check that field's name (its case too: httpGet, containerPort) and its type "
            f"(a number unquoted, an environment value quoted). {_AS_IN_THE_LESSON}",
        ) from None
    metadata, spec = manifest.get("metadata") or {}, manifest.get("spec") or {}
    if metadata.get("name") != "taskboard":
        raise fail("metadata.name should be taskboard.", "Name it taskboard.", metadata.get("name"))
    if spec.get("replicas") != 3:
        raise fail("spec.replicas should be 3.", "Set `replicas: 3`.", spec.get("replicas"))
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(name) != value for name, value in selector.items()):
        raise fail(
            "the selector does not match the pod template's labels: Kubernetes refuses it with "
            "'`selector` does not match template `labels`'.",
            "Give spec.selector.matchLabels the same label as spec.template.metadata.labels, "
            "such as `app.kubernetes.io/name: taskboard`.",
            {"matchLabels": selector, "labels": labels},
        )
    containers = (template.get("spec") or {}).get("containers") or []
    container = next((c for c in containers if c.get("name") == "taskboard"), None)
    if container is None:
        raise fail(
            "there is no container named taskboard.",
            "List one container, `- name: taskboard`, under spec.template.spec.containers.",
            [c.get("name") for c in containers],
        )
    if container.get("image") != IMAGE:
        raise fail(
            f"the container's image should be {IMAGE}.",
            f"Set `image: {IMAGE}`.",
            container.get("image"),
        )
    ports = container.get("ports") or []
    if not any(p.get("containerPort") == PORT and p.get("name") == PORT_NAME for p in ports):
        raise fail(
            f"the container should declare containerPort {PORT}, named {PORT_NAME}.",
            "Uvicorn listens on 8000 in the image: `ports: [{name: http, containerPort: 8000}]`.",
            ports,
        )
    for probe_name, path in PROBES.items():
        _expect_probe(task, container, probe_name, path)
    _expect_environment(task, container.get("env") or [])


def _expect_probe(task: str, container: dict[str, Any], probe_name: str, path: str) -> None:
    probe = container.get(probe_name)
    other = next(name for name in PROBES if name != probe_name)
    if not probe:
        raise CheckFailed(
            task,
            f"the container has no {probe_name}.",
            hint=f"Add `{probe_name}:` with `httpGet: {{path: {path}, port: http}}`.",
        )
    get = probe.get("httpGet") or {}
    if get.get("path") != path:
        swapped = get.get("path") == PROBES[other]
        raise CheckFailed(
            task,
            f"the {probe_name} should ask {path}.",
            got=repr(get.get("path")),
            hint=(
                "Liveness asks /health, which answers while the process runs; readiness asks "
                "/ready, which asks the database. A liveness probe on /ready would restart every "
                "replica when the database is down."
            )
            if swapped or get.get("path") in ("/health", "/status")
            else f"Taskboard answers {path} (GET): point `httpGet.path` at it.",
        )
    port = get.get("port")
    if port not in (PORT, PORT_NAME):
        raise CheckFailed(
            task,
            f"the {probe_name} asks port {port!r}, where nothing listens.",
            hint=f"Probe the container's own port: `port: {PORT_NAME}` (its name) or {PORT}.",
        )


def _expect_environment(task: str, env: list[dict[str, Any]]) -> None:
    by_name = {item.get("name"): item for item in env}
    for name, value in PLAIN_ENV.items():
        if (by_name.get(name) or {}).get("value") != value:
            raise CheckFailed(
                task,
                f"the environment should set {name} to {value!r}.",
                got=repr(by_name.get(name)),
                hint=f'Add `- name: {name}` with `value: "{value}"` (quoted: a value is text).',
            )
    for name, key in SECRET_ENV.items():
        item = by_name.get(name) or {}
        if "value" in item:
            raise CheckFailed(
                task,
                f"{name} is written in the manifest itself.",
                hint="Never write a secret in a manifest: read it from the Secret with "
                "`valueFrom: {secretKeyRef: {name: taskboard, key: ...}}`.",
            )
        ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
        if (ref.get("name"), ref.get("key")) != (SECRET_NAME, key):
            raise CheckFailed(
                task,
                f"{name} should come from the Secret {SECRET_NAME}, key {key}.",
                got=repr(item) if item else "no such variable",
                hint=f"`- name: {name}` with `valueFrom: {{secretKeyRef: {{name: {SECRET_NAME}, "
                f"key: {key}}}}}`.",
            )
