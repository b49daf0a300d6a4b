"""Lesson 13 checks: the learner's tests are judged, not an app.

For every task: the solution's test and correct tests written differently pass; typical
mistakes fail with the report and the hint they deserve. A learner's test here is written as in
the exercise, a function of one argument, the client; its name starts with `learner_` rather
than `test_`, so that pytest does not collect it as one of this file's own tests.
"""

import re
from types import ModuleType
from typing import Any

import nbformat
import pytest
from fastapi.testclient import TestClient

import course.checks
from course.checks import CheckFailed, checks_of, lesson13
from course.exercises import make_exercise
from taskboard.models import ErrorMessage, UserPublic
from tests.checking import failure, run_checking
from tests.conftest import ROOT

ALL_CHECKS = checks_of("13")
SIGN_UP = {"username": "ada", "password": "a long passphrase"}


def _let_through(exc: CheckFailed) -> list[str]:
    """The bugs a report says the test let through, in order."""
    found = re.search(r"lets these bugs through: (.*)\.$", exc.problem)
    assert found, exc.problem
    return found[1].split("; ")


def _bug_names(bugs: tuple[lesson13.Bug, ...]) -> list[str]:
    return [bug.name for bug in bugs]


# --- Task 1: a missing task is a 404 that names it ---------------------------------------------


def learner_a_missing_task_whole_body(client: TestClient) -> None:
    response = client.get("/tasks/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Task 999 not found"}


def learner_missing_tasks_in_a_loop_through_the_model(client: TestClient) -> None:
    for task_id in (5, 123, 2**31):
        response = client.get(f"/tasks/{task_id}")
        assert response.status_code == 404, response.text
        assert ErrorMessage.model_validate(response.json()).detail == f"Task {task_id} not found"


def learner_a_missing_task_only_its_status(client: TestClient) -> None:
    assert client.get("/tasks/999").status_code == 404


def learner_a_missing_task_loosely(client: TestClient) -> None:
    response = client.get("/tasks/999")
    assert response.status_code == 404
    assert "not found" in response.json()["detail"].lower()


def learner_that_asserts_nothing(client: TestClient) -> None:
    client.get("/tasks/999")


def learner_a_missing_task_with_the_wrong_detail(client: TestClient) -> None:
    response = client.get("/tasks/999")
    assert response.json()["detail"] == "Task not found"


def learner_a_missing_task_reading_a_key_that_is_not_there(client: TestClient) -> None:
    response = client.get("/tasks/999")
    assert response.json()["message"] == "Task 999 not found"


def learner_with_a_client_of_its_own(client: TestClient) -> None:
    with lesson13.signed_in_client() as own:
        response = own.get("/tasks/999")
    assert response.json() == {"detail": "Task 999 not found"}


@pytest.mark.parametrize(
    "test", [learner_a_missing_task_whole_body, learner_missing_tasks_in_a_loop_through_the_model]
)
def test_correct_tests_of_a_missing_task_pass(
    test: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    lesson13.missing_task(test)
    assert capsys.readouterr().out.startswith("✔ Task 1 passed")


def test_a_test_of_the_status_alone_lets_the_wrong_details_through() -> None:
    exc = failure(lesson13.missing_task, learner_a_missing_task_only_its_status)
    assert _let_through(exc) == _bug_names(lesson13.MISSING_TASK_BUGS)[1:]
    assert "2 of the 3 broken versions" in exc.problem
    assert exc.hint == lesson13.MISSING_TASK_BUGS[1].hint


def test_a_loose_detail_lets_a_detail_without_the_id_through() -> None:
    exc = failure(lesson13.missing_task, learner_a_missing_task_loosely)
    assert _let_through(exc) == _bug_names(lesson13.MISSING_TASK_BUGS)[1:]


def test_a_test_that_asserts_nothing_lets_every_bug_through() -> None:
    exc = failure(lesson13.missing_task, learner_that_asserts_nothing)
    assert _let_through(exc) == _bug_names(lesson13.MISSING_TASK_BUGS)
    assert exc.hint == lesson13.CHECKS_NOTHING


def test_a_test_that_ignores_its_client_is_told_so() -> None:
    exc = failure(lesson13.missing_task, learner_with_a_client_of_its_own)
    assert exc.hint == lesson13.OWN_CLIENT


def test_a_test_that_fails_on_taskboard_shows_its_failing_assert() -> None:
    exc = failure(lesson13.missing_task, learner_a_missing_task_with_the_wrong_detail)
    assert "fails on Taskboard as it should be" in exc.problem
    # pytest rewrites the asserts of this file and adds both sides; a notebook's show none.
    assert exc.got.startswith("""`assert response.json()["detail"] == "Task not found"` failed""")
    assert exc.hint == lesson13.WRONG_EXPECTATION
    assert len(exc._render_traceback_()) <= 8


def test_a_test_that_raises_says_what_and_where() -> None:
    exc = failure(lesson13.missing_task, learner_a_missing_task_reading_a_key_that_is_not_there)
    assert exc.got == (
        "KeyError: 'message', at "
        """`assert response.json()["message"] == "Task 999 not found"`"""
    )
    assert exc.hint == lesson13.RAISED


# --- Task 2: signing up gives back no password and no hash ---------------------------------------


def learner_sign_up_by_its_keys(client: TestClient) -> None:
    response = client.post("/users", json=SIGN_UP)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "full_name"}


def learner_sign_up_by_the_whole_body_and_the_model(client: TestClient) -> None:
    response = client.post("/users", json={**SIGN_UP, "full_name": "Ada Lovelace"})
    assert response.status_code == 201, response.text
    body = response.json()
    user = UserPublic.model_validate(body)
    assert (
        body == user.model_dump() == {"id": user.id, "username": "ada", "full_name": "Ada Lovelace"}
    )


def learner_sign_up_without_the_password(client: TestClient) -> None:
    response = client.post("/users", json=SIGN_UP)
    assert response.status_code == 201
    assert "password" not in response.json()


def learner_sign_up_without_the_hash(client: TestClient) -> None:
    response = client.post("/users", json=SIGN_UP)
    assert response.status_code == 201
    assert "password_hash" not in response.json()


def learner_sign_up_keys_but_not_the_status(client: TestClient) -> None:
    assert set(client.post("/users", json=SIGN_UP).json()) == {"id", "username", "full_name"}


def learner_sign_up_with_a_password_too_short(client: TestClient) -> None:
    response = client.post("/users", json={"username": "ada", "password": "short"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "test", [learner_sign_up_by_its_keys, learner_sign_up_by_the_whole_body_and_the_model]
)
def test_correct_tests_of_signing_up_pass(test: Any) -> None:
    lesson13.sign_up(test)


@pytest.mark.parametrize(
    ("test", "missed"),
    [
        (learner_sign_up_without_the_password, [0]),
        (learner_sign_up_without_the_hash, [1]),
        (learner_sign_up_keys_but_not_the_status, [2]),
    ],
)
def test_a_partial_test_of_signing_up_names_the_leak_it_misses(
    test: Any, missed: list[int]
) -> None:
    exc = failure(lesson13.sign_up, test)
    assert _let_through(exc) == [lesson13.SIGN_UP_BUGS[i].name for i in missed]
    assert exc.hint == lesson13.SIGN_UP_BUGS[missed[0]].hint


def test_a_password_the_app_refuses_fails_on_taskboard() -> None:
    exc = failure(lesson13.sign_up, learner_sign_up_with_a_password_too_short)
    assert exc.got.startswith("`assert response.status_code == 201` failed")
    assert exc.hint == lesson13.WRONG_EXPECTATION


# --- Task 3: ?limit=N gives the first N tasks -----------------------------------------------------


def learner_the_first_two_tasks(client: TestClient) -> None:
    response = client.get("/tasks", params={"limit": 2})
    assert response.status_code == 200
    assert [task["id"] for task in response.json()] == [1, 2]


def learner_pages_of_every_size(client: TestClient) -> None:
    for limit in range(1, 7):
        ids = [task["id"] for task in client.get(f"/tasks?limit={limit}").json()]
        assert ids == list(range(1, min(limit, 4) + 1)), (limit, ids)


def learner_at_most_two_tasks(client: TestClient) -> None:
    assert len(client.get("/tasks?limit=2").json()) <= 2


def learner_exactly_two_tasks(client: TestClient) -> None:
    assert len(client.get("/tasks?limit=2").json()) == 2


def learner_a_limit_above_the_count(client: TestClient) -> None:
    assert [task["id"] for task in client.get("/tasks?limit=10").json()] == [1, 2, 3, 4]


@pytest.mark.parametrize("test", [learner_the_first_two_tasks, learner_pages_of_every_size])
def test_correct_tests_of_a_page_pass(test: Any) -> None:
    lesson13.first_page(test)


@pytest.mark.parametrize(
    ("test", "missed"),
    [
        (learner_at_most_two_tasks, [0, 2]),
        (learner_exactly_two_tasks, [2]),
        (learner_a_limit_above_the_count, [0, 1]),
    ],
)
def test_a_partial_test_of_a_page_names_the_off_by_one_it_misses(
    test: Any, missed: list[int]
) -> None:
    exc = failure(lesson13.first_page, test)
    assert _let_through(exc) == [lesson13.LIMIT_BUGS[i].name for i in missed]
    assert exc.hint == lesson13.LIMIT_BUGS[missed[0]].hint


# --- Task 4: no token, no board ---------------------------------------------------------------------


def learner_no_token_on_both_routes(client: TestClient) -> None:
    for method, body in (("GET", None), ("POST", {"title": "Sneak in"})):
        response = client.request(method, "/tasks", json=body)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json() == {"detail": "Not authenticated"}


def learner_no_token_one_request_at_a_time(client: TestClient) -> None:
    read = client.get("/tasks")
    write = client.post("/tasks", json={"title": "Sneak in"})
    assert [read.status_code, write.status_code] == [401, 401]
    assert read.headers.get("www-authenticate", "").startswith("Bearer")
    assert write.headers.get("www-authenticate", "").startswith("Bearer")


def learner_no_token_on_reads_only(client: TestClient) -> None:
    response = client.get("/tasks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def learner_no_token_refused_somehow(client: TestClient) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, "/tasks", json={"title": "x"})
        assert response.status_code in (401, 403)
        assert "Bearer" in response.headers["WWW-Authenticate"]


def learner_no_token_without_the_header(client: TestClient) -> None:
    for method in ("GET", "POST"):
        assert client.request(method, "/tasks", json={"title": "x"}).status_code == 401


@pytest.mark.parametrize(
    "test", [learner_no_token_on_both_routes, learner_no_token_one_request_at_a_time]
)
def test_correct_tests_of_no_token_pass(test: Any) -> None:
    lesson13.no_token(test)


@pytest.mark.parametrize(
    ("test", "missed"),
    [
        (learner_no_token_on_reads_only, [1]),
        (learner_no_token_refused_somehow, [2]),
        (learner_no_token_without_the_header, [3]),
    ],
)
def test_a_partial_test_of_no_token_names_the_hole_it_misses(test: Any, missed: list[int]) -> None:
    exc = failure(lesson13.no_token, test)
    assert _let_through(exc) == [lesson13.NO_TOKEN_BUGS[i].name for i in missed]
    assert exc.hint == lesson13.NO_TOKEN_BUGS[missed[0]].hint


# --- What is not a test ------------------------------------------------------------------------------


def test_an_app_is_not_a_test() -> None:
    exc = failure(lesson13.missing_task, lesson13.taskboard())
    assert exc.problem == "expected your test function, got FastAPI."
    assert "without calling it" in exc.hint


def test_a_called_test_is_not_a_test() -> None:
    exc = failure(lesson13.missing_task, None)
    assert exc.problem == "expected your test function, got NoneType."


def test_an_async_test_is_refused_with_a_hint() -> None:
    async def learner_async(client: TestClient) -> None:
        client.get("/tasks/999")

    exc = failure(lesson13.missing_task, learner_async)
    assert exc.problem == "your test is an `async def` function."
    assert "needs no `await`" in exc.hint


def test_a_test_without_the_client_argument_is_refused_with_a_hint() -> None:
    def learner_nothing_given() -> None:
        pass

    exc = failure(lesson13.missing_task, learner_nothing_given)
    assert "exactly one argument" in exc.problem
    assert exc.hint.startswith("Declare it as `def test_...(client):`")


def test_a_test_that_never_ends_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course.checks, "REQUEST_TIMEOUT", 0.3)

    def learner_forever(client: TestClient) -> None:
        while True:
            pass

    exc = failure(lesson13.missing_task, learner_forever)
    assert exc.got == "it did not finish within 0.3 seconds"
    assert exc.hint == lesson13.STUCK


def test_every_broken_version_differs_from_taskboard_only_where_its_bug_is() -> None:
    # Each correct test passes on Taskboard and fails on every broken version of its task;
    # the bugs of other tasks are no business of its own: it passes on them.
    for bugs, test in (
        (lesson13.MISSING_TASK_BUGS, learner_a_missing_task_whole_body),
        (lesson13.LIMIT_BUGS, learner_the_first_two_tasks),
    ):
        for other in (lesson13.MISSING_TASK_BUGS, lesson13.LIMIT_BUGS):
            for bug in other:
                app = bug.build()
                passed = course.checks.run_test(test, app).passed
                assert passed is (other is not bugs), (test.__name__, bug.name)


# --- The notebook's cells, run as a notebook runs them ----------------------------------------------

SOLUTION = nbformat.read(ROOT / "solutions" / "13_testing.ipynb", as_version=4)
EXERCISE = make_exercise(SOLUTION)


def test_the_solution_passes_every_check(namespace: ModuleType) -> None:
    verdicts = run_checking(SOLUTION, namespace, lesson13)
    assert verdicts == dict.fromkeys(checker.__name__ for checker in ALL_CHECKS)


def test_the_unsolved_exercise_fails_kindly(namespace: ModuleType) -> None:
    verdicts = run_checking(EXERCISE, namespace, lesson13)
    assert set(verdicts) == {checker.__name__ for checker in ALL_CHECKS}
    for exc in verdicts.values():
        assert (exc.problem, exc.hint) == ("your test is not written yet.", lesson13.NOT_WRITTEN)
        assert len(exc._render_traceback_()) <= 8
