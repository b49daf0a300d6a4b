"""Lesson 16 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Tasks 1-3 judge client functions against a real served Taskboard: this module serves one, as
the exercise's first cell does, and the checks use it. Task 4 judges a polite writer against a
scripted transport. Task 5, the final check, judges apps in-process.
"""

import json
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx2
import nbformat
import pytest
import websocket
from websockets.sync.client import connect

from course import capstone, checkpoint
from course.checkpoints import CheckpointSettings
from course.checks import checks_of, lesson16
from taskboard.api.main import CACHE, FEATURES, LIVE_BOARD
from taskboard.main import create_app
from tests.checking import failure, run_checking
from tests.conftest import ROOT

ALL_CHECKS = checks_of("16")
SOLUTION = nbformat.read(ROOT / "solutions" / "16_capstone.ipynb", as_version=4)
EXERCISE = nbformat.read(ROOT / "exercises" / "16_capstone.ipynb", as_version=4)


@pytest.fixture(scope="module", autouse=True)
def served() -> Iterator[str]:
    """A Taskboard served for the module's checks: they use the one that runs."""
    with capstone.serving_taskboard(write_rate_limit=5) as url:
        yield url


def test_tasks_1_to_4_judge_an_answer_and_task_5_an_app() -> None:
    assert [checker.judges_app for checker in ALL_CHECKS] == [False] * 4 + [True]  # type: ignore[attr-defined]


# --- Task 1: sign up and log in ----------------------------------------------------------------


def sign_up_and_log_in(url: str, username: str, password: str) -> dict[str, str]:
    credentials = {"username": username, "password": password}
    with httpx2.Client(base_url=url, timeout=10) as client:
        client.post("/users", json=credentials).raise_for_status()
        login = client.post("/auth/token", data=credentials)
        login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def headers_object(url: str, username: str, password: str) -> httpx2.Headers:
    """Another way: module-level calls, and httpx2's own Headers, lowercase."""
    httpx2.post(f"{url}/users", json={"username": username, "password": password})
    answer = httpx2.post(f"{url}/auth/token", data={"username": username, "password": password})
    return httpx2.Headers({"authorization": "Bearer " + answer.json()["access_token"]})


def no_bearer(url: str, username: str, password: str) -> dict[str, str]:
    headers = sign_up_and_log_in(url, username, password)
    return {"Authorization": headers["Authorization"].removeprefix("Bearer ")}


def json_login(url: str, username: str, password: str) -> dict[str, str]:
    credentials = {"username": username, "password": password}
    httpx2.post(f"{url}/users", json=credentials).raise_for_status()
    login = httpx2.post(f"{url}/auth/token", json=credentials)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def login_only(url: str, username: str, password: str) -> dict[str, str]:
    login = httpx2.post(f"{url}/auth/token", data={"username": username, "password": password})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def token_only(url: str, username: str, password: str) -> str:
    return sign_up_and_log_in(url, username, password)["Authorization"]


@pytest.mark.parametrize("answer", [sign_up_and_log_in, headers_object])
def test_task_1_passes_every_correct_answer(answer: Callable[..., Any]) -> None:
    lesson16.signed_in(answer)


@pytest.mark.parametrize(
    ("answer", "problem", "hint"),
    [
        (no_bearer, "should start with `Bearer `", lesson16._BEARER),
        (json_login, "raised an error", "The user was signed up, so the login went wrong"),
        (login_only, "raised an error", lesson16._SIGN_UP),
        (token_only, "should return the headers, a dict", "Return a dict"),
        ("sign_up_and_log_in", "expected your function", "without calling it"),
    ],
    ids=["no-bearer", "json-login", "no-sign-up", "a-string", "not-a-function"],
)
def test_task_1_mistakes_fail_with_a_hint(answer: Any, problem: str, hint: str) -> None:
    report = failure(lesson16.signed_in, answer)
    assert problem in report.problem
    assert hint in (report.hint or "")


def test_task_1_json_login_names_the_form() -> None:
    assert lesson16._FORM in (failure(lesson16.signed_in, json_login).hint or "")


# --- Task 2: the live board's event ------------------------------------------------------------


def created_event(url: str, token: str, title: str, timeout: float = 2.0) -> dict:
    board = url.replace("http://", "ws://", 1) + f"/live/board?token={token}"
    with connect(board, proxy=None, open_timeout=timeout) as live:
        json.loads(live.recv(timeout=timeout))
        headers = {"Authorization": f"Bearer {token}"}
        httpx2.post(f"{url}/tasks", json={"title": title}, headers=headers, timeout=10)
        while True:
            event = json.loads(live.recv(timeout=timeout))
            if event["type"] == "task.created" and event["task"]["title"] == title:
                return event


def with_websocket_client(url: str, token: str, title: str, timeout: float = 2.0) -> dict:
    """Another library (websocket-client), a socket-wide timeout, and a check of the POST."""
    live = websocket.create_connection(
        "ws" + url.removeprefix("http") + "/live/board?token=" + token, timeout=timeout
    )
    try:
        assert json.loads(live.recv())["type"] == "subscribed"
        created = httpx2.post(
            f"{url}/tasks", json={"title": title}, headers={"Authorization": "Bearer " + token}
        )
        created.raise_for_status()  # no task, no event: say so at once
        while (event := json.loads(live.recv()))["task_id"] != created.json()["id"]:
            pass
        return event
    finally:
        live.close()


def first_message(url: str, token: str, title: str, timeout: float = 2.0) -> dict:
    board = url.replace("http://", "ws://", 1) + f"/live/board?token={token}"
    with connect(board, proxy=None) as live:
        httpx2.post(
            f"{url}/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token}"}
        )
        return json.loads(live.recv(timeout=timeout))


def undecoded(url: str, token: str, title: str, timeout: float = 2.0) -> Any:
    board = url.replace("http://", "ws://", 1) + f"/live/board?token={token}"
    with connect(board, proxy=None) as live:
        live.recv(timeout=timeout)
        httpx2.post(
            f"{url}/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token}"}
        )
        return live.recv(timeout=timeout)


def unbounded(url: str, token: str, title: str, timeout: float = 2.0) -> dict:
    board = url.replace("http://", "ws://", 1) + f"/live/board?token={token}"
    with connect(board, proxy=None) as live:
        live.recv()
        httpx2.post(
            f"{url}/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token}"}
        )
        while True:
            event = json.loads(live.recv())  # no deadline
            if event["task"]["title"] == title:
                return event


def http_address(url: str, token: str, title: str, timeout: float = 2.0) -> dict:
    with connect(f"{url}/live/board?token={token}", proxy=None) as live:
        return json.loads(live.recv(timeout=timeout))


def returns_none_when_quiet(url: str, token: str, title: str, timeout: float = 2.0) -> Any:
    try:
        return created_event(url, token, title, timeout)
    except TimeoutError:
        return None


@pytest.mark.parametrize("answer", [created_event, with_websocket_client])
def test_task_2_passes_every_correct_answer(answer: Callable[..., Any]) -> None:
    lesson16.live_event(answer)


@pytest.mark.parametrize(
    ("answer", "problem", "hint"),
    [
        (first_message, "returned the board's first message", "The first message says"),
        (undecoded, "should return the task.created event", "json.loads"),
        (unbounded, "should give up after `timeout` seconds", lesson16._BOUNDED),
        (http_address, "raised an error", "ws://"),
        (returns_none_when_quiet, "should raise", "TimeoutError"),
    ],
    ids=["first-message", "not-decoded", "unbounded-receive", "http-address", "returns-none"],
)
def test_task_2_mistakes_fail_with_a_hint(answer: Any, problem: str, hint: str) -> None:
    report = failure(lesson16.live_event, answer)
    assert problem in report.problem
    assert hint in (report.hint or "")


# --- Task 3: GraphQL -------------------------------------------------------------------------------


def tasks_with_owners(url: str, headers: dict[str, str]) -> list[dict]:
    query = "{ tasks { title owner { username } } }"
    answer = httpx2.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=10)
    answer.raise_for_status()
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0]["message"])
    return body["data"]["tasks"]


def more_fields(url: str, headers: dict[str, str]) -> list[dict]:
    """Another way: a client, a named query with a variable, and more fields than asked."""
    query = """
        query Board($limit: Int!) {
          tasks(limit: $limit) { id title status owner { id username } comments { text } }
        }
    """
    with httpx2.Client(base_url=url, headers=headers) as client:
        body = client.post("/graphql", json={"query": query, "variables": {"limit": 100}}).json()
    return body["data"]["tasks"]


def wrong_field(url: str, headers: dict[str, str]) -> list[dict]:
    query = "{ tasks { title owner { name } } }"
    return httpx2.post(f"{url}/graphql", json={"query": query}, headers=headers).json()["data"][
        "tasks"
    ]


def no_token(url: str, headers: dict[str, str]) -> list[dict]:
    query = "{ tasks { title owner { username } } }"
    answer = httpx2.post(f"{url}/graphql", json={"query": query})
    answer.raise_for_status()
    return answer.json()["data"]["tasks"]


def whole_answer(url: str, headers: dict[str, str]) -> Any:
    query = "{ tasks { title owner { username } } }"
    return httpx2.post(f"{url}/graphql", json={"query": query}, headers=headers).json()


def titles_only(url: str, headers: dict[str, str]) -> list[dict]:
    query = "{ tasks { title } }"
    return httpx2.post(f"{url}/graphql", json={"query": query}, headers=headers).json()["data"][
        "tasks"
    ]


@pytest.mark.parametrize("answer", [tasks_with_owners, more_fields])
def test_task_3_passes_every_correct_answer(answer: Callable[..., Any]) -> None:
    lesson16.graphql_tasks(answer)


@pytest.mark.parametrize(
    ("answer", "problem", "hint"),
    [
        (wrong_field, "raised an error", "The fields are `tasks`, `title`, `owner` and `username`"),
        (no_token, "raised an error", "the token as `Bearer`"),
        (whole_answer, "should return the list of tasks", '["data"]["tasks"]'),
        (titles_only, "their owner's username", "owner { username }"),
    ],
    ids=["wrong-field", "no-token", "whole-answer", "no-owner"],
)
def test_task_3_mistakes_fail_with_a_hint(answer: Any, problem: str, hint: str) -> None:
    report = failure(lesson16.graphql_tasks, answer)
    assert problem in report.problem
    assert hint in (report.hint or "")


# --- Task 4: a polite writer ---------------------------------------------------------------------


def polite_post(
    client: httpx2.Client, path: str, body: dict, sleep: Callable[[float], None] = time.sleep
) -> httpx2.Response:
    for attempt in range(1, 4):
        response = client.post(path, json=body)
        if response.status_code != 429 or attempt == 3:
            return response
        sleep(int(response.headers["Retry-After"]))
    raise AssertionError("unreachable")


def while_loop(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    """Another way: a while loop, a float, and the header read case-insensitively."""
    tries = 1
    response = client.post(path, json=body)
    while response.status_code == 429 and tries < 3:
        sleep(float(response.headers.get("retry-after", "1")))
        response = client.post(path, json=body)
        tries += 1
    return response


def fixed_wait(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    for attempt in range(3):
        response = client.post(path, json=body)
        if response.status_code != 429 or attempt == 2:
            return response
        sleep(1)


def no_retry(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    return client.post(path, json=body)


def no_wait(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    for _ in range(3):
        response = client.post(path, json=body)
        if response.status_code != 429:
            return response
    return response


def forever(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    while (response := client.post(path, json=body)).status_code == 429:
        sleep(int(response.headers["Retry-After"]))
    return response


def sleeps_after_the_last(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    for _ in range(3):
        response = client.post(path, json=body)
        if response.status_code != 429:
            return response
        sleep(int(response.headers["Retry-After"]))
    return response


def raises_on_429(client, path, body, sleep=time.sleep):  # type: ignore[no-untyped-def]
    for _ in range(3):
        response = client.post(path, json=body)
        if response.status_code != 429:
            return response
        sleep(int(response.headers["Retry-After"]))
    response.raise_for_status()


@pytest.mark.parametrize("answer", [polite_post, while_loop])
def test_task_4_passes_every_correct_answer(answer: Callable[..., Any]) -> None:
    lesson16.polite(answer)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (fixed_wait, "Wait exactly as many seconds as the 429's Retry-After header says."),
        (no_retry, "On a 429, try again"),
        (no_wait, "with the `sleep` function your function is given"),
        (forever, "Stop after 3 attempts in all"),
        (sleeps_after_the_last, "Wait only before another attempt"),
        (raises_on_429, "return the last response rather than raise"),
    ],
    ids=["fixed-wait", "no-retry", "no-wait", "forever", "sleeps-after-last", "raises"],
)
def test_task_4_mistakes_fail_with_a_hint(answer: Any, hint: str) -> None:
    report = failure(lesson16.polite, answer)
    assert hint in (report.hint or "")


# --- Task 5: the whole app -------------------------------------------------------------------------


def test_task_5_passes_the_complete_taskboard_with_a_low_limit() -> None:
    lesson16.whole_app(checkpoint("15", CheckpointSettings(write_rate_limit=5)))


@pytest.mark.parametrize(
    ("app", "problem", "hint"),
    [
        (
            lambda: checkpoint("15"),
            "within 10 writes, one should answer 429",
            "CheckpointSettings(write_rate_limit=5)",
        ),
        (
            lambda: checkpoint("14", CheckpointSettings(write_rate_limit=5)),
            "GET /ready should answer 200",
            "Lessons 05 and 15",
        ),
        (
            lambda: create_app(
                CheckpointSettings(write_rate_limit=5), [f for f in FEATURES if f is not LIVE_BOARD]
            ),
            "no WebSocket route matches this path",
            "Lesson 10 added the live board",
        ),
        (
            lambda: create_app(
                CheckpointSettings(write_rate_limit=5), [f for f in FEATURES if f is not CACHE]
            ),
            "GET /board/stats should be counted once",
            "Lesson 12",
        ),
    ],
    ids=["default-limit", "no-readiness", "no-live-board", "no-cache"],
)
def test_task_5_names_the_missing_feature(app: Callable[[], Any], problem: str, hint: str) -> None:
    report = failure(lesson16.whole_app, app())
    assert problem in report.problem
    assert hint in (report.hint or "")


# --- The notebooks, and the server they use --------------------------------------------------------


def test_the_solution_passes_every_check(namespace: ModuleType) -> None:
    verdicts = run_checking(SOLUTION, namespace, lesson16)
    assert verdicts == dict.fromkeys(checker.__name__ for checker in ALL_CHECKS)


def test_the_unsolved_exercise_fails_kindly(namespace: ModuleType) -> None:
    verdicts = run_checking(EXERCISE, namespace, lesson16)
    assert set(verdicts) == {checker.__name__ for checker in ALL_CHECKS}
    # Task 5 judges the app of the first cell, whose limit the check cannot reach.
    final = verdicts.pop("whole_app")
    assert final is not None
    assert "CheckpointSettings(write_rate_limit=5)" in (final.hint or "")
    for exc in verdicts.values():
        assert exc is not None
        assert exc.problem == "your answer is not written yet: it raised NotImplementedError."
        assert len(exc._render_traceback_()) <= 8


def test_a_background_taskboard_stops_once_and_for_all() -> None:
    server = capstone.BackgroundTaskboard()
    url = server.url
    assert capstone.running() == url
    assert httpx2.get(f"{url}/health").status_code == 200
    server.stop()
    server.stop()  # again: nothing happens
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{url}/health", timeout=2)
    with pytest.raises(RuntimeError, match="stopped"):
        _ = server.url
    assert capstone.running() != url


def test_the_checks_serve_a_taskboard_of_their_own_when_none_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(capstone, "running", lambda: None)
    try:
        url = lesson16.served()
        assert lesson16.served() == url  # started once
        assert httpx2.get(f"{url}/health").status_code == 200
    finally:
        lesson16._own_server.pop().stop()


def test_a_server_that_refuses_the_checks_own_writes_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with capstone.serving_taskboard(write_rate_limit=1) as url:
        monkeypatch.setattr(capstone, "running", lambda: url)
        report = failure(lesson16.graphql_tasks, tasks_with_owners)
    assert (
        report.problem == "the server refused what the check needs before it calls your function."
    )
    assert report.got and report.got.startswith("429")
    assert "a write limit of at least 5 a minute" in (report.hint or "")
