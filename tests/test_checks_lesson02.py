"""Lesson 02 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

import pytest
from fastapi import FastAPI, HTTPException, Request, status
from pydantic import BaseModel, Field

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
from taskboard.store import TaskNotFound, UsernameTaken, UserNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("02")


def learner_app(**mistakes: bool) -> FastAPI:
    """A correct lesson-02 answer on the exercise's starting app, unlike taskboard/'s in style:
    sync endpoints, the store from the request, HTTPException instead of the handler,
    `response_model=` instead of a return type. Each keyword turns on one typical mistake."""
    app = checkpoint("01")

    def store_of(request: Request):
        return request.app.state.store

    create_status = 200 if mistakes.get("create_200") else status.HTTP_201_CREATED

    class NewTask(BaseModel):  # the learner's own model, without extra="forbid"
        title: str = Field(min_length=1, max_length=200)
        priority: int = Field(default=3, ge=1, le=5)
        status: TaskStatus = TaskStatus.todo

    body_model = NewTask if mistakes.get("extra_allowed") else TaskCreate

    @app.post("/tasks", status_code=create_status, response_model=TaskPublic)
    def create(request: Request, task: body_model):  # type: ignore[valid-type]
        return store_of(request).create(TaskCreate.model_validate(task.model_dump()))

    @app.patch("/tasks/{task_id}", response_model=TaskPublic | None)
    def update(request: Request, task_id: int, changes: TaskUpdate):
        store = store_of(request)
        if mistakes.get("null_for_missing") and task_id not in {t.id for t in store.search("")}:
            return None
        if mistakes.get("exclude_none"):
            fields = changes.model_dump(exclude_none=True)
        else:
            fields = changes.model_dump(exclude_unset=True)
        try:
            return store.update(task_id, fields)
        except TaskNotFound:
            raise HTTPException(404, f"No task {task_id}") from None

    @app.delete("/tasks/{task_id}", status_code=200 if mistakes.get("delete_200") else 204)
    def delete(request: Request, task_id: int) -> None:
        store_of(request).delete(task_id)

    user_model = UserInDB if mistakes.get("leak_hash") else UserPublic

    @app.post("/users", status_code=201, response_model=user_model)
    def sign_up(request: Request, user: UserCreate):
        try:
            return store_of(request).create_user(user)
        except UsernameTaken as exc:
            if mistakes.get("crash_on_taken"):
                raise
            raise HTTPException(409, str(exc)) from None

    @app.get("/users/{user_id}", response_model=user_model)
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


def test_200_instead_of_201_gets_the_status_code_hint() -> None:
    exc = failure(lesson02.create_task, learner_app(create_200=True))
    assert exc.problem == "Creating a task should answer 201."
    assert "status_code=201" in exc.hint


def test_a_model_that_ignores_unknown_fields_gets_the_forbid_hint() -> None:
    exc = failure(lesson02.create_task, learner_app(extra_allowed=True))
    assert exc.problem == "An unknown field should answer 422."
    assert "extra='forbid'" in exc.hint


def test_exclude_none_instead_of_exclude_unset_is_named() -> None:
    exc = failure(lesson02.update_task, learner_app(exclude_none=True))
    assert "explicit null should clear" in exc.problem
    assert "exclude_unset=True" in exc.hint


def test_200_with_null_for_a_missing_task_is_refused() -> None:
    exc = failure(lesson02.update_task, learner_app(null_for_missing=True))
    assert exc.problem == "A PATCH of an unknown task should answer 404."
    assert exc.got == "200 null"
    assert "never answer 200 with null" in exc.hint


def test_a_delete_that_answers_200_gets_the_204_hint() -> None:
    exc = failure(lesson02.delete_task, learner_app(delete_200=True))
    assert exc.problem == "Deleting a task should answer 204."
    assert "No Content" in exc.hint


def test_leaking_the_password_hash_is_caught() -> None:
    exc = failure(lesson02.users, learner_app(leak_hash=True))
    assert exc.problem == "POST /users leaks the password or its hash."
    assert "UserPublic" in exc.hint
    assert "password_hash" in exc.got


def test_a_crash_on_a_taken_username_gets_the_409_hint() -> None:
    exc = failure(lesson02.users, learner_app(crash_on_taken=True))
    assert "crashed" in exc.problem
    assert "HTTPException(409)" in exc.hint
    assert "UsernameTaken" in exc.got


def test_later_tasks_say_when_task_1_is_missing() -> None:
    app = checkpoint("01")
    exc = failure(lesson02.update_task, app)
    assert "Finish Task 1" in exc.hint


def test_report_is_short_and_has_no_traceback() -> None:
    exc = failure(lesson02.users, learner_app(leak_hash=True))
    lines = exc._render_traceback_()
    assert lines[0].startswith("✘ Task 4 is not done yet")
    assert len(lines) <= 8
