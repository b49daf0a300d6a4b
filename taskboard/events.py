"""Task changes, announced to whoever listens: the live board (lesson 10), the cache (lesson 12).

Both stores publish a `TaskEvent` once a change is made (committed, for the database), whichever
route or GraphQL mutation made it, so no caller has to remember to announce its own changes.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, Field

from taskboard.models import TaskPublic

logger = logging.getLogger(__name__)


class TaskEvent(BaseModel):
    """One change to one task."""

    type: Literal["task.created", "task.updated", "task.deleted"]
    task_id: int
    # Whose board the task is on (lesson 08), so each listener, in this process or past a broker,
    # can tell who may see the change; None for a task without an owner (the demo tasks before
    # the demo account logs in).
    owner_id: int | None
    task: TaskPublic | None = Field(
        default=None, description="The task as it now is; none once deleted."
    )


Listener = Callable[[TaskEvent], Awaitable[None]]


class TaskEvents:
    """The listeners of one store, and its views, which share it."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every change from now on; call what this returns to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def publish(self, event: TaskEvent) -> None:
        for listener in tuple(self._listeners):
            # The change is made already: a listener that fails (a broker that is down) must
            # not turn the client's successful write into a 500, nor keep the others from it.
            try:
                await listener(event)
            except Exception:
                logger.exception("A listener failed on %s of task %s", event.type, event.task_id)
