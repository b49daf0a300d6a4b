"""Lesson 03: POST /tasks/{task_id}/checklist appends one step without resending the list."""

from fastapi.testclient import TestClient

from taskboard.models import MAX_CHECKLIST_ITEMS


def test_an_item_is_appended_and_saved(client: TestClient) -> None:
    response = client.post("/tasks/3/checklist", json={"text": "Tag it"})
    assert response.status_code == 201
    assert response.json()["checklist"][-1] == {"text": "Tag it", "done": False}
    assert len(response.json()["checklist"]) == 3
    assert client.get("/tasks/3").json() == response.json()


def test_an_unknown_task_is_a_404(client: TestClient) -> None:
    response = client.post("/tasks/999/checklist", json={"text": "x"})
    assert (response.status_code, response.json()) == (404, {"detail": "Task 999 not found"})


def test_a_bad_item_is_a_422(client: TestClient) -> None:
    for body in ({}, {"text": ""}, {"text": "x", "by": "ada"}):
        assert client.post("/tasks/1/checklist", json=body).status_code == 422, body


def test_a_full_checklist_is_a_409_not_a_500(client: TestClient) -> None:
    items = [{"text": f"step {n}"} for n in range(MAX_CHECKLIST_ITEMS)]
    assert client.patch("/tasks/1", json={"checklist": items}).status_code == 200
    response = client.post("/tasks/1/checklist", json={"text": "one more"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Task 1 already has 50 checklist items"}
