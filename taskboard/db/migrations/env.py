"""How Alembic reaches Taskboard's database: the URL from the settings, the tables from the models.

A caller may set `sqlalchemy.url` on Alembic's config (the tests do); otherwise the settings'
`database_url` is used. Migrations run online only, through the async engine.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from taskboard.core.config import Settings
from taskboard.db.engine import make_engine
from taskboard.db.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    if not url:
        raise SystemExit(
            "No database to migrate: set DATABASE_URL, e.g. "
            "DATABASE_URL=sqlite+aiosqlite:///taskboard.db or postgresql+asyncpg://user:pw@host/db"
        )
    return url


def run_migrations(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things, so changes to a table copy it.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = make_engine(database_url(), poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Taskboard's migrations run online only: drop --sql.")
asyncio.run(run_async_migrations())
