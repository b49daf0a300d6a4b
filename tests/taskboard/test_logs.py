"""Lesson 15: structured logs. JsonFormatter writes one JSON object per line; AccessLogMiddleware
logs each request once, with its request id; deploy/logging.json installs them in Uvicorn, and
Uvicorn's proxy headers decide which client address the log shows."""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from course.checkpoints import CheckpointSettings
from course.server import free_port, poll, stop
from taskboard.core.features import Feature
from taskboard.core.logs import JsonFormatter
from taskboard.main import create_app
from tests.taskboard.conftest import IN_MEMORY_FEATURES

ROOT = Path(__file__).resolve().parents[2]

failing = APIRouter()


@failing.get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug")


def app_with_logs() -> FastAPI:
    features = (*IN_MEMORY_FEATURES, Feature(name="failing", routers=(failing,)))
    return create_app(CheckpointSettings(), features)


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "taskboard.access"]


def test_json_formatter_writes_one_line_per_record() -> None:
    record = logging.makeLogRecord(
        {
            "name": "taskboard",
            "levelname": "WARNING",
            "levelno": logging.WARNING,
            "msg": "Task %d is late",
            "args": (3,),
            "created": 1_773_144_000.25,
            "task_id": 3,
            "path": Path("/tmp/x"),
        }
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-03-10T12:00:00.250+00:00",
        "level": "WARNING",
        "logger": "taskboard",
        "message": "Task 3 is late",
        "task_id": 3,
        "path": "/tmp/x",
    }


def test_an_exception_stays_inside_its_line() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logging.getLogger("taskboard").makeRecord(
            "taskboard", logging.ERROR, __file__, 1, "Failed", (), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Failed"
    assert entry["exception"].startswith("Traceback (most recent call last)")
    assert entry["exception"].endswith("ValueError: bad value")


def test_each_request_is_logged_once_with_its_request_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="taskboard.access")
    with TestClient(app_with_logs(), raise_server_exceptions=False) as client:
        client.get("/health?secret=in-the-query", headers={"X-Request-ID": "bug-report-42"})
        missing = client.get("/nowhere")
        client.get("/boom")
    records = access_records(caplog)
    assert [r.getMessage() for r in records] == [
        "GET /health 200",
        "GET /nowhere 404",
        "GET /boom 500",
    ]
    first = records[0]
    assert (first.request_id, first.method, first.path, first.status, first.client) == (  # type: ignore[attr-defined]
        "bug-report-42",
        "GET",
        "/health",
        200,
        "testclient",
    )
    assert records[1].request_id == missing.headers["x-request-id"]  # type: ignore[attr-defined]
    assert all(isinstance(r.duration_ms, float) for r in records)  # type: ignore[attr-defined]
    assert "secret" not in " ".join(json.dumps(vars(r), default=str) for r in records)


@pytest.mark.parametrize(
    ("peer", "scheme", "client"),
    [("10.0.0.7", "https", "203.0.113.9"), ("198.51.100.7", "http", "198.51.100.7")],
    ids=["trusted-proxy", "anyone-else"],
)
def test_proxy_headers_are_believed_only_from_trusted_addresses(
    peer: str, scheme: str, client: str, caplog: pytest.LogCaptureFixture
) -> None:
    # What `uvicorn --proxy-headers --forwarded-allow-ips 10.0.0.0/8` puts around the app.
    caplog.set_level(logging.INFO, logger="taskboard.access")
    served = ProxyHeadersMiddleware(app_with_logs(), trusted_hosts="10.0.0.0/8")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with TestClient(served, client=(peer, 40000)) as browser:
        answer = browser.get("/health", headers=forwarded)
    # Lesson 09's HSTS header goes out over https only.
    assert ("strict-transport-security" in answer.headers) == (scheme == "https")
    assert access_records(caplog)[0].client == client  # type: ignore[attr-defined]


def _dockerfile_command() -> list[str]:
    from dockerfile_parse import DockerfileParser

    return json.loads(DockerfileParser(str(ROOT / "Dockerfile")).cmd)


def test_uvicorn_as_the_dockerfile_runs_it_writes_json_lines(tmp_path: Path) -> None:
    # The image's own command, on loopback: JSON lines from Uvicorn and from the app, and no
    # access log of Uvicorn's. 127.0.0.1 is Uvicorn's trusted proxy by default.
    port = free_port()
    command = _dockerfile_command()
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    out = tmp_path / "stdout"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.pop("FORWARDED_ALLOW_IPS", None)
    executable = str(Path(sys.executable).with_name(command[0]))
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [executable, *command[1:]],
            cwd=ROOT,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        try:
            poll(f"http://127.0.0.1:{port}/health", timeout=30, process=process)
            answer = httpx2.get(
                f"http://127.0.0.1:{port}/ready",
                headers={"X-Request-ID": "from-the-test", "X-Forwarded-For": "203.0.113.9"},
            )
            # The access line is written once the answer is sent: give it a moment to land.
            deadline = time.monotonic() + 10
            while b"from-the-test" not in out.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop(process)
    assert answer.status_code == 200
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"] == "Application startup complete." for line in lines)
    (mine,) = [line for line in lines if line.get("request_id") == "from-the-test"]
    assert (mine["logger"], mine["message"], mine["client"]) == (
        "taskboard.access",
        "GET /ready 200",
        "203.0.113.9",
    )
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
