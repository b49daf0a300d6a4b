"""One WebSocket app for the tests of bounded receives: `course.sockets` (test_sockets.py) and the
checks' `Probe.websocket` (test_checks_sockets.py) each add the routes of their own cases."""

from fastapi import FastAPI, WebSocket, WebSocketDisconnect


def echo_app() -> FastAPI:
    """`/echo` answers "You said: <text>", except to "silence" (nothing), "bye" (it closes with
    4000 "see you") and "boom" (the endpoint raises ValueError)."""
    app = FastAPI()

    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                if text == "silence":
                    continue
                if text == "bye":
                    await websocket.close(4000, "see you")
                    return
                if text == "boom":
                    raise ValueError("boom")
                await websocket.send_text(f"You said: {text}")
        except WebSocketDisconnect:
            pass

    return app
