"""Lesson 10 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is the exercise's: Taskboard after lesson 09 with a WebSocket at /live/board. The
reference endpoint below (`board(...)`) is written as the solution writes it, and turns on a
typical mistake by keyword; the alternatives are written otherwise: a connection manager with
one listener, `WebSocketException` after accepting, the token read by hand from the query
string, and Taskboard's own live board (checkpoint 10).
"""

import asyncio
import json
from collections.abc import Callable
from types import ModuleType
from typing import Annotated, Any

import nbformat
import pytest
from fastapi import FastAPI, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

from course import checkpoint
from course.checks import checks_of, lesson10
from course.exercises import make_exercise
from taskboard.core.security import InvalidToken, read_access_token
from taskboard.events import TaskEvent
from taskboard.models import UserInDB
from taskboard.store import UserNotFound
from tests.checking import failure, run_checking
from tests.conftest import ROOT

ALL_CHECKS = checks_of("10")


# --- The reference endpoint, and its mistakes ---------------------------------------------------


def board(**mistakes: Any) -> FastAPI:
    """Taskboard after lesson 09 with the solution's live board; `mistakes` turn on one each."""
    app = checkpoint("09")

    async def refuse(websocket: WebSocket, reason: str) -> None:
        if mistakes.get("no_close"):
            await websocket.send_json({"error": reason})
            return
        code = mistakes.get("code", 1008)
        await websocket.close(code=code, reason="" if mistakes.get("no_reason") else reason)

    async def user_for(websocket: WebSocket, token: str) -> UserInDB | None:
        settings = websocket.app.state.settings
        if mistakes.get("uncaught"):
            claims = read_access_token(token, settings)
        else:
            try:
                claims = read_access_token(token, settings)
            except InvalidToken as error:
                await refuse(websocket, str(error))
                return None
        if "tasks:read" not in claims.scopes and not mistakes.get("any_scope"):
            await refuse(websocket, "The token does not allow tasks:read")
            return None
        try:
            async with websocket.app.state.store.transaction() as store:
                return await store.get_user(claims.user_id)
        except UserNotFound:
            await refuse(websocket, "The token's user no longer exists")
            return None

    async def first_token(websocket: WebSocket) -> str | None:
        if mistakes.get("receive_json"):
            token = (await websocket.receive_json())["token"]
            return token if isinstance(token, str) else None
        text = await websocket.receive_text()
        try:
            token = json.loads(text)["token"]
        except (ValueError, KeyError, TypeError):
            token = None
        if not isinstance(token, str):
            await refuse(websocket, 'Send {"token": "..."} first')
            return None
        return token

    @app.websocket("/live/board")
    async def live_board(websocket: WebSocket, token: str | None = None) -> None:
        if mistakes.get("close_before_accept") and token is not None:
            try:
                read_access_token(token, websocket.app.state.settings)
            except InvalidToken as error:
                await websocket.close(code=1008, reason=str(error))
                return
        if not mistakes.get("no_accept"):
            await websocket.accept()
        if token is None or mistakes.get("always_first_message"):
            if mistakes.get("no_first_message"):
                await refuse(websocket, "Send a token in the URL")
                return
            try:
                token = await first_token(websocket)
            except WebSocketDisconnect:
                if mistakes.get("loud_before_token"):
                    raise
                return
            if token is None:
                if mistakes.get("continue_after_close"):
                    await websocket.send_json({"type": "subscribed"})
                return
        user = await user_for(websocket, token)
        if user is None:
            if mistakes.get("continue_after_close"):
                await websocket.send_json({"type": "subscribed"})
            return

        async def send_event(event: TaskEvent) -> None:
            if event.owner_id != user.id and not mistakes.get("everyone"):
                return
            fields = {"type", "task_id"} if mistakes.get("no_task") else {"type", "task_id", "task"}
            if mistakes.get("model"):
                await websocket.send_json(event)  # a TaskEvent is no JSON
            else:
                await websocket.send_json(event.model_dump(mode="json", include=fields))

        listening = not mistakes.get("no_events")
        stop = websocket.app.state.store.events.subscribe(send_event) if listening else None
        try:
            greeting = {"type": "subscribed", "user_id": user.id, "username": user.username}
            if mistakes.get("greeting"):
                greeting = mistakes["greeting"](greeting)
            await websocket.send_json(greeting)
            if mistakes.get("close_after_greeting"):
                await websocket.close()
                return
            if mistakes.get("loud_leave"):
                while True:
                    await websocket.receive_text()
            try:
                while True:
                    await websocket.receive_text()
            except WebSocketDisconnect:
                if mistakes.get("receive_after_leaving"):
                    await websocket.receive_text()
        finally:
            if stop is not None and not mistakes.get("leak"):
                stop()

    return app


# --- Correct answers written otherwise ----------------------------------------------------------


def with_a_manager() -> FastAPI:
    """One store listener for the app, a manager of (socket, user id) pairs, `iter_text`, the
    token through `Annotated[..., Query()]`, and `WebSocketException` raised after accepting."""
    app = checkpoint("09")

    class ConnectionManager:
        def __init__(self) -> None:
            self.connections: list[tuple[WebSocket, int]] = []
            self.listening = False

        def connect(self, websocket: WebSocket, user_id: int) -> None:
            if not self.listening:
                websocket.app.state.store.events.subscribe(self.broadcast)
                self.listening = True
            self.connections.append((websocket, user_id))

        def disconnect(self, websocket: WebSocket) -> None:
            self.connections = [(ws, uid) for ws, uid in self.connections if ws is not websocket]

        async def broadcast(self, event: TaskEvent) -> None:
            message = {"type": event.type, "task_id": event.task_id}
            message["task"] = event.task.model_dump(mode="json") if event.task else None
            for websocket, user_id in list(self.connections):
                if user_id == event.owner_id:
                    try:
                        await websocket.send_text(json.dumps(message))
                    except Exception:  # gone: drop it, keep the others
                        self.disconnect(websocket)

    manager = ConnectionManager()

    async def authenticated(websocket: WebSocket, token: str) -> UserInDB:
        try:
            claims = read_access_token(token, websocket.app.state.settings)
            if "tasks:read" not in claims.scopes:
                raise InvalidToken("missing scope tasks:read")
            async with websocket.app.state.store.transaction() as store:
                return await store.get_user(claims.user_id)
        except (InvalidToken, UserNotFound) as error:
            raise WebSocketException(status.WS_1008_POLICY_VIOLATION, str(error)) from None

    @app.websocket("/live/board")
    async def live(websocket: WebSocket, token: Annotated[str | None, Query()] = None) -> None:
        await websocket.accept()
        if token is None:
            try:
                message = await websocket.receive()
            except WebSocketDisconnect:
                return
            if message["type"] == "websocket.disconnect":
                return
            try:
                token = json.loads(message.get("text") or "")["token"]
                assert isinstance(token, str)
            except (ValueError, KeyError, TypeError, AssertionError):
                raise WebSocketException(1008, "no token in the first message") from None
        user = await authenticated(websocket, token)
        manager.connect(websocket, user.id)
        try:
            await websocket.send_json(
                {"username": user.username, "user_id": user.id, "type": "subscribed", "v": 1}
            )
            async for _ in websocket.iter_text():
                pass
        finally:
            manager.disconnect(websocket)

    return app


def with_a_queue() -> FastAPI:
    """A queue per socket, fed by its listener and emptied by the endpoint; the token read by
    hand from `websocket.query_params`; the socket left to the server when the client leaves."""
    app = checkpoint("09")

    @app.websocket("/live/board")
    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        token = websocket.query_params.get("token")
        if not token:
            try:
                token = json.loads(await websocket.receive_text()).get("token")
            except WebSocketDisconnect:
                return
            except (ValueError, AttributeError):
                token = None
        try:
            claims = read_access_token(token or "", websocket.app.state.settings)
            if "tasks:read" not in claims.scopes:
                raise InvalidToken("tasks:read is missing")
        except InvalidToken as error:
            await websocket.close(1008, str(error))
            return
        async with websocket.app.state.store.transaction() as store:
            user = await store.get_user(claims.user_id)
        queue: asyncio.Queue[TaskEvent] = asyncio.Queue()

        async def listen(event: TaskEvent) -> None:
            if event.owner_id == user.id:
                queue.put_nowait(event)

        stop = websocket.app.state.store.events.subscribe(listen)

        async def forward() -> None:
            while True:
                event = await queue.get()
                await websocket.send_text(event.model_dump_json())

        forwarding = asyncio.create_task(forward())
        try:
            await websocket.send_json(
                {"type": "subscribed", "user_id": user.id, "username": user.username}
            )
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            stop()
            forwarding.cancel()

    return app


ALTERNATIVES = {
    "taskboard": lambda: checkpoint("10"),
    "manager": with_a_manager,
    "queue": with_a_queue,
}


# --- Every task -------------------------------------------------------------------------------


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_reference_passes_twice(checker: Callable[[object], None]) -> None:
    app = board()
    checker(app)
    checker(app)  # and again, as a learner re-running the check


@pytest.mark.parametrize("style", sorted(ALTERNATIVES))
@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_answers_written_another_way_pass(checker: Callable[[object], None], style: str) -> None:
    checker(ALTERNATIVES[style]())


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_before_the_lesson_fails_kindly(checker: Callable[[object], None]) -> None:
    exc = failure(checker, checkpoint("09"))
    assert exc.problem == "no WebSocket route matches this path."
    assert exc.hint == lesson10._DECLARE
    assert "token=<" in exc.sent or exc.sent == "WebSocket /live/board"
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_app_without_taskboard_is_named(checker: Callable[[object], None]) -> None:
    exc = failure(checker, FastAPI())
    assert "checkpoint(" in exc.hint


# --- Task 1 -----------------------------------------------------------------------------------


def test_closing_before_accepting_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(close_before_accept=True))
    assert exc.problem == (
        "for a token that is no JWT: the socket was refused before it was accepted."
    )
    assert exc.got.startswith("close 1008")
    assert exc.hint == lesson10._ACCEPT_FIRST


def test_refusing_without_accepting_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(no_accept=True))
    assert exc.got == "close 1008 'The token is not valid', before accepting"
    assert exc.hint == lesson10._ACCEPT_FIRST


def test_sending_without_accepting_is_caught() -> None:
    app = checkpoint("09")

    @app.websocket("/live/board")
    async def live_board(websocket: WebSocket, token: str | None = None) -> None:
        await websocket.send_json({"type": "subscribed"})

    exc = failure(lesson10.who_are_you, app)
    assert "but got 'websocket.send'" in exc.got
    assert exc.hint == lesson10._ACCEPT


def test_receiving_without_accepting_is_caught() -> None:
    app = checkpoint("09")

    @app.websocket("/live/board")
    async def live_board(websocket: WebSocket) -> None:
        await websocket.receive_text()

    exc = failure(lesson10.first_message, app)
    assert (
        exc.got == 'WebSocketDisconnected: WebSocket is not connected. Need to call "accept" first.'
    )
    assert exc.hint == lesson10._ACCEPT


@pytest.mark.parametrize("code", [1000, 1011, 4001])
def test_the_wrong_close_code_is_caught(code: int) -> None:
    exc = failure(lesson10.who_are_you, board(code=code))
    assert (
        exc.problem
        == "for a token that is no JWT, the close code should be 1008, policy violation."
    )
    assert exc.got.startswith(f"close {code}")
    assert exc.hint == lesson10._CLOSE_1008


def test_a_close_without_a_reason_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(no_reason=True))
    assert exc.problem == "for a token that is no JWT, the close gives no reason."
    assert exc.hint == lesson10._REASON


def test_a_refusal_that_leaves_the_socket_open_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(no_close=True))
    assert (
        exc.problem
        == "a token that is no JWT should be refused, but the board sent a message instead of closing."
    )
    assert exc.got.startswith('\'{"error"')
    assert exc.hint == lesson10._CLOSE_1008


def test_an_invalid_token_that_raises_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(uncaught=True))
    assert exc.got.startswith("InvalidToken: The token is not valid")
    assert exc.hint == lesson10._CATCH_INVALID


def test_a_token_without_tasks_read_that_gets_in_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(any_scope=True))
    assert exc.problem == "a token without tasks:read should be refused, but the board greeted it."
    assert exc.sent == "WebSocket /live/board?token=<a token without tasks:read>"
    assert exc.hint == lesson10._READ_SCOPE


@pytest.mark.parametrize(
    "greeting",
    [
        lambda g: {**g, "type": "hello"},
        lambda g: {**g, "user_id": str(g["user_id"])},
        lambda g: {key: value for key, value in g.items() if key != "username"},
        lambda g: [g],
    ],
    ids=["type", "id-as-text", "no-username", "a-list"],
)
def test_a_wrong_greeting_is_caught(greeting: Callable[[dict], Any]) -> None:
    exc = failure(lesson10.who_are_you, board(greeting=greeting))
    assert exc.problem == "With a valid token: the greeting is not the one asked for."
    assert '"type": "subscribed"' in exc.expected
    assert exc.hint == lesson10._GREET


def test_a_socket_closed_after_the_greeting_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(close_after_greeting=True))
    assert exc.problem == "after the greeting, the socket should stay open until the client leaves."
    assert exc.got == "close 1000"
    assert exc.hint == lesson10._STAY_OPEN


def test_a_client_that_leaves_and_makes_the_endpoint_raise_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(loud_leave=True))
    assert exc.got.startswith("WebSocketDisconnect")
    assert exc.sent.endswith("then left")
    assert exc.hint == lesson10._QUIET


def test_receiving_after_the_client_left_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(receive_after_leaving=True))
    assert "once a disconnect message has been received" in exc.got
    assert exc.hint == lesson10._AFTER_LEAVING


def test_going_on_after_closing_is_caught() -> None:
    exc = failure(lesson10.who_are_you, board(continue_after_close=True))
    assert "once a close message has been sent" in exc.got
    assert exc.hint == lesson10._RETURN_AFTER_CLOSE


# --- Task 2 -----------------------------------------------------------------------------------


def test_task_1_alone_is_caught_by_task_2() -> None:
    exc = failure(lesson10.first_message, board(no_first_message=True))
    assert exc.problem.startswith("With a valid token as the first message")
    assert exc.got.startswith("close 1008")
    assert exc.hint == lesson10._FIRST_MESSAGE


def test_a_first_message_that_is_no_json_and_raises_is_caught() -> None:
    exc = failure(lesson10.first_message, board(receive_json=True))
    assert exc.got.startswith("JSONDecodeError")
    assert exc.hint == lesson10._NOT_A_TOKEN


def test_reading_a_first_message_despite_a_token_in_the_url_is_caught() -> None:
    exc = failure(lesson10.first_message, board(always_first_message=True))
    assert exc.problem.startswith("With the token in the URL")
    assert exc.got == "nothing within 2 s"
    assert exc.hint == lesson10._ONLY_WITHOUT_ONE


# --- Task 3 -----------------------------------------------------------------------------------


def test_no_events_at_all_are_caught() -> None:
    exc = failure(lesson10.your_tasks_live, board(no_events=True))
    assert exc.problem.startswith("The first socket: the socket should hear task.created")
    assert exc.got == "nothing within 2 s"
    assert exc.hint == lesson10._LISTEN


def test_other_users_events_are_caught() -> None:
    exc = failure(lesson10.your_tasks_live, board(everyone=True))
    assert exc.problem == "Another user's socket: the socket heard of a task of another user."
    assert exc.hint == lesson10._ONLY_THEIRS


def test_an_event_without_its_task_is_caught() -> None:
    exc = failure(lesson10.your_tasks_live, board(no_task=True))
    assert exc.problem.startswith("The first socket: the socket should hear task.created")
    assert exc.hint == lesson10._SHAPE


def test_a_listener_that_raises_is_reported_with_its_error() -> None:
    exc = failure(lesson10.your_tasks_live, board(model=True))
    assert exc.problem == "your listener raised instead of sending the change."
    assert "TypeError: Object of type TaskEvent is not JSON serializable" in exc.got
    assert exc.hint == lesson10._SHAPE


# --- Task 4 -----------------------------------------------------------------------------------


def test_a_listener_left_behind_is_caught() -> None:
    exc = failure(lesson10.leaving, board(leak=True))
    assert exc.problem.startswith("a change was sent to a client that had left")
    assert exc.hint == lesson10._UNSUBSCRIBE


def test_a_client_that_leaves_before_its_token_and_makes_the_endpoint_raise_is_caught() -> None:
    exc = failure(lesson10.leaving, board(loud_before_token=True))
    assert exc.sent == "WebSocket /live/board, then left"
    assert exc.got.startswith("WebSocketDisconnect")
    assert exc.hint == lesson10._QUIET_BEFORE_TOKEN


# --- The notebook's cells, run as a notebook runs them ------------------------------------------

SOLUTION = nbformat.read(ROOT / "solutions" / "10_websockets.ipynb", as_version=4)
EXERCISE = make_exercise(SOLUTION)


def test_the_solution_passes_every_check(namespace: ModuleType) -> None:
    verdicts = run_checking(SOLUTION, namespace, lesson10)
    assert verdicts == dict.fromkeys(checker.__name__ for checker in ALL_CHECKS)


def test_the_unsolved_exercise_fails_kindly(namespace: ModuleType) -> None:
    verdicts = run_checking(EXERCISE, namespace, lesson10)
    assert {name: exc.hint for name, exc in verdicts.items()} == dict.fromkeys(
        (checker.__name__ for checker in ALL_CHECKS), lesson10._DECLARE
    )
    assert all(len(exc._render_traceback_()) <= 12 for exc in verdicts.values())


def test_an_endpoint_left_unwritten_is_named() -> None:
    app = checkpoint("09")

    @app.websocket("/live/board")
    async def live_board(websocket: WebSocket, token: str | None = None) -> None:
        raise NotImplementedError

    exc = failure(lesson10.who_are_you, app)
    assert exc.got.startswith("NotImplementedError")
    assert exc.hint == lesson10._NOT_WRITTEN


def test_a_board_at_another_path_is_named() -> None:
    app = checkpoint("09")

    @app.websocket("/live")
    async def live_board(websocket: WebSocket) -> None:
        await websocket.accept()

    exc = failure(lesson10.who_are_you, app)
    assert exc.problem == "no WebSocket route matches this path."
    assert exc.hint == lesson10._DECLARE
