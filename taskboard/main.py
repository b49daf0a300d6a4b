"""The app factory. `fastapi run` serves the module-level `app` (see [tool.fastapi] in pyproject.toml)."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.types import ExceptionHandler

from taskboard import __version__
from taskboard.api.main import FEATURES
from taskboard.core.config import Settings
from taskboard.core.features import Feature, combined_lifespan


def operation_id(route: APIRoute) -> str:
    """Name each operation after its function (`list_tasks`), not FastAPI's default
    `list_tasks_tasks_get`: a client generated from the schema gets readable method names.

    Function names must then be unique across all routers; FastAPI warns of a duplicate.
    """
    return route.name


def create_app(settings: Settings | None = None, features: Sequence[Feature] = FEATURES) -> FastAPI:
    """Build a Taskboard app from `settings` and `features`, in their order.

    Each call returns a new app with its own settings and store. Everything a feature brings
    goes through FastAPI's own API: routers are included in order, middleware is listed
    outermost first, and a later feature's exception handler or service replaces an earlier
    one's for the same exception or name.
    """
    settings = settings or Settings()
    docs: dict[str, Any] = {}
    handlers: dict[int | type[Exception], ExceptionHandler] = {}
    for feature in features:
        docs |= feature.docs
        handlers |= feature.exception_handlers
    app = FastAPI(
        title=settings.project_name,
        version=__version__,
        generate_unique_id_function=operation_id,
        openapi_tags=[dict(tag) for feature in features for tag in feature.tags] or None,
        dependencies=[dependency for feature in features for dependency in feature.dependencies],
        middleware=[
            middleware for feature in features for middleware in feature.middleware_for(settings)
        ],
        exception_handlers=handlers,
        lifespan=combined_lifespan(features),
        **docs,
    )
    app.state.settings = settings
    # What later features add to earlier features' routers, by router.
    added: dict[int, list[Depends]] = {}
    documented: dict[int, dict[int | str, dict[str, Any]]] = {}
    for feature in features:
        for router, dependencies in feature.router_dependencies:
            added.setdefault(id(router), []).extend(dependencies)
        for router, responses in feature.router_responses:
            documented.setdefault(id(router), {}).update(responses)
    for feature in features:
        if feature.services is not None:
            for name, service in feature.services(settings).items():
                setattr(app.state, name, service)
        for router in feature.routers:
            app.include_router(
                router,
                dependencies=added.get(id(router), ()),
                responses=documented.get(id(router)),
            )
    return app


app = create_app()
