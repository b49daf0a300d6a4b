"""What every request and every answer goes through, whatever the route (lesson 09).

`middleware_stack(settings)` lists Taskboard's middleware, outermost first, for the MIDDLEWARE
feature (taskboard/api/main.py); the CORS origins and trusted hosts come from the settings.

Taskboard's own middleware are *pure ASGI* classes: `__call__(scope, receive, send)` wraps `send`
and touches only the `http.response.start` message (the status and headers), so a body passes
through as the route sends it, piece by piece for a stream. Neither `BaseHTTPMiddleware` nor
`@app.middleware("http")` (which is `BaseHTTPMiddleware` underneath) is used here. What we checked
against Starlette 1.10 and FastAPI 0.165, by running both kinds side by side:

- `call_next` does not buffer: a streamed answer still reaches the client piece by piece, and a
  background task still runs after the answer is sent, as without the middleware (the docs no
  longer list either as a limitation).
- What Starlette's docs still list as its limitation holds: a `ContextVar` that a route sets is
  not seen by the middleware after `call_next`, because the app runs in a task of its own.
- It costs more: each request gets a task group, a memory stream that every message crosses and
  a response object that re-sends them. Lesson 09 measures it: on a small JSON route, the
  `@app.middleware("http")` version makes a request at least twice as slow as the pure ASGI one
  (about 135 µs against 40 µs here, 32 µs with no middleware at all).
"""

import logging
import re
import time
import uuid

from fastapi import Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskboard.core.config import Settings

logger = logging.getLogger("taskboard")

REQUEST_ID_HEADER = "X-Request-ID"

# A client's (or a proxy's) own request id is kept when it is sane: at most 128 characters
# that are safe in a header, a log line and a URL (a UUID, hex, base64, `trace:span` ids). Any
# other value (too long, spaces, quotes, control characters) is replaced, never repeated.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9+/=._:-]{1,128}")

# What cross-origin pages may use: the methods Taskboard's routes answer (HEAD comes with every
# GET), and the headers its clients send. Content-Type is always allowed by Starlette; it is
# listed to say so. tests/taskboard/test_middleware.py checks that every method of the schema is here.
CORS_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type", "X-API-Key", REQUEST_ID_HEADER)
# Response headers a cross-origin page may read, beyond the CORS-safelisted ones.
CORS_EXPOSED_HEADERS = (REQUEST_ID_HEADER,)

# Answers of at least this many bytes are compressed for clients that accept gzip. Below it, the
# gzip header and the CPU cost more than they save.
GZIP_MINIMUM_SIZE = 1000

SECURITY_HEADERS = {
    # Browsers must trust Content-Type: a JSON answer is never sniffed into HTML or a script.
    "X-Content-Type-Options": "nosniff",
    # No page of the API sends its URL (task ids, search words) to another site. The browser
    # default, strict-origin-when-cross-origin, would still send the origin; the docs pages link
    # out only to the contact page, so nothing is lost.
    "Referrer-Policy": "no-referrer",
    # No site may show the API or its docs in a frame (clickjacking). No Content-Security-Policy
    # here: /docs needs an inline script, and /redoc sets its own (see routes/docs.py).
    "X-Frame-Options": "DENY",
}
# Over https only: the browser then refuses plain http to this host for a year. Without
# includeSubDomains or preload, which commit the whole domain: the deployer's decision. Behind a
# TLS proxy, the scheme is https only when the server trusts its X-Forwarded-Proto (uvicorn's
# --forwarded-allow-ips).
HSTS = "max-age=31536000"


def request_id(headers: Headers) -> str:
    """The request's id: the client's own `X-Request-ID` if sane, else a new uuid4 in hex."""
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def add_security_headers(headers: MutableHeaders, scope: Scope) -> None:
    """Add the security headers an answer lacks; one a route set itself is kept."""
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if scope.get("scheme") == "https" and "Strict-Transport-Security" not in headers:
        headers["Strict-Transport-Security"] = HSTS


class RequestIdMiddleware:
    """Give every answer an `X-Request-ID` and a `Server-Timing: app;dur=<ms>` header.

    The id is the client's own when it is sane, else a new one; routes (and the 500 handler
    below) read it as `request.state.request_id`. The time runs from the request's arrival to the
    start of the answer, the moment the headers are sent, so a stream is timed to its first piece.
    Lifespan and WebSocket scopes pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id(Headers(scope=scope))
        # The request's own copy of the lifespan state (ASGI gives each request a copy).
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                # append: a route may have sent timings of its own (db;dur=...).
                elapsed_ms = (time.perf_counter() - start) * 1000
                headers.append("Server-Timing", f"app;dur={elapsed_ms:.1f}")
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """Add `SECURITY_HEADERS` to every answer, and HSTS to those sent over https."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def server_error_handler(request: Request, exc: Exception) -> PlainTextResponse:
    """The 500 of an exception no handler caught: Starlette's own answer, plus the request id.

    Such an exception escapes every middleware above: Starlette's ServerErrorMiddleware, always
    the outermost layer, catches it and sends the 500 straight to the server. So this handler
    (which runs there) adds the request id and the security headers itself, and logs the id with
    the route, next to the server's traceback. The 500 has no `Server-Timing` and no CORS headers:
    a browser page on another origin sees a CORS error, not the 500.
    """
    rid = getattr(request.state, "request_id", None) or request_id(request.headers)
    logger.error(
        "Unhandled %s in %s %s (request id %s)",
        type(exc).__name__,
        request.method,
        request.url.path,
        rid,
    )
    answer = PlainTextResponse("Internal Server Error", status_code=500)
    answer.headers[REQUEST_ID_HEADER] = rid
    add_security_headers(answer.headers, request.scope)
    return answer


def middleware_stack(settings: Settings) -> list[Middleware]:
    """Taskboard's middleware for `settings`, outermost first.

    1. RequestIdMiddleware, outermost of ours: every answer below gets an id, even a 400 for a bad
       Host or a CORS preflight, and the timing covers the other middleware, gzip included.
    2. SecurityHeadersMiddleware: on those answers too.
    3. TrustedHostMiddleware: refuses a bad `Host` before CORS, routing, dependencies or gzip do
       any work. Only with hosts configured: the default, `["*"]`, would check nothing.
    4. CORSMiddleware: answers a preflight (`OPTIONS` with `Origin` and
       `Access-Control-Request-Method`) itself, before routing, which would answer 405 (no route
       has OPTIONS), and before the global dependencies, such as the API key's 401 (a browser
       never sends credentials with a preflight). It also adds its headers to the answers of
       exception handlers, which run inside it. Only with origins configured: with none, no CORS
       header at all.
    5. GZipMiddleware, innermost: compresses the body as the route sent it, piece by piece for a
       stream; the middleware above only touch headers.

    Starlette's ServerErrorMiddleware stays outside all of them: see `server_error_handler`.
    """
    stack = [Middleware(RequestIdMiddleware), Middleware(SecurityHeadersMiddleware)]
    if settings.allowed_hosts != ["*"]:
        # www_redirect=False: a request for example.com when only www.example.com is listed gets
        # a 400, not a redirect; an API's clients call the hosts they are given.
        stack.append(
            Middleware(
                TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts, www_redirect=False
            )
        )
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_credentials=settings.cors_allow_credentials,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED_HEADERS,
            )
        )
    stack.append(Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE))
    return stack
