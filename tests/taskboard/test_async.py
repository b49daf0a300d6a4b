"""Async tests (lesson 13): `httpx2.AsyncClient` over `ASGITransport`, run by anyio's pytest plugin.

TestClient runs the app in a thread of its own and waits for each answer in turn. An async test
awaits the app in its own event loop instead, so it can send several requests at once, as many
clients do. `@pytest.mark.anyio` runs it; anyio's plugin comes with anyio, which Starlette needs.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI

from course.login import TOKEN_PATH
from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME


@pytest.fixture
async def async_client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of the app, logged in as the demo account, inside the app's lifespan.

    ASGITransport sends requests only: unlike `with TestClient(app)`, it runs no lifespan, so
    the fixture runs it (the database engine, the outgoing HTTP client) around the test.
    """
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
            form = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
            token = (await client.post(TOKEN_PATH, data=form)).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            yield client


@pytest.mark.anyio
async def test_requests_at_once_each_get_their_own_answer(
    async_client: httpx2.AsyncClient,
) -> None:
    answers = await asyncio.gather(*(async_client.get(f"/tasks/{n}") for n in (1, 2, 3, 4, 999)))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 404]
    assert [answer.json()["id"] for answer in answers[:4]] == [1, 2, 3, 4]


@pytest.mark.anyio
async def test_writes_at_once_all_land(async_client: httpx2.AsyncClient) -> None:
    created = await asyncio.gather(
        *(async_client.post("/tasks", json={"title": f"Task {n}"}) for n in range(5))
    )
    assert [answer.status_code for answer in created] == [201] * 5
    ids = {answer.json()["id"] for answer in created}
    listed = (await async_client.get("/tasks", params={"limit": 100})).json()
    assert ids <= {task["id"] for task in listed}
