"""`make serve` for real: uvicorn serves the module-level app on loopback."""

import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_uvicorn_serves_taskboard() -> None:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "taskboard.main:app", "--log-level", "warning"]
    server = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "uvicorn exited before serving"
                assert time.monotonic() < deadline, "uvicorn did not answer within 20 s"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)
