"""Taskboard's GraphQL schema and the router that serves it at `POST /graphql` (lesson 11).

Each resolver does what the matching REST route does, with the same store and models: the rules
(validation, who sees which task, what a write announces) live there, once. Reading wants a token
that allows `tasks:read`, writing one that allows `tasks:write`; another user's task is not
found, exactly as in REST.
"""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter
from strawberry.fastapi import GraphQLRouter
from strawberry.types import ExecutionContext

from taskboard.graphql.context import READ, WRITE, get_context
from taskboard.graphql.errors import ErrorsForTheClient, is_unexpected, user_input
from taskboard.graphql.types import Info, Task, TaskChanges, TaskInput
from taskboard.models import TaskCreate, TaskFilters, TaskStatus, TaskUpdate

logger = logging.getLogger(__name__)

# Bounds on one request's size, checked before anything runs: a query may ask for the same
# field many times under other names (aliases), each a call to the store.
MAX_ALIASES = 15
MAX_TOKENS = 2_000


@strawberry.type
class Query:
    @strawberry.field(
        description="Your tasks in the order they were created, filtered as GET /tasks filters "
        "them: one `status`, every one of the `label`s, at most `limit` (1 to 100)."
    )
    async def tasks(
        self,
        info: Info,
        status: TaskStatus | None = None,
        label: list[str] | None = None,
        limit: int = 10,
    ) -> list[Task]:
        store = info.context.store_for(READ)
        with user_input():
            filters = TaskFilters(status=status, label=label or [], limit=limit)
        return [Task.from_pydantic(task) for task in await store.list_tasks(filters)]

    @strawberry.field(description="One of your tasks, by id.")
    async def task(self, info: Info, id: int) -> Task | None:
        # Nullable: when it is not found, the error nulls this field alone, not the whole answer.
        store = info.context.store_for(READ)
        return Task.from_pydantic(await store.get(id))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a task, as POST /tasks does.")
    async def create_task(self, info: Info, task: TaskInput) -> Task:
        store = info.context.store_for(WRITE)
        await info.context.count_write()
        with user_input():
            # TaskCreate validates the whole input at once, so an error's `loc` is the full
            # path to the field (checklist.0.text), as in REST's 422.
            task_in = TaskCreate.model_validate(strawberry.asdict(task))
        return Task.from_pydantic(await store.create(task_in))

    @strawberry.mutation(description="Change one of your tasks, as PATCH /tasks/{task_id} does.")
    async def update_task(self, info: Info, id: int, changes: TaskChanges) -> Task:
        store = info.context.store_for(WRITE)
        await info.context.count_write()
        with user_input():
            update = TaskUpdate.model_validate(changes.sent())
        return Task.from_pydantic(await store.update(id, update.model_dump()))


class TaskboardSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error, with its traceback: a client's typo too. Only our own
        # failures are worth a log line, as only REST's 500s are.
        for error in errors:
            if is_unexpected(error):
                logger.error("GraphQL field %s failed", error.path, exc_info=error.original_error)


schema = TaskboardSchema(
    query=Query,
    mutation=Mutation,
    extensions=[
        ErrorsForTheClient,
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ],
)

router = GraphQLRouter(
    schema,
    prefix="/graphql",
    context_getter=get_context,
    # GraphiQL, the in-browser IDE Strawberry serves on GET, loads React and its own JavaScript
    # from a CDN (unpkg.com): without internet it is a blank page, and no package ships those
    # files for us to serve, as /docs does with Swagger UI's. So no IDE: clients POST queries.
    graphql_ide=None,
    # One way in, POST with a JSON body: a query in a URL lands in logs and browser history.
    allow_queries_via_get=False,
    # No subscriptions: the live board is lesson 10's WebSocket. Any socket here is refused.
    subscription_protocols=(),
    # Not in /openapi.json: OpenAPI could only describe one POST taking any JSON. The GraphQL
    # schema is this endpoint's contract, served to clients by introspection and held by
    # tests/taskboard/graphql.snapshot.graphql as the OpenAPI one is.
    include_in_schema=False,
)
