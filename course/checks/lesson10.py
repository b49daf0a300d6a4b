"""Lesson 10 checks: the live board, a WebSocket at /live/board on Taskboard after lesson 09.

Each check opens WebSockets to the learner's app through the probe (`probe.websocket`), and
every wait is bounded: a message that does not come within `RECEIVE_TIMEOUT` seconds is
reported as missing, never waited for. Where a check shows that a message did NOT come (another
user's change), it makes a change the socket must hear, and checks that this one comes first.

Users and tokens: each check signs up its own users with POST /users (one password hashed
each: argon2 takes about 0.1 s), makes their tokens with the app's secret key as any server
holding the key could (valid ones, and expired ones, ones signed with another key, ones without
`tasks:read`), and deletes the users, with their tasks, with those tokens: no login, so no
password is hashed again.

A client "leaves" as a browser tab closes: the endpoint gets the disconnect while the check
still reads from the other sockets (TestClient would cancel the endpoint at the end of its
block, before it reacted to the goodbye).
"""

import itertools
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

import course.checks as framework
from course.checks import CheckFailed, Probe, Received, Socket, check
from taskboard.core.security import create_access_token

BOARD = "/live/board"
READ = "tasks:read"
WRITE = "tasks:write"
# A window in which an endpoint that closes at once does so (in-process, well under 1 ms).
STAYS_OPEN = 0.1

_OTHER_KEY = "another-key-of-thirty-two-bytes-or-more"
_PASSWORD = "correct horse battery"
_RUN = secrets.token_hex(2)
_numbers = itertools.count(1)

# --- Hints ---------------------------------------------------------------------------------------

_ACCEPT = "Accept the socket before anything else: `await websocket.accept()`."
_ACCEPT_FIRST = (
    "Accept the socket first, `await websocket.accept()`, then check the token and close it. "
    "A socket closed before it is accepted never opens: a real server answers the handshake with "
    "a bare 403, and the client never learns your code or reason."
)
_CLOSE_1008 = (
    "Close the socket with code 1008, policy violation, and the reason: "
    "`await websocket.close(code=1008, reason=str(error))` "
    "(`status.WS_1008_POLICY_VIOLATION` is 1008 too)."
)
_REASON = "Say why in the close's reason: `await websocket.close(code=1008, reason=...)`."
_CATCH_INVALID = (
    "`read_access_token` raises InvalidToken for a token that is malformed, signed with another "
    "key or expired: catch it, and close the socket with code 1008 and the reason."
)
_RETURN_AFTER_CLOSE = (
    "Once the socket is closed, return from the endpoint: a closed socket can neither send nor "
    "receive."
)
_QUIET = (
    "When the client leaves, `receive_text()` raises WebSocketDisconnect: catch it and return. "
    "Let through, a real server logs it as an error for every client that leaves."
)
_AFTER_LEAVING = (
    "The client has left: stop the loop at the first WebSocketDisconnect instead of receiving "
    "again."
)
_GREET = (
    'Once the token is accepted, send `{"type": "subscribed", "user_id": user.id, '
    '"username": user.username}` with `await websocket.send_json(...)`.'
)
_STAY_OPEN = (
    "After the greeting, keep the socket open until the client leaves: loop on "
    "`await websocket.receive_text()`, which raises WebSocketDisconnect when it does."
)
_TOKEN_REFUSED_WRONGLY = (
    "That token is valid and allows tasks:read: check it with "
    "`read_access_token(token, settings)`, whose claims name the user (`claims.user_id`), and "
    "find the user with the store's `get_user`."
)
_READ_SCOPE = (
    "A token must allow tasks:read: `read_access_token` returns its claims, whose `scopes` "
    "hold what it allows. Close with 1008 when tasks:read is not among them."
)


_NO_ROUTE = "no WebSocket route matches this path."  # the framework's words
_DECLARE = (
    'Declare the board where it says `# YOUR CODE HERE`: `@app.websocket("/live/board")` on '
    "`async def live_board(websocket: WebSocket, token: str | None = None)`, then run its cell."
)
_NOT_WRITTEN = (
    "Write the endpoint where it says `# YOUR CODE HERE`, in place of "
    "`raise NotImplementedError`, then run its cell again."
)


def _hint_for_error(got: str | None) -> str | None:
    """A hint for what the learner's endpoint raised, from the report's `got` line."""
    text = got or ""
    if text.startswith("NotImplementedError"):
        return _NOT_WRITTEN
    if "websocket.accept" in text or 'Need to call "accept" first' in text:
        return _ACCEPT
    if "once a close message has been sent" in text:
        return _RETURN_AFTER_CLOSE
    if "once a disconnect message has been received" in text:
        return _AFTER_LEAVING
    if text.startswith("WebSocketDisconnect"):
        return _QUIET
    if text.startswith("InvalidToken"):
        return _CATCH_INVALID
    return None


def _is_ours(hint: str | None) -> bool:
    """Whether `hint` is one of this lesson's (`_UPPER_CASE` strings): the check knew better."""
    ours = {
        value
        for name, value in globals().items()
        if name.startswith("_") and name[1:].isupper() and isinstance(value, str)
    }
    return hint in ours


# What an endpoint raises when it reads a first message that holds no token the way it expects.
_READING_ERRORS = ("JSONDecodeError", "ValueError", "KeyError", "TypeError", "ValidationError")


def _rehinted(failed: CheckFailed, reading: str | None = None) -> CheckFailed:
    """The report, with a hint for what the endpoint raised; `reading` for an error in reading
    the first message."""
    if failed.hint == framework.RERUN or _is_ours(failed.hint):
        return failed
    if reading and (failed.got or "").startswith(_READING_ERRORS):
        return failed.with_hint(reading)
    hint = _hint_for_error(failed.got)
    return failed.with_hint(hint) if hint else failed


@contextmanager
def _socket(probe: Probe, token: str | None = None, shown: str = "") -> Iterator[Socket]:
    """A socket on the board, with `?token=` when given, shown in reports as `<shown>`;
    with hints for what an endpoint of this lesson raises."""
    url = BOARD if token is None else f"{BOARD}?token={token}"
    label = BOARD if token is None else f"{BOARD}?token=<{shown}>"
    try:
        with probe.websocket(url, shown=label) as socket:
            yield socket
    except CheckFailed as failed:
        if failed.problem == _NO_ROUTE:
            raise failed.with_hint(_DECLARE) from None
        raise _rehinted(failed) from None


def _received(
    socket: Socket, timeout: float | None = None, *, reading: str | None = None
) -> Received | None:
    try:
        return socket.receive(timeout)
    except CheckFailed as failed:
        raise _rehinted(failed, reading) from None


def _finish(socket: Socket) -> None:
    try:
        socket.finish()
    except CheckFailed as failed:
        raise _rehinted(failed) from None


def _fail(
    probe: Probe,
    socket: Socket,
    problem: str,
    got: Received | None,
    *,
    expected: str,
    hint: str,
    timeout: float | None = None,
) -> CheckFailed:
    waited = timeout or framework.RECEIVE_TIMEOUT
    shown = got.show() if got is not None else f"nothing within {waited:g} s"
    return CheckFailed(
        probe.task, problem, sent=socket.sent, got=shown, expected=expected, hint=hint
    )


# --- Tokens --------------------------------------------------------------------------------------


def _settings(probe: Probe) -> Any:
    settings = getattr(getattr(probe.app, "state", None), "settings", None)
    if settings is None or not hasattr(settings, "secret_key"):
        raise CheckFailed(
            probe.task,
            "this app has no Taskboard settings in `app.state.settings`.",
            hint='Build the app the task asks for: `app = checkpoint("09")`, then add your '
            "WebSocket route to it.",
        )
    return settings


@dataclass(frozen=True)
class _User:
    id: int
    username: str
    token: str  # allows tasks:read and tasks:write, made with the app's key: no login


def _username() -> str:
    return f"live_{_RUN}_{next(_numbers)}"


@contextmanager
def _signed_up(probe: Probe, count: int = 1) -> Iterator[list[_User]]:
    """`count` new users, each with a token; deleted at the end, with their tasks.

    Signed up with POST /users (one password hashed each), and deleted with their own token
    rather than a login, so no password is hashed again.
    """
    users: list[_User] = []
    try:
        for _ in range(count):
            created = probe.create(
                "/users",
                {"username": _username(), "password": _PASSWORD},
                hint="The check signs up a user with POST /users: build the app the task asks "
                'for, `app = checkpoint("09")`, and keep its routes as they are.',
                hint_first=True,
            )
            probe._accounts.pop(f"/users/{created['id']}", None)  # no login to delete it
            token = _token(probe, created["id"], [READ, WRITE])
            users.append(_User(created["id"], created["username"], token))
        yield users
    finally:
        for user in users:
            with suppress(CheckFailed), probe.sending(_bearer(user.token)):
                probe.request("DELETE", f"/users/{user.id}")
        # Their tasks went with them.
        probe.created[:] = [
            url for url in probe.created if not url.startswith(("/users/", "/tasks/"))
        ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(probe: Probe, user_id: int, scopes: list[str], *, expired: bool = False) -> str:
    now = datetime.now(UTC) - (timedelta(days=2) if expired else timedelta())
    return create_access_token(user_id, scopes, _settings(probe), now=now)


def _other_key(user_id: int) -> str:
    claims = {
        "sub": str(user_id),
        "scope": READ,
        "exp": int((datetime.now(UTC) + timedelta(minutes=10)).timestamp()),
    }
    return jwt.encode(claims, _OTHER_KEY, algorithm="HS256")


def _bad_tokens(probe: Probe, user_id: int) -> list[tuple[str, str]]:
    """(token, what it is), as Task 1 lists them."""
    return [
        ("not-a-jwt", "a token that is no JWT"),
        (_other_key(user_id), "a token signed with another key"),
        (_token(probe, user_id, [READ, WRITE], expired=True), "an expired token"),
        (_token(probe, user_id, [WRITE]), "a token without tasks:read"),
    ]


# --- What the board says -------------------------------------------------------------------------


def _expect_accepted(probe: Probe, socket: Socket, what: str) -> None:
    if socket.accepted:
        return
    if socket.denial is not None:
        got = f"{socket.denial.status_code} {socket.denial.text[:200]}"
    else:
        got = socket.refusal.show() if socket.refusal else "no answer"
    raise CheckFailed(
        probe.task,
        f"{what}: the socket was refused before it was accepted.",
        sent=socket.sent,
        got=got + ", before accepting",
        expected="accepted first",
        hint=_ACCEPT_FIRST,
    )


def _expect_refused(
    probe: Probe,
    socket: Socket,
    what: str,
    *,
    hint: str = _CLOSE_1008,
    reading: str | None = None,
) -> None:
    """The socket was accepted, then closed with 1008 and a reason."""
    _expect_accepted(probe, socket, f"for {what}")
    got = _received(socket, reading=reading)
    expected = "close 1008 with a reason"
    if got is None:
        raise _fail(
            probe,
            socket,
            f"for {what}, the socket should be closed with code 1008.",
            got,
            expected=expected,
            hint=_CLOSE_1008,
        )
    if not got.closed:
        greeted = isinstance(got.json(), dict) and got.json().get("type") == "subscribed"
        raise _fail(
            probe,
            socket,
            f"{what} should be refused, but the board "
            + ("greeted it." if greeted else "sent a message instead of closing."),
            got,
            expected=expected,
            hint=hint if greeted else _CLOSE_1008,
        )
    if got.close_code != 1008:
        raise _fail(
            probe,
            socket,
            f"for {what}, the close code should be 1008, policy violation.",
            got,
            expected=expected,
            hint=_CLOSE_1008,
        )
    if not got.close_reason.strip():
        raise _fail(
            probe,
            socket,
            f"for {what}, the close gives no reason.",
            got,
            expected=expected,
            hint=_REASON,
        )


def _expect_greeting(
    probe: Probe,
    socket: Socket,
    user: "_User",
    what: str,
    *,
    if_silent: str = _GREET,
    if_closed: str = _TOKEN_REFUSED_WRONGLY,
) -> None:
    _expect_accepted(probe, socket, what)
    got = _received(socket)
    wanted = {"type": "subscribed", "user_id": user.id, "username": user.username}
    expected = json.dumps(wanted)
    if got is None or got.closed:
        raise _fail(
            probe,
            socket,
            f"{what}: the board should greet the client.",
            got,
            expected=expected,
            hint=if_silent if got is None else if_closed,
        )
    body = got.json()
    if not isinstance(body, dict) or any(body.get(key) != value for key, value in wanted.items()):
        raise _fail(
            probe,
            socket,
            f"{what}: the greeting is not the one asked for.",
            got,
            expected=expected,
            hint=_GREET,
        )


def _expect_stays_open(probe: Probe, socket: Socket) -> None:
    got = _received(socket, STAYS_OPEN)
    if got is not None and got.closed:
        raise _fail(
            probe,
            socket,
            "after the greeting, the socket should stay open until the client leaves.",
            got,
            expected="the socket open, and silent",
            hint=_STAY_OPEN,
            timeout=STAYS_OPEN,
        )


# --- Task 1 --------------------------------------------------------------------------------------


@check(
    "Task 1",
    "the board greets a valid token and closes with 1008 on any other.",
    log_in=False,
)
def who_are_you(probe: Probe) -> None:
    with _signed_up(probe) as (user,):
        for bad, what in _bad_tokens(probe, user.id):
            with _socket(probe, bad, what) as socket:
                hint = _READ_SCOPE if READ in what else _CATCH_INVALID
                _expect_refused(probe, socket, what, hint=hint)
        with _socket(probe, user.token, "a valid token") as socket:
            _expect_greeting(probe, socket, user, "With a valid token")
            _expect_stays_open(probe, socket)
            socket.leave()
            _finish(socket)


# --- Task 2 --------------------------------------------------------------------------------------

_FIRST_MESSAGE = (
    "Without `?token=` in the URL, read the first message, `await websocket.receive_text()`, "
    "and take its token: `json.loads(text)['token']`."
)
_ONLY_WITHOUT_ONE = (
    "Read a first message only when the URL has no token: `if token is None:`. With one, the "
    "client sends nothing, and waits for the greeting."
)
_NOT_A_TOKEN = (
    "A first message without a token, or that is no JSON at all, is refused too: catch what "
    "`json.loads` raises (ValueError) and a missing `token` (KeyError, TypeError), and close "
    "with 1008."
)


@check(
    "Task 2",
    "the token may also come as the first message, and a message without one is refused.",
    log_in=False,
)
def first_message(probe: Probe) -> None:
    with _signed_up(probe) as (user,):
        with _socket(probe) as socket:
            _expect_accepted(probe, socket, "Without a token in the URL")
            socket.send_json({"token": user.token}, shown='{"token": "<a valid token>"}')
            _expect_greeting(
                probe,
                socket,
                user,
                "With a valid token as the first message",
                if_closed=_FIRST_MESSAGE,
                if_silent=_FIRST_MESSAGE,
            )
            socket.leave()
            _finish(socket)
        for first, shown in (
            ("hello", None),
            (json.dumps({"access_token": user.token}), '{"access_token": "<a valid token>"}'),
            (json.dumps(["token"]), None),
        ):
            with _socket(probe) as socket:
                _expect_accepted(probe, socket, "Without a token in the URL")
                socket.send_text(first, shown=shown)
                _expect_refused(
                    probe,
                    socket,
                    "a first message without a token",
                    hint=_NOT_A_TOKEN,
                    reading=_NOT_A_TOKEN,
                )
        with _socket(probe) as socket:
            _expect_accepted(probe, socket, "Without a token in the URL")
            socket.send_json({"token": "not-a-jwt"})
            _expect_refused(
                probe, socket, "a first message whose token is no JWT", hint=_CATCH_INVALID
            )
        with _socket(probe, user.token, "a valid token") as socket:
            _expect_greeting(
                probe, socket, user, "With the token in the URL", if_silent=_ONLY_WITHOUT_ONE
            )


# --- Listeners that fail --------------------------------------------------------------------


class _ListenerFailures(logging.Handler):
    """Records what Taskboard's store logs when one of its listeners failed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[str] = []
        self.errors: list[str] = []  # what each failed listener raised, in one line

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith("A listener failed"):
            return
        self.failures.append(record.getMessage())
        error = record.exc_info[1] if record.exc_info else None
        self.errors.append(f"{type(error).__name__}: {error}"[:200] if error else "")


@contextmanager
def _listener_failures() -> Iterator[_ListenerFailures]:
    """Collect the store's "A listener failed" errors, and keep them out of the notebook."""
    logger = logging.getLogger("taskboard.events")
    handler = _ListenerFailures()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


# --- Task 3 --------------------------------------------------------------------------------------

_LISTEN = (
    "Subscribe a listener to the store's changes, `stop = websocket.app.state.store.events."
    "subscribe(send_event)`, where `async def send_event(event)` sends the event to this socket "
    "when `event.owner_id == user.id`; then keep the socket open until the client leaves."
)
_SHAPE = (
    "Send each change as JSON with its type, task_id and task: "
    "`await websocket.send_json(event.model_dump(mode='json', include={'type', 'task_id', 'task'}))`."
)
_ONLY_THEIRS = (
    "Send a user only the changes to their own tasks: `if event.owner_id == user.id:`. Other "
    "users' tasks are theirs alone, on the board as over REST."
)
_GREET_AFTER_LISTENING = (
    "Greet the client once the listener is subscribed: a client that has the greeting must miss "
    "no change from then on."
)


def _expect_event(
    probe: Probe,
    socket: Socket,
    kind: str,
    task_id: int,
    task: dict[str, Any] | None,
    what: str,
    *,
    other: int | None = None,
    failures: "_ListenerFailures | None" = None,
) -> None:
    """The next message is the event `kind` of `task_id`, with the task as REST showed it."""
    got = _received(socket)
    if got is None and failures is not None and failures.errors:
        raise CheckFailed(
            probe.task,
            "your listener raised instead of sending the change.",
            sent=socket.sent,
            got=failures.errors[0],
            expected=f"{kind} of task {task_id}, sent as JSON",
            hint=_SHAPE,
        )
    expected = json.dumps({"type": kind, "task_id": task_id, "task": task})
    if len(expected) > 160:
        expected = expected[:160] + "…"
    if got is None or got.closed:
        raise _fail(
            probe,
            socket,
            f"{what}: the socket should hear {kind} of task {task_id}.",
            got,
            expected=expected,
            hint=_LISTEN if got is None else _STAY_OPEN,
        )
    body = got.json()
    if not isinstance(body, dict):
        raise _fail(
            probe,
            socket,
            f"{what}: the message is not a JSON object.",
            got,
            expected=expected,
            hint=_SHAPE,
        )
    if other is not None and body.get("task_id") == other:
        raise _fail(
            probe,
            socket,
            f"{what}: the socket heard of a task of another user.",
            got,
            expected=expected,
            hint=_ONLY_THEIRS,
        )
    if (body.get("type"), body.get("task_id")) != (kind, task_id) or "task" not in body:
        raise _fail(
            probe,
            socket,
            f"{what}: the socket should hear {kind} of task {task_id}.",
            got,
            expected=expected,
            hint=_SHAPE,
        )
    if body["task"] != task:
        raise _fail(
            probe,
            socket,
            f"{what}: `task` should be the task as it now is"
            + (" (null once deleted)." if task is None else ", as GET /tasks/{task_id} shows it."),
            got,
            expected=expected,
            hint=_SHAPE,
        )


@check(
    "Task 3",
    "each subscriber hears every change to their own tasks, and nothing of others'.",
    log_in=False,
)
def your_tasks_live(probe: Probe) -> None:
    with (
        _listener_failures() as failures,
        _signed_up(probe, 2) as (user, other),
        _socket(probe, user.token, "a valid token") as laptop,
        _socket(probe, user.token, "the same token") as phone,
        _socket(probe, other.token, "another user's token") as theirs,
    ):
        _expect_greeting(probe, laptop, user, "With a valid token")
        _expect_greeting(probe, phone, user, "With the same token, on a second socket")
        _expect_greeting(probe, theirs, other, "With another user's token")

        with probe.sending(_bearer(user.token)):
            created = probe.create(
                "/tasks",
                {"title": "Heard live"},
                hint="The check creates a task: keep POST /tasks.",
            )
            for socket, what in ((laptop, "The first socket"), (phone, "The second socket")):
                _expect_event(
                    probe,
                    socket,
                    "task.created",
                    created["id"],
                    created,
                    what,
                    failures=failures,
                )
            changed = probe.request(
                "PATCH", f"/tasks/{created['id']}", json_body={"status": "doing"}
            )
            probe.expect_status(changed, 200, f"PATCH /tasks/{created['id']}")
            updated = probe.json(changed)
            _expect_event(probe, laptop, "task.updated", created["id"], updated, "After a PATCH")
        with probe.sending(_bearer(other.token)):
            theirs_created = probe.create(
                "/tasks", {"title": "Not yours"}, hint="The check creates a task as another user."
            )
        # The other user's first event is their own task: they never heard of the first one.
        _expect_event(
            probe,
            theirs,
            "task.created",
            theirs_created["id"],
            theirs_created,
            "Another user's socket",
            other=created["id"],
            failures=failures,
        )
        with probe.sending(_bearer(user.token)):
            deleted = probe.request("DELETE", f"/tasks/{created['id']}")
            probe.expect_status(deleted, 204, f"DELETE /tasks/{created['id']}")
        # And the first user's sockets next hear their own changes, not the other's task.
        leaked = theirs_created["id"]
        _expect_event(
            probe, phone, "task.updated", created["id"], updated, "After a PATCH", other=leaked
        )
        for socket in (phone, laptop):
            _expect_event(
                probe, socket, "task.deleted", created["id"], None, "After a DELETE", other=leaked
            )


# --- Task 4 --------------------------------------------------------------------------------------

_UNSUBSCRIBE = (
    "Stop listening when the client leaves: call what `subscribe` returned, in a `finally:` "
    "around the loop, so it runs however the endpoint ends."
)
_QUIET_BEFORE_TOKEN = (
    "A client may leave before sending its token: the `receive_text()` that waits for it raises "
    "WebSocketDisconnect too. Catch it there and return."
)


def _expect_no_listener_failed(
    probe: Probe, socket: Socket, failures: _ListenerFailures, created: dict[str, Any]
) -> None:
    if failures.failures:
        raise CheckFailed(
            probe.task,
            "a change was sent to a client that had left: its listener was still subscribed, "
            "and sending failed.",
            sent=socket.sent + f", then POST /tasks made task {created['id']}",
            got=f"the app logged {failures.failures[0]!r}",
            expected="no listener left for a client that is gone",
            hint=_UNSUBSCRIBE,
        )


@check("Task 4", "a client that leaves is forgotten, and the others keep hearing.", log_in=False)
def leaving(probe: Probe) -> None:
    with (
        _signed_up(probe) as (user,),
        _listener_failures() as failures,
        probe.sending(_bearer(user.token)),
        _socket(probe, user.token, "a valid token") as staying,
    ):
        _expect_greeting(probe, staying, user, "With a valid token")
        with _socket(probe, user.token, "the same token") as leaving_socket:
            _expect_greeting(probe, leaving_socket, user, "With the same token, on a second socket")
            leaving_socket.leave()
            _finish(leaving_socket)
        created = probe.create("/tasks", {"title": "After a goodbye"}, hint=_CREATES)
        _expect_event(
            probe, staying, "task.created", created["id"], created, "The socket that stayed"
        )
        _expect_no_listener_failed(probe, staying, failures, created)
        staying.leave()
        _finish(staying)
        again = probe.create("/tasks", {"title": "Nobody listens"}, hint=_CREATES)
        _expect_no_listener_failed(probe, staying, failures, again)
    with _socket(probe) as early:
        _expect_accepted(probe, early, "Without a token in the URL")
        early.leave()
        try:
            early.finish()
        except CheckFailed as failed:
            quiet = _hint_for_error(failed.got) == _QUIET
            raise (failed.with_hint(_QUIET_BEFORE_TOKEN) if quiet else _rehinted(failed)) from None


_CREATES = "The check creates a task with POST /tasks: keep the routes of checkpoint('09')."
