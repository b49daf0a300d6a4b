"""Lesson 07: users a page at a time, a team signed up all or nothing, users deleted.

The directory is public, so these tests use a client that is not logged in (logging in as the
demo account would add it to the directory); deleting an account needs its own login.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course.login import has_login, log_in
from taskboard.models import MAX_OFFSET, MAX_USERS_PER_BATCH

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _user(username: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD}


def _names(answer: list[dict[str, Any]]) -> list[str]:
    return [user["username"] for user in answer]


def _sign_up_team(client: TestClient, *names: str) -> list[dict[str, Any]]:
    response = client.post("/users/batch", json=[_user(name) for name in names])
    assert response.status_code == 201, response.text
    return response.json()


def test_users_are_listed_in_sign_up_order_a_page_at_a_time(client: TestClient) -> None:
    team = _sign_up_team(client, *(f"user{n:02}" for n in range(12)))
    assert _names(team) == [f"user{n:02}" for n in range(12)]
    assert client.get("/users").json() == team[:10]  # the default page: offset 0, limit 10
    assert client.get("/users?offset=10").json() == team[10:]
    assert client.get("/users?offset=3&limit=2").json() == team[3:5]
    assert client.get(f"/users?offset={MAX_OFFSET}&limit=100").json() == []


@pytest.mark.parametrize(
    "query",
    ["offset=-1", f"offset={MAX_OFFSET + 1}", f"offset={2**63}", "limit=0", "limit=101", "page=2"],
)
def test_a_page_out_of_bounds_is_a_422_not_a_500(client: TestClient, query: str) -> None:
    # 2**63 would overflow both databases' 64-bit integers: the bound refuses it first.
    response = client.get(f"/users?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:1] == ["query"]


def test_a_team_signs_up_in_the_order_given(client: TestClient) -> None:
    team = _sign_up_team(client, "grace", "ada")
    assert [client.get(f"/users/{user['id']}").json() for user in team] == team
    assert "password" not in team[0] and "password_hash" not in team[0]


@pytest.mark.parametrize(
    ("team", "taken"),
    [(["linus", "ada"], "ada"), (["linus", "linus"], "linus")],
    ids=["taken-already", "given-twice"],
)
def test_a_taken_name_signs_up_nobody(client: TestClient, team: list[str], taken: str) -> None:
    _sign_up_team(client, "ada")
    response = client.post("/users/batch", json=[_user(name) for name in team])
    assert (response.status_code, response.json()) == (
        409,
        {"detail": f"Username {taken!r} is already taken"},
    )
    assert _names(client.get("/users").json()) == ["ada"]  # linus was not half-signed-up


@pytest.mark.parametrize("size", [0, MAX_USERS_PER_BATCH + 1])
def test_a_team_has_one_to_twenty_users(client: TestClient, size: int) -> None:
    response = client.post("/users/batch", json=[_user(f"user{n}") for n in range(size)])
    assert response.status_code == 422


def test_a_deleted_user_is_gone_and_the_name_free_again(client: TestClient) -> None:
    ada, _ = _sign_up_team(client, "ada", "grace")
    if has_login(client.app):  # lesson 08: only Ada may delete her account
        log_in(client, "ada", PASSWORD)
    assert client.delete(f"/users/{ada['id']}").status_code == 204
    assert client.get(f"/users/{ada['id']}").status_code == 404
    if has_login(client.app):  # and her token died with her
        log_in(client, "grace", PASSWORD)
    gone = client.delete(f"/users/{ada['id']}")
    assert (gone.status_code, gone.json()) == (404, {"detail": f"User {ada['id']} not found"})
    again = client.post("/users", json=_user("ada"))
    assert again.status_code == 201
    assert again.json()["id"] != ada["id"]  # ids are never reused
