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


def test_the_migrations_build_what_the_models_describe(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert asyncio.run(differences(url)) == []
    assert set(Base.metadata.tables) <= asyncio.run(table_names(url))
    command.downgrade(config, "base")
    assert asyncio.run(table_names(url)) == {"alembic_version"}
