"""Catch-up: each checkpoint is built up from its lessons' features and passes its lesson's checks."""

import os
import pkgutil
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import anyio
import pytest
from fastapi import FastAPI

import course.checks
from course.checkpoints import FEATURES_ADDED_BY, CheckpointSettings, checkpoint, features_after
from course.checks import checks_of
from taskboard.api.main import FEATURES
from tests.checking import failure

LESSONS = sorted(FEATURES_ADDED_BY)

# What each lesson's app serves, as its lesson built it: the public list of operations.
OPERATIONS_ADDED_BY = {
    "01": {"GET /health", "GET /tasks", "GET /tasks/search", "GET /tasks/{task_id}"},
    "02": {
        "POST /tasks",
        "PATCH /tasks/{task_id}",
        "DELETE /tasks/{task_id}",
        "POST /tasks/{task_id}/comments",
        "GET /tasks/{task_id}/comments",
        "POST /users",
        "GET /users/{user_id}",
    },
    "03": {"GET /status", "POST /tasks/{task_id}/checklist"},
    "04": {"GET /labels", "GET /labels/{label}/tasks"},
    "05": {"GET /stats"},
    "06": {
        "POST /tasks/{task_id}/files",
        "GET /tasks/{task_id}/files",
        "GET /tasks/{task_id}/files/{file_id}",
        "GET /export/tasks",
        "GET /tasks/{task_id}/links",
    },
    "07": {"GET /users", "POST /users/batch", "DELETE /users/{user_id}"},
    "08": {"POST /auth/token", "GET /auth/me"},
    "09": set(),
    # The live board is a WebSocket, which OpenAPI does not describe (the API's description
    # says where it is).
    "10": set(),
    # GraphQL's POST /graphql is described by its own schema, not by OpenAPI.
    "11": set(),
    "12": {"GET /board/stats"},
    "13": set(),
    "14": set(),
    "15": {"GET /ready"},
    "16": set(),
}
# Lesson 03 describes the API as a whole; lesson 04 describes the tag it adds.
DESCRIBED_FROM = "03"
TAGS_DESCRIBED_BY = {
    "03": ["tasks", "users", "health"],
    "04": ["labels"],
    "06": ["export"],
    "08": ["auth"],
}


# Lessons whose exercises build small apps of the learner's own beside Taskboard, because what
# they teach is how an app runs, not what Taskboard serves (lesson 14: trips to the threadpool,
# blocking calls, a pre-built answer). Their checks judge those apps; their solution notebooks
# prove that the checks pass, and Taskboard's checkpoint is not one of those apps.
OWN_APPS = {"14"}
# Lessons that add no feature and whose checks judge the whole Taskboard, which the checkpoint
# before them already is (lesson 16's final check): that checkpoint passes them too.
COMPLETE_BEFORE = {"16"}


def _app_for(checker: Callable[[object], None], lesson: str) -> FastAPI:
    """Lesson `lesson`'s app, with the settings the task of `checker` states, if any."""
    return checkpoint(lesson, CheckpointSettings(**checker.settings))  # type: ignore[attr-defined]


def _earlier(lesson: str) -> list[str]:
    return [nn for nn in LESSONS if nn < lesson]


def _app_checks(lesson: str) -> list[Callable[[object], None]]:
    """Lesson `lesson`'s checks that judge Taskboard. The others judge a learner's tests (lesson
    13, `check_tests`), an answer that is no app (lesson 15, `check_answer`: a manifest, a class,
    a function) or the learner's own small apps (OWN_APPS), whatever the checkpoint: their own
    tests cover them."""
    if lesson in OWN_APPS:
        return []
    return [checker for checker in checks_of(lesson) if checker.judges_app]  # type: ignore[attr-defined]


@pytest.mark.parametrize("lesson", LESSONS)
def test_checkpoint_passes_its_lesson_checks(lesson: str) -> None:
    assert checks_of(lesson), f"lesson {lesson} has no checks"
    for checker in _app_checks(lesson):
        checker(_app_for(checker, lesson))


@pytest.mark.parametrize("lesson", LESSONS[1:])
def test_the_previous_checkpoint_fails_each_check_with_a_hint(lesson: str) -> None:
    # An exercise starts from the previous lesson's app: every task must still be to do.
    previous = _earlier(lesson)[-1]
    for checker in _app_checks(lesson):
        if lesson in COMPLETE_BEFORE:
            checker(_app_for(checker, previous))
            continue
        assert failure(checker, _app_for(checker, previous)).hint, checker.__name__


@pytest.mark.parametrize("lesson", LESSONS[1:])
def test_earlier_lessons_checks_still_pass_on_this_checkpoint(lesson: str) -> None:
    # A later lesson builds on what learners did before; it must not break it.
    for earlier in _earlier(lesson):
        for checker in _app_checks(earlier):
            checker(_app_for(checker, lesson))


@pytest.mark.parametrize("lesson", LESSONS)
def test_openapi_shows_exactly_what_the_lessons_app_has(lesson: str) -> None:
    schema = checkpoint(lesson).openapi()
    served = {
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
    }
    assert served == set().union(*(OPERATIONS_ADDED_BY[nn] for nn in LESSONS if nn <= lesson))
    described = lesson >= DESCRIBED_FROM
    assert ("description" in schema["info"]) == described
    assert ("contact" in schema["info"]) == described
    tags = [
        name for nn, names in sorted(TAGS_DESCRIBED_BY.items()) if nn <= lesson for name in names
    ]
    assert [tag["name"] for tag in schema.get("tags", [])] == tags


def test_the_last_checkpoint_is_taskboard_itself() -> None:
    assert features_after(LESSONS[-1]) == FEATURES


def test_every_lesson_with_checks_has_a_checkpoint() -> None:
    lessons = {
        name.removeprefix("lesson")
        for _, name, _ in pkgutil.iter_modules(course.checks.__path__)
        if name.startswith("lesson") and name != "lesson00"
    }
    assert lessons <= set(FEATURES_ADDED_BY)


def test_unknown_lesson_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known lessons: 01"):
        checkpoint("99")


def test_checkpoints_do_not_share_tasks() -> None:
    assert checkpoint("01").state.store is not checkpoint("01").state.store


def test_checkpoints_ignore_the_environment_and_env_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stray notebooks/.env or a variable in the learner's shell must not change a lesson.
    (tmp_path / ".env").write_text("TASKBOARD_PROJECT_NAME=From .env\nTASKBOARD_DEMO_DATA=false\n")
    monkeypatch.chdir(tmp_path)
    with mock.patch.dict(os.environ, {"TASKBOARD_LABELS_MAX_AGE": "1"}):
        settings = checkpoint("04").state.settings
    assert (settings.project_name, settings.demo_data, settings.labels_max_age) == (
        "Taskboard",
        True,
        30,
    )


def test_settings_given_to_a_checkpoint_are_used() -> None:
    app = checkpoint("04", CheckpointSettings(project_name="Team board", demo_data=False))
    assert app.title == "Team board"
    assert anyio.run(app.state.store.list_tasks) == []
