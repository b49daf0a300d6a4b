"""The example tasks a fresh Taskboard starts with: one source for the app, the lessons and the checks."""

from typing import Any

_DEMO_TASKS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "title": "Write the README",
        "description": "Say what Taskboard is and how to run it.",
        "status": "done",
        "priority": 2,
    },
    {
        "id": 2,
        "title": "Add a health check",
        "description": None,
        "status": "doing",
        "priority": 3,
    },
    {
        "id": 3,
        "title": "Draft the task API",
        "description": "Paths, query parameters and the errors they return.",
        "status": "todo",
        "priority": 1,
    },
    {
        "id": 4,
        "title": "Review the API draft",
        "description": None,
        "status": "todo",
        "priority": 4,
    },
)


def demo_tasks() -> list[dict[str, Any]]:
    """A fresh copy of the demo tasks as plain JSON-ready dicts (callers may change them)."""
    return [dict(task) for task in _DEMO_TASKS]
