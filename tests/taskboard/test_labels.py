"""Lesson 04: the labels router, its prefix and tags, and its router-level Cache-Control."""

import pytest
from fastapi.testclient import TestClient

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.demo import demo_tasks
from taskboard.main import create_app


def test_labels_are_counted_in_alphabetical_order(client: TestClient) -> None:
    response = client.get("/labels")
    assert response.status_code == 200
    assert list(response.json().items()) == [("api", 2), ("docs", 1), ("ops", 1), ("review", 1)]


def test_counts_follow_writes(client: TestClient) -> None:
    created = client.post("/tasks", json={"title": "Tag it", "labels": ["api", "backend"]}).json()
    assert client.get("/labels").json() == {
        "api": 3,
        "backend": 1,
        "docs": 1,
        "ops": 1,
        "review": 1,
    }
    client.delete(f"/tasks/{created['id']}")
    client.delete("/tasks/2")
    assert client.get("/labels").json() == {"api": 2, "docs": 1, "review": 1}


def test_counts_every_task_not_only_the_first_page(client: TestClient) -> None:
    for number in range(12):
        client.post("/tasks", json={"title": f"Task {number}", "labels": ["bulk"]})
    assert client.get("/labels").json()["bulk"] == 12


def test_no_tasks_no_labels() -> None:
    with signed_in(create_app(CheckpointSettings(demo_data=False))) as client:
        assert client.get("/labels").json() == {}


def test_a_label_lists_its_tasks(client: TestClient) -> None:
    response = client.get("/labels/api/tasks")
    assert response.status_code == 200
    assert response.json() == [demo_tasks()[2], demo_tasks()[3]]


def test_a_label_no_task_carries_is_a_404_that_names_it(client: TestClient) -> None:
    response = client.get("/labels/frontend/tasks")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No task has label 'frontend'"},
    )


@pytest.mark.parametrize("label", ["Not%20A%20Label", "UPPER", "trailing-", "a--b", "x" * 31])
def test_a_malformed_label_is_a_422_on_the_path(client: TestClient, label: str) -> None:
    response = client.get(f"/labels/{label}/tasks")
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["path", "label"]
    assert error["msg"].startswith("String should")


def test_every_labels_answer_may_be_cached_for_the_configured_time() -> None:
    with signed_in(create_app(CheckpointSettings(labels_max_age=5))) as client:
        assert client.get("/labels").headers["cache-control"] == "max-age=5"
        assert client.get("/labels/ops/tasks").headers["cache-control"] == "max-age=5"
        assert "cache-control" not in client.get("/tasks").headers


def test_the_default_max_age(client: TestClient) -> None:
    assert client.get("/labels").headers["cache-control"] == "max-age=30"


def test_the_docs_file_labels_routes_under_one_tag_and_document_the_header(app) -> None:
    paths = app.openapi()["paths"]
    for path in ("/labels", "/labels/{label}/tasks"):
        operation = paths[path]["get"]
        assert operation["tags"] == ["labels"]
        assert "Cache-Control" in operation["responses"]["200"]["headers"]
    assert "404" in paths["/labels/{label}/tasks"]["get"]["responses"]
