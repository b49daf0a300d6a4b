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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(
    url: str,
    *,
    timeout: float,
    accept: Callable[[httpx.Response], bool] = lambda response: True,
    process: subprocess.Popen[bytes] | None = None,
    nudge: Callable[[], None] | None = None,
    nudge_every: float = 2.0,
) -> httpx.Response:
    """GET `url` until an answer is accepted, and return it.

    Gives up after `timeout` seconds, or at once if `process` (the server) has exited. A
    server that is not listening yet (restarting, say) is simply asked again; `nudge`, if
    given, is called every `nudge_every` seconds while nothing is accepted.
    """
    deadline = time.monotonic() + timeout
    next_nudge = time.monotonic() + nudge_every
    while True:
        try:
            response = httpx.get(url, timeout=1)
            if accept(response):
                return response
        except httpx.TransportError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}") from None
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"no accepted answer from {url} within {timeout} s")
        if nudge is not None and now > next_nudge:
            nudge()
            next_nudge = now + nudge_every
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
        poll(base_url + ready_path, timeout=timeout, process=process)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
