"""What lesson 14 cut from a guarded read, kept cut: one database session and two statements for
`GET /tasks/{task_id}`, and a token's signature checked once while its expiry is checked every time.

These count work (sessions, SQL statements, signature checks); none of them times anything.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.core import security
from taskboard.core.security import InvalidToken, create_access_token, read_access_token


@contextmanager
def counting_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's database store sends while the block runs."""
    engine = app.state.store.engine.sync_engine
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_guarded_read_opens_one_session(sql_app: FastAPI) -> None:
    with signed_in(sql_app) as client:
        store = sql_app.state.store
        opened: list[object] = []
        sessions = store.sessions

        def counted() -> Any:
            opened.append(1)
            return sessions()

        store.sessions = counted
        try:
            response = client.get("/tasks/3")
        finally:
            store.sessions = sessions
    assert response.status_code == 200
    # The token check's user lookup and the route share the request's transaction.
    assert len(opened) == 1


def test_reading_a_task_sends_two_statements(sql_app: FastAPI) -> None:
    with signed_in(sql_app) as client, counting_statements(sql_app) as statements:
        response = client.get("/tasks/3")
    assert response.status_code == 200
    assert response.json()["labels"] == ["api"]
    assert [item["text"] for item in response.json()["checklist"]] == [
        "List the endpoints",
        "Write down the error responses",
    ]
    # The user, then the task with its labels and checklist joined in.
    assert len(statements) == 2, statements
    assert "JOIN" in statements[1]


def test_a_task_with_many_labels_and_items_reads_back_whole(sql_app: FastAPI) -> None:
    """The join repeats the task's row for every (label, item) pair: each is read back once."""
    task = {
        "title": "Many of each",
        "labels": ["a", "b", "c"],
        "checklist": [{"text": f"step {n}", "done": n % 2 == 0} for n in range(5)],
    }
    with signed_in(sql_app) as client:
        created = client.post("/tasks", json=task).json()
        read = client.get(f"/tasks/{created['id']}").json()
    assert read["labels"] == ["a", "b", "c"]
    assert read["checklist"] == task["checklist"]


def test_a_deleted_user_is_refused_in_the_next_request(sql_app: FastAPI) -> None:
    # The user is still looked up on every request, in the request's own transaction.
    with TestClient(sql_app) as client:
        client.post("/users", json={"username": "ada", "password": "correct horse"})
        form = {"username": "ada", "password": "correct horse"}
        token = client.post("/auth/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/auth/me", headers=headers).json()
        assert client.delete(f"/users/{me['id']}", headers=headers).status_code == 204
        refused = client.get("/tasks", headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "The token's user no longer exists"}


# --- Tokens verified once -----------------------------------------------------------------------

SETTINGS = CheckpointSettings()


def test_a_verified_token_still_expires() -> None:
    now = datetime.now(UTC)
    token = create_access_token(7, ["tasks:read"], SETTINGS, now=now)
    assert read_access_token(token, SETTINGS).user_id == 7  # verified, and kept
    later = (now + timedelta(minutes=SETTINGS.access_token_expire_minutes, seconds=1)).timestamp()
    with pytest.raises(InvalidToken, match="expired"):
        read_access_token(token, SETTINGS, now=later)


def test_a_token_is_verified_once_while_it_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    security._verified.cache_clear()
    checked: list[str] = []
    decode = security.jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(security.jwt, "decode", counted)
    token = create_access_token(7, ["tasks:read"], SETTINGS)
    for _ in range(3):
        read_access_token(token, SETTINGS)
    assert checked == [token]


def test_a_refused_token_is_checked_again_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    security._verified.cache_clear()
    token = create_access_token(7, ["tasks:read"], SETTINGS)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(InvalidToken, match="not valid"):
            read_access_token(tampered, SETTINGS)
    assert security._verified.cache_info().currsize == 0


def test_a_token_kept_for_one_key_is_refused_under_another() -> None:
    token = create_access_token(7, ["tasks:read"], SETTINGS)
    read_access_token(token, SETTINGS)
    other = CheckpointSettings(secret_key="another-key-of-at-least-thirty-two-characters")
    with pytest.raises(InvalidToken, match="not valid"):
        read_access_token(token, other)
