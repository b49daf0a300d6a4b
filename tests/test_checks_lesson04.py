"""Lesson 04 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

from collections import Counter
from pathlib import Path as FilePath

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from course import checkpoint
from course.checkpoints import CheckpointSettings
from course.checks import checks_of, lesson04
from taskboard.core.config import Settings
from taskboard.models import TaskPublic
from tests.checking import failure

ALL_CHECKS = checks_of("04")

TEAM_ENV = (
    "TASKBOARD_PROJECT_NAME=Team board\nTASKBOARD_DEMO_DATA=false\nTASKBOARD_LABELS_MAX_AGE=5\n"
)


def learner_app(
    settings: Settings | None = None, *, returns_responses: bool = False, **mistakes: bool
) -> FastAPI:
    """A correct lesson-04 answer on the exercise's starting app, unlike taskboard/'s in style:
    the store from the request, counting in the route, HTTPException, a differently named path parameter,
    tags and the dependency given at include time, "public, max-age=N". With
    `returns_responses`, the routes return a JSONResponse with the header, and no dependency.
    Each other keyword turns on one typical mistake."""
    app = checkpoint("03", settings)
    router = APIRouter(prefix="/labels")

    async def all_tasks(request: Request) -> list[TaskPublic]:
        store = request.app.state.store
        if mistakes.get("first_page_only"):
            return await store.list_tasks()
        return await store.search("")

    def cache(request: Request, response: Response) -> None:
        age = 30 if mistakes.get("hardcoded") else request.app.state.settings.labels_max_age
        response.headers["cache-control"] = f"public, max-age={age}"

    def answer(request: Request, content: object) -> object:
        if not returns_responses:
            return content
        headers = {"Cache-Control": f"max-age={request.app.state.settings.labels_max_age}"}
        return JSONResponse(jsonable_encoder(content), headers=headers)

    on_one_route = [Depends(cache)] if mistakes.get("header_on_one_route") else []

    @router.get("/" if mistakes.get("slash_route") else "", dependencies=on_one_route)
    async def counts(request: Request) -> dict[str, int]:
        if mistakes.get("not_awaited"):
            return request.app.state.store.label_counts()  # the learner forgot `await`
        counter = Counter(label for task in await all_tasks(request) for label in task.labels)
        if mistakes.get("unsorted"):
            return answer(request, dict(counter))
        return answer(request, {label: counter[label] for label in sorted(counter)})

    rules = {} if mistakes.get("any_string") else {"pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}
    if not mistakes.get("any_string") and not mistakes.get("no_max_length"):
        rules["max_length"] = 30

    titles_only = {"response_model": list[dict[str, object]]} if mistakes.get("titles_only") else {}

    @router.get("/{name}/tasks", **titles_only)
    async def tasks_for(request: Request, name: str = Path(**rules)) -> list[TaskPublic]:
        if mistakes.get("not_awaited"):
            return request.app.state.store.tasks_with_label(name)  # the learner forgot `await`
        found = [task for task in await all_tasks(request) if name in task.labels]
        if not found and not mistakes.get("empty_for_unknown"):
            raise HTTPException(404, f"Nobody uses {name}")
        if titles_only:
            return [{"id": task.id, "title": task.title} for task in found]
        return answer(request, found)

    if mistakes.get("not_included"):
        return app
    if mistakes.get("header_on_app"):

        @app.middleware("http")
        async def cache_everything(request: Request, call_next):
            response = await call_next(request)
            response.headers["cache-control"] = f"max-age={app.state.settings.labels_max_age}"
            return response

    whole_router = returns_responses or mistakes.get("header_on_one_route")
    dependencies = [] if whole_router or mistakes.get("no_header") else [Depends(cache)]
    tags = [] if mistakes.get("no_tags") else ["labels"]
    app.include_router(router, tags=tags, dependencies=dependencies)
    return app


def team_app(tmp_path: FilePath, env: str = TEAM_ENV, **mistakes: bool) -> FastAPI:
    """Task 4 as the exercise asks: settings read from a .env file, the app built from them."""
    env_file = tmp_path / ".env"
    env_file.write_text(env)
    return learner_app(Settings(_env_file=env_file), **mistakes)


def app_for(checker, **options: bool) -> FastAPI:
    """The learner's app for `checker`'s task, built with the settings the task states."""
    return learner_app(CheckpointSettings(**checker.settings), **options)


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("returns_responses", [False, True])
def test_an_alternative_correct_answer_passes(checker, returns_responses: bool) -> None:
    app = app_for(checker, returns_responses=returns_responses)
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_check_leaves_no_data_behind(checker) -> None:
    app = app_for(checker)
    client = TestClient(app)
    before = client.get("/labels").json(), client.get("/tasks", params={"limit": 100}).json()
    checker(app)
    after = client.get("/labels").json(), client.get("/tasks", params={"limit": 100}).json()
    assert after == before


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    exc = failure(checker, checkpoint("03", CheckpointSettings(**checker.settings)))
    assert "includes the router" in exc.hint


@pytest.mark.parametrize(
    ("checker", "called"),
    [
        (lesson04.list_labels, "Store.label_counts"),
        (lesson04.label_tasks, "Store.tasks_with_label"),
    ],
)
def test_a_forgotten_await_is_named(checker, called: str) -> None:
    exc = failure(checker, learner_app(not_awaited=True))
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert exc.got == f"a coroutine of {called}(), not its result"
    assert exc.hint == "Calling an `async def` function gives a coroutine: `await` it."


# Task 1


def test_a_router_never_included_is_missing_and_the_hint_says_why() -> None:
    exc = failure(lesson04.list_labels, learner_app(not_included=True))
    assert exc.got == '404 {"detail":"Not Found"}'
    assert "includes the router" in exc.hint


def test_a_slash_route_redirects_and_the_hint_says_so() -> None:
    exc = failure(lesson04.list_labels, learner_app(slash_route=True))
    assert exc.got.startswith("307 redirect to http://testserver/labels/")
    assert 'write the collection\'s route as "" rather than "/"' in exc.hint


def test_counting_only_the_first_page_is_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(first_page_only=True))
    assert "counts are off" in exc.problem
    assert "not only the first page" in exc.hint


def test_unsorted_labels_are_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(unsorted=True))
    assert exc.problem == "the labels should come in alphabetical order."
    assert "add them sorted" in exc.hint


def test_a_missing_tag_is_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(no_tags=True))
    assert exc.problem == "/labels should be filed under the 'labels' tag in the docs."
    assert "tags" in exc.hint


# Task 2


def test_a_label_past_the_first_page_is_caught() -> None:
    exc = failure(lesson04.label_tasks, learner_app(first_page_only=True))
    assert "the 11 tasks labelled" in exc.problem
    assert "not only the first page" in exc.hint


def test_tasks_without_all_their_fields_are_caught() -> None:
    exc = failure(lesson04.label_tasks, learner_app(titles_only=True))
    assert "with all its fields" in exc.problem
    assert "list[TaskPublic]" in exc.hint


def test_an_empty_list_for_an_unknown_label_gets_the_404_hint() -> None:
    exc = failure(lesson04.label_tasks, learner_app(empty_for_unknown=True))
    assert exc.problem == "A label that no task carries should answer 404."
    assert "LabelNotFound" in exc.hint


@pytest.mark.parametrize("mistake", ["any_string", "no_max_length"])
def test_a_label_without_the_rules_gets_the_422_hint(mistake: str) -> None:
    exc = failure(lesson04.label_tasks, learner_app(**{mistake: True}))
    assert exc.problem == "A malformed label should answer 422."
    assert "Label type" in exc.hint


# Task 3


def test_no_header_gets_the_dependency_hint() -> None:
    exc = failure(lesson04.cache_header, learner_app(no_header=True))
    assert exc.problem == "GET /labels has no Cache-Control max-age."
    assert "response: Response" in exc.hint


def test_a_header_on_one_route_only_is_caught() -> None:
    exc = failure(lesson04.cache_header, learner_app(header_on_one_route=True))
    assert exc.problem.startswith("GET /labels/check3-")
    assert exc.problem.endswith("has no Cache-Control max-age.")
    assert "whole router" in exc.hint


def test_a_header_on_every_route_is_caught() -> None:
    exc = failure(lesson04.cache_header, learner_app(header_on_app=True))
    assert exc.problem == "GET /tasks carries a Cache-Control max-age too."
    assert "labels router only" in exc.hint


def test_the_default_app_must_say_30() -> None:
    exc = failure(lesson04.cache_header, learner_app(Settings(labels_max_age=60)))
    assert exc.problem == "GET /labels should allow caching for 30 seconds."
    assert "Cache-Control: public, max-age=60" in exc.expected
    assert "request.app.state.settings" in exc.hint


# Task 4


def test_a_team_app_from_a_dotenv_file_passes(tmp_path: FilePath) -> None:
    env = 'taskboard_project_name="Team board"\ntaskboard_demo_data=0\nTASKBOARD_LABELS_MAX_AGE=5\n'
    lesson04.team_settings(team_app(tmp_path, env))


def test_a_hardcoded_max_age_passes_task_3_but_not_the_team_app(tmp_path: FilePath) -> None:
    lesson04.cache_header(learner_app(hardcoded=True))
    exc = failure(lesson04.team_settings, team_app(tmp_path, hardcoded=True))
    assert exc.problem == "GET /labels should allow caching for 5 seconds."
    assert "request.app.state.settings" in exc.hint


def test_a_team_app_with_the_default_settings_is_caught() -> None:
    exc = failure(lesson04.team_settings, learner_app())
    assert exc.problem == "the docs should carry the team's project name, 'Team board'."
    assert 'checkpoint("03", settings)' in exc.hint


@pytest.mark.parametrize(
    ("name", "misspelled", "problem"),
    [
        (
            "PROJECT_NAME",
            "PROJECTNAME",
            "the docs should carry the team's project name, 'Team board'.",
        ),
        ("DEMO_DATA", "DEMO", "the team's app should start with no demo tasks."),
        ("LABELS_MAX_AGE", "LABEL_MAX_AGE", "GET /labels should allow caching for 5 seconds."),
    ],
)
def test_a_misspelled_dotenv_line_leaves_the_default(
    tmp_path: FilePath, name: str, misspelled: str, problem: str
) -> None:
    env = TEAM_ENV.replace(f"TASKBOARD_{name}=", f"TASKBOARD_{misspelled}=")
    exc = failure(lesson04.team_settings, team_app(tmp_path, env))
    assert exc.problem == problem
    assert "misspelled line is ignored" in exc.hint


def test_an_app_not_built_by_the_factory_is_judged_by_its_answers() -> None:
    exc = failure(lesson04.team_settings, FastAPI())
    assert "'Team board'" in exc.problem
    assert "project_name" in exc.hint


def test_no_team_app_yet_is_reported() -> None:
    exc = failure(lesson04.team_settings, None)
    assert "expected your FastAPI app" in exc.problem


def test_report_is_short_and_has_no_traceback() -> None:
    lines = failure(lesson04.label_tasks, learner_app(any_string=True))._render_traceback_()
    assert lines[0].startswith("✘ Task 2 is not done yet")
    assert len(lines) <= 8
