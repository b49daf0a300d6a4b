"""Taskboard's GraphQL types (lesson 11), made from the Pydantic models of the REST API.

Strawberry's Pydantic integration builds each type from a model: every field listed with
`strawberry.auto` takes its type, default and description from the model, so a task is described
once, in taskboard/models.py, for both APIs. Inputs are validated by the same models (`TaskCreate`,
`TaskUpdate`), so GraphQL refuses exactly what REST refuses. What a type adds to its model, a
task's owner and comments, goes through the request's DataLoaders (context.py): one store call for
every task of an answer, not one per task.
"""

from typing import Any

import strawberry
from strawberry.experimental import pydantic

from taskboard import models
from taskboard.graphql.context import Context

Info = strawberry.Info[Context, None]


@pydantic.type(model=models.ChecklistItem, all_fields=True)
class ChecklistItem:
    pass


@pydantic.type(model=models.Attachment, all_fields=True)
class Attachment:
    pass


@pydantic.type(model=models.CommentPublic, description="A comment on a task.")
class Comment:
    id: strawberry.auto
    text: strawberry.auto
    kind: strawberry.auto
    attachments: strawberry.auto


# From UserPublic, never UserInDB: what GraphQL can show has no password hash to leak.
@pydantic.type(model=models.UserPublic, description="A user: never their password, nor its hash.")
class User:
    id: strawberry.auto
    username: strawberry.auto
    full_name: strawberry.auto


@pydantic.type(model=models.TaskPublic, description="A task, with its owner and its comments.")
class Task:
    id: strawberry.auto
    title: strawberry.auto
    description: strawberry.auto
    status: strawberry.auto
    priority: strawberry.auto
    labels: strawberry.auto
    checklist: strawberry.auto

    @strawberry.field(description="Who the task belongs to; null while it belongs to nobody.")
    async def owner(self, info: Info) -> User | None:
        user = await info.context.owner_of.load(self.id)
        return None if user is None else User.from_pydantic(user)

    @strawberry.field(description="Its comments, oldest first.")
    async def comments(self, info: Info) -> list[Comment]:
        found = await info.context.comments_of.load(self.id)
        return [Comment.from_pydantic(comment) for comment in found]


@pydantic.input(model=models.ChecklistItem, all_fields=True, name="ChecklistItemInput")
class ChecklistItemInput:
    pass


@pydantic.input(
    model=models.TaskCreate,
    all_fields=True,
    name="TaskInput",
    description="A new task: only `title` is required, as in POST /tasks.",
)
class TaskInput:
    pass


@strawberry.input(
    description="The fields to change, as in PATCH /tasks/{task_id}: a field left out keeps its "
    "value, and only `description` may be null."
)
class TaskChanges:
    # UNSET, not None: "left out" and "set to null" differ, as MISSING and None do in TaskUpdate,
    # which decides what null means for each field.
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: models.TaskStatus | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    labels: list[str] | None = strawberry.UNSET
    checklist: list[ChecklistItemInput] | None = strawberry.UNSET

    def sent(self) -> dict[str, Any]:
        """The fields the client sent, as plain data for TaskUpdate to validate."""
        fields: dict[str, Any] = {}
        for name, value in vars(self).items():
            if value is strawberry.UNSET:
                continue
            if name == "checklist" and value is not None:
                value = [strawberry.asdict(item) for item in value]
            fields[name] = value
        return fields
