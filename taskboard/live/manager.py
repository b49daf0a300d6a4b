"""The connection manager: who listens to the live board in this process, and what each may see.

Broadcasting never waits for a socket. Each subscriber has a queue of its own, which its socket's
endpoint empties (taskboard/api/routes/live.py). So a client that is slow, or that vanished
without a word, delays nobody else, and the broadcast itself can neither block nor fail: one
broadcast reaches every other subscriber, whatever happens to one of them.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from taskboard.events import TaskEvent

# How many events a subscriber may fall behind before the board gives up on it. A browser tab
# keeps up with thousands a second; one whose connection stalls would otherwise make its queue
# grow for as long as the server runs.
QUEUE_SIZE = 256


class TooSlow(Exception):
    """The subscriber fell more than QUEUE_SIZE events behind: its view of the board is stale."""


class Subscription:
    """One open socket's place on the board: the user, and the events waiting to be sent."""

    def __init__(self, user_id: int, queue_size: int = QUEUE_SIZE) -> None:
        self.user_id = user_id
        self._events: asyncio.Queue[TaskEvent] = asyncio.Queue(queue_size)
        self._overflowed = False

    def may_see(self, event: TaskEvent) -> bool:
        # The store's own rule (lesson 08): a user sees the tasks they own. A task without an
        # owner (the demo tasks before the demo account logs in) is nobody's to see.
        return event.owner_id == self.user_id

    def offer(self, event: TaskEvent) -> None:
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            # Dropping this event silently would leave the client with a wrong board; `next`
            # tells its endpoint instead, which closes the socket so the client reloads.
            self._overflowed = True

    async def next(self) -> TaskEvent:
        """The next event to send; TooSlow once the subscriber has missed one."""
        if self._overflowed:
            raise TooSlow
        return await self._events.get()


class ConnectionManager:
    """The subscribers of this process, and `broadcast` to give each the events it may see."""

    def __init__(self, queue_size: int | None = None) -> None:
        self._queue_size = QUEUE_SIZE if queue_size is None else queue_size
        self._subscriptions: set[Subscription] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    @contextmanager
    def subscribe(self, user_id: int) -> Iterator[Subscription]:
        """A subscription for as long as the `with` block runs, however it ends.

        Leaving the block, by a disconnect, an error or a cancellation, removes it: a client
        that is gone is never sent to again, and leaks nothing.
        """
        subscription = Subscription(user_id, self._queue_size)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def broadcast(self, event: TaskEvent) -> None:
        # Async, as the brokers call it, but it never awaits: nothing can change the set while
        # it is read, and no slow subscriber holds up the others.
        for subscription in self._subscriptions:
            if subscription.may_see(event):
                subscription.offer(event)
