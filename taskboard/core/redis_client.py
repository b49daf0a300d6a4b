"""A Redis client for one app, when its settings name a Redis (lesson 12's cache and rate limits).

A `redis.asyncio` client keeps a pool of connections, and each connection belongs to the event
loop that opened it: used from another loop it fails with "Event loop is closed". So the client
is made on first use, in the loop that serves the app, and the app's lifespan closes it at
shutdown; the next startup (a new loop: another `with TestClient(app)`) makes a new one.

Imported only by an app whose settings name a Redis: the redis package takes as long to import
as FastAPI itself, and every lesson's catch-up imports Taskboard.
"""

from fastapi_cache.backends.redis import RedisBackend
from fastapi_cache.types import Backend
from redis.asyncio import Redis
from redis.exceptions import RedisError

# What a Redis that is down or unreachable raises: a connection refused, a timeout...
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError,)


class RedisConnection:
    """The app's Redis client, made when first needed, closed by `close()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Redis | None = None

    def client(self) -> Redis:
        # Making a client connects to nothing yet: its first command does.
        if self._client is None:
            self._client = Redis.from_url(self.url)
        return self._client

    def cache_backend(self) -> Backend:
        """fastapi-cache2's backend on this client."""
        return RedisBackend(self.client())

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
