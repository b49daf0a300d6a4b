"""Brokers carry each task change from the instance where it happened to every instance's board.

A connection manager knows only the sockets of its own process. Run two workers (`fastapi run
--workers 2`, lesson 15) or two containers, and a client connected to one would never hear of a
change made through the other. A broker closes that gap: every instance publishes its changes to
it, and hears every instance's.

- `MemoryBroker`, the default: publishing is delivering, in this process only. Right for one
  process, and for notebooks and tests, which need nothing running.
- `RedisBroker` (`redis_broker.py`), when the settings hold a `redis_url`: Redis pub/sub. What one instance publishes,
  every instance subscribed to the channel hears, itself included, which is how it hears its own
  changes too. Pub/sub delivers to whoever listens at that moment and keeps nothing: a client
  that reconnects reloads the board (GET /tasks) rather than expect what it missed.

Both take `deliver`, what to do with each change heard (the manager's `broadcast`), and are
async context managers that the lifespan enters at startup and leaves at shutdown.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol, Self

from taskboard.events import TaskEvent

Deliver = Callable[[TaskEvent], Awaitable[None]]


class Broker(AbstractAsyncContextManager["Broker"], Protocol):
    """What the lifespan needs of a broker: entered at startup, left at shutdown, and
    `publish`, which every instance's `deliver` hears."""

    async def publish(self, event: TaskEvent) -> None: ...


class MemoryBroker:
    """One process: what is published is delivered at once, to this process's board alone."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, event: TaskEvent) -> None:
        await self._deliver(event)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
