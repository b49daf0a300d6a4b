"""Lesson 02 checks: Taskboard's write endpoints, its users, and comments, judged over HTTP.

Each check makes the data it needs (a fresh task or user), so checks pass in any order and when
run again, on the learner's app as on `checkpoint("02")`. Tasks 3 and 5 have the learner write
the body models; their checks judge them by which bodies get a 422 and which do not.
"""

import itertools
import json
from typing import Any

from httpx2 import Response

from course.checks import IfRaises, Probe, check

# Fresh usernames on every run, because a username may be taken only once per app.
_user_numbers = itertools.count(1)

_PASSWORD = "correct horse battery staple"

# Words that say why a username is refused, when the detail does not name the username itself.
_TAKEN_WORDS = ("taken", "already", "exists", "in use", "registered", "duplicate", "unique")

_ONLY_THE_FIELDS_SENT = (
    "Fields the client left out must not reach the store. Declare each field of TaskUpdate as "
    "`X | MISSING` with `default=MISSING`: `task_in.model_dump()` then leaves them out, and "
    "the store gets a dict of only the fields sent."
)

_NULL_REFUSED = (
    "`str | None` lets null through to the store, which refuses it. Declare the field "
    "`str | MISSING = Field(default=MISSING, ...)` (a TaskStatus or an int likewise): it may "
    "be left out, but null is a 422."
)

_UPDATE_RULES = (
    "Your TaskUpdate let it through: give it the rules the task lists (title 1 to 200 "
    "characters, priority 1 to 5, status a TaskStatus, description at most 2000 characters)."
)

_CONFLICT_HINT = (
    "When create_user raises UsernameTaken, a Conflict, answer 409: register an exception "
    "handler for Conflict, as the lesson does (or catch it and raise "
    "HTTPException(status_code=409, detail=...))."
)


def _create_task(probe: Probe, body: dict[str, Any]) -> dict[str, Any]:
    # Task 1's route: without it, "finish Task 1" explains a 405 better than the 405 itself.
    hint = "Finish Task 1 (and run its cell) before this one."
    return probe.create("/tasks", body, hint=hint, hint_first=True)


def _expect_422(
    probe: Probe,
    method: str,
    url: str,
    body: Any,
    what: str,
    hint: str,
    if_raises: IfRaises | None = None,
) -> None:
    response = probe.request(method, url, json_body=body, if_raises=if_raises)
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


@check("Task 2", "DELETE /tasks/{task_id} answers 204 with no body, then the task is gone.")
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


@check(
    "Task 3", "PATCH /tasks/{task_id} changes only the fields sent; only a description may be null."
)
def update_task(probe: Probe) -> None:
    task = _create_task(probe, {"title": "Patch me", "description": "Before", "priority": 2})
    url = f"/tasks/{task['id']}"
    # The store validates the merged task: a field left out but handed over as None fails there
    # as a ValidationError; the model itself instead of a dict fails as a TypeError.
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
        hint="Every field of TaskUpdate may be left out: give each one a default, MISSING.",
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
    body = {"title": "Patched", "status": "doing"}
    response = probe.request("PATCH", url, json_body=body)
    changed = probe.json(response)
    probe.expect(
        response.status_code == 200
        and isinstance(changed, dict)
        and changed.get("title") == "Patched"
        and changed.get("status") == "doing"
        and changed.get("priority") == 5,
        "a new title and status should both be applied, and the rest kept.",
        response=response,
        expected='{"title": "Patched", "status": "doing", "priority": 5, ...}',
        hint="TaskUpdate needs all four fields: title, description, status and priority.",
    )
    response = probe.request("PATCH", url, json_body={"description": None})
    cleared = probe.json(response)
    probe.expect(
        response.status_code == 200
        and isinstance(cleared, dict)
        and "description" in cleared
        and cleared["description"] is None
        and cleared.get("priority") == 5,
        "an explicit null should clear the description, and leave the rest alone.",
        response=response,
        expected='{"description": null, "priority": 5, ...}',
        hint="The description may be null: declare it `str | MISSING | None`."
        if response.status_code == 422
        else "`exclude_none=True` (or dropping None values) throws away the null the client "
        "sent on purpose; with MISSING fields, a plain `model_dump()` keeps it.",
    )
    saved = probe.get(url)
    probe.expect(
        saved.status_code == 200
        and probe.json(saved).get("description") is None
        and probe.json(saved).get("title") == "Patched",
        "the changes were answered but not saved.",
        response=saved,
        expected=f"GET {url} to show the changes",
        hint="Save the changes with the store's update method.",
    )
    for field in ("title", "status", "priority"):
        _expect_422(
            probe,
            "PATCH",
            url,
            {field: None},
            f"A null {field}",
            _NULL_REFUSED,
            if_raises=IfRaises(
                _NULL_REFUSED,
                problem=f'your app raised {{error}} for {{"{field}": null}}: the store refused '
                "it, after your model let it through.",
                expected="status 422",
                only=("ValidationError",),
            ),
        )
    for bad, what in (
        ({"title": ""}, "An empty title"),
        ({"title": "x" * 201}, "A 201-character title"),
        ({"priority": 0}, "Priority 0"),
        ({"priority": 6}, "Priority 6"),
        ({"status": "someday"}, "An unknown status"),
        ({"description": "x" * 2001}, "A 2001-character description"),
    ):
        _expect_422(
            probe,
            "PATCH",
            url,
            bad,
            what,
            _UPDATE_RULES,
            if_raises=IfRaises(
                _UPDATE_RULES,
                problem="your app raised {error}: the store refused a value your TaskUpdate "
                "let through.",
                expected="status 422",
                only=("ValidationError",),
            ),
        )
    response = probe.request("PATCH", url, json_body={"title": "x" * 200})
    probe.expect_status(
        response,
        200,
        "A 200-character title",
        hint="A title may have up to 200 characters, no fewer: `max_length=200`.",
    )
    _expect_422(
        probe,
        "PATCH",
        url,
        {"titel": "Typo"},
        "An unknown field",
        "Unknown fields are refused when the model says `extra='forbid'`: "
        "`model_config = ConfigDict(extra='forbid')`.",
    )
    response = probe.request("PATCH", "/tasks/999999", json_body={"priority": 1})
    probe.expect_status(
        response,
        404,
        "A PATCH of an unknown task",
        hint="Let the store's TaskNotFound reach the app's exception handler "
        "(or raise HTTPException(404)); never answer 200 with null.",
    )


@check("Task 4", "POST /users and GET /users/{user_id} hide the hash; a taken username is a 409.")
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
        "error itself, str(exc).",
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


# Task 5: models the learner writes from their rules alone.

_TEXT_LENGTH = "Constrain the length of text with Field: 1 to 500 characters."
_NAME_LENGTH = "Constrain the length of an attachment's name with Field: 1 to 100 characters."
_NESTED = (
    "Declare attachments as a list of Attachment, a model of its own, so FastAPI checks each "
    "item; name and url are required there, so neither has a default."
)

# (body, what it is, the hint when it is not a 422)
_BAD_COMMENTS: tuple[tuple[dict[str, Any], str, str], ...] = (
    ({}, "A comment without text", "text is required: give it no default."),
    ({"text": ""}, "An empty text", _TEXT_LENGTH),
    ({"text": "x" * 501}, "A 501-character text", _TEXT_LENGTH),
    (
        {"text": "Ready?", "kind": "remark"},
        "A kind that is neither note nor question",
        "Declare kind with an enum (a StrEnum) of two members, note and question.",
    ),
    (
        {"text": "See the spec", "attachments": [{"name": "spec"}]},
        "An attachment without a url",
        _NESTED,
    ),
    (
        {"text": "See the spec", "attachments": [{"url": "https://example.com/spec.pdf"}]},
        "An attachment without a name",
        _NESTED,
    ),
    (
        {"text": "See the spec", "attachments": [{"name": "", "url": "https://example.com/a"}]},
        "An attachment with an empty name",
        _NAME_LENGTH,
    ),
    (
        {"text": "See the spec", "attachments": [{"name": "x" * 101, "url": "https://e.com"}]},
        "An attachment with a 101-character name",
        _NAME_LENGTH,
    ),
    (
        {"text": "See the spec", "attachments": [{"name": "spec", "url": "http://example.com"}]},
        "An attachment url that does not start with https://",
        "Constrain url with a regular expression: Field's `pattern`.",
    ),
    (
        {"text": "Ready?", "author": "ada"},
        "An unknown field in the comment",
        "Refuse unknown fields in CommentCreate: `extra='forbid'` in its model_config.",
    ),
    (
        {
            "text": "See the spec",
            "attachments": [{"name": "spec", "url": "https://example.com/a", "size": 3}],
        },
        "An unknown field in an attachment",
        "Refuse unknown fields in Attachment too: `extra='forbid'` in its model_config.",
    ),
)


def _short(value: Any) -> Any:
    """`value` with each long text named by its length rather than repeated."""
    if isinstance(value, str) and len(value) > 40:
        return f"<{len(value)} characters>"
    if isinstance(value, dict):
        return {key: _short(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_short(item) for item in value]
    return value


def _shown(fields: dict[str, Any]) -> str:
    """`fields` as JSON for a report, long texts named by their length."""
    return json.dumps(_short(fields))


def _expect_comment(
    probe: Probe, url: str, body: dict[str, Any], expected: dict[str, Any]
) -> tuple[int, Response]:
    """POST a valid comment; expect 201 with the `expected` fields and an int `id`."""
    response = probe.request("POST", url, json_body=body)
    probe.expect_status(
        response,
        201,
        "Adding a valid comment",
        # A 422 here means the model refused a valid body: the probe's own hint for a 422
        # points at its 'loc'.
        hint=None if response.status_code == 422 else "A create answers 201: `status_code=201`.",
    )
    comment = probe.json(response)
    probe.expect(
        isinstance(comment, dict)
        and isinstance(comment.get("id"), int)
        and all(comment.get(key) == value for key, value in expected.items()),
        "the answer should be the comment: the fields sent, the defaults filled in, its id "
        "and the task_id.",
        response=response,
        expected=f'{{"id": <an int>, ...}} with {_shown(expected)}',
        hint="Return a CommentPublic, which has every field of CommentCreate plus id and "
        "task_id, and make it the return type.",
    )
    return comment["id"], response


@check(
    "Task 5", "POST /tasks/{task_id}/comments answers 201, and 422 for each body its rules refuse."
)
def comments(probe: Probe) -> None:
    task = _create_task(probe, {"title": "Discuss me"})
    url = f"/tasks/{task['id']}/comments"
    full = {
        "text": "Is the spec final?",
        "kind": "question",
        "attachments": [{"name": "spec", "url": "https://example.com/spec.pdf"}],
    }
    # The longest text and attachment name the rules allow.
    longest = {
        "text": "x" * 500,
        "attachments": [{"name": "n" * 100, "url": "https://example.com/notes"}],
    }
    ids = []
    for body, expected in (
        (full, full),
        (longest, longest),
        ({"text": "x"}, {"text": "x", "kind": "note", "attachments": []}),
    ):
        new_id, response = _expect_comment(probe, url, body, {**expected, "task_id": task["id"]})
        ids.append(new_id)
    probe.expect(
        len(set(ids)) == len(ids),
        f"three new comments got the ids {ids}: each comment needs an id of its own.",
        response=response,
        expected="a new id for each comment",
        hint="Count the comments as you store them, for example `len(comments) + 1`.",
    )
    for body, what, hint in _BAD_COMMENTS:
        _expect_422(probe, "POST", url, body, what, hint)
    response = probe.request("POST", "/tasks/999999/comments", json_body={"text": "Hello?"})
    probe.expect_status(
        response,
        404,
        "A comment on a task that does not exist",
        hint="Look the task up first with `await store.get(task_id)`: it raises TaskNotFound, "
        "which the app's exception handler answers with 404.",
    )
