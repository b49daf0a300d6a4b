"""Lesson 02: creating, changing and deleting tasks, and the 4xx answers for bad input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from taskboard.demo import demo_tasks


def test_create_answers_201_with_the_new_task_and_its_defaults(client: TestClient) -> None:
    response = client.post("/tasks", json={"title": "Ship lesson 02"})
    assert response.status_code == 201
    assert response.json() == {
        "id": 5,
        "title": "Ship lesson 02",
        "description": None,
        "status": "todo",
        "priority": 3,
        "labels": [],
        "checklist": [],
    }
    assert client.get("/tasks/5").json() == response.json()


def test_create_keeps_labels_and_a_nested_checklist(client: TestClient) -> None:
    body = {
        "title": "Release",
        "status": "doing",
        "priority": 1,
        "labels": ["backend", "good-first-issue"],
        "checklist": [{"text": "Tag it"}, {"text": "Announce it", "done": True}],
    }
    task = client.post("/tasks", json=body).json()
    assert task["labels"] == body["labels"]
    assert task["checklist"] == [
        {"text": "Tag it", "done": False},
        {"text": "Announce it", "done": True},
    ]


def test_ids_come_from_a_counter_and_are_never_reused(client: TestClient) -> None:
    first = client.post("/tasks", json={"title": "a"}).json()["id"]
    client.delete(f"/tasks/{first}")
    assert client.post("/tasks", json={"title": "b"}).json()["id"] == first + 1


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({}, ["body", "title"], "missing"),
        ({"title": 42}, ["body", "title"], "string_type"),
        ({"title": ""}, ["body", "title"], "string_too_short"),
        ({"title": "x" * 201}, ["body", "title"], "string_too_long"),
        ({"title": "x", "priority": 9}, ["body", "priority"], "less_than_equal"),
        ({"title": "x", "priority": "high"}, ["body", "priority"], "int_parsing"),
        ({"title": "x", "status": "someday"}, ["body", "status"], "enum"),
        ({"title": "x", "colour": "red"}, ["body", "colour"], "extra_forbidden"),
        (
            {"title": "x", "labels": ["Not A Slug"]},
            ["body", "labels", 0],
            "string_pattern_mismatch",
        ),
        (
            {"title": "x", "checklist": [{"done": True}]},
            ["body", "checklist", 0, "text"],
            "missing",
        ),
        (
            {"title": "x", "checklist": [{"text": "a", "by": 1}]},
            ["body", "checklist", 0, "by"],
            "extra_forbidden",
        ),
    ],
)
def test_create_refuses_bad_bodies_with_a_422_that_says_where(
    client: TestClient, body: dict[str, Any], loc: list[Any], error_type: str
) -> None:
    response = client.post("/tasks", json=body)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert (error["loc"], error["type"]) == (loc, error_type)
    assert error["msg"]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "null", '{"title": "x"'])
def test_create_refuses_a_body_that_is_not_a_json_object(client: TestClient, content: str) -> None:
    response = client.post("/tasks", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    response = client.patch("/tasks/1", json={"priority": 5})
    assert response.status_code == 200
    assert response.json() == demo_tasks()[0] | {"priority": 5}
    assert client.get("/tasks/1").json() == response.json()


def test_patch_with_null_clears_the_description(client: TestClient) -> None:
    assert client.patch("/tasks/1", json={"description": None}).json()["description"] is None


def test_patch_with_an_empty_body_changes_nothing(client: TestClient) -> None:
    assert client.patch("/tasks/3", json={}).json() == demo_tasks()[2]


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"status": None},
        {"priority": None},
        {"title": ""},
        {"priority": 0},
        {"done": True},
        {"checklist": [{"text": ""}]},
    ],
)
def test_patch_refuses_bad_changes_and_keeps_the_task(client: TestClient, body: dict) -> None:
    response = client.patch("/tasks/2", json=body)
    assert response.status_code == 422, body
    assert client.get("/tasks/2").json() == demo_tasks()[1]


def test_delete_answers_204_with_no_body(client: TestClient) -> None:
    response = client.delete("/tasks/4")
    assert response.status_code == 204
    assert response.content == b""
    assert [task["id"] for task in client.get("/tasks").json()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"priority": 1}), ("DELETE", None)]
)
def test_an_unknown_task_is_a_404_from_the_exception_handler(
    client: TestClient, method: str, body: dict | None
) -> None:
    response = client.request(method, "/tasks/999", json=body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Task 999 not found"}


def test_the_handler_answers_404_for_any_route_that_lets_task_not_found_out(app) -> None:
    from taskboard.store import TaskNotFound

    @app.get("/raises")
    def raises() -> None:
        raise TaskNotFound(7)

    with TestClient(app) as client:
        response = client.get("/raises")
    assert (response.status_code, response.json()) == (404, {"detail": "Task 7 not found"})
