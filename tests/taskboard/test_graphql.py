"""GraphQL at POST /graphql (lesson 11), on every store: the same tasks, rules and errors as REST.

A query answers 200 with `data` and, when something failed, `errors`: each with its `message`,
the `path` of the field and `extensions.code`. Nothing a client sends is a 500.
"""

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from course.checkpoints import CheckpointSettings
from course.checks import _bounded
from course.login import access_token
from taskboard.api.main import FEATURES
from taskboard.db.store import DatabaseStore
from taskboard.events import TaskEvent
from taskboard.graphql import schema
from taskboard.graphql.schema import MAX_ALIASES
from taskboard.main import create_app
from taskboard.models import TaskPublic, UserPublic

SNAPSHOT = Path(__file__).with_name("graphql.snapshot.graphql")
REFRESH = "UPDATE_GRAPHQL_SNAPSHOT=1 .venv/bin/python -m pytest tests/taskboard/test_graphql.py"
GRACE = {"username": "grace", "password": "a long passphrase"}
TASK_FIELDS = "id title description status priority labels checklist { text done }"


def gql(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def the_error(answer: dict[str, Any]) -> dict[str, Any]:
    """The one error of an answer, with its location left out (it depends on the query's layout)."""
    [error] = answer["errors"]
    return {key: value for key, value in error.items() if key != "locations"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grace_token(client: TestClient) -> str:
    assert client.post("/users", json=GRACE).status_code == 201
    return access_token(client, GRACE["username"], GRACE["password"])


def as_rest(task: dict[str, Any]) -> dict[str, Any]:
    """A task of GET /tasks with GraphQL's names for its fields (the same here)."""
    return {name: task[name] for name in TaskPublic.model_fields}


@pytest.fixture
def heard(app: FastAPI) -> list[TaskEvent]:
    events: list[TaskEvent] = []

    async def listen(event: TaskEvent) -> None:
        events.append(event)

    app.state.store.events.subscribe(listen)
    return events


# --- Queries ---------------------------------------------------------------------------------


def test_tasks_are_the_ones_rest_lists(client: TestClient) -> None:
    answer = gql(client, f"{{ tasks {{ {TASK_FIELDS} }} }}")
    assert answer == {"data": {"tasks": [as_rest(t) for t in client.get("/tasks").json()]}}


def test_tasks_take_the_filters_of_rest(client: TestClient) -> None:
    query = "query($status: TaskStatus, $label: [String!], $limit: Int!) { tasks(status: $status, label: $label, limit: $limit) { id } }"
    for params in ({"status": "todo"}, {"label": ["api", "review"]}, {"limit": 2}):
        rest = client.get("/tasks", params=params).json()
        answer = gql(client, query, {"limit": 10} | params)
        assert [task["id"] for task in answer["data"]["tasks"]] == [task["id"] for task in rest]


@pytest.mark.parametrize(
    ("variables", "loc"),
    [({"limit": 0}, ["limit"]), ({"limit": 101}, ["limit"]), ({"label": ["Not A Label"]}, None)],
)
def test_filters_rest_refuses_are_refused_with_pydantic_s_errors(
    client: TestClient, variables: dict[str, Any], loc: list[Any] | None
) -> None:
    query = "query($label: [String!], $limit: Int!) { tasks(label: $label, limit: $limit) { id } }"
    error = the_error(gql(client, query, {"limit": 10} | variables))
    assert error["path"] == ["tasks"]
    assert error["message"].startswith("Invalid input: ")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    [detail] = error["extensions"]["errors"]
    assert detail["loc"] == (loc or ["label", 0])
    assert set(detail) == {"loc", "msg", "type"}  # never the input


def test_a_task_by_id_and_one_that_is_not_there(client: TestClient) -> None:
    one = gql(client, f"{{ task(id: 3) {{ {TASK_FIELDS} }} }}")
    assert one == {"data": {"task": as_rest(client.get("/tasks/3").json())}}
    for missing in (999, 0, -1):
        answer = gql(client, f"{{ task(id: {missing}) {{ id }} }}")
        # Only the field that failed is null: the rest of the answer stands.
        assert answer["data"] == {"task": None}
        assert the_error(answer) == {
            "message": f"Task {missing} not found",
            "path": ["task"],
            "extensions": {"code": "NOT_FOUND"},
        }


def test_nested_owner_and_comments(client: TestClient) -> None:
    me = client.get("/auth/me").json()
    client.post("/tasks/2/comments", json={"text": "First", "kind": "question"})
    client.post(
        "/tasks/2/comments",
        json={"text": "Second", "attachments": [{"name": "a.pdf", "url": "https://example.com/a"}]},
    )
    query = "{ tasks { id owner { id username fullName } comments { text kind attachments { name url } } } }"
    tasks = {task["id"]: task for task in gql(client, query)["data"]["tasks"]}
    owner = {"id": me["id"], "username": me["username"], "fullName": me["full_name"]}
    assert all(task["owner"] == owner for task in tasks.values())
    assert tasks[2]["comments"] == [
        {"text": "First", "kind": "question", "attachments": []},
        {
            "text": "Second",
            "kind": "note",
            "attachments": [{"name": "a.pdf", "url": "https://example.com/a"}],
        },
    ]
    assert tasks[1]["comments"] == []


def test_another_users_task_is_not_found(client: TestClient) -> None:
    grace = bearer(grace_token(client))
    assert gql(client, "{ tasks { id } }", headers=grace) == {"data": {"tasks": []}}
    answer = gql(client, "{ task(id: 1) { id title } }", headers=grace)
    assert answer["data"] == {"task": None}
    assert the_error(answer)["message"] == "Task 1 not found"


# --- Who may: tokens and scopes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Not authenticated"),
        ({"Authorization": "Bearer"}, "Not authenticated"),
        ({"Authorization": "Basic ZGVtbzpkZW1v"}, "Not authenticated"),
        ({"Authorization": "Bearer not-a-token"}, "The token is not valid"),
    ],
)
def test_without_a_good_token_every_field_fails(
    app: FastAPI, headers: dict[str, str], message: str
) -> None:
    with TestClient(app) as anonymous:
        for query in ("{ tasks { id } }", "{ task(id: 1) { id } }"):
            answer = gql(anonymous, query, headers=headers)
            # `tasks` is a non-null list: its failure nulls the whole answer, as GraphQL says.
            assert answer["data"] in (None, {"task": None})
            error = the_error(answer)
            assert (error["message"], error["extensions"]) == (
                message,
                {"code": "UNAUTHENTICATED"},
            )
        answer = gql(anonymous, 'mutation { createTask(task: {title: "x"}) { id } }', None, headers)
        assert the_error(answer)["message"] == message
        # A field that needs no token still answers.
        assert gql(anonymous, "{ __typename }", headers=headers) == {
            "data": {"__typename": "Query"}
        }


def test_the_token_of_a_deleted_user_is_refused(client: TestClient) -> None:
    token = grace_token(client)
    me = client.get("/auth/me", headers=bearer(token)).json()
    assert client.delete(f"/users/{me['id']}", headers=bearer(token)).status_code == 204
    answer = gql(client, "{ tasks { id } }", headers=bearer(token))
    assert the_error(answer)["message"] == "The token's user no longer exists"


def test_reading_wants_tasks_read_and_writing_tasks_write(client: TestClient) -> None:
    reader = bearer(access_token(client, scope="tasks:read"))
    writer = bearer(access_token(client, scope="tasks:write"))
    assert "errors" not in gql(client, "{ tasks { id } }", headers=reader)
    create = 'mutation { createTask(task: {title: "Sneaky"}) { id } }'
    for headers, query, scope in (
        (reader, create, "tasks:write"),
        (writer, "{ tasks { id } }", "tasks:read"),
    ):
        assert the_error(gql(client, query, headers=headers))["extensions"] == {"code": "FORBIDDEN"}
        assert the_error(gql(client, query, headers=headers))["message"] == (
            f"The token does not allow {scope}"
        )
    assert [task["title"] for task in client.get("/tasks").json()].count("Sneaky") == 0


# --- Mutations ---------------------------------------------------------------------------------

CREATE = f"mutation($task: TaskInput!) {{ createTask(task: $task) {{ {TASK_FIELDS} owner {{ username }} }} }}"
UPDATE = f"mutation($id: Int!, $changes: TaskChanges!) {{ updateTask(id: $id, changes: $changes) {{ {TASK_FIELDS} }} }}"


def test_create_task_is_post_tasks(client: TestClient, heard: list[TaskEvent]) -> None:
    body = {
        "title": "Release 0.2",
        "description": "Tag it.",
        "status": "doing",
        "priority": 1,
        "labels": ["release"],
        "checklist": [{"text": "Tag the commit", "done": True}, {"text": "Announce it"}],
    }
    created = gql(client, CREATE, {"task": body})["data"]["createTask"]
    assert created.pop("owner") == {"username": "demo"}
    rest = client.get(f"/tasks/{created['id']}").json()
    assert created == as_rest(rest)
    assert rest == {
        **body,
        "id": rest["id"],
        "checklist": [body["checklist"][0], {"text": "Announce it", "done": False}],
    }
    # Through the store, so announced as REST's writes are, to the live board and the cache.
    me = client.get("/auth/me").json()["id"]
    assert [(e.type, e.task_id, e.owner_id) for e in heard] == [("task.created", rest["id"], me)]
    assert heard[0].task is not None and heard[0].task.model_dump(mode="json") == rest


def test_create_task_takes_the_defaults_of_task_create(client: TestClient) -> None:
    created = gql(client, CREATE, {"task": {"title": "Only a title"}})["data"]["createTask"]
    assert (created["status"], created["priority"], created["labels"]) == ("todo", 3, [])


@pytest.mark.parametrize(
    ("task", "locs"),
    [
        ({"title": ""}, [["title"]]),
        ({"title": "x" * 201}, [["title"]]),
        ({"title": "ok", "priority": 9, "labels": ["Bad Label"]}, [["priority"], ["labels", 0]]),
        ({"title": "ok", "checklist": [{"text": ""}]}, [["checklist", 0, "text"]]),
        ({"title": "ok", "labels": [f"l{n}" for n in range(11)]}, [["labels"]]),
        # PostgreSQL cannot store a NUL: GraphQL refuses it where REST does.
        ({"title": "a\x00b", "description": "\x00"}, [["title"], ["description"]]),
    ],
)
def test_create_task_refuses_what_post_tasks_refuses(
    client: TestClient, heard: list[TaskEvent], task: dict[str, Any], locs: list[list[Any]]
) -> None:
    assert client.post("/tasks", json=task).status_code == 422
    answer = gql(client, CREATE, {"task": task})
    assert answer["data"] is None
    error = the_error(answer)
    assert error["path"] == ["createTask"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [detail["loc"] for detail in error["extensions"]["errors"]] == locs
    assert heard == []
    assert len(client.get("/tasks").json()) == 4


def test_update_task_is_patch_tasks(client: TestClient, heard: list[TaskEvent]) -> None:
    changes = {"status": "done", "description": None, "checklist": [{"text": "Proofread"}]}
    updated = gql(client, UPDATE, {"id": 1, "changes": changes})["data"]["updateTask"]
    assert updated == as_rest(client.get("/tasks/1").json())
    assert (updated["status"], updated["description"]) == ("done", None)
    assert updated["title"] == "Write the README"  # left out, so unchanged
    assert updated["checklist"] == [{"text": "Proofread", "done": False}]
    assert [(e.type, e.task_id) for e in heard] == [("task.updated", 1)]


@pytest.mark.parametrize(
    "changes", [{"title": None}, {"priority": 0}, {"labels": ["UPPER"]}, {"title": "\x00"}]
)
def test_update_task_refuses_what_patch_refuses(
    client: TestClient, heard: list[TaskEvent], changes: dict[str, Any]
) -> None:
    assert client.patch("/tasks/1", json=changes).status_code == 422
    error = the_error(gql(client, UPDATE, {"id": 1, "changes": changes}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert heard == []


def test_update_task_of_another_user_is_not_found(
    client: TestClient, heard: list[TaskEvent]
) -> None:
    grace = bearer(grace_token(client))
    answer = gql(client, UPDATE, {"id": 1, "changes": {"title": "Mine now"}}, grace)
    assert the_error(answer) == {
        "message": "Task 1 not found",
        "path": ["updateTask"],
        "extensions": {"code": "NOT_FOUND"},
    }
    assert client.get("/tasks/1").json()["title"] == "Write the README"
    assert heard == []


# --- Errors: never a 500 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ tasks { id ", "Syntax Error: Expected Name, found <EOF>."),
        ("{ tasks { nope } }", "Cannot query field 'nope' on type 'Task'."),
        (
            "{ task(id: 99999999999999999999) { id } }",
            "Int cannot represent non 32-bit signed integer value: 99999999999999999999",
        ),
        ('{ task(id: "1") { id } }', 'Int cannot represent non-integer value: "1"'),
        (
            "{ tasks(status: finished) { id } }",
            "Value 'finished' does not exist in 'TaskStatus' enum.",
        ),
        (
            "{ tasks { owner } }",
            "Field 'owner' of type 'User' must have a selection of subfields. Did you mean 'owner { ... }'?",
        ),
        (
            "mutation { createTask { id } }",
            "Argument 'Mutation.createTask(task:)' of type 'TaskInput!' is required, but it was not provided.",
        ),
    ],
)
def test_a_query_that_does_not_fit_the_schema_is_refused_before_anything_runs(
    client: TestClient, query: str, message: str
) -> None:
    answer = gql(client, query)
    assert answer["data"] is None
    assert the_error(answer) == {"message": message}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b"not json", "headers": {"Content-Type": "application/json"}},
        {"content": b"query=1", "headers": {"Content-Type": "text/plain"}},
        {"json": {}},
        {"json": []},
        {"json": {"query": 5}},
        {"json": {"query": "{ tasks { id } }", "variables": "x"}},
        {
            "json": {
                "query": "query($id: Int!) { task(id: $id) { id } }",
                "variables": {"id": 2**40},
            }
        },
        {"json": {"query": "query($id: Int!) { task(id: $id) { id } }", "variables": {}}},
        {"json": {"query": "{ tasks { id } } { tasks { id } }"}},
    ],
)
def test_nothing_a_client_sends_is_a_500(
    client: TestClient, request_kwargs: dict[str, Any]
) -> None:
    response = client.post("/graphql", **request_kwargs)
    assert response.status_code in (200, 400), response.text
    assert response.text


def test_too_many_aliases_are_refused_before_anything_runs(client: TestClient) -> None:
    fields = " ".join(f"a{n}: tasks {{ id }}" for n in range(MAX_ALIASES + 1))
    answer = gql(client, f"{{ {fields} }}")
    assert answer["data"] is None
    assert "aliases" in the_error(answer)["message"]


def test_a_failure_of_ours_is_masked_and_logged_and_the_clients_are_not(
    app: FastAPI,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gql(client, "{ tasks { nope } }")
    gql(client, "{ task(id: 999) { id } }")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]

    async def broken(self: Any, *args: Any) -> None:
        raise RuntimeError("password=hunter2 in the connection string")

    monkeypatch.setattr(type(app.state.store), "list_tasks", broken)
    with caplog.at_level(logging.ERROR, logger="taskboard.graphql"):
        answer = gql(client, "{ tasks { id } }")
    assert the_error(answer) == {
        "message": "Unexpected error.",
        "path": ["tasks"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    assert "hunter2" not in json.dumps(answer)
    [record] = [r for r in caplog.records if r.name == "taskboard.graphql.schema"]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


# --- The endpoint ------------------------------------------------------------------------------


def test_no_ide_no_get_no_socket(client: TestClient) -> None:
    # GraphiQL would load its JavaScript from unpkg.com, which breaks offline: it is off.
    assert client.get("/graphql").status_code == 404
    assert client.get("/graphql", params={"query": "{ tasks { id } }"}).status_code == 400
    # Strawberry accepts the socket and closes it at once: the one receive is bounded anyway.
    protocols = ["graphql-transport-ws", "graphql-ws"]
    with client.websocket_connect("/graphql", subprotocols=protocols) as socket:
        closed = _bounded(socket.receive, 5)
    assert closed == {
        "type": "websocket.close",
        "code": 4406,
        "reason": "Subprotocol not acceptable",
    }


def test_graphql_is_not_in_openapi(app: FastAPI) -> None:
    assert not [path for path in app.openapi()["paths"] if "graphql" in path]


def test_the_api_key_guards_graphql_too() -> None:
    settings = CheckpointSettings(demo_data=True, api_key="k" * 32)
    with TestClient(create_app(settings, FEATURES)) as client:
        refused = client.post("/graphql", json={"query": "{ __typename }"})
        assert (refused.status_code, refused.json()) == (
            401,
            {"detail": "Missing the X-API-Key header"},
        )
        answer = client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-API-Key": "k" * 32}
        )
        assert answer.json() == {"data": {"__typename": "Query"}}


# --- The schema is a contract too ----------------------------------------------------------------


def test_the_schema_matches_the_committed_snapshot() -> None:
    text = f"{schema.as_str()}\n"
    if os.environ.get("UPDATE_GRAPHQL_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"No snapshot yet. Create it with:\n    {REFRESH}"
    assert SNAPSHOT.read_text() == text, (
        f"The GraphQL schema changed. If that is intended, refresh the snapshot and commit it "
        f"with the change:\n    {REFRESH}"
    )


def _fields(type_name: str) -> set[str]:
    found = schema.execute_sync(f'{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}')
    assert found.data is not None
    return {field["name"] for field in found.data["__type"]["fields"]}


def test_a_task_shows_every_field_of_the_rest_task() -> None:
    camel = {
        "".join(w.title() if i else w for i, w in enumerate(n.split("_")))
        for n in TaskPublic.model_fields
    }
    assert _fields("Task") == camel | {"owner", "comments"}


def test_a_user_shows_the_public_fields_and_never_a_password() -> None:
    assert _fields("User") == {"id", "username", "fullName"}
    assert set(UserPublic.model_fields) == {"id", "username", "full_name"}


# --- N+1: the queries a nested answer costs ----------------------------------------------------


@contextmanager
def counting_queries(store: DatabaseStore) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)


def test_a_nested_query_costs_the_same_few_queries_for_any_number_of_tasks(
    sql_app: FastAPI,
) -> None:
    query = "{ tasks(limit: 100) { id title owner { username } comments { text } } }"
    counts = {}
    with TestClient(sql_app) as client:
        client.headers.update(bearer(access_token(client)))
        for tasks in (4, 12):
            while len(client.get("/tasks", params={"limit": 100}).json()) < tasks:
                task = client.post("/tasks", json={"title": "More"}).json()
                client.post(f"/tasks/{task['id']}/comments", json={"text": "A comment"})
            with counting_queries(sql_app.state.store) as statements:
                answer = gql(client, query)
            assert len(answer["data"]["tasks"]) == tasks
            assert all(task["owner"] == {"username": "demo"} for task in answer["data"]["tasks"])
            counts[tasks] = len(statements)
    # The user behind the token, the tasks with their labels and checklists (selectin), the
    # owners, the comments: the same queries for 4 tasks as for 12, not one more per task.
    assert counts[4] == counts[12] <= 6, counts


# --- The stores' batch look-ups, for the DataLoaders ---------------------------------------------


def test_comments_and_owners_of_many_tasks_at_once(client: TestClient, app: FastAPI) -> None:
    me = client.get("/auth/me").json()
    grace = bearer(grace_token(client))
    hers = client.post("/tasks", json={"title": "Grace's"}, headers=grace).json()["id"]
    client.post(f"/tasks/{hers}/comments", json={"text": "Hers"}, headers=grace)
    for text in ("One", "Two"):
        client.post("/tasks/3/comments", json={"text": text})

    async def look_up(owner: int | None) -> tuple[Any, ...]:
        async with app.state.store.transaction(owner=owner) as store:
            asked = [3, 1, 3, hers, 999, 0, 2**40]
            return (
                await store.comments_of(asked),
                await store.owners_of(asked),
                await store.comments_of([]),
                await store.owners_of([]),
            )

    comments, owners, no_comments, no_owners = client.portal.call(look_up, me["id"])
    assert {task_id: [c.text for c in found] for task_id, found in comments.items()} == {
        3: ["One", "Two"],
        1: [],
    }
    assert {task_id: user.username for task_id, user in owners.items()} == {3: "demo", 1: "demo"}
    assert (no_comments, no_owners) == ({}, {})
    # Without an owner, the store sees every task: Grace's too, with her comment.
    comments, owners, *_ = client.portal.call(look_up, None)
    assert [c.text for c in comments[hers]] == ["Hers"]
    assert owners[hers].username == "grace"


def test_a_requests_store_calls_take_turns_on_its_session(sql_app: FastAPI) -> None:
    """GraphQL resolves a list's items concurrently; an AsyncSession must not be shared by
    concurrent tasks, so the calls of one request's store wait for each other."""

    async def at_once() -> tuple[int, list[Any]]:
        store: DatabaseStore = sql_app.state.store
        await store.create_schema()
        async with store.transaction() as request_store:
            session = request_store._session
            assert session is not None
            busy, most = 0, 0
            execute = session.execute

            async def watched(*args: Any, **kwargs: Any) -> Any:
                nonlocal busy, most
                busy += 1
                most = max(most, busy)
                try:
                    await asyncio.sleep(0)  # let any other call in, if it could
                    return await execute(*args, **kwargs)
                finally:
                    busy -= 1

            session.execute = watched  # type: ignore[method-assign]
            found = await asyncio.gather(
                *(request_store.comments_of([n]) for n in range(1, 5)),
                *(request_store.owners_of([n]) for n in range(1, 5)),
            )
        await store.engine.dispose()
        return most, found

    most, found = asyncio.run(at_once())
    assert most == 1
    assert found[:4] == [{n: []} for n in range(1, 5)]
