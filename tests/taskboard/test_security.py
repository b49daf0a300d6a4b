"""Lesson 08: logging in, tokens that are refused, scopes, and each user seeing only their tasks.

Every test runs on each store (memory, SQLite, PostgreSQL when DATABASE_URL names one).
"""

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course import checkpoint
from course.login import access_token
from taskboard.core.config import Settings
from taskboard.core.security import create_access_token

PASSWORD = "correct horse battery staple"
# Operations anyone may call: signing up, the user directory, logging in, health and docs.
PUBLIC = {
    "GET /health",
    "GET /status",
    "GET /ready",
    "POST /users",
    "GET /users",
    "GET /users/{user_id}",
    "POST /users/batch",
    "POST /auth/token",
}


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    with TestClient(app) as client:
        yield client


def _sign_up(client: TestClient, username: str) -> int:
    response = client.post("/users", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _as(client: TestClient, username: str, scope: str | None = None) -> dict[str, str]:
    return _bearer(access_token(client, username, PASSWORD, scope))


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


def _concrete(path: str, task_id: int) -> str:
    return path.format(task_id=task_id, user_id=1, file_id=1, label="docs")


# Logging in ----------------------------------------------------------------------------------


def test_the_right_password_gets_a_bearer_token(anonymous: TestClient) -> None:
    user_id = _sign_up(anonymous, "ada")
    response = anonymous.post("/auth/token", data={"username": "ada", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()
    assert (token["token_type"], token["scope"], token["expires_in"]) == (
        "bearer",
        "tasks:read tasks:write",
        3600,
    )
    me = anonymous.get("/auth/me", headers=_bearer(token["access_token"]))
    assert me.json() == {"id": user_id, "username": "ada", "full_name": None}


@pytest.mark.parametrize(
    "form",
    [
        {"username": "ada", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-user"],
)
def test_wrong_credentials_are_a_400_that_does_not_say_which(
    anonymous: TestClient, form: dict[str, str]
) -> None:
    _sign_up(anonymous, "ada")
    response = anonymous.post("/auth/token", data=form)
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Incorrect username or password"},
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"json": {"username": "ada", "password": PASSWORD}}, 422),  # JSON, not a form
        ({"data": {"username": "ada"}}, 422),
        ({"content": b"\xff\xfe", "headers": {"content-type": "multipart/form-data"}}, 400),
        ({"data": {"username": "ada", "password": PASSWORD, "scope": "admin"}}, 400),
    ],
    ids=["json", "no-password", "broken-form", "unknown-scope"],
)
def test_a_malformed_login_is_a_4xx_never_a_500(
    anonymous: TestClient, body: dict, status: int
) -> None:
    _sign_up(anonymous, "ada")
    response = anonymous.post("/auth/token", **body)
    assert response.status_code == status, response.text
    assert PASSWORD not in response.text


# Tokens that are refused ---------------------------------------------------------------------


def _forged(claims: dict, header: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _refusals(app: FastAPI, user_id: int) -> dict[str, str]:
    settings: Settings = app.state.settings
    now = datetime.now(UTC)
    valid = create_access_token(user_id, ["tasks:read"], settings)
    head, _, signature = valid.split(".")
    claims = {"sub": str(user_id), "scope": "tasks:read", "exp": int(now.timestamp()) + 60}
    return {
        "malformed": "not-a-jwt",
        "expired": create_access_token(
            user_id, ["tasks:read"], settings, now=now - timedelta(hours=2)
        ),
        "tampered": f"{head}.{_forged(claims | {'sub': '999'}, {}).split('.')[1]}.{signature}",
        "alg-none": _forged(claims, {"alg": "none", "typ": "JWT"}),
        "other-key": jwt.encode(claims, "another-key-of-thirty-two-bytes-or-more", "HS256"),
    }


@pytest.mark.parametrize("kind", ["malformed", "expired", "tampered", "alg-none", "other-key"])
def test_a_bad_token_is_a_401_with_a_bearer_challenge(
    app: FastAPI, anonymous: TestClient, kind: str
) -> None:
    user_id = _sign_up(anonymous, "ada")
    response = anonymous.get("/tasks", headers=_bearer(_refusals(app, user_id)[kind]))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "invalid_token" in response.headers["www-authenticate"]
    expected = "The token has expired: log in again" if kind == "expired" else "not valid"
    assert expected in response.json()["detail"]


def test_a_signed_token_that_expires_after_year_9999_is_a_401_not_a_500(
    app: FastAPI, anonymous: TestClient
) -> None:
    # PyJWT checks only that `exp` is ahead; Taskboard reads it as a date (lesson 10 closes a
    # socket then), and must refuse one that is no date rather than fail.
    user_id = _sign_up(anonymous, "ada")
    key = app.state.settings.secret_key.get_secret_value()
    claims = {"sub": str(user_id), "scope": "tasks:read", "exp": 10**20}
    response = anonymous.get("/tasks", headers=_bearer(jwt.encode(claims, key, "HS256")))
    assert (response.status_code, response.json()) == (401, {"detail": "The token is not valid"})


def test_no_token_is_a_401_not_authenticated(anonymous: TestClient) -> None:
    response = anonymous.get("/tasks")
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_of_a_deleted_user_is_refused(anonymous: TestClient) -> None:
    user_id = _sign_up(anonymous, "ada")
    ada = _as(anonymous, "ada")
    assert anonymous.delete(f"/users/{user_id}", headers=ada).status_code == 204
    response = anonymous.get("/tasks", headers=ada)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "The token's user no longer exists"},
    )


def test_every_route_but_the_public_ones_wants_a_token(app: FastAPI, anonymous: TestClient) -> None:
    guarded = [op for op in _operations(app) if f"{op[0]} {op[1]}" not in PUBLIC]
    assert len(guarded) >= 15
    for method, path in guarded:
        response = anonymous.request(method, _concrete(path, 1))
        assert response.status_code == 401, (method, path, response.text)


def test_every_guarded_route_documents_its_401_and_a_scoped_one_its_403(app: FastAPI) -> None:
    # Found by lesson 13's fuzzing: FastAPI documents a route's own answers, not its guard's.
    paths = app.openapi()["paths"]
    guarded = [op for op in _operations(app) if f"{op[0]} {op[1]}" not in PUBLIC]
    for method, path in guarded:
        operation = paths[path][method.lower()]
        assert "401" in operation["responses"], (method, path)
        scoped = any(
            requirement.get("OAuth2PasswordBearer") for requirement in operation["security"]
        )
        assert ("403" in operation["responses"]) >= scoped, (method, path)
    assert "403" in paths["/users/{user_id}"]["delete"]["responses"]  # not your account


# Scopes --------------------------------------------------------------------------------------


def test_a_read_only_token_reads_but_cannot_write(anonymous: TestClient) -> None:
    _sign_up(anonymous, "ada")
    reader = _as(anonymous, "ada", scope="tasks:read")
    assert anonymous.get("/tasks", headers=reader).status_code == 200
    response = anonymous.post("/tasks", json={"title": "Mine"}, headers=reader)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "The token does not allow tasks:write"},
    )
    challenge = response.headers["www-authenticate"]
    assert challenge == 'Bearer scope="tasks:write", error="insufficient_scope"'


def test_the_schema_lists_the_scopes_for_swagger_ui(app: FastAPI) -> None:
    schema = app.openapi()
    flow = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "auth/token"
    assert set(flow["scopes"]) == {"tasks:read", "tasks:write"}
    assert schema["paths"]["/tasks"]["post"]["security"] == [
        {"OAuth2PasswordBearer": ["tasks:write"]}
    ]
    assert "security" not in schema["paths"]["/health"]["get"]


# Ownership -----------------------------------------------------------------------------------


def test_nobody_reaches_anothers_task_on_any_route(app: FastAPI, anonymous: TestClient) -> None:
    for name in ("ada", "grace"):
        _sign_up(anonymous, name)
    ada, grace = _as(anonymous, "ada"), _as(anonymous, "grace")
    task = anonymous.post("/tasks", json={"title": "Ada's", "labels": ["secret"]}, headers=ada)
    task_id = task.json()["id"]
    assert anonymous.post(f"/tasks/{task_id}/comments", json={"text": "hi"}, headers=ada).is_success
    touching = [op for op in _operations(app) if "{task_id}" in op[1]]
    assert len(touching) >= 9
    bodies = {"PATCH": {"title": "Grace's now"}, "POST": {"text": "x"}}
    for method, path in touching:
        response = anonymous.request(
            method, _concrete(path, task_id), json=bodies.get(method), headers=grace
        )
        # 404, exactly as for a task that does not exist: its existence is not revealed.
        assert response.status_code in (404, 422), (method, path, response.text)
        if response.status_code == 404:
            assert response.json()["detail"] == f"Task {task_id} not found"
    for url in ("/tasks", "/tasks/search?q=Ada", "/labels", "/export/tasks"):
        assert "Ada's" not in anonymous.get(url, headers=grace).text, url
    assert anonymous.get("/labels/secret/tasks", headers=grace).status_code == 404
    # Ada's task is untouched.
    mine = anonymous.get(f"/tasks/{task_id}", headers=ada).json()
    assert mine["title"] == "Ada's"
    assert [c["text"] for c in anonymous.get(f"/tasks/{task_id}/comments", headers=ada).json()] == [
        "hi"
    ]


def test_another_users_account_is_a_403_and_your_own_goes_with_its_tasks(
    anonymous: TestClient,
) -> None:
    ada_id, grace_id = _sign_up(anonymous, "ada"), _sign_up(anonymous, "grace")
    ada, grace = _as(anonymous, "ada"), _as(anonymous, "grace")
    refused = anonymous.delete(f"/users/{ada_id}", headers=grace)
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": f"User {ada_id} is not you: you can only delete your own account"},
    )
    task_id = anonymous.post("/tasks", json={"title": "Grace's"}, headers=grace).json()["id"]
    assert anonymous.delete(f"/users/{grace_id}", headers=grace).status_code == 204
    assert anonymous.get(f"/tasks/{task_id}", headers=ada).status_code == 404
    assert anonymous.get("/users").json() == [{"id": ada_id, "username": "ada", "full_name": None}]


def test_the_demo_account_owns_the_demo_tasks(anonymous: TestClient) -> None:
    demo = _bearer(access_token(anonymous))
    assert [task["id"] for task in anonymous.get("/tasks", headers=demo).json()] == [1, 2, 3, 4]
    _sign_up(anonymous, "ada")
    assert anonymous.get("/tasks", headers=_as(anonymous, "ada")).json() == []


# Secrets -------------------------------------------------------------------------------------


def test_no_password_or_hash_in_answers_or_logs(
    anonymous: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        answers = [
            anonymous.post("/users", json={"username": "ada", "password": PASSWORD}).text,
            anonymous.post("/auth/token", data={"username": "ada", "password": PASSWORD}).text,
            anonymous.post("/auth/token", data={"username": "ada", "password": "wrong one"}).text,
            anonymous.post("/users", json={"username": "x", "password": PASSWORD}).text,
        ]
        token = json.loads(answers[1])["access_token"]
        answers.append(anonymous.get("/auth/me", headers=_bearer(token)).text)
    for text in [*answers, caplog.text]:
        assert PASSWORD not in text and "wrong one" not in text
        assert "$argon2" not in text and "password_hash" not in text


def test_earlier_checkpoints_still_need_no_token() -> None:
    with TestClient(checkpoint("07")) as client:
        assert client.get("/tasks").status_code == 200
        assert client.post("/tasks", json={"title": "Open"}).status_code == 201
        assert client.post("/auth/token", data={"username": "demo"}).status_code == 404
