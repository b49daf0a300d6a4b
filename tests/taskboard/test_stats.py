"""Lesson 05: GET /stats, kept by a global `yield` dependency around every request."""

from fastapi.testclient import TestClient

from course import checkpoint
from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.core.config import Settings
from taskboard.main import create_app


def _stats(client: TestClient, **headers: str) -> dict[str, int]:
    response = client.get("/stats", headers=headers)
    assert response.status_code == 200
    return response.json()


def test_a_fresh_app_has_served_only_the_login_and_is_answering_this(client: TestClient) -> None:
    assert _stats(client) == {"served": 1, "failed": 0, "in_progress": 1}
    # The first /stats is counted once it is over.
    assert _stats(client) == {"served": 2, "failed": 0, "in_progress": 1}


def test_every_answered_request_is_served_and_the_errors_failed(client: TestClient) -> None:
    before = _stats(client)
    assert client.get("/tasks").status_code == 200
    assert client.post("/tasks", json={"title": "Count me"}).status_code == 201
    assert client.get("/tasks/999").status_code == 404  # raised by the store
    assert client.get("/tasks/0").status_code == 422  # refused by the path's rules
    assert client.post("/tasks", json={}).status_code == 422  # refused by the body's rules
    after = _stats(client)
    assert after == {
        "served": before["served"] + 6,  # the first /stats and the five requests above
        "failed": before["failed"] + 3,
        "in_progress": 1,
    }


def test_the_error_still_reaches_the_client(client: TestClient) -> None:
    # The dependency sees the 404 and re-raises it: the answer is the store's, not a 500.
    response = client.get("/tasks/999")
    assert (response.status_code, response.json()) == (404, {"detail": "Task 999 not found"})


def test_requests_that_reach_no_route_are_not_counted(client: TestClient) -> None:
    before = _stats(client)
    assert client.get("/nowhere").status_code == 404
    assert client.get("/openapi.json").status_code == 200
    response = client.post("/tasks", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 422  # the body is parsed before any dependency runs
    assert _stats(client)["served"] == before["served"] + 1  # only the first /stats


def test_a_request_refused_for_its_key_counts_as_failed() -> None:
    # Lesson 05's app: from lesson 08 on, /stats also wants a login.
    with TestClient(checkpoint("05", CheckpointSettings(api_key="the-key"))) as client:
        assert client.get("/stats").status_code == 401  # the stats are not public
        assert client.get("/tasks").status_code == 401
        after = _stats(client, **{"X-API-Key": "the-key"})
    assert after == {"served": 2, "failed": 2, "in_progress": 1}


def test_each_app_counts_its_own_requests() -> None:
    first, second = TestClient(checkpoint("05")), TestClient(checkpoint("05"))
    first.get("/tasks")
    assert _stats(second)["served"] == 0


def test_stats_are_documented_with_the_health_checks() -> None:
    schema = create_app(Settings()).openapi()
    operation = schema["paths"]["/stats"]["get"]
    assert operation["tags"] == ["health"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RequestStats"
    }


def test_checkpoints_before_lesson_05_have_no_stats() -> None:
    for lesson in ("01", "02", "03", "04"):
        with signed_in(checkpoint(lesson)) as client:
            assert client.get("/stats").status_code == 404, lesson
