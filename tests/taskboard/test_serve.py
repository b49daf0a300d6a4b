"""`make serve` for real: `fastapi run`, with no path, serves the app that pyproject.toml's
[tool.fastapi] entrypoint names, on loopback."""

from pathlib import Path

import httpx2

from course.server import fastapi_command, free_port, running_server


def test_fastapi_run_serves_taskboard() -> None:
    port = free_port()
    command = fastapi_command("run", "--host", "127.0.0.1", "--port", str(port))
    root = Path(__file__).resolve().parents[2]
    with running_server(command, port=port, cwd=root, ready_path="/health") as url:
        login = httpx2.post(
            f"{url}/auth/token", data={"username": "demo", "password": "demo password"}
        )
        token = login.json()["access_token"]
        response = httpx2.get(f"{url}/tasks/1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["title"] == "Write the README"
