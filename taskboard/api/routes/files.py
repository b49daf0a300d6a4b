"""Files attached to a task (lesson 06): uploaded as a form with `UploadFile`, listed, downloaded.

Forms and files need `python-multipart`, which parses the `multipart/form-data` body. Starlette
spools each uploaded file (in memory up to 1 MiB, then in a temporary file on disk) before the
route runs. Two limits keep an upload in bounds:

- the route's `max_body_size`: a request body above 32 MiB is refused with Starlette's plain-text
  413 while it arrives, before anything is spooled;
- the setting `max_file_bytes`: the route reads the file in chunks and answers 413, with a JSON
  `detail`, as soon as the file passes it. Nothing is stored unless the whole file was read, and
  the route never holds more than the limit plus one chunk in memory.
"""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from taskboard.api.deps import SettingsDep, StoreDep
from taskboard.api.responses import UNREADABLE_BODY
from taskboard.api.routes.tasks import TASK_NOT_FOUND, TaskId
from taskboard.models import ErrorMessage, TaskFilePublic, Text

# Reads and writes apart, so that lesson 08 can ask a different scope of each.
router = APIRouter(prefix="/tasks/{task_id}/files", tags=["tasks"])
write_router = APIRouter(prefix="/tasks/{task_id}/files", tags=["tasks"])

# The whole request body, file and multipart framing together, above which the upload route stops
# reading. Settings allow files of at most 16 MiB (taskboard/core/config.py), well below it.
MAX_UPLOAD_BODY = 32 * 1024 * 1024
CHUNK_SIZE = 64 * 1024

FileId = Annotated[int, Path(ge=1, description="The file's id.")]

TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "model": ErrorMessage,
        "description": "The file is larger than the app's `max_file_bytes`. A request body "
        "above 32 MiB is refused with a plain-text `Content Too Large` before it is read.",
    }
}
FILE_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No task has this id, or it has no such file."}
}


_TEXT: TypeAdapter[str] = TypeAdapter(Text)


def stored_text(value: str, name: str) -> str:
    """A name from the upload's own headers (its filename, its type), checked like body text.

    They come from inside the multipart body, where no model validates them, and a NUL in them
    reached the database (a 500 on PostgreSQL): it is the same 422 as anywhere else.
    """
    try:
        return _TEXT.validate_python(value)
    except ValidationError as error:
        errors = [{**found, "loc": ("body", "file", name)} for found in error.errors()]
        raise RequestValidationError(errors) from None


async def read_at_most(file: UploadFile, limit: int) -> bytes:
    """The file's bytes, read in chunks; 413 as soon as there are more than `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK_SIZE):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"File too large: the limit is {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@write_router.post(
    "",
    status_code=201,
    summary="Attach a file to a task",
    max_body_size=MAX_UPLOAD_BODY,
    responses=TASK_NOT_FOUND | TOO_LARGE | UNREADABLE_BODY,
)
async def upload_task_file(
    store: StoreDep, settings: SettingsDep, task_id: TaskId, file: UploadFile
) -> TaskFilePublic:
    """Send the file as the form field `file` (`multipart/form-data`). It is stored whole, or not
    at all: a file larger than the app's `max_file_bytes` answers 413 and leaves nothing."""
    await store.get(task_id)  # an unknown task is a 404 before any byte is read
    content = await read_at_most(file, settings.max_file_bytes)
    return await store.add_file(
        task_id,
        filename=stored_text(file.filename or "upload", "filename"),
        content_type=stored_text(file.content_type or "application/octet-stream", "content_type"),
        content=content,
    )


@router.get("", summary="List a task's files", responses=TASK_NOT_FOUND)
async def list_task_files(store: StoreDep, task_id: TaskId) -> list[TaskFilePublic]:
    """The files attached to the task, oldest first, without their bytes."""
    return await store.list_files(task_id)


def content_disposition(filename: str) -> str:
    """`attachment`, so a browser saves the file instead of showing it, with its name quoted
    as RFC 6266 asks for a name that is not plain ASCII (the way Starlette's FileResponse does)."""
    quoted = quote(filename)
    if quoted == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quoted}"


@router.get(
    "/{file_id}",
    summary="Download a file",
    response_class=Response,
    responses={
        200: {
            "description": "The file's bytes, with the media type it was uploaded with.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **FILE_NOT_FOUND,
    },
)
async def download_task_file(store: StoreDep, task_id: TaskId, file_id: FileId) -> Response:
    """The file's bytes, as uploaded. It comes as an attachment, never shown in the browser:
    its media type is whatever the uploader said, and an HTML file would run as this site."""
    file, content = await store.read_file(task_id, file_id)
    headers = {
        "Content-Disposition": content_disposition(file.filename),
        "X-Content-Type-Options": "nosniff",
    }
    return Response(content, media_type=file.content_type, headers=headers)
