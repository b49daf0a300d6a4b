"""Lesson 03 checks: correct answers in any style pass; typical mistakes fail with the right hint."""

from typing import Annotated, Any

import pytest
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, create_model

from course import checkpoint
from course.checks import checks_of, lesson03
from taskboard.models import ChecklistItem, TaskPublic
from taskboard.store import TaskNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("03")

GOOD_SECOND = {"text": "Test it", "done": True}


class NoSuchTask(BaseModel):
    """A learner's own error model, with the `detail` Taskboard answers."""

    detail: str


def body_type(examples: str, second: dict[str, Any]) -> Any:
    """The body parameter's type, with two examples, {"text": "Ship"} and `second`, declared in
    one of the documented ways; `second` may be one the endpoint refuses."""
    both = [{"text": "Ship"}, second]
    if examples == "body":
        return Annotated[ChecklistItem, Body(examples=both)]
    if examples == "openapi":
        named = {f"step {i}": {"summary": "A step", "value": value} for i, value in enumerate(both)}
        return Annotated[ChecklistItem, Body(openapi_examples=named)]
    if examples == "model":
        config = ConfigDict(json_schema_extra={"examples": both})
        return type("Step", (ChecklistItem,), {"model_config": config})
    if examples == "fields":
        return create_model(
            "Step",
            __base__=ChecklistItem,
            text=(str, Field(min_length=1, max_length=200, examples=["Ship", second["text"]])),
            done=(bool, Field(default=False, examples=[second.get("done", False)])),
        )
    assert examples == "none"
    return ChecklistItem  # comes with an example for `text` only


def error_docs(errors: str) -> dict[int, Any]:
    """The 404's documentation, in one of the documented ways or a typical wrong one."""
    if errors == "own_model":
        return {404: {"model": NoSuchTask, "description": "No such task"}}
    detail = {"type": "array", "items": {}} if errors == "list_detail" else {"type": "string"}
    shape = {"type": "object", "properties": {"detail": detail}, "required": ["detail"]}
    content = {"application/json": {"schema": shape}}
    return {
        "schema": {404: {"description": "No such task", "content": content}},
        "list_detail": {404: {"description": "No such task", "content": content}},
        "description_only": {404: {"description": "No such task"}},
        "none": {},
    }[errors]


def learner_app(examples: str = "body", errors: str = "own_model", **mistakes: bool) -> FastAPI:
    """A correct lesson-03 answer unlike taskboard/'s: attributes set on the catch-up app after
    it cached its schema, a short description and an email contact, tags in another order,
    /status described with `description=` and deprecated through `openapi_extra`, a sync
    /status, the store from the request, HTTPException for an unknown task. `examples` and `errors` pick how the body's
    examples and the 404 are documented; each other keyword turns on one typical mistake."""
    app = checkpoint("02")
    TestClient(app).get("/openapi.json")  # the learner looked at the schema first
    if mistakes.get("summary_not_description"):
        app.summary = "Tasks for small teams."
    else:
        app.description = "Tasks for teams."
    app.contact = {"name": "Ada", "email": "ada@example.com"}
    if mistakes.get("contact_name_only"):
        app.contact = {"name": "Ada"}
    if mistakes.get("contact_url_not_a_url"):
        app.contact = {"name": "Ada", "url": "taskboard.example.com"}
    tags = ["health", "legacy", "Users" if mistakes.get("tag_case") else "users"]
    if not mistakes.get("tag_missing"):
        tags.append("tasks")
    key = "summary" if mistakes.get("tag_wrong_key") else "description"
    if not mistakes.get("no_tags"):
        app.openapi_tags = [{"name": name, key: f"All about {name}."} for name in tags]
    app.openapi_schema = None  # the schema was cached above; adding routes also rebuilds it

    if mistakes.get("health_deprecated"):  # the wrong path marked, in the schema at least

        @app.get("/health", tags=["health"], deprecated=True)
        def health_check() -> dict[str, str]:
            return {"status": "ok"}

    @app.get(
        "/status",
        tags=["Health" if mistakes.get("status_tag_case") else "health", "legacy"],
        summary="Old path, use /health",
        description="Deprecated." if mistakes.get("summary_names_health") else "Use /health.",
        openapi_extra=None if mistakes.get("not_deprecated") else {"deprecated": True},
        include_in_schema=not mistakes.get("hidden"),
    )
    def status(request: Request) -> Any:
        if mistakes.get("redirect"):
            return RedirectResponse("/health")
        return {"status": "OK" if mistakes.get("status_differs") else "ok"}

    second = {"step": "Test it"} if mistakes.get("bad_second_example") else GOOD_SECOND
    if mistakes.get("bad_second_example") and examples == "fields":
        second = {"text": ""}  # examples on fields can only be wrong values, not wrong fields
    step_type = body_type(examples, second)
    if mistakes.get("unchecked_text"):
        step_type = create_model("Step", text=(str, ...))

    @app.post(
        "/tasks/{task_id}/checklist",
        status_code=200 if mistakes.get("status_200") else 201,
        responses=error_docs(errors),
        description=None if mistakes.get("no_description") else "Append a step.",
    )
    async def add_step(request: Request, task_id: int, step: step_type) -> TaskPublic:  # type: ignore[valid-type]
        store = request.app.state.store
        try:
            task = await store.get(task_id)
        except TaskNotFound:
            if mistakes.get("bare_404"):
                raise HTTPException(404) from None
            raise HTTPException(404, f"No task has the id {task_id}") from None
        item = ChecklistItem(text=step.text, done=getattr(step, "done", False))
        if mistakes.get("replaces_checklist"):
            return await store.update(task_id, {"checklist": [item]})
        if mistakes.get("not_awaited"):
            return store.update(task_id, {"checklist": [*task.checklist, item]})  # no `await`
        return await store.update(task_id, {"checklist": [*task.checklist, item]})

    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_alternative_correct_answer_passes(checker) -> None:
    app = learner_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("examples", ["body", "openapi", "model", "fields"])
@pytest.mark.parametrize("errors", ["own_model", "schema"])
def test_every_documented_way_to_give_examples_and_the_404_passes(examples, errors) -> None:
    lesson03.add_checklist_item(learner_app(examples, errors))


def test_metadata_given_to_fastapi_passes() -> None:
    app = FastAPI(description="Tasks for teams.", contact={"name": "Ada", "url": "https://a.b"})
    lesson03.describe_api(app)


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


@pytest.mark.parametrize(
    ("mistake", "problem", "hint"),
    [
        ("summary_not_description", "the schema's `info` has no description.", "summary"),
        ("contact_name_only", "no contact with a name and a URL", "name, url, email"),
        ("contact_url_not_a_url", "could not build /openapi.json", "info.contact is"),
    ],
)
def test_task1_mistakes(mistake, problem, hint) -> None:
    exc = failure(lesson03.describe_api, learner_app(**{mistake: True}))
    assert problem in exc.problem
    assert hint in exc.hint


@pytest.mark.parametrize(
    ("mistake", "problem", "hint"),
    [
        ("no_tags", "the schema has no top-level `tags` list.", "openapi_tags"),
        ("tag_case", "these tags have no description: users.", "case counts"),
        ("tag_missing", "these tags have no description: tasks.", "exact name"),
        (
            "tag_wrong_key",
            "these tags have no description: health, legacy, tasks, users.",
            "non-empty",
        ),
    ],
)
def test_task2_mistakes(mistake, problem, hint) -> None:
    exc = failure(lesson03.describe_tags, learner_app(**{mistake: True}))
    assert exc.problem == problem
    assert hint in exc.hint


def test_a_tag_without_a_name_is_named_not_a_traceback() -> None:
    app = checkpoint("02")
    app.openapi_tags = [{"description": "Tasks."}]
    exc = failure(lesson03.describe_tags, app)
    assert exc.problem == "FastAPI could not build /openapi.json from your app's metadata."
    assert "openapi_tags" in exc.hint


@pytest.mark.parametrize(
    ("mistake", "problem", "hint"),
    [
        ("status_differs", "should answer exactly what GET /health answers", "Return what"),
        ("redirect", "should answer exactly what GET /health answers", "rather than send"),
        ("hidden", "GET /status works but is not in the schema.", "struck through"),
        ("not_deprecated", "GET /status is not marked deprecated.", "decorator"),
        ("summary_names_health", "does not say what to use instead", "summary is another"),
        ("health_deprecated", "GET /health is marked deprecated", "only the old path"),
        ("status_tag_case", "not grouped with GET /health", "spelled the same"),
    ],
)
def test_task3_mistakes(mistake, problem, hint) -> None:
    exc = failure(lesson03.deprecated_status, learner_app(**{mistake: True}))
    assert problem in exc.problem
    assert hint in exc.hint


@pytest.mark.parametrize(
    ("mistake", "problem", "hint"),
    [
        ("status_200", "should answer 201", "answer 201"),
        ("replaces_checklist", "the new item after the ones it had", "store.add_checklist_item"),
        ("bare_404", "says which task was not found", "TaskNotFound"),
        ("unchecked_text", "your code failed on it instead", "Declare the body"),
        ("no_description", "the operation has no description.", "docstring"),
    ],
)
def test_task4_mistakes(mistake, problem, hint) -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(**{mistake: True}))
    assert problem in exc.problem
    assert hint in exc.hint


def test_a_forgotten_await_is_named() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(not_awaited=True))
    assert exc.problem == "your function returned a coroutine instead of its result."
    assert exc.got == "a coroutine of Store.update(), not its result"
    assert exc.hint == "Calling an `async def` function gives a coroutine: `await` it."


def test_a_bare_404_is_not_mistaken_for_a_missing_route() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(bare_404=True))
    assert exc.got == '404 {"detail":"Not Found"}'
    assert "No route" not in exc.hint


def test_checklist_items_own_field_example_does_not_count() -> None:
    exc = failure(lesson03.add_checklist_item, learner_app("none"))
    assert exc.problem == "the request body has no example of your own."
    assert "openapi_examples" in exc.hint


@pytest.mark.parametrize("examples", ["body", "openapi", "model", "fields"])
def test_a_second_example_the_api_refuses_is_caught(examples) -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(examples, bad_second_example=True))
    assert exc.problem == "a documented example is refused."
    assert exc.got.startswith("422")


@pytest.mark.parametrize("errors", ["none", "description_only", "list_detail"])
def test_a_404_without_its_json_shape_is_caught(errors) -> None:
    exc = failure(lesson03.add_checklist_item, learner_app(errors=errors))
    assert exc.problem == "the 404 answer is not documented with its JSON shape."
    assert "`model` key" in exc.hint


def test_reports_show_the_part_of_the_schema_that_matters() -> None:
    exc = failure(lesson03.describe_api, checkpoint("02"))
    assert exc.got == '{"info": {"title": "Taskboard", "version": "0.1.0"}}'
    assert len(exc._render_traceback_()) <= 8


def test_a_route_added_after_the_schema_was_cached_is_seen_every_time() -> None:
    # FastAPI rebuilds a cached schema when routes change; a check must never undo that.
    app = checkpoint("02")
    app.openapi()

    @app.get("/status", tags=["health"], deprecated=True)
    async def legacy_status() -> dict[str, str]:
        """Use `GET /health` instead."""
        return {"status": "ok"}

    lesson03.deprecated_status(app)
    lesson03.deprecated_status(app)
