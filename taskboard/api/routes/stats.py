"""Request counts (lesson 05): what the app has answered, what failed, what it is answering now.

`count_request` is a global `yield` dependency: FastAPI runs its code before `yield` ahead of the
route, and the rest once the request is over, whether the route returned or raised. A dependency
runs only for requests that reach a route: a path no route matches, /openapi.json, and a body
FastAPI cannot parse (refused before any dependency runs) are not counted. Lesson 09's
middleware sees every request.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection


class RequestStats(BaseModel):
    """The app's request counts since it started. One object per app, kept in `app.state.stats`."""

    served: int = Field(default=0, description="Requests answered, failed ones included.")
    failed: int = Field(
        default=0, description="Requests a route or a dependency refused with an error."
    )
    in_progress: int = Field(default=0, description="Requests being answered, this one included.")


# `HTTPConnection`: a global dependency also runs for lesson 10's WebSocket routes.
async def get_stats(request: HTTPConnection) -> RequestStats:
    return request.app.state.stats


StatsDep = Annotated[RequestStats, Depends(get_stats)]


async def count_request(stats: StatsDep) -> AsyncIterator[None]:
    """Count one request, from before its route runs until the answer has been sent."""
    stats.in_progress += 1
    try:
        yield
    except Exception:
        # The route or a later dependency raised (a 404, a 401, a 422...). Re-raise it, so the
        # client still gets that answer: swallowed, it would become a 500.
        stats.failed += 1
        raise
    finally:
        stats.in_progress -= 1
        stats.served += 1


router = APIRouter(tags=["health"])


@router.get("/stats", summary="Request counts")
async def read_stats(stats: StatsDep) -> RequestStats:
    """How many requests the app has answered, how many failed, and how many it is answering.

    This request is among those in progress, and not yet among those served.
    """
    return stats
