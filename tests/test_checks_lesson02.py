"""Lesson 02 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

import itertools
import sys
from enum import StrEnum
from types import ModuleType
from typing import Annotated, Any, Literal

import pytest
from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import MISSING, BaseModel, ConfigDict, Field, StringConstraints

from course import checkpoint
from course.checkpoints import CheckpointSettings
from course.checks import RERUN, checks_of, lesson02
from taskboard import models
from taskboard.api.main import BOARD, USERS
from taskboard.api.routes import tasks
from taskboard.core.features import Feature
from taskboard.main import create_app
from taskboard.models import (
    TaskCreate,
    TaskPublic,
    TaskStatus,
    UserCreate,
    UserInDB,
    UserPublic,
)
from taskboard.store import Conflict, TaskNotFound, UsernameTaken, UserNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("02")
TASK_CHECKS = (lesson02.create_task, lesson02.delete_task, lesson02.update_task)

# An alternative TaskUpdate: MISSING with constrained types instead of Field(default=...).
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Priority = Annotated[int, Field(ge=1, le=5)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class Changes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | MISSING = MISSING
    description: Description | MISSING | None = MISSING
    status: TaskStatus | MISSING = MISSING
    priority: Priority | MISSING = MISSING


class LyingChanges(BaseModel):
    """`None` defaults on types that refuse None: the schema lies, but null is still a 422."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    status: TaskStatus = None  # type: ignore[assignment]
    priority: int = Field(default=None, ge=1, le=5)


class NullableChanges(BaseModel):
    """The tempting first try: every field `X | None = None`, so null passes validation."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    status: TaskStatus | None = None
    priority: int | None = Field(default=None, ge=1, le=5)


class ChangesWithoutNullDescription(Changes):
    description: Description | MISSING = MISSING  # type: ignore[assignment]


class LooseChanges(Changes):
    model_config = ConfigDict(extra="ignore")


class UnconstrainedChanges(Changes):
    title: str | MISSING = MISSING  # type: ignore[assignment]
    description: str | MISSING | None = MISSING  # type: ignore[assignment]


class ShortTitleChanges(Changes):
    title: Annotated[str, StringConstraints(min_length=1, max_length=199)] | MISSING = MISSING


class NoStatusChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | MISSING = MISSING
    description: Description | MISSING | None = MISSING
    priority: Priority | MISSING = MISSING


UPDATE_MODELS: dict[str, type[BaseModel]] = {
    "nullable": NullableChanges,
    "description_not_nullable": ChangesWithoutNullDescription,
    "extra_allowed_update": LooseChanges,
    "unconstrained_update": UnconstrainedChanges,
    "no_status": NoStatusChanges,
    "short_title": ShortTitleChanges,
}


def _changes(task_in: BaseModel, mistakes: dict[str, bool]) -> Any:
    if mistakes.get("model_not_dict"):
        return task_in
    if mistakes.get("exclude_none"):
        return task_in.model_dump(exclude_none=True)
    if mistakes.get("plain_dump"):
        return task_in.model_dump()
    return task_in.model_dump(exclude_unset=True)


def _text_limit(mistakes: dict[str, bool]) -> int:
    if mistakes.get("long_text"):
        return 5000
    return 499 if mistakes.get("short_text") else 500


def add_comments(app: FastAPI, **mistakes: bool) -> None:
    """A correct Task 5, unlike the solution: a Literal instead of an enum, constrained types,
    a list and a counter for the store, `response_model=` instead of a return type. Each keyword
    turns on one typical mistake."""

    class File(BaseModel):
        model_config = ConfigDict(extra="ignore" if mistakes.get("loose_attachment") else "forbid")

        name: Annotated[
            str,
            StringConstraints(min_length=1, max_length=99 if mistakes.get("short_name") else 100),
        ]
        url: Annotated[
            str, StringConstraints(pattern="" if mistakes.get("any_url") else "^https://")
        ]

    # The mistakes' types are chosen here, so the model below reads as a learner writes it.
    Kind = str if mistakes.get("kind_str") else Literal["note", "question"]
    Files = list[dict[str, str]] if mistakes.get("untyped_attachments") else list[File]

    class NewComment(BaseModel):
        model_config = ConfigDict(extra="ignore" if mistakes.get("loose_comment") else "forbid")

        text: Annotated[
            str,
            StringConstraints(min_length=1, max_length=_text_limit(mistakes)),
        ]
        kind: Kind = "note"  # type: ignore[valid-type]
        attachments: Files = Field(default_factory=list)  # type: ignore[valid-type]

    class Comment(NewComment):
        id: int
        task_id: int

    class CommentWithoutTask(NewComment):
        id: int

    saved: list[Comment] = []
    numbers = itertools.count(1)

    @app.post(
        "/tasks/{task_id}/comments",
        status_code=200 if mistakes.get("comment_200") else 201,
        response_model=CommentWithoutTask if mistakes.get("no_task_id") else Comment,
    )
    async def comment(request: Request, task_id: int, new: NewComment):
        if mistakes.get("lookup_not_awaited"):
            request.app.state.store.get(task_id)  # the learner forgot `await`
        elif not mistakes.get("no_task_lookup"):
            await request.app.state.store.get(task_id)
        number = 1 if mistakes.get("same_id") else next(numbers)
        saved.append(Comment(id=number, task_id=task_id, **new.model_dump()))
        return saved[-1]


def learner_app(
    conflict_detail: str | None = "{exc}",
    update_model: type[BaseModel] = Changes,
    **mistakes: bool,
) -> FastAPI:
    """A correct lesson-02 answer on the exercise's starting app, unlike taskboard/'s in style:
    the store from the request, the learner's own body models, HTTPException
    instead of the app's handlers, `response_model=` instead of a return type, a `Response`
    for the 204. `conflict_detail` is the 409's detail (None: no detail at all), with `{exc}`
    and `{username}` filled in. Each keyword turns on one typical mistake."""
    app = checkpoint("01")
    for name, model in UPDATE_MODELS.items():
        if mistakes.get(name):
            update_model = model

    def store_of(request: Request):
        return request.app.state.store

    class NewTask(BaseModel):
        model_config = ConfigDict(extra="ignore" if mistakes.get("extra_allowed") else "forbid")

        title: str = Field(min_length=1, max_length=200)
        description: str | None = None
        priority: int = Field(default=3, ge=1, le=5)
        status: TaskStatus = TaskStatus.todo

    create_status = 200 if mistakes.get("create_200") else status.HTTP_201_CREATED

    @app.post("/tasks", status_code=create_status, response_model=TaskPublic)
    async def create(request: Request, task: NewTask):
        task_in = TaskCreate.model_validate(task.model_dump())
        if mistakes.get("not_saved"):
            return TaskPublic(id=1000, **task_in.model_dump())
        if mistakes.get("create_not_awaited"):
            return store_of(request).create(task_in)  # the learner forgot `await`
        return await store_of(request).create(task_in)

    @app.patch("/tasks/{task_id}", response_model=TaskPublic | None)
    async def update(request: Request, task_id: int, changes: update_model):  # type: ignore[valid-type]
        store = store_of(request)
        if mistakes.get("null_for_missing") and task_id not in {
            task.id for task in await store.search("")
        }:
            return None
        try:
            return await store.update(task_id, _changes(changes, mistakes))
        except TaskNotFound:
            raise HTTPException(404, f"No task {task_id}") from None

    # A `Response` of its own sets the status: the decorator needs none, except for a dict.
    @app.delete("/tasks/{task_id}", status_code=204 if mistakes.get("ok_with_204") else None)
    async def delete(request: Request, task_id: int):
        if mistakes.get("delete_not_awaited"):
            store_of(request).delete(task_id)  # the learner forgot `await`
        elif not mistakes.get("not_removed"):
            await store_of(request).delete(task_id)
        if mistakes.get("delete_200"):
            return None
        if mistakes.get("null_body"):
            return JSONResponse(status_code=204, content=None)
        if mistakes.get("ok_with_204"):  # looks like a mistake, but FastAPI drops the body
            return {"ok": True}
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    public = {"response_model": UserPublic}
    leaky = {"response_model": UserInDB}
    if mistakes.get("exclude_password"):  # excludes the field that is never stored anyway
        leaky["response_model_exclude"] = {"password"}
    post_shape = leaky if mistakes.get("leak_hash") or mistakes.get("exclude_password") else public
    if mistakes.get("no_full_name"):  # a public model of the learner's own, one field short

        class Member(BaseModel):
            id: int
            username: str

        post_shape = {"response_model": Member}
    get_shape = leaky if mistakes.get("leak_hash") or mistakes.get("leak_on_get") else public

    def taken(exc: UsernameTaken, user: UserCreate) -> HTTPException:
        code = 400 if mistakes.get("taken_400") else status.HTTP_409_CONFLICT
        if conflict_detail is None:
            return HTTPException(code)
        return HTTPException(code, detail=conflict_detail.format(exc=exc, username=user.username))

    @app.post("/users", status_code=201, **post_shape)
    async def sign_up(request: Request, user: UserCreate):
        try:
            return await store_of(request).create_user(user)
        except UsernameTaken as exc:
            if mistakes.get("crash_on_taken"):
                raise
            raise taken(exc, user) from None

    @app.get("/users/{user_id}", **get_shape)
    async def read_user(request: Request, user_id: int):
        if mistakes.get("get_user_not_awaited"):
            return store_of(request).get_user(user_id)  # the learner forgot `await`
        try:
            return await store_of(request).get_user(user_id)
        except UserNotFound:
            raise HTTPException(404, "no such user") from None

    add_comments(app, **mistakes)
    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker) -> None:
    app = learner_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize(
    ("checker", "hint"),
    [
        (lesson02.create_task, "The path exists but not for this method"),
        (lesson02.delete_task, "Finish Task 1"),
        (lesson02.update_task, "Finish Task 1"),
        (lesson02.users, "No route matches this path"),
        (lesson02.comments, "Finish Task 1"),
    ],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_the_unsolved_exercise_names_what_is_missing(checker, hint: str) -> None:
    assert failure(checker, checkpoint("01")).hint.startswith(hint)


def test_every_check_passes_on_taskboard_after_lesson_02() -> None:
    app = checkpoint("02")
    for checker in ALL_CHECKS:
        checker(app)


def test_comments_without_the_route_name_the_path() -> None:
    # Tasks 1 to 4 done, Task 5 not: Taskboard after lesson 02 without its comments router.
    no_comments = Feature(name="editing without comments", routers=(tasks.write_router,))
    app = create_app(CheckpointSettings(), features=(BOARD, no_comments, USERS))
    exc = failure(lesson02.comments, app)
    assert exc.problem == "Adding a valid comment should answer 201."
    assert exc.hint.startswith("No route matches this path")


# Task 1


def test_200_instead_of_201_gets_the_status_code_hint() -> None:
    exc = failure(lesson02.create_task, learner_app(create_200=True))
    assert exc.problem == "Creating a task should answer 201."
    assert "status_code=201" in exc.hint


def test_a_model_that_ignores_unknown_fields_gets_the_forbid_hint() -> None:
    exc = failure(lesson02.create_task, learner_app(extra_allowed=True))
    assert exc.problem == "An unknown field should answer 422."
    assert "extra='forbid'" in exc.hint


def test_a_task_that_is_not_saved_in_the_store_is_caught() -> None:
    exc = failure(lesson02.create_task, learner_app(not_saved=True))
    assert "is not in the store" in exc.problem
    assert "app.state.store" in exc.hint


# Task 2


def test_a_delete_that_answers_200_gets_the_204_hint() -> None:
    exc = failure(lesson02.delete_task, learner_app(delete_200=True))
    assert exc.problem == "Deleting a task should answer 204."
    assert "No Content" in exc.hint


def test_a_204_with_a_json_null_body_is_caught() -> None:
    exc = failure(lesson02.delete_task, learner_app(null_body=True))
    assert exc.problem == "a 204 answer has no body."
    assert exc.got == "204 null"
    assert "Return None" in exc.hint


def test_a_delete_that_removes_nothing_is_caught() -> None:
    exc = failure(lesson02.delete_task, learner_app(not_removed=True))
    assert exc.problem == "Reading a deleted task should answer 404."
    assert "store's delete method" in exc.hint


def test_a_dict_returned_from_a_204_route_is_dropped_by_fastapi_and_passes() -> None:
    # `status_code=204` makes FastAPI send no body whatever the function returns: the answer
    # is the one the task asks for.
    lesson02.delete_task(learner_app(ok_with_204=True))


# Task 3


@pytest.mark.parametrize(
    ("model", "how"),
    [
        (models.TaskUpdate, "plain_dump"),  # Taskboard's own model, as the solution uses it
        (LyingChanges, "exclude_unset"),  # None defaults, but types that refuse null
    ],
    ids=["taskboard-model", "none-defaults-on-non-null-types"],
)
def test_other_update_models_that_refuse_null_pass(model: type[BaseModel], how: str) -> None:
    lesson02.update_task(learner_app(update_model=model, **{how: True}))


def test_none_defaults_and_a_plain_model_dump_name_missing() -> None:
    # Every field left out reaches the store as None, which the store refuses.
    exc = failure(lesson02.update_task, learner_app(nullable=True, plain_dump=True))
    assert (
        exc.problem == "your app raised ValidationError for a PATCH that sends only the priority."
    )
    assert exc.got.startswith("ValidationError")
    assert "\n" not in exc.got
    assert "MISSING" in exc.hint
    assert "model_dump()" in exc.hint


def test_the_model_instead_of_a_dict_gets_the_same_hint() -> None:
    exc = failure(lesson02.update_task, learner_app(model_not_dict=True))
    assert exc.problem == "your app raised TypeError for a PATCH that sends only the priority."
    assert "a dict of only the fields sent" in exc.hint


def test_none_defaults_with_exclude_unset_let_a_null_title_through() -> None:
    # The older way is right for fields left out, but `str | None` accepts {"title": null}.
    exc = failure(lesson02.update_task, learner_app(nullable=True))
    assert exc.problem == (
        'your app raised ValidationError for {"title": null}: the store refused it, after your '
        "model let it through."
    )
    assert exc.sent == 'PATCH /tasks/5 with JSON {"title": null}'
    assert "str | MISSING" in exc.hint


def test_dropping_nulls_is_caught_on_the_description() -> None:
    exc = failure(lesson02.update_task, learner_app(exclude_none=True))
    assert exc.problem == "an explicit null should clear the description, and leave the rest alone."
    assert "exclude_none=True" in exc.hint
    assert "model_dump()" in exc.hint


def test_a_description_that_refuses_null_is_named() -> None:
    exc = failure(lesson02.update_task, learner_app(description_not_nullable=True))
    assert exc.problem == "an explicit null should clear the description, and leave the rest alone."
    assert exc.got.startswith("422")
    assert "str | MISSING | None" in exc.hint


def test_a_model_without_a_status_field_is_caught() -> None:
    exc = failure(lesson02.update_task, learner_app(no_status=True))
    assert exc.problem == "a new title and status should both be applied, and the rest kept."
    assert "all four fields" in exc.hint


def test_a_title_without_constraints_is_caught_where_the_store_refuses_it() -> None:
    exc = failure(lesson02.update_task, learner_app(unconstrained_update=True))
    assert exc.problem == (
        "your app raised ValidationError: the store refused a value your TaskUpdate let through."
    )
    assert exc.sent == 'PATCH /tasks/5 with JSON {"title": ""}'
    assert "1 to 200 characters" in exc.hint


def test_a_title_limit_below_200_is_caught() -> None:
    exc = failure(lesson02.update_task, learner_app(short_title=True))
    assert exc.problem == "A 200-character title should answer 200."
    assert "max_length=200" in exc.hint


def test_an_update_model_that_ignores_unknown_fields_gets_the_forbid_hint() -> None:
    exc = failure(lesson02.update_task, learner_app(extra_allowed_update=True))
    assert exc.problem == "An unknown field should answer 422."
    assert exc.got.startswith("200")
    assert "extra='forbid'" in exc.hint


def test_200_with_null_for_a_missing_task_is_refused() -> None:
    exc = failure(lesson02.update_task, learner_app(null_for_missing=True))
    assert exc.problem == "A PATCH of an unknown task should answer 404."
    assert exc.got == "200 null"
    assert "never answer 200 with null" in exc.hint


# Task 4


@pytest.mark.parametrize("mistake", ["leak_hash", "exclude_password"])
def test_leaking_the_password_hash_is_caught(mistake: str) -> None:
    exc = failure(lesson02.users, learner_app(**{mistake: True}))
    assert exc.problem == "POST /users leaks the password or its hash."
    assert "UserPublic" in exc.hint
    assert "password_hash" in exc.got


def test_leaking_the_hash_on_get_only_is_caught() -> None:
    exc = failure(lesson02.users, learner_app(leak_on_get=True))
    assert exc.problem.startswith("GET /users/")
    assert exc.problem.endswith("leaks the password or its hash.")
    assert "UserPublic" in exc.hint


def test_excluding_the_hash_from_the_stored_model_passes() -> None:
    app = checkpoint("01")
    hidden = {"response_model": UserInDB, "response_model_exclude": {"password_hash"}}

    @app.post("/users", status_code=201, **hidden)
    async def sign_up(user: UserCreate):
        try:
            return await app.state.store.create_user(user)
        except UsernameTaken:
            raise HTTPException(409, f"{user.username} is already taken") from None

    @app.get("/users/{user_id}", **hidden)
    async def read_user(user_id: int):
        return await app.state.store.get_user(user_id)

    lesson02.users(app)


def test_a_user_without_the_full_name_sent_is_caught() -> None:
    exc = failure(lesson02.users, learner_app(no_full_name=True))
    assert exc.problem == "the answer should be the new user, with its id and full name."
    assert "create_user" in exc.hint


def test_a_crash_on_a_taken_username_gets_the_409_hint() -> None:
    exc = failure(lesson02.users, learner_app(crash_on_taken=True))
    assert "crashed" in exc.problem
    assert "exception handler for Conflict" in exc.hint
    assert "HTTPException(status_code=409" in exc.hint
    assert "UsernameTaken" in exc.got


def test_400_for_a_taken_username_gets_the_409_hint() -> None:
    exc = failure(lesson02.users, learner_app(taken_400=True))
    assert exc.problem == "A username that is taken should answer 409."
    assert "UsernameTaken" in exc.hint


@pytest.mark.parametrize(
    "detail",
    [
        "{exc}",
        "Username {username} is not available",
        "That username already exists",
        "This name is in use, choose another",
        "Duplicate username",
    ],
)
def test_a_409_detail_that_says_why_in_other_words_passes(detail: str) -> None:
    lesson02.users(learner_app(conflict_detail=detail))


@pytest.mark.parametrize(
    ("detail", "got"),
    [
        (None, '409 {"detail":"Conflict"}'),
        ("", '409 {"detail":""}'),
        ("Error", '409 {"detail":"Error"}'),
    ],
)
def test_a_409_without_a_reason_is_caught(detail: str | None, got: str) -> None:
    exc = failure(lesson02.users, learner_app(conflict_detail=detail))
    assert exc.problem == "the 409 should say why in `detail`: the username is taken."
    assert exc.got.startswith(got)
    assert "detail" in exc.hint


def _register_handler(app: FastAPI, way: str) -> None:
    def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    if way == "decorator":
        app.exception_handler(UsernameTaken)(conflict)
    else:
        app.add_exception_handler(Conflict, conflict)


@pytest.mark.parametrize("way", ["decorator", "add_exception_handler"])
def test_a_handler_registered_after_the_earlier_tasks_ran_passes(way: str) -> None:
    app = learner_app(crash_on_taken=True)  # the route lets UsernameTaken out
    for checker in TASK_CHECKS:  # the app has served requests before the handler exists
        checker(app)
    assert "crashed" in failure(lesson02.users, app).problem
    _register_handler(app, way)
    lesson02.users(app)


# A forgotten `await`, in any task


@pytest.mark.parametrize(
    ("checker", "mistake", "called"),
    [
        (lesson02.create_task, "create_not_awaited", "Store.create"),
        (lesson02.users, "get_user_not_awaited", "Store.get_user"),
    ],
)
def test_a_coroutine_returned_instead_of_its_result_is_named(
    checker, mistake: str, called: str
) -> None:
    # With a return type (here `response_model=`), FastAPI's validation of the coroutine fails.
    exc = failure(checker, learner_app(**{mistake: True}))
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert exc.got == f"a coroutine of {called}(), not its result"
    assert exc.hint == "Calling an `async def` function gives a coroutine: `await` it."


@pytest.mark.parametrize(
    ("checker", "mistake", "called"),
    [
        (lesson02.delete_task, "delete_not_awaited", "Store.delete"),
        (lesson02.comments, "lookup_not_awaited", "Store.get"),
    ],
)
def test_a_store_call_without_await_is_named(checker, mistake: str, called: str) -> None:
    # The coroutine is dropped unawaited: the check fails on what the call did not do.
    exc = failure(checker, learner_app(**{mistake: True}))
    assert exc.problem == f"your function called {called}() without `await`, so it never ran."
    assert exc.hint == "Calling an `async def` function gives a coroutine: `await` it."


TASK_CELLS = """
@app.post("/tasks", status_code=201)
async def create_task(task_in: TaskCreate) -> TaskPublic:
    return await store.create(task_in)


@app.delete("/tasks/{task_id}", status_code=204)
async def delete_task(task_id: int) -> None:
    AWAIT store.delete(task_id)
"""


def test_a_fixed_await_behind_the_old_route_asks_for_a_rerun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A notebook's namespace, where the learner runs the cells, then again with `await`.
    notebook = ModuleType("learner_notebook")
    monkeypatch.setitem(sys.modules, notebook.__name__, notebook)
    app = checkpoint("01")
    names = {"TaskCreate": TaskCreate, "TaskPublic": TaskPublic}
    vars(notebook).update(app=app, store=app.state.store, **names)
    exec(TASK_CELLS.replace("AWAIT ", ""), vars(notebook))
    exc = failure(lesson02.delete_task, app)
    assert exc.problem == "your function called Store.delete() without `await`, so it never ran."
    exec(TASK_CELLS.replace("AWAIT ", "await "), vars(notebook))  # the first routes still answer
    exc = failure(lesson02.delete_task, app)
    assert exc.problem.startswith("an earlier version of `delete_task` answered")
    assert exc.hint == RERUN


def test_report_is_short_and_has_no_traceback() -> None:
    exc = failure(lesson02.users, learner_app(leak_hash=True))
    lines = exc._render_traceback_()
    assert lines[0].startswith("✘ Task 4 is not done yet")
    assert len(lines) <= 8


# Task 5


def test_the_solutions_models_pass() -> None:
    # Written as the solution writes them: an enum, Field constraints, a dict store, on
    # Taskboard after lesson 02 (its POST /tasks makes the task to comment on).
    app = checkpoint("02")
    store = app.state.store

    class CommentKind(StrEnum):
        note = "note"
        question = "question"

    class Attachment(BaseModel):
        model_config = ConfigDict(extra="forbid")

        name: str = Field(min_length=1, max_length=100)
        url: str = Field(pattern=r"^https://")

    class CommentCreate(BaseModel):
        model_config = ConfigDict(extra="forbid")

        text: str = Field(min_length=1, max_length=500)
        kind: CommentKind = CommentKind.note
        attachments: list[Attachment] = []

    class CommentPublic(CommentCreate):
        id: int
        task_id: int

    comments: dict[int, CommentPublic] = {}

    @app.post("/tasks/{task_id}/comments", status_code=201)
    async def add_comment(task_id: int, comment_in: CommentCreate) -> CommentPublic:
        await store.get(task_id)
        comment = CommentPublic(id=len(comments) + 1, task_id=task_id, **comment_in.model_dump())
        comments[comment.id] = comment
        return comment

    lesson02.comments(app)


@pytest.mark.parametrize(
    ("mistake", "problem", "hint"),
    [
        ("long_text", "A 501-character text should answer 422.", "1 to 500 characters"),
        ("kind_str", "A kind that is neither note nor question should answer 422.", "enum"),
        ("untyped_attachments", "An attachment without a url should answer 422.", "Attachment"),
        (
            "any_url",
            "An attachment url that does not start with https:// should answer 422.",
            "pattern",
        ),
        ("loose_comment", "An unknown field in the comment should answer 422.", "CommentCreate"),
        ("loose_attachment", "An unknown field in an attachment should answer 422.", "Attachment"),
    ],
)
def test_a_comment_model_missing_a_rule_is_caught(mistake: str, problem: str, hint: str) -> None:
    exc = failure(lesson02.comments, learner_app(**{mistake: True}))
    assert exc.problem == problem
    assert exc.got.startswith("201")
    assert hint in exc.hint


def test_a_comment_answered_with_200_gets_the_201_hint() -> None:
    exc = failure(lesson02.comments, learner_app(comment_200=True))
    assert exc.problem == "Adding a valid comment should answer 201."
    assert "status_code=201" in exc.hint


def test_a_comment_without_its_task_id_is_caught() -> None:
    exc = failure(lesson02.comments, learner_app(no_task_id=True))
    assert exc.problem.startswith("the answer should be the comment")
    assert '"task_id": 5' in exc.expected
    assert "CommentPublic" in exc.hint


def test_comments_sharing_one_id_are_caught() -> None:
    exc = failure(lesson02.comments, learner_app(same_id=True))
    assert (
        exc.problem
        == "three new comments got the ids [1, 1, 1]: each comment needs an id of its own."
    )
    assert "len(comments) + 1" in exc.hint


def test_a_comment_on_a_task_that_does_not_exist_is_caught() -> None:
    exc = failure(lesson02.comments, learner_app(no_task_lookup=True))
    assert exc.problem == "A comment on a task that does not exist should answer 404."
    assert "store.get(task_id)" in exc.hint


def test_a_long_text_is_named_by_its_length_in_a_report() -> None:
    shown = lesson02._shown({"text": "x" * 500, "attachments": [{"name": "n" * 100}]})
    assert shown == '{"text": "<500 characters>", "attachments": [{"name": "<100 characters>"}]}'


@pytest.mark.parametrize("mistake", ["short_name", "short_text"])
def test_rules_stricter_than_the_task_are_caught(mistake: str) -> None:
    # The longest text and name the task allows must be accepted.
    exc = failure(lesson02.comments, learner_app(**{mistake: True}))
    assert exc.problem == "Adding a valid comment should answer 201."
    assert exc.got.startswith("422")
    assert exc.hint.startswith("FastAPI rejected the request before your code ran")
