"""The board's stats (lesson 12): how many tasks the signed-in user has, by status and label.

Counting reads every task of the user, and dashboards poll the stats every few seconds. So the
app keeps each user's answer (taskboard/core/cache.py) until a task of theirs changes, says in
`X-Cache` whether it came from there, and gives it an `ETag`: a client that sends it back in
`If-None-Match` gets a 304 without a body for as long as the stats are unchanged.
"""

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from taskboard.api.deps import StoreDep
from taskboard.core.cache import StatsCache
from taskboard.core.http_cache import none_match, weak_etag
from taskboard.models import BoardStats, TaskStatus, UserInDB
from taskboard.store import Store

router = APIRouter(prefix="/board", tags=["tasks"])


async def get_stats_cache(request: Request) -> StatsCache:
    cache: StatsCache = request.app.state.board_stats_cache
    cache.watch(request.app.state.store)  # once per store; the lifespan usually did it already
    return cache


StatsCacheDep = Annotated[StatsCache, Depends(get_stats_cache)]

# A per-user answer. `private`: the user's browser may keep it, a shared cache (a proxy, a CDN)
# must not. `no-cache`: ask before each reuse, which the ETag makes cheap (a 304 without a
# body). `Vary: Authorization`: with another token, it is another user's answer.
CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}

_HEADER_DOCS: dict[str, Any] = {
    "ETag": {
        "description": 'The stats\' version, such as `W/"3f2a…"`: send it back in '
        "`If-None-Match` to get a 304 while they are unchanged.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`private, no-cache`: yours alone; check with the ETag before reusing.",
        "schema": {"type": "string"},
    },
    "X-Cache": {
        "description": "`HIT` when the stats came from the server's cache, `MISS` when counted.",
        "schema": {"type": "string", "enum": ["HIT", "MISS"]},
    },
}


async def count_tasks(store: Store) -> BoardStats:
    statuses: Counter[TaskStatus] = Counter()
    labels: Counter[str] = Counter()
    async for task in store.iter_tasks():
        statuses[task.status] += 1
        labels.update(task.labels)
    return BoardStats(
        total=statuses.total(),
        by_status={status: statuses[status] for status in TaskStatus},
        by_label=dict(sorted(labels.items())),
    )


@router.get(
    "/stats",
    summary="Count your tasks",
    response_model=BoardStats,
    response_description="Your tasks, counted.",
    responses={
        200: {"headers": _HEADER_DOCS},
        304: {"description": "Not Modified: the stats are still those of your ETag. No body."},
    },
)
async def read_board_stats(
    request: Request,
    store: StoreDep,
    cache: StatsCacheDep,
    if_none_match: Annotated[
        str | None, Header(description="The ETag of the stats you have, to get a 304 if current.")
    ] = None,
) -> Response:
    """Your tasks counted: in all, by status, and by label. Kept by the server until one of
    your tasks changes, and answered 304 to an `If-None-Match` with the current ETag."""
    user: UserInDB = request.state.user  # the route's guard (lesson 08) put it there
    body = await cache.get(user.id)
    headers = {**CACHE_HEADERS, "X-Cache": "HIT" if body is not None else "MISS"}
    if body is None:
        body = (await count_tasks(store)).model_dump_json().encode()
        # A task changed between the count and this line cleared an entry not yet there: this
        # count stays until it expires, settings.stats_cache_seconds from now.
        await cache.set(user.id, body)
    headers["ETag"] = weak_etag(body)
    if none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
