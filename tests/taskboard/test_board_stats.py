"""Lesson 12: GET /board/stats, cached per user, cleared on writes, with an ETag and 304s.

Each test runs with the cache in memory and, with `-k redis`, in Redis (TEST_REDIS_URL).
"""

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fastapi_cache.types import Backend

from course.checkpoints import CheckpointSettings
from course.login import access_token, signed_in
from taskboard.api.main import FEATURES, LIVE_BOARD
from taskboard.core.cache import MemoryBackend
from taskboard.core.features import Feature
from taskboard.core.http_cache import none_match, weak_etag
from taskboard.main import create_app
from tests.taskboard.conftest import IN_MEMORY_FEATURES

PASSWORD = "correct horse battery staple"
DEMO_STATS = {
    "total": 4,
    "by_status": {"todo": 2, "doing": 1, "done": 1},
    "by_label": {"api": 2, "docs": 1, "ops": 1, "review": 1},
}
NO_TASKS = {"total": 0, "by_status": {"todo": 0, "doing": 0, "done": 0}, "by_label": {}}


@pytest.fixture(params=("memory", "redis"))
def cache_url(request: pytest.FixtureRequest) -> str | None:
    """None: the cache in the app's memory; else an empty Redis database."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


def board(
    redis_url: str | None,
    database_url: str | None = None,
    features: Sequence[Feature] = FEATURES,
    **settings: object,
) -> FastAPI:
    return create_app(
        CheckpointSettings(redis_url=redis_url, database_url=database_url, **settings), features
    )


@pytest.fixture
def client(cache_url: str | None) -> Iterator[TestClient]:
    with signed_in(board(cache_url)) as client:
        yield client


def _sign_up(client: TestClient, username: str) -> dict[str, str]:
    """Sign up `username`; the headers that make a request theirs."""
    assert client.post("/users", json={"username": username, "password": PASSWORD}).is_success
    return {"Authorization": f"Bearer {access_token(client, username, PASSWORD)}"}


def _stats(client: TestClient, **headers: str) -> tuple[str, dict[str, object]]:
    response = client.get("/board/stats", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["x-cache"], response.json()


def test_the_stats_count_the_users_tasks_by_status_and_label(client: TestClient) -> None:
    assert _stats(client) == ("MISS", DEMO_STATS)
    assert _stats(client) == ("HIT", DEMO_STATS)


def test_a_create_an_update_and_a_delete_each_clear_the_stats(client: TestClient) -> None:
    _stats(client)
    created = client.post("/tasks", json={"title": "Ship", "labels": ["api", "release"]}).json()
    assert _stats(client) == (
        "MISS",
        {
            "total": 5,
            "by_status": {"todo": 3, "doing": 1, "done": 1},
            "by_label": {"api": 3, "docs": 1, "ops": 1, "release": 1, "review": 1},
        },
    )
    assert _stats(client)[0] == "HIT"
    client.patch(f"/tasks/{created['id']}", json={"status": "done", "labels": []})
    cache, stats = _stats(client)
    assert (cache, stats["by_status"], stats["by_label"]) == (
        "MISS",
        {"todo": 2, "doing": 1, "done": 2},
        DEMO_STATS["by_label"],
    )
    client.post(f"/tasks/{created['id']}/checklist", json={"text": "Tag it"})
    assert _stats(client) == ("MISS", stats)  # a change that changes no count clears it too
    client.delete(f"/tasks/{created['id']}")
    assert _stats(client) == ("MISS", DEMO_STATS)


def test_a_refused_write_clears_nothing(client: TestClient) -> None:
    _stats(client)
    assert client.patch("/tasks/999", json={"status": "done"}).status_code == 404
    assert client.post("/tasks", json={"title": ""}).status_code == 422
    assert _stats(client)[0] == "HIT"


def test_each_user_gets_their_own_stats_never_anothers(client: TestClient) -> None:
    assert _stats(client) == ("MISS", DEMO_STATS)  # cached for the demo account
    ada = _sign_up(client, "ada")
    assert _stats(client, **ada) == ("MISS", NO_TASKS)
    client.post("/tasks", json={"title": "Ada's", "status": "doing"}, headers=ada)
    cache, stats = _stats(client, **ada)
    assert (cache, stats["total"], stats["by_status"]["doing"]) == ("MISS", 1, 1)
    # Ada's write cleared Ada's stats only.
    assert _stats(client) == ("HIT", DEMO_STATS)


def test_the_stats_want_a_token_with_tasks_read(client: TestClient) -> None:
    assert client.get("/board/stats", headers={"Authorization": ""}).status_code == 401
    ada = _sign_up(client, "ada")
    token = access_token(client, "ada", PASSWORD, scope="tasks:write")
    refused = client.get("/board/stats", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert _stats(client, **ada)[1] == NO_TASKS


# --- HTTP caching: ETag, If-None-Match, Cache-Control -------------------------------------------


def test_the_answer_is_private_with_a_quoted_etag_of_its_bytes(client: TestClient) -> None:
    response = client.get("/board/stats")
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["vary"] == "Authorization"
    assert response.headers["etag"] == weak_etag(response.content)
    assert response.headers["etag"].startswith('W/"') and response.headers["etag"].endswith('"')
    assert client.get("/board/stats").headers["etag"] == response.headers["etag"]


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "{strong}",  # the same tag without W/: compared weakly
        '"not-it", {etag}',
        '"not-it",{strong} , "other"',
        "*",
    ],
)
def test_if_none_match_with_the_current_etag_is_a_304_without_a_body(
    client: TestClient, if_none_match: str
) -> None:
    etag = client.get("/board/stats").headers["etag"]
    header = if_none_match.format(etag=etag, strong=etag.removeprefix("W/"))
    response = client.get("/board/stats", headers={"If-None-Match": header})
    assert response.status_code == 304
    assert response.content == b""
    assert "content-length" not in response.headers
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["x-cache"] == "HIT"


@pytest.mark.parametrize(
    "if_none_match",
    ['"not-it"', "{unquoted}", "W/1234", "", "{etag}x"],
)
def test_another_or_a_malformed_etag_gets_the_whole_answer(
    client: TestClient, if_none_match: str
) -> None:
    etag = client.get("/board/stats").headers["etag"]
    # fastapi-cache2's style, W/ then a number, is no entity-tag: it matches nothing.
    header = if_none_match.format(etag=etag, unquoted=etag.replace('"', ""))
    response = client.get("/board/stats", headers={"If-None-Match": header})
    assert (response.status_code, response.json()) == (200, DEMO_STATS)


def test_after_a_write_the_old_etag_gets_the_new_stats(client: TestClient) -> None:
    etag = client.get("/board/stats").headers["etag"]
    client.post("/tasks", json={"title": "New"})
    response = client.get("/board/stats", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["total"] == 5
    assert response.headers["etag"] != etag


def test_two_apps_give_the_same_stats_the_same_etag() -> None:
    # A digest of the bytes, not Python's hash(): the same in every process and worker.
    etags = []
    for _ in range(2):
        with signed_in(board(None)) as client:
            etags.append(client.get("/board/stats").headers["etag"])
    assert etags[0] == etags[1]


# --- Whose cache -------------------------------------------------------------------------------


def test_each_app_in_memory_keeps_its_own_cache() -> None:
    # Two apps in one process (two tests, a notebook's checkpoints): no entry of one is the
    # other's, although their demo accounts have the same user id.
    with signed_in(board(None)) as first, signed_in(board(None)) as second:
        assert _stats(first) == ("MISS", DEMO_STATS)
        assert _stats(second) == ("MISS", DEMO_STATS)
        second.post("/tasks", json={"title": "Only in the second app"})
        cache, stats = _stats(second)
        assert (cache, stats["total"]) == ("MISS", 5)
        assert _stats(first) == ("HIT", DEMO_STATS)


def test_an_app_used_without_its_lifespan_still_clears_the_stats() -> None:
    # The in-memory store: a database engine would be left open without the lifespan.
    client = TestClient(create_app(CheckpointSettings(), IN_MEMORY_FEATURES))  # no `with`
    token = access_token(client)
    headers = {"Authorization": f"Bearer {token}"}
    assert _stats(client, **headers) == ("MISS", DEMO_STATS)
    client.post("/tasks", json={"title": "New"}, headers=headers)
    cache, stats = _stats(client, **headers)
    assert (cache, stats["total"]) == ("MISS", 5)


def test_a_restart_forgets_the_stats_with_the_in_memory_database() -> None:
    # lesson 07's in-memory SQLite starts empty at each startup and hands out user ids again:
    # the new user 2 must not get the stats of the old one.
    app = board(None)
    for username, tasks in (("ada", 1), ("grace", 0)):
        with signed_in(app) as client:
            user = _sign_up(client, username)
            for _ in range(tasks):
                client.post("/tasks", json={"title": "Ada's"}, headers=user)
            assert _stats(client, **user) == (
                "MISS",
                {**NO_TASKS, "total": tasks, "by_status": {**NO_TASKS["by_status"], "todo": tasks}},
            )


def test_the_memory_backend_has_every_method_of_fastapi_cache2s_backend() -> None:
    assert Backend.__abstractmethods__ <= {
        name for name, value in vars(MemoryBackend).items() if callable(value)
    }


def test_the_memory_backend_expires_entries_and_clears_one_key() -> None:
    now = [100.0]
    backend = MemoryBackend(clock=lambda: now[0])

    async def scenario() -> None:
        await backend.set("stats:user-1", b"one", expire=60)
        await backend.set("stats:user-10", b"ten", expire=60)
        assert await backend.get_with_ttl("stats:user-1") == (60, b"one")
        assert await backend.clear(key="stats:user-1") == 1
        assert await backend.clear(key="stats:user-1") == 0  # fastapi-cache2's: KeyError
        assert await backend.get("stats:user-10") == b"ten"  # not cleared with user-1
        now[0] += 60
        assert await backend.get("stats:user-10") is None
        await backend.set("a:1", b"x")
        await backend.set("ab:1", b"y")
        assert await backend.clear(namespace="a") == 1
        assert (await backend.get("a:1"), await backend.get("ab:1")) == (None, b"y")

    anyio.run(scenario)


# --- Redis: one cache for every instance -------------------------------------------------------


@pytest.fixture
def shared_board(redis_url: str, tmp_path: Path) -> Iterator[tuple[FastAPI, FastAPI]]:
    """Two instances of one deployment: one database (a SQLite file) and one Redis."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"
    yield board(redis_url, database), board(redis_url, database)


def test_redis_instances_share_the_cache_and_its_clearing(
    shared_board: tuple[FastAPI, FastAPI],
) -> None:
    first, second = shared_board
    with signed_in(first) as one, signed_in(second) as two:
        assert _stats(one) == ("MISS", DEMO_STATS)
        assert _stats(two) == ("HIT", DEMO_STATS)
        one.post("/tasks", json={"title": "Written through the first"})
        cache, stats = _stats(two)
        assert (cache, stats["total"]) == ("MISS", 5)
        assert _stats(one) == ("HIT", stats)


def test_redis_keeps_the_cache_across_a_restart(shared_board: tuple[FastAPI, FastAPI]) -> None:
    first, second = shared_board
    with signed_in(first) as client:
        assert _stats(client)[0] == "MISS"
    with signed_in(second) as client:  # the first one stopped; a new one starts
        assert _stats(client) == ("HIT", DEMO_STATS)


def test_an_unreachable_redis_is_a_miss_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    # Port 1: nothing listens, so every command fails at once.
    # Without the live board: its broker refuses to start without Redis (test_live_brokers.py),
    # where the cache answers from the database.
    without_live_board = [feature for feature in FEATURES if feature is not LIVE_BOARD]
    with (
        signed_in(board("redis://127.0.0.1:1/0", features=without_live_board)) as client,
        caplog.at_level(logging.WARNING),
    ):
        assert _stats(client) == ("MISS", DEMO_STATS)
        assert client.post("/tasks", json={"title": "Still saved"}).status_code == 201
    assert "The stats cache is unreachable" in caplog.text


# --- If-None-Match, by RFC 9110 -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ('W/"abc"', True),
        ('"abc"', True),
        ('"x", W/"abc"', True),
        ("*", True),
        (" * ", True),
        ('"abcd"', False),
        ("abc", False),
        ('W/"ab"c', False),
        ('"", "ABC"', False),
    ],
)
def test_none_match_compares_entity_tags_weakly(header: str | None, matches: bool) -> None:
    assert none_match(header, 'W/"abc"') is matches
