"""Lesson 05 checks: correct answers in any style pass; typical mistakes fail with the right hint.

The apps are built as the exercise builds them: Taskboard after lesson 04 with the learner's
global dependencies (`board`, as in the exercise's setup cell), the stats route included, and
the settings each task states.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Security
from fastapi.params import Depends as DependsParam
from fastapi.security import APIKeyHeader
from fastapi.testclient import TestClient

from course import checkpoint
from course.checkpoints import CheckpointSettings, features_after
from course.checks import checks_of, lesson05
from taskboard.api.deps import SettingsDep, get_settings
from taskboard.api.routes.stats import RequestStats
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.main import create_app
from tests.checking import failure

ALL_CHECKS = checks_of("05")
OPEN = {"/health", "/status", "/docs", "/redoc"}
TASK1 = CheckpointSettings(api_key=lesson05.TASK1_KEY)
TASK3 = CheckpointSettings(api_key=lesson05.TASK3_KEY)


def board(*dependencies: DependsParam, settings: Settings | None = None) -> FastAPI:
    """The exercise's helper: Taskboard after lesson 04, `dependencies` on every route."""
    everywhere = Feature(name="exercise", dependencies=dependencies)
    return create_app(settings or CheckpointSettings(), [*features_after("04"), everywhere])


# Task 1 ------------------------------------------------------------------------------------


def key_check(**mistakes: bool):
    """A correct require_api_key unlike the solution's: a class whose instances are called,
    sync, reading the header and the settings from the request, answering 401 in one branch.
    Each keyword turns on one typical mistake."""

    class RequireKey:
        def __init__(self, open_paths: set[str]) -> None:
            self.open_paths = open_paths

        def __call__(self, request: Request) -> None:
            key = request.app.state.settings.api_key
            if key is None or request.url.path in self.open_paths:
                return
            name = "x_api_key" if mistakes.get("underscore_header") else "X-API-Key"
            if mistakes.get("named_api_key"):
                name = "api-key"
            sent = request.headers.get(name)
            wanted = key if mistakes.get("secret_compared") else key.get_secret_value()
            if mistakes.get("hardcoded"):
                wanted = lesson05.TASK1_KEY
            # any_key: only that a key was sent
            if (sent is not None) if mistakes.get("any_key") else sent == wanted:
                return
            detail = "Access denied" if mistakes.get("vague_detail") else "Bad X-API-Key"
            if mistakes.get("returns_instead"):
                return
            raise HTTPException(403 if mistakes.get("forbidden") else 401, detail)

    open_paths = set(OPEN)
    if mistakes.get("docs_guarded"):
        open_paths -= {"/docs", "/redoc"}
    if mistakes.get("health_guarded"):
        open_paths -= {"/health", "/status"}
    return RequireKey(open_paths)


async def require_api_key_by_scheme(
    request: Request,
    settings: SettingsDep,
    # FastAPI's own security class, the documented way to read an API key from a header.
    api_key: Annotated[str | None, Security(APIKeyHeader(name="X-API-Key", auto_error=False))],
) -> None:
    if settings.api_key is None or request.scope["route"].path in OPEN:
        return
    if api_key != settings.api_key.get_secret_value():
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


async def require_api_key_aliased(
    request: Request,
    settings: SettingsDep,
    key: Annotated[str | None, Header(alias="X-API-Key")] = None,
) -> None:
    if settings.api_key is None or request.url.path in OPEN:
        return
    if key != settings.api_key.get_secret_value():
        raise HTTPException(status_code=401, detail="X-API-Key missing or wrong")


def require_api_key_underscored(
    request: Request,
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header(convert_underscores=False)] = None,
) -> None:
    if settings.api_key is None or request.url.path in OPEN:
        return
    if x_api_key != settings.api_key.get_secret_value():
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


@pytest.mark.parametrize(
    "dependency",
    [key_check(), require_api_key_by_scheme, require_api_key_aliased],
    ids=["callable instance", "APIKeyHeader", "Header alias"],
)
def test_task1_correct_answers_in_any_style_pass(dependency) -> None:
    app = board(Depends(dependency), settings=TASK1)
    lesson05.api_key(app)
    lesson05.api_key(app)  # and again, as a learner re-running the cell


def test_task1_unsolved_says_to_pass_the_dependency_to_board() -> None:
    exc = failure(lesson05.api_key, board(settings=TASK1))
    assert exc.problem == "GET /tasks without X-API-Key should answer 401."
    assert "board(Depends(require_api_key)" in exc.hint


def test_task1_a_guarded_health_check_is_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(health_guarded=True)), settings=TASK1))
    assert exc.problem == "GET /health without X-API-Key should answer 200."
    assert "stay open to anyone" in exc.hint


def test_task1_guarded_docs_are_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(docs_guarded=True)), settings=TASK1))
    assert exc.problem == "GET /docs without X-API-Key should answer 200."
    assert "/docs and /redoc" in exc.hint


def test_task1_returning_instead_of_raising_is_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(returns_instead=True)), settings=TASK1))
    assert exc.problem == "GET /tasks without X-API-Key should answer 401."
    assert "return value is ignored" in exc.hint


def test_task1_a_403_is_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(forbidden=True)), settings=TASK1))
    assert exc.got.startswith("403 ")
    assert exc.hint.startswith("A request without the right key answers 401")


def test_task1_a_detail_that_names_no_header_is_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(vague_detail=True)), settings=TASK1))
    assert (
        exc.problem
        == "GET /tasks without X-API-Key should say why in `detail`, mentioning 'X-API-Key'."
    )
    assert "naming the header" in exc.hint


def test_task1_any_key_accepted_is_caught() -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(any_key=True)), settings=TASK1))
    assert exc.problem == "GET /tasks with the header X-API-Key: not-the-key should answer 401."
    assert "A wrong key must be refused" in exc.hint


@pytest.mark.parametrize("mistake", ["named_api_key", "secret_compared"])
def test_task1_the_right_key_refused_gets_the_name_and_secret_hint(mistake: str) -> None:
    exc = failure(lesson05.api_key, board(Depends(key_check(**{mistake: True})), settings=TASK1))
    assert (
        exc.problem
        == f"GET /tasks with the header X-API-Key: {lesson05.TASK1_KEY} should answer 200."
    )
    assert "underscores into hyphens" in exc.hint
    assert "get_secret_value()" in exc.hint


@pytest.mark.parametrize(
    "dependency",
    [key_check(underscore_header=True), require_api_key_underscored],
    ids=["request.headers", "convert_underscores=False"],
)
def test_task1_a_header_read_with_its_underscore_is_named(dependency) -> None:
    exc = failure(lesson05.api_key, board(Depends(dependency), settings=TASK1))
    assert exc.problem.endswith("should answer 200.")
    assert "reads a header named x_api_key" in exc.hint


def test_task1_a_key_written_into_the_dependency_fails_task_3() -> None:
    hardcoded = key_check(hardcoded=True)
    lesson05.api_key(board(Depends(hardcoded), settings=TASK1))
    exc = failure(lesson05.stats_and_key, stats_app(TASK3, key=hardcoded))
    assert (
        exc.problem
        == f"GET /stats with the header X-API-Key: {lesson05.TASK3_KEY} should answer 200."
    )
    assert "read it from the app's settings" in exc.hint


# Tasks 2 and 3 -----------------------------------------------------------------------------


def count_sync(request: Request) -> Iterator[None]:
    """A correct count_request unlike the solution's: a sync generator (run in the threadpool),
    the stats read from the request rather than through a StatsDep, `else` for success."""
    stats: RequestStats = request.app.state.stats
    stats.in_progress += 1
    try:
        yield
    except Exception:
        stats.failed += 1
        stats.served += 1
        raise
    else:
        stats.served += 1
    finally:
        stats.in_progress -= 1


async def get_stats(request: Request) -> RequestStats:
    return request.app.state.stats


StatsDep = Annotated[RequestStats, Depends(get_stats)]


async def count_returns(stats: StatsDep) -> None:
    stats.in_progress += 1  # `return`: nothing runs once the request is over


async def count_without_finally(stats: StatsDep) -> AsyncIterator[None]:
    stats.in_progress += 1
    yield  # an error raised by the route comes out here, and skips the rest
    stats.in_progress -= 1
    stats.served += 1


async def count_swallowing(stats: StatsDep) -> AsyncIterator[None]:
    stats.in_progress += 1
    try:
        yield
    except Exception:
        stats.failed += 1  # and no `raise`
    finally:
        stats.in_progress -= 1
        stats.served += 1


async def count_no_failures(stats: StatsDep) -> AsyncIterator[None]:
    stats.in_progress += 1
    try:
        yield
    finally:
        stats.in_progress -= 1
        stats.served += 1


async def count_successes_only(stats: StatsDep) -> AsyncIterator[None]:
    stats.in_progress += 1
    try:
        yield
    except Exception:
        stats.failed += 1
        raise
    else:
        stats.served += 1
    finally:
        stats.in_progress -= 1


def require_api_key(
    request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    if settings.api_key is None or request.url.path in OPEN:
        return
    if x_api_key != settings.api_key.get_secret_value():
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


def require_key_assuming_one(
    request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    if request.url.path in OPEN:
        return
    if x_api_key != settings.api_key.get_secret_value():  # AttributeError when there is no key
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


def require_api_key_but_stats(
    request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """Task 1's dependency with /stats among the open paths."""
    if request.url.path != "/stats":
        require_api_key(request, settings, x_api_key)


def stats_app(
    settings: Settings | None = None,
    *,
    count=count_sync,
    key=require_api_key,
    key_first: bool = False,
    counted_on_stats_only: bool = False,
) -> FastAPI:
    """Tasks 2 and 3 as the exercise builds them, in another style: the route declared on the
    app, answering a dict. `key_first` lists the key check before the counting, and
    `counted_on_stats_only` counts on GET /stats only: two typical mistakes."""
    if counted_on_stats_only:
        app = board(Depends(key), settings=settings)
    elif key_first:
        app = board(Depends(key), Depends(count), settings=settings)
    else:
        app = board(Depends(count), Depends(key), settings=settings)
    app.state.stats = RequestStats()

    @app.get("/stats", dependencies=[Depends(count)] if counted_on_stats_only else [])
    def stats(request: Request) -> dict[str, int]:
        return request.app.state.stats.model_dump()

    return app


def counted_by_the_key_check() -> FastAPI:
    """Task 3 written differently: the key check depends on count_request, so FastAPI runs the
    counting first whatever order the app lists them in (and once: the result is cached)."""

    def key_after_counting(
        request: Request,
        settings: SettingsDep,
        _: Annotated[None, Depends(count_sync)],
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> None:
        require_api_key(request, settings, x_api_key)

    app = board(Depends(key_after_counting), Depends(count_sync), settings=TASK3)
    app.state.stats = RequestStats()
    router = APIRouter()

    @router.get("/stats")
    async def read_stats(stats: StatsDep) -> RequestStats:
        return stats

    app.include_router(router)
    return app


@pytest.mark.parametrize(
    "checker", [lesson05.request_stats, lesson05.stats_and_key], ids=lambda c: c.__name__
)
def test_tasks_2_and_3_correct_answers_pass(checker) -> None:
    app = stats_app(CheckpointSettings(**checker.settings))
    checker(app)
    checker(app)


def test_task3_counting_as_a_sub_dependency_of_the_key_check_passes() -> None:
    app = counted_by_the_key_check()
    lesson05.stats_and_key(app)
    lesson05.stats_and_key(app)


def test_the_catch_up_app_passes_after_requests_of_its_own() -> None:
    app = checkpoint("05")
    client = TestClient(app)
    for _ in range(3):
        client.get("/tasks/999")
    lesson05.request_stats(app)


def test_task2_unsolved_says_the_route_is_missing() -> None:
    exc = failure(lesson05.request_stats, board())
    assert exc.problem == "GET /stats should answer 200."
    assert "includes the router" in exc.hint


def test_task2_built_with_a_key_says_to_build_the_default_one() -> None:
    exc = failure(lesson05.request_stats, stats_app(TASK1))
    assert exc.problem == "GET /stats should answer 200."
    assert "the default settings, with no api_key" in exc.hint


def test_task2_a_key_check_that_assumes_a_key_gets_the_no_key_hint() -> None:
    exc = failure(lesson05.request_stats, stats_app(key=require_key_assuming_one))
    assert exc.got.startswith("AttributeError")
    assert "when settings.api_key is None" in exc.hint


def test_task2_return_instead_of_yield_is_caught() -> None:
    app = stats_app(count=count_returns)
    exc = failure(lesson05.request_stats, app)
    assert "none was counted as served" in exc.problem
    assert "must `yield`, not `return`" in exc.hint
    # Run again, the app has requests stuck in progress from the first run.
    exc = failure(lesson05.request_stats, app)
    assert "in_progress should be 1, not" in exc.problem
    assert "after a `return` instead of a `yield`" in exc.hint


def test_task2_no_finally_leaves_failed_requests_in_progress() -> None:
    exc = failure(lesson05.request_stats, stats_app(count=count_without_finally))
    assert "in_progress is 2 after the requests are over" in exc.problem
    assert "`finally:`" in exc.hint


def test_task2_a_swallowed_error_is_caught_with_the_reraise_hint() -> None:
    exc = failure(lesson05.request_stats, stats_app(count=count_swallowing))
    assert (
        exc.problem
        == f"GET /tasks/{lesson05._MISSING_ID} should answer the store's 404, and your app raised FastAPIError."
    )
    assert exc.got.startswith("FastAPIError: Response not awaited")
    assert "re-raise it with a bare `raise`" in exc.hint


def test_task2_uncounted_failures_are_caught() -> None:
    exc = failure(lesson05.request_stats, stats_app(count=count_no_failures))
    assert exc.problem.endswith("the failed requests were not counted.")
    assert "`except Exception:`" in exc.hint


async def count_http_errors_only(stats: StatsDep) -> AsyncIterator[None]:
    stats.in_progress += 1
    try:
        yield
    except HTTPException:  # the store's TaskNotFound is no HTTPException: it passes by
        stats.failed += 1
        raise
    finally:
        stats.in_progress -= 1
        stats.served += 1


def test_task2_counting_only_http_exceptions_misses_the_stores_404() -> None:
    exc = failure(lesson05.request_stats, stats_app(count=count_http_errors_only))
    assert exc.problem.endswith("the failed requests were not counted.")
    assert "`except Exception:`" in exc.hint


def test_task2_failures_not_counted_as_served_are_caught() -> None:
    exc = failure(lesson05.request_stats, stats_app(count=count_successes_only))
    assert exc.problem.endswith("the failed requests were not counted as served.")
    assert "failed ones too" in exc.hint


def test_task2_counting_only_the_stats_route_is_caught() -> None:
    exc = failure(lesson05.request_stats, stats_app(counted_on_stats_only=True))
    assert exc.problem.endswith("only the GET /stats requests were counted.")
    assert "board(Depends(count_request), ...)" in exc.hint


def test_task2_no_counting_at_all_is_caught() -> None:
    app = board()
    app.state.stats = RequestStats()
    app.get("/stats")(get_stats)
    exc = failure(lesson05.request_stats, app)
    assert exc.problem.startswith("GET /stats is the one request in progress")
    assert "before the `yield`" in exc.hint


def test_task3_unsolved_says_to_override_get_settings() -> None:
    exc = failure(lesson05.stats_and_key, stats_app())  # Task 2's app, with no key
    assert exc.problem == "GET /stats without X-API-Key should answer 401."
    assert "app.dependency_overrides[get_settings]" in exc.hint


def with_the_key_on(app: FastAPI) -> FastAPI:
    """Task 3 as the exercise asks: the key turned on in Task 2's app by an override."""
    app.dependency_overrides[get_settings] = lambda: CheckpointSettings(api_key=lesson05.TASK3_KEY)
    return app


def test_task3_the_key_turned_on_by_an_override_passes() -> None:
    app = with_the_key_on(stats_app())
    lesson05.stats_and_key(app)
    lesson05.stats_and_key(app)


def test_task3_the_alias_overridden_instead_of_the_function_is_caught() -> None:
    app = stats_app()
    app.dependency_overrides[SettingsDep] = lambda: CheckpointSettings(api_key=lesson05.TASK3_KEY)
    exc = failure(lesson05.stats_and_key, app)
    assert exc.problem == "GET /stats without X-API-Key should answer 401."
    assert "app.dependency_overrides[get_settings]" in exc.hint


def test_task3_settings_given_instead_of_a_function_are_named() -> None:
    app = stats_app()
    app.dependency_overrides[get_settings] = CheckpointSettings(api_key=lesson05.TASK3_KEY)
    exc = failure(lesson05.stats_and_key, app)
    # "TypeError: CheckpointSettings(...) is not a callable object", cut at 200 characters.
    assert exc.got.startswith("TypeError: CheckpointSettings(")
    assert "a function that returns the Settings" in exc.hint


def require_api_key_from_state(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """Task 1 answered without SettingsDep: right for Task 1, blind to an override."""
    settings = request.app.state.settings
    if settings.api_key is None or request.url.path in OPEN:
        return
    if x_api_key != settings.api_key.get_secret_value():
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


def test_task3_settings_read_past_the_override_are_caught() -> None:
    lesson05.api_key(board(Depends(require_api_key_from_state), settings=TASK1))
    exc = failure(
        lesson05.stats_and_key, with_the_key_on(stats_app(key=require_api_key_from_state))
    )
    assert exc.problem == "GET /stats without X-API-Key should answer 401."
    assert "through SettingsDep" in exc.hint


def test_task3_public_stats_are_caught() -> None:
    exc = failure(lesson05.stats_and_key, stats_app(TASK3, key=require_api_key_but_stats))
    assert exc.problem == "GET /stats without X-API-Key should answer 401."
    assert "not public" in exc.hint


def test_task3_the_key_checked_before_counting_is_caught() -> None:
    exc = failure(lesson05.stats_and_key, with_the_key_on(stats_app(key_first=True)))
    assert exc.problem.endswith("the refused GET /tasks was not counted.")
    assert "list Depends(count_request) before Depends(require_api_key)" in exc.hint


def test_checks_only_read() -> None:
    # Nothing to delete afterwards, which a keyed app would refuse without the key.
    for checker in ALL_CHECKS:
        app = (
            stats_app(CheckpointSettings(**checker.settings))
            if checker is not lesson05.api_key
            else board(Depends(require_api_key), settings=TASK1)
        )
        store = app.state.store
        before = list(store._tasks)
        checker(app)
        assert list(store._tasks) == before
