"""Catch-up: the Taskboard app as it stood after a lesson, built from the one copy in taskboard/.

Each lesson adds routes (and later, other pieces) to Taskboard. `checkpoint("01")` builds the
finished app with `create_app` and keeps only what existed after lesson 01, so a learner who fell
behind starts the next lesson from the same app as everyone else. To grow the course, list the
routes a new lesson adds in `ROUTES_ADDED_BY` below; the code itself lives only in taskboard/.
"""

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from taskboard.api.main import ROUTERS, build_api_router
from taskboard.core.config import Settings
from taskboard.main import create_app

# "METHOD /path" of every route each lesson adds, in lesson order.
ROUTES_ADDED_BY: dict[str, frozenset[str]] = {
    "01": frozenset({"GET /health", "GET /tasks", "GET /tasks/search", "GET /tasks/{task_id}"}),
    "02": frozenset(
        {
            "POST /tasks",
            "PATCH /tasks/{task_id}",
            "DELETE /tasks/{task_id}",
            "POST /users",
            "GET /users/{user_id}",
        }
    ),
    "03": frozenset({"GET /status", "POST /tasks/{task_id}/checklist"}),
    "04": frozenset({"GET /labels", "GET /labels/{label}/tasks"}),
}


def routes_after(lesson: str) -> frozenset[str]:
    """Every route that exists once `lesson` is done."""
    if lesson not in ROUTES_ADDED_BY:
        known = ", ".join(sorted(ROUTES_ADDED_BY))
        raise ValueError(f"No checkpoint for lesson {lesson!r}; known lessons: {known}")
    return frozenset().union(*(routes for nn, routes in ROUTES_ADDED_BY.items() if nn <= lesson))


def route_keys(route: APIRoute) -> set[str]:
    return {f"{method} {route.path}" for method in route.methods}


def _subset(router: APIRouter, keep: frozenset[str]) -> APIRouter:
    """A router with the same route objects as `router`, less those not in `keep`."""
    part = APIRouter()
    part.routes.extend(route for route in router.routes if route_keys(route) & keep)
    return part


def checkpoint(lesson: str, settings: Settings | None = None) -> FastAPI:
    """A fresh Taskboard app with exactly the routes that exist after `lesson`."""
    keep = routes_after(lesson)
    kept = tuple(_subset(r, keep) for r in ROUTERS)
    app = create_app(settings, build_api_router(kept))
    # Describe only the tags of the routes kept: a later lesson's router brings its own tag.
    in_use = {tag for router in kept for route in router.routes for tag in route.tags}
    app.openapi_tags = [tag for tag in app.openapi_tags or [] if tag["name"] in in_use]
    if lesson < "03":
        _without_api_description(app)
    return app


def _without_api_description(app: FastAPI) -> None:
    """Lesson 03 describes the API as a whole; before it, /openapi.json had FastAPI's defaults.

    Only the app-wide part is undone (the attributes `FastAPI(...)` stores and `app.openapi()`
    reads). Summaries, examples and operation ids stay: they live on the route objects that
    every checkpoint shares, and no check of an earlier lesson looks at them.
    """
    app.summary = None
    app.description = ""
    app.contact = None
    app.openapi_tags = None
