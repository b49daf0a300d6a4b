"""Taskboard's API contract: its OpenAPI document as stable text, and what changed between two.

tests/taskboard/test_openapi_contract.py compares the app's schema with a committed snapshot,
so an accidental change to the API (a renamed field, a new required parameter, a route gone)
fails loudly, and an intended one is a one-line refresh that shows up in code review.
"""

import json
from typing import Any

from fastapi import FastAPI


def openapi_text(app: FastAPI) -> str:
    """The app's OpenAPI document as JSON with sorted keys: the same app gives the same text."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_changes(old: Any, new: Any, where: str = "") -> list[str]:
    """Every difference between two JSON documents, one line each, as JSON Pointer paths.

    `/paths/~1tasks/get/summary` is the summary of `GET /tasks` (`~1` stands for a `/`).
    """
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(old.keys() | new.keys()):
            at = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                changes.append(f"removed {at}")
            elif key not in old:
                changes.append(f"added   {at}")
            else:
                changes.extend(schema_changes(old[key], new[key], at))
        return changes
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            c
            for i, (o, n) in enumerate(zip(old, new, strict=True))
            for c in schema_changes(o, n, f"{where}/{i}")
        ]
    if old != new:
        return [f"changed {where or '/'}: {_short(old)} -> {_short(new)}"]
    return []


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
