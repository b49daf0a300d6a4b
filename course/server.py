"""Run a real server in the background of a notebook or test, and always stop it.

Lessons call the app in-process; where a real server teaches something (hot reload, load,
deployment), `running_server` starts one on loopback, waits until it answers, and stops it
when the `with` block ends, even if a cell fails.
"""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll `url` until it answers; fail early if the process exits, or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {url} within {timeout} s") from None
            time.sleep(0.1)


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
    Its output goes to /dev/null: notebooks show what the server answers, not its logs.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + ready_path, process, timeout)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
