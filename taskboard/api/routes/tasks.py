from typing import Annotated

from fastapi import APIRouter, Query

from taskboard.api.deps import StoreDep
from taskboard.models import TaskCreate, TaskPublic, TaskStatus, TaskUpdate

router = APIRouter(prefix="/tasks", tags=["tasks"])

# An unknown task_id raises TaskNotFound in the store; taskboard/errors.py answers 404.


@router.get("")
async def list_tasks(
    store: StoreDep,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[TaskPublic]:
    """List tasks, optionally only those with one status."""
    return store.list_tasks(status=status, limit=limit)


@router.post("", status_code=201)
async def create_task(store: StoreDep, task_in: TaskCreate) -> TaskPublic:
    """Create a task; the answer carries its new id."""
    return store.create(task_in)


# Declared before /{task_id}: routes match in order, and "search" is not an int.
@router.get("/search")
async def search_tasks(store: StoreDep, q: Annotated[str, Query(min_length=1)]) -> list[TaskPublic]:
    """Tasks whose title contains `q`, ignoring case."""
    return store.search(q)


@router.get("/{task_id}")
async def read_task(store: StoreDep, task_id: int) -> TaskPublic:
    return store.get(task_id)


@router.patch("/{task_id}")
async def update_task(store: StoreDep, task_id: int, task_in: TaskUpdate) -> TaskPublic:
    """Change only the fields the client sent."""
    return store.update(task_id, task_in.model_dump(exclude_unset=True))


@router.delete("/{task_id}", status_code=204)
async def delete_task(store: StoreDep, task_id: int) -> None:
    store.delete(task_id)
