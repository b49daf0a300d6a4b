"""Link checks (lesson 06): is each link attached to a task's comments still answering?

The links are checked at once with `asyncio.gather`, through the app's shared HTTP client: a task
with ten links takes about as long as its slowest link, not the sum of them. One link that does
not answer fails alone; the others are still reported.

A server that requests URLs its users give it can be used to probe hosts only it can reach
(server-side request forgery). These checks send `HEAD` only, follow no redirect, and report
nothing but the status. A public deployment would also refuse links to private addresses.
"""

import asyncio

import httpx2
from fastapi import APIRouter

from taskboard.api.deps import HttpClientDep, StoreDep
from taskboard.api.routes.tasks import TASK_NOT_FOUND, TaskId
from taskboard.models import Attachment, LinkCheck

router = APIRouter(prefix="/tasks", tags=["tasks"])


async def check_link(http: httpx2.AsyncClient, link: Attachment) -> LinkCheck:
    try:
        response = await http.head(link.url)
    except httpx2.HTTPError:  # no answer in time, no connection, a malformed answer...
        return LinkCheck(name=link.name, url=link.url, status=None, ok=False)
    return LinkCheck(
        name=link.name, url=link.url, status=response.status_code, ok=response.status_code < 400
    )


@router.get("/{task_id}/links", summary="Check the links of a task", responses=TASK_NOT_FOUND)
async def check_task_links(
    store: StoreDep, http: HttpClientDep, task_id: TaskId
) -> list[LinkCheck]:
    """Send a `HEAD` request to every link attached to the task's comments, all at once, and
    report each one's status, in the order of the comments. A link that does not answer within
    5 seconds has the status `null`. A server that refuses `HEAD` (405) counts as not ok."""
    comments = await store.list_comments(task_id)
    links = [link for comment in comments for link in comment.attachments]
    return await asyncio.gather(*(check_link(http, link) for link in links))
