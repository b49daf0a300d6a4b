"""What the resolvers of one GraphQL request get as `info.context` (lesson 11), built by FastAPI.

`get_context` is an ordinary FastAPI dependency, with dependencies of its own: `get_viewer` reads
the token as the REST routes' guard does (one copy of the rules, `authenticate`), and the store
comes from `get_store`, the REST routes' `StoreDep`. So a GraphQL request sees exactly the tasks
the same token sees through REST, and its writes go through the same store, which announces them
(taskboard/events.py).

Unlike the REST guard, `get_viewer` does not answer 401 by itself: a query may ask for fields
that need no token (`__typename`, the schema), and GraphQL reports a refusal as an error of the
fields that need one, in its own answer. Resolvers get the store through `store_for(scope)`, which
refuses the request unless its token allows the scope: no resolver can reach the store without
that check.
"""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from taskboard.api.deps import SettingsDep, StoreDep, authenticate
from taskboard.core.rate_limits import WriteLimits
from taskboard.core.security import InvalidToken
from taskboard.graphql.errors import NotAllowed, NotAuthenticated, TooManyWrites
from taskboard.models import CommentPublic, UserInDB
from taskboard.store import Store

READ = "tasks:read"
WRITE = "tasks:write"


@dataclass(frozen=True)
class Viewer:
    """Who sent the request: a user and the scopes of their token, or why nobody."""

    user: UserInDB | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    refused: str = "Not authenticated"


async def get_viewer(connection: HTTPConnection, settings: SettingsDep) -> Viewer:
    """The user of the `Authorization: Bearer <token>` header, kept where `get_store` looks."""
    scheme, token = get_authorization_scheme_param(connection.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        return Viewer()
    try:
        async with connection.app.state.store.transaction() as store:
            user, claims = await authenticate(store, token, settings)
    except InvalidToken as error:
        return Viewer(refused=str(error))
    connection.state.user = user
    return Viewer(user=user, scopes=claims.scopes)


class Context(BaseContext):
    """The viewer, their store, and the request's DataLoaders."""

    def __init__(self, viewer: Viewer, store: Store, connection: HTTPConnection) -> None:
        super().__init__()
        self.viewer = viewer
        self._store = store
        self._connection = connection
        # One of each per request: a DataLoader caches what it loaded, which must never reach
        # another user's request.
        self.comments_of = DataLoader(load_fn=self._load_comments)
        self.owner_of = DataLoader(load_fn=self._load_owners)

    def store_for(self, scope: str) -> Store:
        """The viewer's store, if their token allows `scope`; else the field fails, and says why."""
        if self.viewer.user is None:
            raise NotAuthenticated(self.viewer.refused)
        if scope not in self.viewer.scopes:
            raise NotAllowed(scope)
        return self._store

    async def count_write(self) -> None:
        """Count a mutation against the user's write allowance, shared with the REST routes
        (lesson 12), when the app limits writes; past it, the mutation fails and says why."""
        limits: WriteLimits | None = getattr(self._connection.app.state, "write_limits", None)
        if limits is None:
            return
        seconds = await limits.seconds_until_write(self._connection)
        if seconds:
            raise TooManyWrites(limits.refusal(seconds), seconds)

    # A DataLoader gathers the keys of every `load(key)` made while the resolvers of one level
    # run, then calls its function once with all of them: it answers in the same order. They
    # use the store without `store_for`: only a task's fields load, and a task is only ever
    # given to a viewer whose token allowed reading it.

    async def _load_comments(self, task_ids: list[int]) -> list[list[CommentPublic]]:
        found = await self._store.comments_of(task_ids)
        return [found.get(task_id, []) for task_id in task_ids]

    async def _load_owners(self, task_ids: list[int]) -> list[UserInDB | None]:
        found = await self._store.owners_of(task_ids)
        return [found.get(task_id) for task_id in task_ids]


# The viewer first: FastAPI solves a function's dependencies in the order of its parameters, and
# `get_store` gives a store that sees only the user's tasks once `get_viewer` has found them.
# (The store first would see every task; and on SQLite in memory it would hold the one
# connection that `get_viewer`, after it, waits for to look the user up: forever.)
async def get_context(
    viewer: Annotated[Viewer, Depends(get_viewer)], store: StoreDep, connection: HTTPConnection
) -> Context:
    return Context(viewer, store, connection)
