"""Lesson 03 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ConfigDict

from course import checkpoint
from course.checks import checks_of, lesson03
from taskboard.models import ChecklistItem, TaskPublic
from tests.checking import failure

ALL_CHECKS = checks_of("03")


class StepWithExample(ChecklistItem):
    # The example in the model's schema rather than in the operation.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "Ship"}]})


def learner_app(**mistakes: bool) -> FastAPI:
    """A correct lesson-03 answer unlike taskboard/'s: attributes set on the catch-up app, sync
    endpoints, an email contact, the example in the model, the 404 schema written by hand.
    Each keyword turns on one typical mistake."""
    app = checkpoint("02")
    TestClient(app).get("/openapi.json")  # the learner looked at the schema first
    app.description = "Taskboard: tasks, users and a health check, for small teams."
    app.contact = {"name": "Ada", "email": "ada@example.com"}
    tags = ["tasks", "Users" if mistakes.get("tag_case") else "users", "health"]
    app.openapi_tags = [{"name": name, "description": f"All about {name}."} for name in tags]
    app.openapi_schema = None  # the schema was cached above; adding routes also rebuilds it

    @app.get(
        "/status",
        tags=["health"],
        deprecated=not mistakes.get("not_deprecated"),
        include_in_schema=not mistakes.get("hidden"),
    )
    def status() -> dict[str, str]:
        """Old path: use /health."""
        return {"status": "ok"}

    body = ChecklistItem if mistakes.get("no_example") else StepWithExample
    if mistakes.get("bad_example"):
        body = type(
            "BadStep",
            (ChecklistItem,),
            {"model_config": ConfigDict(json_schema_extra={"examples": [{"step": "x"}]})},
        )
    error = {"type": "object", "properties": {"detail": {"type": "string"}}}
    responses = {} if mistakes.get("undocumented_404") else {404: {"description": "No such task"}}
    if responses:
        responses[404]["content"] = {"application/json": {"schema": error}}

    @app.post("/tasks/{task_id}/checklist", status_code=201, responses=responses)
    def add_step(request: Request, task_id: int, step: body) -> TaskPublic:  # type: ignore[valid-type]
        """Append a step."""
        item = ChecklistItem.model_validate(step.model_dump())
        return request.app.state.store.add_checklist_item(task_id, item)

    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker) -> None:
    app = learner_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


def test_a_stale_cached_schema_is_named_not_misjudged() -> None:
    app = checkpoint("02")
    TestClient(app).get("/openapi.json")
    app.description = "A description set after FastAPI built and cached the schema."
    app.contact = {"name": "Ada", "url": "https://example.com"}
    exc = failure(lesson03.describe_api, app)
    assert exc.problem == "/openapi.json still shows the schema from before your last change."
    assert "app.openapi_schema = None" in exc.hint


def test_a_stale_cache_cannot_make_a_check_pass() -> None:
    app = checkpoint("03")
    TestClient(app).get("/openapi.json")
    app.openapi_tags = None  # undone after the schema was cached: the served copy still has tags
    assert "before your last change" in failure(lesson03.describe_tags, app).problem


def test_checks_leave_no_cached_schema_behind() -> None:
    app = checkpoint("03")
    lesson03.describe_api(app)
    assert app.openapi_schema is None


def test_a_tag_spelled_differently_is_named() -> None:
    exc = failure(lesson03.describe_tags, learner_app(tag_case=True))
    assert exc.problem == "these tags have no description: users."
    assert "case counts" in exc.hint


def test_a_hidden_route_is_not_a_deprecated_one() -> None:
    exc = failure(lesson03.deprecated_status, learner_app(hidden=True))
    assert exc.problem == "GET /status works but is not in the schema."


def test_a_route_not_marked_deprecated_is_caught() -> None:
    exc = failure(lesson03.deprecated_status, learner_app(not_deprecated=True))
    assert exc.problem == "GET /status is not marked deprecated."


def test_a_missing_example_is_caught() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(no_example=True))
    assert exc.problem == "the request body has no example."
    assert "openapi_examples" in exc.hint


def test_an_example_the_api_refuses_is_caught() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(bad_example=True))
    assert exc.problem == "a documented example is refused."
    assert exc.got.startswith("422")


def test_an_undocumented_404_is_caught() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(undocumented_404=True))
    assert exc.problem == "the 404 answer is not documented with its JSON shape."
    assert "`model` key" in exc.hint


def test_reports_show_the_part_of_the_schema_that_matters() -> None:
    exc = failure(lesson03.describe_api, checkpoint("02"))
    assert exc.got == '{"info": {"title": "Taskboard", "version": "0.1.0"}}'
    assert len(exc._render_traceback_()) <= 8
