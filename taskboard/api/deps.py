"""Dependencies shared by the routes, as `Annotated` aliases (lesson 05 explains them in depth).

A route asks for what it needs by type, `store: StoreDep` or `settings: SettingsDep`, and FastAPI
calls the function behind the alias once per request, however many routes and dependencies
of that request ask for it. A test replaces one through `app.dependency_overrides`.
"""

import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import httpx2
from fastapi import Depends, Header, HTTPException, Request, Security, WebSocketException
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from starlette.requests import HTTPConnection
from starlette.status import WS_1008_POLICY_VIOLATION

from taskboard.core.config import Settings
from taskboard.core.security import (
    SCOPES,
    InsufficientScope,
    InvalidToken,
    TokenClaims,
    read_access_token,
)
from taskboard.models import ErrorMessage, UserInDB
from taskboard.store import Store, UserNotFound


# `async def`: FastAPI would run a plain `def` dependency in the threadpool, a thread hop for what
# is one attribute read. Each app keeps its own store and settings, so two apps never share them.
# `HTTPConnection`, the common base of `Request` and `WebSocket`: the same dependencies serve
# lesson 10's WebSocket routes, which have no `Request` to give.
async def get_transaction(request: HTTPConnection) -> AsyncIterator[Store]:
    """The request's one transaction on the app's store, whoever turns out to be calling.

    A `yield` dependency (lesson 05): the in-memory store is the same for every request, but the
    database store of lesson 07 opens a session here, and closes it (rolled back if the request
    failed) once the answer is sent. FastAPI makes it once per request, so the token check
    (`get_current_user`) and the route's store share one session: a second session per request,
    for the user lookup alone, cost about 15 % of a guarded read's CPU time (lesson 14).
    """
    async with request.app.state.store.transaction() as store:
        yield store


TransactionDep = Annotated[Store, Depends(get_transaction)]


async def get_store(request: HTTPConnection, transaction: TransactionDep) -> Store:
    """The store a route uses: the request's transaction, as its signed-in user sees it.

    When the request's user is known (lesson 08: the route's guard, `get_current_user`, ran
    first), the store sees only that user's tasks.
    """
    user: UserInDB | None = getattr(request.state, "user", None)
    return transaction if user is None else transaction.seen_by(user.id)


async def get_settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# What anyone may call even when the app has an API key: the health checks that load balancers
# and monitors poll, and the docs pages (the schema they load, /openapi.json, is no route of
# ours, so no dependency guards it). Taskboard's routers carry their prefixes themselves, so a
# route's path is the full path.
PUBLIC_PATHS = frozenset(
    {"/health", "/status", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc"}
)

# RFC 9110: a 401 names the scheme to use. API keys have no standard one; FastAPI's own
# APIKeyHeader says `APIKey`, and so does Taskboard.
_CHALLENGE = {"WWW-Authenticate": "APIKey"}


async def require_api_key(
    request: HTTPConnection,
    settings: SettingsDep,
    # Not in the schema: it would be listed on every operation, the public ones too, and
    # whether or not this app has a key.
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """When the settings hold an `api_key`, refuse a request without it in `X-API-Key` (401).

    Without one, the default, every request goes through, as before lesson 05.
    """
    if settings.api_key is None or request.scope["route"].path in PUBLIC_PATHS:
        return
    if x_api_key is None:
        raise _refusal(request, "Missing the X-API-Key header")
    # compare_digest takes as long wherever the first wrong character is, so the time of an
    # answer tells nothing about the key. Bytes, because it refuses non-ASCII str.
    expected = settings.api_key.get_secret_value().encode()
    if not secrets.compare_digest(x_api_key.encode(), expected):
        raise _refusal(request, "Wrong API key in the X-API-Key header")


def _refusal(connection: HTTPConnection, detail: str) -> Exception:
    """The 401 that refuses a request without the right API key; for a WebSocket, its equivalent.

    A WebSocket's handshake is an HTTP request, and Starlette sends an HTTPException's answer
    as the handshake's answer (a "denial response"), so a script that connects sees the same 401
    as over HTTP. Only servers with ASGI's denial-response extension can send one (uvicorn and
    TestClient can); on any other, the socket is closed with 1008, policy violation, instead
    of failing with an error.
    """
    extensions = connection.scope.get("extensions") or {}
    if connection.scope["type"] == "websocket" and "websocket.http.response" not in extensions:
        return WebSocketException(WS_1008_POLICY_VIOLATION, detail)
    return HTTPException(401, detail, headers=_CHALLENGE)


async def get_http_client(request: HTTPConnection) -> httpx2.AsyncClient:
    """The app's one client for outgoing HTTP requests, opened by its lifespan (lesson 06)."""
    return request.app.state.http


HttpClientDep = Annotated[httpx2.AsyncClient, Depends(get_http_client)]


# Lesson 08. Reads `Authorization: Bearer <token>`; a request without one gets FastAPI's 401,
# "Not authenticated", with `WWW-Authenticate: Bearer`. tokenUrl is relative, like every URL of
# the docs pages, so Swagger UI's "Authorize" works behind a path prefix too.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", scopes=SCOPES)
TokenDep = Annotated[str, Depends(oauth2_scheme)]


async def authenticate(
    store: Store, token: str, settings: Settings, scopes: Sequence[str] = ()
) -> tuple[UserInDB, TokenClaims]:
    """The user a token was issued to, and its claims, if the token allows `scopes`: the one
    place a token is checked.

    InvalidToken for a token that is malformed, tampered with, expired, or whose user is gone;
    InsufficientScope for a valid one without every scope asked for. The routes' guard,
    `get_current_user`, answers those with a 401 or a 403; the live board (lesson 10), which
    reads its token from the socket, closes the socket with 1008 instead; GraphQL (lesson 11)
    reports them as errors. The user is looked up in `store`, which must see every user: a
    transaction not yet narrowed to one user's tasks.
    """
    claims = read_access_token(token, settings)
    try:
        user = await store.get_user(claims.user_id)
    except UserNotFound:
        raise InvalidToken("The token's user no longer exists") from None
    missing = [scope for scope in scopes if scope not in claims.scopes]
    if missing:
        raise InsufficientScope(f"The token does not allow {', '.join(missing)}")
    return user, claims


async def get_current_user(
    request: Request,
    security_scopes: SecurityScopes,
    token: TokenDep,
    settings: SettingsDep,
    transaction: TransactionDep,
) -> UserInDB:
    """The user the token was issued to, if the token is valid and allows `security_scopes`.

    401 for a token that is malformed, tampered with, expired, or whose user is gone; 403 for a
    valid one without the scope the route asks for (RFC 6750). The user is also kept on
    `request.state`, where `get_store` finds it, so the route's store sees only their tasks.
    """
    challenge = "Bearer"
    if security_scopes.scopes:
        challenge += f' scope="{security_scopes.scope_str}"'
    try:
        user, _ = await authenticate(transaction, token, settings, security_scopes.scopes)
    except InvalidToken as error:
        raise HTTPException(
            401, str(error), headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'}
        ) from None
    except InsufficientScope as error:
        raise HTTPException(
            403,
            str(error),
            headers={"WWW-Authenticate": f'{challenge}, error="insufficient_scope"'},
        ) from None
    # Where `get_store` finds it, so the route's store sees only this user's tasks.
    request.state.user = user
    return user


CurrentUser = Annotated[UserInDB, Depends(get_current_user)]

# The guards lesson 08 puts on the routes of earlier lessons (taskboard/api/main.py).
CAN_READ_TASKS = Security(get_current_user, scopes=["tasks:read"])
CAN_WRITE_TASKS = Security(get_current_user, scopes=["tasks:write"])
SIGNED_IN = Depends(get_current_user)

# What those guards answer, for the documentation of every route they guard: FastAPI lists a
# route's own answers, not its dependencies'. Lesson 13's fuzzing found them missing.
NOT_SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorMessage,
        "description": "No token, or one that is malformed, expired, or whose user is gone.",
    }
}
SCOPE_MISSING: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorMessage, "description": "The token does not allow what this route needs."}
}
