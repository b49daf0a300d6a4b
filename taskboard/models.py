"""The shapes of Taskboard's data, as the API accepts and returns them.

One family per resource, as in the FastAPI full-stack template: `XBase` holds the shared fields,
`XCreate` is what a client sends to create one, `XUpdate` a partial change, `XPublic` what the API
returns. Input models forbid unknown fields, so a typo such as `"titel"` is a 422, not ignored.
"""

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import MISSING, AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from taskboard.demo import demo_tasks


class TaskStatus(StrEnum):
    todo = "todo"
    doing = "doing"
    done = "done"


MAX_CHECKLIST_ITEMS = 50


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise PydanticCustomError("string_nul", "Text must not contain the NUL character (U+0000)")
    return text


def _document_without_nul(schema: dict[str, Any]) -> None:
    # A field with a pattern of its own (an https URL) keeps it; the validator still runs.
    schema.setdefault("pattern", "^[^\\u0000]*$")


# Free text, as stored. PostgreSQL's text types cannot hold the NUL character, and the database's
# error was a 500 (found by lesson 13's fuzzing). Every store refuses it with a 422 that says
# so, and the schema says it too, so the stores stay interchangeable.
Text = Annotated[str, AfterValidator(_without_nul), Field(json_schema_extra=_document_without_nul)]

# A label is a short lowercase tag such as "backend" or "good-first-issue".
Label = Annotated[
    str,
    Field(
        min_length=1,
        max_length=30,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        examples=["backend", "good-first-issue"],
    ),
]


class ChecklistItem(BaseModel):
    """One step of a task, nested inside it."""

    model_config = ConfigDict(extra="forbid")

    text: Text = Field(min_length=1, max_length=200, examples=["Write the tests"])
    done: bool = False


class TaskBase(BaseModel):
    title: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)
    status: TaskStatus = TaskStatus.todo
    priority: int = Field(default=3, ge=1, le=5, description="1 is the most urgent, 5 the least.")
    labels: list[Label] = Field(default_factory=list, max_length=10)
    checklist: list[ChecklistItem] = Field(
        default_factory=list,
        max_length=MAX_CHECKLIST_ITEMS,
        description="The steps of the task, in order.",
    )


class TaskCreate(TaskBase):
    """What a client sends to create a task: only `title` is required."""

    model_config = ConfigDict(extra="forbid")


class TaskUpdate(BaseModel):
    """A partial change: every field may be left out, and only the fields sent are changed.

    Only `description` may be cleared with `null`: `{"title": null}` is a 422.
    """

    # MISSING is Pydantic's "not sent" marker, distinct from None: a field left out stays MISSING
    # and `model_dump()` leaves it out, so the types say exactly what a client may send.
    model_config = ConfigDict(extra="forbid")

    title: Text | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    description: Text | MISSING | None = Field(default=MISSING, max_length=2000)
    status: TaskStatus | MISSING = MISSING
    priority: int | MISSING = Field(default=MISSING, ge=1, le=5)
    labels: list[Label] | MISSING = Field(default=MISSING, max_length=10)
    checklist: list[ChecklistItem] | MISSING = Field(
        default=MISSING, max_length=MAX_CHECKLIST_ITEMS
    )


class TaskFilters(BaseModel):
    """The query parameters of `GET /tasks`, declared once as a model.

    An unknown parameter (`?stauts=todo`) is a 422 instead of being silently ignored.
    """

    model_config = ConfigDict(extra="forbid")

    status: TaskStatus | None = None
    label: list[Label] = Field(
        default_factory=list, description="Only tasks with every one of these labels."
    )
    limit: int = Field(default=10, ge=1, le=100, description="At most this many tasks.")


# Deep pages are slow (the database reads and skips every row before the offset), so the offset
# stops where search engines stop theirs. The bound also keeps the number inside a 64-bit
# integer, which both SQLite and PostgreSQL refuse past 2**63 - 1 (a 500 without it).
MAX_OFFSET = 10_000


class Page(BaseModel):
    """The query parameters of a paginated list: skip `offset` items, then send at most `limit`."""

    model_config = ConfigDict(extra="forbid")

    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Items to skip first.")
    limit: int = Field(default=10, ge=1, le=100, description="At most this many items.")


class TaskPublic(TaskBase):
    """A task as the API returns it."""

    # The example in /docs is a real demo task, so "Try it out" and the demo data agree.
    model_config = ConfigDict(json_schema_extra={"examples": [demo_tasks()[2]]})

    id: int


class UserBase(BaseModel):
    username: str = Field(min_length=3, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    full_name: Text | None = Field(default=None, max_length=100)


class UserCreate(UserBase):
    """What a client sends to sign up. The password is hashed at once and never stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "ada",
                    "password": "choose a long passphrase",
                    "full_name": "Ada Lovelace",
                }
            ]
        },
    )

    password: str = Field(min_length=8, max_length=128)


# Users signed up by one request at most: each costs an argon2 hash (~0.1 s of CPU).
MAX_USERS_PER_BATCH = 20


class UserPublic(UserBase):
    """A user as the API returns it: no password, no hash."""

    id: int


class CommentKind(StrEnum):
    note = "note"
    question = "question"


class Attachment(BaseModel):
    """A link attached to a comment, nested inside it."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=100, examples=["design.pdf"])
    url: Text = Field(max_length=2000, pattern=r"^https://", examples=["https://example.com/a.pdf"])


class CommentCreate(BaseModel):
    """What a client sends to comment on a task: only `text` is required."""

    model_config = ConfigDict(extra="forbid")

    text: Text = Field(min_length=1, max_length=500)
    kind: CommentKind = CommentKind.note
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)


class CommentPublic(CommentCreate):
    """A comment as the API returns it."""

    id: int
    task_id: int


class Token(BaseModel):
    """What `POST /auth/token` answers (OAuth2's access token response, RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="The scopes the token allows, separated by spaces.")


class ErrorMessage(BaseModel):
    """The body of every error Taskboard raises itself (404, 409): one sentence saying what is wrong.

    It is FastAPI's own shape for `HTTPException`, so a client reads every error the same way.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Task 42 not found"}]})

    detail: str


class UserInDB(UserPublic):
    """A user as the store keeps it. Never a return type: routes return `UserPublic`."""

    password_hash: str


class TaskFilePublic(BaseModel):
    """A file attached to a task, as the API describes it. Its bytes come from the download route."""

    id: int
    task_id: int
    filename: str = Field(examples=["notes.txt"])
    content_type: str = Field(
        description="The media type the uploader gave, such as `text/plain`.",
        examples=["text/plain"],
    )
    size: int = Field(description="In bytes.", examples=[1024])


class LinkCheck(BaseModel):
    """One link attached to a task's comments, and how it answered a `HEAD` request."""

    name: str
    url: str
    status: int | None = Field(
        description="The HTTP status the link answered with; null if it did not answer in time.",
        examples=[200],
    )
    ok: bool = Field(description="True when the link answered with a status below 400.")


class BoardStats(BaseModel):
    """How many tasks a user has, in all, by status and by label (lesson 12)."""

    total: int = Field(examples=[4])
    by_status: dict[TaskStatus, int] = Field(
        description="Every status, with 0 for a status no task has.",
        examples=[{"todo": 2, "doing": 1, "done": 1}],
    )
    by_label: dict[str, int] = Field(
        description="Every label in use, in alphabetical order.", examples=[{"api": 2, "docs": 1}]
    )
