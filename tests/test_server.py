"""course.server: a background server that always stops, and says why when it cannot start.

The servers here run for real on the machine's own platform. The Windows branches, which
this machine may not be able to run, are called with `windows=True` where their effect can
still be observed honestly: the options they pass, the commands they run, what they fall
back to.
"""

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx2
import pytest

from course import server
from course.server import fastapi_command, free_port, poll, running_server, serving, stop

PYTHON = sys.executable


def _serve_in_a_child(port: int) -> list[str]:
    """A server like a reloader: a parent process whose child listens on `port`."""
    child = [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return [PYTHON, "-c", f"import subprocess; subprocess.run({child!r})"]


def test_a_server_that_exits_is_reported() -> None:
    command = [PYTHON, "-c", "raise SystemExit(3)"]
    with (
        pytest.raises(RuntimeError, match="exited with code 3"),
        running_server(command, port=free_port()),
    ):
        pass


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    command = [PYTHON, "-c", "import time; time.sleep(60)"]
    with (
        pytest.raises(TimeoutError, match=r"within 0\.5 s"),
        running_server(command, port=free_port(), timeout=0.5),
    ):
        pass


def test_the_server_is_stopped_after_the_block() -> None:
    port = free_port()
    command = [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running_server(command, port=port) as url:
        assert url == f"http://127.0.0.1:{port}"
    sleeper = [PYTHON, "-c", "import time; time.sleep(5)"]
    with pytest.raises(TimeoutError), running_server(sleeper, port=port, timeout=0.3):
        pass


def test_the_servers_children_are_stopped_too() -> None:
    """A reloader serves from a child process: stopping only the parent would leave it."""
    port = free_port()
    with running_server(_serve_in_a_child(port), port=port) as url:
        assert poll(url, timeout=5).status_code == 200
    with pytest.raises(TimeoutError):
        poll(url, timeout=0.5)


def test_poll_waits_for_an_accepted_answer_and_nudges_meanwhile() -> None:
    port = free_port()
    command = [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    nudges = []
    with running_server(command, port=port) as url:
        with pytest.raises(TimeoutError, match=r"within 0\.5 s"):
            poll(
                url,
                timeout=0.5,
                accept=lambda r: r.status_code == 201,
                nudge=lambda: nudges.append(1),
                nudge_every=0.1,
            )
        assert nudges
        assert poll(url, timeout=5).status_code == 200


# --- the fastapi command ------------------------------------------------------------------


def test_fastapi_command_is_this_environments_own() -> None:
    command = fastapi_command("--version")
    assert Path(command[0]).parent == Path(sysconfig.get_path("scripts"))
    assert command[1:] == ["--version"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    assert "FastAPI CLI version" in done.stdout


def test_fastapi_command_looks_only_where_it_is_told(tmp_path: Path) -> None:
    script = tmp_path / ("fastapi.exe" if os.name == "nt" else "fastapi")
    script.write_text("")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert fastapi_command("dev", scripts=[tmp_path]) == [str(script), "dev"]


def test_a_missing_fastapi_command_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no fastapi command in .*make install"):
        fastapi_command(scripts=[tmp_path])


# --- process groups and stopping, per platform ----------------------------------------------


def test_the_server_gets_a_process_group_of_its_own() -> None:
    assert server._own_group(windows=False) == {"start_new_session": True}
    windows = server._own_group(windows=True)
    assert windows == {"creationflags": server.CREATE_NEW_PROCESS_GROUP}
    # The constant is Windows' own where the subprocess module defines it.
    assert getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200) == windows["creationflags"]


class _FakeProcess:
    """A Popen stand-in for the Windows branch: records what `stop` does to it."""

    pid = 4242

    def __init__(self, exits_after_wait: bool = True) -> None:
        self.calls: list[str] = []
        self.exits_after_wait = exits_after_wait

    def poll(self) -> int | None:
        return None

    def wait(self, timeout: float | None = None) -> int:
        self.calls.append(f"wait({timeout})")
        if not self.exits_after_wait and timeout is not None:
            raise subprocess.TimeoutExpired("fastapi", timeout)
        return 1

    def terminate(self) -> None:
        self.calls.append("terminate")

    def kill(self) -> None:
        self.calls.append("kill")


def test_on_windows_the_whole_tree_is_ended_with_taskkill(monkeypatch) -> None:
    ran = []
    monkeypatch.setattr(server.subprocess, "run", lambda command, **_: ran.append(command))
    process = _FakeProcess()
    stop(process, windows=True)
    assert ran == [["taskkill", "/T", "/F", "/PID", "4242"]]
    assert process.calls == ["wait(10)"]


def test_on_windows_a_process_that_outlives_taskkill_is_killed(monkeypatch) -> None:
    monkeypatch.setattr(server.subprocess, "run", lambda command, **_: None)
    process = _FakeProcess(exits_after_wait=False)
    stop(process, windows=True)
    assert process.calls == ["wait(10)", "kill", "wait(None)"]


@pytest.mark.skipif(os.name == "nt", reason="Windows has taskkill")
def test_without_taskkill_the_windows_branch_terminates_for_real() -> None:
    """Here `taskkill` does not exist, so the Windows branch falls back to terminate()."""
    process = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)"])
    stop(process, windows=True)
    assert process.returncode is not None


# --- serving: uvicorn on a port the operating system picks -----------------------------------

_SLOW_START = """
import asyncio
import os
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app):
    await asyncio.sleep(3600)  # a start-up that never ends
    yield


async def never_ready(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await asyncio.sleep(3600)


async def echo_env(scope, receive, send):
    if scope["type"] != "http":
        return
    body = os.environ.get("COURSE_TEST_VALUE", "").encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
"""


def test_serving_listens_on_the_port_the_system_picked_and_stops() -> None:
    with serving("course.perf:raw_app") as url:
        port = int(url.rsplit(":", 1)[1])
        assert url == f"http://127.0.0.1:{port}" and port > 0
        assert httpx2.get(f"{url}/tasks/3").json()["title"] == "Draft the task API"
    with pytest.raises(TimeoutError):  # nothing listens there any more
        poll(url, timeout=0.5)


def test_serving_an_app_that_cannot_be_imported_says_why() -> None:
    with (
        pytest.raises(RuntimeError, match=r"exited with code \d+: .*no_such_module"),
        serving("no_such_module:app"),
    ):
        pass


def test_serving_a_start_up_that_never_ends_times_out(tmp_path: Path) -> None:
    (tmp_path / "slow_start.py").write_text(_SLOW_START)
    with (
        pytest.raises(TimeoutError, match=r"did not start within 1\.5 s"),
        serving("slow_start:never_ready", cwd=tmp_path, timeout=1.5),
    ):
        pass


def test_serving_passes_environment_variables(tmp_path: Path) -> None:
    (tmp_path / "slow_start.py").write_text(_SLOW_START)
    env = {"COURSE_TEST_VALUE": "from the test"}
    with serving("slow_start:echo_env", cwd=tmp_path, env=env) as url:
        assert httpx2.get(url).text == "from the test"
