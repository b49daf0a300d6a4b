"""The database store (lesson 07) on SQLite, and on PostgreSQL when TEST_DATABASE_URL names one: what
only a database can get wrong. Every other Taskboard test runs against it too (conftest.py)."""

import asyncio
from collections import Counter

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from course.checkpoints import CheckpointSettings
from course.login import log_in_anyone, signed_in
from taskboard.api.main import FEATURES
from taskboard.core.config import Settings
from taskboard.db import store as db_store
from taskboard.db.engine import async_url, make_engine
from taskboard.db.models import Base, Task, User
from taskboard.db.store import DatabaseStore
from taskboard.main import create_app

ADA = {"username": "ada", "password": "a long passphrase"}


async def count(store: DatabaseStore, model: type) -> int:
    async with store.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def test_a_taken_username_is_a_409_and_leaves_one_row(sql_app: FastAPI) -> None:
    with TestClient(sql_app) as client:  # signing up needs no login
        assert client.post("/users", json=ADA).status_code == 201
        again = client.post("/users", json=ADA | {"full_name": "Someone else"})
        assert again.status_code == 409
        assert again.json() == {"detail": "Username 'ada' is already taken"}
        assert client.portal.call(count, sql_app.state.store, User) == 1
        # The session was rolled back, not left broken: the next sign-up works.
        assert client.post("/users", json=ADA | {"username": "grace"}).status_code == 201


def test_a_failed_request_writes_nothing(sql_app: FastAPI) -> None:
    async def half_written(store: DatabaseStore) -> None:
        async with store.transaction() as request_store:
            assert request_store._session is not None
            request_store._session.add(Task(title="Half", status="todo", priority=3))
            await request_store._session.flush()  # sent to the database, not committed
            raise RuntimeError("the route failed")

    with signed_in(sql_app) as client:
        store = sql_app.state.store
        with pytest.raises(RuntimeError):
            client.portal.call(half_written, store)
        assert client.portal.call(count, store, Task) == 4
        assert [task["title"] for task in client.get("/tasks/search?q=half").json()] == []


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_pagination_out_of_bounds_is_a_422(sql_app: FastAPI, limit: str) -> None:
    with signed_in(sql_app) as client:
        assert client.get(f"/tasks?limit={limit}").status_code == 422


def test_pagination_in_bounds(sql_app: FastAPI) -> None:
    with signed_in(sql_app) as client:
        for n in range(120):
            client.post("/tasks", json={"title": f"Task {n}"})
        assert [task["id"] for task in client.get("/tasks?limit=2").json()] == [1, 2]
        assert len(client.get("/tasks?limit=100").json()) == 100
        # The export is not paged: every task, in order, fetched in batches.
        lines = client.get("/export/tasks").text.splitlines()
        assert len(lines) == 124 > db_store.BATCH_SIZE


def test_unknown_ids_and_bad_bodies_are_never_a_500(sql_app: FastAPI) -> None:
    with signed_in(sql_app) as client:
        assert client.get("/tasks/999").status_code == 404
        assert client.get("/users/999").status_code == 404
        assert client.get("/tasks/1/files/999").status_code == 404
        assert client.delete("/tasks/999").status_code == 404
        assert client.post("/tasks/999/comments", json={"text": "hi"}).status_code == 404
        not_json = client.post(
            "/tasks", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 422


def test_deleting_a_task_deletes_its_comments(sql_app: FastAPI) -> None:
    with signed_in(sql_app) as client:
        client.post("/tasks/1/comments", json={"text": "First"})
        assert client.delete("/tasks/1").status_code == 204
        assert client.get("/tasks/1/comments").status_code == 404
        # A new task never gets the deleted task's id, so never its comments either.
        assert client.post("/tasks", json={"title": "New"}).json()["id"] == 5


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_an_empty_database(sql_app: FastAPI, run: int) -> None:
    with signed_in(sql_app) as client:
        assert client.post("/tasks", json={"title": f"Run {run}"}).json()["id"] == 5
        assert len(client.get("/tasks?limit=100").json()) == 5


def test_without_demo_data_the_board_starts_empty(db_url: str | None) -> None:
    settings = CheckpointSettings(demo_data=False, database_url=db_url)
    with signed_in(create_app(settings, FEATURES)) as client:
        assert client.get("/tasks").json() == []


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://u:p@db.example/taskboard"
    monkeypatch.setenv("DATABASE_URL", url)
    settings = Settings()
    assert settings.database_url == url
    assert "u:p" not in repr(settings)  # the password stays out of logs
    monkeypatch.setenv("TASKBOARD_DATABASE_URL", "sqlite+aiosqlite:///other.db")
    assert Settings().database_url == "sqlite+aiosqlite:///other.db"  # the prefixed name wins


def test_hosting_urls_get_the_async_driver() -> None:
    assert async_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


def test_sqlite_in_memory_needs_one_shared_connection() -> None:
    """Each new connection to SQLite's :memory: is a new, empty database."""

    async def tables_seen(engine_kwargs: dict) -> list[str]:
        engine = create_async_engine("sqlite+aiosqlite://", **engine_kwargs)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(text("SELECT count(*) FROM tasks"))
                return [str(result.scalar())]
        finally:
            await engine.dispose()

    with pytest.raises(OperationalError, match="no such table: tasks"):
        asyncio.run(tables_seen({"poolclass": NullPool}))
    engine = make_engine()  # one connection for every session
    assert engine.pool.__class__.__name__ == "StaticPool"
    asyncio.run(engine.dispose())


def test_requests_at_once_neither_mix_nor_fail(sql_app: FastAPI) -> None:
    """Concurrent writes: one connection (SQLite in memory) takes turns, and two changes of one
    task wait for each other (PostgreSQL's row lock) instead of clashing into a 500."""

    async def at_once(headers: httpx2.Headers) -> Counter[int]:
        transport = httpx2.ASGITransport(app=sql_app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            answers = await asyncio.gather(
                *[
                    client.post("/tasks", json={"title": f"T{n}", "labels": ["a"]})
                    for n in range(10)
                ],
                *[client.patch("/tasks/1", json={"labels": ["b", "c"]}) for _ in range(10)],
                *[client.post("/tasks/2/checklist", json={"text": "Step"}) for _ in range(10)],
                *[client.post("/users", json=ADA) for _ in range(3)],
            )
        return Counter(answer.status_code for answer in answers)

    with signed_in(sql_app) as client:
        assert client.portal.call(at_once, client.headers) == {201: 21, 200: 10, 409: 2}
        assert len(client.get("/tasks/2").json()["checklist"]) == 10
        assert client.get("/tasks/1").json()["labels"] == ["b", "c"]


def test_an_app_used_without_its_lifespan_still_has_its_tables() -> None:
    # A notebook's `TestClient(app)` outside a `with` runs no lifespan: the first request makes
    # the schema (and the demo tasks) instead of failing with "no such table". SQLite only:
    # such a client runs each request on a new event loop, and an asyncpg connection kept in
    # the pool belongs to the loop that opened it, so PostgreSQL needs `with TestClient(app)`.
    app = create_app(CheckpointSettings(demo_data=True), FEATURES)
    client = TestClient(app)
    log_in_anyone(client)
    assert [task["id"] for task in client.get("/tasks").json()] == [1, 2, 3, 4]
    assert client.post("/users", json={"username": "ada", "password": "x" * 12}).status_code == 201
    asyncio.run(app.state.store.engine.dispose())  # what the lifespan would do at shutdown
