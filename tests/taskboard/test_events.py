"""Every committed task change reaches the store's listeners (taskboard/events.py), on every store:
lesson 10's live board and lesson 12's cache rely on it."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskboard.events import TaskEvent


@pytest.fixture
def heard(app: FastAPI) -> list[TaskEvent]:
    events: list[TaskEvent] = []

    async def listen(event: TaskEvent) -> None:
        events.append(event)

    app.state.store.events.subscribe(listen)
    return events


def test_create_update_checklist_and_delete_are_each_announced_once(
    client: TestClient, heard: list[TaskEvent]
) -> None:
    me = client.get("/auth/me").json()["id"]
    task = client.post("/tasks", json={"title": "Ship it"}).json()
    client.patch(f"/tasks/{task['id']}", json={"status": "doing"})
    client.post(f"/tasks/{task['id']}/checklist", json={"text": "Tag it"})
    client.delete(f"/tasks/{task['id']}")

    assert [(event.type, event.task_id, event.owner_id) for event in heard] == [
        ("task.created", task["id"], me),
        ("task.updated", task["id"], me),
        ("task.updated", task["id"], me),
        ("task.deleted", task["id"], me),
    ]
    created, updated, with_item, deleted = heard
    assert created.task is not None and created.task.model_dump(mode="json") == task
    assert updated.task is not None and updated.task.status == "doing"
    assert with_item.task is not None and [item.text for item in with_item.task.checklist] == [
        "Tag it"
    ]
    assert deleted.task is None


def test_a_refused_write_announces_nothing(client: TestClient, heard: list[TaskEvent]) -> None:
    assert client.patch("/tasks/999", json={"status": "done"}).status_code == 404
    assert client.post("/tasks", json={"title": ""}).status_code == 422
    assert client.delete("/tasks/999").status_code == 404
    assert heard == []


def test_a_failing_listener_neither_fails_the_write_nor_silences_the_others(
    app: FastAPI, client: TestClient, heard: list[TaskEvent], caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(event: TaskEvent) -> None:
        raise ConnectionError("the broker is down")

    # Subscribed after `heard`'s listener and before another: both of those still hear.
    app.state.store.events.subscribe(broken)
    later: list[TaskEvent] = []

    async def listen_later(event: TaskEvent) -> None:
        later.append(event)

    app.state.store.events.subscribe(listen_later)

    response = client.post("/tasks", json={"title": "Still saved"})

    assert response.status_code == 201
    assert client.get(f"/tasks/{response.json()['id']}").status_code == 200
    assert [event.type for event in heard] == [event.type for event in later] == ["task.created"]
    assert "A listener failed on task.created" in caplog.text


def test_unsubscribing_stops_the_events(
    app: FastAPI, client: TestClient, heard: list[TaskEvent]
) -> None:
    events: list[TaskEvent] = []

    async def listen(event: TaskEvent) -> None:
        events.append(event)

    stop = app.state.store.events.subscribe(listen)
    client.post("/tasks", json={"title": "Heard"})
    stop()
    client.post("/tasks", json={"title": "Not heard"})

    assert [event.task.title for event in events if event.task] == ["Heard"]
    assert len(heard) == 2
