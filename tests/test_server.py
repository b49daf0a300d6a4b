"""course.server: a background server that always stops, and says why when it cannot start."""

import sys

import pytest

from course.server import free_port, poll, running_server


def test_a_server_that_exits_is_reported() -> None:
    command = [sys.executable, "-c", "raise SystemExit(3)"]
    with (
        pytest.raises(RuntimeError, match="exited with code 3"),
        running_server(command, port=free_port()),
    ):
        pass


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    with (
        pytest.raises(TimeoutError, match=r"within 0\.5 s"),
        running_server(command, port=free_port(), timeout=0.5),
    ):
        pass


def test_the_server_is_stopped_after_the_block() -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running_server(command, port=port) as url:
        assert url == f"http://127.0.0.1:{port}"
    with pytest.raises(TimeoutError), running_server(["sleep", "5"], port=port, timeout=0.3):
        pass


def test_poll_waits_for_an_accepted_answer_and_nudges_meanwhile() -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
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
