"""Taskboard: the small team task tracker that the course builds, lesson by lesson."""

from importlib.metadata import version

# The release, from the installed package's metadata (pyproject.toml): build information, not a
# setting that a deployment should be able to change.
__version__ = version("fastapi-step-by-step")
