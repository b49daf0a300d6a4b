"""The board stats cache (lesson 12): each user's stats, kept until one of their tasks changes.

Behind fastapi-cache2's `Backend` interface: its `RedisBackend` when the settings name a Redis
(every worker and instance then shares one cache, which outlives restarts), else a
`MemoryBackend` of the app's own, with the same methods. Entries expire after
`settings.stats_cache_seconds`, and a task change clears its owner's entry at once: the cache
listens to the store's `TaskEvent`s (taskboard/events.py), which every committed create,
update and delete publishes, whichever route or instance made it.

Why not fastapi-cache2's `@cache` decorator itself (lesson 12 shows each of these):
- `FastAPICache` keeps its backend, prefix and settings in class attributes, one set for the
  whole process, and a second `FastAPICache.init` is silently ignored: two apps in one process
  (two tests, a notebook's checkpoints) would share one backend, and one could not use Redis
  while the other uses memory.
- Its ETag is `W/` plus Python's `hash()` of the body: not a quoted entity-tag, and different
  in every process (PYTHONHASHSEED), so two workers give one answer two ETags. It answers 304
  only to an `If-None-Match` equal to that string, never to a list or `*`.
- Its `Cache-Control: max-age=N` says nothing of who may keep the answer: a per-user answer
  must be `private`.
- Its default key holds the `repr()` of every argument: a route's `store` is a new object for
  each request, `<DatabaseStore object at 0x…>`, so nearly every request misses, and one whose
  object lands at an address used before may get that request's answer, another user's.
Nor its `InMemoryBackend`: its entries live in a class attribute too, one dict for every
instance in the process, behind a class-level `asyncio.Lock`; and its `clear(key=...)` raises
`KeyError` for a key it does not hold.
"""

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from taskboard.core.config import Settings
from taskboard.events import TaskEvent
from taskboard.store import Store

if TYPE_CHECKING:
    # Not imported at run time: fastapi-cache2 imports pendulum and more, and every lesson's
    # catch-up imports Taskboard. Redis brings it in when the settings name one.
    from fastapi_cache.types import Backend

    from taskboard.core.redis_client import RedisConnection

logger = logging.getLogger(__name__)

# Redis keys start with this, so Taskboard's keys never meet another program's in a shared Redis.
PREFIX = "taskboard:board-stats"


class MemoryBackend:
    """fastapi-cache2's `Backend` interface, in this app's memory: entries with an expiry time.

    No lock: between reading and writing an entry nothing awaits, so on the one event loop no
    other request can come in between.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[str, tuple[bytes, float]] = {}

    async def get_with_ttl(self, key: str) -> tuple[int, bytes | None]:
        value = await self.get(key)
        if value is None:
            return 0, None
        return int(self._entries[key][1] - self.clock()), value

    async def get(self, key: str) -> bytes | None:
        value, expires = self._entries.get(key, (None, 0.0))
        if value is not None and expires <= self.clock():
            del self._entries[key]
            return None
        return value

    async def set(self, key: str, value: bytes, expire: int | None = None) -> None:
        self._entries[key] = (value, self.clock() + expire if expire else float("inf"))

    async def clear(self, namespace: str | None = None, key: str | None = None) -> int:
        if namespace:
            doomed = [name for name in self._entries if name.startswith(f"{namespace}:")]
        else:
            doomed = [key] if key in self._entries else []
        for name in doomed:
            del self._entries[name]
        return len(doomed)


def key_for(user_id: int) -> str:
    """Whose stats: the key names the user. Without it, one user would get another's stats."""
    return f"{PREFIX}:user-{user_id}"


class StatsCache:
    """One app's cache of board stats (its service `board_stats_cache`)."""

    def __init__(self, settings: Settings) -> None:
        self.expire = settings.stats_cache_seconds
        self._memory = MemoryBackend()
        self._redis: RedisConnection | None = None
        # What a backend that is down raises: nothing, for memory.
        self._unreachable: tuple[type[Exception], ...] = ()
        if settings.redis_url:
            from taskboard.core import redis_client  # only when used: see its docstring

            self._redis = redis_client.RedisConnection(settings.redis_url)
            self._unreachable = redis_client.REDIS_ERRORS
        self._store: Store | None = None
        self._stop_watching: Callable[[], None] | None = None

    @property
    def backend(self) -> "Backend | MemoryBackend":
        return self._memory if self._redis is None else self._redis.cache_backend()

    def watch(self, store: Store) -> None:
        """Clear a user's stats whenever one of their tasks changes in `store` (once per store).

        The lifespan calls it at startup: with Redis, an instance must clear what the others
        cached even before it serves any stats itself. The stats route calls it too, for an app
        used without its lifespan (`TestClient(app)` outside a `with`).
        """
        if self._store is not store:
            self._stop_watching = store.events.subscribe(self._task_changed)
            self._store = store

    async def _task_changed(self, event: TaskEvent) -> None:
        # A task without an owner (a demo task before the demo account's first login) is in
        # no one's stats yet.
        if event.owner_id is not None:
            await self.backend.clear(key=key_for(event.owner_id))

    async def get(self, user_id: int) -> bytes | None:
        # A cache that is down is a miss, not an error: the stats are computed instead.
        try:
            return await self.backend.get(key_for(user_id))
        except self._unreachable:
            logger.warning("The stats cache is unreachable; computing the stats", exc_info=True)
            return None

    async def set(self, user_id: int, body: bytes) -> None:
        try:
            await self.backend.set(key_for(user_id), body, expire=self.expire)
        except self._unreachable:
            logger.warning("The stats cache is unreachable; not keeping the stats", exc_info=True)

    async def close(self) -> None:
        """At shutdown: stop listening, close Redis, and forget what memory held.

        Entries in memory must not outlive the data they count. An in-memory SQLite database
        (lesson 07's default) starts empty at each startup and hands out user ids again: a
        new user 2 would get the stats of the one before. Redis is for a real database, whose
        ids are never handed out twice.
        """
        if self._stop_watching is not None:
            self._stop_watching()
            self._store = self._stop_watching = None
        self._memory = MemoryBackend()
        if self._redis is not None:
            await self._redis.close()


@asynccontextmanager
async def stats_cache_lifespan(app: FastAPI) -> AsyncIterator[None]:
    cache: StatsCache = app.state.board_stats_cache
    cache.watch(app.state.store)
    try:
        yield
    finally:
        await cache.close()
