"""Logging a client in to Taskboard from lesson 08 on, for the checks, the tests and the lessons.

An app with lesson 08's login route wants a token on most routes. With demo data, the demo
account owns the demo tasks, so a client logged in as it sees the board the earlier lessons
saw: that is how checks of lessons 01 to 07 still judge Taskboard after lesson 08.
"""

import itertools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import NoMatchFound

from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME

TOKEN_PATH = "/auth/token"


def has_login(app: Any) -> bool:
    """Whether the app has Taskboard's login route (lesson 08's `log_in`), found by its name."""
    try:
        return app.url_path_for("log_in") == TOKEN_PATH
    except (AttributeError, NoMatchFound):  # not an app, or one without it
        return False


def access_token(
    client: TestClient,
    username: str = DEMO_USERNAME,
    password: str = DEMO_PASSWORD,
    scope: str | None = None,
) -> str:
    """A token from the app's login route, or an AssertionError saying what it answered."""
    form = {"username": username, "password": password}
    if scope is not None:
        form["scope"] = scope
    response = client.post(TOKEN_PATH, data=form)
    assert response.status_code == 200, f"logging in as {username!r}: {response.text}"
    return response.json()["access_token"]


def log_in(
    client: TestClient, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD
) -> None:
    """Send every later request of `client` with a token for the user."""
    client.headers["Authorization"] = f"Bearer {access_token(client, username, password)}"


_numbers = itertools.count(1)


def log_in_anyone(client: TestClient, app: Any = None) -> int | None:
    """Log the client in as the demo account or, in an app without demo data, as a user it
    signs up for the purpose. Returns that user's id (to delete afterwards), or None.

    An app with an API key (lesson 05, `app.state.settings.api_key`) gets it with these
    requests: a client of that app sends it with every request anyway.
    """
    settings = getattr(getattr(app or client.app, "state", None), "settings", None)
    key = getattr(settings, "api_key", None)
    headers = {"X-API-Key": key.get_secret_value()} if key is not None else {}
    form = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    demo = client.post(TOKEN_PATH, data=form, headers=headers)
    if demo.is_success:
        client.headers["Authorization"] = f"Bearer {demo.json()['access_token']}"
        return None
    username, password = f"tester_{next(_numbers)}_{secrets.token_hex(3)}", secrets.token_hex(8)
    user = {"username": username, "password": password}
    response = client.post("/users", json=user, headers=headers)
    assert response.status_code == 201, f"signing up {username!r}: {response.text}"
    form = {"username": username, "password": password}
    token = client.post(TOKEN_PATH, data=form, headers=headers)
    assert token.status_code == 200, f"logging in as {username!r}: {token.text}"
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return response.json()["id"]


@contextmanager
def signed_in(app: Any) -> Iterator[TestClient]:
    """`with TestClient(app)`, logged in (`log_in_anyone`) if the app has a login."""
    with TestClient(app) as client:
        if has_login(app):
            log_in_anyone(client)
        yield client
