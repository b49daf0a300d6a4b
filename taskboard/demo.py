"""The example tasks a fresh Taskboard starts with: one source for the app, the lessons and the checks."""

import copy
from typing import Any

_DEMO_TASKS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "title": "Write the README",
        "description": "Say what Taskboard is and how to run it.",
        "status": "done",
        "priority": 2,
        "labels": ["docs"],
        "checklist": [],
    },
    {
        "id": 2,
        "title": "Add a health check",
        "description": None,
        "status": "doing",
        "priority": 3,
        "labels": ["ops"],
        "checklist": [],
    },
    {
        "id": 3,
        "title": "Draft the task API",
        "description": "Paths, query parameters and the errors they return.",
        "status": "todo",
        "priority": 1,
        "labels": ["api"],
        "checklist": [
            {"text": "List the endpoints", "done": True},
            {"text": "Write down the error responses", "done": False},
        ],
    },
    {
        "id": 4,
        "title": "Review the API draft",
        "description": None,
        "status": "todo",
        "priority": 4,
        "labels": ["api", "review"],
        "checklist": [],
    },
)


def demo_tasks() -> list[dict[str, Any]]:
    """A fresh copy of the demo tasks as plain JSON-ready dicts (callers may change them)."""
    return copy.deepcopy(list(_DEMO_TASKS))


# With demo data, lesson 08's demo account: logging in with these creates it, and it owns the
# demo tasks. Published here, so Settings refuses demo data outside environment="local".
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo password"
