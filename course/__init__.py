"""Helpers the notebooks import: checks, catch-up checkpoints, progress, exercises."""

from typing import TYPE_CHECKING, Any

from course.progress import progress

if TYPE_CHECKING:
    from course.checkpoints import checkpoint

__all__ = ["checkpoint", "progress"]


def __getattr__(name: str) -> Any:
    # `checkpoint` imports the whole of Taskboard, so it is imported when first asked for: a
    # process that needs one small helper, such as uvicorn serving `course.perf:raw_app` for
    # lesson 14, starts in a second rather than in three.
    if name == "checkpoint":
        from course.checkpoints import checkpoint

        return checkpoint
    raise AttributeError(f"module 'course' has no attribute {name!r}")
