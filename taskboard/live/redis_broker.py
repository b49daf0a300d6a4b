"""The Redis broker of the live board: Redis pub/sub between every instance of the app.

In a module of its own, imported only when the settings hold a `redis_url`: importing redis
takes about a quarter of a second, which every app without Redis (every notebook) would pay.
See `brokers.py` for what a broker does.
"""

import asyncio
import logging
from contextlib import suppress
from types import TracebackType
from typing import Self

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from taskboard.events import TaskEvent
from taskboard.live.brokers import Deliver

logger = logging.getLogger(__name__)

# Seconds between two attempts to listen again after Redis went away, at most.
MAX_RETRY_DELAY = 30.0


def channel_for(redis: Redis) -> str:
    """The pub/sub channel of the app's Redis database.

    Redis pub/sub ignores database numbers: what is published while using database 1 is heard
    by subscribers using database 2. Naming the database in the channel keeps apart two apps
    that share a Redis server on different databases (staging and production, or two test
    workers), as their keys are.
    """
    return f"taskboard:{redis.connection_pool.connection_kwargs.get('db', 0)}:task-events"


class RedisBroker:
    """Every instance that uses the same Redis database hears every instance's changes."""

    def __init__(self, url: str, deliver: Deliver) -> None:
        # health_check_interval: an idle subscriber pings Redis now and then, so a connection
        # that a proxy or a NAT silently dropped is noticed and made again.
        self._redis = Redis.from_url(url, health_check_interval=30)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._deliver = deliver
        self.channel = channel_for(self._redis)
        self._listener: asyncio.Task[None] | None = None

    async def publish(self, event: TaskEvent) -> None:
        # A failure here (Redis is down) reaches the store's TaskEvents, which logs it: the
        # change itself is made already, and its client gets its answer.
        await self._redis.publish(self.channel, event.model_dump_json())

    async def __aenter__(self) -> Self:
        # Subscribed before the app serves anything, so no change made from then on is missed;
        # and an unreachable Redis stops the app at startup, with Redis's own error, rather
        # than leave it running deaf.
        await self._pubsub.subscribe(self.channel)
        self._listener = asyncio.create_task(self._listen(), name="live-board-redis-listener")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        await self._pubsub.aclose()
        await self._redis.aclose()

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async for message in self._pubsub.listen():
                    await self._hear(message["data"])
                    delay = 0.5
            except (RedisError, OSError) as error:
                # redis-py reconnects and subscribes again by itself, a few times; when that
                # fails too, wait and listen again, so the board comes back with Redis.
                logger.warning("Lost Redis pub/sub (%s); listening again in %g s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _hear(self, data: bytes) -> None:
        try:
            event = TaskEvent.model_validate_json(data)
        except ValidationError:
            # Something else published on the channel, or an older version of the app did.
            logger.warning("Ignored a message on %s that is no task event", self.channel)
            return
        await self._deliver(event)
