"""Lesson 10: the live board across app instances, with and without a broker.

Each test runs with the in-memory broker (the default) and with Redis pub/sub (`redis_url`:
skipped locally without TEST_REDIS_URL, an error under CI=true), so `pytest -k redis` picks the
Redis ones. Two instances are two apps, each on its own event loop (its own TestClient), that
share one SQLite database, as two workers of one deployment share theirs, and, with Redis, one
Redis database.
"""

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from course.checkpoints import CheckpointSettings
from course.sockets import receive_json
from taskboard.api.main import FEATURES
from taskboard.live.redis_broker import RedisBroker
from taskboard.main import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(params=("memory", "redis"))
def broker(request: pytest.FixtureRequest) -> str | None:
    """None for the in-memory broker, else the URL of an empty Redis database."""
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    return None


def _instance(database: Path, redis_url: str | None) -> FastAPI:
    settings = CheckpointSettings(
        demo_data=False, database_url=f"sqlite+aiosqlite:///{database}", redis_url=redis_url
    )
    return create_app(settings, FEATURES)


@contextmanager
def _instances(tmp_path: Path, redis_url: str | None, count: int) -> Iterator[list[TestClient]]:
    """`count` started instances of one deployment, and a user's token on each client."""
    database = tmp_path / "board.db"
    with ExitStack() as stack:
        clients = [
            stack.enter_context(TestClient(_instance(database, redis_url))) for _ in range(count)
        ]
        first = clients[0]
        assert first.post("/users", json={"username": "ada", "password": PASSWORD}).is_success
        login = first.post("/auth/token", data={"username": "ada", "password": PASSWORD})
        # Every instance signs with the same key, so each accepts a token another issued.
        for client in clients:
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield clients


def _next(websocket: WebSocketTestSession) -> Any:
    """The next message, within 5 seconds: through Redis, it crosses a real network."""
    return receive_json(websocket, timeout=5)


def _subscribe(client: TestClient) -> WebSocketTestSession:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    return client.websocket_connect(f"/live/board?token={token}")


def _subscribed(websocket: WebSocketTestSession) -> None:
    assert _next(websocket)["type"] == "subscribed"


def test_one_instance_hears_its_own_changes_through_its_broker(
    tmp_path: Path, broker: str | None
) -> None:
    with _instances(tmp_path, broker, 1) as (app,), _subscribe(app) as websocket:
        _subscribed(websocket)
        task = app.post("/tasks", json={"title": "Round trip"}).json()
        heard = _next(websocket)
        assert heard == {"type": "task.created", "task_id": task["id"], "task": task}


def test_a_change_on_one_instance_reaches_another_only_through_a_shared_broker(
    tmp_path: Path, broker: str | None
) -> None:
    with _instances(tmp_path, broker, 2) as (a, b), _subscribe(b) as on_b, _subscribe(a) as on_a:
        _subscribed(on_b)
        _subscribed(on_a)
        made_on_a = a.post("/tasks", json={"title": "Made on A"}).json()
        made_on_b = b.post("/tasks", json={"title": "Made on B"}).json()
        # A's own subscriber hears A's change either way.
        assert _next(on_a)["task_id"] == made_on_a["id"]
        if broker is None:
            # In memory, B's board never hears of A's change: its first message is B's own.
            assert _next(on_b)["task_id"] == made_on_b["id"]
        else:
            # Through Redis, each instance hears both, each in the order they were made.
            assert _next(on_b)["task_id"] == made_on_a["id"]
            assert _next(on_b)["task_id"] == made_on_b["id"]
            assert _next(on_a)["task_id"] == made_on_b["id"]


# Redis alone ------------------------------------------------------------------------------------


def _numsub(redis_url: str, channel: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)


def test_each_redis_database_has_a_channel_of_its_own(redis_url: str) -> None:
    # Pub/sub ignores database numbers; the channel names the database instead.
    async def channels() -> tuple[str, str]:
        this = RedisBroker(redis_url, _ignore)
        other = RedisBroker(redis_url.rsplit("/", 1)[0] + "/15", _ignore)
        return this.channel, other.channel

    this, other = asyncio.run(channels())
    assert this != other
    assert this.startswith("taskboard:") and this.endswith(":task-events")


async def _ignore(event: object) -> None:
    return None


def test_the_redis_subscriber_is_there_while_the_app_runs_and_gone_after(redis_url: str) -> None:
    app = create_app(CheckpointSettings(redis_url=redis_url), FEATURES)
    with TestClient(app):
        channel = asyncio.run(_channel(redis_url))
        assert _numsub(redis_url, channel) == 1
    assert _numsub(redis_url, channel) == 0


async def _channel(redis_url: str) -> str:
    return RedisBroker(redis_url, _ignore).channel


def test_a_redis_message_that_is_no_task_event_is_ignored(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with _instances(tmp_path, redis_url, 1) as (app,), _subscribe(app) as websocket:
        _subscribed(websocket)
        with redis.Redis.from_url(redis_url) as client:
            client.publish(asyncio.run(_channel(redis_url)), b"not an event")
        task = app.post("/tasks", json={"title": "Still heard"}).json()
        assert _next(websocket)["task_id"] == task["id"]
    assert "Ignored a message on" in caplog.text


def test_the_board_listens_again_after_redis_dropped_its_connection(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    channel = asyncio.run(_channel(redis_url))
    with _instances(tmp_path, redis_url, 1) as (app,), _subscribe(app) as websocket:
        _subscribed(websocket)
        with redis.Redis.from_url(redis_url) as admin:
            killed = admin.client_kill_filter(_type="pubsub")
            assert killed >= 1
            # redis-py notices, connects and subscribes again by itself: wait for that, at
            # most 5 seconds. A change made before would be lost (pub/sub keeps nothing).
            deadline = time.monotonic() + 5
            while _numsub(redis_url, channel) == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _numsub(redis_url, channel) == 1
        task = app.post("/tasks", json={"title": "Heard again"}).json()
        assert _next(websocket)["task_id"] == task["id"]


def test_an_unreachable_redis_stops_the_app_at_startup() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    app = create_app(CheckpointSettings(redis_url="redis://127.0.0.1:1/0"), FEATURES)
    with pytest.raises(redis.ConnectionError), TestClient(app):
        pass
