"""Lesson 15: GET /ready answers 200 while the store answers, 503 (never a 500) when the database
does not, on every store; /health keeps answering 200 meanwhile."""

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from course.checkpoints import CheckpointSettings
from taskboard.api.routes import health
from taskboard.db.engine import make_engine
from taskboard.db.store import DatabaseStore
from taskboard.main import create_app


def test_ready_while_the_store_answers(app: FastAPI) -> None:
    # `app` runs on every store: memory, SQLite, PostgreSQL (when TEST_DATABASE_URL is set).
    with TestClient(app) as client:
        answer = client.get("/ready")
    assert (answer.status_code, answer.json()) == (200, {"status": "ready"})


def test_ready_is_public_even_with_an_api_key() -> None:
    # Kubernetes' probes send neither a token nor an API key.
    app = create_app(CheckpointSettings(api_key=SecretStr("s3cret")))
    with TestClient(app) as client:
        assert client.get("/ready").status_code == 200
        assert client.get("/tasks").status_code == 401


def test_ready_is_documented_with_its_503(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/ready"]["get"]
    assert operation["tags"] == ["health"]
    assert {"200", "503"} <= set(operation["responses"])


@contextmanager
def sqlite_that_cannot_open(tmp_path: Path) -> Iterator[AsyncEngine]:
    yield make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'taskboard.db'}")


@contextmanager
def postgresql_that_refuses(tmp_path: Path) -> Iterator[AsyncEngine]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield make_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/taskboard")


@contextmanager
def postgresql_that_never_answers(tmp_path: Path) -> Iterator[AsyncEngine]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield make_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{sock.getsockname()[1]}/taskboard")


OUTAGES = {
    "sqlite-cannot-open": (sqlite_that_cannot_open, "OperationalError"),
    "postgresql-refuses": (postgresql_that_refuses, "ConnectionRefusedError"),
    "postgresql-silent": (postgresql_that_never_answers, "TimeoutError"),
}


@pytest.mark.parametrize("outage", OUTAGES)
def test_not_ready_while_the_database_does_not_answer(
    sql_app: FastAPI,
    outage: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The database goes down after startup: the app's store now reaches it no more.
    monkeypatch.setattr(health, "READINESS_TIMEOUT", 0.3)
    broken, error = OUTAGES[outage]
    with TestClient(sql_app) as client, broken(tmp_path) as engine:
        store = sql_app.state.store
        sql_app.state.store = DatabaseStore(engine, events=store.events)
        sql_app.state.store._schema_ready = True
        try:
            start = time.perf_counter()
            answer = client.get("/ready")
            took = time.perf_counter() - start
            alive = client.get("/health")
        finally:
            sql_app.state.store = store
            asyncio.run(engine.dispose())
        back = client.get("/ready")
    assert (answer.status_code, answer.json()) == (503, {"detail": "Database unavailable"})
    assert took < 3
    assert alive.status_code == 200
    assert back.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "taskboard"]
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith(f"Not ready: the database failed: {error}")


def test_ping_takes_its_turn_on_sqlite_in_memory() -> None:
    # SQLite in memory has one connection: a ping in the middle of another request's
    # transaction would roll it back when it returns the connection, so it waits its turn.
    async def scenario() -> tuple[bool, bool]:
        store = DatabaseStore(make_engine())
        await store.create_schema()
        async with store.transaction():
            try:
                async with asyncio.timeout(0.2):
                    await store.ping()
                waited = False
            except TimeoutError:
                waited = True
        await store.ping()
        await store.engine.dispose()
        return waited, True

    assert asyncio.run(scenario()) == (True, True)
