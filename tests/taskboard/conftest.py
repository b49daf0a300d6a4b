"""Taskboard's suite runs against every store: in memory, SQLite, and PostgreSQL when
TEST_DATABASE_URL names one (lesson 07). Each test gets an empty database of its own.
The live board's broker, the cache and the rate limits (lessons 10 and 12) run in memory, and
on Redis too when TEST_REDIS_URL names one: `redis_url`.

TEST_DATABASE_URL, not DATABASE_URL: the apps, servers and notebook kernels the suite starts
read DATABASE_URL, and must each keep a database of their own (the root conftest.py hides it).
"""

import asyncio
import os
from urllib.parse import urlsplit

import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from course.checkpoints import CheckpointSettings
from taskboard.api.main import DATABASE, FEATURES
from taskboard.db.engine import async_url, make_engine
from taskboard.db.models import Base
from taskboard.main import create_app

# Taskboard itself keeps the board in a database; without DATABASE, in the store of lessons 01 to 06.
IN_MEMORY_FEATURES = tuple(feature for feature in FEATURES if feature is not DATABASE)
STORES = ("memory", "sqlite", "postgresql")

POSTGRESQL_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

# A database per xdist worker: two workers never empty each other's tables mid-test.
_prepared: dict[str, str] = {}


def postgresql_url(worker: str) -> str:
    """An empty PostgreSQL database for this worker, or a skip (an error under CI=true)."""
    url = POSTGRESQL_URL
    if not url.startswith(("postgres://", "postgresql")):
        _skip_or_fail(
            "PostgreSQL tests need TEST_DATABASE_URL=postgresql+asyncpg://user:password@host/db"
        )
    if worker not in _prepared:
        _prepared[worker] = asyncio.run(_worker_database(async_url(url), worker))
    asyncio.run(_empty_tables(_prepared[worker]))
    return _prepared[worker]


async def _worker_database(url: str, worker: str) -> str:
    base = make_url(url)
    name = f"{base.database}_test_{worker}"
    admin = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        # Not the fastest, but each run starts from the models as they are now.
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    worker_url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(worker_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    return worker_url


async def _empty_tables(url: str) -> None:
    engine = make_engine(url, poolclass=NullPool)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


def _skip_or_fail(reason: str) -> None:
    """Skip a test whose server is missing; under CI=true, where it must be there, fail it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, but {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """An empty Redis database of this xdist worker's own, or a skip (an error under CI=true)."""
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        _skip_or_fail("Redis tests need TEST_REDIS_URL=redis://host:6379")
    # Redis numbers its databases 0 to 15: the main process takes 0, worker gwN takes N + 1.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker.removeprefix("gw")) + 1 if worker.startswith("gw") else 0
    url = urlsplit(REDIS_URL)._replace(path=f"/{index}").geturl()
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(store_kind: str) -> str | None:
    """None for in-memory SQLite (the default), else an empty PostgreSQL database."""
    if store_kind == "postgresql":
        return postgresql_url(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    return None


@pytest.fixture
def app(store_kind: str, database_url: str | None) -> FastAPI:
    # CheckpointSettings reads no TASKBOARD_* variable and no .env file: a developer's own
    # environment (an API key, say) never changes what the tests see.
    if store_kind == "memory":
        return create_app(CheckpointSettings(demo_data=True), IN_MEMORY_FEATURES)
    return create_app(CheckpointSettings(demo_data=True, database_url=database_url), FEATURES)


@pytest.fixture(params=("sqlite", "postgresql"))
def db_url(request: pytest.FixtureRequest) -> str | None:
    """For tests of the database store alone: in-memory SQLite (None), then PostgreSQL."""
    if request.param == "postgresql":
        return postgresql_url(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    return None


@pytest.fixture
def sql_app(db_url: str | None) -> FastAPI:
    return create_app(CheckpointSettings(demo_data=True, database_url=db_url), FEATURES)
