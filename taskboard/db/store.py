"""`DatabaseStore`: the async Store of taskboard/store.py, kept in a database (lesson 07).

Same methods, same answers, same errors: the routes cannot tell which store they were given.
`get_store` (taskboard/api/deps.py) opens one session per request with `transaction()`; each
method that writes commits once its whole change is made, so a client never sees a success
that was not saved, and a failure leaves nothing half-written.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.pool import StaticPool
from starlette.concurrency import run_in_threadpool

from taskboard.core.security import hash_password
from taskboard.db.models import Base, ChecklistItemRow, Comment, Task, TaskFile, TaskLabel, User
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
from taskboard.store import (
    ChecklistFull,
    FileNotFound,
    LabelNotFound,
    NotYourAccount,
    TaskNotFound,
    UsernameTaken,
    UserNotFound,
)

# How many tasks iter_tasks fetches per query while a client reads the export.
BATCH_SIZE = 50

# Reading one task (GET /tasks/{task_id}): its labels and checklist joined into the task's own
# query, rather than the two more queries the relationships' `lazy="selectin"` sends, which suits
# lists of tasks. On SQLite through aiosqlite each query is four trips to aiosqlite's thread;
# lesson 14 measured a guarded read at a third less CPU time this way. The join repeats the
# task's row for every (label, checklist item) pair: a handful in practice, and at most 10 x 50
# by the models' limits.
ONE_QUERY = (joinedload(Task.labels), joinedload(Task.checklist))

# Ids are INTEGER columns, 32-bit on PostgreSQL: a larger number cannot be an id, and sent to
# the database it is an error (a 500), not a row that is missing.
MAX_ID = 2**31 - 1


def _can_exist(row_id: int) -> bool:
    return 1 <= row_id <= MAX_ID


def task_public(task: Task) -> TaskPublic:
    return TaskPublic(
        id=task.id,
        title=task.title,
        description=task.description,
        status=task.status,
        priority=task.priority,
        labels=[label.name for label in task.labels],
        checklist=[ChecklistItem(text=item.text, done=item.done) for item in task.checklist],
    )


def comment_public(comment: Comment) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        task_id=comment.task_id,
        text=comment.text,
        kind=comment.kind,
        attachments=comment.attachments,
    )


def file_public(file: TaskFile) -> TaskFilePublic:
    return TaskFilePublic(
        id=file.id,
        task_id=file.task_id,
        filename=file.filename,
        content_type=file.content_type,
        size=file.size,
    )


def user_in_db(user: User) -> UserInDB:
    return UserInDB(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        password_hash=user.password_hash,
    )


def _set_fields(task: Task, fields: dict[str, Any]) -> None:
    """Copy a validated task's fields onto its row, labels and checklist as rows of their own."""
    task.title = fields["title"]
    task.description = fields["description"]
    task.status = fields["status"]
    task.priority = fields["priority"]
    task.labels = [TaskLabel(position=i, name=name) for i, name in enumerate(fields["labels"])]
    task.checklist = [
        ChecklistItemRow(position=i, text=item["text"], done=item["done"])
        for i, item in enumerate(fields["checklist"])
    ]


class DatabaseStore:
    """The store, in the database the engine points at.

    The app keeps one, without a session; `transaction()` gives a request its own, bound to a
    session. Called without one (in a test, say), each method opens a session of its own.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        session: AsyncSession | None = None,
        *,
        demo_data: bool = False,
        owner: int | None = None,
        events: TaskEvents | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.engine = engine
        # expire_on_commit=False: rows stay readable after a commit, without a new query. Made
        # once per app and handed to each request's store, rather than made again per request.
        self.sessions = sessions or async_sessionmaker(engine, expire_on_commit=False)
        self.demo_data = demo_data
        self._session = session
        # The signed-in user whose tasks alone this store sees (lesson 08); None sees them all.
        self._owner = owner
        # Who hears of each committed task change (taskboard/events.py): the app's one store
        # makes it, and each request's store shares it.
        self.events = events or TaskEvents()
        self._one_at_a_time: asyncio.Lock | None = None
        # One session does one thing at a time: see `_use`.
        self._session_turn = asyncio.Lock()
        self._schema_ready = False

    @asynccontextmanager
    async def transaction(self, owner: int | None = None) -> AsyncIterator["DatabaseStore"]:
        """A store bound to one new session, for one request: rolled back if anything fails.

        With an `owner`, it sees and changes only that user's tasks (lesson 08).
        """
        if not self._schema_ready:
            # The lifespan creates the schema at startup. An app used without it (a notebook's
            # `TestClient(app)` outside a `with`) gets it on its first request instead.
            await self.create_schema()
        async with self._turn(), self.sessions() as session:
            try:
                yield DatabaseStore(
                    self.engine, session, owner=owner, events=self.events, sessions=self.sessions
                )
            except BaseException:
                await session.rollback()
                raise

    def seen_by(self, owner: int) -> "DatabaseStore":
        """This request's store, in the same session, seeing and changing only `owner`'s tasks
        (lesson 08). For a store from `transaction()`: the app's own store has no session."""
        if self._session is None:
            raise RuntimeError("seen_by() needs a request's store: use transaction(owner=...)")
        return DatabaseStore(
            self.engine, self._session, owner=owner, events=self.events, sessions=self.sessions
        )

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        # SQLite in memory has one connection (StaticPool) for every session: two requests at
        # once would mix their transactions on it, so they take turns. A pool of connections
        # (PostgreSQL, a SQLite file) needs no such lock: the database isolates them.
        if isinstance(self.engine.pool, StaticPool):
            if self._one_at_a_time is None:
                self._one_at_a_time = asyncio.Lock()
            async with self._one_at_a_time:
                yield
        else:
            yield

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[AsyncSession]:
        if self._session is not None:
            # An AsyncSession must not serve two tasks at once, and GraphQL (lesson 11) resolves
            # the fields of a list's items concurrently, each calling the request's store: its
            # calls take turns on the session.
            async with self._session_turn:
                yield self._session
        else:
            async with self.transaction() as store:
                assert store._session is not None
                yield store._session

    async def ping(self) -> None:
        """Run `SELECT 1`: raises if the database cannot be reached or does not answer.

        The readiness check (lesson 15) calls it. It takes its turn on SQLite in memory like any
        request: the one connection returned to the pool is rolled back, which would undo the
        transaction another request has open on it.
        """
        async with self._turn(), self.engine.connect() as connection:
            await connection.execute(select(1))

    async def create_schema(self) -> None:
        """Create the tables if they are missing, and seed the demo tasks into an empty board.

        For SQLite and tests; a production database gets its schema from Alembic's migrations.
        Run by the lifespan at each startup, on the event loop that will serve the requests.
        """
        self._one_at_a_time = None  # a lock belongs to one event loop: a fresh one per startup
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        self._schema_ready = True
        if self.demo_data:
            await self.seed_demo_data()

    async def seed_demo_data(self) -> None:
        async with self._use() as session:
            if await session.scalar(select(func.count()).select_from(Task)):
                return
            # Inserted in order without their ids: the database numbers them 1, 2, 3, 4 and its
            # sequence knows it (PostgreSQL would hand out 1 again if we gave ids ourselves).
            for fields in demo_tasks():
                task = Task()
                _set_fields(task, TaskPublic.model_validate(fields).model_dump())
                session.add(task)
                await session.flush()
            await session.commit()

    # Tasks -------------------------------------------------------------------------------

    def _tasks(self) -> Select[tuple[Task]]:
        """`SELECT` the tasks this store may see, in creation order."""
        query = select(Task).order_by(Task.id)
        return query if self._owner is None else query.where(Task.owner_id == self._owner)

    async def list_tasks(self, filters: TaskFilters | None = None) -> list[TaskPublic]:
        """Tasks in creation order that match every filter, at most `filters.limit` of them."""
        filters = filters or TaskFilters()
        query = self._tasks().limit(filters.limit)
        if filters.status is not None:
            query = query.where(Task.status == filters.status)
        for label in set(filters.label):
            query = query.where(
                exists().where(TaskLabel.task_id == Task.id, TaskLabel.name == label)
            )
        async with self._use() as session:
            return [task_public(task) for task in await session.scalars(query)]

    async def search(self, text: str) -> list[TaskPublic]:
        # autoescape: a % or _ the client typed is matched as itself, not as a LIKE wildcard.
        query = self._tasks().where(func.lower(Task.title).contains(text.lower(), autoescape=True))
        async with self._use() as session:
            return [task_public(task) for task in await session.scalars(query)]

    async def _task(
        self,
        session: AsyncSession,
        task_id: int,
        *,
        lock: bool = False,
        options: Sequence[ORMOption] = (),
    ) -> Task:
        # lock: SELECT ... FOR UPDATE on PostgreSQL, so two requests changing the same task wait
        # for each other instead of both rewriting its labels (SQLite locks the whole database).
        task = (
            await session.get(
                Task, task_id, with_for_update=lock, populate_existing=lock, options=options
            )
            if _can_exist(task_id)
            else None
        )
        # Another user's task is not found, exactly like one that does not exist (lesson 08).
        if task is None or (self._owner is not None and task.owner_id != self._owner):
            raise TaskNotFound(task_id)
        return task

    async def get(self, task_id: int) -> TaskPublic:
        async with self._use() as session:
            return task_public(await self._task(session, task_id, options=ONE_QUERY))

    async def create(self, task_in: TaskCreate) -> TaskPublic:
        async with self._use() as session:
            task = Task(owner_id=self._owner)
            _set_fields(task, task_in.model_dump())
            session.add(task)
            await session.commit()
            created = task_public(task)
        await self.events.publish(
            TaskEvent(type="task.created", task_id=created.id, owner_id=self._owner, task=created)
        )
        return created

    async def update(self, task_id: int, changes: dict[str, Any]) -> TaskPublic:
        """Apply `changes` (field name to new value) and validate the result as a whole."""
        async with self._use() as session:
            task = await self._task(session, task_id, lock=True)
            updated = TaskPublic.model_validate(task_public(task).model_dump() | changes)
            # Old labels and checklist rows go first: SQLAlchemy would insert the new rows
            # before deleting the old ones, and (task_id, position) would clash.
            task.labels = []
            task.checklist = []
            await session.flush()
            _set_fields(task, updated.model_dump())
            await session.commit()
        await self._updated(task_id, task.owner_id, updated)
        return updated

    async def _updated(self, task_id: int, owner: int | None, task: TaskPublic) -> None:
        await self.events.publish(
            TaskEvent(type="task.updated", task_id=task_id, owner_id=owner, task=task)
        )

    async def add_checklist_item(self, task_id: int, item: ChecklistItem) -> TaskPublic:
        """Append `item` to the task's checklist, unless the checklist is full."""
        async with self._use() as session:
            task = await self._task(session, task_id, lock=True)
            if len(task.checklist) >= MAX_CHECKLIST_ITEMS:
                raise ChecklistFull(task_id)
            task.checklist.append(
                ChecklistItemRow(position=len(task.checklist), text=item.text, done=item.done)
            )
            await session.commit()
            updated = task_public(task)
        await self._updated(task_id, task.owner_id, updated)
        return updated

    async def delete(self, task_id: int) -> None:
        """Remove the task; the database deletes its comments, files, labels and checklist."""
        async with self._use() as session:
            task = await self._task(session, task_id)
            owner = task.owner_id
            await session.delete(task)
            await session.commit()
        await self.events.publish(TaskEvent(type="task.deleted", task_id=task_id, owner_id=owner))

    # Comments ----------------------------------------------------------------------------

    async def add_comment(self, task_id: int, comment_in: CommentCreate) -> CommentPublic:
        async with self._use() as session:
            await self._task(session, task_id)
            comment = Comment(task_id=task_id, **comment_in.model_dump(mode="json"))
            session.add(comment)
            await session.commit()
            return comment_public(comment)

    async def list_comments(self, task_id: int) -> list[CommentPublic]:
        """The task's comments, oldest first."""
        async with self._use() as session:
            await self._task(session, task_id)
            query = select(Comment).where(Comment.task_id == task_id).order_by(Comment.id)
            return [comment_public(comment) for comment in await session.scalars(query)]

    async def comments_of(self, task_ids: Iterable[int]) -> dict[int, list[CommentPublic]]:
        """The comments of many tasks at once, oldest first, by task id, in one query: what
        lesson 11's DataLoader asks for, instead of one `list_comments` per task.

        Every task asked for that this store sees has an entry, an empty list if it has no
        comments; a task it does not see has none.
        """
        ids = {task_id for task_id in task_ids if _can_exist(task_id)}
        if not ids:
            return {}
        # An outer join: a visible task without comments still comes back, with None.
        query = (
            self._tasks()
            .with_only_columns(Task.id, Comment)
            .outerjoin(Comment, Comment.task_id == Task.id)
            .where(Task.id.in_(ids))
            .order_by(Task.id, Comment.id)
        )
        found: dict[int, list[CommentPublic]] = {}
        async with self._use() as session:
            for task_id, comment in await session.execute(query):
                comments = found.setdefault(task_id, [])
                if comment is not None:
                    comments.append(comment_public(comment))
        return found

    async def owners_of(self, task_ids: Iterable[int]) -> dict[int, UserInDB]:
        """The owner of many tasks at once, by task id, in one query (lesson 11's DataLoader).

        A task without an owner, or one this store does not see, has no entry.
        """
        ids = {task_id for task_id in task_ids if _can_exist(task_id)}
        if not ids:
            return {}
        query = (
            self._tasks()
            .with_only_columns(Task.id, User)
            .join(User, Task.owner_id == User.id)
            .where(Task.id.in_(ids))
            .order_by(None)
        )
        async with self._use() as session:
            return {task_id: user_in_db(user) for task_id, user in await session.execute(query)}

    # Users -------------------------------------------------------------------------------

    async def create_user(self, user_in: UserCreate) -> UserInDB:
        # argon2 is slow on purpose (~0.1 s of CPU): off the event loop, in the threadpool.
        password_hash = await run_in_threadpool(hash_password, user_in.password)
        async with self._use() as session:
            user = User(
                username=user_in.username,
                full_name=user_in.full_name,
                password_hash=password_hash,
            )
            session.add(user)
            try:
                # The unique constraint decides, not a SELECT first: two sign-ups at once
                # cannot both pass it.
                await session.commit()
            except IntegrityError:
                # The transaction is dead: roll it back, so nothing of it remains, and say
                # what went wrong in words the client can act on (a 409, not a 500).
                await session.rollback()
                raise UsernameTaken(user_in.username) from None
            return user_in_db(user)

    async def get_user(self, user_id: int) -> UserInDB:
        async with self._use() as session:
            user = await session.get(User, user_id) if _can_exist(user_id) else None
            if user is None:
                raise UserNotFound(user_id)
            return user_in_db(user)

    async def list_users(self, page: Page) -> list[UserInDB]:
        """One page of users, in the order they signed up."""
        query = select(User).order_by(User.id).offset(page.offset).limit(page.limit)
        async with self._use() as session:
            return [user_in_db(user) for user in await session.scalars(query)]

    async def create_users(self, users_in: list[UserCreate]) -> list[UserInDB]:
        """Sign up every user in one transaction, or none of them."""
        names = [user_in.username for user_in in users_in]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise UsernameTaken(twice)
        hashes = [await run_in_threadpool(hash_password, u.password) for u in users_in]
        async with self._use() as session:
            # Which name is taken, for the message; the constraint still decides at commit.
            taken = await session.scalar(select(User.username).where(User.username.in_(names)))
            if taken is not None:
                raise UsernameTaken(taken)
            users = [
                User(username=u.username, full_name=u.full_name, password_hash=password_hash)
                for u, password_hash in zip(users_in, hashes, strict=True)
            ]
            session.add_all(users)
            try:
                await session.commit()  # one commit: all of them are saved, or none
            except IntegrityError:
                # Another request took one of the names since the SELECT above.
                await session.rollback()
                taken = await session.scalar(select(User.username).where(User.username.in_(names)))
                raise UsernameTaken(taken or names[0]) from None
            return [user_in_db(user) for user in users]

    async def find_user(self, username: str) -> UserInDB | None:
        """The user with this username, if there is one (to log in, lesson 08)."""
        if "\x00" in username:
            # No username holds a NUL (UserCreate's pattern), and PostgreSQL refuses to compare
            # text that does: the login form is not validated by a model, so it is caught here.
            return None
        async with self._use() as session:
            user = await session.scalar(select(User).where(User.username == username))
            return None if user is None else user_in_db(user)

    async def delete_user(self, user_id: int) -> None:
        """Delete the user and their tasks; the username is free again.

        A signed-in user's store may delete only that user: users are listed for everyone, so
        another one's existence is no secret, and the answer is 403, not 404 (lesson 08).
        """
        async with self._use() as session:
            user = await session.get(User, user_id) if _can_exist(user_id) else None
            if user is None:
                raise UserNotFound(user_id)
            if self._owner is not None and user_id != self._owner:
                raise NotYourAccount(user_id)
            # Their tasks go with them: ON DELETE CASCADE, in the database itself.
            await session.delete(user)
            await session.commit()

    async def adopt_unowned_tasks(self, user_id: int) -> None:
        """Give every task without an owner (the demo tasks) to the user (lesson 08's demo)."""
        async with self._use() as session:
            await session.execute(
                update(Task).where(Task.owner_id.is_(None)).values(owner_id=user_id)
            )
            await session.commit()

    # Labels ------------------------------------------------------------------------------

    async def label_counts(self) -> dict[str, int]:
        """How many tasks carry each label in use, by label name."""
        async with self._use() as session:
            mine = self._tasks().with_only_columns(Task.id).order_by(None)
            names = await session.scalars(select(TaskLabel.name).where(TaskLabel.task_id.in_(mine)))
            # Sorted in Python: PostgreSQL's collation may order "a-b" and "ab" differently.
            return dict(sorted(Counter(names).items()))

    async def tasks_with_label(self, label: str) -> list[TaskPublic]:
        """The tasks carrying `label`; a label no task carries is not found."""
        query = self._tasks().where(
            exists().where(TaskLabel.task_id == Task.id, TaskLabel.name == label)
        )
        async with self._use() as session:
            tasks = [task_public(task) for task in await session.scalars(query)]
        if not tasks:
            raise LabelNotFound(label)
        return tasks

    async def iter_tasks(self) -> AsyncIterator[TaskPublic]:
        """Every task in creation order, fetched BATCH_SIZE at a time, for a streaming route.

        Each batch starts after the last id sent, so tasks deleted or created meanwhile never
        break the stream, and the app never holds the whole board in memory.
        """
        last_id = 0
        while True:
            query = self._tasks().where(Task.id > last_id).limit(BATCH_SIZE)
            async with self._use() as session:
                batch = [task_public(task) for task in await session.scalars(query)]
                session.expunge_all()  # what was sent need not stay in the session's memory
            for task in batch:
                yield task
            if len(batch) < BATCH_SIZE:
                return
            last_id = batch[-1].id

    # Files -------------------------------------------------------------------------------

    async def add_file(
        self, task_id: int, filename: str, content_type: str, content: bytes
    ) -> TaskFilePublic:
        """Attach a file to the task. It is stored whole, or not at all."""
        async with self._use() as session:
            await self._task(session, task_id)
            file = TaskFile(
                task_id=task_id,
                filename=filename,
                content_type=content_type,
                size=len(content),
                content=content,
            )
            session.add(file)
            await session.commit()
            return file_public(file)

    async def list_files(self, task_id: int) -> list[TaskFilePublic]:
        """The files attached to the task, oldest first."""
        async with self._use() as session:
            await self._task(session, task_id)
            query = select(TaskFile).where(TaskFile.task_id == task_id).order_by(TaskFile.id)
            return [file_public(file) for file in await session.scalars(query)]

    async def read_file(self, task_id: int, file_id: int) -> tuple[TaskFilePublic, bytes]:
        """A file of the task, with its bytes; a file of another task is not found."""
        async with self._use() as session:
            await self._task(session, task_id)
            file = await session.get(TaskFile, file_id) if _can_exist(file_id) else None
            if file is None or file.task_id != task_id:
                raise FileNotFound(task_id, file_id)
            return file_public(file), file.content
