"""Lesson 09: the MIDDLEWARE feature. CORS for configured origins only, a request id and a timing
header on every answer, gzip, trusted hosts, security headers, and the order they run in.

Middleware does not depend on the store, so these apps keep the board in memory."""

import json
import logging
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.middleware.cors import CORSMiddleware

from course.checkpoints import CheckpointSettings
from course.login import log_in
from taskboard.api.main import BOARD, MIDDLEWARE
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.core.middleware import CORS_METHODS, middleware_stack
from taskboard.demo import demo_tasks
from taskboard.main import create_app
from tests.taskboard.conftest import IN_MEMORY_FEATURES

# Taskboard's features with its store in memory (the middleware does not care which); MIDDLEWARE
# is the last of them.
OTHER_FEATURES = tuple(feature for feature in IN_MEMORY_FEATURES if feature is not MIDDLEWARE)

BOARD_ORIGIN = "https://board.example.com"
OTHER_ORIGIN = "https://evil.example"
HEX_ID = re.compile(r"[0-9a-f]{32}")
SERVER_TIMING = re.compile(r"app;dur=(\d+\.\d)")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}

# Routes only these tests need: what a route sees, an unhandled error, a WebSocket, a lifespan.
probe = APIRouter(prefix="/probe")
lifespan_events: list[str] = []


@probe.get("/request-id")
async def read_request_id(request: Request) -> dict[str, str]:
    return {"request_id": request.state.request_id}


@probe.get("/timed")
async def timed() -> JSONResponse:
    return JSONResponse({"ok": True}, headers={"Server-Timing": "db;dur=1.5"})


@probe.get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug")


@probe.websocket("/echo")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


@asynccontextmanager
async def recorded_lifespan(app: FastAPI) -> AsyncIterator[None]:
    lifespan_events.append("start")
    yield
    lifespan_events.append("stop")


PROBE = Feature(name="probe", routers=(probe,), lifespan=recorded_lifespan)


def build(*, with_probe: bool = False, **settings: Any) -> FastAPI:
    """Taskboard with the MIDDLEWARE feature and `settings` (none from the environment)."""
    features = (*IN_MEMORY_FEATURES, *((PROBE,) if with_probe else ()))
    return create_app(CheckpointSettings(demo_data=True, **settings), features)


def preflight(
    client: TestClient, origin: str, method: str = "POST", **headers: str
) -> httpx2.Response:
    return client.options(
        "/tasks",
        headers={"Origin": origin, "Access-Control-Request-Method": method, **headers},
    )


@pytest.fixture
def cors_client() -> Iterator[TestClient]:
    with TestClient(build(cors_origins=[BOARD_ORIGIN])) as client:
        yield client


@pytest.fixture
def client() -> Iterator[TestClient]:
    # The default settings: no CORS origin, any host.
    with TestClient(build(with_probe=True)) as client:
        yield client


# --- CORS -----------------------------------------------------------------------------------


def test_a_preflight_from_an_allowed_origin_is_answered(cors_client: TestClient) -> None:
    answer = preflight(
        cors_client, BOARD_ORIGIN, "PATCH", **{"Access-Control-Request-Headers": "authorization"}
    )
    assert (answer.status_code, answer.text) == (200, "OK")
    assert answer.headers["access-control-allow-origin"] == BOARD_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-allow-methods"] == "GET, HEAD, POST, PATCH, DELETE"
    allowed = answer.headers["access-control-allow-headers"].split(", ")
    assert {"Authorization", "Content-Type", "X-API-Key", "X-Request-ID"} <= set(allowed)
    assert answer.headers["access-control-max-age"] == "600"
    # Caches must keep one answer per origin and per requested method and headers.
    assert {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} <= set(
        answer.headers["vary"].split(", ")
    )


def test_a_preflight_from_another_origin_is_refused(cors_client: TestClient) -> None:
    answer = preflight(cors_client, OTHER_ORIGIN)
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS origin")
    assert "access-control-allow-origin" not in answer.headers


def test_a_preflight_for_a_header_not_listed_is_refused(cors_client: TestClient) -> None:
    answer = preflight(cors_client, BOARD_ORIGIN, **{"Access-Control-Request-Headers": "x-debug"})
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS headers")


def test_a_cross_origin_get_from_an_allowed_origin(cors_client: TestClient) -> None:
    answer = cors_client.get("/health", headers={"Origin": BOARD_ORIGIN})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == BOARD_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    # The page may read the request id, to quote it in a bug report.
    assert answer.headers["access-control-expose-headers"] == "X-Request-ID"
    assert "Origin" in answer.headers["vary"]


@pytest.mark.parametrize("origin", [OTHER_ORIGIN, "https://board.example.com.evil.example"])
def test_the_allow_origin_header_is_only_for_configured_origins(
    cors_client: TestClient, origin: str
) -> None:
    answer = cors_client.get("/health", headers={"Origin": origin})
    # The request is served (CORS is the browser's to enforce), but the browser will not hand
    # the answer to the page. Starlette still sends Access-Control-Allow-Credentials, which
    # grants nothing without Access-Control-Allow-Origin.
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_with_the_default_settings_there_is_no_cors_header_at_all(client: TestClient) -> None:
    for answer in (
        client.get("/health", headers={"Origin": BOARD_ORIGIN}),
        preflight(client, BOARD_ORIGIN),
    ):
        assert not [name for name in answer.headers if name.startswith("access-control-")]
    # Without CORS, nothing answers OPTIONS: no route has that method.
    assert preflight(client, BOARD_ORIGIN).status_code == 405


def test_the_api_key_does_not_block_a_preflight() -> None:
    # A browser never sends credentials with a preflight: CORS answers it before the API key's
    # global dependency runs. The request that follows needs the key, and a refusal is readable
    # by the page.
    app = build(with_probe=True, cors_origins=[BOARD_ORIGIN], api_key="let-me-in")
    with TestClient(app) as client:
        answer = preflight(client, BOARD_ORIGIN, **{"Access-Control-Request-Headers": "x-api-key"})
        assert answer.status_code == 200
        refused = client.get("/probe/request-id", headers={"Origin": BOARD_ORIGIN})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == BOARD_ORIGIN
        allowed = client.get(
            "/probe/request-id", headers={"Origin": BOARD_ORIGIN, "X-API-Key": "let-me-in"}
        )
        assert allowed.status_code == 200


def test_cors_allows_every_method_of_the_api() -> None:
    schema = build().openapi()
    methods = {method.upper() for item in schema["paths"].values() for method in item}
    assert methods <= set(CORS_METHODS)


def test_any_origin_without_credentials_is_allowed_as_a_star() -> None:
    app = build(cors_origins=["*"], cors_allow_credentials=False)
    with TestClient(app) as client:
        answer = client.get("/health", headers={"Origin": OTHER_ORIGIN})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_any_origin_with_credentials_is_refused_by_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="cannot go with cors_allow_credentials=True"):
        Settings(cors_origins=["https://board.example.com", "*"])
    monkeypatch.setenv("TASKBOARD_CORS_ORIGINS", '["*"]')
    with pytest.raises(ValidationError, match="TASKBOARD_CORS_ALLOW_CREDENTIALS=false"):
        Settings()


def test_why_starlette_alone_is_not_enough_for_any_origin_with_credentials() -> None:
    # Starlette accepts the combination, and then names whichever origin asks: every site could
    # call the API with its visitors' cookies. Hence the settings' refusal above.
    app = CORSMiddleware(FastAPI(), allow_origins=["*"], allow_credentials=True)
    with TestClient(app) as client:
        answer = client.get("/", headers={"Origin": OTHER_ORIGIN})
    assert answer.headers["access-control-allow-origin"] == OTHER_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"


def test_origins_are_read_from_the_environment_and_normalised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "TASKBOARD_CORS_ORIGINS",
        '["https://Board.Example.com/", "https://board.example.com:443", "http://localhost:5173"]',
    )
    assert Settings().cors_origins == ["https://board.example.com", "http://localhost:5173"]
    assert Settings(cors_origins=["http://[::1]:8000"]).cors_origins == ["http://[::1]:8000"]


@pytest.mark.parametrize(
    "origin",
    [
        "tasks.example.org",
        "https://board.example.com/app",
        "https://board.example.com?x=1",
        "ftp://board.example.com",
        "https://board.example.com:99999",
        "https://bad host.example.com",
        "null",
        "https://admin:s3cret@board.example.com",
    ],
)
def test_a_malformed_origin_is_refused_and_not_repeated(origin: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(cors_origins=[BOARD_ORIGIN, origin])
    assert "cors_origins[1] is not an origin" in str(caught.value)
    assert origin not in str(caught.value)


# --- Request id and timing --------------------------------------------------------------------


def test_every_answer_gets_a_new_request_id(client: TestClient) -> None:
    answers = [client.get("/health"), client.get("/health"), client.get("/nowhere")]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert all(HEX_ID.fullmatch(rid) for rid in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "sane", ["abc-123", "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f", "Root=1-67891233:abc", "x" * 128]
)
def test_a_sane_request_id_from_the_client_is_kept(client: TestClient, sane: str) -> None:
    answer = client.get("/probe/request-id", headers={"X-Request-ID": sane})
    assert answer.headers["x-request-id"] == sane
    # Routes read it as request.state.request_id, to log it.
    assert answer.json() == {"request_id": sane}


@pytest.mark.parametrize(
    "insane", ["", "x" * 129, "two words", "<script>alert(1)</script>", 'quote"d', "tab\tbed"]
)
def test_an_insane_request_id_is_replaced(client: TestClient, insane: str) -> None:
    answer = client.get("/probe/request-id", headers={"X-Request-ID": insane})
    assert HEX_ID.fullmatch(answer.headers["x-request-id"])
    assert answer.json() == {"request_id": answer.headers["x-request-id"]}


def test_server_timing_is_present_and_parseable(client: TestClient) -> None:
    timing = client.get("/health").headers["server-timing"]
    duration = SERVER_TIMING.fullmatch(timing)
    assert duration is not None, timing
    assert 0 <= float(duration.group(1)) < 10_000


def test_a_route_own_server_timing_is_kept(client: TestClient) -> None:
    timings = client.get("/probe/timed").headers.get_list("server-timing")
    assert timings[0] == "db;dur=1.5"
    assert SERVER_TIMING.fullmatch(timings[1])


def test_an_unhandled_error_still_answers_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # ServerErrorMiddleware, outside every middleware, sends the 500; the MIDDLEWARE feature's
    # 500 handler adds the request id and the security headers there, and logs the id.
    app = build(with_probe=True, cors_origins=[BOARD_ORIGIN])
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        answer = client.get(
            "/probe/boom", headers={"X-Request-ID": "report-42", "Origin": BOARD_ORIGIN}
        )
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert answer.headers["x-request-id"] == "report-42"
    assert SECURITY_HEADERS.items() <= answer.headers.items()
    # What the middleware would add is missing: no timing, no CORS (a page sees a CORS error).
    assert "server-timing" not in answer.headers
    assert "access-control-allow-origin" not in answer.headers
    assert "Unhandled RuntimeError in GET /probe/boom (request id report-42)" in caplog.text


def test_without_the_handler_a_500_has_no_request_id() -> None:
    # Why the handler: the 500 of ServerErrorMiddleware never passes through the middleware.
    middleware_only = Feature(name="middleware-only", middleware=middleware_stack)
    app = create_app(CheckpointSettings(), (*OTHER_FEATURES, middleware_only, PROBE))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/probe/boom", headers={"X-Request-ID": "report-42"})
    assert answer.status_code == 500
    assert "x-request-id" not in answer.headers


def test_an_unhandled_error_is_still_raised_to_the_server(client: TestClient) -> None:
    # The handler answers, and the exception goes on to the server, which logs its traceback.
    with pytest.raises(RuntimeError, match="a bug"):
        client.get("/probe/boom")


def test_lifespan_and_websocket_pass_through() -> None:
    lifespan_events.clear()
    # Only the board beside: the global dependencies of lesson 05 (request counts, API key) ask
    # for a Request, which a WebSocket route does not have.
    settings = CheckpointSettings(cors_origins=[BOARD_ORIGIN], allowed_hosts=["testserver"])
    app = create_app(settings, (BOARD, MIDDLEWARE, PROBE))
    with TestClient(app) as client:
        assert lifespan_events == ["start"]
        with client.websocket_connect("/probe/echo") as websocket:
            websocket.send_text("hello")
            assert websocket.receive_text() == "hello"
    assert lifespan_events == ["start", "stop"]


# --- GZip ---------------------------------------------------------------------------------------


def test_a_large_answer_is_compressed_and_a_small_one_is_not(client: TestClient) -> None:
    log_in(client)  # the board wants a token; the demo account owns the demo tasks
    for number in range(60):
        client.post("/tasks", json={"title": f"Task number {number}", "description": "x" * 40})
    large = client.get("/tasks", params={"limit": 100})
    assert large.headers["content-encoding"] == "gzip"
    assert int(large.headers["content-length"]) < len(large.content) / 3
    assert "Accept-Encoding" in large.headers["vary"]
    assert len(large.json()) == len(demo_tasks()) + 60
    assert client.get("/openapi.json").headers["content-encoding"] == "gzip"
    small = client.get("/health")
    assert "content-encoding" not in small.headers
    assert small.json() == {"status": "ok"}


def test_nothing_is_compressed_for_a_client_that_does_not_accept_gzip(
    client: TestClient,
) -> None:
    answer = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in answer.headers
    assert answer.json()["info"]["title"] == "Taskboard"


def test_the_export_stream_is_still_sent_piece_by_piece(client: TestClient) -> None:
    # Gzip compresses each piece as it comes and flushes it: each one decompresses, on arrival,
    # into exactly one task. The last piece is the gzip trailer.
    log_in(client)  # the board wants a token; the demo account owns the demo tasks
    with client.stream("GET", "/export/tasks") as answer:
        assert answer.headers["content-encoding"] == "gzip"
        pieces = list(answer.iter_raw())
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    lines = [decompressor.decompress(piece) for piece in pieces]
    assert lines[-1] == b""
    assert [json.loads(line) for line in lines[:-1]] == demo_tasks()
    assert decompressor.eof


# --- Trusted hosts ------------------------------------------------------------------------------


def test_a_bad_host_gets_a_400_when_hosts_are_configured() -> None:
    app = build(allowed_hosts=["testserver", "*.board.example.com", "www.taskboard.example"])
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/health", headers={"Host": "api.board.example.com"}).status_code == 200
        refused = client.get("/health", headers={"Host": "evil.example"})
        assert (refused.status_code, refused.text) == (400, "Invalid host header")
        # No redirect from taskboard.example to www.taskboard.example (Starlette's default)
        # either: an API's clients call the hosts they are given.
        www = client.get("/health", headers={"Host": "taskboard.example"})
        assert www.status_code == 400


def test_any_host_is_served_by_default(client: TestClient) -> None:
    for host in ("testserver", "localhost:8000", "127.0.0.1:8000", "hub.mybinder.example"):
        assert client.get("/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["localhost:8000", "https://board.example.com", "a.*.example.com", "*example.com"]
)
def test_a_malformed_host_is_refused(host: str) -> None:
    with pytest.raises(ValidationError, match=r"allowed_hosts\[1\] is not a host name"):
        Settings(allowed_hosts=["testserver", host])


def test_hosts_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_ALLOWED_HOSTS", '["Board.Example.com", "127.0.0.1"]')
    assert Settings().allowed_hosts == ["board.example.com", "127.0.0.1"]
    with pytest.raises(ValidationError, match="names no host"):
        Settings(allowed_hosts=[])


# --- Security headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tasks", "/nowhere", "/docs", "/redoc", "/openapi.json"])
def test_security_headers_are_on_every_answer(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert SECURITY_HEADERS.items() <= answer.headers.items()
    assert "strict-transport-security" not in answer.headers


def test_redoc_keeps_its_own_content_security_policy(client: TestClient) -> None:
    assert client.get("/redoc").headers["content-security-policy"] == "img-src 'self' data:"
    # and no other page gets one: /docs needs its inline script.
    assert "content-security-policy" not in client.get("/docs").headers


def test_hsts_only_over_https() -> None:
    with TestClient(build(), base_url="https://testserver") as client:
        assert client.get("/health").headers["strict-transport-security"] == "max-age=31536000"


# --- Order --------------------------------------------------------------------------------------


def layers(app: FastAPI) -> list[str]:
    """The app's middleware, outermost first, down to the router."""
    names, layer = [], app.build_middleware_stack()
    while type(layer).__name__ != "APIRouter":
        names.append(type(layer).__name__)
        layer = layer.app
    return names


def test_the_middleware_order() -> None:
    configured = build(cors_origins=[BOARD_ORIGIN], allowed_hosts=["testserver"])
    ours = [
        "RequestIdMiddleware",
        "SecurityHeadersMiddleware",
        "TrustedHostMiddleware",
        "CORSMiddleware",
        "GZipMiddleware",
    ]
    names = layers(configured)
    # Starlette's error middleware is outside ours, its exception handlers inside.
    assert names[0] == "ServerErrorMiddleware"
    start = names.index(ours[0])
    assert names[start : start + len(ours)] == ours
    # Then lesson 15's access log, innermost of Taskboard's middleware.
    assert names[start + len(ours) : start + len(ours) + 2] == [
        "AccessLogMiddleware",
        "ExceptionMiddleware",
    ]
    # Unconfigured, the host check and CORS are left out rather than doing nothing.
    assert [name for name in layers(build()) if name in ours] == [
        "RequestIdMiddleware",
        "SecurityHeadersMiddleware",
        "GZipMiddleware",
    ]


def test_what_the_order_means() -> None:
    app = build(cors_origins=[BOARD_ORIGIN], allowed_hosts=["testserver"])
    with TestClient(app) as client:
        # The request id and the security headers are outside the host check and CORS: their
        # own answers get both.
        for refused in (
            client.get("/health", headers={"Host": "evil.example"}),
            preflight(client, BOARD_ORIGIN),
        ):
            assert HEX_ID.fullmatch(refused.headers["x-request-id"])
            assert SECURITY_HEADERS.items() <= refused.headers.items()
        # The host check is outside CORS: a bad host is refused before CORS answers a preflight.
        refused = preflight(client, BOARD_ORIGIN, Host="evil.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        # CORS is outside the exception handlers: a 404 carries its headers.
        missing = client.get("/nowhere", headers={"Origin": BOARD_ORIGIN})
        assert missing.status_code == 404
        assert missing.headers["access-control-allow-origin"] == BOARD_ORIGIN


def test_a_feature_may_build_its_middleware_from_the_settings() -> None:
    seen: list[list[str]] = []

    def from_settings(settings: Settings) -> list:
        seen.append(settings.cors_origins)
        return []

    create_app(
        CheckpointSettings(cors_origins=[BOARD_ORIGIN]),
        [Feature(name="f", middleware=from_settings)],
    )
    assert seen == [[BOARD_ORIGIN]]
