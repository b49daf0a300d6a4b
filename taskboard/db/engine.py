"""The engine: one per app, opened by the DATABASE feature's lifespan and disposed at shutdown.

The URL picks the database and its driver; the code is the same for both:

- `sqlite+aiosqlite://` (the default): SQLite in memory, one database per engine. Each new
  connection to `:memory:` is a new, empty database ("no such table"), so the engine keeps one
  connection for everything (`StaticPool`). SQLAlchemy 2.1 already picks that pool for aiosqlite
  in memory; it is spelled out here because the schema depends on it. (`check_same_thread=False`,
  often copied along with it, is for the sync driver: aiosqlite keeps each connection on a thread
  of its own.) A file works too: `sqlite+aiosqlite:///taskboard.db`.
- `postgresql+asyncpg://user:password@host/dbname`: PostgreSQL through asyncpg, with a pool of
  connections shared by the requests.
"""

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

IN_MEMORY_SQLITE = "sqlite+aiosqlite://"

# aiosqlite logs every statement with its parameters at DEBUG, password hashes included: a debug
# log of the whole app must never show one (lesson 08), so its logger stops at INFO.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def async_url(url: str) -> str:
    """Hosting services hand out `postgres://` or `postgresql://` URLs: use asyncpg with them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> AsyncEngine:
    url = async_url(url or IN_MEMORY_SQLITE)
    if url in (IN_MEMORY_SQLITE, IN_MEMORY_SQLITE + "/:memory:"):
        kwargs = {"poolclass": StaticPool, **kwargs}
    # hide_parameters: SQLAlchemy's logs and error messages show a statement without its values
    # (a password hash, say), so a 500's traceback or a log line never carries one.
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys (and ON DELETE CASCADE) unless each connection asks.
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_on(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine
