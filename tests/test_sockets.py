"""course.sockets: receiving from TestClient's WebSockets never hangs."""

import time

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.testclient import TestClient

from course.sockets import EndpointFailed, receive, receive_json, receive_text
from tests.echo_socket import echo_app


def _app() -> FastAPI:
    app = echo_app()

    @app.websocket("/json")
    async def json_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"hello": "world"})
        await websocket.send_bytes(b'{"as": "bytes"}')
        await websocket.close()

    return app


def test_a_message_that_comes_is_received() -> None:
    with TestClient(_app()).websocket_connect("/echo") as websocket:
        websocket.send_text("hi")
        assert receive_text(websocket) == "You said: hi"
        websocket.send_text("again")
        assert receive(websocket) == {"type": "websocket.send", "text": "You said: again"}


def test_no_message_is_a_timeout_error_in_time_and_nothing_is_lost() -> None:
    with TestClient(_app()).websocket_connect("/echo") as websocket:
        websocket.send_text("silence")
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r"^no message from the app within 0\.1 s$"):
            receive_text(websocket, timeout=0.1)
        assert time.monotonic() - start < 1
        # The socket still works, and the next message is the next one sent.
        websocket.send_text("later")
        assert receive_text(websocket) == "You said: later"


def test_a_close_is_a_websocket_disconnect_with_its_code_and_reason() -> None:
    with TestClient(_app()).websocket_connect("/echo") as websocket:
        websocket.send_text("bye")
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_text(websocket)
    assert (closed.value.code, closed.value.reason) == (4000, "see you")


def test_json_comes_from_text_or_bytes_and_then_the_close() -> None:
    with TestClient(_app()).websocket_connect("/json") as websocket:
        assert receive_json(websocket) == {"hello": "world"}
        assert receive_json(websocket) == {"as": "bytes"}
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_json(websocket)
    assert closed.value.code == 1000


def test_an_endpoint_that_raised_is_named_and_its_error_comes_at_the_end() -> None:
    # Leaving the block raises the app's error.
    with (
        pytest.raises(ValueError, match="boom"),
        TestClient(_app()).websocket_connect("/echo") as websocket,
    ):
        websocket.send_text("boom")
        with pytest.raises(EndpointFailed, match="stopped with an error"):
            receive_text(websocket)
