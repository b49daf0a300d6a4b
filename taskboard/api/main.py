"""Taskboard's features, in the order an app is built from them (see taskboard/core/features.py).

One feature per concern, each with its routers (one per resource, as in the FastAPI full-stack
template) and whatever else it needs. `create_app` uses them all; a deployment may use fewer.
"""

from typing import Any

from fastapi import Depends
from fastapi.exceptions import RequestValidationError
from starlette.middleware import Middleware

from taskboard.api.deps import (
    CAN_READ_TASKS,
    CAN_WRITE_TASKS,
    NOT_SIGNED_IN,
    SCOPE_MISSING,
    SIGNED_IN,
    require_api_key,
)
from taskboard.api.routes import (
    auth,
    board,
    checklist,
    comments,
    docs,
    export,
    files,
    health,
    labels,
    links,
    live,
    stats,
    tasks,
    users,
)
from taskboard.core.cache import StatsCache, stats_cache_lifespan
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.core.http import http_client_lifespan
from taskboard.core.logs import AccessLogMiddleware
from taskboard.core.middleware import middleware_stack, server_error_handler
from taskboard.core.rate_limits import WriteLimits, limit_writes, write_limits_lifespan
from taskboard.db.lifespan import database_lifespan, database_store
from taskboard.errors import (
    conflict_handler,
    forbidden_handler,
    method_not_allowed_handler,
    not_found_handler,
    validation_error_handler,
)
from taskboard.graphql import router as graphql_router
from taskboard.live.lifespan import live_board_lifespan
from taskboard.models import ErrorMessage
from taskboard.store import Conflict, Forbidden, NotFound, Store


def _store(settings: Settings) -> dict[str, Store]:
    # One store per app, so two apps (or two tests) never share tasks.
    return {"store": Store.with_demo_data() if settings.demo_data else Store()}


# What /docs and /redoc show above the operations. The description is Markdown.
DESCRIPTION = """\
Create tasks, move them from `todo` to `done`, and sign up the people who do them.

Every error Taskboard raises itself answers `{"detail": "..."}`; a 422 also lists which input
was refused, and where.
"""

# A URL rather than an email: FastAPI logs a warning for an email unless email-validator is
# installed. Point it at your team's page.
CONTACT = {"name": "The Taskboard team", "url": "https://taskboard.example.com/support"}

# Reading the board: health, list, search and read tasks.
BOARD = Feature(
    name="board",
    routers=(health.router, tasks.router),
    services=_store,
    exception_handlers={NotFound: not_found_handler, 405: method_not_allowed_handler},
)

# Changing the board: create, change and delete tasks, and comment on them.
EDITING = Feature(
    name="editing", routers=(tasks.write_router, comments.write_router, comments.router)
)

# Signing up users. Their passwords never come back, not even inside a 422.
USERS = Feature(
    name="users",
    routers=(users.router,),
    exception_handlers={
        Conflict: conflict_handler,
        RequestValidationError: validation_error_handler,
    },
)

# The API described as a whole: what /docs shows above and between the operations.
API_DOCS = Feature(
    name="api-docs",
    docs={"summary": "A small team task tracker.", "description": DESCRIPTION, "contact": CONTACT},
    tags=(
        {"name": "tasks", "description": "Create, read, change and delete tasks."},
        {"name": "users", "description": "Sign up and look up users. Passwords never come back."},
        {"name": "health", "description": "For load balancers and uptime monitors."},
    ),
)

# /docs and /redoc with their JavaScript and CSS served by the app itself, so they work offline.
OFFLINE_DOCS = Feature(
    name="offline-docs",
    routers=(docs.router,),
    docs={"docs_url": None, "redoc_url": None},
)

CHECKLIST = Feature(
    name="checklist",
    routers=(checklist.router,),
    exception_handlers={Conflict: conflict_handler},
)

# Paths of the service Taskboard replaced, for clients that still call them.
LEGACY_PATHS = Feature(name="legacy-paths", routers=(health.legacy_router,))

LABELS = Feature(
    name="labels",
    routers=(labels.router,),
    tags=(
        {"name": "labels", "description": "The labels in use on tasks, and the tasks behind each."},
    ),
)

# Counts of the requests served, failed and in progress, at GET /stats. Its dependency runs
# on every route, and before API_KEY's, so refused requests count as failed.
REQUEST_STATS = Feature(
    name="request-stats",
    routers=(stats.router,),
    dependencies=(Depends(stats.count_request),),
    services=lambda settings: {"stats": stats.RequestStats()},
)

# An optional API key: when the settings hold one, every route but the health checks and the
# docs wants it in the X-API-Key header. Without one, the default, nothing changes.
API_KEY = Feature(name="api-key", dependencies=(Depends(require_api_key),))

# Files attached to tasks: uploaded within the app's max_file_bytes, listed, downloaded.
FILES = Feature(name="files", routers=(files.write_router, files.router))

# Every task as JSON Lines, streamed as it is read.
EXPORT = Feature(
    name="export",
    routers=(export.router,),
    tags=({"name": "export", "description": "Every task at once, streamed as JSON Lines."},),
)

# Outgoing HTTP: one client per app, opened and closed by the lifespan, and the route that uses
# it to check the links attached to a task's comments, all at once.
LINK_CHECKS = Feature(name="link-checks", routers=(links.router,), lifespan=http_client_lifespan)

# The board in a database (lesson 07): the same routes, another store behind StoreDep. The
# lifespan opens the engine, creates the schema (SQLite and tests; production runs Alembic's
# migrations) and disposes of the engine's connections at shutdown.
DATABASE = Feature(name="database", services=database_store, lifespan=database_lifespan)

# Users a page at a time, a team signed up in one transaction, and users deleted (lesson 07).
USER_DIRECTORY = Feature(
    name="user-directory", routers=(users.directory_router, users.account_router)
)

# Each router lesson 08 guards, its guard, and what the guard may answer (documented there too).
# The account routes answer 403 when a user deletes someone else (NotYourAccount).
_GUARDED = (
    (tasks.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (tasks.write_router, CAN_WRITE_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (comments.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (comments.write_router, CAN_WRITE_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (checklist.router, CAN_WRITE_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (labels.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (files.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (files.write_router, CAN_WRITE_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (export.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (links.router, CAN_READ_TASKS, NOT_SIGNED_IN | SCOPE_MISSING),
    (stats.router, SIGNED_IN, NOT_SIGNED_IN),
    (users.account_router, SIGNED_IN, NOT_SIGNED_IN | users.NOT_YOUR_ACCOUNT),
)

# Users log in for a token (lesson 08), and the routes of earlier lessons want one: tasks and
# everything on them with the scope tasks:read to read and tasks:write to change, /stats and
# deleting an account with any valid token. Each user sees and changes only their own tasks.
# Signing up, the user directory, the health checks and the docs stay public.
SECURITY = Feature(
    name="security",
    routers=(auth.router,),
    router_dependencies=tuple((router, [guard]) for router, guard, _ in _GUARDED),
    router_responses=tuple((router, responses) for router, _, responses in _GUARDED),
    exception_handlers={Forbidden: forbidden_handler},
    tags=(
        {
            "name": "auth",
            "description": "Log in for a token, and send it as `Authorization: Bearer <token>`.",
        },
    ),
)

# What every request and answer goes through (lesson 09): a request id and a timing header,
# security headers, the trusted hosts and CORS origins of the settings, and gzip. The 500 of an
# unhandled exception gets the request id from its handler, outside every middleware.
MIDDLEWARE = Feature(
    name="middleware",
    middleware=middleware_stack,
    exception_handlers={Exception: server_error_handler},
)

# OpenAPI describes HTTP operations only, so /docs would not show the live board's WebSocket:
# the API's description says where it is (lesson 10).
LIVE_BOARD_DESCRIPTION = """
**Live board.** Connect a WebSocket to `/live/board?token=<access token>` (or send
`{"token": "..."}` as its first message) to receive each change to your tasks as it happens:
`{"type": "task.created", "task_id": 5, "task": {...}}`, then `task.updated` and `task.deleted`.
A missing or refused token closes the socket with code 1008 and the reason.
"""

# The live board (lesson 10): each change to a user's tasks, made through REST or anything else
# that calls the store, pushed to that user's open WebSockets at /live/board. The lifespan
# connects the store's changes to the connection manager through a broker: this process's
# memory, or Redis pub/sub when the settings hold a redis_url, so every instance's subscribers
# hear every instance's changes.
LIVE_BOARD = Feature(
    name="live-board",
    routers=(live.router,),
    lifespan=live_board_lifespan,
    docs={"description": DESCRIPTION + LIVE_BOARD_DESCRIPTION},
)

# GraphQL at POST /graphql (lesson 11): the board's tasks with their owners and comments, in one
# query, and tasks created or changed, on the same store, models and tokens as the REST routes.
# It is not in /openapi.json; its own schema describes it (taskboard/graphql/schema.py).
GRAPHQL = Feature(name="graphql", routers=(graphql_router,))

# Serving for real (lesson 15): GET /ready, which answers 503 while the database does not
# answer, so a load balancer or Kubernetes sends no requests here meanwhile; and one log line per
# request with its request id, which deploy/logging.json writes as JSON.
DEPLOYMENT = Feature(
    name="deployment",
    routers=(health.readiness_router,),
    middleware=(Middleware(AccessLogMiddleware),),
)

# Board stats (lesson 12): GET /board/stats counts the signed-in user's tasks. Each user's answer
# is kept (in memory, or in Redis when settings.redis_url is set, shared by every instance) until
# one of their tasks changes, with an ETag that lets a client revalidate it for a 304.
CACHE = Feature(
    name="cache",
    routers=(board.router,),
    router_dependencies=((board.router, [CAN_READ_TASKS]),),
    router_responses=((board.router, NOT_SIGNED_IN | SCOPE_MISSING),),
    services=lambda settings: {"board_stats_cache": StatsCache(settings)},
    lifespan=stats_cache_lifespan,
)

# Rate limits on writes (lesson 12): each user may make settings.write_rate_limit writes in any
# settings.write_rate_window seconds, over every route that changes tasks; then 429 with
# Retry-After. Counted in memory, or in Redis (shared by every instance, kept across restarts).
# Added after SECURITY's guards, so the token's user is known when the write is counted.
LIMIT_WRITES = Depends(limit_writes)
_LIMITED = (tasks.write_router, comments.write_router, checklist.router, files.write_router)
TOO_MANY_WRITES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorMessage,
        "description": "Too many writes: wait the seconds `Retry-After` says.",
    }
}
RATE_LIMITS = Feature(
    name="rate-limits",
    router_dependencies=tuple((router, [LIMIT_WRITES]) for router in _LIMITED),
    router_responses=tuple((router, TOO_MANY_WRITES) for router in _LIMITED),
    services=lambda settings: {"write_limits": WriteLimits(settings)},
    lifespan=write_limits_lifespan,
)

FEATURES: tuple[Feature, ...] = (
    BOARD,
    EDITING,
    USERS,
    API_DOCS,
    OFFLINE_DOCS,
    CHECKLIST,
    LEGACY_PATHS,
    LABELS,
    REQUEST_STATS,
    API_KEY,
    FILES,
    EXPORT,
    LINK_CHECKS,
    DATABASE,
    USER_DIRECTORY,
    SECURITY,
    MIDDLEWARE,
    LIVE_BOARD,
    GRAPHQL,
    CACHE,
    RATE_LIMITS,
    DEPLOYMENT,
)
