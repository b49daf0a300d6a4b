"""Helpers the notebooks import: checks, catch-up checkpoints and the exercise generator."""

from course.checkpoints import checkpoint

__all__ = ["checkpoint"]
