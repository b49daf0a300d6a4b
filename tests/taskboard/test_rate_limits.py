"""Lesson 12: each user's writes are limited; one too many is a 429 with Retry-After.

Each test runs with the counts in memory and, with `-k redis`, in Redis (TEST_REDIS_URL). Time
is a clock the test moves (`ManualClock`), never slept through.
"""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from pyrate_limiter import AbstractClock, Duration, Limiter, Rate
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from course.checkpoints import CheckpointSettings
from course.login import access_token, log_in, signed_in
from taskboard.api.main import FEATURES, LIVE_BOARD, SECURITY
from taskboard.core.config import Settings
from taskboard.core.rate_limits import PerKeyBuckets
from taskboard.main import create_app

PASSWORD = "correct horse battery staple"
LIMIT, WINDOW = 3, 60


class ManualClock(AbstractClock):
    """Milliseconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.ms = 1_000_000

    def now(self) -> int:
        return self.ms

    def advance(self, seconds: int) -> None:
        self.ms += seconds * 1000


@pytest.fixture(params=("memory", "redis"))
def limits_url(request: pytest.FixtureRequest) -> str | None:
    """None: the counts in the app's memory; else an empty Redis database."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


# Taskboard but the live board, for what must work while Redis is down.
WITHOUT_LIVE_BOARD = tuple(feature for feature in FEATURES if feature is not LIVE_BOARD)


def board(
    redis_url: str | None,
    clock: ManualClock,
    database_url: str | None = None,
    features: tuple = FEATURES,
) -> FastAPI:
    settings = CheckpointSettings(
        redis_url=redis_url,
        database_url=database_url,
        write_rate_limit=LIMIT,
        write_rate_window=WINDOW,
    )
    app = create_app(settings, features)
    app.state.write_limits.buckets.clock = clock
    return app


@pytest.fixture
def client(limits_url: str | None, clock: ManualClock) -> Iterator[TestClient]:
    with signed_in(board(limits_url, clock)) as client:
        yield client


def _create(client: TestClient, **headers: str) -> int:
    return client.post("/tasks", json={"title": "A write"}, headers=headers).status_code


def _sign_up(client: TestClient, username: str) -> dict[str, str]:
    assert client.post("/users", json={"username": username, "password": PASSWORD}).is_success
    return {"Authorization": f"Bearer {access_token(client, username, PASSWORD)}"}


def test_one_write_too_many_is_a_429_with_retry_after(
    client: TestClient, clock: ManualClock
) -> None:
    for _ in range(LIMIT):
        assert _create(client) == 201
        clock.advance(10)
    refused = client.post("/tasks", json={"title": "One too many"})
    assert refused.status_code == 429
    # The first write leaves the window 60 s after it was made, 30 s ago: 30 s to wait (and the
    # millisecond pyrate-limiter adds, rounded up to a whole second).
    assert refused.headers["retry-after"] == "31"
    assert refused.json() == {
        "detail": "Too many writes: at most 3 every 60 seconds. Try again in 31 seconds."
    }
    assert "One too many" not in [task["title"] for task in client.get("/tasks").json()]


def test_reads_are_never_limited(client: TestClient) -> None:
    for _ in range(LIMIT):
        _create(client)
    assert _create(client) == 429
    for url in ("/tasks", "/tasks/1", "/board/stats", "/labels", "/tasks/1/comments"):
        assert client.get(url).status_code == 200, url


def test_writes_are_allowed_again_as_they_leave_the_window(
    client: TestClient, clock: ManualClock
) -> None:
    for _ in range(LIMIT):
        assert _create(client) == 201
    assert _create(client) == 429
    clock.advance(WINDOW - 1)
    assert _create(client) == 429
    clock.advance(2)
    assert [_create(client) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


def test_every_kind_of_write_counts_in_one_allowance(client: TestClient) -> None:
    # PATCH, DELETE and the comments' and checklists' POST have a path parameter: one count
    # with POST /tasks all the same (fastapi-limiter's own lookup would have split them).
    assert client.patch("/tasks/1", json={"status": "done"}).status_code == 200
    assert client.post("/tasks/1/comments", json={"text": "Done"}).status_code == 201
    assert client.delete("/tasks/2").status_code == 204
    for refused in (
        client.post("/tasks/1/checklist", json={"text": "Step"}),
        client.patch("/tasks/1", json={"status": "todo"}),
        client.delete("/tasks/3"),
        client.post("/tasks", json={"title": "New"}),
    ):
        assert refused.status_code == 429
    assert client.get("/tasks/3").status_code == 200


def test_a_refused_write_is_not_counted_again(client: TestClient, clock: ManualClock) -> None:
    for _ in range(LIMIT):
        _create(client)
    for _ in range(5):
        assert _create(client) == 429
    clock.advance(WINDOW + 1)
    assert [_create(client) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


def test_a_write_without_a_token_is_refused_before_it_is_counted(client: TestClient) -> None:
    for _ in range(5):
        assert _create(client, Authorization="") == 401
    assert [_create(client) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


CREATE_TASK = "mutation($title: String!) { createTask(task: {title: $title}) { id } }"


def _mutate(client: TestClient) -> dict:
    return client.post("/graphql", json={"query": CREATE_TASK, "variables": {"title": "G"}}).json()


def test_graphql_mutations_share_the_rest_routes_allowance(
    client: TestClient, clock: ManualClock
) -> None:
    assert _create(client) == 201
    assert _mutate(client)["data"]["createTask"]["id"]
    clock.advance(30)
    assert _create(client) == 201
    refused = _mutate(client)
    assert refused["data"] is None
    # The first write leaves the window in 30 s (and pyrate-limiter's millisecond, rounded up).
    assert refused["errors"][0]["message"] == (
        "Too many writes: at most 3 every 60 seconds. Try again in 31 seconds."
    )
    assert refused["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 31}
    assert _create(client) == 429
    query = client.post("/graphql", json={"query": "{ tasks { id } }"}).json()
    assert "errors" not in query  # queries are reads: never limited
    assert [task["title"] for task in client.get("/tasks").json()].count("G") == 1


def test_a_mutation_without_a_token_is_refused_before_it_is_counted(client: TestClient) -> None:
    token = client.headers.pop("Authorization")
    for _ in range(5):
        assert _mutate(client)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    client.headers["Authorization"] = token
    assert [_create(client) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


# --- Per user, not per address ------------------------------------------------------------------


def test_each_user_has_their_own_allowance_from_the_same_address(client: TestClient) -> None:
    # Behind one NAT or proxy, a team shares one address: counting per address would stop
    # everyone once one of them is busy.
    ada = _sign_up(client, "ada")
    for _ in range(LIMIT):
        _create(client)
    assert _create(client) == 429
    assert [_create(client, **ada) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


def from_address(app: ASGIApp) -> ASGIApp:
    """`app`, with each request coming from the address its `X-Test-Peer` header names.

    As a server would set it: the address the connection comes from, which the client cannot
    choose (unlike X-Forwarded-For). One client, so one event loop for the app and its Redis.
    """

    async def peer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            address = Headers(scope=scope).get("x-test-peer", "testclient")
            scope = {**scope, "client": (address, 50000)}
        await app(scope, receive, send)

    return peer


def test_a_user_is_counted_whatever_address_they_write_from(
    limits_url: str | None, clock: ManualClock
) -> None:
    with TestClient(from_address(board(limits_url, clock))) as client:
        log_in(client)
        for _ in range(LIMIT):
            assert _create(client, **{"X-Test-Peer": "192.0.2.1"}) == 201  # at home
        assert _create(client, **{"X-Test-Peer": "203.0.113.7"}) == 429  # at the office
        # X-Forwarded-For is whatever the client writes: it gets no new allowance either.
        assert _create(client, **{"X-Forwarded-For": "198.51.100.1"}) == 429


def test_an_app_without_logins_counts_per_connection_address_not_x_forwarded_for(
    limits_url: str | None, clock: ManualClock
) -> None:
    open_board = tuple(feature for feature in FEATURES if feature is not SECURITY)
    with TestClient(from_address(board(limits_url, clock, features=open_board))) as client:
        peer = {"X-Test-Peer": "203.0.113.7"}
        spoofed = [
            _create(client, **peer, **{"X-Forwarded-For": f"198.51.100.{n}"})
            for n in range(LIMIT + 1)
        ]
        assert spoofed == [201, 201, 201, 429]
        assert _create(client, **{"X-Test-Peer": "203.0.113.8"}) == 201  # another address


# --- Whose counts -------------------------------------------------------------------------------


def test_each_app_in_memory_keeps_its_own_counts(clock: ManualClock) -> None:
    with signed_in(board(None, clock)) as first, signed_in(board(None, clock)) as second:
        for _ in range(LIMIT):
            _create(first)
        assert _create(first) == 429
        assert _create(second) == 201  # the same user id, in another app


def test_a_restart_forgets_the_counts_with_the_in_memory_database(clock: ManualClock) -> None:
    # lesson 07's in-memory SQLite starts empty at each startup and hands out user ids again:
    # the new user 2 must not inherit the writes of the old one.
    app = board(None, clock)
    for username in ("ada", "grace"):
        with signed_in(app) as client:
            user = _sign_up(client, username)
            assert [_create(client, **user) for _ in range(LIMIT + 1)] == [201, 201, 201, 429]


@pytest.fixture
def deployment(redis_url: str, tmp_path: Path) -> str:
    """The database two instances of one deployment share: a SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"


def test_redis_counts_are_shared_by_every_instance(
    redis_url: str, deployment: str, clock: ManualClock
) -> None:
    first, second = board(redis_url, clock, deployment), board(redis_url, clock, deployment)
    with signed_in(first) as one, signed_in(second) as two:
        assert [_create(one), _create(two), _create(one)] == [201, 201, 201]
        refused = two.post("/tasks", json={"title": "Fourth"})
        assert (refused.status_code, refused.headers["retry-after"]) == (429, "61")
        assert _create(one) == 429


def test_redis_counts_survive_a_restart(
    redis_url: str, deployment: str, clock: ManualClock
) -> None:
    with signed_in(board(redis_url, clock, deployment)) as before:
        for _ in range(LIMIT):
            assert _create(before) == 201
    # The instance stopped (its lifespan closed its Redis client); a new one starts.
    with signed_in(board(redis_url, clock, deployment)) as after:
        assert _create(after) == 429
        clock.advance(WINDOW + 1)
        assert _create(after) == 201


def test_an_unreachable_redis_lets_writes_through(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the live board: its broker refuses to start without Redis (test_live_brokers.py),
    # where the limits let writes through.
    app = board("redis://127.0.0.1:1/0", clock, features=WITHOUT_LIVE_BOARD)
    with signed_in(app) as client, caplog.at_level(logging.WARNING):
        assert [_create(client) for _ in range(LIMIT + 1)] == [201] * (LIMIT + 1)
    assert "The rate limits are unreachable" in caplog.text


# --- What the libraries do on their own, which Taskboard works around ---------------------------


def test_pyrate_limiters_own_limiter_counts_every_name_in_one_bucket() -> None:
    # fastapi-limiter's README passes Limiter(Rate(...)): one bucket, whatever the name.
    shared = Limiter(Rate(2, Duration.MINUTE))
    assert [shared.try_acquire(name, blocking=False) for name in ("ada", "bob", "cy")] == [
        True,
        True,
        False,
    ]
    shared.close()
    per_key = Limiter(PerKeyBuckets([Rate(2, Duration.MINUTE)]))
    assert [per_key.try_acquire(name, blocking=False) for name in ("ada", "bob", "cy")] == [
        True,
        True,
        True,
    ]
    assert per_key.try_acquire("ada", blocking=False) is True
    assert per_key.try_acquire("ada", blocking=False) is False


# --- Settings -----------------------------------------------------------------------------------


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_WRITE_RATE_LIMIT", "10")
    monkeypatch.setenv("TASKBOARD_WRITE_RATE_WINDOW", "3600")
    monkeypatch.setenv("TASKBOARD_STATS_CACHE_SECONDS", "5")
    settings = Settings(_env_file=None)
    assert (settings.write_rate_limit, settings.write_rate_window) == (10, 3600)
    assert settings.stats_cache_seconds == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("write_rate_limit", 0),
        ("write_rate_window", 0),
        ("write_rate_window", 86_401),
        ("stats_cache_seconds", 0),
    ],
)
def test_a_limit_or_an_expiry_out_of_range_is_refused(name: str, value: int) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None, **{name: value})
