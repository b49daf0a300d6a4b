"""Lesson 05: an optional API key, checked by a global dependency on every route but the public ones."""

import re
from collections.abc import Iterator

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.types import Message

from course import checkpoint
from course.checkpoints import CheckpointSettings
from course.login import signed_in
from course.sockets import receive_json
from taskboard.api.deps import PUBLIC_PATHS, get_settings
from taskboard.core.config import Settings
from taskboard.main import create_app

KEY = "s3cr3t-board-key"
MISSING = {"detail": "Missing the X-API-Key header"}
WRONG = {"detail": "Wrong API key in the X-API-Key header"}


@pytest.fixture
def keyed() -> Iterator[TestClient]:
    with signed_in(create_app(Settings(demo_data=True, api_key=KEY))) as client:
        yield client


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation of the schema as (method, concrete URL): ids 1, label `api`."""
    paths = app.openapi()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", lambda m: "api" if "label" in m[0] else "1", path))
        for path, item in paths.items()
        for method in item
    ]


def test_without_a_key_the_api_is_open(client: TestClient) -> None:
    assert client.get("/tasks").status_code == 200
    # A key sent to an app that has none is ignored.
    assert client.get("/tasks", headers={"X-API-Key": "anything"}).status_code == 200


def test_a_missing_key_is_a_401_that_names_the_header(keyed: TestClient) -> None:
    response = keyed.get("/tasks")
    assert response.status_code == 401
    assert response.json() == MISSING
    assert response.headers["www-authenticate"] == "APIKey"


@pytest.mark.parametrize("wrong", ["", "s3cr3t", KEY + "x", KEY.upper()])
def test_a_wrong_key_is_a_401(keyed: TestClient, wrong: str) -> None:
    response = keyed.get("/tasks", headers={"X-API-Key": wrong})
    assert (response.status_code, response.json()) == (401, WRONG)
    assert response.headers["www-authenticate"] == "APIKey"


def test_a_key_with_bytes_beyond_ascii_is_refused_not_a_500(keyed: TestClient) -> None:
    response = keyed.get("/tasks", headers={"X-API-Key": "clé".encode()})
    assert (response.status_code, response.json()) == (401, WRONG)


@pytest.mark.parametrize("name", ["X-API-Key", "x-api-key", "X-Api-Key"])
def test_the_right_key_opens_the_api_whatever_the_header_case(keyed: TestClient, name: str) -> None:
    assert keyed.get("/tasks", headers={name: KEY}).status_code == 200


def test_every_operation_but_the_public_ones_needs_the_key(keyed: TestClient) -> None:
    operations = _operations(keyed.app)
    assert len(operations) > 15
    for method, url in operations:
        # A JSON body, even an invalid one, is read before the dependencies run, then validated
        # after them: the key is checked first.
        response = keyed.request(method, url, json={})
        if url in PUBLIC_PATHS:
            assert response.status_code == 200, (method, url)
        else:
            assert (response.status_code, response.json()) == (401, MISSING), (method, url)


def test_the_right_key_works_on_reads_and_writes(keyed: TestClient) -> None:
    headers = {"X-API-Key": KEY}
    created = keyed.post("/tasks", json={"title": "Keyed"}, headers=headers)
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert keyed.get(f"/tasks/{task_id}", headers=headers).json()["title"] == "Keyed"
    assert keyed.get("/labels", headers=headers).headers["cache-control"] == "max-age=30"
    assert keyed.delete(f"/tasks/{task_id}", headers=headers).status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "/health",
        "/status",
        "/docs",
        "/redoc",
        "/docs/oauth2-redirect",
        "/openapi.json",
        "/static/docs/swagger-ui.css",
    ],
)
def test_health_checks_and_docs_stay_public(keyed: TestClient, url: str) -> None:
    assert keyed.get(url).status_code == 200


def test_an_unknown_path_is_still_a_404(keyed: TestClient) -> None:
    assert keyed.get("/nowhere").status_code == 404


def test_a_body_that_is_not_json_is_refused_before_the_key_is_checked(keyed: TestClient) -> None:
    # FastAPI parses the body before it runs any dependency: a 422 that says nothing of the board.
    response = keyed.post(
        "/tasks", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_the_key_is_not_in_the_schema() -> None:
    # The header is hidden: the schema is the same whether the app has a key or not.
    assert create_app(Settings(api_key=KEY)).openapi() == create_app(Settings()).openapi()


def test_the_key_comes_from_the_environment_and_never_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKBOARD_API_KEY", KEY)
    settings = Settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == KEY
    assert KEY not in repr(settings)


def test_an_empty_key_is_refused_rather_than_matching_an_empty_header() -> None:
    with pytest.raises(ValueError, match="api_key"):
        Settings(api_key="")


@pytest.mark.parametrize("lesson", ["01", "02", "03", "04"])
def test_checkpoints_before_lesson_05_ignore_the_key(lesson: str) -> None:
    # Built up from their own lessons' features, they have no API key check to run.
    with signed_in(checkpoint(lesson, CheckpointSettings(api_key=KEY))) as client:
        assert client.get("/tasks").status_code == 200


def test_checkpoint_05_has_no_key_by_default() -> None:
    with signed_in(checkpoint("05")) as client:
        assert client.get("/tasks").status_code == 200


def test_one_request_asks_for_the_settings_once(keyed: TestClient) -> None:
    # The API key check and the labels' Cache-Control both depend on SettingsDep: FastAPI
    # calls get_settings once per request and hands both the same object.
    calls: list[Settings] = []
    settings = Settings(api_key=KEY, labels_max_age=7)

    async def counted() -> Settings:
        calls.append(settings)
        return settings

    keyed.app.dependency_overrides[get_settings] = counted
    try:
        response = keyed.get("/labels", headers={"X-API-Key": KEY})
    finally:
        keyed.app.dependency_overrides.clear()
    assert response.headers["cache-control"] == "max-age=7"
    assert len(calls) == 1


def test_a_test_can_turn_the_key_on_with_an_override(client: TestClient) -> None:
    client.app.dependency_overrides[get_settings] = lambda: Settings(api_key=KEY)
    try:
        assert client.get("/tasks").status_code == 401
        assert client.get("/tasks", headers={"X-API-Key": KEY}).status_code == 200
    finally:
        client.app.dependency_overrides.clear()
    assert client.get("/tasks").status_code == 200


# WebSockets (lesson 10) ---------------------------------------------------------------------------


def test_a_socket_without_the_key_is_refused_with_the_same_401(keyed: TestClient) -> None:
    # The handshake is an HTTP request: it gets the answer a request gets, before any accept.
    for headers, detail in (({}, MISSING), ({"X-API-Key": "wrong"}, WRONG)):
        with pytest.raises(WebSocketDenialResponse) as refused:
            keyed.websocket_connect("/live/board", headers=headers).__enter__()
        assert (refused.value.status_code, refused.value.json()) == (401, detail)
        assert refused.value.headers["www-authenticate"] == "APIKey"


def test_a_socket_with_the_key_gets_through(keyed: TestClient) -> None:
    token = keyed.headers["Authorization"].removeprefix("Bearer ")
    url = f"/live/board?token={token}"
    with keyed.websocket_connect(url, headers={"X-API-Key": KEY}) as websocket:
        assert receive_json(websocket)["type"] == "subscribed"


def test_on_a_server_without_denial_responses_the_socket_is_closed_with_1008() -> None:
    # ASGI lets a server leave out the "websocket.http.response" extension; an HTTP answer to
    # the handshake would then be an error. The socket is closed, before it opens, instead.
    app = create_app(Settings(demo_data=True, api_key=KEY))
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/live/board",
        "raw_path": b"/live/board",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def connect() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    anyio.run(connect)
    assert sent == [
        {"type": "websocket.close", "code": 1008, "reason": "Missing the X-API-Key header"}
    ]
