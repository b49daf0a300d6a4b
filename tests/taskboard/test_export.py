"""Lesson 06: every task exported as JSON Lines, streamed as it is read."""

import json

import anyio
from fastapi.testclient import TestClient

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.demo import demo_tasks
from taskboard.main import create_app
from taskboard.models import TaskCreate
from taskboard.store import Store


def test_every_task_is_one_json_line_in_creation_order(client: TestClient) -> None:
    response = client.get("/export/tasks")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonl"
    assert response.text.endswith("\n")
    assert [json.loads(line) for line in response.text.splitlines()] == demo_tasks()


def test_there_is_no_page_limit(client: TestClient) -> None:
    for number in range(120):
        client.post("/tasks", json={"title": f"Task {number}"})
    lines = client.get("/export/tasks").text.splitlines()
    assert len(lines) == len(demo_tasks()) + 120
    assert json.loads(lines[-1])["title"] == "Task 119"


def test_each_task_is_sent_as_soon_as_it_is_ready(client: TestClient) -> None:
    # TestClient hands over each piece of the body as the app sends it. Uncompressed: from
    # lesson 09 on, gzip would hand over compressed pieces (test_middleware.py reads those).
    headers = {"Accept-Encoding": "identity"}
    with client.stream("GET", "/export/tasks", headers=headers) as response:
        assert "content-encoding" not in response.headers
        pieces = list(response.iter_raw())
    assert len(pieces) == len(demo_tasks())
    assert all(piece.endswith(b"\n") and piece.count(b"\n") == 1 for piece in pieces)


def test_an_empty_board_exports_nothing() -> None:
    with signed_in(create_app(CheckpointSettings(demo_data=False))) as client:
        response = client.get("/export/tasks")
    assert (response.status_code, response.text) == (200, "")


def test_tasks_created_or_deleted_while_the_stream_is_read_do_not_break_it() -> None:
    async def export_while_writing() -> list[int]:
        store = Store.with_demo_data()
        seen = []
        async for task in store.iter_tasks():
            seen.append(task.id)
            if task.id == 1:
                await store.create(TaskCreate(title="Created meanwhile"))
                await store.delete(3)
        return seen

    assert anyio.run(export_while_writing) == [1, 2, 4]
