"""The shapes of Taskboard's data, as the API accepts and returns them."""

from enum import StrEnum

from pydantic import BaseModel, Field


class TaskStatus(StrEnum):
    todo = "todo"
    doing = "doing"
    done = "done"


class TaskPublic(BaseModel):
    """A task as the API returns it."""

    id: int
    title: str = Field(min_length=1, max_length=200)
    description: str | None = None
    status: TaskStatus = TaskStatus.todo
    priority: int = Field(default=3, ge=1, le=5)
