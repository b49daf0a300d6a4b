"""Comments on a task: a model with an enum and a nested list, gone with their task."""

import pytest
from fastapi.testclient import TestClient

LINK = {"name": "design.pdf", "url": "https://example.com/design.pdf"}


def test_a_comment_gets_its_defaults_an_id_and_its_task(client: TestClient) -> None:
    response = client.post("/tasks/3/comments", json={"text": "Looks good"})
    assert response.status_code == 201
    assert response.json() == {
        "id": 1,
        "task_id": 3,
        "text": "Looks good",
        "kind": "note",
        "attachments": [],
    }


def test_comments_are_listed_per_task_oldest_first(client: TestClient) -> None:
    first = client.post("/tasks/3/comments", json={"text": "One"}).json()
    client.post("/tasks/4/comments", json={"text": "Elsewhere"})
    second = client.post(
        "/tasks/3/comments", json={"text": "Two?", "kind": "question", "attachments": [LINK]}
    ).json()
    assert client.get("/tasks/3/comments").json() == [first, second]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 501},
        {"text": "Hi", "kind": "praise"},
        {"text": "Hi", "attachments": [{"name": "a"}]},
        {"text": "Hi", "attachments": [{**LINK, "url": "http://example.com"}]},
        {"text": "Hi", "attachments": [{**LINK, "size": 3}]},
        {"text": "Hi", "author": "ada"},
    ],
)
def test_a_bad_comment_is_a_422(client: TestClient, body: dict) -> None:
    assert client.post("/tasks/3/comments", json=body).status_code == 422
    assert client.get("/tasks/3/comments").json() == []


def test_no_comments_on_a_task_that_does_not_exist(client: TestClient) -> None:
    for response in (
        client.post("/tasks/99/comments", json={"text": "Hi"}),
        client.get("/tasks/99/comments"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Task 99 not found"}


def test_deleting_a_task_deletes_its_comments(client: TestClient) -> None:
    created = client.post("/tasks", json={"title": "Short-lived"}).json()
    client.post(f"/tasks/{created['id']}/comments", json={"text": "Bye"})
    client.delete(f"/tasks/{created['id']}")
    assert client.get(f"/tasks/{created['id']}/comments").status_code == 404
