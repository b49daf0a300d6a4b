"""A feature: one part of Taskboard that an app is built with, added through FastAPI's own API.

`create_app(settings, features)` builds an app from a list of features, in order. Each one may
bring any of:

- routers, included in order (routes match in the order they are included);
- dependencies that every route of the app runs (FastAPI's global dependencies);
- dependencies for the routes of given routers, its own or an earlier feature's, added where the
  app includes them (`include_router(router, dependencies=...)`), so the router itself, and
  every other app built from it, is left as it was (lesson 08 guards routes this way), and the
  answers those dependencies may give, documented on the same routes (`responses=...`);
- middleware, outermost first: a fixed list, or one built per app from its settings (the CORS
  origins and trusted hosts of lesson 09);
- exception handlers, turning an exception raised anywhere into an HTTP answer;
- services on `app.state` (such as the store) that routes reach through a dependency, so a later
  feature can change what existing routes do by providing another service under the same name;
- a lifespan, entered in order at start-up and left in reverse order at shut-down;
- documentation: arguments of `FastAPI(...)` such as `description`, plus tag descriptions.

A deployment that wants less (a read-only board, no legacy paths) builds the app with fewer.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends
from starlette.middleware import Middleware
from starlette.types import ExceptionHandler

from taskboard.core.config import Settings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@dataclass(frozen=True, kw_only=True)
class Feature:
    name: str
    routers: Sequence[APIRouter] = ()
    dependencies: Sequence[Depends] = ()
    # (router, dependencies) pairs: the dependencies that router's routes get in an app built
    # with this feature. Pairs, not a dict: a router is no dict key (it is not hashable).
    router_dependencies: Sequence[tuple[APIRouter, Sequence[Depends]]] = ()
    # (router, responses) pairs: what that router's routes may now answer, for /openapi.json, as
    # in `include_router(router, responses=...)`. A guard's 401 belongs in the schema too: a
    # client, and a fuzzer checking the schema (lesson 13), must know every status it can get.
    router_responses: Sequence[tuple[APIRouter, Mapping[int | str, dict[str, Any]]]] = ()
    # Outermost first. A function of the settings when the middleware depends on them.
    middleware: Sequence[Middleware] | Callable[[Settings], Sequence[Middleware]] = ()
    exception_handlers: Mapping[int | type[Exception], ExceptionHandler] = field(
        default_factory=dict
    )
    # Built per app from its settings: each app (and each test) gets its own.
    services: Callable[[Settings], Mapping[str, Any]] | None = None
    lifespan: Lifespan | None = None
    # Keyword arguments of FastAPI(...) that document the API: summary, description, contact…
    docs: Mapping[str, Any] = field(default_factory=dict)
    # One {"name": ..., "description": ...} per tag this feature describes, as in openapi_tags.
    tags: Sequence[Mapping[str, str]] = ()

    def middleware_for(self, settings: Settings) -> Sequence[Middleware]:
        """This feature's middleware in an app with `settings`, outermost first."""
        return self.middleware(settings) if callable(self.middleware) else self.middleware


def combined_lifespan(features: Sequence[Feature]) -> Lifespan | None:
    parts = [feature.lifespan for feature in features if feature.lifespan is not None]
    if not parts:
        return None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part(app))
            yield

    return lifespan
