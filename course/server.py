"""Run a real server in the background of a notebook or test, and always stop it.

Lessons call the app in-process; where a real server teaches something (hot reload, load,
deployment), `running_server` starts one on loopback, waits until it answers, and stops it
when the `with` block ends, even if a cell fails. `serving` does the same for an ASGI app
served by uvicorn on a port the operating system picks (lesson 14's load, lesson 16's whole
Taskboard). Both work on Linux, macOS and Windows.
"""

import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx2

WINDOWS = os.name == "nt"
# subprocess.CREATE_NEW_PROCESS_GROUP, which the subprocess module defines on Windows only.
CREATE_NEW_PROCESS_GROUP = 0x00000200


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fastapi_command(*args: str, scripts: Sequence[Path] | None = None) -> list[str]:
    """The `fastapi` command of this Python environment, followed by `args`, for `subprocess`.

    pip and uv install the command beside the environment's Python: `.venv/bin/fastapi` on
    Linux and macOS, `.venv\\Scripts\\fastapi.exe` on Windows. `shutil.which` finds it under
    either name, so the kernel runs its own FastAPI, not whichever one PATH finds first.
    """
    if scripts is None:
        scripts = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    found = shutil.which("fastapi", path=os.pathsep.join(str(folder) for folder in scripts))
    if found is None:
        searched = ", ".join(str(folder) for folder in scripts)
        raise FileNotFoundError(
            f"no fastapi command in {searched}: install the course's requirements into this "
            "kernel's environment (make install)"
        )
    return [found, *args]


def poll(
    url: str,
    *,
    timeout: float,
    accept: Callable[[httpx2.Response], bool] = lambda response: True,
    process: subprocess.Popen[bytes] | None = None,
    nudge: Callable[[], None] | None = None,
    nudge_every: float = 2.0,
) -> httpx2.Response:
    """GET `url` until an answer is accepted, and return it.

    Gives up after `timeout` seconds, or at once if `process` (the server) has exited. A
    server that is not listening yet (restarting, say) is simply asked again; `nudge`, if
    given, is called every `nudge_every` seconds while nothing is accepted.
    """
    deadline = time.monotonic() + timeout
    next_nudge = time.monotonic() + nudge_every
    while True:
        try:
            response = httpx2.get(url, timeout=1)
            if accept(response):
                return response
        except httpx2.TransportError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}") from None
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"no accepted answer from {url} within {timeout} s")
        if nudge is not None and now > next_nudge:
            nudge()
            next_nudge = now + nudge_every
        time.sleep(0.1)


def _own_group(windows: bool = WINDOWS) -> dict[str, Any]:
    """`Popen` options that start the server in a process group of its own.

    A reloader runs the app in a child process: in a group of their own, both are stopped
    together, and a Ctrl+C meant for the kernel does not reach them.
    """
    if windows:
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def stop(process: subprocess.Popen[Any], *, windows: bool = WINDOWS) -> None:
    """Stop a server started by `running_server`, with every process it started.

    On Linux and macOS, SIGTERM to its process group lets the server shut down cleanly, and
    SIGKILL follows after 10 s. Windows has no such group signal, and `terminate()` ends one
    process only: the `fastapi` launcher, not necessarily the reloader and its worker, which
    hold the port. `taskkill /T /F` ends the whole tree; `terminate()` and `kill()` remain for
    a machine without taskkill.
    """
    if process.poll() is not None:
        return
    if windows:
        try:
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(process.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        except OSError:
            process.terminate()
    else:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if windows:
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running_server(
    command: Sequence[str],
    *,
    port: int,
    cwd: Path | None = None,
    ready_path: str = "/",
    timeout: float = 20,
) -> Iterator[str]:
    """Start `command` (which must listen on 127.0.0.1:`port`), yield its base URL, stop it.

    The server runs in its own process group so that a reloader's worker stops with it.
    Its output is discarded: notebooks show what the server answers, not its logs.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **_own_group(),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        poll(base_url + ready_path, timeout=timeout, process=process)
        yield base_url
    finally:
        stop(process)


# What uvicorn logs once its socket listens and the app's lifespan has started; with `--port 0`
# it names the port the operating system picked (uvicorn 0.54, `Server._log_started_message`).
_RUNNING_ON = re.compile(r"Uvicorn running on https?://[^\s]+:(?P<port>\d+)")


class _ServerLog:
    """Reads a server's log (its stderr) in a daemon thread, for as long as the server runs.

    Someone must read it: a pipe nobody empties fills up, and the server then blocks on its next
    log line. The last lines are kept, to say why a server that exits early did.
    """

    def __init__(self, stream: IO[str], keep: int = 20) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=keep)
        self.port: int | None = None
        self._found = threading.Event()
        self._stream = stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip())
            found = _RUNNING_ON.search(line)
            if found and self.port is None:
                self.port = int(found["port"])
                self._found.set()
        self._found.set()  # the server exited: whoever waits stops waiting

    def wait_for_port(self, process: subprocess.Popen[str], timeout: float) -> int:
        """The port the server listens on, once it says so; its exit or silence is an error."""
        self._found.wait(timeout)
        if self.port is not None:
            return self.port
        if process.poll() is not None or not self._thread.is_alive():
            process.wait()
            last = " | ".join(self.lines) or "no output"
            raise RuntimeError(f"the server exited with code {process.returncode}: {last}")
        raise TimeoutError(f"the server did not start within {timeout} s")

    def close(self) -> None:
        """Once the server has stopped: the log ends, and the pipe is closed."""
        self._thread.join(timeout=5)
        self._stream.close()


@contextmanager
def serving(
    app: str,
    *,
    factory: bool = False,
    timeout: float = 30,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    options: Sequence[str] = (),
) -> Iterator[str]:
    """Serve `app` ("module:name", as uvicorn takes it) on 127.0.0.1; yield its base URL; stop it.

    Port 0 lets the operating system pick a free port, with no race between choosing a port
    and binding it (`free_port` has one): the real port is read from uvicorn's log. Start-up
    (import, lifespan, listening) must finish within `timeout` seconds, or the server is stopped
    and TimeoutError raised; a server that exits early raises RuntimeError with its last log
    lines. `factory=True` calls `app` to build the app (uvicorn's `--factory`); `env` adds
    environment variables; `options` are more uvicorn options. Requests are not logged: an
    access log line per request costs the server time, which a load test would measure.

    The server runs in a process of its own, with its own GIL and event loop: the notebook's
    kernel stays free to send the requests.
    """
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-access-log",
        *(["--factory"] if factory else []),
        *options,
    ]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env} if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        **_own_group(),
    )
    assert process.stderr is not None  # stderr=PIPE
    log = _ServerLog(process.stderr)
    try:
        port = log.wait_for_port(process, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()
