"""Taskboard on AWS Lambda (lesson 15): configure the function's handler as
`taskboard.lambda_handler.handler`.

Mangum turns each API Gateway (or load balancer) event into an ASGI request, runs the app on it,
and turns the answer into the dict Lambda returns. Two things about Mangum 0.22 shape this module:

- It runs the app's lifespan around *every* event with `lifespan="auto"` (its default) or "on":
  startup, the request, shutdown. Taskboard's lifespan opens the database engine and the HTTP
  client; closing them after each request would mean a new connection every time, and SQLite in
  memory would start empty at each request. So Mangum gets `lifespan="off"`, and the handler
  enters the app's lifespan itself, once, at the first event of each execution environment
  (a "cold start"). Lambda gives a Python function no shutdown hook: the connections end with
  the environment.
- It runs each event on the calling thread's event loop, with `run_until_complete`. Lambda calls
  the handler on a thread where no loop runs, one event at a time, so that works. In a thread
  whose loop is running (a notebook cell, an `async def` test) it cannot: call the handler from
  a worker thread there, e.g. `await asyncio.to_thread(handler, event, context)`.

What Lambda changes for clients: answers are sent whole, never streamed (API Gateway buffers
them; the JSON Lines export arrives at once), binary bodies travel base64-encoded, a request or
answer is at most 6 MB, and WebSockets need API Gateway's WebSocket APIs, which Mangum does not
serve.
"""

import asyncio
import threading
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from taskboard.main import create_app


class LambdaHandler:
    """Mangum for `app`, with the app's lifespan entered once, at the first event."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._adapter: Mangum | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lifespan = AsyncExitStack()
        # One event at a time, as Lambda sends them: a loop cannot run twice at once.
        self._one_at_a_time = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop runs in this thread: Mangum can run its own
        else:
            raise RuntimeError(
                "The Lambda handler runs its own event loop, and this thread's loop is already "
                "running: call it from a worker thread, e.g. "
                "`await asyncio.to_thread(handler, event, context)`"
            )
        with self._one_at_a_time:
            if self._adapter is None:
                self._start()
            # Mangum runs the event on this thread's current loop: the one the lifespan and the
            # database connections belong to, whichever thread calls.
            asyncio.set_event_loop(self._loop)
            assert self._adapter is not None
            return self._adapter(event, context)

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = self.app
        loop.run_until_complete(
            self._lifespan.enter_async_context(app.router.lifespan_context(app))
        )
        self._loop = loop
        self._adapter = Mangum(app, lifespan="off")

    def close(self) -> None:
        """Leave the app's lifespan and close the loop, as a server's shutdown would.

        For tests and notebooks: Lambda itself never calls it.
        """
        with self._one_at_a_time:
            if self._loop is None:
                return
            self._loop.run_until_complete(self._lifespan.aclose())
            self._loop.close()
            asyncio.set_event_loop(None)
            self._loop = None
            self._adapter = None


# Built when Lambda imports this module, from the function's environment variables
# (TASKBOARD_ENVIRONMENT, TASKBOARD_SECRET_KEY, DATABASE_URL…), like `taskboard.main:app`.
handler = LambdaHandler(create_app())
