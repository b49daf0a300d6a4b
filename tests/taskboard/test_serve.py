"""`make serve` for real: `fastapi run`, with no path, serves the app that pyproject.toml's
[tool.fastapi] entrypoint names, on loopback."""

import sys
from pathlib import Path

import httpx

from course.server import free_port, running_server

FASTAPI = Path(sys.executable).with_name("fastapi")


def test_fastapi_run_serves_taskboard() -> None:
    port = free_port()
    command = [str(FASTAPI), "run", "--host", "127.0.0.1", "--port", str(port)]
    root = Path(__file__).resolve().parents[2]
    with running_server(command, port=port, cwd=root, ready_path="/health") as url:
        response = httpx.get(f"{url}/tasks/1")
    assert response.status_code == 200
    assert response.json()["title"] == "Write the README"
