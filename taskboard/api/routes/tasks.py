"""Tasks: reading them (`router`) and changing them (`write_router`).

Two routers, so that an app can be built read-only (a public board, a read replica) by leaving
the writes out; `taskboard/api/main.py` puts each in its own feature.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from taskboard.api.deps import StoreDep
from taskboard.api.responses import UNREADABLE_BODY
from taskboard.models import (
    ErrorMessage,
    TaskCreate,
    TaskFilters,
    TaskPublic,
    TaskUpdate,
    Text,
)

router = APIRouter(prefix="/tasks", tags=["tasks"])
write_router = APIRouter(prefix="/tasks", tags=["tasks"])

# Every route that takes a task id validates it the same way: ids start at 1, so 0 or -1 is a 422
# (the request is malformed), while an id that could exist but doesn't is a 404.
TaskId = Annotated[int, Path(ge=1, description="The task's id.")]

# An unknown task_id raises TaskNotFound in the store; taskboard/errors.py answers 404 with the
# ErrorMessage shape, which `responses` documents for every route that takes a task_id.
TASK_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No task has this id."}
}

# Named examples appear in a drop-down in Swagger UI's "Try it out". Each one must be accepted:
# tests/taskboard/test_openapi_contract.py sends them all.
CREATE_EXAMPLES: dict[str, Any] = {
    "title only": {
        "summary": "Only a title",
        "description": "Every other field takes its default: status `todo`, priority 3.",
        "value": {"title": "Write the release notes"},
    },
    "everything": {
        "summary": "Every field",
        "value": {
            "title": "Release 0.2",
            "description": "Tag it, build it, announce it.",
            "status": "doing",
            "priority": 1,
            "labels": ["release"],
            "checklist": [{"text": "Tag the commit", "done": True}, {"text": "Announce it"}],
        },
    },
}
UPDATE_EXAMPLES: dict[str, Any] = {
    "finish": {"summary": "Mark it done", "value": {"status": "done"}},
    "reprioritise": {"summary": "Change the priority", "value": {"priority": 1}},
    "clear": {"summary": "Clear the description", "value": {"description": None}},
}


@router.get("", summary="List tasks")
async def list_tasks(store: StoreDep, filters: Annotated[TaskFilters, Query()]) -> list[TaskPublic]:
    """Tasks in the order they were created, optionally only those with one `status` and
    every `label` given (`?label=api&label=review`)."""
    return await store.list_tasks(filters)


@write_router.post(
    "",
    status_code=201,
    summary="Create a task",
    response_description="The new task.",
    responses=UNREADABLE_BODY,
)
async def create_task(
    store: StoreDep, task_in: Annotated[TaskCreate, Body(openapi_examples=CREATE_EXAMPLES)]
) -> TaskPublic:
    """Only `title` is required. The answer carries the task's new `id`."""
    return await store.create(task_in)


# Declared before /{task_id}: routes match in order, and "search" is not an int.
@router.get("/search", summary="Search tasks by title")
async def search_tasks(
    store: StoreDep, q: Annotated[Text, Query(min_length=1)]
) -> list[TaskPublic]:
    """Tasks whose title contains `q`, ignoring case."""
    return await store.search(q)


@router.get("/{task_id}", summary="Read a task", responses=TASK_NOT_FOUND)
async def read_task(store: StoreDep, task_id: TaskId) -> TaskPublic:
    """One task, by its id."""
    return await store.get(task_id)


@write_router.patch(
    "/{task_id}", summary="Change a task", responses=TASK_NOT_FOUND | UNREADABLE_BODY
)
async def update_task(
    store: StoreDep,
    task_id: TaskId,
    task_in: Annotated[TaskUpdate, Body(openapi_examples=UPDATE_EXAMPLES)],
) -> TaskPublic:
    """Change only the fields sent; a field left out keeps its value.

    `description` may be cleared with `null`; the other fields refuse `null`.
    """
    return await store.update(task_id, task_in.model_dump())


@write_router.delete(
    "/{task_id}", status_code=204, summary="Delete a task", responses=TASK_NOT_FOUND
)
async def delete_task(store: StoreDep, task_id: TaskId) -> None:
    """Remove the task for good. The answer has no body."""
    await store.delete(task_id)
