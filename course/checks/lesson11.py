"""Lesson 11 checks: GraphQL with Strawberry at POST /graphql, on Taskboard's own store.

The learner's app is the catch-up with their `GraphQLRouter` included at `/graphql`: types and
queries (Task 1), a token check in `store_for` (Task 2), a mutation (Task 3), and DataLoaders
(Task 4). A check judges what GraphQL answers, never how it is written: plain Strawberry types or
ones made from the Pydantic models, a dict or a class as the context, one error class or another.

Every check leaves the probe anonymous (`log_in=False`): it signs up its own users with
`POST /users` and sends tokens it makes with the app's secret key, as lesson 08's checks do, so
only the sign-ups hash a password. Their tasks are created with `POST /tasks` and go with them
when the check deletes them at the end.

GraphQL answers 200 even when a field fails, with `errors` beside `data`: the checks read both.
Strawberry logs every error it reports, with a traceback; the errors a check provokes on purpose
are kept out of the notebook's output.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx2 import Response
from sqlalchemy import event

from course.checks import CheckFailed, IfRaises, Probe, check
from course.checks.lesson08 import _bearer, _claims, _delete_as, _forge, _sign_up

GRAPHQL_URL = "/graphql"
READ, WRITE = "tasks:read", "tasks:write"
NOT_AUTHENTICATED = "Not authenticated"
BAD_TOKEN = "The token is not valid"
CODES = {
    "unauthenticated": "UNAUTHENTICATED",
    "forbidden": "FORBIDDEN",
    "bad input": "BAD_USER_INPUT",
}
# Field names that would give a password, or its hash, away.
SECRET_FIELDS = frozenset({"password", "passwordhash", "password_hash", "hash", "hashedpassword"})

_NO_GRAPHQL = (
    "Build the app as the task says: `app = checkpoint(...)`, then "
    '`app.include_router(GraphQLRouter(schema, context_getter=get_context), prefix="/graphql")`, '
    "and run the cell again."
)
_STUCK = (
    "A request that never ends: in `get_context`, declare the viewer before the store, "
    "`viewer: Annotated[Viewer, Depends(get_viewer)], store: StoreDep`. The request's store "
    "holds the database (SQLite in memory has one connection), and `get_viewer`, made after it, "
    "waits for that connection forever to look the user up. The stuck request keeps running: "
    "after fixing the code, restart the kernel (Kernel > Restart Kernel and Run All Cells)."
)
_ORDER = (
    "In `get_context`, declare the viewer before the store: `viewer: Annotated[Viewer, "
    "Depends(get_viewer)], store: StoreDep`. FastAPI solves a function's dependencies in the "
    "order of its parameters, and the store sees only the user's tasks once `get_viewer` has "
    "found them; the store of `request.app.state`, or one made first, sees every task."
)


# --- Asking GraphQL -----------------------------------------------------------------------------


@contextmanager
def _quiet_strawberry() -> Iterator[None]:
    """Strawberry logs each error it reports, with a traceback: not the ones a check provokes."""
    logger = logging.getLogger("strawberry.execution")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _ask(probe: Probe, query: str, token: str | None = None) -> tuple[Response, dict[str, Any]]:
    """POST `query` to /graphql, with `token` or none; the answer must be GraphQL's, a 200."""
    try:
        with _quiet_strawberry(), probe.sending(_bearer(token) if token else {}):
            response = probe.request("POST", GRAPHQL_URL, json_body={"query": query})
    except CheckFailed as failed:
        if not probe.stuck:
            raise
        raise failed.with_hint(_STUCK) from None
    hint = _NO_GRAPHQL
    if response.status_code == 401:
        hint = (
            "Your app answered 401 itself, before GraphQL ran: a context getter that depends on "
            "`CurrentUser` does that. Depend on `get_viewer`, which finds the user or says why "
            "there is none, and let the resolvers refuse (Task 2)."
        )
    elif response.status_code == 400:
        hint = "Strawberry refused the request itself: is `schema` a `strawberry.Schema`?"
    probe.expect_status(response, 200, f"POST {GRAPHQL_URL}", hint, hint_first=True)
    body = probe.json(response)
    probe.expect(
        isinstance(body, dict) and ("data" in body or "errors" in body),
        "the answer should be GraphQL's: an object with `data`, `errors`, or both.",
        response=response,
        expected='{"data": {...}}',
        hint=_NO_GRAPHQL,
    )
    return response, body


def _first_error(body: dict[str, Any]) -> dict[str, Any] | None:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    return None


def _schema_hint(message: str) -> str | None:
    """What a schema error of graphql-core says about the learner's types, in the task's words."""
    if message.startswith("Cannot query field"):
        return (
            f"GraphQL says: {message} Give the type every field the task lists, with the "
            "task's names (Strawberry turns `full_name` into `fullName`), and run the cells "
            "that build the schema and `app` again."
        )
    if message.startswith(("Unknown argument", "Field 'task' argument", "Argument '")):
        return f"GraphQL says: {message} Declare the arguments as the task gives them."
    return None


def _data(probe: Probe, response: Response, body: dict[str, Any], what: str) -> dict[str, Any]:
    """The answer's `data`, which must come without errors."""
    error = _first_error(body)
    if error is not None:
        message = str(error.get("message", ""))
        hint = _schema_hint(message) or (
            f"{what} failed with the error {message!r}. Run the query yourself, "
            '`TestClient(app).post("/graphql", json={"query": ...}, headers=...)`, '
            "to see the whole answer."
        )
        raise CheckFailed(
            probe.task,
            f"{what} answered an error instead of data.",
            sent=_query_sent(response),
            got=_shown(body),
            expected="data, and no errors",
            hint=hint,
        )
    data = body.get("data")
    probe.expect(
        isinstance(data, dict),
        f"{what} should answer `data`.",
        response=response,
        expected='{"data": {...}}',
        hint=_NO_GRAPHQL,
    )
    return data  # type: ignore[return-value]  # expect() raised unless it is a dict


def _query_sent(response: Response) -> str:
    try:
        sent = json.loads(response.request.content)
    except ValueError:
        return "POST /graphql"
    return f"POST /graphql {sent.get('query', '')}"


def _shown(body: Any) -> str:
    text = json.dumps(body)
    return text if len(text) <= 300 else text[:300] + "…"


def _refused(
    probe: Probe,
    response: Response,
    body: dict[str, Any],
    field: str,
    *,
    message: str,
    code: str | None,
    what: str,
    hint: str,
) -> dict[str, Any]:
    """The answer must be an error of `field` that mentions `message`, with `code` if given,
    and `field` must not have an answer (null, or no data at all)."""
    error = _first_error(body)
    data = body.get("data")
    answered = isinstance(data, dict) and data.get(field) is not None
    if error is None or answered:
        raise CheckFailed(
            probe.task,
            f"{what} should fail, with an error in `errors`.",
            sent=_query_sent(response),
            got=_shown(body),
            expected=f'{{"data": null or {{"{field}": null}}, "errors": [{{"message": '
            f'"{message}", "path": ["{field}"], ...}}]}}',
            hint=hint,
        )
    found = str(error.get("message", ""))
    if message.casefold() not in found.casefold():
        raise CheckFailed(
            probe.task,
            f"{what} should fail with an error whose message mentions {message!r}.",
            sent=_query_sent(response),
            got=_shown(body),
            expected=f'"message": "... {message} ..."',
            hint=_schema_hint(found) or hint,
        )
    path = error.get("path")
    probe.expect(
        isinstance(path, list) and path[:1] == [field],
        f"the error should name the field that failed in its `path`: [{field!r}].",
        response=response,
        expected=f'"path": ["{field}"]',
        hint="Raise the error inside the field's resolver: GraphQL gives it that field's path.",
    )
    if code is not None:
        extensions = error.get("extensions")
        found_code = extensions.get("code") if isinstance(extensions, dict) else None
        probe.expect(
            found_code == code,
            f"the error should carry the code {code!r} in `extensions`.",
            response=response,
            expected=f'"extensions": {{"code": "{code}"}}',
            hint=f'`raise GraphQLError(message, extensions={{"code": "{code}"}})`: a client '
            "branches on the code, not on the words.",
        )
    return error


# --- Users and tasks the checks make ------------------------------------------------------------


def _user(probe: Probe, word: str) -> tuple[dict[str, Any], str]:
    """A new user, signed up with POST /users, and a token for every scope."""
    user = _sign_up(
        probe,
        word,
        "This check signs up its users with Taskboard's POST /users: build `app` from the "
        "catch-up, `checkpoint(...)`, and include your router in it.",
    )
    return user, _forge(probe, _claims(user["id"]))


def _token(probe: Probe, user: dict[str, Any], *scopes: str) -> str:
    return _forge(probe, _claims(user["id"], scopes=scopes))


def _create(probe: Probe, token: str, task: dict[str, Any]) -> dict[str, Any]:
    """A task, created with POST /tasks: it goes with its user when the check deletes them."""
    with probe.sending(_bearer(token)):
        created = probe.create(
            "/tasks",
            task,
            hint="This check creates its tasks with Taskboard's POST /tasks: build `app` from "
            "the catch-up.",
            hint_first=True,
        )
    probe.created.remove(f"/tasks/{created['id']}")
    return created


def _comment(probe: Probe, token: str, task_id: int, text: str) -> None:
    with probe.sending(_bearer(token)):
        response = probe.request("POST", f"/tasks/{task_id}/comments", json_body={"text": text})
    probe.expect_status(
        response,
        201,
        "Commenting with Taskboard's POST /tasks/{task_id}/comments",
        "This check comments with Taskboard's own route: build `app` from the catch-up.",
        hint_first=True,
    )


def _goodbye(probe: Probe, *users: tuple[dict[str, Any], str]) -> None:
    """Delete the check's users, with their tasks, with the tokens the check holds."""
    for user, token in users:
        _delete_as(probe, f"/users/{user['id']}", token)


def _literal(value: Any) -> str:
    """A GraphQL literal for a string or a number: JSON's spelling is GraphQL's for these."""
    return json.dumps(value)


# --- Task 1 -------------------------------------------------------------------------------------

TASK_FIELDS = "id title status priority"
_NOT_FOUND = (
    "Let the store's `TaskNotFound` go: `await store.get(id)` raises it, and Strawberry reports "
    "it as an error of the field, with its message. Returning None says nothing went wrong."
)


@check(
    "Task 1",
    "GraphQL lists the caller's tasks with their owner and comments, and finds one by id.",
    log_in=False,
)
def board(probe: Probe) -> None:
    ada, ada_token = _user(probe, "ada")
    grace, grace_token = _user(probe, "grace")
    plan = _create(probe, ada_token, {"title": "Ada's plan", "priority": 1, "status": "doing"})
    notes = _create(probe, ada_token, {"title": "Ada's notes", "priority": 4})
    hers = _create(probe, grace_token, {"title": "Grace's task"})
    for text in ("First!", "Second"):
        _comment(probe, ada_token, plan["id"], text)

    query = f"{{ tasks {{ {TASK_FIELDS} owner {{ id username }} comments {{ text }} }} }}"
    response, body = _ask(probe, query, ada_token)
    data = _data(probe, response, body, "Ada's query of `tasks`")
    tasks = data.get("tasks")
    probe.expect(
        isinstance(tasks, list) and all(isinstance(task, dict) for task in tasks),
        "`tasks` should be a list of tasks.",
        response=response,
        expected='{"data": {"tasks": [{"id": ..., "title": ...}, ...]}}',
        hint="Declare the resolver's return type `-> list[Task]`.",
    )
    ids = [task.get("id") for task in tasks]
    probe.expect(
        hers["id"] not in ids,
        "Ada's `tasks` lists Grace's task: each user must see only their own.",
        response=response,
        expected=f"only Ada's tasks, ids {plan['id']} and {notes['id']}",
        hint=_ORDER,
    )
    probe.expect(
        ids == [plan["id"], notes["id"]],
        "`tasks` should list Ada's tasks, in the order she created them.",
        response=response,
        expected=f"tasks {plan['id']} and {notes['id']}, in that order",
        hint="Return `await store.list_tasks()`, each made a `Task`, from the store of the "
        'context: `store_for(info, "tasks:read")`.',
    )
    owner = {"id": ada["id"], "username": ada["username"]}
    for task, created, comments in ((tasks[0], plan, ["First!", "Second"]), (tasks[1], notes, [])):
        wanted = {
            "id": created["id"],
            "title": created["title"],
            "status": created["status"],
            "priority": created["priority"],
            "owner": owner,
            "comments": [{"text": text} for text in comments],
        }
        probe.expect(
            task == wanted,
            f"task {created['id']} should be as Ada created it, with her as its owner and its "
            "comments, oldest first.",
            response=response,
            expected=_shown(wanted),
            hint="Copy each field from the store's task; `owner` resolves to "
            "`await owner_of(info, self.id)`, `comments` to `await comments_of(info, self.id)`.",
        )

    response, body = _ask(probe, f"{{ task(id: {plan['id']}) {{ {TASK_FIELDS} }} }}", ada_token)
    one = _data(probe, response, body, f"Ada's query of `task(id: {plan['id']})`")
    probe.expect(
        one.get("task") == {key: tasks[0][key] for key in ("id", "title", "status", "priority")},
        f"`task(id: {plan['id']})` should answer Ada's task.",
        response=response,
        expected=_shown({"data": {"task": {"id": plan["id"], "title": plan["title"], "...": 0}}}),
        hint="Return the `Task` of `await store.get(id)`.",
    )
    for task_id, whose in ((hers["id"], "Grace's task"), (2**31 - 1, "a task that does not exist")):
        response, body = _ask(probe, f"{{ task(id: {task_id}) {{ id title }} }}", ada_token)
        what = f"Ada's `task(id: {task_id})`, {whose},"
        found = body.get("data")
        probe.expect(
            not (isinstance(found, dict) and isinstance(found.get("task"), dict)),
            f"{what} answered the task: each user must see only their own.",
            response=response,
            expected=f'an error, "Task {task_id} not found"',
            hint=_ORDER,
        )
        _refused(
            probe,
            response,
            body,
            "task",
            message=f"Task {task_id} not found",
            code=None,
            what=what,
            hint=_NOT_FOUND,
        )
        probe.expect(
            body.get("data") == {"task": None},
            "a task that is not found should null the field `task` alone: `data` stays, with "
            '`"task": null`.',
            response=response,
            expected='{"data": {"task": null}, "errors": [...]}',
            hint="Declare `task` nullable, `-> Task | None`: an error in a non-null field nulls "
            "its parent too, here the whole `data`.",
        )

    leaks = _secret_fields(probe, ada_token)
    probe.expect(
        not leaks,
        f"your schema has a field that gives a password away: {', '.join(leaks)}.",
        response=response,
        expected="no password, nor its hash, anywhere in the schema",
        hint="A `User` type lists what clients may see: `id`, `username`, `full_name`. Never "
        "the `password_hash` the store keeps.",
    )
    _goodbye(probe, (ada, ada_token), (grace, grace_token))


def _secret_fields(probe: Probe, token: str) -> list[str]:
    """Fields of any type of the schema whose name is a password's or a hash's."""
    query = "{ __schema { types { name fields { name } } } }"
    response, body = _ask(probe, query, token)
    data = _data(probe, response, body, "Asking GraphQL for its schema (introspection)")
    types = (data.get("__schema") or {}).get("types") or []
    return [
        f"{kind['name']}.{field['name']}"
        for kind in types
        if not str(kind.get("name", "")).startswith("__")
        for field in kind.get("fields") or []
        if str(field.get("name", "")).casefold() in SECRET_FIELDS
    ]


# --- Task 2 -------------------------------------------------------------------------------------

_STORE_FOR = (
    "In `store_for`, refuse before giving the store: no user in the viewer, raise "
    'GraphQLError(viewer.refused, extensions={"code": "UNAUTHENTICATED"}); a scope the token '
    "does not allow, GraphQLError(f\"The token does not allow {scope}\", extensions={'code': "
    "'FORBIDDEN'}). Every resolver must get its store from `store_for(info, ...)`."
)


@check(
    "Task 2",
    "every query wants a token that allows tasks:read, and GraphQL says why it refuses.",
    log_in=False,
)
def who_may_read(probe: Probe) -> None:
    ada, token = _user(probe, "ada")
    mine = _create(probe, token, {"title": "Ada's secret plan"})
    queries = {"tasks": "{ tasks { id title } }", "task": f"{{ task(id: {mine['id']}) {{ id }} }}"}
    for field, query in queries.items():
        response, body = _ask(probe, query, token)
        _data(probe, response, body, f"`{field}` with Ada's token, which allows every scope,")
    refusals = (
        (None, NOT_AUTHENTICATED, "unauthenticated", "without a token"),
        ("not-a-token", BAD_TOKEN, "unauthenticated", "with a token that is not valid"),
        (
            _token(probe, ada, WRITE),
            f"The token does not allow {READ}",
            "forbidden",
            f"with a token for {WRITE} only",
        ),
    )
    for sent_token, message, kind, how in refusals:
        for field, query in queries.items():
            response, body = _ask(probe, query, sent_token)
            hint = _STORE_FOR
            if message == BAD_TOKEN:
                hint = (
                    "The message is the viewer's: `viewer.refused` says why there is no user, "
                    f"{NOT_AUTHENTICATED!r} or {BAD_TOKEN!r}. " + _STORE_FOR
                )
            _refused(
                probe,
                response,
                body,
                field,
                message=message,
                code=CODES[kind],
                what=f"`{field}` {how}",
                hint=hint,
            )
    _goodbye(probe, (ada, token))


# --- Task 3 -------------------------------------------------------------------------------------

_MUTATION = (
    "Give the schema a `Mutation` type with `create_task(self, info, task: TaskInput) -> Task`, "
    "which Strawberry calls `createTask`: `strawberry.Schema(query=Query, mutation=Mutation)`, "
    "then build `app` again."
)


def _create_with_graphql(task: dict[str, Any], fields: str = "id title status priority") -> str:
    arguments = ", ".join(f"{name}: {_literal(value)}" for name, value in task.items())
    return f"mutation {{ createTask(task: {{{arguments}}}) {{ {fields} }} }}"


@check(
    "Task 3",
    "createTask creates a task for a token that allows tasks:write, validated by TaskCreate.",
    log_in=False,
)
def create_task(probe: Probe) -> None:
    ada, token = _user(probe, "ada")
    with _listening(probe) as heard:
        _create_task(probe, ada, token, heard)
    _goodbye(probe, (ada, token))


@contextmanager
def _listening(probe: Probe) -> Iterator[list[tuple[str, int, int | None]] | None]:
    """The task changes the app's store announces meanwhile; None for a store that does not."""
    events = getattr(getattr(getattr(probe.app, "state", None), "store", None), "events", None)
    if events is None:
        yield None
        return
    heard: list[tuple[str, int, int | None]] = []

    async def listen(event: Any) -> None:
        heard.append((event.type, event.task_id, event.owner_id))

    stop = events.subscribe(listen)
    try:
        yield heard
    finally:
        stop()


def _create_task(
    probe: Probe, ada: dict[str, Any], token: str, heard: list[tuple[str, int, int | None]] | None
) -> None:
    wanted = {"title": "Written in GraphQL", "priority": 2}
    response, body = _ask(probe, _create_with_graphql(wanted), token)
    shown = json.dumps(body)
    if "Cannot query field 'createTask'" in shown or "mutation operation is not supported" in shown:
        raise CheckFailed(
            probe.task,
            "your schema has no mutation `createTask`.",
            sent=_query_sent(response),
            got=_shown(body),
            hint=_MUTATION,
        )
    data = _data(probe, response, body, "`createTask` with Ada's token")
    created = data.get("createTask")
    probe.expect(
        isinstance(created, dict)
        and isinstance(created.get("id"), int)
        and {key: created.get(key) for key in ("title", "priority", "status")}
        == {**wanted, "status": "todo"},
        "`createTask` should answer the new task, with its id, and the status a new task gets.",
        response=response,
        expected=_shown({"data": {"createTask": {"id": "...", **wanted, "status": "todo"}}}),
        hint="Create it with `await store.create(TaskCreate(...))` and return its `Task`.",
    )
    task_id = created["id"]  # type: ignore[index]  # expect() raised unless it is a dict
    with probe.sending(_bearer(token)):
        stored = probe.get(f"/tasks/{task_id}")
    probe.expect(
        stored.status_code == 200 and probe.json(stored).get("title") == wanted["title"],
        "Ada's new task should be hers: GET /tasks/{id} with her token should find it.",
        response=stored,
        expected=f"200 with the task {task_id}",
        hint='Create it in the store of `store_for(info, "tasks:write")`, the store of the user '
        "who called: the app's own store (`request.app.state.store`) makes tasks nobody owns.",
    )
    if heard is not None:  # the app's store announces its changes, as Taskboard's do
        probe.expect(
            ("task.created", task_id, ada["id"]) in heard,
            "the store should have announced the new task, as it does for REST's.",
            response=response,
            expected=f"a task.created event for task {task_id}, owned by Ada",
            hint="Create it with the store's `create`, which announces it to the live board.",
        )

    refused = (
        (None, NOT_AUTHENTICATED, "unauthenticated", "without a token"),
        (
            _token(probe, ada, READ),
            f"The token does not allow {WRITE}",
            "forbidden",
            f"with a token for {READ} only",
        ),
    )
    for sent_token, message, kind, how in refused:
        title = f"Created {how}"
        response, body = _ask(probe, _create_with_graphql({"title": title}), sent_token)
        what = f"`createTask` {how}"
        hint = (
            'Get the store with `store_for(info, "tasks:write")`, first thing in '
            "`create_task`: a mutation checks the token like any query."
        )
        _nothing_created(probe, token, title, response, what, hint)
        _refused(
            probe,
            response,
            body,
            "createTask",
            message=message,
            code=CODES[kind],
            what=what,
            hint=hint,
        )

    for bad, field in (
        ({"title": ""}, "title"),
        ({"title": "Too urgent", "priority": 9}, "priority"),
    ):
        response, body = _ask(probe, _create_with_graphql(bad), token)
        what = f"`createTask` with {json.dumps(bad)}"
        hint = (
            "Validate with Taskboard's model, `TaskCreate(title=..., priority=...)`, and "
            "turn its ValidationError into GraphQLError(message, extensions={'code': "
            "'BAD_USER_INPUT'}), the message naming each field refused (`error.errors()`)."
        )
        _nothing_created(probe, token, bad["title"], response, what, hint)
        _refused(
            probe,
            response,
            body,
            "createTask",
            message=field,
            code=CODES["bad input"],
            what=what,
            hint=hint,
        )


def _nothing_created(
    probe: Probe, token: str, title: str, response: Response, what: str, hint: str
) -> None:
    """Ada's board must have no task titled `title`: the request `what` must create nothing."""
    refused = IfRaises(
        problem=f"{what} saved a task that Taskboard's models refuse: reading Ada's tasks now "
        "raises {error}.",
        hint=hint,
        only=("ValidationError",),
    )
    with probe.sending(_bearer(token)):
        listed = probe.get("/tasks?limit=100", if_raises=refused)
    titles = [task.get("title") for task in probe.json(listed)] if listed.status_code == 200 else []
    probe.expect(
        title not in titles,
        f"{what} should create nothing, and Ada has the task {title!r} now.",
        response=response,
        expected=f"an error, and no task titled {title!r}",
        hint=hint,
    )


# --- Task 4 -------------------------------------------------------------------------------------

_LOADERS = (
    "Create two DataLoaders in `get_context`, new for each request: their functions call "
    "`store.owners_of(task_ids)` and `store.comments_of(task_ids)` once for all the tasks, and "
    "answer in the order of `task_ids`. Then `owner_of` and `comments_of` only "
    "`await info.context[...].load(task_id)`, and build `app` again with the new `get_context`."
)
NESTED = "{ tasks { id owner { username } comments { text } } }"


@contextmanager
def _counting_queries(probe: Probe) -> Iterator[list[str]]:
    engine = getattr(getattr(getattr(probe.app, "state", None), "store", None), "engine", None)
    if engine is None:
        raise CheckFailed(
            probe.task,
            "this app keeps its tasks in memory, so the check cannot count its SQL queries.",
            hint="Build `app` from the catch-up, `checkpoint(...)`, whose store is a database.",
        )
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


@check(
    "Task 4",
    "a task's owner and comments take the same few SQL queries for 2 tasks as for 6.",
    log_in=False,
)
def no_n_plus_one(probe: Probe) -> None:
    ada, token = _user(probe, "ada")
    tasks = [_create(probe, token, {"title": f"Task {n}"}) for n in range(1, 3)]
    for task in tasks:
        _comment(probe, token, task["id"], f"On {task['title']}")
    counts = {}
    for size in (2, 6):
        while len(tasks) < size:
            tasks.append(_create(probe, token, {"title": f"Task {len(tasks) + 1}"}))
            _comment(probe, token, tasks[-1]["id"], f"On {tasks[-1]['title']}")
        with _counting_queries(probe) as statements:
            response, body = _ask(probe, NESTED, token)
        counts[size] = len(statements)
        data = _data(
            probe, response, body, "Ada's query of her tasks with their owner and comments"
        )
        wanted = [
            {
                "id": t["id"],
                "owner": {"username": ada["username"]},
                "comments": [{"text": f"On {t['title']}"}],
            }
            for t in tasks
        ]
        probe.expect(
            data.get("tasks") == wanted,
            "each task should come with its own owner and comments.",
            response=response,
            expected=_shown({"data": {"tasks": wanted[:2]}})[:-3] + "…",
            hint="A DataLoader's function must answer in the order of the keys it was given: "
            "`[found.get(task_id, []) for task_id in task_ids]`, not `list(found.values())`.",
        )
    probe.expect(
        counts[6] == counts[2],
        f"Ada's query took {counts[2]} SQL queries for 2 tasks and {counts[6]} for 6: a few "
        "more for every task, the N+1 problem.",
        response=response,
        expected=f"as many queries for 6 tasks as for 2 ({counts[2]})",
        hint=_LOADERS,
    )
    # A DataLoader caches what it loaded: one shared by every request would answer from that.
    _comment(probe, token, tasks[0]["id"], "A later comment")
    response, body = _ask(probe, NESTED, token)
    data = _data(probe, response, body, "The same query, after a new comment")
    first = (data.get("tasks") or [{}])[0]
    probe.expect(
        isinstance(first, dict)
        and [c.get("text") for c in first.get("comments", [])]
        == [f"On {tasks[0]['title']}", "A later comment"],
        "a comment added since the last query is missing: the DataLoader answered from what it "
        "loaded for an earlier request.",
        response=response,
        expected="both comments of the first task",
        hint="Create the DataLoaders inside `get_context`, so each request gets new ones: a "
        "DataLoader made once, outside, keeps what it loaded for every later request, another "
        "user's included.",
    )
    _goodbye(probe, (ada, token))
