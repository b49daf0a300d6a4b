from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from taskboard.api.deps import StoreDep
from taskboard.models import TaskPublic, TaskStatus
from taskboard.store import TaskNotFound

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(
    store: StoreDep,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[TaskPublic]:
    """List tasks, optionally only those with one status."""
    return store.list_tasks(status=status, limit=limit)


# Declared before /{task_id}: routes match in order, and "search" is not an int.
@router.get("/search")
async def search_tasks(store: StoreDep, q: Annotated[str, Query(min_length=1)]) -> list[TaskPublic]:
    """Tasks whose title contains `q`, ignoring case."""
    return store.search(q)


@router.get("/{task_id}")
async def read_task(store: StoreDep, task_id: int) -> TaskPublic:
    try:
        return store.get(task_id)
    except TaskNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
