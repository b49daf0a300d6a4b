"""Lesson 11 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is built as the exercise builds it: Taskboard after lesson 10 with the learner's
Strawberry schema at /graphql. `learner(style, done, **mistakes)` writes it: the tasks done so
far (before Task 2 and Task 4, the exercise's first `store_for`, `owner_of` and `comments_of`
stand in), in the solution's way or another correct one, with the mistakes named turned on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
import strawberry
from fastapi import Depends, FastAPI, Request
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.dataloader import DataLoader
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.experimental import pydantic as from_pydantic
from strawberry.fastapi import GraphQLRouter

import course.checks
from course import checkpoint
from course.checks import checks_of, lesson11
from taskboard.api.deps import CurrentUser, StoreDep
from taskboard.graphql.context import Viewer, get_viewer
from taskboard.models import (
    CommentPublic,
    TaskCreate,
    TaskPublic,
    UserInDB,
    UserPublic,
)
from taskboard.store import Store, TaskNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("11")
# The catch-up of the exercise: Taskboard as lesson 10 left it (lesson 10 is written in parallel;
# until it lands, lesson 09's, which has the same store and tokens).
CATCH_UP = "10"
READ, WRITE = "tasks:read", "tasks:write"

# --- What the exercise gives ------------------------------------------------------------------


def given_store_for(info: strawberry.Info, scope: str) -> Store:
    return info.context["store"]


async def given_owner_of(info: strawberry.Info, task_id: int) -> UserInDB | None:
    return (await info.context["store"].owners_of([task_id])).get(task_id)


async def given_comments_of(info: strawberry.Info, task_id: int) -> list[CommentPublic]:
    return (await info.context["store"].comments_of([task_id])).get(task_id, [])


@dataclass
class Helpers:
    """The functions the resolvers call by name, as the notebook's globals."""

    store_for: Callable[[strawberry.Info, str], Store] = given_store_for
    owner_of: Callable[..., Any] = given_owner_of
    comments_of: Callable[..., Any] = given_comments_of


def learner(
    style: str = "solution", done: int = 4, catch_up: str = CATCH_UP, **mistakes: bool
) -> FastAPI:
    """The learner's app after `done` tasks, in `style`, with the mistakes named.

    Styles, each correct and unlike the solution in one way or more:
    - "solution": the solution notebook's way;
    - "other": types made from the Pydantic models (Strawberry's Pydantic integration),
      resolvers that return the store's models as they are, the input validated with
      `model_validate`, StrawberryGraphQLError, a synchronous context getter, and the
      DataLoaders made by a dependency of their own.
    """
    on = mistakes.get
    helpers = Helpers()

    # --- Task 1: types, the context, the queries -----------------------------------------
    if style == "other":

        @from_pydantic.type(model=UserPublic, name="User")
        class User:
            id: strawberry.auto
            username: strawberry.auto
            full_name: strawberry.auto

        @from_pydantic.type(model=CommentPublic, name="Comment")
        class Comment:
            text: strawberry.auto
            kind: strawberry.auto

    else:

        @strawberry.type
        class User:  # type: ignore[no-redef]
            id: int
            username: str
            full_name: str | None
            if on("password_hash"):
                password_hash: str

        @strawberry.type
        class Comment:  # type: ignore[no-redef]
            text: str

    def user_of(user: UserInDB) -> Any:
        if style == "other":
            return User.from_pydantic(user)
        if on("password_hash"):
            return User(  # type: ignore[call-arg]
                id=user.id,
                username=user.username,
                full_name=user.full_name,
                password_hash=user.password_hash,
            )
        return User(id=user.id, username=user.username, full_name=user.full_name)

    @strawberry.type
    class Task:
        id: int
        title: str
        status: str
        if not on("no_priority"):
            priority: int

        @strawberry.field
        async def owner(self, info: strawberry.Info) -> User | None:
            user = await helpers.owner_of(info, self.id)
            return None if user is None else user_of(user)

        @strawberry.field
        async def comments(self, info: strawberry.Info) -> list[Comment]:
            found = await helpers.comments_of(info, self.id)
            if style == "other":
                return [Comment.from_pydantic(comment) for comment in found]
            return [Comment(text=comment.text) for comment in found]

    def task_of(task: TaskPublic) -> Any:
        if style == "other":
            return task  # Strawberry reads the fields off any object that has them
        return Task(id=task.id, title=task.title, status=task.status, priority=task.priority)

    @strawberry.type
    class Query:
        @strawberry.field
        async def tasks(self, info: strawberry.Info) -> list[Task]:
            store = (
                info.context["store"] if on("unguarded_reads") else helpers.store_for(info, READ)
            )
            return [task_of(task) for task in await store.list_tasks()]

        if on("non_null_task"):

            @strawberry.field
            async def task(self, info: strawberry.Info, id: int) -> Task:
                return task_of(await helpers.store_for(info, READ).get(id))

        else:

            @strawberry.field
            async def task(self, info: strawberry.Info, id: int) -> Task | None:
                store = helpers.store_for(info, READ)
                if on("none_when_missing"):
                    try:
                        return task_of(await store.get(id))
                    except TaskNotFound:
                        return None
                return task_of(await store.get(id))

    # --- Task 2: who may --------------------------------------------------------------------
    error_class = StrawberryGraphQLError if style == "other" else GraphQLError

    def store_for(info: strawberry.Info, scope: str) -> Store:
        viewer: Viewer = info.context["viewer"]
        unauthenticated = {"code": "FORBIDDEN" if on("one_code") else "UNAUTHENTICATED"}
        if on("no_codes"):
            unauthenticated = {}
        if viewer.user is None:
            message = "Please log in first" if on("own_message") else viewer.refused
            raise error_class(message, extensions=unauthenticated)
        if scope not in viewer.scopes and not on("no_scope_check"):
            raise error_class(
                f"The token does not allow {scope}",
                extensions={} if on("no_codes") else {"code": "FORBIDDEN"},
            )
        return info.context["store"]

    if done >= 2:
        helpers.store_for = store_for

    # --- Task 3: the mutation --------------------------------------------------------------
    @strawberry.input
    class TaskInput:
        title: str
        priority: int = 3

    def validated(task: TaskInput) -> TaskCreate:
        if on("no_validation"):
            return TaskCreate.model_construct(title=task.title, priority=task.priority)
        if on("raw_validation_error"):
            return TaskCreate(title=task.title, priority=task.priority)
        try:
            if style == "other":
                return TaskCreate.model_validate(strawberry.asdict(task))
            return TaskCreate(title=task.title, priority=task.priority)
        except ValidationError as error:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
            raise error_class(
                f"Invalid input: {fields}", extensions={"code": "BAD_USER_INPUT"}
            ) from None

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        async def create_task(self, info: strawberry.Info, task: TaskInput) -> Task:
            if on("unguarded_mutation"):
                store = info.context["store"]
            else:
                store = helpers.store_for(info, READ if on("read_scope_for_write") else WRITE)
            return task_of(await store.create(validated(task)))

    # --- Task 4: DataLoaders, in the context of Task 1 ---------------------------------------
    use_loaders = done >= 4 and not on("n_plus_one")
    shared: dict[str, DataLoader[int, Any]] = {}

    def loaders_for(store: Store) -> dict[str, DataLoader[int, Any]]:
        if not use_loaders:
            return {}
        if on("global_loaders") and shared:
            return shared

        async def load_owners(task_ids: list[int]) -> list[UserInDB | None]:
            found = await store.owners_of(task_ids)
            return [found.get(task_id) for task_id in task_ids]

        async def load_comments(task_ids: list[int]) -> list[list[CommentPublic]]:
            found = await store.comments_of(task_ids)
            if on("unordered_loader"):
                return [found[task_id] for task_id in sorted(found, reverse=True)]
            return [found.get(task_id, []) for task_id in task_ids]

        shared["owners"] = DataLoader(load_fn=load_owners)
        shared["comments"] = DataLoader(load_fn=load_comments)
        return dict(shared)

    async def get_context(
        viewer: Annotated[Viewer, Depends(get_viewer)], store: StoreDep
    ) -> dict[str, Any]:
        return {"viewer": viewer, "store": store, **loaders_for(store)}

    if on("store_first"):

        async def get_context(  # type: ignore[no-redef]
            store: StoreDep, viewer: Annotated[Viewer, Depends(get_viewer)]
        ) -> dict[str, Any]:
            return {"viewer": viewer, "store": store, **loaders_for(store)}

    if on("app_store"):

        async def get_context(  # type: ignore[no-redef]
            request: Request, viewer: Annotated[Viewer, Depends(get_viewer)]
        ) -> dict[str, Any]:
            store = request.app.state.store
            return {"viewer": viewer, "store": store, **loaders_for(store)}

    if on("current_user"):

        async def get_context(  # type: ignore[no-redef]
            user: CurrentUser, store: StoreDep
        ) -> dict[str, Any]:
            viewer = Viewer(user=user, scopes=frozenset({READ, WRITE}))
            return {"viewer": viewer, "store": store, **loaders_for(store)}

    if style == "other":
        # Synchronous, and the DataLoaders from a dependency of their own.
        async def get_loaders(store: StoreDep) -> dict[str, DataLoader[int, Any]]:
            return loaders_for(store)

        def get_context(  # type: ignore[no-redef]
            viewer: Annotated[Viewer, Depends(get_viewer)],
            store: StoreDep,
            loaders: Annotated[dict[str, DataLoader[int, Any]], Depends(get_loaders)],
        ) -> dict[str, Any]:
            return dict(viewer=viewer, store=store, **loaders)

    async def owner_of(info: strawberry.Info, task_id: int) -> UserInDB | None:
        return await info.context["owners"].load(task_id)

    async def comments_of(info: strawberry.Info, task_id: int) -> list[CommentPublic]:
        return await info.context["comments"].load(task_id)

    if use_loaders:
        helpers.owner_of, helpers.comments_of = owner_of, comments_of

    schema = strawberry.Schema(query=Query, mutation=Mutation if done >= 3 else None)
    app = checkpoint(catch_up)
    app.include_router(GraphQLRouter(schema, context_getter=get_context), prefix="/graphql")
    return app


# --- Every task ---------------------------------------------------------------------------------


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker: Any) -> None:
    # Unsolved, `app` stays the catch-up app: no /graphql at all.
    exc = failure(checker, checkpoint(CATCH_UP))
    assert exc.got == '404 {"detail":"Not Found"}'
    assert 'prefix="/graphql"' in exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("style", ["solution", "other"])
def test_correct_answers_pass_every_check_twice(
    style: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = learner(style)
    for checker in ALL_CHECKS:
        checker(app)
        checker(app)  # and again, as a learner re-running the cell
    out = capsys.readouterr()
    assert "could not delete" not in out.out
    assert "Traceback" not in out.err  # Strawberry's logging of the errors provoked stays quiet


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_11_passes_and_deletes_what_it_made(
    checker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = checkpoint("11")
    checker(app)
    checker(app)
    assert "could not delete" not in capsys.readouterr().out


def test_each_task_passes_once_done_and_the_next_one_fails_with_its_hint() -> None:
    for done, (checker, hint) in enumerate(
        [
            (lesson11.who_may_read, "In `store_for`, refuse before giving the store"),
            (lesson11.create_task, "Give the schema a `Mutation` type"),
            (lesson11.no_n_plus_one, "Create two DataLoaders in `get_context`"),
        ],
        start=1,
    ):
        app = learner(done=done)
        for passed in ALL_CHECKS[:done]:
            passed(app)
        assert hint in failure(checker, app).hint, checker.__name__


def test_the_checks_hash_few_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 takes about 0.1 s in a notebook: only the sign-ups hash; tokens are made directly.
    from taskboard.core import security

    calls: list[str] = []
    hasher = security._password_hash

    class Counted:
        def __getattr__(self, name: str) -> Any:
            return getattr(hasher, name)

        def hash(self, *args: Any, **kwargs: Any) -> str:
            calls.append("hash")
            return hasher.hash(*args, **kwargs)

    monkeypatch.setattr(security, "_password_hash", Counted())
    app = learner()
    for checker in ALL_CHECKS:
        checker(app)
    assert len(calls) == 5  # Ada and Grace for Task 1, Ada for each other task


# --- Task 1: types and queries ------------------------------------------------------------------


def test_a_store_made_before_the_viewer_waits_forever_for_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SQLite in memory has one connection: the request's store holds it, and `get_viewer`,
    # solved after it, waits for it to look the user up. (PostgreSQL would leak instead.)
    monkeypatch.setattr(course.checks, "REQUEST_TIMEOUT", 1)
    exc = failure(lesson11.board, learner(store_first=True))
    assert exc.problem == "your app did not answer within 1 seconds."
    assert "declare the viewer before the store" in exc.hint
    assert "restart the kernel" in exc.hint


def test_the_apps_own_store_leaks_too() -> None:
    exc = failure(lesson11.board, learner(app_store=True))
    assert exc.problem == "Ada's `tasks` lists Grace's task: each user must see only their own."
    assert "`request.app.state`" in exc.hint


def test_a_missing_task_answered_with_null_and_no_error_is_caught() -> None:
    exc = failure(lesson11.board, learner(none_when_missing=True))
    assert "should fail, with an error in `errors`" in exc.problem
    assert exc.got == '{"data": {"task": null}}'
    assert "Let the store's `TaskNotFound` go" in exc.hint


def test_a_non_null_task_that_nulls_the_whole_answer_is_caught() -> None:
    exc = failure(lesson11.board, learner(non_null_task=True))
    assert "null the field `task` alone" in exc.problem
    assert "`-> Task | None`" in exc.hint


def test_a_password_hash_in_the_schema_is_caught() -> None:
    exc = failure(lesson11.board, learner(password_hash=True))
    assert exc.problem == ("your schema has a field that gives a password away: User.passwordHash.")
    assert "Never the `password_hash`" in exc.hint


def test_a_missing_field_is_named_in_the_words_of_graphql() -> None:
    exc = failure(lesson11.board, learner(no_priority=True))
    assert exc.problem == "Ada's query of `tasks` answered an error instead of data."
    assert "Cannot query field 'priority' on type 'Task'." in exc.hint
    assert "every field the task lists" in exc.hint


# --- Task 2: who may read ---------------------------------------------------------------------


def test_a_context_that_answers_401_itself_is_caught() -> None:
    exc = failure(lesson11.who_may_read, learner(current_user=True))
    assert exc.got == '401 {"detail":"Not authenticated"}'
    assert "Depend on `get_viewer`" in exc.hint


def test_reads_that_skip_store_for_are_caught() -> None:
    exc = failure(lesson11.who_may_read, learner(unguarded_reads=True))
    assert exc.problem == "`tasks` without a token should fail, with an error in `errors`."
    assert "Every resolver must get its store from `store_for(info, ...)`" in exc.hint


def test_a_token_without_the_read_scope_that_still_reads_is_caught() -> None:
    exc = failure(lesson11.who_may_read, learner(no_scope_check=True))
    assert exc.problem == (
        "`tasks` with a token for tasks:write only should fail, with an error in `errors`."
    )
    assert "a scope the token does not allow" in exc.hint


def test_errors_without_a_code_are_caught() -> None:
    exc = failure(lesson11.who_may_read, learner(no_codes=True))
    assert exc.problem == "the error should carry the code 'UNAUTHENTICATED' in `extensions`."
    assert 'extensions={"code": "UNAUTHENTICATED"}' in exc.hint


def test_one_code_for_every_refusal_is_caught() -> None:
    exc = failure(lesson11.who_may_read, learner(one_code=True))
    assert exc.problem == "the error should carry the code 'UNAUTHENTICATED' in `extensions`."
    assert exc.expected == '"extensions": {"code": "UNAUTHENTICATED"}'
    assert "a client branches on the code" in exc.hint


def test_a_message_of_ones_own_is_caught_and_the_viewers_named() -> None:
    exc = failure(lesson11.who_may_read, learner(own_message=True))
    assert exc.problem == (
        "`tasks` without a token should fail with an error whose message mentions "
        "'Not authenticated'."
    )
    assert "GraphQLError(viewer.refused" in exc.hint


# --- Task 3: the mutation -----------------------------------------------------------------------


def test_a_mutation_without_a_token_check_is_caught() -> None:
    exc = failure(lesson11.create_task, learner(unguarded_mutation=True))
    assert exc.problem == "`createTask` without a token should fail, with an error in `errors`."
    assert 'store_for(info, "tasks:write")' in exc.hint


def test_a_mutation_that_checks_the_read_scope_is_caught() -> None:
    exc = failure(lesson11.create_task, learner(read_scope_for_write=True))
    assert exc.problem == (
        "`createTask` with a token for tasks:read only should create nothing, and Ada has the "
        "task 'Created with a token for tasks:read only' now."
    )
    assert 'store_for(info, "tasks:write")' in exc.hint


def test_an_input_never_validated_is_caught() -> None:
    exc = failure(lesson11.create_task, learner(no_validation=True))
    # The database kept the task TaskCreate would refuse: reading the board now fails.
    assert exc.problem == (
        '`createTask` with {"title": ""} saved a task that Taskboard\'s models refuse: reading '
        "Ada's tasks now raises ValidationError."
    )
    assert "`TaskCreate(title=..., priority=...)`" in exc.hint


def test_a_validation_error_left_as_it_is_has_no_code() -> None:
    exc = failure(lesson11.create_task, learner(raw_validation_error=True))
    assert exc.problem == "the error should carry the code 'BAD_USER_INPUT' in `extensions`."
    assert 'extensions={"code": "BAD_USER_INPUT"}' in exc.hint


# --- Task 4: DataLoaders ------------------------------------------------------------------------


def test_n_plus_one_is_counted() -> None:
    exc = failure(lesson11.no_n_plus_one, learner(n_plus_one=True))
    assert exc.problem.startswith("Ada's query took ")
    assert "a few more for every task, the N+1 problem." in exc.problem
    assert "Create two DataLoaders in `get_context`, new for each request" in exc.hint


def test_dataloaders_shared_by_every_request_are_caught() -> None:
    exc = failure(lesson11.no_n_plus_one, learner(global_loaders=True))
    assert "the DataLoader answered from what it loaded for an earlier request" in exc.problem
    assert "so each request gets new ones" in exc.hint


def test_a_loader_that_answers_out_of_order_is_caught() -> None:
    exc = failure(lesson11.no_n_plus_one, learner(unordered_loader=True))
    assert exc.problem == "each task should come with its own owner and comments."
    assert "in the order of the keys" in exc.hint


def test_an_app_without_a_database_cannot_be_counted() -> None:
    # The first lessons' store is in memory: nothing to count, and the check says so.
    exc = failure(lesson11.no_n_plus_one, learner(catch_up="06"))
    assert "keeps its tasks in memory" in exc.problem
    assert "whose store is a database" in exc.hint
