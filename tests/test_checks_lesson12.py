"""Lesson 12 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is built as the exercise builds it: Taskboard after the catch-up lesson, with the
learner's `GET /board/stats` (Tasks 1 to 3) or a limit on the routes that change tasks (Task 4),
by `stats_app`, `etag_app` and `limits_app`, in the solution's way or another correct one, with
one typical mistake turned on by each keyword.
"""

import hashlib
import math
import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.params import Depends as Dependency
from fastapi.responses import JSONResponse
from fastapi_cache import FastAPICache
from fastapi_cache.backends.inmemory import InMemoryBackend
from fastapi_cache.decorator import cache
from fastapi_limiter.depends import RateLimiter
from fastapi_limiter.identifier import default_identifier
from pyrate_limiter import Duration, Limiter, Rate

from course import checkpoint
from course.checkpoints import CheckpointSettings, features_after
from course.checks import checks_of, lesson12
from taskboard.api.deps import CAN_READ_TASKS, StoreDep
from taskboard.api.main import DATABASE
from taskboard.api.routes import checklist, comments, files, tasks
from taskboard.api.routes.board import count_tasks
from taskboard.core.cache import MemoryBackend
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.core.http_cache import none_match, weak_etag
from taskboard.core.rate_limits import KeyedRateLimiter, PerKeyBuckets
from taskboard.core.security import InvalidToken, read_access_token
from taskboard.events import TaskEvent
from taskboard.main import create_app
from taskboard.models import BoardStats
from tests.checking import failure

ALL_CHECKS = checks_of("12")
CATCH_UP = "11"  # the lesson before, as the exercise's catch-up has it
LIMITS = CheckpointSettings(write_rate_limit=3, write_rate_window=60)
WRITE_ROUTERS = (tasks.write_router, comments.write_router, checklist.router, files.write_router)


def board(
    settings: Settings | None = None,
    writes: Sequence[Dependency] = (),
    everywhere: Sequence[Dependency] = (),
) -> FastAPI:
    """The exercise's `board()`: a new app, its tasks in memory, and FastAPICache started afresh
    for it."""
    FastAPICache.reset()
    FastAPICache.init(MemoryBackend(), prefix="board", cache_status_header="X-Cache")
    yours = Feature(
        name="yours",
        dependencies=everywhere,
        router_dependencies=[(router, list(writes)) for router in WRITE_ROUTERS],
    )
    features = [feature for feature in features_after(CATCH_UP) if feature is not DATABASE]
    return create_app(settings or CheckpointSettings(), [*features, yours])


# --- Tasks 1 and 2: the stats, cached per user, cleared on writes --------------------------------


def stats_app(style: str = "solution", **mistakes: bool) -> FastAPI:
    """Tasks 1 and 2. Styles, each correct:
    - "solution": `@cache` with a key per user, cleared through the store's events;
    - "by_hand": a dict of bodies on `app.state`, an `X-Cache` of its own, entries popped by an
      event listener;
    - "clear_all": `@cache`, and every entry cleared on any change (more than needed);
    - "middleware": `@cache`, cleared by an HTTP middleware after each successful write.
    """
    on = mistakes.get
    router = APIRouter()
    app = board()

    def key(func: Callable[..., Any], namespace: str = "", *, request: Request, **_: Any) -> str:
        if on("key_without_user"):
            return f"{namespace}:stats"
        if on("key_changes"):
            return f"{namespace}:user-{request.state.user.id}:{uuid.uuid4()}"
        return f"{namespace}:user-{request.state.user.id}:stats"

    async def counted(request: Request, store: Any) -> BoardStats:
        if on("no_zeros"):
            stats = await count_tasks(store)
            return stats.model_copy(
                update={"by_status": {k: v for k, v in stats.by_status.items() if v}}
            )
        return await count_tasks(store)

    if style == "by_hand":
        app.state.kept = {}

        @router.get("/board/stats", response_model=BoardStats)
        async def read_board_stats_by_hand(request: Request, store: StoreDep) -> Response:
            user_id = request.state.user.id
            body = request.app.state.kept.get(user_id)
            status = "HIT" if body is not None else "MISS"
            if body is None:
                body = (await counted(request, store)).model_dump_json().encode()
                if not on("no_cache"):
                    request.app.state.kept[user_id] = body
            return Response(body, media_type="application/json", headers={"X-Cache": status})

        async def forget(event: TaskEvent) -> None:
            app.state.kept.pop(event.owner_id, None)

        if not on("no_clearing"):
            app.state.store.events.subscribe(forget)
    else:
        if on("no_x_cache"):
            FastAPICache.reset()
            FastAPICache.init(InMemoryBackend(), prefix="board")

        if on("whole_board"):

            @router.get("/board/stats")
            @cache(expire=60, namespace="board-stats", key_builder=key)
            async def read_whole_board_stats(request: Request) -> BoardStats:
                # The app's store, without the user's view: every user's tasks.
                return await count_tasks(request.app.state.store)

        else:

            @router.get("/board/stats")
            @cache(expire=60, namespace="board-stats", key_builder=key)
            async def read_board_stats(request: Request, store: StoreDep) -> BoardStats:
                return await counted(request, store)

        async def forget(event: TaskEvent) -> None:
            if on("clear_on_create_only") and event.type != "task.created":
                return
            owner = event.task_id if on("clear_wrong_user") else event.owner_id
            if style == "clear_all":
                await FastAPICache.clear()
            else:
                await FastAPICache.clear(namespace=f"board-stats:user-{owner}")

        if style == "middleware" and not on("no_clearing"):

            @app.middleware("http")
            async def clear_after_writes(request: Request, call_next: Any) -> Response:
                response = await call_next(request)
                user = getattr(request.state, "user", None)
                if request.method != "GET" and response.status_code < 400 and user is not None:
                    await FastAPICache.clear(namespace=f"board-stats:user-{user.id}")
                return response

        elif not on("no_clearing"):
            app.state.store.events.subscribe(forget)
    app.include_router(router, dependencies=[CAN_READ_TASKS])
    return app


# --- Task 3: ETag, If-None-Match, Cache-Control -------------------------------------------------


def etag_app(style: str = "solution", **mistakes: bool) -> FastAPI:
    """Task 3. Styles, each correct:
    - "solution": a weak ETag of the body's SHA-256, `If-None-Match` split on commas;
    - "strong": a strong ETag of the body's MD5, the header parsed with a regex from
      `request.headers`, and a cache of bodies cleared on changes;
    - "taskboard": Taskboard's own `weak_etag` and `none_match`.
    """
    on = mistakes.get
    router = APIRouter()
    app = board()
    app.state.kept = {}

    def tag(body: bytes) -> str:
        if on("hash_etag"):
            return f'"{hash(body)}"'
        if on("random_etag"):
            return f'"{uuid.uuid4().hex}"'
        if on("constant_etag"):
            return '"v1"'
        if style == "strong":
            return f'"{hashlib.md5(body).hexdigest()}"'  # a tag, not a secret
        if style == "taskboard":
            return weak_etag(body)
        return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'

    def matches(header: str | None, etag: str) -> bool:
        if header is None:
            return False
        if on("any_304"):
            return True
        if on("exact_match_only"):
            return header == etag
        if style == "taskboard":
            return none_match(header, etag)
        if header.strip() == "*" and not on("no_star"):
            return True
        if style == "strong":
            return etag.strip('"') in re.findall(r'(?:W/)?"([^"]*)"', header)
        if on("strong_compare"):
            return etag in {part.strip() for part in header.split(",")}
        return etag.removeprefix("W/") in {
            part.strip().removeprefix("W/") for part in header.split(",")
        }

    if on("library_etag"):

        @router.get("/board/stats")
        @cache(
            expire=60,
            namespace="board-stats",
            key_builder=lambda *_, request, **__: f"board-stats:user-{request.state.user.id}",
        )
        async def read_board_stats_cached(request: Request, store: StoreDep) -> BoardStats:
            return await count_tasks(store)

    else:

        @router.get("/board/stats", response_model=BoardStats)
        async def read_board_stats(
            request: Request,
            store: StoreDep,
            if_none_match: Annotated[str | None, Header()] = None,
        ) -> Response:
            if style == "strong":
                header = request.headers.get("if-none-match")
                body = app.state.kept.get(request.state.user.id)
                if body is None:
                    body = (await count_tasks(store)).model_dump_json().encode()
                    app.state.kept[request.state.user.id] = body
            else:
                header = if_none_match
                body = (await count_tasks(store)).model_dump_json().encode()
            etag = tag(body)
            control = "public, max-age=60" if on("public") else "private, no-cache"
            headers = {"ETag": etag, "Cache-Control": control, "Vary": "Authorization"}
            if matches(header, etag):
                if on("body_304"):
                    return Response(body, status_code=304, headers=headers)
                return Response(status_code=304, headers={} if on("bare_304") else headers)
            return Response(body, media_type="application/json", headers=headers)

    async def forget(event: TaskEvent) -> None:
        app.state.kept.pop(event.owner_id, None)

    app.state.store.events.subscribe(forget)
    app.include_router(router, dependencies=[CAN_READ_TASKS])
    return app


# --- Task 4: rate limits on writes --------------------------------------------------------------


def limits_app(style: str = "solution", **mistakes: bool) -> FastAPI:
    """Task 4, with the settings the task states. Styles, each correct:
    - "solution": `KeyedRateLimiter` with `PerKeyBuckets`, an identifier by user and a callback
      with the exact Retry-After;
    - "own_dependency": pyrate-limiter's `Limiter` in a dependency of one's own, `Retry-After`
      the whole window;
    - "by_hand": no library: a global dependency that picks the writes by method, reads the
      user from the token itself, and keeps each user's writes in a deque.
    """
    on = mistakes.get
    limit = 2 if on("too_low") else LIMITS.write_rate_limit
    window = LIMITS.write_rate_window
    rate = Rate(limit, Duration.SECOND * window)
    buckets = PerKeyBuckets([rate])

    async def by_user(request: Request) -> str:
        if on("per_ip"):
            return request.client.host if request.client else "?"
        if on("trusts_xff"):
            forwarded = request.headers.get("x-forwarded-for")
            return forwarded or (request.client.host if request.client else "?")
        return f"user-{request.state.user.id}"

    async def too_many(request: Request, response: Response) -> None:
        seconds = await buckets.retry_after(await by_user(request))
        detail = "Slow down" if on("wrong_detail") else "Too many writes: at most 3 a minute"
        retry = str(seconds * 1000) if on("retry_in_ms") else str(seconds)
        if on("returning_callback"):
            return
        raise HTTPException(429, detail, headers={"Retry-After": retry})

    def sync_callback(request: Request, response: Response) -> JSONResponse:
        return JSONResponse({"detail": "Too many writes"}, status_code=429)

    writes: list[Dependency] = []
    everywhere: list[Dependency] = []
    if style == "solution":
        shared = Limiter(rate) if on("one_bucket") else Limiter(buckets)
        if on("raw_fastapi_limiter"):
            writes = [Depends(RateLimiter(limiter=shared))]
        else:
            identifier = default_identifier if on("default_identifier") else by_user
            if on("no_retry_after"):
                limiter = KeyedRateLimiter(limiter=shared, identifier=identifier)
            else:
                callback = sync_callback if on("sync_callback") else too_many
                limiter = KeyedRateLimiter(limiter=shared, identifier=identifier, callback=callback)
            writes = [Depends(limiter)]
    elif style == "own_dependency":
        limiter = Limiter(buckets)

        async def limit_writes(request: Request) -> None:
            key = f"user-{request.state.user.id}"
            if not await limiter.try_acquire_async(key, blocking=False):
                raise HTTPException(
                    429, "Too many writes, slow down", headers={"Retry-After": str(window)}
                )

        writes = [Depends(limit_writes)]
    else:
        recent: dict[int, deque[float]] = defaultdict(deque)

        async def limit_writes_by_hand(request: Request) -> None:
            reading = request.method in ("GET", "HEAD", "OPTIONS")
            if (reading and not on("limits_reads")) or not request.url.path.startswith("/tasks"):
                return
            try:
                token = request.headers.get("authorization", "").removeprefix("Bearer ")
                user_id = read_access_token(token, request.app.state.settings).user_id
            except InvalidToken:
                return  # the route's guard answers 401
            now = time.monotonic()
            times = recent[user_id]
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                wait = math.ceil(times[0] + window - now)
                raise HTTPException(
                    429, "Too many writes", headers={"Retry-After": str(max(1, wait))}
                )
            times.append(now)

        everywhere = [Depends(limit_writes_by_hand)]
    return board(LIMITS, writes=writes, everywhere=everywhere)


# --- Every check ---------------------------------------------------------------------------------

SOLVED = {
    "cached_stats": stats_app,
    "fresh_after_writes": stats_app,
    "etags": etag_app,
    "write_limits": limits_app,
}


def _settings(checker: Any) -> CheckpointSettings:
    return CheckpointSettings(**checker.settings)


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker: Any) -> None:
    # Unsolved, each task's app is the catch-up's: no stats route, no limit.
    exc = failure(checker, checkpoint(CATCH_UP, _settings(checker)))
    assert exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_empty_app_fails_kindly(checker: Any) -> None:
    exc = failure(checker, FastAPI())
    assert exc.got == '404 {"detail":"Not Found"}'
    assert exc.hint


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_solution_passes_twice(checker: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = SOLVED[checker.__name__]()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell
    assert "could not delete" not in capsys.readouterr().out


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_12_passes_twice(
    checker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = checkpoint("12", _settings(checker))
    checker(app)
    checker(app)
    assert "could not delete" not in capsys.readouterr().out


@pytest.mark.parametrize("style", ["by_hand", "clear_all", "middleware"])
def test_other_correct_caches_pass(style: str) -> None:
    app = stats_app(style)
    lesson12.cached_stats(app)
    lesson12.fresh_after_writes(app)


@pytest.mark.parametrize("style", ["strong", "taskboard"])
def test_other_correct_etags_pass(style: str) -> None:
    lesson12.etags(etag_app(style))


@pytest.mark.parametrize("style", ["own_dependency", "by_hand"])
def test_other_correct_limits_pass(style: str) -> None:
    lesson12.write_limits(limits_app(style))


# --- Task 1's mistakes -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["solution", "by_hand"])
def test_a_key_without_the_user_is_caught(style: str) -> None:
    mistake = {"key_without_user": True} if style == "solution" else {}
    app = stats_app(style, **mistake)
    if style == "by_hand":  # one entry for everyone
        app.state.kept = _Everyone()
    exc = failure(lesson12.cached_stats, app)
    assert exc.problem == "another user, who has no task, got the first user's stats."
    assert "must name the user" in exc.hint


class _Everyone(dict):  # type: ignore[type-arg]
    """A cache whose every key is the same one: a key that forgets the user."""

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get("everyone", default)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__("everyone", value)


def test_a_key_that_changes_at_each_request_is_caught() -> None:
    exc = failure(lesson12.cached_stats, stats_app(key_changes=True))
    assert exc.problem == "The first user's request again should be served from the cache."
    assert "`store` is a new object for each request" in exc.hint


def test_no_cache_at_all_is_caught() -> None:
    exc = failure(lesson12.cached_stats, stats_app("by_hand", no_cache=True))
    assert exc.expected == "X-Cache: HIT"
    assert "its key must be the same" in exc.hint


def test_the_librarys_own_header_name_is_caught() -> None:
    exc = failure(lesson12.cached_stats, stats_app(no_x_cache=True))
    assert "`X-Cache`" in exc.problem
    assert 'cache_status_header="X-Cache"' in exc.hint


def test_counting_the_whole_board_is_caught() -> None:
    exc = failure(lesson12.cached_stats, stats_app(whole_board=True))
    assert exc.problem == "the stats should count the signed-in user's tasks."
    assert "three tasks" in exc.hint


def test_statuses_without_their_zeros_are_caught() -> None:
    exc = failure(lesson12.cached_stats, stats_app(no_zeros=True))
    assert exc.problem == "GET /board/stats as the check's user should answer the stats."
    assert "counted from `store`" in exc.hint


def test_a_cache_kept_from_an_earlier_app_is_named() -> None:
    # FastAPICache is one for the kernel: a second app built without starting it afresh (the
    # exercise's `board()` does) finds the first app's entries under the same user ids.
    first = stats_app()
    lesson12.cached_stats(first)
    second = create_app(CheckpointSettings(), features_after(CATCH_UP))
    second.include_router(_stats_router(), dependencies=[CAN_READ_TASKS])
    exc = failure(lesson12.cached_stats, second)
    assert exc.problem == "The first answer for a user who just signed up should be counted."
    assert "an app built earlier" in exc.hint


def _stats_router() -> APIRouter:
    """Task 1's route, as the solution writes it, for an app built without `board()`."""
    router = APIRouter()

    def key(func: Callable[..., Any], namespace: str = "", *, request: Request, **_: Any) -> str:
        return f"{namespace}:user-{request.state.user.id}:stats"

    @router.get("/board/stats")
    @cache(expire=60, namespace="board-stats", key_builder=key)
    async def read_board_stats(request: Request, store: StoreDep) -> BoardStats:
        return await count_tasks(store)

    return router


def _per_user(func: Callable[..., Any], namespace: str = "", *, request: Request, **_: Any) -> str:
    return f"{namespace}:user-{request.state.user.id}:stats"


_unguarded = APIRouter()


@_unguarded.get("/board/stats")
@cache(expire=60, namespace="board-stats", key_builder=_per_user)
async def _read_board_stats(request: Request, store: StoreDep) -> BoardStats:
    return await count_tasks(store)


def test_a_route_without_the_guard_is_named() -> None:
    app = board()
    app.include_router(_unguarded)  # no CAN_READ_TASKS: nothing puts the user in request.state
    exc = failure(lesson12.cached_stats, app)
    assert (exc.got or "").startswith("AttributeError: 'State' object has no attribute 'user'")
    assert "`dependencies=[CAN_READ_TASKS]`" in exc.hint


# --- Task 2's mistakes -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["solution", "by_hand"])
def test_no_clearing_is_caught(style: str) -> None:
    exc = failure(lesson12.fresh_after_writes, stats_app(style, no_clearing=True))
    assert exc.problem == "GET /board/stats after POST /tasks should be counted."
    assert "app.state.store.events.subscribe" in exc.hint


def test_clearing_on_creation_only_is_caught() -> None:
    exc = failure(lesson12.fresh_after_writes, stats_app(clear_on_create_only=True))
    assert exc.problem.startswith("GET /board/stats after PATCH /tasks/")
    assert "`event.owner_id`" in exc.hint


def test_clearing_another_users_stats_is_caught() -> None:
    exc = failure(lesson12.fresh_after_writes, stats_app(clear_wrong_user=True))
    assert exc.expected == "X-Cache: MISS"
    assert "`event.owner_id` is whose task it is" in exc.hint


def test_never_caching_is_caught_in_task_2_too() -> None:
    exc = failure(lesson12.fresh_after_writes, stats_app("by_hand", no_cache=True))
    assert exc.expected == "X-Cache: HIT"
    assert "its key must be the same" in exc.hint


# --- Task 3's mistakes -------------------------------------------------------------------------


def test_fastapi_cache2s_own_etag_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(library_etag=True))
    assert exc.problem == "the ETag should be an entity-tag: its opaque part in double quotes."
    assert "`W/-512…` has no quotes" in exc.hint


def test_an_etag_from_pythons_hash_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(hash_etag=True))
    assert "Python's `hash()`" in exc.problem
    assert "hashlib.sha256" in exc.hint


def test_an_etag_that_changes_at_each_request_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(random_etag=True))
    assert exc.problem == "the same stats, asked for again, should have the same ETag."
    assert "Compute the ETag from the body" in exc.hint


def test_a_304_with_a_body_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(body_304=True))
    assert exc.problem == "a 304 has no body: the client uses the copy it has."
    assert "status_code=304" in exc.hint


def test_a_304_without_the_headers_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(bare_304=True))
    assert exc.problem == "a 304 should carry the ETag and the Cache-Control the 200 would."
    assert "same headers as the 200" in exc.hint


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        ("exact_match_only", "separated by commas"),
        ("strong_compare", "compares weakly"),
        ("no_star", "`If-None-Match: *`"),
    ],
)
def test_a_partial_if_none_match_is_caught(mistake: str, named: str) -> None:
    exc = failure(lesson12.etags, etag_app(**{mistake: True}))
    assert exc.expected == "304, no body"
    assert named in exc.hint


def test_a_public_answer_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(public=True))
    assert exc.expected == "Cache-Control: private, no-cache"
    assert "fastapi-cache2" in exc.hint


def test_a_304_for_any_tag_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(any_304=True))
    assert exc.problem == "an ETag that is not the current one should get the whole answer."
    assert "names the current ETag" in exc.hint


def test_an_etag_that_does_not_follow_the_stats_is_caught() -> None:
    exc = failure(lesson12.etags, etag_app(constant_etag=True))
    assert (
        exc.problem == "after POST /tasks, the old ETag should get the new stats, with a new ETag."
    )
    assert "compute it from the body" in exc.hint


# --- Task 4's mistakes -------------------------------------------------------------------------


def test_fastapi_limiters_own_rate_limiter_on_included_routers_is_named() -> None:
    exc = failure(lesson12.write_limits, limits_app(raw_fastapi_limiter=True))
    assert "'_IncludedRouter' object has no attribute 'path'" in (exc.got or "")
    assert "`KeyedRateLimiter`" in exc.hint


@pytest.mark.parametrize("mistake", ["one_bucket", "per_ip"])
def test_one_allowance_for_everyone_is_caught(mistake: str) -> None:
    exc = failure(lesson12.write_limits, limits_app(**{mistake: True}))
    assert exc.problem == "another user, who had made no write, was refused."
    assert "Count per user" in exc.hint
    assert "`PerKeyBuckets`" in exc.hint


def test_a_key_with_the_path_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(default_identifier=True))
    assert exc.problem == "the 4th write of a user within 60 seconds should be refused."
    assert "a key with the path" in exc.hint


def test_trusting_x_forwarded_for_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(trusts_xff=True))
    assert "X-Forwarded-For" in exc.problem
    assert "never by X-Forwarded-For" in exc.hint


def test_a_429_without_retry_after_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(no_retry_after=True))
    assert exc.problem == "a 429 should say when to try again, in `Retry-After`: whole seconds."
    assert "default callback sends none" in exc.hint


def test_retry_after_in_milliseconds_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(retry_in_ms=True))
    assert exc.expected == "Retry-After: a number of seconds from 1 to 60"


def test_a_sync_callback_is_named() -> None:
    exc = failure(lesson12.write_limits, limits_app(sync_callback=True))
    assert "can't be used in 'await' expression" in (exc.got or "")
    assert "`async def`" in exc.hint


def test_a_callback_that_returns_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(returning_callback=True))
    assert exc.problem == "the 4th write of a user within 60 seconds should be refused."
    assert "A callback that returns" in exc.hint


def test_limiting_reads_too_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app("by_hand", limits_reads=True))
    assert exc.problem == "GET /tasks by a user whose writes are refused should answer 200."
    assert "Limit the writes only" in exc.hint


def test_a_limit_below_the_settings_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(too_low=True))
    assert exc.problem == "Write number 3 of a new user should answer 200."
    assert "write_rate_limit" in exc.hint


def test_a_429_that_does_not_say_why_is_caught() -> None:
    exc = failure(lesson12.write_limits, limits_app(wrong_detail=True))
    assert "mentioning 'too many'" in exc.problem
    assert "Too many writes" in exc.hint
