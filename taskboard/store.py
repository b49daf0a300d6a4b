"""Where Taskboard keeps its tasks until lesson 07 moves them into a database."""

from taskboard.demo import demo_tasks
from taskboard.models import TaskPublic, TaskStatus


class TaskNotFound(LookupError):
    """Raised by the store for an id it does not hold; the API turns it into a 404."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} not found")
        self.task_id = task_id


class TaskStore:
    """An in-memory task store. One per app, so two apps (or two tests) never share tasks."""

    def __init__(self, tasks: list[TaskPublic] | None = None) -> None:
        self._tasks: dict[int, TaskPublic] = {task.id: task for task in tasks or []}

    @classmethod
    def with_demo_data(cls) -> "TaskStore":
        return cls([TaskPublic.model_validate(task) for task in demo_tasks()])

    def list_tasks(self, *, status: TaskStatus | None = None, limit: int = 10) -> list[TaskPublic]:
        tasks = [task for task in self._tasks.values() if status is None or task.status == status]
        return tasks[:limit]

    def search(self, text: str) -> list[TaskPublic]:
        needle = text.casefold()
        return [task for task in self._tasks.values() if needle in task.title.casefold()]

    def get(self, task_id: int) -> TaskPublic:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskNotFound(task_id) from None
