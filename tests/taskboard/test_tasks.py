import pytest
from fastapi.testclient import TestClient

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.demo import demo_tasks
from taskboard.main import create_app


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_list_returns_every_demo_task(client: TestClient) -> None:
    response = client.get("/tasks")
    assert response.status_code == 200
    assert response.json() == demo_tasks()


def test_list_filters_by_status_and_limits(client: TestClient) -> None:
    todo = [task for task in demo_tasks() if task["status"] == "todo"]
    assert client.get("/tasks", params={"status": "todo"}).json() == todo
    assert client.get("/tasks", params={"status": "todo", "limit": 1}).json() == todo[:1]


def test_list_rejects_unknown_status_and_bad_limits(client: TestClient) -> None:
    for params in ({"status": "someday"}, {"limit": 0}, {"limit": 101}, {"limit": "ten"}):
        response = client.get("/tasks", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_list_filters_by_every_label_given(client: TestClient) -> None:
    assert [task["id"] for task in client.get("/tasks?label=api").json()] == [3, 4]
    assert [task["id"] for task in client.get("/tasks?label=api&label=review").json()] == [4]
    assert client.get("/tasks?label=api&status=done").json() == []


def test_list_refuses_an_unknown_parameter_rather_than_ignoring_it(client: TestClient) -> None:
    response = client.get("/tasks?stauts=todo")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"
    assert client.get("/tasks?label=Not A Label").status_code == 422


def test_search_matches_titles_ignoring_case(client: TestClient) -> None:
    response = client.get("/tasks/search", params={"q": "API"})
    assert [task["id"] for task in response.json()] == [3, 4]
    assert client.get("/tasks/search", params={"q": "nothing like it"}).json() == []


def test_search_requires_q(client: TestClient) -> None:
    for params in ({}, {"q": ""}):
        response = client.get("/tasks/search", params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_read_task(client: TestClient) -> None:
    response = client.get("/tasks/3")
    assert response.status_code == 200
    assert response.json() == demo_tasks()[2]


def test_read_unknown_task_is_404_with_a_detail(client: TestClient) -> None:
    response = client.get("/tasks/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Task 999 not found"}


@pytest.mark.parametrize("task_id", ["three", "0", "-1"])
def test_read_task_needs_a_positive_integer_id(client: TestClient, task_id: str) -> None:
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "task_id"]


def test_demo_data_can_be_turned_off() -> None:
    with signed_in(create_app(CheckpointSettings(demo_data=False))) as client:
        assert client.get("/tasks").json() == []


def test_each_app_has_its_own_store() -> None:
    first, second = create_app(), create_app()
    assert first.state.store is not second.state.store
