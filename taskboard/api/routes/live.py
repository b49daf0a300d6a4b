"""The live board (lesson 10): a WebSocket that pushes each change to your tasks as it happens.

Connect to `/live/board` with a token that allows `tasks:read`, in the query string
(`?token=...`) or as the first message (`{"token": "..."}`). The board answers
`{"type": "subscribed", "user_id": ..., "username": ...}`, then one message per change made to
one of your tasks, through REST or anything else that calls the store:
`{"type": "task.created" | "task.updated" | "task.deleted", "task_id": ..., "task": {...}}`,
with `task` null once deleted. Anything the client sends after its token is ignored.

The socket is closed with 1008, policy violation, and the reason, when the token is missing,
not valid, lacks the scope, or expires while the socket is open; with 1013, try again later,
when the client fell too far behind to trust its board. Either way: log in, or reload the board
(GET /tasks), and connect again.

Why `/live/board` and not `/tasks/live`: a prefix of its own keeps the long-lived sockets apart
from the REST routes, where a proxy or a load balancer treats them differently (their own
timeouts, sticky routing); and a plain GET of `/tasks/live` would reach `GET /tasks/{task_id}`
and answer a puzzling 422.
"""

from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect, WebSocketException
from pydantic import BaseModel, Field, ValidationError
from starlette.status import WS_1008_POLICY_VIOLATION, WS_1011_INTERNAL_ERROR
from starlette.websockets import WebSocketDisconnected

from taskboard.api.deps import SettingsDep, authenticate
from taskboard.core.security import TOKEN_EXPIRED, InsufficientScope, InvalidToken, TokenClaims
from taskboard.live.manager import ConnectionManager, Subscription, TooSlow

router = APIRouter(prefix="/live")

# Seconds a client may take to send its first message, when its token is not in the URL: an
# open socket costs the server memory, and one that never says who it is must not stay.
AUTH_TIMEOUT = 10.0

# RFC 6455's code for "the server is overloaded, try again later"; Starlette names 1000 to 1011.
WS_1013_TRY_AGAIN_LATER = 1013

# Close reasons travel in a control frame: at most 123 bytes, so keep them short.
NO_TOKEN = 'Send a token: ?token=... in the URL, or {"token": "..."} first'
TOO_SLOW = "Too far behind: reload the board and connect again"


async def get_live_board(websocket: WebSocket) -> ConnectionManager:
    """This process's connection manager, which the feature's lifespan starts."""
    board: ConnectionManager | None = getattr(websocket.app.state, "live_board", None)
    if board is None:
        # A notebook's `TestClient(app)` without `with` runs no lifespan.
        raise WebSocketException(
            WS_1011_INTERNAL_ERROR, "The live board is not running: start the app's lifespan"
        )
    return board


LiveBoardDep = Annotated[ConnectionManager, Depends(get_live_board)]


class NoToken(Exception):
    """The client sent no usable token."""


class TokenMessage(BaseModel):
    token: str = Field(min_length=1)


def now() -> datetime:
    """The time, from one place, so that tests can move it."""
    return datetime.now(UTC)


@router.websocket("/board")
async def live_board(
    websocket: WebSocket,
    board: LiveBoardDep,
    settings: SettingsDep,
    token: Annotated[str | None, Query(description="An access token with tasks:read.")] = None,
) -> None:
    # Accepted before the token is checked, whatever the outcome. A socket closed before it is
    # accepted never opens: the server answers the handshake with a bare HTTP 403, and the
    # client learns neither the code nor the reason.
    await websocket.accept()
    try:
        given = token or await _token_from_first_message(websocket)
        # A transaction of its own, closed at once: a socket stays open for hours, and must not
        # hold a database session (on SQLite in memory, the one connection) all that time.
        async with websocket.app.state.store.transaction() as store:
            user, claims = await authenticate(store, given, settings, ["tasks:read"])
    except (NoToken, InvalidToken, InsufficientScope) as refused:
        await websocket.close(WS_1008_POLICY_VIOLATION, str(refused))
        return
    except WebSocketDisconnect:  # gone before it sent a token
        return
    with board.subscribe(user.id) as subscription:
        # Sent once subscribed: from this message on, the client misses no change.
        await websocket.send_json(
            {"type": "subscribed", "user_id": user.id, "username": user.username}
        )
        await _serve(websocket, subscription, claims)


async def _token_from_first_message(websocket: WebSocket) -> str:
    with anyio.move_on_after(AUTH_TIMEOUT):
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        try:
            return TokenMessage.model_validate_json(
                message.get("text") or message.get("bytes") or "{}"
            ).token
        except ValidationError:
            raise NoToken(NO_TOKEN) from None
    raise NoToken(f"No token within {AUTH_TIMEOUT:g} seconds")


async def _serve(websocket: WebSocket, subscription: Subscription, claims: TokenClaims) -> None:
    """Send the subscriber's events until the client leaves, falls behind, or its token expires.

    Three tasks at once: the first to finish ends the other two.
    """
    async with anyio.create_task_group() as tasks:

        async def forward_events() -> None:
            try:
                while True:
                    event = await subscription.next()
                    await websocket.send_json(
                        event.model_dump(mode="json", include={"type", "task_id", "task"})
                    )
            except TooSlow:
                await _close(websocket, WS_1013_TRY_AGAIN_LATER, TOO_SLOW)
            except (WebSocketDisconnect, WebSocketDisconnected):
                pass  # the client vanished: nothing left to send to
            tasks.cancel_scope.cancel()

        async def close_when_the_token_expires() -> None:
            await anyio.sleep((claims.expires_at - now()).total_seconds())
            await _close(websocket, WS_1008_POLICY_VIOLATION, TOKEN_EXPIRED)
            tasks.cancel_scope.cancel()

        tasks.start_soon(forward_events)
        tasks.start_soon(close_when_the_token_expires)
        # What the client says is ignored; listening is how its leaving is noticed.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
        tasks.cancel_scope.cancel()


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with suppress(WebSocketDisconnect, WebSocketDisconnected):  # the client may have left first
        await websocket.close(code, reason)
