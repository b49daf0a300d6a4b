"""Lesson 03: the typed client calls the app in-process, and cannot drift from its schema."""

import inspect
import typing
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from course import checkpoint
from course.client import OPERATIONS, TaskboardClient, TaskboardError, Upload
from course.server import fastapi_command, free_port, running_server
from taskboard.models import (
    ChecklistItem,
    CommentCreate,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
    UserCreate,
    UserPublic,
)

PASSWORD = "a long enough passphrase"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def board(client: TestClient) -> TaskboardClient:
    return TaskboardClient(client)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from taskboard.main import create_app

    return create_app().openapi()


def _by_operation_id(schema: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


# --- it works, against the app in-process ---------------------------------------------------


def test_read_and_list_return_models(board: TaskboardClient) -> None:
    task = board.read_task(3)
    assert isinstance(task, TaskPublic)
    assert task.title == "Draft the task API"
    assert [t.id for t in board.list_tasks(status="todo", limit=1)] == [3]
    assert [t.id for t in board.list_tasks(label=["api", "review"])] == [4]
    assert [t.id for t in board.search_tasks("api")] == [3, 4]
    assert board.health() == {"status": "ok"}
    assert board.read_stats().served >= 1


def test_a_task_round_trip(board: TaskboardClient) -> None:
    created = board.create_task(TaskCreate(title="Ship the client", labels=["sdk"]))
    assert (created.id, created.priority) == (5, 3)
    changed = board.update_task(created.id, TaskUpdate(priority=1, description=None))
    assert (changed.priority, changed.title) == (1, "Ship the client")
    with_item = board.add_checklist_item(created.id, ChecklistItem(text="Write the docs"))
    assert [item.text for item in with_item.checklist] == ["Write the docs"]
    assert board.list_label_tasks("sdk") == [with_item]
    comment = board.add_comment(created.id, CommentCreate(text="Docs first?", kind="question"))
    assert board.list_comments(created.id) == [comment]
    board.delete_task(created.id)
    with pytest.raises(TaskboardError) as gone:
        board.read_task(created.id)
    assert (gone.value.status_code, gone.value.detail) == (404, "Task 5 not found")


def test_users_come_back_without_secrets(board: TaskboardClient) -> None:
    user = board.create_user(UserCreate(username="ada", password=PASSWORD))
    assert board.read_user(user.id) == user
    assert "password_hash" not in type(user).model_fields
    with pytest.raises(TaskboardError) as taken:
        board.create_user(UserCreate(username="ada", password=PASSWORD))
    assert taken.value.status_code == 409


def test_files_export_and_links(board: TaskboardClient) -> None:
    created = board.upload_task_file(1, Upload("notes.txt", b"hello", "text/plain"))
    assert (created.filename, created.size) == ("notes.txt", 5)
    assert board.list_task_files(1) == [created]
    assert board.download_task_file(1, created.id) == b"hello"
    assert [task.id for task in board.export_tasks()] == [1, 2, 3, 4]
    # No link is attached yet, so no request leaves the app.
    assert board.check_task_links(1) == []
    with pytest.raises(TaskboardError) as too_large:
        board.upload_task_file(1, Upload("big.bin", b"x" * (1024 * 1024 + 1)))
    assert too_large.value.status_code == 413


def test_the_user_directory_and_logging_in(app: FastAPI) -> None:
    # Signing up and the directory are public: a client that has not logged in.
    with TestClient(app) as http:
        board = TaskboardClient(http)
        team = [UserCreate(username=name, password=PASSWORD) for name in ("ada", "lin")]
        ada, lin = board.create_users(team)
        assert board.list_users(offset=1, limit=5) == [lin]
        token = board.log_in("ada", PASSWORD)
        assert (token.token_type, token.scope) == ("bearer", "tasks:read tasks:write")
        http.headers["Authorization"] = f"Bearer {token.access_token}"
        assert board.read_me() == ada
        board.delete_user(ada.id)
        assert board.list_users() == [lin]
        with pytest.raises(TaskboardError) as taken:
            board.create_users(team[1:])
    assert (taken.value.status_code, taken.value.detail) == (409, "Username 'lin' is already taken")


def test_a_422_carries_the_error_list(board: TaskboardClient) -> None:
    with pytest.raises(TaskboardError) as refused:
        board.list_tasks(limit=1000)
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"] == ["query", "limit"]


def test_it_works_against_a_real_server_over_httpx2() -> None:
    port = free_port()
    command = fastapi_command(
        "run", "taskboard/main.py", "--host", "127.0.0.1", "--port", str(port)
    )
    with (
        running_server(command, port=port, cwd=ROOT, ready_path="/health") as url,
        httpx2.Client(base_url=url) as http,
    ):
        board = TaskboardClient(http)
        http.headers["Authorization"] = (
            f"Bearer {board.log_in('demo', 'demo password').access_token}"
        )
        assert board.read_task(1).title == "Write the README"
        assert board.read_me().username == "demo"
        with pytest.raises(TaskboardError) as missing:
            board.read_user(99)
    assert missing.value.detail == "User 99 not found"


# --- it cannot drift from the schema ----------------------------------------------------------


def _methods() -> dict[str, Any]:
    return {
        name: method
        for name, method in inspect.getmembers(TaskboardClient, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_operation_of_the_schema_has_a_method_and_no_method_is_extra(
    schema: dict[str, Any],
) -> None:
    live = {
        op_id for op_id, (_, _, op) in _by_operation_id(schema).items() if not op.get("deprecated")
    }
    assert set(OPERATIONS) == live, "update OPERATIONS and the methods in course/client.py"
    assert set(_methods()) == live


def test_each_method_calls_the_path_and_method_of_its_operation(schema: dict[str, Any]) -> None:
    operations = _by_operation_id(schema)
    for op_id, (method, path) in OPERATIONS.items():
        assert operations[op_id][:2] == (method, path), op_id


def _model_in(hint: Any) -> type[BaseModel] | None:
    """The model a parameter sends: `UserCreate`, or the items of `list[UserCreate]`."""
    if typing.get_origin(hint) is list:
        hint = typing.get_args(hint)[0]
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def test_each_method_takes_the_parameters_of_its_operation(schema: dict[str, Any]) -> None:
    for op_id, (_, _, operation) in _by_operation_id(schema).items():
        if op_id not in OPERATIONS:
            continue
        # Headers aside: the only one documented is `If-None-Match` (lesson 12's 304s), and the
        # client always wants the body, so it never sends one.
        documented = {
            param["name"] for param in operation.get("parameters", []) if param["in"] != "header"
        }
        body = operation.get("requestBody", {}).get("content", {})
        if "application/x-www-form-urlencoded" in body:
            # OAuth2's login form (lesson 08): the fields Taskboard reads, named as in the form.
            form = schema["components"]["schemas"][
                _schema_name(body["application/x-www-form-urlencoded"]["schema"])
            ]
            documented |= set(form["required"]) | {"scope"}
        elif "multipart/form-data" in body:
            # A form (lesson 06's upload): one argument per form field, named as the field.
            form = schema["components"]["schemas"][
                _schema_name(body["multipart/form-data"]["schema"])
            ]
            documented |= set(form["properties"])
        elif body:
            documented.add("<body>")
        hints = typing.get_type_hints(_methods()[op_id])
        taken = {
            "<body>" if _model_in(hints[name]) else name
            for name in inspect.signature(_methods()[op_id]).parameters
            if name != "self"
        }
        assert taken == documented, op_id


def _schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def test_each_method_sends_and_returns_the_models_of_its_operation(schema: dict[str, Any]) -> None:
    for op_id, (_, _, operation) in _by_operation_id(schema).items():
        if op_id not in OPERATIONS:
            continue
        hints = typing.get_type_hints(_methods()[op_id])
        returned = hints.pop("return")
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success].get("content", {}).get("application/json")
        model = typing.get_args(returned)[0] if typing.get_origin(returned) is list else returned
        expected = _schema_name(content["schema"]) if content else None
        assert (model.__name__ if expected else None) == expected, op_id
        bodies = [model.__name__ for model in map(_model_in, hints.values()) if model]
        sent = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        assert bodies == ([_schema_name(sent["schema"])] if sent else []), op_id


def test_the_models_have_the_fields_of_the_schemas_components(schema: dict[str, Any]) -> None:
    # The client validates answers with these models: same fields, same required ones.
    components = schema["components"]["schemas"]
    for model in (TaskCreate, TaskPublic, TaskUpdate, ChecklistItem, UserCreate, UserPublic):
        published = components[model.__name__]
        local = model.model_json_schema(ref_template="#/components/schemas/{model}")
        assert published["properties"].keys() == local["properties"].keys(), model.__name__
        assert published.get("required") == local.get("required"), model.__name__


def test_a_client_newer_than_the_server_is_caught() -> None:
    # The lesson-02 app has no checklist route: a client built later calls what is not there.
    older = checkpoint("02").openapi()["paths"]
    served = {operation["operationId"] for item in older.values() for operation in item.values()}
    assert set(OPERATIONS) - served == {
        "add_checklist_item",
        "list_labels",
        "list_label_tasks",
        "read_stats",
        "read_board_stats",
        "ready",
        "upload_task_file",
        "list_task_files",
        "download_task_file",
        "export_tasks",
        "check_task_links",
        "list_users",
        "create_users",
        "delete_user",
        "log_in",
        "read_me",
    }
