"""Comments on a task, a sub-resource of tasks (lesson 02: models with an enum and a nested list)."""

from fastapi import APIRouter

from taskboard.api.deps import StoreDep
from taskboard.api.responses import UNREADABLE_BODY
from taskboard.api.routes.tasks import TASK_NOT_FOUND, TaskId
from taskboard.models import CommentCreate, CommentPublic

# Reads and writes apart, so that lesson 08 can ask a different scope of each.
router = APIRouter(prefix="/tasks/{task_id}/comments", tags=["tasks"], responses=TASK_NOT_FOUND)
write_router = APIRouter(
    prefix="/tasks/{task_id}/comments", tags=["tasks"], responses=TASK_NOT_FOUND
)


@write_router.post("", status_code=201, summary="Comment on a task", responses=UNREADABLE_BODY)
async def add_comment(store: StoreDep, task_id: TaskId, comment_in: CommentCreate) -> CommentPublic:
    """Add a note or a question to a task, with optional links attached."""
    return await store.add_comment(task_id, comment_in)


@router.get("", summary="List a task's comments")
async def list_comments(store: StoreDep, task_id: TaskId) -> list[CommentPublic]:
    """Every comment on the task, oldest first."""
    return await store.list_comments(task_id)
