"""Lesson 07 checks: a user directory the learner keeps in a database with SQLAlchemy.

The exercise starts from the catch-up app, whose users live in memory, and the learner builds
an app of their own with its database layer: a table, an engine, a session per request, and
the routes of `/users`. The checks drive it over HTTP only, so any correct way to write it
passes. They create users with names no one else picks
(a word, a token for this process and a counter), and the framework deletes them afterwards
through `DELETE /users/{id}`.

What goes wrong with a database shows up as an exception the app raised (a 500): the checks
turn the usual ones into a hint in the lesson's words (`_explained`).
"""

import functools
import itertools
import json
import secrets
from collections.abc import Callable
from typing import Any

from httpx2 import Response

from course.checks import RERUN, CheckFailed, IfRaises, Probe, check

# The checks' test data: a password UserCreate accepts, and the bounds Task 3 states.
_PASSWORD = "correct horse battery"
MAX_OFFSET = 10_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 10

# Usernames no learner picks: a word, this process's token and a counter. A re-run check
# never meets the users of a run whose clean-up failed, nor those of another kernel.
_RUN = secrets.token_hex(2)
_numbers = itertools.count(1)

_FIELDS = {"id", "username", "full_name"}

_USER_PUBLIC = (
    "Annotate the route's return type with UserPublic: FastAPI reads the row's attributes "
    "and sends only id, username and full_name."
)
_COMMIT = (
    "A session's changes are rolled back when it closes unless you commit them: "
    "`session.add(user)`, then `await session.commit()`."
)
_TASK1_FIRST = (
    "This check creates its users with Task 1's POST /users: make Task 1's check pass first."
)
_INTEGRITY = (
    "The unique constraint on username refused the row, and its IntegrityError reached "
    "FastAPI as a 500. Catch IntegrityError around `await session.commit()`, "
    "`await session.rollback()`, then raise HTTPException(409, ...) naming the username."
)
_ONE_TRANSACTION = (
    "Sign up the whole batch in one transaction: add every row (`session.add_all(...)`), then "
    "one `await session.commit()`; on IntegrityError, `await session.rollback()` and nothing "
    "of the batch stays. A commit per user saves the first ones before the refused one."
)


def _username(word: str) -> str:
    return f"{word}_{_RUN}_{next(_numbers)}"


def _new_user(word: str, full_name: str | None = None) -> dict[str, Any]:
    return {"username": _username(word), "password": _PASSWORD, "full_name": full_name}


# --- Database errors, in the lesson's words ------------------------------------------------


def _has_lifespan(app: Any) -> bool:
    # FastAPI's own lifespan, when none was given, only runs on_startup handlers.
    router = getattr(app, "router", None)
    return type(getattr(router, "lifespan_context", None)).__name__ != "_DefaultLifespan"


def _database_hint(probe: Probe, got: str) -> str | None:
    """A hint for a database error the app raised, or None if `got` shows none of them."""
    if "no such table" in got:
        if not _has_lifespan(probe.app):
            return (
                "Nothing created the tables: build the app with your lifespan, "
                "`app = FastAPI(lifespan=lifespan)`, which runs "
                "`Base.metadata.create_all` at startup."
            )
        return (
            "The lifespan created the tables, but this request's connection sees a database "
            "without them: each new connection to SQLite in memory is a new, empty database. "
            "Give the engine `poolclass=StaticPool` (one connection, shared by all) and use "
            "that same `engine` in the lifespan and in the session factory."
        )
    if "MissingGreenlet" in got:
        return (
            "After a commit the session expires the row, and reading it again would need a "
            "query, which an async session cannot run behind your back. Make the session "
            "factory with `async_sessionmaker(engine, expire_on_commit=False)`: the row keeps "
            "its values after the commit."
        )
    if "PendingRollbackError" in got:
        return (
            "One session served several requests, and after a failed commit it refuses all "
            "work until it is rolled back. Use one session per request (the `get_session` "
            "dependency) and `await session.rollback()` after an IntegrityError."
        )
    if "but the function returned (<" in got:
        return (
            "`await session.execute(select(UserRow))` gives rows of one column each, not "
            "users: take the users out with `.scalars()`, or use `await session.scalars(...)` "
            "(`await session.scalar(...)` for one)."
        )
    if "Input should be a valid integer" in got and "but the function returned" in got:
        return (
            "The row gets its id when the database writes it, and nothing was written: "
            "`session.add(user)`, then `await session.commit()`."
        )
    return None


def _is_catch_up(app: Any) -> bool:
    """Whether `app` is still the exercise's catch-up app, whose users live in memory."""
    store = getattr(getattr(app, "state", None), "store", None)
    return type(store).__module__ == "taskboard.store"


_CATCH_UP = (
    "`app` is still the catch-up app, Taskboard after lesson 06, whose users live in memory: "
    "run your Task 1 cells, which build your own `app = FastAPI(lifespan=lifespan)`."
)


def _explained(body: Callable[[Probe], None]) -> Callable[[Probe], None]:
    """Run a check's body, giving a database error the app raised a hint of its own."""

    @functools.wraps(body)
    def run(probe: Probe) -> None:
        try:
            body(probe)
        except CheckFailed as exc:
            got = exc.got or ""
            hint = None
            if exc.hint != RERUN:
                hint = _CATCH_UP if _is_catch_up(probe.app) else _database_hint(probe, got)
            # SQLAlchemy's messages go on with the SQL: its first line says what failed.
            report = CheckFailed(
                exc.task,
                exc.problem,
                sent=exc.sent,
                got=got.partition("\n")[0] or None,
                expected=exc.expected,
                hint=hint or exc.hint,
            )
        else:
            return
        # Raised outside the `except`: the app's exception, and the coroutine SQLAlchemy may
        # have dropped in it, are let go here, while the check still hears of dropped ones.
        raise report

    return run


# --- Users as the API shows them -------------------------------------------------------------


def _keys(value: Any) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*map(_keys, value.values()))
    if isinstance(value, list):
        return set().union(*map(_keys, value))
    return set()


def _expect_public(probe: Probe, response: Response, what: str) -> Any:
    """The body, after making sure that no password nor hash is in it."""
    body = probe.json(response)
    text = response.text
    probe.expect(
        not any("password" in key for key in _keys(body))
        and _PASSWORD not in text
        and "$argon2" not in text,
        f"{what} shows the password or its hash.",
        response=response,
        expected="users with id, username and full_name only",
        hint=_USER_PUBLIC,
    )
    return body


def _expect_user(
    probe: Probe, response: Response, sent: dict[str, Any], what: str, user_id: int | None = None
) -> dict[str, Any]:
    """Expect the user `sent` (with its id, if known) as UserPublic shows it."""
    body = _expect_public(probe, response, what)
    wanted = {"username": sent["username"], "full_name": sent["full_name"]}
    probe.expect(
        isinstance(body, dict)
        and set(body) == _FIELDS
        and isinstance(body["id"], int)
        and (user_id is None or body["id"] == user_id)
        and {key: body[key] for key in wanted} == wanted,
        f"{what} should answer the user, with its id, username and full_name.",
        response=response,
        expected=json.dumps({"id": user_id or 1, **wanted}),
        hint=_USER_PUBLIC,
    )
    return body


def _create(probe: Probe, word: str, full_name: str | None = None) -> dict[str, Any]:
    """A user this check needs, made with Task 1's POST /users."""
    sent = _new_user(word, full_name)
    created = probe.create("/users", sent, hint=_TASK1_FIRST, hint_first=True)
    return {**created, "password": sent["password"]}


# --- Task 1 ---------------------------------------------------------------------------------


@check("Task 1", "POST, GET and DELETE /users keep users in a database table, with 404s.")
@_explained
def users_table(probe: Probe) -> None:
    sent = _new_user("ada", "Ada Lovelace")
    response = probe.request("POST", "/users", json_body=sent)
    probe.expect_status(
        response,
        201,
        "Creating a user",
        hint="A create answers 201 Created: `status_code=201` on the decorator.",
    )
    user = _expect_user(probe, response, sent, "POST /users")
    url = f"/users/{user['id']}"
    response = probe.get(url)
    probe.expect_status(
        response,
        200,
        f"Reading the user just created, GET {url},",
        hint=f"POST /users answered 201, yet the user is not in the database. {_COMMIT}",
    )
    _expect_user(probe, response, sent, f"GET {url}", user["id"])
    unknown = "/users/999999999"
    hint = (
        "`await session.get(UserRow, user_id)` gives None when no row has that id: then raise "
        'HTTPException(404, f"User {user_id} not found").'
    )
    probe.expect_error(
        probe.get(unknown, if_raises=IfRaises(hint=hint, only=("ResponseValidationError",))),
        404,
        "not found",
        f"An unknown user, GET {unknown},",
        hint=hint,
    )
    response = probe.request("DELETE", url)
    probe.expect_status(
        response,
        204,
        f"Deleting the user, DELETE {url},",
        hint="A delete with nothing to say answers 204 No Content: `status_code=204`, and "
        "return None.",
    )
    probe.expect(
        response.content == b"",
        "a 204 answer has no body.",
        response=response,
        expected="status 204 and an empty body",
        hint="Return None from the function.",
    )
    probe.expect_status(
        probe.get(url),
        404,
        f"After DELETE, GET {url}",
        hint="The user is still there: `await session.delete(user)`, then "
        "`await session.commit()`; without the commit the delete is rolled back.",
    )
    probe.expect_error(
        probe.request("DELETE", url),
        404,
        "not found",
        f"Deleting it again, DELETE {url},",
        hint="Look the row up first: no row, no user, so raise HTTPException(404, ...) "
        "before deleting anything.",
    )


# --- Task 2 ---------------------------------------------------------------------------------


@check("Task 2", "a taken username is a 409, and the app goes on with nothing half-written.")
@_explained
def taken_username(probe: Probe) -> None:
    first = _create(probe, "grace", "Grace Hopper")
    name = first["username"]
    again = {"username": name, "password": "another long password", "full_name": "Impostor"}
    response = probe.request(
        "POST",
        "/users",
        json_body=again,
        if_raises=IfRaises(
            hint=_INTEGRITY,
            problem="a second user with a taken username made your app raise {error}.",
            expected="status 409",
            only=("IntegrityError",),
        ),
    )
    conflict = (
        "A username that is taken is a conflict with what the database holds: raise "
        f'HTTPException(409, f"Username {{username!r}} is already taken"), here naming {name!r}.'
    )
    probe.expect_status(response, 409, "A second user with a taken username", hint=conflict)
    probe.expect_error(response, 409, name, "The 409", hint=conflict)
    probe.expect_error(response, 409, "taken", "The 409", hint=conflict)
    url = f"/users/{first['id']}"
    response = probe.get(url)
    probe.expect_status(
        response,
        200,
        f"After the 409, GET {url}",
        hint="The first user must stay as it was: roll back the failed transaction only.",
    )
    saved = {key: first[key] for key in ("username", "full_name")}
    _expect_user(probe, response, saved, f"After the 409, GET {url}", first["id"])
    probe.expect_status(
        probe.request("DELETE", url),
        204,
        f"Deleting the user, DELETE {url},",
        hint="Task 1's DELETE /users/{user_id} answers 204: make Task 1's check pass first.",
    )
    fresh = {"username": name, "password": _PASSWORD, "full_name": None}
    response = probe.request("POST", "/users", json_body=fresh)
    probe.expect_status(
        response,
        201,
        "Once its user is deleted, the username is free: signing it up again",
        hint="Only a row that exists takes a name: after the delete's commit, POST /users "
        "with the same username succeeds.",
    )
    _expect_user(probe, response, fresh, "POST /users")


# --- Task 3 ---------------------------------------------------------------------------------

_PAGE_HINT = (
    "Select the rows ordered by id, skip `offset` of them and send at most `limit`: "
    "`select(UserRow).order_by(UserRow.id).offset(offset).limit(limit)`."
)
_BOUNDS_HINT = (
    "Give the query parameters their bounds, and FastAPI answers 422 before your code runs: "
    "`offset: Annotated[int, Query(ge=0, le=10_000)] = 0` and "
    "`limit: Annotated[int, Query(ge=1, le=100)] = 10`."
)
_OVERFLOW = IfRaises(
    problem="an offset of 2**63 reached the database, and your app raised {error}.",
    hint="SQLite's integers stop at 2**63 - 1: a larger offset fails in the database, a 500. "
    "An upper bound on offset, `le=10_000`, refuses it with a 422 first.",
    expected="status 422",
    only=("OverflowError",),
)


def _page(probe: Probe, query: str) -> tuple[Response, list[dict[str, Any]]]:
    """GET /users?`query`, expecting a JSON array of users."""
    url = f"/users?{query}" if query else "/users"
    response = probe.get(url)
    probe.expect_status(response, 200, f"GET {url}", hint=_PAGE_HINT)
    users = _expect_public(probe, response, f"GET {url}")
    probe.expect(
        isinstance(users, list)
        and all(isinstance(user, dict) and set(user) == _FIELDS for user in users),
        "the answer should be a JSON array of users, each with id, username and full_name.",
        response=response,
        expected='[{"id": 1, "username": "...", "full_name": ...}, ...]',
        hint="Declare the return type `list[UserPublic]` and return the rows.",
    )
    return response, users


def _every_user(probe: Probe) -> tuple[Response, list[dict[str, Any]]]:
    """Every user the app has, a page of 100 at a time, and the first page's response."""
    first, users = _page(probe, f"offset=0&limit={MAX_LIMIT}")
    page = users
    offset = 0
    while len(page) == MAX_LIMIT and offset + MAX_LIMIT <= MAX_OFFSET:
        offset += MAX_LIMIT
        _, page = _page(probe, f"offset={offset}&limit={MAX_LIMIT}")
        users += page
    return first, users


def _declared_defaults(probe: Probe) -> dict[str, Any]:
    """The defaults of GET /users's query parameters, as /openapi.json declares them."""
    _, schema = probe.openapi()
    operation = schema.get("paths", {}).get("/users", {}).get("get", {})
    return {
        parameter.get("name"): parameter.get("schema", {}).get("default")
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query" and "default" in parameter.get("schema", {})
    }


@check("Task 3", "GET /users pages through the users in id order, within its bounds.")
@_explained
def pages(probe: Probe) -> None:
    # Created in this order, their names sort the other way: an order by name shows.
    mine = [_create(probe, word) for word in ("zoe", "max", "amy")]
    ids = [user["id"] for user in mine]
    response, users = _every_user(probe)
    found = [user["id"] for user in users]
    probe.expect(
        found == sorted(set(found)),
        "the users should come in id order, each once.",
        response=response,
        expected="ids in increasing order",
        hint="Order the query by id: `.order_by(UserRow.id)`.",
    )
    probe.expect(
        all(user in users for user in ({k: u[k] for k in _FIELDS} for u in mine)),
        f"the 3 users this check created (ids {ids[0]} to {ids[-1]}) should be in the list.",
        response=response,
        expected="every user, page after page",
        hint=_PAGE_HINT,
    )
    start = found.index(ids[0])
    for offset, limit in ((start, 2), (start + 2, 1), (start + 1, 2)):
        response, page = _page(probe, f"offset={offset}&limit={limit}")
        probe.expect(
            page == users[offset : offset + limit],
            f"offset={offset}&limit={limit} should skip {offset} users, then answer {limit}.",
            response=response,
            expected=json.dumps([user["id"] for user in users[offset : offset + limit]])
            + " (their ids)",
            hint=_PAGE_HINT,
        )
    response, default = _page(probe, "")
    probe.expect(
        default == users[:DEFAULT_LIMIT],
        f"without parameters, GET /users should answer the first {DEFAULT_LIMIT} users.",
        response=response,
        expected=f"offset 0 and limit {DEFAULT_LIMIT} by default",
        hint=_BOUNDS_HINT,
    )
    declared = _declared_defaults(probe)
    for name, wanted in (("offset", 0), ("limit", DEFAULT_LIMIT)):
        probe.expect(
            declared.get(name, wanted) == wanted,
            f"the default of `{name}` should be {wanted}, not {declared.get(name)}.",
            response=response,
            expected=f"{name} = {wanted} when the client leaves it out",
            hint=_BOUNDS_HINT,
        )
    for query, what in (
        ("offset=-1", "A negative offset"),
        (f"offset={2**63}", "An offset of 2**63"),
        (f"offset={MAX_OFFSET + 1}", f"An offset over {MAX_OFFSET:,}"),
        ("limit=0", "A limit of 0"),
        (f"limit={MAX_LIMIT + 1}", f"A limit over {MAX_LIMIT}"),
    ):
        response = probe.get(f"/users?{query}", if_raises=_OVERFLOW)
        probe.expect_status(response, 422, f"{what}, GET /users?{query},", hint=_BOUNDS_HINT)
    response, page = _page(probe, f"offset={MAX_OFFSET}")
    probe.expect(
        page == users[MAX_OFFSET:],
        f"offset={MAX_OFFSET} is allowed, and past the last user it answers [].",
        response=response,
        expected="[]" if len(users) <= MAX_OFFSET else "the users after the first 10,000",
        hint=_PAGE_HINT,
    )
    _, page = _page(probe, f"limit={MAX_LIMIT}")
    probe.expect(
        page == users[:MAX_LIMIT],
        f"limit={MAX_LIMIT} is allowed: it answers up to {MAX_LIMIT} users.",
        response=response,
        expected=f"the first {MAX_LIMIT} users",
        hint=_PAGE_HINT,
    )


# --- Task 4 ---------------------------------------------------------------------------------


def _batch(
    probe: Probe, users: list[dict[str, Any]], what: str, hint: str = _INTEGRITY
) -> Response:
    """POST /users/batch; an IntegrityError, or with another `hint` any error, gets it."""
    return probe.request(
        "POST",
        "/users/batch",
        json_body=users,
        if_raises=IfRaises(
            hint=hint,
            problem=f"{what} made your app raise {{error}}.",
            expected="status 409",
            only=("IntegrityError",) if hint == _INTEGRITY else (),
        ),
    )


def _expect_absent(probe: Probe, refused: Response, sent: dict[str, Any], what: str) -> None:
    """After `refused`, `sent`'s username is still free: POST /users takes it (and the
    framework deletes it afterwards)."""
    response = probe.request("POST", "/users", json_body=sent)
    probe.expect(
        response.status_code == 201,
        f"after the 409 for {what}, {sent['username']!r} should not exist, yet signing it up "
        f"alone answers {response.status_code}.",
        response=refused if response.status_code == 409 else response,
        expected="none of the batch created",
        hint=_ONE_TRANSACTION if response.status_code == 409 else _TASK1_FIRST,
    )


@check("Task 4", "POST /users/batch signs up a whole team in one transaction, or nobody.")
@_explained
def team_signup(probe: Probe) -> None:
    team = [_new_user("lin", "Lin Chen"), _new_user("sam")]
    response = _batch(probe, team, "a batch of two new users")
    probe.expect_status(
        response,
        201,
        "Signing up a team of two new users",
        hint="POST /users/batch is a route of its own: without it, the path matches "
        "/users/{user_id}, which has no POST."
        if response.status_code == 405
        else "A create answers 201 Created: `status_code=201` on the decorator.",
        hint_first=True,
    )
    created = _expect_public(probe, response, "POST /users/batch")
    probe.expect(
        isinstance(created, list) and len(created) == len(team),
        "the answer should be the list of the new users, in the order sent.",
        response=response,
        expected='[{"id": ..., "username": ..., "full_name": ...}, {...}]',
        hint="Return the rows with the return type `list[UserPublic]`.",
    )
    for sent_user, user in zip(team, created, strict=True):
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            url = f"/users/{user['id']}"
            probe.created.append(url)  # deleted after the check, as itself (lesson 08 on)
            probe.note_user(url, sent_user["username"], sent_user["password"])
    for sent, user in zip(team, created, strict=True):
        probe.expect(
            isinstance(user, dict)
            and set(user) == _FIELDS
            and isinstance(user["id"], int)
            and (user["username"], user["full_name"]) == (sent["username"], sent["full_name"]),
            "the answer should be the list of the new users, in the order sent.",
            response=response,
            expected=json.dumps(
                [{"id": 1, "username": u["username"], "full_name": u["full_name"]} for u in team]
            ),
            hint="Return the rows in the order of the body, with the return type "
            "`list[UserPublic]`.",
        )
        url = f"/users/{user['id']}"
        saved = probe.get(url)
        probe.expect_status(saved, 200, f"Reading a new member, GET {url},", hint=_COMMIT)
        _expect_user(probe, saved, sent, f"GET {url}", user["id"])

    taken = team[0]["username"]
    newcomer = _new_user("kim")
    batch = [newcomer, {**_new_user("other"), "username": taken}]
    response = _batch(probe, batch, "a batch with a taken username")
    hint = (
        f"A taken username refuses the whole batch: 409, with the taken name ({taken!r}) in "
        "`detail`. After the rollback, look up which of the batch's names exist to name it."
    )
    probe.expect_status(response, 409, "A batch with a taken username", hint=hint)
    probe.expect_error(response, 409, taken, "The 409", hint=hint)
    _expect_absent(probe, response, newcomer, "a batch with a taken username")

    twice = _new_user("ray")
    hint = (
        "A username given twice in one batch breaks the unique constraint too, but no row in "
        "the database has it yet: look for repeats in the batch itself, and answer 409 "
        f"naming {twice['username']!r}."
    )
    response = _batch(
        probe, [twice, {**twice, "full_name": "Ray Again"}], "a username given twice", hint
    )
    probe.expect_status(response, 409, "A batch that gives one new username twice", hint=hint)
    probe.expect_error(response, 409, twice["username"], "The 409", hint=hint)
    _expect_absent(probe, response, twice, "a name given twice")
