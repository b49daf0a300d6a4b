"""Bad input gets a 4xx that says why, never a 500, on every store (lesson 07's acceptance).

One request per kind of mistake a client makes: a duplicate key, a page out of range, an id
that does not exist (or cannot), an upload past the limit, a body that is not JSON.
"""

import pytest
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


@pytest.fixture
def taken(client: TestClient) -> TestClient:
    """A client of a board where the username `ada` is taken."""
    assert client.post("/users", json={"username": "ada", "password": PASSWORD}).status_code == 201
    return client


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("POST", "/users", {"username": "ada", "password": PASSWORD}, 409),
        ("POST", "/users/batch", [{"username": "ada", "password": PASSWORD}], 409),
        ("GET", "/users?offset=-1", None, 422),
        ("GET", f"/users?offset={2**63}", None, 422),
        ("GET", "/users?limit=1000", None, 422),
        ("GET", "/tasks?limit=0", None, 422),
        ("GET", f"/tasks?limit={2**63}", None, 422),
        ("GET", "/tasks/999", None, 404),
        ("GET", f"/tasks/{2**63}", None, 404),
        ("GET", "/tasks/0", None, 422),
        ("GET", "/users/999", None, 404),
        ("GET", f"/users/{2**63}", None, 404),
        ("DELETE", "/users/999", None, 404),
        ("PATCH", "/tasks/999", {"title": "x"}, 404),
        ("DELETE", "/tasks/999", None, 404),
        ("POST", "/tasks/999/comments", {"text": "hi"}, 404),
        ("GET", "/tasks/1/files/999", None, 404),
    ],
)
def test_bad_input_is_a_4xx_with_a_detail(
    taken: TestClient, method: str, url: str, body: object, status: int
) -> None:
    response = taken.request(method, url, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("url", ["/tasks", "/users", "/users/batch", "/tasks/1/comments"])
def test_a_body_that_is_not_json_is_a_422(client: TestClient, url: str) -> None:
    response = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("path", ["/tasks", "/users", "/users/batch", "/tasks/{task_id}/comments"])
def test_a_json_body_that_is_not_utf8_is_a_documented_400(client: TestClient, path: str) -> None:
    # Found by lesson 13's fuzzing: FastAPI answers 400 before the route runs, and the schema
    # did not list it.
    latin1 = b'{"title": "\xe9t\xe9"}'
    url = path.format(task_id=1)
    response = client.post(url, content=latin1, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    assert "400" in client.app.openapi()["paths"][path]["post"]["responses"]


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("PUT", "/tasks", "GET, POST"),
        ("OPTIONS", "/tasks/1", "GET, PATCH, DELETE"),
        ("PUT", "/tasks/search", "GET"),
        ("PUT", "/users/batch", "POST"),
        ("PUT", "/users/7", "GET, DELETE"),
    ],
)
def test_a_405_names_every_method_of_the_path(
    client: TestClient, method: str, url: str, allow: str
) -> None:
    # Found by lesson 13's fuzzing: Starlette named only the methods of the first route that
    # matched the path (`Allow: GET` for /tasks, whose POST is another route).
    response = client.request(method, url)
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == allow


def test_an_upload_past_the_limit_is_a_413_and_stores_nothing(client: TestClient) -> None:
    limit = client.app.state.settings.max_file_bytes
    too_big = {"file": ("big.bin", b"x" * (limit + 1), "application/octet-stream")}
    response = client.post("/tasks/1/files", files=too_big)
    assert response.status_code == 413
    assert "detail" in response.json()
    assert client.get("/tasks/1/files").json() == []


NUL = "\x00"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/tasks", {"title": f"a{NUL}b"}),
        ("POST", "/tasks", {"title": "a", "description": NUL}),
        ("POST", "/tasks", {"title": "a", "checklist": [{"text": NUL}]}),
        ("PATCH", "/tasks/1", {"title": NUL}),
        ("PATCH", "/tasks/1", {"description": NUL}),
        ("POST", "/tasks/1/checklist", {"text": NUL}),
        ("POST", "/users", {"username": "ada", "password": PASSWORD, "full_name": NUL}),
        ("POST", "/users/batch", [{"username": "ada", "password": PASSWORD, "full_name": NUL}]),
        ("POST", "/tasks/1/comments", {"text": NUL}),
        (
            "POST",
            "/tasks/1/comments",
            {"text": "a", "attachments": [{"name": NUL, "url": "https://a"}]},
        ),
        (
            "POST",
            "/tasks/1/comments",
            {"text": "a", "attachments": [{"name": "a", "url": f"https://{NUL}"}]},
        ),
        ("GET", "/tasks/search?q=%00", None),
    ],
)
def test_text_with_a_nul_character_is_a_422_on_every_store(
    client: TestClient, method: str, url: str, body: object
) -> None:
    # Found by lesson 13's fuzzing, on PostgreSQL only: its text types cannot hold U+0000, and
    # the database's error was a 500. Every store refuses it, so they stay interchangeable.
    response = client.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"][0]["msg"]


def test_a_login_with_a_nul_character_is_wrong_credentials(client: TestClient) -> None:
    for form in [
        {"username": f"demo{NUL}", "password": "x"},
        {"username": "demo", "password": NUL},
    ]:
        response = client.post("/auth/token", data=form)
        assert response.status_code == 400, response.text
        assert response.json() == {"detail": "Incorrect username or password"}


@pytest.mark.parametrize(
    ("filename", "content_type", "field"),
    [(b"a\x00b.txt", b"text/plain", "filename"), (b"a.txt", b"text/\x00plain", "content_type")],
)
def test_an_upload_with_a_nul_character_in_its_headers_is_a_422(
    client: TestClient, filename: bytes, content_type: bytes, field: str
) -> None:
    # httpx2 would percent-encode the filename: the bytes are written as a browser could send them.
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
        b"Content-Type: %s\r\n\r\nhi\r\n--XX--\r\n" % (filename, content_type)
    )
    headers = {"content-type": "multipart/form-data; boundary=XX"}
    response = client.post("/tasks/1/files", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "file", field]
    assert client.get("/tasks/1/files").json() == []
