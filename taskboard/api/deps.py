"""Dependencies shared by the routes, as `Annotated` aliases (lesson 05 explains them in depth)."""

from typing import Annotated

from fastapi import Depends, Request

from taskboard.store import Store


async def get_store(request: Request) -> Store:
    # `async def`: FastAPI would run a plain `def` dependency in the threadpool, a thread hop
    # for what is one attribute read. The store belongs to the app that serves the request, so each app has its own tasks.
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]
