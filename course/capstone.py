"""Lesson 16: the whole Taskboard, served for real by uvicorn in a process of its own.

`course.server.serving` runs an app that uvicorn imports by name, in a new process: it cannot be
handed an app object. `taskboard_app` is that name. It builds `checkpoint("15")`, the complete
Taskboard, with the course's defaults (no `TASKBOARD_*` variable and no `.env` file counts, so
what a lesson shows does not depend on the learner's machine), changed only by the settings
`serving_taskboard` passes, as JSON, in one variable of the server's environment.

Lesson 16's checks drive a learner's client functions against a served Taskboard: the one the
notebook started with `serving_taskboard`, if it still runs (`running()`), so that a notebook
starts one server, not two.
"""

import atexit
import json
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from fastapi import FastAPI

from course.server import serving

# The server's environment variable that carries the settings, as a JSON object.
SETTINGS_VARIABLE = "COURSE_TASKBOARD_SETTINGS"

# Base URLs of the Taskboards `serving_taskboard` serves right now, oldest first.
_RUNNING: list[str] = []


def taskboard_app() -> FastAPI:
    """The complete Taskboard with the settings in COURSE_TASKBOARD_SETTINGS (uvicorn's `--factory`)."""
    # Imported here, in the server's process: the kernel needs none of it to start the server.
    from course.checkpoints import CheckpointSettings, checkpoint

    overrides = json.loads(os.environ.get(SETTINGS_VARIABLE) or "{}")
    return checkpoint("15", CheckpointSettings(**overrides))


@contextmanager
def serving_taskboard(**settings: Any) -> Iterator[str]:
    """Serve the complete Taskboard on 127.0.0.1 with `settings`; yield its base URL; stop it.

    `serving_taskboard(write_rate_limit=5)` is Taskboard with its defaults but that one.
    """
    with serving(
        "course.capstone:taskboard_app",
        factory=True,
        env={SETTINGS_VARIABLE: json.dumps(settings)},
    ) as url:
        _RUNNING.append(url)
        try:
            yield url
        finally:
            _RUNNING.remove(url)


def running() -> str | None:
    """The base URL of the Taskboard served last by `serving_taskboard` that still runs, or None."""
    return _RUNNING[-1] if _RUNNING else None


class BackgroundTaskboard:
    """The complete Taskboard, served until `stop()`: for a notebook that uses it over many cells.

    A `with serving_taskboard(...)` block stops the server at the end of its cell. This enters
    the block with an `ExitStack` instead, and leaves it in `stop()`, which `atexit` calls too
    when the kernel shuts down or restarts: no server outlives its kernel. Uvicorn starts in a
    worker thread, so the notebook goes on (builds its own app, say) while it starts; `url`
    waits for it, and raises what `serving` raised if it could not start.
    """

    def __init__(self, **settings: Any) -> None:
        self._stack = ExitStack()
        self._url: str | None = None
        self._error: BaseException | None = None
        self._starting = threading.Thread(
            target=self._start, args=(settings,), daemon=True, name="taskboard-server"
        )
        self._starting.start()
        atexit.register(self.stop)

    def _start(self, settings: dict[str, Any]) -> None:
        try:
            self._url = self._stack.enter_context(serving_taskboard(**settings))
        except BaseException as error:  # handed to whoever asks for the URL
            self._error = error

    @property
    def url(self) -> str:
        """The server's base URL, once it listens (`serving` gives it 30 seconds)."""
        self._starting.join()
        if self._error is not None:
            raise self._error
        if self._url is None:
            raise RuntimeError("the server has been stopped")
        return self._url

    def stop(self) -> None:
        """Stop the server, once it has started; again, it does nothing."""
        self._starting.join()
        self._url = None
        self._stack.close()
