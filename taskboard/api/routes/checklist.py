"""A task's checklist, a sub-resource of tasks: add one step without resending the task."""

from typing import Annotated

from fastapi import APIRouter, Body

from taskboard.api.deps import StoreDep
from taskboard.api.responses import UNREADABLE_BODY
from taskboard.api.routes.tasks import TASK_NOT_FOUND, TaskId
from taskboard.models import ChecklistItem, ErrorMessage, TaskPublic

router = APIRouter(prefix="/tasks", tags=["tasks"])

# A full checklist raises ChecklistFull in the store; taskboard/errors.py answers 409.


@router.post(
    "/{task_id}/checklist",
    status_code=201,
    summary="Add a checklist item",
    response_description="The task, with the new item at the end of its checklist.",
    responses={
        **TASK_NOT_FOUND,
        **UNREADABLE_BODY,
        409: {"model": ErrorMessage, "description": "The checklist is full."},
    },
)
async def add_checklist_item(
    store: StoreDep,
    task_id: TaskId,
    item: Annotated[
        ChecklistItem,
        Body(openapi_examples={"step": {"summary": "A new step", "value": {"text": "Tag it"}}}),
    ],
) -> TaskPublic:
    """Append one step to a task's checklist, without sending the whole checklist again."""
    return await store.add_checklist_item(task_id, item)
