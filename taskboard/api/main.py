from fastapi import APIRouter

from taskboard.api.routes import health, labels, tasks, users

# One router per resource, in the order their routes should match.
ROUTERS: tuple[APIRouter, ...] = (health.router, tasks.router, users.router, labels.router)


def build_api_router(routers: tuple[APIRouter, ...] = ROUTERS) -> APIRouter:
    api_router = APIRouter()
    for router in routers:
        api_router.include_router(router)
    return api_router
