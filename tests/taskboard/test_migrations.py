"""Alembic's migrations and the models agree: a database built by `alembic upgrade head` is the
one the models describe (autogenerate finds nothing to add), and every migration goes back down."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool

from taskboard.db.engine import make_engine
from taskboard.db.models import Base

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    config = Config(ROOT / "alembic.ini")
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False  # leave pytest's logging alone
    return config


async def differences(url: str) -> list:
    engine = make_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    return diff


async def table_names(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    await engine.dispose()
    return set(names)


async def create_all(url: str, *, drop: bool = False) -> None:
    engine = make_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        if drop:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        else:
            await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()


def test_the_migrations_build_what_the_models_describe(tmp_path: Path, db_url: str | None) -> None:
    # On SQLite, a fresh file; on PostgreSQL, this worker's database, emptied and then rebuilt
    # for the tests that follow.
    url = db_url or f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    if db_url:
        asyncio.run(create_all(url, drop=True))
    config = alembic_config(url)
    try:
        command.upgrade(config, "head")
        assert asyncio.run(differences(url)) == []
        assert set(Base.metadata.tables) <= asyncio.run(table_names(url))
        command.downgrade(config, "base")
        assert asyncio.run(table_names(url)) == {"alembic_version"}
    finally:
        if db_url:
            asyncio.run(create_all(url, drop=True))
            asyncio.run(create_all(url))
