"""Lesson 02: users sign up with a password that is hashed and never leaves the API."""

import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from taskboard.core.security import verify_password

PASSWORD = "correct horse battery staple"


def _sign_up(client: TestClient, username: str = "ada", **extra: Any) -> dict[str, Any]:
    response = client.post("/users", json={"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_sign_up_answers_201_with_the_public_user(client: TestClient) -> None:
    user = _sign_up(client, full_name="Ada Lovelace")
    assert isinstance(user.pop("id"), int)
    assert user == {"username": "ada", "full_name": "Ada Lovelace"}


def test_read_user(client: TestClient) -> None:
    user = _sign_up(client)
    response = client.get(f"/users/{user['id']}")
    assert (response.status_code, response.json()) == (200, user)


def test_unknown_user_is_a_404(client: TestClient) -> None:
    response = client.get("/users/42")
    assert (response.status_code, response.json()) == (404, {"detail": "User 42 not found"})


def test_neither_the_password_nor_its_hash_ever_leaves_the_api(client: TestClient) -> None:
    user = _sign_up(client)
    answers = [
        client.get(f"/users/{user['id']}").text,
        client.post("/users", json={"username": "ada", "password": PASSWORD}).text,
        client.get("/openapi.json").text,
    ]
    for text in answers:
        assert PASSWORD not in text
        assert "$argon2" not in text
    assert "password_hash" not in answers[2]


def test_the_store_keeps_only_an_argon2_hash(app) -> None:
    with TestClient(app) as client:
        user = _sign_up(client)
        # On the app's own event loop, while it runs (a database store needs its engine open).
        stored = client.portal.call(app.state.store.get_user, user["id"])
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.model_dump_json()
    assert verify_password(PASSWORD, stored.password_hash)
    assert not verify_password("wrong password", stored.password_hash)


def test_a_taken_username_is_a_409_that_says_why(client: TestClient) -> None:
    _sign_up(client)
    response = client.post("/users", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {"detail": "Username 'ada' is already taken"}


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"username": "ada"}, ["body", "password"], "missing"),
        ({"username": "ada", "password": "short"}, ["body", "password"], "string_too_short"),
        ({"username": "ada", "password": "x" * 129}, ["body", "password"], "string_too_long"),
        (
            {"username": "Ada Lovelace", "password": PASSWORD},
            ["body", "username"],
            "string_pattern_mismatch",
        ),
        ({"username": "al", "password": PASSWORD}, ["body", "username"], "string_too_short"),
        (
            {"username": "ada", "password": PASSWORD, "password_hash": "x"},
            ["body", "password_hash"],
            "extra_forbidden",
        ),
        ({"username": "ada", "password": PASSWORD, "id": 7}, ["body", "id"], "extra_forbidden"),
    ],
)
def test_sign_up_refuses_bad_bodies(
    client: TestClient, body: dict[str, Any], loc: list[str], error_type: str
) -> None:
    response = client.post("/users", json=body)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert (error["loc"], error["type"]) == (loc, error_type)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ada", "password": "Tiny7"},
        {"username": "ada", "password": "x" * 129},
        {"password": PASSWORD},
        {"username": "Ada Lovelace", "password": PASSWORD},
        [{"username": "ada", "password": PASSWORD}],
    ],
)
def test_a_422_never_echoes_the_password(client: TestClient, body: Any) -> None:
    response = client.post("/users", json=body)
    assert response.status_code == 422
    password = body["password"] if isinstance(body, dict) else PASSWORD
    assert password not in response.text
    assert "********" in response.text or "Ada Lovelace" in response.text


def test_other_422s_keep_their_input(client: TestClient) -> None:
    response = client.post("/tasks", json={"title": "x", "priority": 9})
    assert response.json()["detail"][0]["input"] == 9


def test_the_app_hashes_with_argon2_at_its_default_cost() -> None:
    # The suite hashes cheaply (conftest.py); this checks what the app itself uses, in a
    # process of its own, where no test changed it.
    code = (
        "from taskboard.core.security import hash_password; "
        "from argon2 import DEFAULT_MEMORY_COST as m, DEFAULT_TIME_COST as t; "
        "assert hash_password('x').startswith(f'$argon2id$v=19$m={m},t={t},'), 'not the default'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
