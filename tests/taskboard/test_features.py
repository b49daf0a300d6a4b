"""The four ways a feature changes Taskboard (the recipe in CONTRIBUTING.md), each with a test-only
feature added after the board: a router, a dependency, a middleware, and a new behaviour of
routes that existed before it. Plus the order in which lifespans run."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskboard.api.main import BOARD, EDITING
from taskboard.api.routes import tasks
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.errors import conflict_handler
from taskboard.main import create_app
from taskboard.models import TaskPublic
from taskboard.store import Conflict, Store

# 1. A router: new routes, next to the old ones.
ping = APIRouter(tags=["ping"])


@ping.get("/ping")
async def pong() -> dict[str, str]:
    return {"ping": "pong"}


PING = Feature(name="ping", routers=(ping,), tags=({"name": "ping", "description": "Pong."},))


# 2. A dependency that every route runs, the board's included.
def require_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if x_api_key != "let-me-in":
        raise HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")


API_KEY = Feature(name="api-key", dependencies=(Depends(require_api_key),))


# 3. A middleware around every request.
class ServedBy:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-served-by", b"taskboard")]
            await send(message)

        await self.app(scope, receive, send_with_header)


SERVED_BY = Feature(name="served-by", middleware=(Middleware(ServedBy),))


# 4. New behaviour for existing routes: another store behind the same StoreDep, and the
#    exception handler that answers its new error.
class FrozenBoard(Conflict):
    def __init__(self) -> None:
        super().__init__("The board is frozen: no changes until the release is out")


class FrozenStore(Store):
    def create(self, task_in: object) -> TaskPublic:
        raise FrozenBoard


FREEZE = Feature(
    name="freeze",
    services=lambda settings: {"store": FrozenStore()},
    exception_handlers={FrozenBoard: conflict_handler},
)


@pytest.fixture
def settings() -> Settings:
    return Settings(demo_data=False)


def test_a_feature_adds_a_router(settings: Settings) -> None:
    app = create_app(settings, [BOARD, PING])
    with TestClient(app) as client:
        assert client.get("/ping").json() == {"ping": "pong"}
        assert client.get("/tasks").status_code == 200
    schema = app.openapi()
    assert "/ping" in schema["paths"]
    assert schema["tags"] == [{"name": "ping", "description": "Pong."}]


def test_a_feature_adds_a_dependency_to_every_route(settings: Settings) -> None:
    with TestClient(create_app(settings, [BOARD, API_KEY])) as client:
        refused = client.get("/tasks")
        assert refused.status_code == 401
        assert refused.json() == {"detail": "Missing or wrong X-API-Key header"}
        assert client.get("/tasks", headers={"X-API-Key": "let-me-in"}).status_code == 200
        assert client.get("/openapi.json").status_code == 200  # docs are not API routes


def test_a_feature_adds_a_middleware(settings: Settings) -> None:
    with TestClient(create_app(settings, [BOARD, SERVED_BY])) as client:
        assert client.get("/health").headers["x-served-by"] == "taskboard"
        assert client.get("/nowhere").headers["x-served-by"] == "taskboard"


def test_a_feature_changes_what_existing_routes_do(settings: Settings) -> None:
    before = create_app(settings, [BOARD, EDITING])
    after = create_app(settings, [BOARD, EDITING, FREEZE])
    with TestClient(before) as client:
        assert client.post("/tasks", json={"title": "Ship it"}).status_code == 201
    with TestClient(after) as client:
        refused = client.post("/tasks", json={"title": "Ship it"})
        assert refused.status_code == 409
        assert refused.json() == {
            "detail": "The board is frozen: no changes until the release is out"
        }
    assert isinstance(after.state.store, FrozenStore)
    assert not isinstance(before.state.store, FrozenStore)


def test_a_feature_guards_and_documents_an_earlier_features_router(settings: Settings) -> None:
    teapot = {418: {"description": "The board is a teapot today."}}

    def brew() -> None:
        raise HTTPException(418, "I'm a teapot")

    TEAPOT = Feature(
        name="teapot",
        router_dependencies=((tasks.router, [Depends(brew)]),),
        router_responses=((tasks.router, teapot),),
    )
    app = create_app(settings, [BOARD, TEAPOT])
    with TestClient(app) as client:
        assert client.get("/tasks").status_code == 418
        assert client.get("/health").status_code == 200  # another router of the board
    assert "418" in app.openapi()["paths"]["/tasks"]["get"]["responses"]
    # The router itself is left as it was: an app without the feature neither answers nor lists it.
    plain = create_app(settings, [BOARD])
    assert "418" not in plain.openapi()["paths"]["/tasks"]["get"]["responses"]
    assert tasks.router.responses == {}


def test_lifespans_start_in_order_and_stop_in_reverse(settings: Settings) -> None:
    events: list[str] = []

    def recorder(name: str) -> Feature:
        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            events.append(f"start {name}")
            yield
            events.append(f"stop {name}")

        return Feature(name=name, lifespan=lifespan)

    with TestClient(create_app(settings, [BOARD, recorder("first"), recorder("second")])):
        assert events == ["start first", "start second"]
    assert events[2:] == ["stop second", "stop first"]


def test_an_app_without_a_feature_lacks_only_that_feature(settings: Settings) -> None:
    # A read-only board: the same routes for reading, none for writing.
    with TestClient(create_app(settings, [BOARD])) as client:
        assert client.get("/tasks").status_code == 200
        assert client.post("/tasks", json={"title": "x"}).status_code == 405
