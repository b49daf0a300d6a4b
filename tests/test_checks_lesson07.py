"""Lesson 07 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is built as the exercise builds it: a fresh FastAPI app with the learner's database
layer, here `users_app(style, **mistakes)`. Every app gets its own engine on its own SQLite in
memory, so no two tests share a user.
"""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Annotated, Any

import nbformat
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool, StaticPool
from starlette.concurrency import run_in_threadpool

from course import checkpoint
from course.checkpoints import FEATURES_ADDED_BY
from course.checks import checks_of, lesson07
from taskboard.core.security import hash_password
from taskboard.models import UserCreate, UserPublic
from tests.checking import failure
from tests.conftest import ROOT

ALL_CHECKS = checks_of("07")
AWAIT = "`await`"


# Mistaken apps drop coroutines: their warnings are collected within each test (conftest.py).
pytestmark = pytest.mark.usefixtures("no_coroutine_outlives_its_test")


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))


class Pagination(BaseModel):
    offset: int = Field(0, ge=0, le=10_000)
    limit: int = Field(10, ge=1, le=100)


async def _hash(password: str) -> str:
    return await run_in_threadpool(hash_password, password)


def _row(user_in: UserCreate, password_hash: str) -> UserRow:
    return UserRow(
        username=user_in.username, full_name=user_in.full_name, password_hash=password_hash
    )


def _taken(name: str) -> HTTPException:
    return HTTPException(409, f"Username {name!r} is already taken")


def users_app(style: str = "solution", **mistakes: bool) -> FastAPI:
    """The exercise answered in `style`, with one typical mistake turned on by each keyword.

    Styles, each correct and unlike the solution in one way:
    - "solution": the solution's way (its own cells run as they are further down);
    - "begin": `async with session.begin():` instead of explicit commits and rollbacks;
    - "commit-after-yield": the dependency commits after the request, routes only flush;
    - "refresh": the default `expire_on_commit=True`, with `await session.refresh(user)`;
    - "execute": `(await session.execute(select(...))).scalars()`, a query model for pages,
      and a batch that checks the names with a SELECT before writing;
    - "router": an APIRouter with a prefix, the engine made by the lifespan on app.state.
    """
    if mistakes.get("default_pool"):
        engine = create_async_engine("sqlite+aiosqlite://")
    else:
        pool = NullPool if mistakes.get("null_pool") else StaticPool
        engine = create_async_engine("sqlite+aiosqlite://", poolclass=pool)
    expire = style == "refresh" or mistakes.get("expire_on_commit", False)
    sessions = async_sessionmaker(engine, expire_on_commit=expire)
    if mistakes.get("separate_engine"):
        # The lifespan creates the tables through an engine of its own: another database.
        schema_engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    else:
        schema_engine = engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if style == "router":
            app.state.engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
            app.state.sessions = async_sessionmaker(app.state.engine, expire_on_commit=False)
            async with app.state.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            yield
            await app.state.engine.dispose()
            return
        async with schema_engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()
        await schema_engine.dispose()

    shared: list[AsyncSession] = []

    async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
        if mistakes.get("global_session"):
            if not shared:
                shared.append(sessions())
            yield shared[0]
            return
        factory = request.app.state.sessions if style == "router" else sessions
        async with factory() as session:
            yield session
            if style == "commit-after-yield":
                await session.commit()

    SessionDep = Annotated[AsyncSession, Depends(get_session)]

    app = FastAPI() if mistakes.get("no_lifespan") else FastAPI(lifespan=lifespan)
    routes: Any = APIRouter(prefix="/users") if style == "router" else None
    prefix = "" if style == "router" else "/users"
    on = routes or app

    async def save(session: AsyncSession, users: list[UserRow], names: list[str]) -> None:
        """Write `users` in one transaction, or answer 409 naming the name that is taken."""
        if style == "begin":
            try:
                async with session.begin():
                    session.add_all(users)
            except IntegrityError:
                raise await conflict(session, names) from None
            return
        session.add_all(users)
        if mistakes.get("no_commit"):
            await session.flush()
            return
        if mistakes.get("no_commit_no_flush"):
            return
        try:
            if style == "commit-after-yield":
                await session.flush()
            else:
                await session.commit()
        except IntegrityError:
            if mistakes.get("not_caught"):
                raise
            if not mistakes.get("global_session"):
                await session.rollback()
            raise await conflict(session, names) from None
        if style == "refresh":
            for user in users:
                await session.refresh(user)

    async def conflict(session: AsyncSession, names: list[str]) -> HTTPException:
        if style == "commit-after-yield":
            await session.rollback()
        found = await session.scalars(select(UserRow.username).where(UserRow.username.in_(names)))
        taken = next(iter(found), None)
        if mistakes.get("vague_conflict"):
            return HTTPException(409, "Conflict")
        if taken is None:
            if mistakes.get("repeats_unnamed"):
                raise RuntimeError("no taken name found")
            taken = next(name for name in names if names.count(name) > 1)
        return HTTPException(400 if mistakes.get("status_400") else 409, f"{taken!r} is taken")

    async def find(session: AsyncSession, user_id: int) -> UserRow:
        if style == "execute":
            result = await session.execute(select(UserRow).where(UserRow.id == user_id))
            user = result.scalars().first()
        else:
            user = await session.get(UserRow, user_id)
        if user is None and not mistakes.get("unknown_none"):
            raise HTTPException(404, f"User {user_id} not found")
        return user  # type: ignore[return-value]  # None with unknown_none: the mistake

    status = 200 if mistakes.get("created_200") else 201

    if mistakes.get("returns_hash"):

        @on.post(prefix, status_code=status)
        async def create_user_with_hash(user_in: UserCreate, session: SessionDep):
            user = _row(user_in, await _hash(user_in.password))
            await save(session, [user], [user.username])
            return {c: getattr(user, c) for c in ("id", "username", "full_name", "password_hash")}

    else:

        @on.post(prefix, status_code=status)
        async def create_user(user_in: UserCreate, session: SessionDep) -> UserPublic:
            user = _row(user_in, await _hash(user_in.password))
            await save(session, [user], [user.username])
            return user

    @on.get(f"{prefix}/{{user_id}}")
    async def read_user(user_id: int, session: SessionDep) -> UserPublic:
        return await find(session, user_id)

    @on.delete(f"{prefix}/{{user_id}}", status_code=200 if mistakes.get("deleted_200") else 204)
    async def delete_user(user_id: int, session: SessionDep) -> None:
        if style == "begin":
            async with session.begin():
                await session.delete(await find(session, user_id))
            return
        user = await find(session, user_id)
        if mistakes.get("delete_not_awaited"):
            session.delete(user)  # the mistake: a coroutine, dropped
        else:
            await session.delete(user)
        if not mistakes.get("delete_not_committed"):
            await session.commit()

    def page_query(offset: int, limit: int) -> Any:
        order = UserRow.username if mistakes.get("by_name") else UserRow.id
        return select(UserRow).order_by(order).offset(offset).limit(limit)

    if style == "execute":

        @on.get(prefix)
        async def list_users_by_model(
            session: SessionDep, page: Annotated[Pagination, Query()]
        ) -> list[UserPublic]:
            result = await session.execute(page_query(page.offset, page.limit))
            if mistakes.get("rows"):
                return list(result)
            return list(result.scalars())

    else:
        offset_type: Any = Annotated[int, Query(ge=0, le=10_000)]
        if mistakes.get("no_offset_bound"):
            offset_type = Annotated[int, Query(ge=0)]
        if mistakes.get("no_bounds"):
            offset_type = int
        limit_type: Any = int if mistakes.get("no_bounds") else Annotated[int, Query(ge=1, le=100)]
        default_limit = 20 if mistakes.get("default_20") else 10

        @on.get(prefix)
        async def list_users(
            session: SessionDep, offset: offset_type = 0, limit: limit_type = default_limit
        ) -> Any:
            users = list(await session.scalars(page_query(offset, limit)))
            if mistakes.get("wrapped"):
                return {
                    "items": [UserPublic.model_validate(u, from_attributes=True) for u in users]
                }
            return [UserPublic.model_validate(user, from_attributes=True) for user in users]

    @on.post(f"{prefix}/batch", status_code=status)
    async def create_users(users_in: list[UserCreate], session: SessionDep) -> list[UserPublic]:
        names = [user_in.username for user_in in users_in]
        if style == "execute":
            # A SELECT first names the taken one; the constraint still decides at commit.
            if len(set(names)) < len(names):
                raise _taken(next(name for name in names if names.count(name) > 1))
            existing = await session.scalar(
                select(func.count()).select_from(UserRow).where(UserRow.username.in_(names))
            )
            if existing:
                found = await session.scalars(
                    select(UserRow.username).where(UserRow.username.in_(names))
                )
                raise _taken(found.first())
        users = [_row(user_in, await _hash(user_in.password)) for user_in in users_in]
        if mistakes.get("dedupe"):
            users = list({user.username: user for user in users}.values())
        if mistakes.get("commit_per_user"):
            for user in users:
                await save(session, [user], [user.username])
            return users
        if style == "execute":
            for user in users:
                session.add(user)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise _taken(names[0]) from None
            return users
        await save(session, users, names)
        return users

    if routes is not None:
        app.include_router(routes)
    return app


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    # The exercise's setup cell starts with the catch-up app; unsolved, `app` stays that.
    exc = failure(checker, checkpoint("06"))
    assert exc.hint == lesson07._CATCH_UP
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_empty_app_fails_kindly(checker) -> None:
    exc = failure(checker, FastAPI())
    assert exc.got == '404 {"detail":"Not Found"}'
    assert exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_solution_passes_every_check_twice(checker) -> None:
    app = users_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("style", ["begin", "commit-after-yield", "refresh", "execute", "router"])
def test_another_correct_style_passes(checker, style: str) -> None:
    checker(users_app(style))


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_07_passes_twice(checker) -> None:
    if "07" not in FEATURES_ADDED_BY:
        pytest.skip("checkpoint 07 is not wired yet")
    app = checkpoint("07")
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


# Any task: the database itself ---------------------------------------------------------------


def test_an_app_without_its_lifespan_has_no_tables() -> None:
    exc = failure(lesson07.users_table, users_app(no_lifespan=True))
    assert "no such table: users" in exc.got
    assert "FastAPI(lifespan=lifespan)" in exc.hint


@pytest.mark.parametrize("mistake", ["null_pool", "separate_engine"])
def test_a_new_database_per_connection_is_named(mistake: str) -> None:
    exc = failure(lesson07.users_table, users_app(**{mistake: True}))
    assert exc.got.startswith("OperationalError: (sqlite3.OperationalError) no such table: users")
    assert "StaticPool" in exc.hint
    assert "same `engine`" in exc.hint


def test_an_engine_without_a_poolclass_shares_one_database() -> None:
    # Not a mistake on SQLAlchemy 2.1: aiosqlite in memory picks StaticPool by itself.
    lesson07.users_table(users_app(default_pool=True))


@pytest.mark.parametrize(
    "checker", [lesson07.users_table, lesson07.team_signup], ids=lambda c: c.__name__
)
def test_an_expired_row_read_after_commit_is_explained(checker) -> None:
    exc = failure(checker, users_app(expire_on_commit=True))
    assert "MissingGreenlet" in exc.got
    assert "expire_on_commit=False" in exc.hint


# Task 1 ------------------------------------------------------------------------------------


def test_a_user_never_committed_is_not_found_again() -> None:
    exc = failure(lesson07.users_table, users_app(no_commit=True))
    assert exc.problem.startswith("Reading the user just created")
    assert exc.got.startswith("404 ")
    assert "await session.commit()" in exc.hint


def test_a_user_neither_committed_nor_flushed_has_no_id() -> None:
    exc = failure(lesson07.users_table, users_app(no_commit_no_flush=True))
    assert "valid integer" in exc.got
    assert "await session.commit()" in exc.hint


def test_a_hash_in_the_answer_is_caught() -> None:
    exc = failure(lesson07.users_table, users_app(returns_hash=True))
    assert exc.problem == "POST /users shows the password or its hash."
    assert "UserPublic" in exc.hint


def test_a_delete_not_awaited_is_named() -> None:
    exc = failure(lesson07.users_table, users_app(delete_not_awaited=True))
    assert "AsyncSession.delete() without `await`" in exc.problem
    assert AWAIT in exc.hint


def test_a_delete_not_committed_is_caught() -> None:
    exc = failure(lesson07.users_table, users_app(delete_not_committed=True))
    assert exc.problem.startswith("After DELETE")
    assert "await session.commit()" in exc.hint


@pytest.mark.parametrize(("mistake", "status"), [("created_200", 201), ("deleted_200", 204)])
def test_the_status_codes_are_judged(mistake: str, status: int) -> None:
    exc = failure(lesson07.users_table, users_app(**{mistake: True}))
    assert exc.problem.endswith(f"should answer {status}.")
    assert f"status_code={status}" in exc.hint


def test_none_for_an_unknown_user_is_caught() -> None:
    exc = failure(lesson07.users_table, users_app(unknown_none=True))
    assert exc.sent == "GET /users/999999999"
    assert "HTTPException(404" in exc.hint


# Task 2 ------------------------------------------------------------------------------------


def test_an_integrity_error_not_caught_is_a_500() -> None:
    exc = failure(lesson07.taken_username, users_app(not_caught=True))
    assert exc.problem == "a second user with a taken username made your app raise IntegrityError."
    assert exc.got.startswith("IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed")
    assert "catch IntegrityError" in exc.hint.replace("Catch", "catch")
    assert "await session.rollback()" in exc.hint


def test_a_session_shared_by_every_request_is_named() -> None:
    exc = failure(lesson07.taken_username, users_app(global_session=True))
    assert exc.got.startswith("PendingRollbackError")
    assert "one session per request" in exc.hint
    assert "await session.rollback()" in exc.hint


def test_a_400_instead_of_a_409_is_caught() -> None:
    exc = failure(lesson07.taken_username, users_app(status_400=True))
    assert exc.problem == "A second user with a taken username should answer 409."
    assert "HTTPException(409" in exc.hint


def test_a_409_that_does_not_name_the_user_is_caught() -> None:
    exc = failure(lesson07.taken_username, users_app(vague_conflict=True))
    assert exc.problem.startswith("The 409 should say why in `detail`, mentioning 'grace_")


def test_the_select_first_answer_passes() -> None:
    # Racy under load, but its behaviour is right: the check judges behaviour.
    app = users_app("execute")
    lesson07.taken_username(app)


# Task 3 ------------------------------------------------------------------------------------


def test_no_upper_bound_lets_2_to_the_63_reach_sqlite() -> None:
    exc = failure(lesson07.pages, users_app(no_offset_bound=True))
    assert (
        exc.problem == "an offset of 2**63 reached the database, and your app raised OverflowError."
    )
    assert exc.got == "OverflowError: Python int too large to convert to SQLite INTEGER"
    assert "le=10_000" in exc.hint


def test_a_negative_offset_is_refused() -> None:
    exc = failure(lesson07.pages, users_app(no_bounds=True))
    assert exc.problem == "A negative offset, GET /users?offset=-1, should answer 422."
    assert "Query(ge=0, le=10_000)" in exc.hint


def test_an_order_by_name_is_caught() -> None:
    exc = failure(lesson07.pages, users_app(by_name=True))
    assert exc.problem == "the users should come in id order, each once."
    assert ".order_by(UserRow.id)" in exc.hint


def test_a_default_limit_other_than_10_is_caught() -> None:
    exc = failure(lesson07.pages, users_app(default_20=True))
    assert exc.problem == "the default of `limit` should be 10, not 20."


def test_an_object_around_the_list_is_caught() -> None:
    exc = failure(lesson07.pages, users_app(wrapped=True))
    assert exc.problem.startswith("the answer should be a JSON array of users")


def test_rows_instead_of_users_are_explained() -> None:
    exc = failure(lesson07.pages, users_app("execute", rows=True))
    assert ".scalars()" in exc.hint


# Task 4 ------------------------------------------------------------------------------------


def test_a_commit_per_user_is_caught() -> None:
    exc = failure(lesson07.team_signup, users_app(commit_per_user=True))
    assert "should not exist" in exc.problem
    assert "one transaction" in exc.hint
    assert "one `await session.commit()`" in exc.hint


def test_a_name_given_twice_must_not_crash_the_app() -> None:
    exc = failure(lesson07.team_signup, users_app(repeats_unnamed=True))
    assert exc.got == "RuntimeError: no taken name found"


def test_a_name_given_twice_must_not_be_signed_up_once() -> None:
    exc = failure(lesson07.team_signup, users_app(dedupe=True))
    assert exc.problem == "A batch that gives one new username twice should answer 409."
    assert "repeats in the batch itself" in exc.hint


def test_an_integrity_error_in_a_batch_is_a_500() -> None:
    exc = failure(lesson07.team_signup, users_app(not_caught=True))
    assert exc.problem == "a batch with a taken username made your app raise IntegrityError."
    assert "await session.rollback()" in exc.hint


def test_a_batch_answering_200_is_caught() -> None:
    exc = failure(lesson07.team_signup, users_app(created_200=True))
    # POST /users answers 200 too, but the batch is the first thing this check creates
    assert exc.problem == "Signing up a team of two new users should answer 201."


# The solution's own cells, run as a notebook runs them ---------------------------------------

SOLUTION = nbformat.read(ROOT / "solutions" / "07_databases.ipynb", as_version=4)
CELLS = {cell.id: cell.source for cell in SOLUTION.cells if cell.cell_type == "code"}
SETUP, DATABASE, ROUTES = CELLS["07-001"], CELLS["07-003"], CELLS["07-004"]
# Task 1's routes before Task 2: the commit without its try/except.
COMMIT_ONLY = "    await session.commit()\n"
CONFLICT = ROUTES[ROUTES.index("    # Task 2") : ROUTES.index("    return user\n")]
ROUTES_BEFORE_TASK_2 = ROUTES.replace(CONFLICT, COMMIT_ONLY)
# Task 2 done by running only a new create_user, without the line that builds a fresh app.
CREATE_USER_AGAIN = ROUTES[ROUTES.index('@app.post("/users"') : ROUTES.index("async def find_user")]


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A notebook's namespace after its setup cell: cells run at its top level."""
    namespace = ModuleType("learner_notebook")
    monkeypatch.setitem(sys.modules, namespace.__name__, namespace)
    exec(SETUP, namespace.__dict__)
    return namespace


def test_the_solutions_cells_pass_every_check(notebook: ModuleType) -> None:
    for cell in SOLUTION.cells:
        if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
            exec(cell.source, notebook.__dict__)
    for checker in ALL_CHECKS:
        checker(notebook.app)


def test_task_2_done_by_running_task_1s_cell_again(notebook: ModuleType) -> None:
    assert ROUTES_BEFORE_TASK_2 != ROUTES
    exec(DATABASE, notebook.__dict__)
    exec(ROUTES_BEFORE_TASK_2, notebook.__dict__)
    lesson07.users_table(notebook.app)
    exc = failure(lesson07.taken_username, notebook.app)
    assert exc.got.startswith("IntegrityError")
    # Only the function run again, on the same app: the first route still answers.
    exec(CREATE_USER_AGAIN, notebook.__dict__)
    exc = failure(lesson07.taken_username, notebook.app)
    assert "an earlier version of `create_user` answered" in exc.problem
    assert "Restart the kernel" in exc.hint
    # Task 1's cell run again, as the task says: a fresh app, with the new route.
    exec(ROUTES, notebook.__dict__)
    lesson07.taken_username(notebook.app)


def test_routes_added_to_the_catch_up_app_are_named(notebook: ModuleType) -> None:
    exec(DATABASE, notebook.__dict__)
    exec(ROUTES.replace("app = FastAPI(lifespan=lifespan)\n", ""), notebook.__dict__)
    exc = failure(lesson07.users_table, notebook.app)
    assert exc.hint == lesson07._CATCH_UP
