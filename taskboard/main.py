"""The app factory. `fastapi run taskboard/main.py` serves the module-level `app`."""

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from taskboard.api.main import build_api_router
from taskboard.core.config import Settings
from taskboard.errors import add_exception_handlers
from taskboard.store import Store

# What /docs and /redoc show above the operations. The description is Markdown.
DESCRIPTION = """\
Create tasks, move them from `todo` to `done`, and sign up the people who do them.

Every error Taskboard raises itself answers `{"detail": "..."}`; a 422 also lists which input
was refused, and where.
"""

# One entry per tag, in the order /docs shows the groups. A tag used by a route but missing here
# still works, without a description; tests/taskboard/test_openapi_contract.py catches that.
OPENAPI_TAGS = [
    {"name": "tasks", "description": "Create, read, change and delete tasks."},
    {"name": "labels", "description": "The labels in use on tasks, and the tasks behind each."},
    {"name": "users", "description": "Sign up and look up users. Passwords never come back."},
    {"name": "health", "description": "For load balancers and uptime monitors."},
]

# A URL rather than an email: FastAPI logs a warning for an email unless email-validator is
# installed. Point it at your team's page.
CONTACT = {"name": "The Taskboard team", "url": "https://taskboard.example.com/support"}


def operation_id(route: APIRoute) -> str:
    """Name each operation after its function (`list_tasks`), not FastAPI's default
    `list_tasks_tasks_get`: a client generated from the schema gets readable method names.

    Function names must then be unique across all routers; FastAPI warns of a duplicate.
    """
    return route.name


def create_app(settings: Settings | None = None, api_router: APIRouter | None = None) -> FastAPI:
    """Build a Taskboard app. Each call returns a new app with its own settings and tasks.

    `api_router` defaults to every route; the course's catch-up passes a subset of them.
    """
    settings = settings or Settings()
    app = FastAPI(
        title=settings.project_name,
        version=settings.version,
        summary="A small team task tracker.",
        description=DESCRIPTION,
        contact=CONTACT,
        openapi_tags=OPENAPI_TAGS,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.store = Store.with_demo_data() if settings.demo_data else Store()
    add_exception_handlers(app)
    app.include_router(api_router or build_api_router())
    return app


app = create_app()
