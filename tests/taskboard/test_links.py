"""Lesson 06: one HTTP client per app, from its lifespan, and a task's links checked at once."""

import asyncio
from collections.abc import Iterator

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskboard.api.deps import get_http_client
from taskboard.core.config import Settings
from taskboard.core.http import TIMEOUT
from taskboard.main import create_app

LINKS = [
    {"name": "spec", "url": "https://links.test/spec"},
    {"name": "moved", "url": "https://links.test/moved"},
    {"name": "gone", "url": "https://links.test/gone"},
    {"name": "down", "url": "https://down.test/"},
    {"name": "slow", "url": "https://slow.test/"},
]


class FakeWeb:
    """The web as the link checks see it, in-process: each host and path answers its own way,
    after a short wait, and the fake remembers what it was asked and how many at once."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if request.url.host == "down.test":
                raise httpx2.ConnectError("connection refused", request=request)
            if request.url.host == "slow.test":
                raise httpx2.ReadTimeout("timed out", request=request)
            status = {"/spec": 200, "/moved": 301, "/gone": 404}[request.url.path]
            return httpx2.Response(status, headers={"location": "https://links.test/new"})
        finally:
            self.in_flight -= 1


@pytest.fixture
def web(app: FastAPI) -> Iterator[FakeWeb]:
    fake = FakeWeb()
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(fake))
    app.dependency_overrides[get_http_client] = lambda: client
    yield fake
    app.dependency_overrides.clear()


def test_the_lifespan_opens_one_client_and_closes_it() -> None:
    app = create_app(Settings())
    with TestClient(app) as client:
        http = app.state.http
        assert isinstance(http, httpx2.AsyncClient) and not http.is_closed
        assert http.timeout == httpx2.Timeout(TIMEOUT)
        assert http.headers["user-agent"].startswith("Taskboard/")
        client.get("/tasks/1/links")
        assert app.state.http is http
    assert http.is_closed


def test_each_link_is_reported_in_the_order_of_the_comments(
    client: TestClient, web: FakeWeb
) -> None:
    client.post("/tasks/1/comments", json={"text": "Docs", "attachments": LINKS[:2]})
    client.post("/tasks/1/comments", json={"text": "No links here"})
    client.post("/tasks/1/comments", json={"text": "Old ones", "attachments": LINKS[2:]})
    response = client.get("/tasks/1/links")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "spec", "url": "https://links.test/spec", "status": 200, "ok": True},
        {"name": "moved", "url": "https://links.test/moved", "status": 301, "ok": True},
        {"name": "gone", "url": "https://links.test/gone", "status": 404, "ok": False},
        {"name": "down", "url": "https://down.test/", "status": None, "ok": False},
        {"name": "slow", "url": "https://slow.test/", "status": None, "ok": False},
    ]
    # HEAD only, no redirect followed, and every link asked at once
    assert [request.method for request in web.requests] == ["HEAD"] * len(LINKS)
    assert web.most_in_flight == len(LINKS)


def test_a_task_without_links_has_nothing_to_check(client: TestClient, web: FakeWeb) -> None:
    assert client.get("/tasks/1/links").json() == []
    assert web.requests == []


def test_an_unknown_task_is_a_404(client: TestClient, web: FakeWeb) -> None:
    assert client.get("/tasks/999/links").json() == {"detail": "Task 999 not found"}
    assert client.get("/tasks/0/links").status_code == 422
