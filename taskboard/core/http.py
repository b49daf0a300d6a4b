"""The app's client for outgoing HTTP requests (lesson 06): one per app, opened by its lifespan.

An `httpx2.AsyncClient` keeps a pool of connections: made once at startup and shared by every
request, it reuses them, where a client per request would open new ones each time (and leak them
if one were not closed). The lifespan closes it at shutdown. A route gets it as `HttpClientDep`
(taskboard/api/deps.py), and a test replaces it through `app.dependency_overrides`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from fastapi import FastAPI

from taskboard import __version__

# Seconds an outgoing request may take, to connect and for each read, before it fails.
TIMEOUT = 5.0


@asynccontextmanager
async def http_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    headers = {"User-Agent": f"Taskboard/{__version__}"}
    async with httpx2.AsyncClient(timeout=TIMEOUT, headers=headers) as client:
        app.state.http = client
        yield
