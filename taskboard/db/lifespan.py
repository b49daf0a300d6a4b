"""What the DATABASE feature brings: the store as a service, and the lifespan of its engine."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from taskboard.core.config import Settings
from taskboard.db.engine import make_engine
from taskboard.db.store import DatabaseStore


def database_store(settings: Settings) -> dict[str, DatabaseStore]:
    # Creating an engine connects to nothing yet: the first query does, in the lifespan.
    engine = make_engine(settings.database_url)
    return {"store": DatabaseStore(engine, demo_data=settings.demo_data)}


@asynccontextmanager
async def database_lifespan(app: FastAPI) -> AsyncIterator[None]:
    store: DatabaseStore = app.state.store
    await store.create_schema()
    try:
        yield
    finally:
        # Closes every pooled connection, so nothing outlives the app.
        await store.engine.dispose()
