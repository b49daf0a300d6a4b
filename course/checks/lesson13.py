"""Lesson 13 checks: the learner writes tests, and each check judges the test.

A task's test is a function, `def test_...(client): ...`. Its check runs it against Taskboard
as it should be, where it must pass, then against broken versions of Taskboard, each with one
bug that a test doing what the task says catches: there it must fail. The report names every
bug the test let through, or says why it fails on the correct app, at which line.

Each broken version is Taskboard with one change made through FastAPI's own API, never a copy of
the app: another store behind `StoreDep` (a feature's `services`, as lesson 04's recipe), a
route included before Taskboard's (a feature's `routers`), Taskboard's security feature with one
guard left out, or `app.dependency_overrides`.

The apps keep the board in memory, and a signed-in client is signed in the way the lesson
shows for tests that are not about logging in: `get_current_user` is overridden to return the
demo user, so no password is hashed and each run takes milliseconds.
"""

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

from course.checkpoints import CheckpointSettings, features_after
from course.checks import CheckFailed, check_tests, run_test
from taskboard.api import main as taskboard_features
from taskboard.api.deps import StoreDep, get_current_user, oauth2_scheme
from taskboard.api.routes import tasks
from taskboard.core.features import Feature
from taskboard.demo import DEMO_USERNAME
from taskboard.main import create_app
from taskboard.models import TaskFilters, TaskPublic, UserCreate, UserInDB, UserPublic
from taskboard.store import NotFound, Store, TaskNotFound

# The catch-up checkpoint of lesson 13: Taskboard as the learner's tests see it.
LESSON_BEFORE = "12"

# Who a signed-in client is: the demo account, which owns the demo tasks 1 to 4.
DEMO_USER = UserInDB(id=1, username=DEMO_USERNAME, password_hash="never checked: no one logs in")


# --- Taskboard, and how each broken version differs -----------------------------------------------


def _features() -> tuple[Feature, ...]:
    # In memory: the same routes and rules as the database store, and faster to start.
    return tuple(f for f in features_after(LESSON_BEFORE) if f is not taskboard_features.DATABASE)


def _taskboard(*, first: Sequence[Feature] = (), last: Sequence[Feature] = ()) -> FastAPI:
    """Taskboard with demo data, with `first` features included before its own, `last` after."""
    return create_app(CheckpointSettings(demo_data=True), (*first, *_features(), *last))


def _signed_in(app: FastAPI) -> FastAPI:
    """Every request is the demo account's (lesson 13: overriding the current user in tests)."""
    app.dependency_overrides[get_current_user] = lambda: DEMO_USER
    return app


def _store(store_class: type[Store]) -> Feature:
    """A feature whose store replaces Taskboard's, as lesson 04's FREEZE does."""
    return Feature(name="bug", services=lambda settings: {"store": store_class.with_demo_data()})


def taskboard() -> FastAPI:
    """Taskboard as it should be, in memory, with the demo tasks 1 to 4."""
    return _taskboard()


@contextmanager
def signed_in_client() -> Iterator[TestClient]:
    """A client of Taskboard signed in as the demo account, as the checks of tasks 1 and 3 give."""
    with TestClient(_signed_in(taskboard())) as client:
        yield client


@contextmanager
def anonymous_client() -> Iterator[TestClient]:
    """A client of Taskboard that sends no token, as the checks of tasks 2 and 4 give."""
    with TestClient(taskboard()) as client:
        yield client


@dataclass(frozen=True)
class Bug:
    """One broken version of Taskboard: what is wrong, how to build it, what a test then misses."""

    name: str
    build: Callable[[], FastAPI]
    hint: str


# --- Judging a test ------------------------------------------------------------------------------

NOT_WRITTEN = (
    "Write your test where it says `# YOUR CODE HERE`, in place of `raise NotImplementedError`."
)
CHECKS_NOTHING = (
    "A test that passes whatever the app answers checks nothing. Send the request, then assert "
    "what the task names: `assert response.status_code == ...` and the body."
)
OWN_CLIENT = (
    "Your test never sent a request through the `client` it was given, so it tested some other "
    "app. Send every request with that client: `client.get(...)`."
)
WRONG_EXPECTATION = (
    "Your assert expects something Taskboard does not answer. Send the request yourself, "
    "`with check.signed_in_client() as client:` (or `check.anonymous_client()`), print "
    "`response.status_code` and `response.json()`, and compare them with the task."
)
RAISED = (
    "Your test raised an exception before it could judge anything. Run it yourself once, "
    "`with check.signed_in_client() as client: test_...(client)`, to see where."
)
STUCK = "Your test never finished: look for a loop in it that never ends."


def _why_it_fails(failure: str) -> str:
    if failure.startswith("NotImplementedError"):
        return NOT_WRITTEN
    if failure.startswith("it did not finish"):
        return STUCK
    if failure.startswith("`assert"):
        return WRONG_EXPECTATION
    return RAISED


def _judge(task: str, test: Callable[..., object], correct: FastAPI, bugs: Sequence[Bug]) -> None:
    """Fail unless `test` passes on `correct` and fails on the app of every bug."""
    run = run_test(test, correct)
    if run.failure is not None:
        unwritten = run.failure.startswith("NotImplementedError")
        raise CheckFailed(
            task,
            "your test is not written yet."
            if unwritten
            else "your test fails on Taskboard as it should be, so it would fail on a correct "
            "app too.",
            got=None if unwritten else run.failure,
            hint=_why_it_fails(run.failure),
        )
    missed = [bug for bug in bugs if run_test(test, bug.build()).passed]
    if not missed:
        return
    names = "; ".join(bug.name for bug in missed)
    if len(missed) == len(bugs):
        hint = OWN_CLIENT if run.requests == 0 else CHECKS_NOTHING
    else:
        hint = missed[0].hint
    raise CheckFailed(
        task,
        f"your test passes on {len(missed)} of the {len(bugs)} broken versions of Taskboard, "
        f"so it lets these bugs through: {names}.",
        hint=hint,
    )


# --- Task 1: a missing task is a 404 that names it -------------------------------------------------


class _AnotherTaskForAMissingOne(Store):
    async def get(self, task_id: int) -> TaskPublic:
        try:
            return await super().get(task_id)
        except TaskNotFound:
            return (await self.list_tasks())[0]  # "never fails": the first task instead


class _PlainNotFound(Store):
    async def get(self, task_id: int) -> TaskPublic:
        try:
            return await super().get(task_id)
        except TaskNotFound:
            raise NotFound("Not Found") from None


class _NamelessNotFound(Store):
    async def get(self, task_id: int) -> TaskPublic:
        try:
            return await super().get(task_id)
        except TaskNotFound:
            raise NotFound("Task not found") from None


MISSING_TASK_BUGS = (
    Bug(
        "a missing task answers 200 with another task",
        lambda: _signed_in(_taskboard(last=[_store(_AnotherTaskForAMissingOne)])),
        "Assert the status code: `assert response.status_code == 404`.",
    ),
    Bug(
        'the 404 says only "Not Found"',
        lambda: _signed_in(_taskboard(last=[_store(_PlainNotFound)])),
        'Assert the body too: the `detail` must be exactly "Task <id> not found".',
    ),
    Bug(
        'the 404 says "Task not found", without the id',
        lambda: _signed_in(_taskboard(last=[_store(_NamelessNotFound)])),
        "Compare the whole `detail`, with the id in it, not only a part such as `not found`.",
    ),
)


@check_tests(
    "Task 1", "your test passes on Taskboard and fails on every wrong answer to a missing task."
)
def missing_task(test: Callable[..., object]) -> None:
    _judge("Task 1", test, _signed_in(taskboard()), MISSING_TASK_BUGS)


# --- Task 2: signing up gives back no password and no hash -----------------------------------------

_hash_router = APIRouter()


@_hash_router.post("/users", status_code=201)
async def sign_up_returning_the_stored_user(store: StoreDep, user_in: UserCreate) -> UserInDB:
    return await store.create_user(user_in)  # the bug: the return type lets the hash out


_password_router = APIRouter()


@_password_router.post("/users", status_code=201)
async def sign_up_echoing_the_password(store: StoreDep, user_in: UserCreate) -> dict[str, Any]:
    user = await store.create_user(user_in)
    return {**user.model_dump(exclude={"password_hash"}), "password": user_in.password}


_ok_router = APIRouter()


@_ok_router.post("/users")
async def sign_up_answering_200(store: StoreDep, user_in: UserCreate) -> UserPublic:
    return await store.create_user(user_in)


def _sign_up_route(router: APIRouter) -> Callable[[], FastAPI]:
    # Included before Taskboard's routers: its POST /users is the one that answers.
    return lambda: _taskboard(first=[Feature(name="bug", routers=(router,))])


SIGN_UP_BUGS = (
    Bug(
        "the answer carries the password_hash",
        _sign_up_route(_hash_router),
        'Assert that the answer has exactly the keys "id", "username" and "full_name": a '
        "check for `password` alone misses `password_hash`.",
    ),
    Bug(
        "the answer repeats the password",
        _sign_up_route(_password_router),
        'Assert that "password" is not in the answer either, or better, compare its set of '
        "keys with the three it should have.",
    ),
    Bug(
        "signing up answers 200 instead of 201",
        _sign_up_route(_ok_router),
        "Assert the status code too: `assert response.status_code == 201`.",
    ),
)


@check_tests(
    "Task 2", "your test passes on Taskboard and fails on every sign-up that leaks or is not a 201."
)
def sign_up(test: Callable[..., object]) -> None:
    _judge("Task 2", test, taskboard(), SIGN_UP_BUGS)


# --- Task 3: ?limit=N gives the first N tasks -------------------------------------------------------


def _sliced(start: int, extra: int) -> type[Store]:
    """A store whose list starts `start` tasks late and holds `extra` tasks more than `limit`."""

    class OffByOne(Store):
        async def list_tasks(self, filters: TaskFilters | None = None) -> list[TaskPublic]:
            filters = filters or TaskFilters()
            every = await super().list_tasks(filters.model_copy(update={"limit": 10_000}))
            return every[start : start + filters.limit + extra]

    return OffByOne


LIMIT_BUGS = (
    Bug(
        "a page holds one task less than `limit`",
        lambda: _signed_in(_taskboard(last=[_store(_sliced(0, -1))])),
        "Assert how many tasks come back, not only that there are at most `limit`.",
    ),
    Bug(
        "a page holds one task more than `limit`",
        lambda: _signed_in(_taskboard(last=[_store(_sliced(0, 1))])),
        "Assert how many tasks come back: exactly `limit`, when there are more tasks.",
    ),
    Bug(
        "a page skips the first task",
        lambda: _signed_in(_taskboard(last=[_store(_sliced(1, 0))])),
        "Assert which tasks come back, by their ids, not only how many.",
    ),
)


@check_tests("Task 3", "your test passes on Taskboard and fails on every page that is off by one.")
def first_page(test: Callable[..., object]) -> None:
    _judge("Task 3", test, _signed_in(taskboard()), LIMIT_BUGS)


# --- Task 4: no token, no board --------------------------------------------------------------------


def _without_guard_on(router: APIRouter) -> Callable[[], FastAPI]:
    """Taskboard whose security feature forgot to guard `router`."""
    security = taskboard_features.SECURITY
    careless = dataclasses.replace(
        security,
        router_dependencies=[(r, d) for r, d in security.router_dependencies if r is not router],
    )

    def build() -> FastAPI:
        features = tuple(careless if f is security else f for f in _features())
        return create_app(CheckpointSettings(demo_data=True), features)

    return build


def _refusing_with(status: int, headers: dict[str, str] | None) -> Callable[[], FastAPI]:
    """Taskboard whose token reader refuses a missing token with `status` and `headers`."""

    async def read_token(request: Request) -> str:
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            raise HTTPException(status, "Not authenticated", headers=headers)
        return authorization.removeprefix("Bearer ")

    def build() -> FastAPI:
        app = taskboard()
        app.dependency_overrides[oauth2_scheme] = read_token
        return app

    return build


NO_TOKEN_BUGS = (
    Bug(
        "GET /tasks answers without a token",
        _without_guard_on(tasks.router),
        "Send GET /tasks without a token too, and assert its 401.",
    ),
    Bug(
        "POST /tasks creates a task without a token",
        _without_guard_on(tasks.write_router),
        "Send POST /tasks (with a valid body, such as {'title': 'x'}) without a token too, and "
        "assert its 401.",
    ),
    Bug(
        "no token answers 403 instead of 401",
        _refusing_with(403, {"WWW-Authenticate": "Bearer"}),
        "Assert the status code itself, 401: a 403 is a refusal too, but for another reason.",
    ),
    Bug(
        "the 401 has no WWW-Authenticate header",
        _refusing_with(401, None),
        'Assert the header: `response.headers["WWW-Authenticate"] == "Bearer"`.',
    ),
)


@check_tests("Task 4", "your test passes on Taskboard and fails wherever no token is not a 401.")
def no_token(test: Callable[..., object]) -> None:
    _judge("Task 4", test, taskboard(), NO_TOKEN_BUGS)
