"""Lesson 15: Taskboard on AWS Lambda through Mangum, invoked in-process with API Gateway HTTP API
(payload format 2.0) events, from a worker thread as Lambda's runtime would call it."""

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from mangum import Mangum

from course.checkpoints import CheckpointSettings
from taskboard.lambda_handler import LambdaHandler
from taskboard.main import create_app


class Context:
    function_name = "taskboard"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def event(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    sent = {"host": "abc123.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"}
    if body is not None:
        sent["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {**sent, **(headers or {})},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "pytest",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "stage": "$default",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def invoke(handler: Any, sent: Any) -> dict[str, Any]:
    """As Lambda calls it: in a thread where no event loop runs."""

    async def from_a_cell() -> dict[str, Any]:
        return await asyncio.to_thread(handler, sent, Context())

    return asyncio.run(from_a_cell())


@pytest.fixture
def handler(db_url: str | None) -> Iterator[LambdaHandler]:
    app = create_app(CheckpointSettings(demo_data=False, database_url=db_url))
    handler = LambdaHandler(app)
    yield handler
    asyncio.run(asyncio.to_thread(handler.close))


def sign_up(handler: Any, username: str) -> int:
    body = {"username": username, "password": "a long enough password"}
    return int(invoke(handler, event("POST", "/users", body))["statusCode"])


def test_an_api_gateway_event_goes_in_and_lambdas_answer_comes_out(handler: LambdaHandler) -> None:
    answer = invoke(handler, event("GET", "/health"))
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"status": "ok"}
    assert answer["isBase64Encoded"] is False
    # X-Forwarded-Proto: https made the scheme https, so lesson 09's HSTS header is there.
    assert answer["headers"]["strict-transport-security"] == "max-age=31536000"


def test_the_lifespan_runs_once_so_the_board_outlives_each_event(handler: LambdaHandler) -> None:
    # On every store: SQLite in memory would start empty at each event if its engine were
    # disposed after each one, as Mangum's lifespan="auto" does.
    assert sign_up(handler, "ada") == 201
    assert sign_up(handler, "ada") == 409
    assert invoke(handler, event("GET", "/ready"))["statusCode"] == 200


def test_mangums_own_lifespan_runs_around_every_event() -> None:
    # Why LambdaHandler turns it off: the same two sign-ups both succeed, on an empty database.
    app = create_app(CheckpointSettings(demo_data=False))

    def two_sign_ups() -> list[int]:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            adapter = Mangum(app, lifespan="auto")
            body = {"username": "ada", "password": "a long enough password"}
            return [adapter(event("POST", "/users", body), Context())["statusCode"] for _ in "12"]
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    assert asyncio.run(asyncio.to_thread(two_sign_ups)) == [201, 201]


def test_a_binary_answer_comes_base64_encoded(handler: LambdaHandler) -> None:
    assert sign_up(handler, "ada") == 201
    form = "username=ada&password=a+long+enough+password"
    login = event("POST", "/auth/token")
    login["headers"]["content-type"] = "application/x-www-form-urlencoded"
    login["body"] = form
    token = json.loads(invoke(handler, login)["body"])["access_token"]
    auth = {"authorization": f"Bearer {token}"}
    task = json.loads(invoke(handler, event("POST", "/tasks", {"title": "Logo"}, auth))["body"])
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    boundary = "b0undary"
    upload = event("POST", f"/tasks/{task['id']}/files", headers=auth)
    upload["headers"]["content-type"] = f"multipart/form-data; boundary={boundary}"
    upload["body"] = base64.b64encode(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="logo.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    ).decode()
    upload["isBase64Encoded"] = True
    created = invoke(handler, upload)
    assert created["statusCode"] == 201
    file_id = json.loads(created["body"])["id"]
    download = invoke(handler, event("GET", f"/tasks/{task['id']}/files/{file_id}", headers=auth))
    assert download["isBase64Encoded"] is True
    assert base64.b64decode(download["body"]) == png


def test_called_where_a_loop_runs_it_says_to_use_a_worker_thread(handler: LambdaHandler) -> None:
    async def in_a_cell() -> None:
        handler(event("GET", "/health"), Context())

    with pytest.raises(RuntimeError, match=r"call it from a worker thread, e\.g\. `await asyncio"):
        asyncio.run(in_a_cell())


def test_the_module_builds_taskboard_for_lambda() -> None:
    from taskboard import lambda_handler

    assert isinstance(lambda_handler.handler, LambdaHandler)
    assert isinstance(lambda_handler.handler.app, FastAPI)
