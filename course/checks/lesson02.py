"""Lesson 02 checks: Taskboard's write endpoints and its users, judged over HTTP.

Each check makes the data it needs (a fresh task or user), so checks pass in any order and when
run again, on the learner's app as on `checkpoint("02")`.
"""

import itertools
from typing import Any

from httpx2 import Response

from course.checks import IfRaises, Probe, check

# Fresh usernames on every run, because a username may be taken only once per app.
_user_numbers = itertools.count(1)

_PASSWORD = "correct horse battery staple"

# Words that say why a username is refused, when the detail does not name the username itself.
_TAKEN_WORDS = ("taken", "already", "exists", "in use", "registered", "duplicate", "unique")

_ONLY_THE_FIELDS_SENT = (
    "Hand the store a dict of only the fields the client set: `model_dump(exclude_unset=True)`."
)

_CONFLICT_HINT = (
    "When create_user raises UsernameTaken, answer 409: catch it and raise "
    "HTTPException(status_code=409, detail=...), or register an exception handler for it."
)


def _create_task(probe: Probe, body: dict[str, Any]) -> dict[str, Any]:
    # Task 1's route: without it, "finish Task 1" explains a 405 better than the 405 itself.
    hint = "Finish Task 1 (and run its cell) before this one."
    return probe.create("/tasks", body, hint=hint, hint_first=True)


def _expect_422(probe: Probe, method: str, url: str, body: Any, what: str, hint: str) -> None:
    response = probe.request(method, url, json_body=body)
    probe.expect_status(response, 422, what, hint=hint)


def _expect_no_secret(probe: Probe, response: Response, what: str) -> None:
    body = probe.json(response)
    probe.expect(
        isinstance(body, dict)
        and not {"password", "password_hash"} & set(body)
        and _PASSWORD not in response.text
        and "$argon2" not in response.text,
        f"{what} leaks the password or its hash.",
        response=response,
        expected="a user without password and password_hash",
        hint="Annotate the return type with the public model (UserPublic): FastAPI then sends "
        "only its fields, whatever object the function returns.",
    )


@check("Task 1", "POST /tasks answers 201 with the new task and refuses bad bodies with 422.")
def create_task(probe: Probe) -> None:
    response = probe.request("POST", "/tasks", json_body={"title": "Try the PATCH endpoint"})
    probe.expect_status(
        response,
        201,
        "Creating a task",
        hint="A create answers 201 Created: pass `status_code=201` to the decorator.",
    )
    task = probe.json(response)
    probe.expect(
        isinstance(task, dict)
        and isinstance(task.get("id"), int)
        and task.get("title") == "Try the PATCH endpoint"
        and task.get("status") == "todo"
        and task.get("priority") == 3,
        "the answer should be the new task, with its id and the defaults filled in.",
        response=response,
        expected='{"id": <a new int>, "title": "Try the PATCH endpoint", "status": "todo", '
        '"priority": 3, ...}',
        hint="Return what the store's create method returns, and make TaskPublic the return type.",
    )
    url = f"/tasks/{task['id']}"
    saved = probe.get(url)
    probe.expect(
        saved.status_code == 200 and probe.json(saved).get("title") == task["title"],
        f"the new task is not in the store: GET {url} does not find it.",
        response=saved,
        expected=f"200 with task {task['id']}",
        hint="Save the task with the app's store, `app.state.store`, so the GET routes see it.",
    )
    body = {"title": "Plan the sprint", "status": "doing", "priority": 1}
    response = probe.request("POST", "/tasks", json_body=body)
    answer = probe.json(response)
    probe.expect(
        isinstance(answer, dict) and all(answer.get(k) == v for k, v in body.items()),
        "the fields sent should be kept.",
        response=response,
        expected=f"a task with {body}",
        hint="Pass the validated body to the store as it is.",
    )
    body_hint = "Declare the body with the TaskCreate model: FastAPI then checks it for you."
    _expect_422(probe, "POST", "/tasks", {}, "A body without a title", body_hint)
    _expect_422(probe, "POST", "/tasks", {"title": ""}, "An empty title", body_hint)
    _expect_422(probe, "POST", "/tasks", {"title": "x" * 201}, "A 201-character title", body_hint)
    _expect_422(probe, "POST", "/tasks", {"title": "x", "priority": 9}, "Priority 9", body_hint)
    _expect_422(
        probe,
        "POST",
        "/tasks",
        {"title": "x", "colour": "red"},
        "An unknown field",
        "Unknown fields are refused when the model says `extra='forbid'`, as TaskCreate does.",
    )


@check("Task 2", "PATCH /tasks/{task_id} changes only the fields sent, 404 for an unknown id.")
def update_task(probe: Probe) -> None:
    task = _create_task(probe, {"title": "Patch me", "description": "Before", "priority": 2})
    url = f"/tasks/{task['id']}"
    # The store validates the merged task: every field of TaskUpdate (None for those not sent)
    # fails as a ValidationError, the model itself instead of a dict as a TypeError.
    response = probe.request(
        "PATCH",
        url,
        json_body={"priority": 5},
        if_raises=IfRaises(
            _ONLY_THE_FIELDS_SENT,
            problem="your app raised {error} for a PATCH that sends only the priority.",
            expected="200 with the task, its priority now 5",
            only=("ValidationError", "TypeError"),
        ),
    )
    probe.expect_status(
        response,
        200,
        "A PATCH with one field",
        hint="Use TaskUpdate as the body model: all its fields are optional.",
    )
    patched = probe.json(response)
    probe.expect(
        isinstance(patched, dict)
        and patched.get("priority") == 5
        and patched.get("title") == "Patch me"
        and patched.get("description") == "Before",
        "the fields that were not sent should stay as they were.",
        response=response,
        expected='{"title": "Patch me", "description": "Before", "priority": 5, ...}',
        hint=_ONLY_THE_FIELDS_SENT,
    )
    response = probe.request("PATCH", url, json_body={"description": None})
    cleared = probe.json(response)
    probe.expect(
        isinstance(cleared, dict)
        and "description" in cleared
        and cleared["description"] is None
        and cleared.get("priority") == 5,
        "an explicit null should clear the description, and leave the rest alone.",
        response=response,
        expected='{"description": null, "priority": 5, ...}',
        hint="`exclude_none=True` drops the null the client sent on purpose; "
        "`exclude_unset=True` drops only the fields it left out.",
    )
    saved = probe.get(url)
    probe.expect(
        saved.status_code == 200 and probe.json(saved).get("description") is None,
        "the change was answered but not saved.",
        response=saved,
        expected=f"GET {url} to show the change",
        hint="Save the change with the store's update method.",
    )
    _expect_422(
        probe,
        "PATCH",
        url,
        {"priority": 0},
        "Priority 0",
        "Declare the body with the TaskUpdate model: it keeps the priority between 1 and 5.",
    )
    response = probe.request("PATCH", "/tasks/999999", json_body={"priority": 1})
    probe.expect_status(
        response,
        404,
        "A PATCH of an unknown task",
        hint="Let the store's TaskNotFound reach the app's exception handler "
        "(or raise HTTPException(404)); never answer 200 with null.",
    )


@check("Task 3", "DELETE /tasks/{task_id} answers 204 with no body, then the task is gone.")
def delete_task(probe: Probe) -> None:
    task = _create_task(probe, {"title": "Delete me"})
    url = f"/tasks/{task['id']}"
    response = probe.request("DELETE", url)
    probe.expect_status(
        response,
        204,
        "Deleting a task",
        hint="A delete with nothing to say answers 204 No Content: `status_code=204`, "
        "and return None.",
    )
    probe.expect(
        response.content == b"",
        "a 204 answer has no body.",
        response=response,
        expected="status 204 and an empty body",
        hint="Return None from the function.",
    )
    gone = probe.get(url)
    probe.expect_status(
        gone,
        404,
        "Reading a deleted task",
        hint="Remove the task with the store's delete method.",
    )
    again = probe.request("DELETE", url)
    probe.expect_status(
        again,
        404,
        "Deleting a task that is already gone",
        hint="Let the store's TaskNotFound reach the app's exception handler, "
        "or raise HTTPException(404).",
    )


@check("Task 4", "POST /users and GET /users/{user_id} answer users, never a password or hash.")
def users(probe: Probe) -> None:
    username = f"learner_{next(_user_numbers)}"
    body = {"username": username, "password": _PASSWORD, "full_name": "Ada Lovelace"}
    response = probe.request("POST", "/users", json_body=body)
    probe.expect_status(
        response, 201, "Creating a user", hint="A create answers 201: `status_code=201`."
    )
    _expect_no_secret(probe, response, "POST /users")
    user = probe.json(response)
    probe.expect(
        isinstance(user.get("id"), int)
        and user.get("username") == username
        and user.get("full_name") == "Ada Lovelace",
        "the answer should be the new user, with its id and full name.",
        response=response,
        expected=f'{{"id": <a new int>, "username": "{username}", "full_name": "Ada Lovelace"}}',
        hint="Return the user the store's create_user method returns.",
    )
    url = f"/users/{user['id']}"
    response = probe.get(url)
    probe.expect_status(
        response, 200, f"GET {url}", hint="Look the user up with the store's get_user method."
    )
    _expect_no_secret(probe, response, f"GET {url}")
    probe.expect(
        probe.json(response).get("username") == username,
        f"GET {url} should answer the user just created.",
        response=response,
        expected=f'{{"id": {user["id"]}, "username": "{username}", ...}}',
        hint="Look the user up with the store's get_user method.",
    )
    response = probe.get("/users/999999")
    probe.expect_status(
        response,
        404,
        "An unknown user",
        hint="Let the store's UserNotFound reach the app's exception handler.",
    )
    response = probe.request(
        "POST",
        "/users",
        json_body=body,
        if_raises=IfRaises(
            _CONFLICT_HINT,
            problem="a second user with the same username crashed the app.",
            expected="status 409",
        ),
    )
    probe.expect_status(response, 409, "A username that is taken", hint=_CONFLICT_HINT)
    answer = probe.json(response)
    detail = answer.get("detail") if isinstance(answer, dict) else None
    probe.expect(
        isinstance(detail, str)
        and any(word in detail.casefold() for word in (username, *_TAKEN_WORDS)),
        "the 409 should say why in `detail`: the username is taken.",
        response=response,
        expected=f'{{"detail": "..."}} naming {username!r} or saying it is taken',
        hint="Give the 409 a detail that a client can show, such as the message of the "
        "UsernameTaken error itself, str(exc).",
    )
    body_hint = "Declare the body with the UserCreate model: FastAPI then checks it for you."
    for bad, what in (
        ({"username": "grace", "password": "short"}, "A password under 8 characters"),
        ({"username": "grace"}, "A user without a password"),
        ({"username": "Grace Hopper", "password": _PASSWORD}, "A username with a space"),
        (
            {"username": "grace", "password": _PASSWORD, "password_hash": "x"},
            "A client-chosen password_hash",
        ),
    ):
        _expect_422(probe, "POST", "/users", bad, what, body_hint)
