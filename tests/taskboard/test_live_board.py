"""Lesson 10: the live board, a WebSocket that pushes each change to a user's tasks.

Most tests run on every store (memory, SQLite, PostgreSQL when TEST_DATABASE_URL names one),
through TestClient. Every receive is bounded (course.sockets), so a broken board fails a test
instead of hanging it. Where a test shows that a message did NOT come, it makes a change the
subscriber does see and checks that it comes first: no waiting out a window.

A client that leaves calls `close()` inside its `with` block: TestClient cancels the socket's
endpoint as soon as the block ends, before it has finished reacting to the goodbye.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from course.checkpoints import CheckpointSettings
from course.login import access_token
from course.sockets import receive_json
from taskboard.api.routes import live
from taskboard.core.security import create_access_token
from taskboard.events import TaskEvent
from taskboard.live import manager
from taskboard.live.manager import ConnectionManager, TooSlow
from taskboard.main import create_app
from taskboard.models import TaskCreate
from tests.taskboard.conftest import IN_MEMORY_FEATURES

PASSWORD = "correct horse battery staple"
BOARD = "/live/board"
DEMO_TASKS = 4  # with demo data, the demo account owns tasks 1 to 4 once it logs in


def _token(client: TestClient, username: str = "demo", scope: str | None = None) -> str:
    password = "demo password" if username == "demo" else PASSWORD
    return access_token(client, username, password, scope)


def _sign_up(client: TestClient, username: str) -> str:
    """A new user's token."""
    response = client.post("/users", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return _token(client, username)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _subscribe(client: TestClient, token: str) -> WebSocketTestSession:
    """A socket on the live board, past its `subscribed` greeting: to use in a `with`."""
    return client.websocket_connect(f"{BOARD}?token={token}")


def _subscribed(websocket: WebSocketTestSession, username: str = "demo") -> None:
    hello = receive_json(websocket)
    assert hello["type"] == "subscribed" and hello["username"] == username, hello


def _closed(websocket: WebSocketTestSession) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed:
        receive_json(websocket)
    return closed.value


def _board(app: FastAPI) -> ConnectionManager:
    return app.state.live_board


# What a subscriber hears ------------------------------------------------------------------------


def test_a_subscriber_hears_each_change_to_its_tasks(client: TestClient) -> None:
    with _subscribe(client, _token(client)) as websocket:
        _subscribed(websocket)
        task = client.post("/tasks", json={"title": "Ship it"}).json()
        created = receive_json(websocket)
        assert created == {"type": "task.created", "task_id": task["id"], "task": task}

        changed = client.patch(f"/tasks/{task['id']}", json={"status": "doing"}).json()
        assert receive_json(websocket) == {
            "type": "task.updated",
            "task_id": task["id"],
            "task": changed,
        }
        client.post(f"/tasks/{task['id']}/checklist", json={"text": "Tag it"})
        with_item = receive_json(websocket)
        assert with_item["type"] == "task.updated"
        assert [item["text"] for item in with_item["task"]["checklist"]] == ["Tag it"]

        assert client.delete(f"/tasks/{task['id']}").status_code == 204
        assert receive_json(websocket) == {
            "type": "task.deleted",
            "task_id": task["id"],
            "task": None,
        }


def test_the_greeting_names_the_subscriber(client: TestClient) -> None:
    me = client.get("/auth/me").json()
    with _subscribe(client, _token(client)) as websocket:
        assert receive_json(websocket) == {
            "type": "subscribed",
            "user_id": me["id"],
            "username": "demo",
        }


def test_two_clients_at_once_both_hear_the_change(client: TestClient) -> None:
    token = _token(client)
    with _subscribe(client, token) as laptop, _subscribe(client, token) as phone:
        _subscribed(laptop)
        _subscribed(phone)
        task = client.post("/tasks", json={"title": "Seen twice"}).json()
        for websocket in (laptop, phone):
            assert receive_json(websocket)["task_id"] == task["id"]


def test_a_change_made_without_rest_is_heard_too(app: FastAPI, client: TestClient) -> None:
    # Anything that calls the store announces its changes: here, code on the app's event loop.
    owner = client.get("/auth/me").json()["id"]

    async def create() -> int:
        async with app.state.store.transaction(owner=owner) as store:
            return (await store.create(TaskCreate(title="From a script"))).id

    with _subscribe(client, _token(client)) as websocket:
        _subscribed(websocket)
        task_id = client.portal.call(create)
        heard = receive_json(websocket)
        assert (heard["type"], heard["task_id"], heard["task"]["title"]) == (
            "task.created",
            task_id,
            "From a script",
        )


def test_what_the_client_sends_is_ignored(client: TestClient) -> None:
    with _subscribe(client, _token(client)) as websocket:
        _subscribed(websocket)
        websocket.send_text("hello?")
        websocket.send_bytes(b"\x00\xff")
        websocket.send_json({"token": "another"})
        task = client.post("/tasks", json={"title": "Still heard"}).json()
        assert receive_json(websocket)["task_id"] == task["id"]


# Who hears what ---------------------------------------------------------------------------------


def test_each_user_hears_only_the_changes_to_their_own_tasks(client: TestClient) -> None:
    ada = _sign_up(client, "ada")
    with _subscribe(client, _token(client)) as demo_socket, _subscribe(client, ada) as ada_socket:
        _subscribed(demo_socket)
        _subscribed(ada_socket, "ada")
        adas = client.post("/tasks", json={"title": "Ada's"}, headers=_bearer(ada)).json()
        client.patch("/tasks/2", json={"status": "done"})  # a demo task
        demos = client.post("/tasks", json={"title": "Demo's"}).json()

        # Ada's task is not among what the demo account hears: its next message is its own.
        assert receive_json(demo_socket)["task_id"] == 2
        assert receive_json(demo_socket)["task_id"] == demos["id"]
        # And Ada hears only hers, even after the demo account's changes.
        assert receive_json(ada_socket)["task_id"] == adas["id"]
        last = client.post("/tasks", json={"title": "Ada's too"}, headers=_bearer(ada)).json()
        assert receive_json(ada_socket)["task_id"] == last["id"]


def test_a_refused_write_is_not_announced(client: TestClient) -> None:
    ada = _sign_up(client, "ada")
    with _subscribe(client, _token(client)) as websocket:
        _subscribed(websocket)
        # Ada may not touch the demo account's task: 404, and nothing changed.
        refused = client.patch("/tasks/1", json={"title": "Mine"}, headers=_bearer(ada))
        assert refused.status_code == 404
        assert client.post("/tasks", json={"title": ""}).status_code == 422
        task = client.post("/tasks", json={"title": "The only change"}).json()
        assert receive_json(websocket)["task_id"] == task["id"]


# Tokens ---------------------------------------------------------------------------------------


def test_the_token_may_come_as_the_first_message(client: TestClient) -> None:
    # Out of the URL, so out of the server's access log and the proxies' logs.
    with client.websocket_connect(BOARD) as websocket:
        websocket.send_json({"token": _token(client)})
        _subscribed(websocket)
        task = client.post("/tasks", json={"title": "Heard"}).json()
        assert receive_json(websocket)["task_id"] == task["id"]


def _refused(app: FastAPI, client: TestClient) -> dict[str, tuple[str, str]]:
    """(token, the reason of the close) for each way a token is refused."""
    settings = app.state.settings
    demo = client.get("/auth/me").json()["id"]
    long_ago = datetime.now(UTC) - timedelta(days=1)
    gone = _sign_up(client, "gone")
    gone_id = client.get("/auth/me", headers=_bearer(gone)).json()["id"]
    assert client.delete(f"/users/{gone_id}", headers=_bearer(gone)).status_code == 204
    claims = {"sub": str(demo), "scope": "tasks:read", "exp": datetime.now(UTC) + timedelta(1)}
    return {
        "malformed": ("not-a-jwt", "The token is not valid"),
        "expired": (
            create_access_token(demo, ["tasks:read"], settings, now=long_ago),
            "The token has expired: log in again",
        ),
        "other-key": (
            jwt.encode(claims, "another-key-of-thirty-two-bytes-or-more", "HS256"),
            "The token is not valid",
        ),
        "user-gone": (gone, "The token's user no longer exists"),
        "no-read-scope": (
            _token(client, scope="tasks:write"),
            "The token does not allow tasks:read",
        ),
    }


@pytest.mark.parametrize(
    "kind", ["malformed", "expired", "other-key", "user-gone", "no-read-scope"]
)
@pytest.mark.parametrize("where", ["query", "first message"])
def test_a_refused_token_is_accepted_then_closed_with_1008_and_the_reason(
    app: FastAPI, client: TestClient, kind: str, where: str
) -> None:
    token, reason = _refused(app, client)[kind]
    url = f"{BOARD}?token={token}" if where == "query" else BOARD
    # Accepted: websocket_connect returns. Then closed, with a code and reason a browser can read.
    with client.websocket_connect(url) as websocket:
        if where == "first message":
            websocket.send_json({"token": token})
        closed = _closed(websocket)
    assert (closed.code, closed.reason) == (1008, reason)
    assert _board(app).subscribers == 0


@pytest.mark.parametrize(
    "first",
    [
        "not json",
        json.dumps({"access_token": "x"}),
        json.dumps({"token": ""}),
        json.dumps({"token": 42}),
        json.dumps(["token"]),
        b"\xff\x00",
    ],
)
def test_a_first_message_without_a_token_is_closed_with_1008(
    client: TestClient, first: str | bytes
) -> None:
    with client.websocket_connect(BOARD) as websocket:
        if isinstance(first, bytes):
            websocket.send_bytes(first)
        else:
            websocket.send_text(first)
        closed = _closed(websocket)
    assert (closed.code, closed.reason) == (1008, live.NO_TOKEN)


def test_a_client_that_sends_no_token_in_time_is_closed_with_1008(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "AUTH_TIMEOUT", 0.05)
    with client.websocket_connect(BOARD) as websocket:
        closed = _closed(websocket)
    assert (closed.code, closed.reason) == (1008, "No token within 0.05 seconds")


def test_a_client_that_leaves_before_its_token_is_let_go(app: FastAPI, client: TestClient) -> None:
    with client.websocket_connect(BOARD) as websocket:
        websocket.close()
    # The board is still there for the next one.
    with _subscribe(client, _token(client)) as websocket:
        _subscribed(websocket)
    assert _board(app).subscribers == 0


def test_the_socket_is_closed_when_its_token_expires(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(client)
    expires = datetime.fromtimestamp(jwt.decode(token, options={"verify_signature": False})["exp"])
    # A clock the test controls: 50 ms before the token's expiry.
    monkeypatch.setattr(live, "now", lambda: expires.astimezone(UTC) - timedelta(seconds=0.05))
    with _subscribe(client, token) as websocket:
        _subscribed(websocket)
        closed = _closed(websocket)
    assert (closed.code, closed.reason) == (1008, "The token has expired: log in again")
    assert _board(app).subscribers == 0


def test_every_close_reason_fits_in_a_control_frame() -> None:
    # RFC 6455: a close frame's reason is at most 123 bytes of UTF-8.
    reasons = [
        live.NO_TOKEN,
        live.TOO_SLOW,
        f"No token within {live.AUTH_TIMEOUT:g} seconds",
        "The token has expired: log in again",
        "The token is not valid",
        "The token's user no longer exists",
        "The token does not allow tasks:read",
        "The live board is not running: start the app's lifespan",
    ]
    assert all(len(reason.encode()) <= 123 for reason in reasons)


# Leaving --------------------------------------------------------------------------------------


def test_a_client_that_leaves_is_forgotten_and_the_others_still_hear(
    app: FastAPI, client: TestClient
) -> None:
    token = _token(client)
    with _subscribe(client, token) as staying:
        _subscribed(staying)
        with _subscribe(client, token) as leaving:
            _subscribed(leaving)
            assert _board(app).subscribers == 2
            leaving.close()
            task = client.post("/tasks", json={"title": "After the goodbye"}).json()
            assert receive_json(staying)["task_id"] == task["id"]
            assert _board(app).subscribers == 1
        task = client.post("/tasks", json={"title": "And again"}).json()
        assert receive_json(staying)["task_id"] == task["id"]
    assert _board(app).subscribers == 0


def test_without_its_lifespan_the_board_says_so(app: FastAPI) -> None:
    # `TestClient(app)` outside a `with` runs no lifespan, so nothing connects the store to it.
    with pytest.raises(WebSocketDisconnect) as closed:
        TestClient(app).websocket_connect(BOARD).__enter__()
    assert (closed.value.code, closed.value.reason) == (
        1011,
        "The live board is not running: start the app's lifespan",
    )


# The connection manager on its own ------------------------------------------------------------


def _event(task_id: int, owner_id: int | None) -> TaskEvent:
    return TaskEvent(type="task.deleted", task_id=task_id, owner_id=owner_id)


def test_the_manager_gives_each_subscriber_what_it_may_see() -> None:
    async def main() -> None:
        board = ConnectionManager()
        with board.subscribe(1) as one, board.subscribe(2) as two:
            for event in (_event(10, 1), _event(20, 2), _event(30, None), _event(11, 1)):
                await board.broadcast(event)
            assert [(await one.next()).task_id, (await one.next()).task_id] == [10, 11]
            assert (await two.next()).task_id == 20
            assert board.subscribers == 2
        assert board.subscribers == 0

    anyio.run(main)


def test_a_subscription_ends_however_its_block_ends() -> None:
    board = ConnectionManager()
    with pytest.raises(RuntimeError), board.subscribe(1):
        raise RuntimeError("the socket broke")
    assert board.subscribers == 0


def test_a_subscriber_that_falls_behind_is_told_so_and_the_others_are_not() -> None:
    async def main() -> None:
        board = ConnectionManager(queue_size=2)
        with board.subscribe(1) as slow, board.subscribe(1) as quick:
            for task_id in (1, 2, 3):
                await board.broadcast(_event(task_id, 1))
                assert (await quick.next()).task_id == task_id
            with pytest.raises(TooSlow):
                await slow.next()

    anyio.run(main)


# Clients that vanish or stall, driven by hand over ASGI ------------------------------------------
#
# TestClient's sockets never fail to receive, and never fall behind. These tests play the
# server's part themselves, in one event loop with the app: a client whose connection is gone
# (sending to it raises OSError, as uvicorn's ClientDisconnected is) or stalls (sending to it
# waits until the test lets it).


class HandDrivenSocket:
    """One client of /live/board, as a server would run its socket."""

    def __init__(self, app: FastAPI, token: str) -> None:
        self._app = app
        self._token = token
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._gone = False
        self._unstalled = asyncio.Event()
        self._unstalled.set()
        self._endpoint: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "HandDrivenSocket":
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": BOARD,
            "raw_path": BOARD.encode(),
            "root_path": "",
            "query_string": f"token={self._token}".encode(),
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "subprotocols": [],
            "extensions": {"websocket.http.response": {}},
        }
        self._endpoint = asyncio.create_task(self._app(scope, self._to_app.get, self._send))
        await self._to_app.put({"type": "websocket.connect"})
        assert (await self.next())["type"] == "websocket.accept"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        await self.ended()

    async def _send(self, message: Message) -> None:
        if message["type"] == "websocket.send":
            if self._gone:
                raise OSError("the client is gone")
            await self._unstalled.wait()
        await self._from_app.put(message)

    def vanish(self) -> None:
        self._gone = True

    def stall(self) -> None:
        self._unstalled.clear()

    def resume(self) -> None:
        self._unstalled.set()

    async def next(self) -> Message:
        with anyio.fail_after(2):
            return await self._from_app.get()

    async def next_json(self) -> Any:
        message = await self.next()
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def ended(self) -> None:
        assert self._endpoint is not None
        with anyio.fail_after(2):
            await self._endpoint


async def _in_one_loop(
    app: FastAPI, test: Callable[[httpx2.AsyncClient, str], Awaitable[None]]
) -> None:
    """Run `test(http, token)` with the app started, a REST client and the demo account's token."""
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        login = await http.post(
            "/auth/token", data={"username": "demo", "password": "demo password"}
        )
        token = login.json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        await test(http, token)


@pytest.fixture
def memory_app() -> FastAPI:
    return create_app(CheckpointSettings(demo_data=True), IN_MEMORY_FEATURES)


def test_a_client_that_vanished_mid_broadcast_breaks_nothing_and_is_forgotten(
    memory_app: FastAPI,
) -> None:
    async def test(http: httpx2.AsyncClient, token: str) -> None:
        async with (
            HandDrivenSocket(memory_app, token) as first,
            HandDrivenSocket(memory_app, token) as gone,
            HandDrivenSocket(memory_app, token) as last,
        ):
            for socket in (first, gone, last):
                assert (await socket.next_json())["type"] == "subscribed"
            gone.vanish()
            created = await http.post("/tasks", json={"title": "Heard by two"})
            assert created.status_code == 201
            for socket in (first, last):
                assert (await socket.next_json())["task_id"] == created.json()["id"]
            await gone.ended()  # its endpoint returned, quietly
            assert _board(memory_app).subscribers == 2

    asyncio.run(_in_one_loop(memory_app, test))


def test_a_client_too_far_behind_is_closed_with_1013_and_holds_up_nobody(
    memory_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manager, "QUEUE_SIZE", 2)

    async def test(http: httpx2.AsyncClient, token: str) -> None:
        async with (
            HandDrivenSocket(memory_app, token) as slow,
            HandDrivenSocket(memory_app, token) as quick,
        ):
            for socket in (slow, quick):
                assert (await socket.next_json())["type"] == "subscribed"
            slow.stall()
            # One event in the slow socket's send, two in its queue, and a fourth too many,
            # while the quick one takes each as it comes.
            ids = []
            for n in range(4):
                created = await http.post("/tasks", json={"title": f"#{n}"})
                ids.append(created.json()["id"])
                assert (await quick.next_json())["task_id"] == ids[-1]
            slow.resume()
            assert (await slow.next_json())["task_id"] == ids[0]
            closed = await slow.next()
            assert (closed["type"], closed["code"], closed["reason"]) == (
                "websocket.close",
                1013,
                live.TOO_SLOW,
            )
            await slow.ended()
            assert _board(memory_app).subscribers == 1

    asyncio.run(_in_one_loop(memory_app, test))
