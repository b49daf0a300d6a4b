"""Lesson 02 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

import pytest
from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from course import checkpoint
from course.checks import checks_of, lesson02
from taskboard.models import (
    TaskCreate,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
    UserCreate,
    UserInDB,
    UserPublic,
)
from taskboard.store import Conflict, TaskNotFound, UsernameTaken, UserNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("02")
TASK_CHECKS = (lesson02.create_task, lesson02.update_task, lesson02.delete_task)


def learner_app(conflict_detail: str | None = "{exc}", **mistakes: bool) -> FastAPI:
    """A correct lesson-02 answer on the exercise's starting app, unlike taskboard/'s in style:
    sync endpoints, the store from the request, the learner's own body model for a new task,
    HTTPException instead of the app's handlers, `response_model=` instead of a return type,
    a `Response` for the 204. `conflict_detail` is the 409's detail (None: no detail at all),
    with `{exc}` and `{username}` filled in. Each keyword turns on one typical mistake."""
    app = checkpoint("01")

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
    def create(request: Request, task: NewTask):
        task_in = TaskCreate.model_validate(task.model_dump())
        if mistakes.get("not_saved"):
            return TaskPublic(id=1000, **task_in.model_dump())
        return store_of(request).create(task_in)

    @app.patch("/tasks/{task_id}", response_model=TaskPublic | None)
    def update(request: Request, task_id: int, changes: TaskUpdate):
        store = store_of(request)
        if mistakes.get("null_for_missing") and task_id not in {t.id for t in store.search("")}:
            return None
        if mistakes.get("every_field"):
            fields = changes.model_dump()
        elif mistakes.get("exclude_none"):
            fields = changes.model_dump(exclude_none=True)
        elif mistakes.get("model_not_dict"):
            fields = changes
        else:
            fields = changes.model_dump(exclude_unset=True)
        try:
            return store.update(task_id, fields)
        except TaskNotFound:
            raise HTTPException(404, f"No task {task_id}") from None

    # A `Response` of its own sets the status: the decorator needs none, except for a dict.
    @app.delete("/tasks/{task_id}", status_code=204 if mistakes.get("ok_with_204") else None)
    def delete(request: Request, task_id: int):
        if not mistakes.get("not_removed"):
            store_of(request).delete(task_id)
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

    @app.post("/users", status_code=201, **post_shape)
    def sign_up(request: Request, user: UserCreate):
        try:
            return store_of(request).create_user(user)
        except UsernameTaken as exc:
            if mistakes.get("crash_on_taken"):
                raise
            code = 400 if mistakes.get("taken_400") else status.HTTP_409_CONFLICT
            if conflict_detail is None:
                raise HTTPException(code) from None
            detail = conflict_detail.format(exc=exc, username=user.username)
            raise HTTPException(code, detail=detail) from None

    @app.get("/users/{user_id}", **get_shape)
    def read_user(request: Request, user_id: int):
        try:
            return store_of(request).get_user(user_id)
        except UserNotFound:
            raise HTTPException(404, "no such user") from None

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
        (lesson02.update_task, "Finish Task 1"),
        (lesson02.delete_task, "Finish Task 1"),
        (lesson02.users, "No route matches this path"),
    ],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_the_unsolved_exercise_names_what_is_missing(checker, hint: str) -> None:
    assert failure(checker, checkpoint("01")).hint.startswith(hint)


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


def test_exclude_none_instead_of_exclude_unset_is_named() -> None:
    exc = failure(lesson02.update_task, learner_app(exclude_none=True))
    assert "explicit null should clear" in exc.problem
    assert "exclude_unset=True" in exc.hint


@pytest.mark.parametrize(
    ("mistake", "error"), [("every_field", "ValidationError"), ("model_not_dict", "TypeError")]
)
def test_handing_the_store_more_than_the_fields_sent_gets_the_exclude_unset_hint(
    mistake: str, error: str
) -> None:
    exc = failure(lesson02.update_task, learner_app(**{mistake: True}))
    assert exc.problem == f"your app raised {error} for a PATCH that sends only the priority."
    assert exc.got.startswith(error)
    assert "\n" not in exc.got
    assert "exclude_unset=True" in exc.hint


def test_200_with_null_for_a_missing_task_is_refused() -> None:
    exc = failure(lesson02.update_task, learner_app(null_for_missing=True))
    assert exc.problem == "A PATCH of an unknown task should answer 404."
    assert exc.got == "200 null"
    assert "never answer 200 with null" in exc.hint


# Task 3


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
    def sign_up(user: UserCreate):
        try:
            return app.state.store.create_user(user)
        except UsernameTaken:
            raise HTTPException(409, f"{user.username} is already taken") from None

    @app.get("/users/{user_id}", **hidden)
    def read_user(user_id: int):
        return app.state.store.get_user(user_id)

    lesson02.users(app)


def test_a_user_without_the_full_name_sent_is_caught() -> None:
    exc = failure(lesson02.users, learner_app(no_full_name=True))
    assert exc.problem == "the answer should be the new user, with its id and full name."
    assert "create_user" in exc.hint


def test_a_crash_on_a_taken_username_gets_the_409_hint() -> None:
    exc = failure(lesson02.users, learner_app(crash_on_taken=True))
    assert "crashed" in exc.problem
    assert "HTTPException(status_code=409" in exc.hint
    assert "exception handler" in exc.hint
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


def test_report_is_short_and_has_no_traceback() -> None:
    exc = failure(lesson02.users, learner_app(leak_hash=True))
    lines = exc._render_traceback_()
    assert lines[0].startswith("✘ Task 4 is not done yet")
    assert len(lines) <= 8
