"""The tables behind Taskboard, as SQLAlchemy 2 declarative models (lesson 07).

One class per table, typed with `Mapped[...]`. A task's labels and checklist items are rows of
their own tables, in the order the client gave them (`position`), so a query can filter on a
label; a comment's attachments stay a JSON column, read and written only with their comment.
"""

from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints, so Alembic migrations name them the same way on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"
    # AUTOINCREMENT on SQLite: ids are never reused after a delete, as PostgreSQL's sequences.
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # unique: the database itself refuses a second "ada", even from two requests at once.
    username: Mapped[str] = mapped_column(String(30), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))


class Task(Base):
    __tablename__ = "tasks"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10), index=True)
    priority: Mapped[int]
    # Who may see and change the task (lesson 08). None: nobody's yet, as every task before
    # lesson 08 and the demo tasks until the demo account first logs in. Deleting the user
    # deletes their tasks.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )

    # selectin: loading tasks loads their labels and checklists in one more query, not one per
    # task, and never lazily (an async session cannot load an attribute on first access).
    labels: Mapped[list["TaskLabel"]] = relationship(
        order_by="TaskLabel.position", lazy="selectin", cascade="all, delete-orphan"
    )
    checklist: Mapped[list["ChecklistItemRow"]] = relationship(
        order_by="ChecklistItemRow.position", lazy="selectin", cascade="all, delete-orphan"
    )
    # Loaded only when asked for (lazy="raise" makes a forgotten load an error, not a hidden
    # query); deleting a task deletes them.
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="task", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    files: Mapped[list["TaskFile"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class TaskLabel(Base):
    __tablename__ = "task_labels"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), index=True)


class ChecklistItemRow(Base):
    __tablename__ = "checklist_items"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    task: Mapped[Task] = relationship(back_populates="comments", lazy="raise")


class TaskFile(Base):
    __tablename__ = "task_files"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    # bytea on PostgreSQL, BLOB on SQLite. Files are small (max_file_bytes is at most 16 MiB).
    content: Mapped[bytes] = mapped_column(LargeBinary)
