"""Lesson 16 checks: clients of the whole Taskboard, and one final check over the whole app.

Tasks 1-3 judge a function the learner writes as a client of a served Taskboard: the check runs
it against a real server, the one the notebook started with `course.capstone.serving_taskboard`
while it runs (else one of its own, started once and stopped when the kernel exits), and judges
what the server then holds and what the function returned. The checks' users are new ones, with
random names, so their writes meet no rate limit of the learner's.

Task 4 judges a polite writer on a client whose transport answers what the check scripts (429s
with `Retry-After`, then a 201), with a `sleep` the check records: nothing really waits.

`whole_app` is the final check: every feature of Taskboard, in-process, on the app it is given.
"""

import json
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from course import capstone
from course.checks import CheckFailed, Probe, check, check_answer

PASSWORD = "a long enough password"
# Seconds a learner's function may take before the check gives up on it: a sign-up and a login
# hash two passwords (argon2, about 0.1 s each), on a busy machine far more.
CALL_TIMEOUT = 20.0

_NOT_A_FUNCTION = "Pass the function itself, without calling it: `check.{name}({name})`."
_BEARER = (
    "Send the token as `Authorization: Bearer <token>`: the word Bearer, a space, then the "
    'token, e.g. `{"Authorization": f"Bearer {token}"}`.'
)
_FORM = (
    "POST /auth/token reads a form, as OAuth2's password flow wants: send the username and "
    "password with `data=`, not `json=`."
)
_SIGN_UP = 'Sign the user up first: POST /users with JSON {"username": ..., "password": ...}.'
_GRAPHQL = (
    'Send `POST /graphql` with JSON `{"query": "..."}` and the token as `Bearer`. GraphQL answers '
    "200 even to a wrong query, with an `errors` list and no `data`: print the answer to see it. "
    "The fields are `tasks`, `title`, `owner` and `username`."
)
_BOUNDED = (
    "Give every receive a deadline, `websocket.recv(timeout=timeout)`: it raises TimeoutError "
    "when nothing comes, rather than wait for ever."
)


# --- A served Taskboard for the checks ------------------------------------------------------------

# The checks' own server, when the notebook runs none: started once, stopped with the kernel.
_own_server: list[capstone.BackgroundTaskboard] = []


def served() -> str:
    """The base URL of a running Taskboard: the notebook's, else one of the checks' own."""
    url = capstone.running()
    if url is not None:
        return url
    if not _own_server:
        _own_server.append(capstone.BackgroundTaskboard())
    return _own_server[0].url


def _new_name() -> str:
    return f"check_{secrets.token_hex(4)}"


def _prepared(task: str, response: httpx2.Response) -> httpx2.Response:
    """`response` to a request the check needs, or a report that the server refused it."""
    if not response.is_success:
        raise CheckFailed(
            task,
            "the server refused what the check needs before it calls your function.",
            sent=f"{response.request.method} {response.request.url.path}",
            got=f"{response.status_code} {response.text[:200]}",
            hint="The check uses the server your first cell started: start it as that cell does "
            "(a write limit of at least 5 a minute), or restart the kernel and run the cells "
            "from the top.",
        )
    return response


def _sign_up(task: str, url: str) -> tuple[str, dict[str, str]]:
    """A new user on the server, and the headers that carry their token."""
    username = _new_name()
    credentials = {"username": username, "password": PASSWORD}
    with httpx2.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        _prepared(task, client.post("/users", json=credentials))
        login = _prepared(task, client.post("/auth/token", data=credentials))
    return username, {"Authorization": f"Bearer {login.json()['access_token']}"}


def _call(task: str, function: Callable[..., Any], *args: Any, within: float) -> Any:
    """Run the learner's function in a thread of its own; give up on it after `within` seconds.

    An exception it raises is raised here; one that never returns becomes a report (its thread
    is left to finish, or to end with the kernel).
    """
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as exc:  # handed to the check's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, daemon=True, name="course-check")
    thread.start()
    thread.join(within)
    if not outcome:
        raise CheckFailed(
            task,
            f"your function did not return within {within:g} seconds.",
            hint=_BOUNDED,
        )
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _run(
    task: str,
    function: Callable[..., Any],
    *args: Any,
    within: float,
    sent: str,
    hint: str | Callable[[], str],
    judged_by_caller: tuple[type[Exception], ...] = (),
) -> Any:
    """`_call`, with an error the learner's function raises reported with `hint` (a function
    when the hint needs to ask the server). A stub's NotImplementedError reaches the framework,
    which reports it as such, and `judged_by_caller` errors reach the caller."""
    try:
        return _call(task, function, *args, within=within)
    except (CheckFailed, NotImplementedError, *judged_by_caller):
        raise
    except Exception as exc:
        raise CheckFailed(
            task,
            "your function raised an error.",
            sent=sent,
            got=_error(exc),
            hint=hint if isinstance(hint, str) else hint(),
        ) from None


def _function(task: str, answer: Any, name: str) -> Callable[..., Any]:
    if not callable(answer):
        raise CheckFailed(
            task,
            f"expected your function, got {type(answer).__name__}.",
            hint=_NOT_A_FUNCTION.format(name=name),
        )
    return answer


def _error(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}".strip(" :")[:200]


# --- Task 1: sign up and log in ----------------------------------------------------------------


@check_answer(
    "Task 1",
    "your function signs a new user up, logs them in, and returns headers with their token.",
)
def signed_in(task: str, answer: Any) -> None:
    sign_up_and_log_in = _function(task, answer, "sign_up_and_log_in")
    url = served()
    username = _new_name()
    sent = f"sign_up_and_log_in(url, {username!r}, {PASSWORD!r})"
    headers = _run(
        task,
        sign_up_and_log_in,
        url,
        username,
        PASSWORD,
        within=CALL_TIMEOUT,
        sent=sent,
        hint=lambda: _what_went_wrong(url, username),
    )
    if not isinstance(headers, Mapping):
        raise CheckFailed(
            task,
            f"your function should return the headers, a dict; it returned {type(headers).__name__}.",
            sent=sent,
            got=repr(headers)[:200],
            expected='{"Authorization": "Bearer <token>"}',
            hint='Return a dict such as `{"Authorization": f"Bearer {token}"}`.',
        )
    found = {str(k).lower(): str(v) for k, v in headers.items()}
    authorization = found.get("authorization")
    if authorization is None:
        raise CheckFailed(
            task,
            "the headers your function returned have no Authorization header.",
            sent=sent,
            got=repr(dict(headers))[:200],
            expected='{"Authorization": "Bearer <token>"}',
            hint=_BEARER,
        )
    if not authorization.startswith("Bearer "):
        raise CheckFailed(
            task,
            "the Authorization header should start with `Bearer `.",
            sent=sent,
            got=f"Authorization: {authorization[:12]}…",
            expected="Authorization: Bearer <token>",
            hint=_BEARER,
        )
    with httpx2.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        me = client.get("/auth/me", headers=dict(headers))
    if me.status_code != 200 or me.json().get("username") != username:
        raise CheckFailed(
            task,
            f"with your headers, GET /auth/me should answer 200 with {username!r}.",
            sent=sent + ", then GET /auth/me with its headers",
            got=f"{me.status_code} {me.text[:200]}",
            expected=f'200 {{"username": "{username}", ...}}',
            hint="Put the access_token that POST /auth/token answers in the header, after "
            "`Bearer `; log in as the user you signed up.",
        )


def _what_went_wrong(url: str, username: str) -> str:
    """What a learner's failed sign-up and login most likely missed, from what the server holds."""
    with httpx2.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        login = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    if login.status_code != 200:
        return _SIGN_UP
    return (
        f"The user was signed up, so the login went wrong: {_FORM} Then read the token from "
        'the answer\'s JSON: `response.json()["access_token"]`.'
    )


# --- Task 2: the live board's event ----------------------------------------------------------------

# Short deadlines for the calls where no event can come: a correct function gives up after
# `timeout` seconds; one that waits for ever is reported after `timeout + _SLACK`.
_QUIET_TIMEOUT = 0.2
_SLACK = 4.0


@check_answer(
    "Task 2",
    "your function returns the live board's task.created event for the task it creates, and "
    "gives up within its timeout when none comes.",
)
def live_event(task: str, answer: Any) -> None:
    created_event = _function(task, answer, "created_event")
    url = served()
    _, headers = _sign_up(task, url)
    token = headers["Authorization"].removeprefix("Bearer ")
    title = f"Watched {secrets.token_hex(3)}"
    sent = f"created_event(url, token, {title!r})"
    try:
        event = _run(
            task,
            created_event,
            url,
            token,
            title,
            within=2.0 + CALL_TIMEOUT,
            sent=sent,
            hint="Connect to ws://.../live/board?token=... (`url` starts with http://: replace "
            "it with ws://), and create the task with POST /tasks.",
            judged_by_caller=(TimeoutError,),
        )
    except TimeoutError as exc:
        raise CheckFailed(
            task,
            "your function raised TimeoutError: no event came for the task.",
            sent=sent,
            got=_error(exc),
            hint="Read the first message (`subscribed`) before you create the task, so the "
            "board is listening; then create it with POST /tasks and the token as `Bearer`.",
        ) from None
    kind = event.get("type") if isinstance(event, dict) else None
    got = repr(event)[:200]
    if kind == "subscribed":
        raise CheckFailed(
            task,
            "your function returned the board's first message, not the task's event.",
            sent=sent,
            got=got,
            expected='{"type": "task.created", "task": {"title": ..., ...}, ...}',
            hint="The first message says you are subscribed: read it, create the task, then "
            "return the next message, decoded with json.loads.",
        )
    task_body = event.get("task") if isinstance(event, dict) else None
    if kind != "task.created" or not isinstance(task_body, dict) or task_body.get("title") != title:
        raise CheckFailed(
            task,
            "your function should return the task.created event of its task, as a dict.",
            sent=sent,
            got=got,
            expected=f'{{"type": "task.created", "task": {{"title": "{title}", ...}}, ...}}',
            hint="Decode the message with json.loads, and return the event whose task has the "
            "title you created.",
        )
    with httpx2.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        titles = [t["title"] for t in client.get("/tasks", headers=headers).json()]
    if title not in titles:
        raise CheckFailed(
            task,
            "the task is not on the board: create it over REST, with POST /tasks.",
            sent=sent + ", then GET /tasks",
            got=repr(titles)[:200],
            hint="Create the task with POST /tasks and the token as `Bearer`.",
        )
    # No event comes when the task is refused (an empty title answers 422).
    quiet = f"created_event(url, token, '', timeout={_QUIET_TIMEOUT})"
    try:
        returned = _call(
            task, created_event, url, token, "", _QUIET_TIMEOUT, within=_QUIET_TIMEOUT + _SLACK
        )
    except CheckFailed as failed:
        raise CheckFailed(
            task,
            f"when no event comes, your function should give up after `timeout` seconds; it "
            f"was still waiting after {_QUIET_TIMEOUT + _SLACK:g}.",
            sent=quiet + " (an empty title, which the server refuses)",
            hint=failed.hint,
        ) from None
    except Exception:
        return  # TimeoutError, or an error about the refused task: both right
    raise CheckFailed(
        task,
        "when no event comes, your function should raise (TimeoutError, say), not return.",
        sent=quiet + " (an empty title, which the server refuses)",
        got=repr(returned)[:200],
        hint="Let `recv(timeout=...)`'s TimeoutError through, or raise one yourself.",
    )


# --- Task 3: GraphQL -------------------------------------------------------------------------------


@check_answer(
    "Task 3",
    "your function asks GraphQL for your tasks and returns each with its title and owner.",
)
def graphql_tasks(task: str, answer: Any) -> None:
    tasks_with_owners = _function(task, answer, "tasks_with_owners")
    url = served()
    username, headers = _sign_up(task, url)
    titles = [f"Asked {secrets.token_hex(3)}", f"Asked {secrets.token_hex(3)}"]
    with httpx2.Client(base_url=url, timeout=CALL_TIMEOUT) as client:
        for title in titles:
            _prepared(task, client.post("/tasks", json={"title": title}, headers=headers))
    sent = "tasks_with_owners(url, headers) for a user with two tasks"
    found = _run(
        task, tasks_with_owners, url, dict(headers), within=CALL_TIMEOUT, sent=sent, hint=_GRAPHQL
    )
    expected = [{"title": title, "owner": {"username": username}} for title in titles]
    shown = json.dumps(expected)
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise CheckFailed(
            task,
            "your function should return the list of tasks, each a dict.",
            sent=sent,
            got=repr(found)[:200],
            expected=shown,
            hint='Return `answer.json()["data"]["tasks"]`.',
        )
    got = [{"title": item.get("title"), "owner": _owner(item.get("owner"))} for item in found]
    if got != expected:
        raise CheckFailed(
            task,
            "the tasks should come with their title and their owner's username, in order.",
            sent=sent,
            got=json.dumps(found)[:200],
            expected=shown,
            hint="Ask for `{ tasks { title owner { username } } }`, and return the list under "
            '`["data"]["tasks"]`.',
        )


def _owner(owner: Any) -> Any:
    return {"username": owner.get("username")} if isinstance(owner, dict) else owner


# --- Task 4: a polite writer ---------------------------------------------------------------------

ATTEMPTS = 3


class _TooMany(Exception):
    """The scripted transport's answer to an 11th request: the function would never stop."""


class _Scripted:
    """A transport that answers POSTs from a script, and records what came."""

    def __init__(self, answers: list[tuple[int, str | None]]) -> None:
        self.answers = answers
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if len(self.requests) > 10:
            raise _TooMany("the check stopped answering after 10 requests")
        status, retry_after = self.answers[min(len(self.requests), len(self.answers)) - 1]
        headers = {"Retry-After": retry_after} if retry_after else {}
        body = {"id": 7, "title": "Polite"} if status == 201 else {"detail": "Too many writes"}
        return httpx2.Response(status, json=body, headers=headers)


@check_answer(
    "Task 4",
    "your function waits Retry-After seconds after each 429 and tries again, at most 3 times "
    "in all.",
)
def polite(task: str, answer: Any) -> None:
    polite_post = _function(task, answer, "polite_post")
    scenarios = [
        ("201 at once", [(201, None)], 201, 1, []),
        ("429 with Retry-After: 3, then 201", [(429, "3"), (201, None)], 201, 2, [3.0]),
        ("429 with Retry-After: 2, every time", [(429, "2")], 429, ATTEMPTS, [2.0, 2.0]),
    ]
    for what, answers, status, requests, waits in scenarios:
        script = _Scripted(answers)
        slept: list[float] = []
        sent = f"polite_post(client, '/tasks', {{'title': 'Polite'}}, sleep=...) answered {what}"
        with httpx2.Client(
            base_url="http://taskboard.test", transport=httpx2.MockTransport(script)
        ) as client:
            try:
                response = _run(
                    task,
                    polite_post,
                    client,
                    "/tasks",
                    {"title": "Polite"},
                    lambda seconds, slept=slept: slept.append(float(seconds)),
                    within=CALL_TIMEOUT,
                    sent=sent,
                    hint='Read the header as a number, `int(response.headers["Retry-After"])`, '
                    "and return the last response rather than raise.",
                    judged_by_caller=(_TooMany,),
                )
            except _TooMany:
                raise CheckFailed(
                    task,
                    "your function did not stop trying.",
                    sent=sent,
                    got="more than 10 requests",
                    expected=f"{requests} request(s)",
                    hint=f"Stop after {ATTEMPTS} attempts in all, and return the last response.",
                ) from None
        made = len(script.requests)
        got = (
            f"{made} request(s), sleep({', '.join(f'{s:g}' for s in slept)}) "
            if slept
            else f"{made} request(s), no sleep, "
        ) + f"returned {getattr(response, 'status_code', repr(response)[:40])}"
        expected = (
            f"{requests} request(s), "
            + (f"sleep({', '.join(f'{s:g}' for s in waits)}) " if waits else "no sleep, ")
            + f"returned {status}"
        )
        if made == 1 and requests > 1:
            hint = "On a 429, try again: that is the point of Retry-After."
        elif made > requests:
            hint = f"Stop after {ATTEMPTS} attempts in all, and return the last response."
        elif len(slept) != len(waits) and made == requests and not slept:
            hint = (
                "Wait before you try again, with the `sleep` function your function is given "
                "(never time.sleep itself): the check gives a sleep that does not wait."
            )
        elif slept != waits and len(slept) == len(waits):
            hint = "Wait exactly as many seconds as the 429's Retry-After header says."
        elif len(slept) > len(waits):
            hint = (
                "Wait only before another attempt: after the last one, return its response at once."
            )
        else:
            hint = (
                "Send the POST; while the answer is 429 and you have attempts left, "
                '`sleep(int(response.headers["Retry-After"]))` and send it again. Return the '
                "last response."
            )
        if (made, slept, getattr(response, "status_code", None)) != (requests, waits, status):
            raise CheckFailed(
                task,
                "your function did not wait and retry as the server asked.",
                sent=sent,
                got=got,
                expected=expected,
                hint=hint,
            )
        if any(
            r.method != "POST"
            or r.url.path != "/tasks"
            or json.loads(r.content) != {"title": "Polite"}
            for r in script.requests
        ):
            raise CheckFailed(
                task,
                "each attempt should POST the same JSON body to the same path.",
                sent=sent,
                got=", ".join(
                    f"{r.method} {r.url.path} {r.content.decode()}" for r in script.requests
                )[:200],
                hint="Send `client.post(path, json=body)` each time.",
            )


# --- The final check: the whole app ---------------------------------------------------------------

# The writes the final check makes before it looks for the 429; the task builds the app with
# `write_rate_limit=5`, so the limit comes within these.
MOST_WRITES = 10
_LIVE_BOARD = 'Lesson 10 added the live board, /live/board: build the app with checkpoint("15").'


@check(
    "Task 5",
    "the whole Taskboard works end to end: sign-up, login, tasks, the live board, GraphQL, "
    "cached stats and the rate limit.",
    settings={"write_rate_limit": 5},
    log_in=False,
)
def whole_app(probe: Probe) -> None:
    for path in ("/health", "/ready"):
        probe.expect_status(
            probe.get(path),
            200,
            f"GET {path}",
            hint="Lessons 05 and 15 added the health checks.",
            hint_first=True,
        )
    username = _new_name()
    credentials = {"username": username, "password": PASSWORD}
    signed_up = probe.request("POST", "/users", json_body=credentials)
    probe.expect_status(
        signed_up, 201, "POST /users", hint="Lesson 02 added the sign-up.", hint_first=True
    )
    login = probe.request("POST", "/auth/token", form=credentials)
    probe.expect_status(
        login, 200, "POST /auth/token", hint="Lesson 08 added the login.", hint_first=True
    )
    token = (probe.json(login) or {}).get("access_token")
    with probe.sending({"Authorization": f"Bearer {token}"}):
        task_id = _live_create(probe, token)
        _rest_and_graphql(probe, task_id, username)
        _cached_stats(probe)
        deleted = probe.request("DELETE", f"/tasks/{task_id}")
        probe.expect_status(
            deleted, 204, f"DELETE /tasks/{task_id}", hint="Lesson 02.", hint_first=True
        )
        gone = probe.get(f"/tasks/{task_id}")
        probe.expect_status(gone, 404, "GET of a deleted task", hint="Lesson 02.", hint_first=True)
        _rate_limited(probe)


def _live_create(probe: Probe, token: str | None) -> int:
    try:
        return _watched_create(probe, token)
    except CheckFailed as failed:
        if failed.problem.startswith("no WebSocket route"):
            raise failed.with_hint(_LIVE_BOARD) from None
        raise


def _watched_create(probe: Probe, token: str | None) -> int:
    with probe.websocket(f"/live/board?token={token}", shown="/live/board?token=<token>") as socket:
        first = socket.receive() if socket.accepted else None
        if first is None or (first.json() or {}).get("type") != "subscribed":
            raise CheckFailed(
                probe.task,
                "the live board should accept the token and say `subscribed` first.",
                sent=socket.sent,
                got=first.show() if first else "nothing",
                expected='{"type": "subscribed", ...}',
                hint=_LIVE_BOARD,
            )
        created = probe.create(
            "/tasks",
            {"title": "Final check", "labels": ["capstone"]},
            hint="Lesson 02.",
            hint_first=True,
        )
        socket.transcript.append("POST /tasks")
        event = socket.receive()
        body = (event.json() if event else None) or {}
        if body.get("type") != "task.created" or body.get("task_id") != created["id"]:
            raise CheckFailed(
                probe.task,
                "the live board should send the task.created event of a task made over REST.",
                sent=socket.sent,
                got=event.show() if event else "nothing within 2 seconds",
                expected=f'{{"type": "task.created", "task_id": {created["id"]}, ...}}',
                hint="Lesson 10: the store publishes each change, and the board sends it on.",
            )
    return created["id"]


def _rest_and_graphql(probe: Probe, task_id: int, username: str) -> None:
    changed = probe.request("PATCH", f"/tasks/{task_id}", json_body={"status": "doing"})
    probe.expect_status(changed, 200, f"PATCH /tasks/{task_id}", hint="Lesson 02.", hint_first=True)
    query = "{ tasks { id title status owner { username } } }"
    answer = probe.request("POST", "/graphql", json_body={"query": query})
    body = probe.json(answer) if answer.status_code == 200 else None
    tasks = ((body or {}).get("data") or {}).get("tasks")
    wanted = {
        "id": task_id,
        "title": "Final check",
        "status": "doing",
        "owner": {"username": username},
    }
    probe.expect(
        isinstance(tasks, list) and wanted in tasks,
        "GraphQL should list the task, changed, with its owner.",
        response=answer,
        expected=json.dumps({"data": {"tasks": [wanted]}}),
        hint="Lesson 11 added POST /graphql, on the same store as REST.",
        hint_first=True,
    )


def _cached_stats(probe: Probe) -> None:
    first = probe.get("/board/stats")
    second = probe.get("/board/stats")
    probe.expect(
        first.status_code == 200
        and first.headers.get("x-cache") == "MISS"
        and second.headers.get("x-cache") == "HIT",
        "GET /board/stats should be counted once (X-Cache: MISS), then reused (HIT).",
        response=second,
        expected="200, X-Cache: MISS, then X-Cache: HIT",
        hint="Lesson 12 added the cached stats.",
        hint_first=True,
    )
    with probe.sending({"If-None-Match": second.headers.get("etag", "")}):
        unchanged = probe.get("/board/stats")
    probe.expect_status(
        unchanged,
        304,
        "GET /board/stats with If-None-Match: its ETag",
        hint="Lesson 12.",
        hint_first=True,
    )


def _rate_limited(probe: Probe) -> None:
    made = []
    for number in range(MOST_WRITES):
        response = probe.request("POST", "/tasks", json_body={"title": f"Burst {number}"})
        if response.status_code != 201:
            break
        made.append(response.json()["id"])
    # Their user goes at the end of the check, and their tasks with them: deleting each one
    # now would only meet the 429.
    probe.created[:] = [url for url in probe.created if not url.startswith("/tasks/")]
    retry_after = response.headers.get("retry-after", "")
    probe.expect(
        response.status_code == 429 and retry_after.isdigit() and int(retry_after) > 0,
        f"within {MOST_WRITES} writes, one should answer 429 with Retry-After.",
        response=response,
        expected="429 with Retry-After: <seconds>",
        hint="Lesson 12 added the rate limit. The check needs a low one: build the app with "
        'checkpoint("15", CheckpointSettings(write_rate_limit=5)).',
        hint_first=True,
    )
    read = probe.get("/tasks")
    probe.expect_status(
        read, 200, "a read after the 429", hint="Reads are never limited.", hint_first=True
    )
