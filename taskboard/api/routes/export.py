"""Every task as JSON Lines, streamed (lesson 06).

A route that `yield`s instead of returning answers `application/jsonl`: FastAPI validates and
serializes each item with the return type's item model (`TaskPublic`), writes it as one line, and
sends it at once. The client reads tasks as they come, and the app never holds the whole export
in memory.
"""

from collections.abc import AsyncIterable

from fastapi import APIRouter

from taskboard.api.deps import StoreDep
from taskboard.models import TaskPublic

router = APIRouter(prefix="/export", tags=["export"])


@router.get("/tasks", summary="Export every task as JSON Lines")
async def export_tasks(store: StoreDep) -> AsyncIterable[TaskPublic]:
    """Every task, oldest first, one JSON object per line (`application/jsonl`), with no page
    limit. Each line is sent as soon as it is ready."""
    async for task in store.iter_tasks():
        yield task
