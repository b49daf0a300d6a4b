"""Run a real server in the background of a notebook or test, and always stop it.

Lessons call the app in-process; where a real server teaches something (hot reload, load,
deployment), `running_server` starts one on loopback, waits until it answers, and stops it
when the `with` block ends, even if a cell fails. It works on Linux, macOS and Windows.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def stop(process: subprocess.Popen[bytes], *, windows: bool = WINDOWS) -> None:
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
