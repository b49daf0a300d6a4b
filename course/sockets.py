"""Receiving from a WebSocket of Starlette's TestClient, with a time limit (lesson 10).

`TestClient.websocket_connect(...)` gives a session whose `receive_text()`, `receive_json()`
and `receive()` wait for as long as it takes: an app that never answers makes a test, a check
or a notebook cell hang for ever, and Kernel > Interrupt does not stop it. Starlette's
maintainers declined a `timeout` argument (encode/starlette#1140, #2329, #2598), so these
functions add one:

    with client.websocket_connect("/chat") as websocket:
        websocket.send_text("hello")
        receive_text(websocket)          # "You said: hello", or TimeoutError after 2 s

Like the session's own methods, they raise `WebSocketDisconnect` (with the code and reason)
when the app closed the socket. A message that did not come in time stays unread: a later
call still gets it.
"""

import json
from typing import Any

import anyio
from starlette.testclient import WebSocketTestSession
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

__all__ = ["RECEIVE_TIMEOUT", "EndpointFailed", "receive", "receive_json", "receive_text"]

# Seconds to wait for one message. In-process, an answer takes well under a millisecond, so a
# message that has not come in two seconds is not coming.
RECEIVE_TIMEOUT = 2.0


class EndpointFailed(RuntimeError):
    """The app's endpoint for this socket raised: leaving the `with` block raises its error."""


def receive(websocket: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT) -> Message:
    """The next ASGI message the app sent (`{"type": "websocket.send", "text": ...}`, or a
    close), or TimeoutError after `timeout` seconds."""

    async def next_message() -> Message:
        with anyio.fail_after(timeout):
            # The stream the session's own receive() reads (Starlette 1.10): waiting here,
            # under a deadline, on the session's event loop, leaves the next message in place
            # if it does not come in time.
            return await websocket._send_rx.receive()

    try:
        return websocket.portal.call(next_message)
    except TimeoutError:
        raise TimeoutError(f"no message from the app within {timeout:g} s") from None
    except (anyio.ClosedResourceError, anyio.EndOfStream):
        # The session's stream closes when the endpoint stopped with an exception.
        raise EndpointFailed(
            "the app's endpoint for this socket stopped with an error, which leaving the "
            "`with` block raises"
        ) from None


def _data(message: Message) -> str | bytes:
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    return message.get("text") if message.get("text") is not None else message["bytes"]


def receive_text(websocket: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT) -> str:
    """The next text message; WebSocketDisconnect if the app closed the socket instead."""
    data = _data(receive(websocket, timeout))
    return data if isinstance(data, str) else data.decode()


def receive_json(websocket: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT) -> Any:
    """The next message, decoded from JSON; WebSocketDisconnect if the app closed the socket."""
    return json.loads(_data(receive(websocket, timeout)))
