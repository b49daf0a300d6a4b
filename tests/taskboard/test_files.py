"""Lesson 06: files attached to tasks, uploaded within a size limit, listed and downloaded."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.api.routes.files import CHUNK_SIZE, MAX_UPLOAD_BODY
from taskboard.core.config import Settings
from taskboard.db.models import TaskFile
from taskboard.db.store import DatabaseStore
from taskboard.main import create_app

LIMIT = 1000


@pytest.fixture
def small() -> Iterator[TestClient]:
    """An app whose files may hold at most LIMIT bytes."""
    with signed_in(create_app(CheckpointSettings(max_file_bytes=LIMIT))) as client:
        yield client


def upload(client: TestClient, content: bytes, name: str = "notes.txt", task_id: int = 1):
    return client.post(f"/tasks/{task_id}/files", files={"file": (name, content, "text/plain")})


def test_a_file_goes_up_is_listed_and_comes_back(client: TestClient) -> None:
    content = b"first line\nsecond line\n"
    response = upload(client, content)
    assert response.status_code == 201
    assert response.json() == {
        "id": 1,
        "task_id": 1,
        "filename": "notes.txt",
        "content_type": "text/plain",
        "size": len(content),
    }
    assert client.get("/tasks/1/files").json() == [response.json()]
    download = client.get("/tasks/1/files/1")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert download.headers["x-content-type-options"] == "nosniff"


def test_bytes_of_any_kind_and_size_come_back_unchanged(client: TestClient) -> None:
    content = bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 7)  # several chunks, the last one short
    created = client.post(
        "/tasks/2/files", files={"file": ("data.bin", content, "application/octet-stream")}
    ).json()
    assert created["size"] == len(content)
    download = client.get(f"/tasks/2/files/{created['id']}")
    assert download.content == content
    assert download.headers["content-type"] == "application/octet-stream"


def test_an_empty_file_is_a_file(client: TestClient) -> None:
    response = upload(client, b"")
    assert (response.status_code, response.json()["size"]) == (201, 0)
    assert client.get("/tasks/1/files/1").content == b""


def test_a_name_that_is_not_plain_ascii_is_quoted_for_the_download(client: TestClient) -> None:
    upload(client, b"x", name="plan v2 é.txt")
    disposition = client.get("/tasks/1/files/1").headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''plan%20v2%20%C3%A9.txt"


def test_a_file_at_the_limit_is_accepted(small: TestClient) -> None:
    response = upload(small, b"x" * LIMIT)
    assert (response.status_code, response.json()["size"]) == (201, LIMIT)


def test_a_file_over_the_limit_is_a_413_and_nothing_is_stored(small: TestClient) -> None:
    upload(small, b"kept")
    response = upload(small, b"x" * (LIMIT + 1))
    assert (response.status_code, response.json()) == (
        413,
        {"detail": f"File too large: the limit is {LIMIT} bytes"},
    )
    assert [file["filename"] for file in small.get("/tasks/1/files").json()] == ["notes.txt"]
    assert small.get("/tasks/1/files/2").status_code == 404


def test_the_default_limit_is_one_mebibyte(client: TestClient) -> None:
    assert upload(client, b"x" * 1024 * 1024).status_code == 201
    assert upload(client, b"x" * (1024 * 1024 + 1)).status_code == 413


def test_a_body_over_the_route_ceiling_is_refused_before_it_is_read(client: TestClient) -> None:
    response = upload(client, b"x" * (MAX_UPLOAD_BODY + 1))
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert client.get("/tasks/1/files").json() == []


def test_the_limit_setting_stays_under_the_ceiling() -> None:
    for bad in (0, 16 * 1024 * 1024 + 1):
        with pytest.raises(ValidationError, match="max_file_bytes"):
            Settings(max_file_bytes=bad)


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},  # no body at all
        {"files": {"attachment": ("a.txt", b"x", "text/plain")}},  # the wrong field name
        {"data": {"file": "just text"}},  # a text field, not a file
        {"json": {"file": "x"}},  # JSON instead of a form
    ],
    ids=["no-body", "wrong-field", "text-field", "json"],
)
def test_a_request_without_a_file_is_a_422_not_a_500(client: TestClient, request_kwargs) -> None:
    response = client.post("/tasks/1/files", **request_kwargs)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_unknown_tasks_and_files_are_404s(client: TestClient) -> None:
    upload(client, b"x")
    assert upload(client, b"x", task_id=999).json() == {"detail": "Task 999 not found"}
    assert client.get("/tasks/999/files").status_code == 404
    assert client.get("/tasks/1/files/999").json() == {"detail": "Task 1 has no file 999"}
    # a file belongs to its task: another task's id does not reach it
    assert client.get("/tasks/2/files/1").json() == {"detail": "Task 2 has no file 1"}
    assert client.get("/tasks/1/files/0").status_code == 422


def test_a_deleted_task_takes_its_files_with_it(client: TestClient, app) -> None:
    upload(client, b"x")
    client.delete("/tasks/1")
    assert client.get("/tasks/1/files").status_code == 404
    assert client.get("/tasks/1/files/1").status_code == 404
    # not only out of reach: gone from memory, or from the database
    store = app.state.store
    if isinstance(store, DatabaseStore):
        assert client.portal.call(count_rows, store, TaskFile) == 0
    else:
        assert store._files == {}


async def count_rows(store: DatabaseStore, model: type) -> int:
    async with store.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))
