"""Lesson 04 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

from collections import Counter

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, Response

from course import checkpoint
from course.checks import checks_of, lesson04
from taskboard.core.config import Settings
from taskboard.models import TaskPublic
from tests.checking import failure

ALL_CHECKS = checks_of("04")


def learner_app(settings: Settings | None = None, **mistakes: bool) -> FastAPI:
    """A correct lesson-04 answer on the exercise's starting app, unlike taskboard/'s in style:
    sync endpoints, counting in the route, HTTPException, a differently named path parameter,
    tags and the dependency given at include time. Each keyword turns on one typical mistake."""
    app = checkpoint("03", settings)
    router = APIRouter(prefix="/labels")

    def all_tasks(request: Request) -> list[TaskPublic]:
        store = request.app.state.store
        if mistakes.get("first_page_only"):
            return store.list_tasks()
        return store.search("")

    @router.get("/")
    def counts(request: Request) -> dict[str, int]:
        counter = Counter(label for task in all_tasks(request) for label in task.labels)
        if mistakes.get("unsorted"):
            return dict(counter)
        return {label: counter[label] for label in sorted(counter)}

    name_type = str if mistakes.get("any_string") else None

    @router.get("/{name}/tasks")
    def tasks_for(
        request: Request,
        name: str = Path(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=30)
        if name_type is None
        else Path(),
    ) -> list[TaskPublic]:
        found = [task for task in all_tasks(request) if name in task.labels]
        if not found and not mistakes.get("empty_for_unknown"):
            raise HTTPException(404, f"Nobody uses {name}")
        return found

    def cache(request: Request, response: Response) -> None:
        age = 30 if mistakes.get("hardcoded") else request.app.state.settings.labels_max_age
        response.headers["cache-control"] = f"public, max-age={age}"

    if mistakes.get("not_included"):
        return app

    dependencies = [Depends(cache)] if not mistakes.get("no_header") else []
    if mistakes.get("header_on_app"):

        @app.middleware("http")
        async def cache_everything(request: Request, call_next):
            response = await call_next(request)
            response.headers["cache-control"] = f"max-age={app.state.settings.labels_max_age}"
            return response

    tags = [] if mistakes.get("no_tags") else ["labels"]
    app.include_router(router, tags=tags, dependencies=dependencies)
    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker) -> None:
    app = learner_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_alternative_passes_with_other_settings(checker) -> None:
    checker(learner_app(Settings(project_name="Team board", demo_data=False, labels_max_age=5)))


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    exc = failure(checker, checkpoint("03"))
    assert exc.hint
    assert "includes the router" in exc.hint


def test_a_router_never_included_is_missing_and_the_hint_says_why() -> None:
    exc = failure(lesson04.list_labels, learner_app(not_included=True))
    assert exc.got == '404 {"detail":"Not Found"}'
    assert "includes the router" in exc.hint


def test_counting_only_the_first_page_is_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(first_page_only=True))
    assert "counts are off" in exc.problem
    assert "every task" in exc.hint


def test_unsorted_labels_are_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(unsorted=True))
    assert exc.problem == "the labels should come in alphabetical order."


def test_a_missing_tag_is_caught() -> None:
    exc = failure(lesson04.list_labels, learner_app(no_tags=True))
    assert "'labels' tag" in exc.problem
    assert "tags" in exc.hint


def test_an_empty_list_for_an_unknown_label_gets_the_404_hint() -> None:
    exc = failure(lesson04.label_tasks, learner_app(empty_for_unknown=True))
    assert exc.problem == "A label that no task carries should answer 404."
    assert "LabelNotFound" in exc.hint


def test_a_label_without_rules_gets_the_422_hint() -> None:
    exc = failure(lesson04.label_tasks, learner_app(any_string=True))
    assert exc.problem == "A malformed label should answer 422."
    assert "Label type" in exc.hint


def test_no_header_gets_the_dependency_hint() -> None:
    exc = failure(lesson04.cache_header, learner_app(no_header=True))
    assert "has no Cache-Control max-age" in exc.problem
    assert "response: Response" in exc.hint


def test_a_header_on_every_route_is_caught() -> None:
    exc = failure(lesson04.cache_header, learner_app(header_on_app=True))
    assert exc.problem == "GET /tasks carries the labels' Cache-Control too."


def test_a_hardcoded_max_age_passes_task_3_but_not_the_team_app() -> None:
    lesson04.cache_header(learner_app(hardcoded=True))
    exc = failure(lesson04.team_settings, learner_app(Settings(labels_max_age=5), hardcoded=True))
    assert "labels_max_age is 5" in exc.problem
    assert "request.app.state.settings" in exc.hint


def test_an_app_without_settings_is_named() -> None:
    exc = failure(lesson04.team_settings, FastAPI())
    assert "no Taskboard settings" in exc.problem


def test_no_team_app_yet_is_reported() -> None:
    exc = failure(lesson04.team_settings, None)
    assert "expected your FastAPI app" in exc.problem


def test_report_is_short_and_has_no_traceback() -> None:
    lines = failure(lesson04.label_tasks, learner_app(any_string=True))._render_traceback_()
    assert lines[0].startswith("✘ Task 2 is not done yet")
    assert len(lines) <= 8
