"""Dependencies shared by the routes, as `Annotated` aliases (lesson 05 explains them in depth)."""

from typing import Annotated

from fastapi import Depends, Request

from taskboard.store import TaskStore


def get_store(request: Request) -> TaskStore:
    # The store belongs to the app that serves the request, so each app has its own tasks.
    return request.app.state.store


StoreDep = Annotated[TaskStore, Depends(get_store)]
