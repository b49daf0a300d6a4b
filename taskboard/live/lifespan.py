"""What the LIVE_BOARD feature starts with the app, and stops with it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from taskboard.core.config import Settings
from taskboard.live.brokers import Broker, Deliver, MemoryBroker
from taskboard.live.manager import ConnectionManager


def broker_for(settings: Settings, deliver: Deliver) -> Broker:
    """Redis pub/sub when the settings hold a `redis_url`, this process's memory otherwise."""
    if settings.redis_url is None:
        return MemoryBroker(deliver)
    # Imported only here: see redis_broker.py.
    from taskboard.live.redis_broker import RedisBroker

    return RedisBroker(settings.redis_url, deliver)


@asynccontextmanager
async def live_board_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect the store's changes, through a broker, to this process's connection manager.

    Started here rather than when the app is built: a Redis connection (and the manager's
    queues) belongs to the event loop that serves the requests.
    """
    board = ConnectionManager()
    async with broker_for(app.state.settings, board.broadcast) as broker:
        stop_listening = app.state.store.events.subscribe(broker.publish)
        app.state.live_board = board
        try:
            yield
        finally:
            stop_listening()
            del app.state.live_board
