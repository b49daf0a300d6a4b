"""The check framework's WebSockets (`Probe.websocket`, lesson 10): every wait is bounded, and
whatever the app does becomes a report, never a hang or a traceback."""

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import Depends, FastAPI, HTTPException, WebSocket

import course.checks
from course.checks import CheckFailed, Probe, Received, _probe_for
from tests.echo_socket import echo_app


def _app() -> FastAPI:
    app = echo_app()

    @app.websocket("/loud")
    async def loud(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:  # lets WebSocketDisconnect through when the client leaves
            await websocket.receive_text()

    @app.websocket("/refuse")
    async def refuse(websocket: WebSocket) -> None:
        await websocket.close(1008, "no")

    async def no_entry() -> None:
        raise HTTPException(401, "Who are you?")

    @app.websocket("/denied", dependencies=[Depends(no_entry)])
    async def denied(websocket: WebSocket) -> None:
        await websocket.accept()

    @app.websocket("/stuck")
    async def stuck(websocket: WebSocket) -> None:
        await asyncio.Event().wait()

    return app


@pytest.fixture
def probe() -> Iterator[Probe]:
    with _probe_for("Task 1", _app(), "10") as probe:
        yield probe


def test_messages_go_both_ways(probe: Probe) -> None:
    with probe.websocket("/echo") as socket:
        assert socket.accepted
        socket.send_text("hi")
        got = socket.receive()
        assert got == Received(text="You said: hi")
        assert got.show() == "'You said: hi'"
        socket.send_json({"a": 1})
        assert socket.receive().json() is None  # "You said: {...}" is no JSON
        assert socket.sent == "WebSocket /echo, then 'hi', then {\"a\": 1}"


def test_nothing_in_time_is_none(probe: Probe) -> None:
    with probe.websocket("/echo") as socket:
        socket.send_text("silence")
        assert socket.receive(timeout=0.05) is None
        socket.send_text("later")
        assert socket.receive().text == "You said: later"


def test_a_close_is_received_with_its_code_and_reason(probe: Probe) -> None:
    with probe.websocket("/echo") as socket:
        socket.send_text("bye")
        got = socket.receive()
    assert (got.closed, got.close_code, got.close_reason) == (True, 4000, "see you")
    assert got.show() == "close 4000 'see you'"


def test_a_refusal_before_accepting_is_told_apart(probe: Probe) -> None:
    with probe.websocket("/refuse") as socket:
        assert not socket.accepted
        assert socket.refusal == Received(close_code=1008, close_reason="no")
    with probe.websocket("/denied") as socket:
        assert not socket.accepted
        assert socket.denial is not None
        assert (socket.denial.status_code, socket.denial.json()) == (
            401,
            {"detail": "Who are you?"},
        )


def test_a_path_without_a_websocket_route_is_named(probe: Probe) -> None:
    with (
        pytest.raises(CheckFailed) as failed,
        probe.websocket("/nowhere?token=x", shown="/nowhere"),
    ):
        pass
    assert failed.value.problem == "no WebSocket route matches this path."
    assert (failed.value.sent, failed.value.got) == ("WebSocket /nowhere", "close 1000")


def test_an_endpoint_that_raises_is_reported(probe: Probe) -> None:
    with pytest.raises(CheckFailed) as failed, probe.websocket("/echo") as socket:
        socket.send_text("boom", shown="<a bomb>")
        socket.receive()
    assert failed.value.problem == "your app raised ValueError while answering."
    assert (failed.value.sent, failed.value.got) == (
        "WebSocket /echo, then <a bomb>",
        "ValueError: boom",
    )


def test_an_endpoint_that_raises_when_the_client_leaves_is_reported(probe: Probe) -> None:
    with pytest.raises(CheckFailed) as failed, probe.websocket("/loud"):
        pass
    assert failed.value.sent == "WebSocket /loud, then left"
    assert failed.value.got.startswith("WebSocketDisconnect")
    # Leaving first, then finishing, says the same once.
    with pytest.raises(CheckFailed) as again, probe.websocket("/loud") as socket:
        socket.leave()
        socket.finish()
    assert again.value.sent == "WebSocket /loud, then left"


def test_an_endpoint_that_never_answers_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course.checks, "REQUEST_TIMEOUT", 0.3)
    with _probe_for("Task 1", _app(), "10") as probe:
        with pytest.raises(CheckFailed) as failed, probe.websocket("/stuck"):
            pass
        assert probe.stuck
    assert failed.value.problem == (
        "your app neither accepted nor refused the WebSocket within 0.3 seconds."
    )
