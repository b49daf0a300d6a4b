"""The app factory. `fastapi run taskboard/main.py` serves the module-level `app`."""

from fastapi import APIRouter, FastAPI

from taskboard.api.main import build_api_router
from taskboard.core.config import Settings
from taskboard.errors import add_exception_handlers
from taskboard.store import Store


def create_app(settings: Settings | None = None, api_router: APIRouter | None = None) -> FastAPI:
    """Build a Taskboard app. Each call returns a new app with its own settings and tasks.

    `api_router` defaults to every route; the course's catch-up passes a subset of them.
    """
    settings = settings or Settings()
    app = FastAPI(title=settings.project_name, version=settings.version)
    app.state.settings = settings
    app.state.store = Store.with_demo_data() if settings.demo_data else Store()
    add_exception_handlers(app)
    app.include_router(api_router or build_api_router())
    return app


app = create_app()
