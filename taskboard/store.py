"""Where Taskboard keeps its tasks and users until lesson 07 moves them into a database.

Every method is `async`, although this store waits on nothing: the database store of lesson 07
has the same methods and must await its queries, so the routes `await` the store whichever one
the app was built with.
"""

import copy
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool

from taskboard.core.security import hash_password
from taskboard.demo import demo_tasks
from taskboard.events import TaskEvent, TaskEvents
from taskboard.models import (
    MAX_CHECKLIST_ITEMS,
    ChecklistItem,
    CommentCreate,
    CommentPublic,
    Page,
    TaskCreate,
    TaskFilePublic,
    TaskFilters,
    TaskPublic,
    UserCreate,
    UserInDB,
)


class NotFound(LookupError):
    """An id the store does not hold; taskboard/errors.py turns it into a 404."""


class TaskNotFound(NotFound):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} not found")
        self.task_id = task_id


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"User {user_id} not found")
        self.user_id = user_id


class LabelNotFound(NotFound):
    def __init__(self, label: str) -> None:
        super().__init__(f"No task has label {label!r}")
        self.label = label


class FileNotFound(NotFound):
    def __init__(self, task_id: int, file_id: int) -> None:
        super().__init__(f"Task {task_id} has no file {file_id}")
        self.task_id = task_id
        self.file_id = file_id


class Conflict(Exception):
    """A request that breaks a rule of the data as it stands; taskboard/errors.py answers 409."""


class ChecklistFull(Conflict):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} already has {MAX_CHECKLIST_ITEMS} checklist items")
        self.task_id = task_id


class Forbidden(Exception):
    """An action the signed-in user may not take on something they may see; answered 403."""


class NotYourAccount(Forbidden):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"User {user_id} is not you: you can only delete your own account")
        self.user_id = user_id


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(f"Username {username!r} is already taken")
        self.username = username


class Store:
    """An in-memory store. One per app, so two apps (or two tests) never share tasks or users.

    From lesson 08 on, each request of a signed-in user gets a view of it that sees and changes
    only that user's tasks (`transaction(owner=...)`); without an owner it sees everything.
    """

    def __init__(self, tasks: list[TaskPublic] | None = None) -> None:
        # Everything below is shared by the store and its views: dicts are changed in place,
        # never replaced, and ids come from counters (never reused after a delete, as a
        # database sequence would).
        self._tasks: dict[int, TaskPublic] = {task.id: task for task in tasks or []}
        self._task_owners: dict[int, int | None] = dict.fromkeys(self._tasks)
        self._task_ids = itertools.count(max(self._tasks, default=0) + 1)
        self._comments: dict[int, CommentPublic] = {}
        self._comment_ids = itertools.count(1)
        self._users: dict[int, UserInDB] = {}
        self._user_ids = itertools.count(1)
        # Files attached to tasks (lesson 06): their description and their bytes, by file id.
        self._files: dict[int, tuple[TaskFilePublic, bytes]] = {}
        self._file_ids = itertools.count(1)
        # The signed-in user this view belongs to; None sees every task.
        self._owner: int | None = None
        # Who hears of each task change (taskboard/events.py), shared with the views.
        self.events = TaskEvents()

    @classmethod
    def with_demo_data(cls) -> "Store":
        return cls([TaskPublic.model_validate(task) for task in demo_tasks()])

    @asynccontextmanager
    async def transaction(self, owner: int | None = None) -> AsyncIterator["Store"]:
        """The store a request uses (`get_transaction`): memory needs no session, so this one,
        or a view of it that sees only `owner`'s tasks.

        The database store of lesson 07 opens a session here instead.
        """
        yield self if owner is None else self.seen_by(owner)

    def seen_by(self, owner: int) -> "Store":
        """A view of this store that sees and changes only `owner`'s tasks (lesson 08)."""
        view = copy.copy(self)  # shares every dict and counter with this store
        view._owner = owner
        return view

    async def ping(self) -> None:
        """Whether the store can serve requests (lesson 15's readiness check): memory always can.

        The database store's `ping` runs `SELECT 1`, and raises when the database does not answer.
        """

    def _mine(self, task_id: int) -> bool:
        return self._owner is None or self._task_owners.get(task_id) == self._owner

    def _visible(self) -> list[TaskPublic]:
        return [task for task in self._tasks.values() if self._mine(task.id)]

    async def list_tasks(self, filters: TaskFilters | None = None) -> list[TaskPublic]:
        """Tasks in creation order that match every filter, at most `filters.limit` of them."""
        filters = filters or TaskFilters()
        tasks = [
            task
            for task in self._visible()
            if (filters.status is None or task.status == filters.status)
            and set(filters.label) <= set(task.labels)
        ]
        return tasks[: filters.limit]

    async def search(self, text: str) -> list[TaskPublic]:
        needle = text.casefold()
        return [task for task in self._visible() if needle in task.title.casefold()]

    async def get(self, task_id: int) -> TaskPublic:
        # Another user's task is not found, exactly like one that does not exist (lesson 08).
        if task_id not in self._tasks or not self._mine(task_id):
            raise TaskNotFound(task_id)
        return self._tasks[task_id]

    async def create(self, task_in: TaskCreate) -> TaskPublic:
        task = TaskPublic(id=next(self._task_ids), **task_in.model_dump())
        self._tasks[task.id] = task
        self._task_owners[task.id] = self._owner
        await self.events.publish(
            TaskEvent(type="task.created", task_id=task.id, owner_id=self._owner, task=task)
        )
        return task

    async def update(self, task_id: int, changes: dict[str, Any]) -> TaskPublic:
        """Apply `changes` (field name to new value) and validate the result as a whole."""
        task = TaskPublic.model_validate((await self.get(task_id)).model_dump() | changes)
        self._tasks[task_id] = task
        owner = self._task_owners[task_id]
        await self.events.publish(
            TaskEvent(type="task.updated", task_id=task_id, owner_id=owner, task=task)
        )
        return task

    async def add_checklist_item(self, task_id: int, item: ChecklistItem) -> TaskPublic:
        """Append `item` to the task's checklist, unless the checklist is full."""
        task = await self.get(task_id)
        if len(task.checklist) >= MAX_CHECKLIST_ITEMS:
            raise ChecklistFull(task_id)
        return await self.update(task_id, {"checklist": [*task.checklist, item]})

    async def delete(self, task_id: int) -> None:
        """Remove the task, its comments and its files."""
        await self.get(task_id)
        owner = self._task_owners[task_id]
        self._forget_tasks({task_id})
        await self.events.publish(TaskEvent(type="task.deleted", task_id=task_id, owner_id=owner))

    def _forget_tasks(self, task_ids: set[int]) -> None:
        for task_id in task_ids:
            del self._tasks[task_id]
            del self._task_owners[task_id]
        for id_, comment in list(self._comments.items()):
            if comment.task_id in task_ids:
                del self._comments[id_]
        for id_, (file, _) in list(self._files.items()):
            if file.task_id in task_ids:
                del self._files[id_]

    async def add_comment(self, task_id: int, comment_in: CommentCreate) -> CommentPublic:
        await self.get(task_id)
        comment = CommentPublic(
            id=next(self._comment_ids), task_id=task_id, **comment_in.model_dump()
        )
        self._comments[comment.id] = comment
        return comment

    async def list_comments(self, task_id: int) -> list[CommentPublic]:
        """The task's comments, oldest first."""
        await self.get(task_id)
        return [comment for comment in self._comments.values() if comment.task_id == task_id]

    async def comments_of(self, task_ids: Iterable[int]) -> dict[int, list[CommentPublic]]:
        """The comments of many tasks at once, oldest first, by task id (lesson 11's DataLoader).

        Every task asked for that this store sees has an entry, an empty list if it has no
        comments; a task it does not see has none, as `list_comments` would find it missing.
        """
        wanted = {task_id for task_id in task_ids if task_id in self._tasks and self._mine(task_id)}
        found: dict[int, list[CommentPublic]] = {task_id: [] for task_id in wanted}
        for comment in self._comments.values():
            if comment.task_id in wanted:
                found[comment.task_id].append(comment)
        return found

    async def owners_of(self, task_ids: Iterable[int]) -> dict[int, UserInDB]:
        """The owner of many tasks at once, by task id (lesson 11's DataLoader).

        A task without an owner (a demo task before the demo account logs in), or one this
        store does not see, has no entry.
        """
        return {
            task_id: self._users[owner]
            for task_id in set(task_ids)
            if task_id in self._tasks
            and self._mine(task_id)
            and (owner := self._task_owners[task_id]) is not None
        }

    async def create_user(self, user_in: UserCreate) -> UserInDB:
        if any(user.username == user_in.username for user in self._users.values()):
            raise UsernameTaken(user_in.username)
        # argon2 is slow on purpose (~0.1 s of CPU): off the event loop, in the threadpool.
        password_hash = await run_in_threadpool(hash_password, user_in.password)
        if any(user.username == user_in.username for user in self._users.values()):
            raise UsernameTaken(user_in.username)  # taken while the password was hashed
        user = UserInDB(
            id=next(self._user_ids),
            **user_in.model_dump(exclude={"password"}),
            password_hash=password_hash,
        )
        self._users[user.id] = user
        return user

    async def get_user(self, user_id: int) -> UserInDB:
        try:
            return self._users[user_id]
        except KeyError:
            raise UserNotFound(user_id) from None

    async def list_users(self, page: Page) -> list[UserInDB]:
        """One page of users, in the order they signed up."""
        users = sorted(self._users.values(), key=lambda user: user.id)
        return users[page.offset : page.offset + page.limit]

    async def create_users(self, users_in: list[UserCreate]) -> list[UserInDB]:
        """Sign up every user, or none: a taken username (or one given twice) changes nothing."""
        hashes = [await run_in_threadpool(hash_password, u.password) for u in users_in]
        # From here on nothing awaits, so no other request can take a name halfway through.
        taken = {user.username for user in self._users.values()}
        for user_in in users_in:
            if user_in.username in taken:
                raise UsernameTaken(user_in.username)
            taken.add(user_in.username)
        users = []
        for user_in, password_hash in zip(users_in, hashes, strict=True):
            user = UserInDB(
                id=next(self._user_ids),
                **user_in.model_dump(exclude={"password"}),
                password_hash=password_hash,
            )
            self._users[user.id] = user
            users.append(user)
        return users

    async def find_user(self, username: str) -> UserInDB | None:
        """The user with this username, if there is one (to log in, lesson 08)."""
        return next((user for user in self._users.values() if user.username == username), None)

    async def delete_user(self, user_id: int) -> None:
        """Delete the user and their tasks; the username is free again.

        A signed-in user's view may delete only that user: users are listed for everyone, so
        another one's existence is no secret, and the answer is 403, not 404 (lesson 08).
        """
        if user_id not in self._users:
            raise UserNotFound(user_id)
        if self._owner is not None and user_id != self._owner:
            raise NotYourAccount(user_id)
        del self._users[user_id]
        self._forget_tasks({id_ for id_, owner in self._task_owners.items() if owner == user_id})

    async def adopt_unowned_tasks(self, user_id: int) -> None:
        """Give every task without an owner (the demo tasks) to the user (lesson 08's demo)."""
        for task_id, owner in self._task_owners.items():
            if owner is None:
                self._task_owners[task_id] = user_id

    async def label_counts(self) -> dict[str, int]:
        """How many tasks carry each label in use, by label name."""
        counts = Counter(label for task in self._visible() for label in task.labels)
        return dict(sorted(counts.items()))

    async def tasks_with_label(self, label: str) -> list[TaskPublic]:
        """The tasks carrying `label`; a label no task carries is not found."""
        tasks = [task for task in self._visible() if label in task.labels]
        if not tasks:
            raise LabelNotFound(label)
        return tasks

    async def iter_tasks(self) -> AsyncIterator[TaskPublic]:
        """Every task in creation order, one at a time, for a route that streams them.

        It goes over a copy of the ids, so tasks created while a client reads the stream do not
        break it. A database store fetches rows in batches here instead of all at once.
        """
        for task_id in list(self._tasks):
            task = self._tasks.get(task_id)
            if task is not None and self._mine(task_id):  # else deleted since, or not yours
                yield task

    async def add_file(
        self, task_id: int, filename: str, content_type: str, content: bytes
    ) -> TaskFilePublic:
        """Attach a file to the task. It is stored whole, or not at all."""
        await self.get(task_id)
        file = TaskFilePublic(
            id=next(self._file_ids),
            task_id=task_id,
            filename=filename,
            content_type=content_type,
            size=len(content),
        )
        self._files[file.id] = (file, content)
        return file

    async def list_files(self, task_id: int) -> list[TaskFilePublic]:
        """The files attached to the task, oldest first."""
        await self.get(task_id)
        return [file for file, _ in self._files.values() if file.task_id == task_id]

    async def read_file(self, task_id: int, file_id: int) -> tuple[TaskFilePublic, bytes]:
        """A file of the task, with its bytes; a file of another task is not found."""
        await self.get(task_id)
        file, content = self._files.get(file_id, (None, b""))
        if file is None or file.task_id != task_id:
            raise FileNotFound(task_id, file_id)
        return file, content
