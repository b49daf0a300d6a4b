"""Rate limits on writes (lesson 12), with fastapi-limiter 0.2 and pyrate-limiter.

Each user may make `settings.write_rate_limit` writes in any `settings.write_rate_window`
seconds, counted together over every route that changes tasks and GraphQL's mutations; one
more is answered 429 with `Retry-After`, the seconds until a write is allowed again (a mutation
fails with the code RATE_LIMITED and `retryAfter`). Reads are never limited.

fastapi-limiter's `RateLimiter` is a dependency: it names the request's client with an
`identifier`, asks a pyrate-limiter `Limiter` whether that name may go on, and calls a
`callback` when it may not. Taskboard gives it all three, because the defaults do not do what
their names suggest, and replaces its lookup of the route (lesson 12 shows each):
- `Limiter(Rate(...))` counts everything in ONE bucket: pyrate-limiter's buckets ignore the
  name, so every client shares one allowance. `PerKeyBuckets` gives each name a bucket.
- The default identifier is the client's IP address, taken from `X-Forwarded-For` when there is
  one: any client can write that header, and a new address in each request gets a new
  allowance. And behind a proxy or a NAT, many users share one address and one allowance.
  Taskboard counts per user, by the token's user.
- The default callback answers 429 without `Retry-After`.
- `RateLimiter` looks for the request's route in `app.routes`, reading each one's `path`. Since
  FastAPI 0.137 an included router is one entry there, without a `path`: on an app that
  includes routers (Taskboard includes all of its routes), every limited request fails with
  `AttributeError: '_IncludedRouter' object has no attribute 'path'`, a 500. `KeyedRateLimiter`
  counts by the identifier alone.
"""

import logging
import math
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from inspect import isawaitable
from typing import TYPE_CHECKING, NoReturn

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi_limiter.depends import RateLimiter
from pyrate_limiter import (
    AbstractBucket,
    AbstractClock,
    BucketFactory,
    Duration,
    InMemoryBucket,
    Limiter,
    MonotonicClock,
    Rate,
    RateItem,
    RedisBucket,
    SlidingWindowLog,
    WallClock,
)
from starlette.requests import HTTPConnection

from taskboard.core.config import Settings
from taskboard.models import UserInDB

if TYPE_CHECKING:
    from taskboard.core.redis_client import RedisConnection

logger = logging.getLogger(__name__)

# Redis keys start with this, so Taskboard's keys never meet another program's in a shared Redis.
PREFIX = "taskboard:write-limits"

# A sliding window: at most `limit` writes in the last `window` seconds, whenever one looks.
ALGORITHM = SlidingWindowLog()


class PerKeyBuckets(BucketFactory):
    """A pyrate-limiter bucket for each client: in this app's memory, or in Redis.

    Old entries are dropped when a bucket is used, rather than by pyrate-limiter's `Leaker`,
    which runs a thread (or a task on whatever event loop first made a bucket) per factory.
    """

    def __init__(
        self,
        rates: list[Rate],
        redis: "RedisConnection | None" = None,
        clock: AbstractClock | None = None,
    ) -> None:
        self.rates = rates
        self.redis = redis
        # Redis is shared by processes, maybe on several machines: wall-clock time, which they
        # share; a monotonic clock starts anew with each machine. A test sets a clock it moves.
        self.clock = clock or (WallClock() if redis else MonotonicClock())
        self._buckets: dict[str, AbstractBucket] = {}

    def now(self) -> int:
        now = self.clock.now()
        assert isinstance(now, int)  # the clocks above answer at once, never awaitable
        return now

    def wrap_item(self, name: str, weight: int = 1) -> RateItem:
        return RateItem(name, self.now(), weight=weight)

    def get(self, item: RateItem) -> AbstractBucket | Awaitable[AbstractBucket]:
        if self.redis is None:
            return self._memory_bucket(item.name, item.timestamp)
        return self._redis_bucket(self.redis, item.name, item.timestamp)

    def _memory_bucket(self, key: str, now: int) -> AbstractBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = InMemoryBucket(self.rates, algorithm=ALGORITHM)
        bucket.leak(now)
        return bucket

    async def _redis_bucket(self, redis: "RedisConnection", key: str, now: int) -> AbstractBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            # One sorted set per client in Redis, named after it: every instance finds it.
            name = f"{PREFIX}:{key}"
            bucket = await RedisBucket.init(self.rates, redis.client(), name, ALGORITHM)
            self._buckets[key] = bucket
        leaked = bucket.leak(now)
        if isawaitable(leaked):  # an asyncio client's answer
            await leaked
        return bucket

    async def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may write again: when its oldest counted write leaves the
        window. At least 1, as `Retry-After` counts in whole seconds."""
        bucket = self._buckets.get(key)
        rate = self.rates[0]
        oldest = None if bucket is None else bucket.peek(ALGORITHM.blocking_offset(rate, 1) or 0)
        if isawaitable(oldest):
            oldest = await oldest
        if oldest is None:
            return max(1, math.ceil(rate.interval / 1000))
        wait_ms = ALGORITHM.retry_after(rate, self.now(), oldest.timestamp)
        return max(1, math.ceil(wait_ms / 1000))

    def forget(self) -> None:
        """At shutdown: drop the buckets. In memory, the counts go with them, as they would
        with the process (and an in-memory SQLite database, which hands out user ids again
        after a restart, must not find a new user 2 with the counts of the one before). In
        Redis they stay; the buckets only held a client that is being closed."""
        self._buckets.clear()


class KeyedRateLimiter(RateLimiter):
    """fastapi-limiter's `RateLimiter`, counting each identifier's requests together.

    fastapi-limiter 0.2.0 adds the index of the route in `app.routes`, and of itself among the
    route's dependencies, to the identifier, to count each route apart. It finds the route by
    comparing each `route.path` with the request's path: that fails on an included router
    (above), and never matched a path with a parameter (`/tasks/{task_id}` is not `/tasks/5`).
    Taskboard counts a user's writes together, whatever the route, so it needs no lookup.
    """

    async def __call__(self, request: Request, response: Response) -> None:
        key = await self.identifier(request)
        if not await self.limiter.try_acquire_async(key, blocking=self.blocking):
            await self.callback(request, response)


async def user_or_address(request: HTTPConnection) -> str:
    """Whom a write counts against: the signed-in user, whatever address they write from.

    Taskboard's write routes check the token first (lesson 08), so the user is known. An app
    without logins counts by the address the connection comes from: never `X-Forwarded-For`,
    which any client can write. Behind a proxy, let the server put the client's address there
    (uvicorn's `--forwarded-allow-ips` names the proxies whose header it believes).
    """
    user: UserInDB | None = getattr(request.state, "user", None)
    if user is not None:
        return f"user-{user.id}"
    return f"address-{request.client.host if request.client else 'unknown'}"


async def too_many_writes(request: Request, response: Response) -> NoReturn:
    """fastapi-limiter's callback when a write is refused: 429 with `Retry-After`."""
    limits: WriteLimits = request.app.state.write_limits
    seconds = await limits.buckets.retry_after(await user_or_address(request))
    raise HTTPException(429, limits.refusal(seconds), headers={"Retry-After": str(seconds)})


def _seconds(count: int) -> str:
    return "1 second" if count == 1 else f"{count} seconds"


class WriteLimits:
    """One app's rate limits on writes (its service `write_limits`)."""

    def __init__(self, settings: Settings) -> None:
        self.limit = settings.write_rate_limit
        self.window = settings.write_rate_window
        self._redis: RedisConnection | None = None
        # What a store of counts that is down raises: nothing, for memory.
        self.unreachable: tuple[type[Exception], ...] = ()
        if settings.redis_url:
            from taskboard.core import redis_client  # only when used: see its docstring

            self._redis = redis_client.RedisConnection(settings.redis_url)
            self.unreachable = redis_client.REDIS_ERRORS
        rates = [Rate(self.limit, Duration.SECOND * self.window)]
        self.buckets = PerKeyBuckets(rates, self._redis)
        self.rate_limiter = KeyedRateLimiter(
            limiter=Limiter(self.buckets), identifier=user_or_address, callback=too_many_writes
        )

    def refusal(self, seconds: int) -> str:
        """What a refused write is told, by REST and GraphQL alike."""
        return (
            f"Too many writes: at most {self.limit} every {_seconds(self.window)}. "
            f"Try again in {_seconds(seconds)}."
        )

    async def seconds_until_write(self, connection: HTTPConnection) -> int:
        """0 if the connection's user may write now, and the write is counted; else the whole
        seconds until they may. For writes that are not REST routes (GraphQL's mutations), which
        share the REST routes' allowance."""
        key = await user_or_address(connection)
        try:
            if await self.rate_limiter.limiter.try_acquire_async(key, blocking=False):
                return 0
        except self.unreachable:
            logger.warning(
                "The rate limits are unreachable; letting a write through", exc_info=True
            )
            return 0
        return await self.buckets.retry_after(key)

    async def close(self) -> None:
        self.buckets.forget()
        if self._redis is not None:
            await self._redis.close()


async def limit_writes(request: Request, response: Response) -> None:
    """The write routes' dependency: this app's `RateLimiter`.

    Routers are shared by every app built from them, so the dependency finds the limiter of the
    app serving the request; each app keeps its own counts (or, with Redis, shares them with
    the instances that use the same Redis).
    """
    limits: WriteLimits = request.app.state.write_limits
    try:
        await limits.rate_limiter(request, response)
    except limits.unreachable:
        # A limit that cannot be counted lets the write through: Redis being down must not
        # stop the board.
        logger.warning("The rate limits are unreachable; letting a write through", exc_info=True)


@asynccontextmanager
async def write_limits_lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await app.state.write_limits.close()
