"""A typed Python client for Taskboard's API: one method per operation of its OpenAPI schema.

Each method is named after an `operationId`, sends the request the schema describes and returns
the model the schema promises, so calling code gets `TaskPublic` objects, not dicts:

    with httpx2.Client(base_url="http://127.0.0.1:8000") as http:      # a real server
        board = TaskboardClient(http)
        token = board.log_in("demo", "demo password")                   # lesson 08 on
        http.headers["Authorization"] = f"Bearer {token.access_token}"
        task = board.create_task(TaskCreate(title="Ship it"))

In tests, pass `TestClient(app)` instead: the same client then calls the app in-process.
tests/test_client.py checks that the methods and `OPERATIONS` still match the schema,
so the client and the API cannot drift apart. (A client in another language would generate its
models from /openapi.json; this one imports them from taskboard.models, the schema's source.
Lesson 03 says why it is written by hand rather than generated.)
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import TypeAdapter

from taskboard.api.routes.stats import RequestStats
from taskboard.models import (
    BoardStats,
    ChecklistItem,
    CommentCreate,
    CommentPublic,
    LinkCheck,
    TaskCreate,
    TaskFilePublic,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
    Token,
    UserCreate,
    UserPublic,
)

# operationId -> (method, path): what each method calls. Deprecated operations are left out.
OPERATIONS: dict[str, tuple[str, str]] = {
    "health": ("GET", "/health"),
    "ready": ("GET", "/ready"),
    "read_stats": ("GET", "/stats"),
    "read_board_stats": ("GET", "/board/stats"),
    "list_tasks": ("GET", "/tasks"),
    "create_task": ("POST", "/tasks"),
    "search_tasks": ("GET", "/tasks/search"),
    "read_task": ("GET", "/tasks/{task_id}"),
    "update_task": ("PATCH", "/tasks/{task_id}"),
    "delete_task": ("DELETE", "/tasks/{task_id}"),
    "add_checklist_item": ("POST", "/tasks/{task_id}/checklist"),
    "add_comment": ("POST", "/tasks/{task_id}/comments"),
    "list_comments": ("GET", "/tasks/{task_id}/comments"),
    "list_labels": ("GET", "/labels"),
    "list_label_tasks": ("GET", "/labels/{label}/tasks"),
    "create_user": ("POST", "/users"),
    "read_user": ("GET", "/users/{user_id}"),
    "list_users": ("GET", "/users"),
    "create_users": ("POST", "/users/batch"),
    "delete_user": ("DELETE", "/users/{user_id}"),
    "log_in": ("POST", "/auth/token"),
    "read_me": ("GET", "/auth/me"),
    "upload_task_file": ("POST", "/tasks/{task_id}/files"),
    "list_task_files": ("GET", "/tasks/{task_id}/files"),
    "download_task_file": ("GET", "/tasks/{task_id}/files/{file_id}"),
    "export_tasks": ("GET", "/export/tasks"),
    "check_task_links": ("GET", "/tasks/{task_id}/links"),
}

_TASKS = TypeAdapter(list[TaskPublic])
_COMMENTS = TypeAdapter(list[CommentPublic])
_FILES = TypeAdapter(list[TaskFilePublic])
_LINKS = TypeAdapter(list[LinkCheck])
_USERS = TypeAdapter(list[UserPublic])


class Response(Protocol):
    status_code: int
    text: str
    content: bytes

    def json(self) -> Any: ...


class HTTPClient(Protocol):
    """What the client needs: `httpx2.Client` and Starlette's `TestClient` both have it."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
    ) -> Response: ...


@dataclass(frozen=True)
class Upload:
    """A file to send as a form field: its name, its bytes and its media type."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


class TaskboardError(Exception):
    """An answer that is not a success: its status code and Taskboard's `detail`."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class TaskboardClient:
    def __init__(self, http: HTTPClient) -> None:
        self._http = http

    def _call(
        self,
        operation: str,
        *,
        path_params: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        form: dict[str, str] | None = None,
        files: dict[str, Upload] | None = None,
        raw: bool = False,
    ) -> Any:
        """Send the operation's request. The answer's JSON, or its bytes when `raw`."""
        method, path = OPERATIONS[operation]
        response = self._http.request(
            method,
            path.format(**(path_params or {})),
            params={k: v for k, v in (params or {}).items() if v is not None} or None,
            json=body,
            data=form,
            files={
                name: (upload.filename, upload.content, upload.content_type)
                for name, upload in files.items()
            }
            if files
            else None,
        )
        if response.status_code >= 400:
            try:
                detail = response.json()["detail"]
            except (ValueError, KeyError, TypeError):  # not Taskboard's {"detail": ...} shape
                detail = response.text
            raise TaskboardError(response.status_code, detail)
        if raw:
            return response.content
        return None if response.status_code == 204 else response.json()

    def health(self) -> dict[str, str]:
        return self._call("health")

    def ready(self) -> dict[str, str]:
        return self._call("ready")

    def read_stats(self) -> RequestStats:
        return RequestStats.model_validate(self._call("read_stats"))

    def read_board_stats(self) -> BoardStats:
        return BoardStats.model_validate(self._call("read_board_stats"))

    def list_tasks(
        self, status: TaskStatus | None = None, label: Sequence[str] = (), limit: int = 10
    ) -> list[TaskPublic]:
        params = {"status": status, "label": list(label) or None, "limit": limit}
        return _TASKS.validate_python(self._call("list_tasks", params=params))

    def create_task(self, task_in: TaskCreate) -> TaskPublic:
        body = task_in.model_dump(mode="json", exclude_unset=True)
        return TaskPublic.model_validate(self._call("create_task", body=body))

    def search_tasks(self, q: str) -> list[TaskPublic]:
        return _TASKS.validate_python(self._call("search_tasks", params={"q": q}))

    def read_task(self, task_id: int) -> TaskPublic:
        data = self._call("read_task", path_params={"task_id": task_id})
        return TaskPublic.model_validate(data)

    def update_task(self, task_id: int, task_in: TaskUpdate) -> TaskPublic:
        # A field the caller left out is MISSING, so model_dump() leaves it out: PATCH sends only
        # the fields to change.
        body = task_in.model_dump(mode="json")
        data = self._call("update_task", path_params={"task_id": task_id}, body=body)
        return TaskPublic.model_validate(data)

    def delete_task(self, task_id: int) -> None:
        self._call("delete_task", path_params={"task_id": task_id})

    def add_checklist_item(self, task_id: int, item: ChecklistItem) -> TaskPublic:
        body = item.model_dump(mode="json", exclude_unset=True)
        data = self._call("add_checklist_item", path_params={"task_id": task_id}, body=body)
        return TaskPublic.model_validate(data)

    def add_comment(self, task_id: int, comment_in: CommentCreate) -> CommentPublic:
        body = comment_in.model_dump(mode="json", exclude_unset=True)
        data = self._call("add_comment", path_params={"task_id": task_id}, body=body)
        return CommentPublic.model_validate(data)

    def list_comments(self, task_id: int) -> list[CommentPublic]:
        data = self._call("list_comments", path_params={"task_id": task_id})
        return _COMMENTS.validate_python(data)

    def list_labels(self) -> dict[str, int]:
        return self._call("list_labels")

    def list_label_tasks(self, label: str) -> list[TaskPublic]:
        return _TASKS.validate_python(self._call("list_label_tasks", path_params={"label": label}))

    def create_user(self, user_in: UserCreate) -> UserPublic:
        body = user_in.model_dump(mode="json", exclude_unset=True)
        return UserPublic.model_validate(self._call("create_user", body=body))

    def read_user(self, user_id: int) -> UserPublic:
        return UserPublic.model_validate(self._call("read_user", path_params={"user_id": user_id}))

    def list_users(self, offset: int = 0, limit: int = 10) -> list[UserPublic]:
        params = {"offset": offset, "limit": limit}
        return _USERS.validate_python(self._call("list_users", params=params))

    def create_users(self, users_in: list[UserCreate]) -> list[UserPublic]:
        body = [user_in.model_dump(mode="json", exclude_unset=True) for user_in in users_in]
        return _USERS.validate_python(self._call("create_users", body=body))

    def delete_user(self, user_id: int) -> None:
        self._call("delete_user", path_params={"user_id": user_id})

    def log_in(self, username: str, password: str, scope: str = "") -> Token:
        """A token for the user (a form, as OAuth2 says); send it as `Authorization: Bearer`."""
        form = {"username": username, "password": password, "scope": scope}
        return Token.model_validate(self._call("log_in", form=form))

    def read_me(self) -> UserPublic:
        return UserPublic.model_validate(self._call("read_me"))

    def upload_task_file(self, task_id: int, file: Upload) -> TaskFilePublic:
        data = self._call(
            "upload_task_file", path_params={"task_id": task_id}, files={"file": file}
        )
        return TaskFilePublic.model_validate(data)

    def list_task_files(self, task_id: int) -> list[TaskFilePublic]:
        return _FILES.validate_python(
            self._call("list_task_files", path_params={"task_id": task_id})
        )

    def download_task_file(self, task_id: int, file_id: int) -> bytes:
        path_params = {"task_id": task_id, "file_id": file_id}
        return self._call("download_task_file", path_params=path_params, raw=True)

    def export_tasks(self) -> list[TaskPublic]:
        # JSON Lines: one task per line. A client that must not hold them all would stream them.
        lines = self._call("export_tasks", raw=True).decode().splitlines()
        return [TaskPublic.model_validate(json.loads(line)) for line in lines]

    def check_task_links(self, task_id: int) -> list[LinkCheck]:
        return _LINKS.validate_python(
            self._call("check_task_links", path_params={"task_id": task_id})
        )
