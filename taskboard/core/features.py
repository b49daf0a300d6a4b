"""A feature: one part of Taskboard that an app is built with, added through FastAPI's own API.

`create_app(settings, features)` builds an app from a list of features, in order. Each one may
bring any of:

- routers, included in order (routes match in the order they are included);
- dependencies that every route of the app runs (FastAPI's global dependencies);
- middleware, outermost first;
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
    middleware: Sequence[Middleware] = ()
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
