"""Lesson 06 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is built as the exercise builds it: Taskboard after lesson 05 (`checkpoint("05")`)
with the learner's routes or lifespan added.
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from types import ModuleType
from typing import Annotated, Any

import httpx2
import pytest
from fastapi import APIRouter, FastAPI, File, HTTPException, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from course import checkpoint
from course.checks import _probe_for, checks_of, lesson06
from taskboard.api.deps import HttpClientDep, StoreDep
from taskboard.models import Attachment, LinkCheck, TaskFilePublic, TaskPublic
from tests.checking import failure

ALL_CHECKS = checks_of("06")
AWAIT = "`await`"


# Mistaken apps drop coroutines: their warnings are collected within each test (conftest.py).
pytestmark = pytest.mark.usefixtures("no_coroutine_outlives_its_test")


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    exc = failure(checker, checkpoint("05"))
    assert exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_06_passes_and_keeps_no_check_data(checker) -> None:
    app = checkpoint("06")
    client = TestClient(app)
    before = client.get("/export/tasks").text
    checker(app)
    checker(app)  # and again, as a learner re-running the cell
    assert client.get("/export/tasks").text == before


# Task 1: the JSON Lines export ---------------------------------------------------------------


def export_app(style: str) -> FastAPI:
    """Task 1 answered in `style`: a correct one, or one typical mistake."""
    app = checkpoint("05")

    if style == "streaming-response":
        # Correct, unlike the solution: StreamingResponse with lines written by hand.

        async def lines(store: Any) -> AsyncIterator[str]:
            async for task in store.iter_tasks():
                yield task.model_dump_json() + "\n"

        @app.get("/export/tasks")
        async def export(store: StoreDep) -> StreamingResponse:
            return StreamingResponse(lines(store), media_type="application/jsonl")

    elif style == "dicts-without-return-type":
        # Correct: every task found another way, dicts yielded, no return type.

        @app.get("/export/tasks")
        async def export_dicts(store: StoreDep):
            for task in await store.search(""):
                yield task.model_dump()

    elif style == "list":

        @app.get("/export/tasks")
        async def export_list(store: StoreDep) -> list[TaskPublic]:
            return [task async for task in store.iter_tasks()]

    elif style == "first-page":

        @app.get("/export/tasks")
        async def export_page(store: StoreDep) -> Any:
            for task in await store.list_tasks():
                yield task

    elif style == "joined":

        @app.get("/export/tasks")
        async def export_joined(store: StoreDep) -> Response:
            text = "".join([task.model_dump_json() + "\n" async for task in store.iter_tasks()])
            return Response(text, media_type="application/jsonl")

    elif style == "no-final-newline":

        async def separated(store: Any) -> AsyncIterator[str]:
            first = True
            async for task in store.iter_tasks():
                yield ("" if first else "\n") + task.model_dump_json()
                first = False

        @app.get("/export/tasks")
        async def export_separated(store: StoreDep) -> StreamingResponse:
            return StreamingResponse(separated(store), media_type="application/jsonl")

    elif style == "python-repr":

        async def reprs(store: Any) -> AsyncIterator[str]:
            async for task in store.iter_tasks():
                yield f"{task!r}\n"

        @app.get("/export/tasks")
        async def export_reprs(store: StoreDep) -> StreamingResponse:
            return StreamingResponse(reprs(store), media_type="application/jsonl")

    elif style == "newest-first":

        @app.get("/export/tasks")
        async def export_reversed(store: StoreDep) -> Any:
            for task in reversed(await store.search("")):
                yield task

    elif style == "titles-only":

        @app.get("/export/tasks")
        async def export_titles(store: StoreDep) -> Any:
            async for task in store.iter_tasks():
                yield {"id": task.id, "title": task.title}

    elif style == "sync-for":

        @app.get("/export/tasks")
        async def export_sync_for(store: StoreDep) -> Any:
            for task in store.iter_tasks():
                yield task

    return app


@pytest.mark.parametrize("style", ["streaming-response", "dicts-without-return-type"])
def test_another_correct_export_passes(style: str) -> None:
    app = export_app(style)
    lesson06.export_tasks(app)
    lesson06.export_tasks(app)


def test_returning_a_list_is_not_json_lines() -> None:
    exc = failure(lesson06.export_tasks, export_app("list"))
    assert exc.problem.startswith("the answer should be JSON Lines")
    assert "application/json" in exc.expected
    assert "yield" in exc.hint


def test_the_first_page_only_is_caught() -> None:
    exc = failure(lesson06.export_tasks, export_app("first-page"))
    assert "should all be there" in exc.problem
    assert "iter_tasks" in exc.hint


def test_an_export_built_whole_is_not_streamed() -> None:
    exc = failure(lesson06.export_tasks, export_app("joined"))
    assert "came in one piece" in exc.problem
    assert "yield" in exc.hint


def test_a_missing_final_newline_is_caught() -> None:
    exc = failure(lesson06.export_tasks, export_app("no-final-newline"))
    assert exc.problem == "each line, the last one too, should end with a newline."


def test_lines_that_are_not_json_are_caught() -> None:
    exc = failure(lesson06.export_tasks, export_app("python-repr"))
    assert exc.problem == "a line of the answer is not JSON."
    assert exc.got.startswith("TaskPublic(")


def test_the_wrong_order_is_caught() -> None:
    exc = failure(lesson06.export_tasks, export_app("newest-first"))
    assert "in the order the tasks were created" in exc.problem


def test_tasks_without_all_their_fields_are_caught() -> None:
    exc = failure(lesson06.export_tasks, export_app("titles-only"))
    assert "a whole task" in exc.problem
    assert "every field" in exc.hint


def test_a_plain_for_over_the_async_generator_gets_the_async_for_hint() -> None:
    exc = failure(lesson06.export_tasks, export_app("sync-for"))
    assert "TypeError" in exc.got
    assert "`async for`" in exc.hint


# Task 2: uploads within a limit ---------------------------------------------------------------


def upload_app(style: str = "chunks", **mistakes: bool) -> FastAPI:
    """Task 2 answered in `style` ("chunks", "size-first", "router"), with one typical mistake
    turned on by each keyword."""
    app = checkpoint("05")
    router = APIRouter(prefix="/tasks/{task_id}/files")

    async def read(file: UploadFile, limit: int) -> bytes:
        if mistakes.get("whole_file_first"):
            content = await file.read()
            if len(content) > limit:
                raise HTTPException(413, f"File too large: the limit is {limit} bytes")
            return content
        if mistakes.get("one_chunk"):
            return await file.read(64 * 1024)
        if style == "size-first":
            # Correct: Starlette counted the bytes while parsing; refuse before reading any.
            if file.size is not None and file.size > limit:
                raise HTTPException(status_code=413, detail=f"Max {limit} bytes per file")
            return await file.read()
        content = bytearray()
        while chunk := await file.read(1024):
            content += chunk
            too_big = len(content) >= limit if mistakes.get("off_by_one") else len(content) > limit
            if too_big and not mistakes.get("no_limit"):
                if mistakes.get("value_error"):
                    raise ValueError("too big")
                detail = "Too large" if mistakes.get("vague_detail") else f"{limit} bytes at most"
                raise HTTPException(413, detail)
        return bytes(content)

    async def upload(
        task_id: int, file: Annotated[UploadFile, File()], request: Request
    ) -> TaskFilePublic:
        store = request.app.state.store
        limit = request.app.state.settings.max_file_bytes
        try:
            content = await read(file, limit)
        except HTTPException as refused:
            if mistakes.get("keeps_the_part_read"):
                # as if each chunk had been written to storage as it came: half a file stays
                await store.add_file(task_id, file.filename, file.content_type, b"partial")
            raise refused
        if mistakes.get("swallow_unknown_task"):
            try:
                await store.get(task_id)
            except LookupError:
                raise HTTPException(413, f"{limit} bytes at most") from None
        if mistakes.get("no_await"):
            return store.add_file(task_id, file.filename, file.content_type, content)
        return await store.add_file(task_id, file.filename, file.content_type, content)

    async def upload_optional(
        task_id: int, request: Request, file: UploadFile | None = None
    ) -> TaskFilePublic:
        return await upload(task_id, file, request)

    async def list_files(task_id: int, store: StoreDep) -> list[TaskFilePublic]:
        return await store.list_files(task_id)

    route = upload_optional if mistakes.get("optional_file") else upload
    if style == "router":
        router.post("", status_code=201)(route)
        router.get("")(list_files)
        app.include_router(router)
    else:
        status = 200 if mistakes.get("status_200") else 201
        app.post("/tasks/{task_id}/files", status_code=status)(route)
        app.get("/tasks/{task_id}/files")(list_files)
    return app


@pytest.mark.parametrize("style", ["size-first", "router"])
def test_another_correct_upload_passes(style: str) -> None:
    app = upload_app(style)
    lesson06.upload_files(app)
    lesson06.upload_files(app)


def test_no_limit_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(no_limit=True))
    assert exc.problem == "A file of 1,048,577 bytes, one more than the limit, should answer 413."
    assert "HTTPException(413" in exc.hint


def test_refusing_the_file_at_exactly_the_limit_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(off_by_one=True))
    assert exc.problem.startswith("Uploading exactly-the-limit.bin (1,048,576 bytes")
    assert "exactly max_file_bytes is allowed" in exc.hint


def test_an_error_instead_of_a_413_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(value_error=True))
    assert exc.got == "ValueError: too big"
    assert "raise HTTPException(413" in exc.hint


def test_a_detail_that_does_not_name_the_limit_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(vague_detail=True))
    assert "mentioning '1048576'" in exc.problem


def test_half_a_refused_file_left_behind_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(keeps_the_part_read=True))
    assert exc.problem == (
        "the task should list the two files it accepted, and nothing of the refused one."
    )
    assert "before you store anything" in exc.hint


def test_reading_only_the_first_chunk_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(one_chunk=True))
    assert exc.problem == "the answer should describe the stored file."
    assert '"size": 1048576' in exc.expected
    assert "every byte" in exc.hint


def test_reading_the_whole_upload_before_checking_its_size_is_caught() -> None:
    exc = failure(lesson06.upload_files, upload_app(whole_file_first=True))
    assert exc.problem.startswith("refusing a 8 MiB file took")
    assert "the whole file was read before its size was checked" in exc.problem
    assert "in chunks" in exc.hint


def test_a_201_is_expected_not_a_200() -> None:
    exc = failure(lesson06.upload_files, upload_app(status_200=True))
    assert exc.got.startswith("200 ")
    assert "status_code=201" in exc.hint


def test_an_optional_file_parameter_breaks_on_a_form_without_it() -> None:
    exc = failure(lesson06.upload_files, upload_app(optional_file=True))
    assert exc.sent.startswith("POST /tasks/")
    assert "'attachment'" in exc.sent
    assert "`file: UploadFile`" in exc.hint


def test_an_unknown_task_must_stay_a_404() -> None:
    exc = failure(lesson06.upload_files, upload_app(swallow_unknown_task=True))
    assert exc.problem == "Uploading to a task that does not exist should answer 404."
    assert "TaskNotFound" in exc.hint


def test_a_store_call_without_await_is_named() -> None:
    exc = failure(lesson06.upload_files, upload_app(no_await=True))
    assert "coroutine" in exc.problem
    assert AWAIT in exc.hint


# Task 3: the lifespan's shared client ---------------------------------------------------------


def lifespan_app(style: str) -> FastAPI:
    app = checkpoint("05")
    shared = httpx2.AsyncClient()

    if style == "explicit-close":
        # Correct, unlike the solution: created and closed by hand, a bare async generator.

        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            app.state.http = httpx2.AsyncClient(timeout=2.0)
            yield
            await app.state.http.aclose()

        app.include_router(APIRouter(lifespan=lifespan))
        return app
    if style == "new-app":
        # Correct: a new app built with the lifespan, rather than the catch-up app.

        @asynccontextmanager
        async def own_lifespan(app: FastAPI) -> AsyncIterator[None]:
            async with httpx2.AsyncClient() as client:
                app.state.http = client
                yield

        return FastAPI(lifespan=own_lifespan)

    @asynccontextmanager
    async def mistaken(app: FastAPI) -> AsyncIterator[None]:
        if style == "module-client":
            app.state.http = shared
            yield
        elif style == "never-closed":
            app.state.http = httpx2.AsyncClient()
            yield
        elif style == "closed-before-yield":
            async with httpx2.AsyncClient() as client:
                app.state.http = client
            yield
        elif style == "sync-client":
            with httpx2.Client() as client:
                app.state.http = client
                yield
        else:
            yield

    if style != "not-attached":
        app.include_router(APIRouter(lifespan=mistaken))
    return app


@pytest.mark.parametrize("style", ["explicit-close", "new-app"])
def test_another_correct_lifespan_passes(style: str) -> None:
    app = lifespan_app(style)
    lesson06.shared_client(app)
    lesson06.shared_client(app)


def test_a_lifespan_never_given_to_the_app_is_caught() -> None:
    exc = failure(lesson06.shared_client, lifespan_app("not-attached"))
    assert "holds nothing" in exc.problem
    assert "include_router(APIRouter(lifespan=lifespan))" in exc.hint


def test_a_client_made_once_for_every_run_is_caught() -> None:
    exc = failure(lesson06.shared_client, lifespan_app("module-client"))
    assert "the same client again" in exc.problem
    assert "inside the lifespan" in exc.hint


def test_a_client_never_closed_is_caught() -> None:
    exc = failure(lesson06.shared_client, lifespan_app("never-closed"))
    assert exc.problem == "after shutdown, the client the app opened at startup is still open."
    assert "aclose()" in exc.hint


def test_a_client_closed_before_the_yield_is_caught() -> None:
    exc = failure(lesson06.shared_client, lifespan_app("closed-before-yield"))
    assert exc.problem == "app.state.http is closed already while the app runs."
    assert "inside the `async with" in exc.hint


def test_a_sync_client_is_caught() -> None:
    exc = failure(lesson06.shared_client, lifespan_app("sync-client"))
    assert exc.problem == "app.state.http holds Client, not an httpx2.AsyncClient."


def test_a_client_made_per_request_is_not_shared() -> None:
    app = checkpoint("05")

    @app.get("/owners/{name}")
    async def owner(name: str) -> dict[str, str]:
        async with httpx2.AsyncClient() as http:  # a new pool for every request
            assert http
        return {"name": name}

    exc = failure(lesson06.shared_client, app)
    assert "holds nothing" in exc.problem


# Task 4: link checks --------------------------------------------------------------------------


def links_app(style: str = "gather", **mistakes: bool) -> FastAPI:
    """Task 4 answered in `style` ("gather", "task-group", "tasks"), with one typical mistake
    turned on by each keyword."""
    app = checkpoint("05")

    async def one(http: Any, link: Attachment) -> dict[str, Any]:
        try:
            if mistakes.get("get"):
                response = await http.get(link.url)
            elif mistakes.get("forget_await"):
                response = http.head(link.url)
            else:
                response = await http.request("HEAD", link.url)
        except httpx2.HTTPError:
            if mistakes.get("not_caught"):
                raise
            return {"name": link.name, "url": link.url, "status": None, "ok": False}
        ok = response.is_success if mistakes.get("success_only") else response.status_code < 400
        return {"name": link.name, "url": link.url, "status": response.status_code, "ok": ok}

    @app.get("/tasks/{task_id}/links")
    async def links(task_id: int, store: StoreDep, http: HttpClientDep) -> list[LinkCheck]:
        comments = await store.list_comments(task_id)
        found = [link for comment in comments for link in comment.attachments]
        if mistakes.get("own_client"):
            web = httpx2.MockTransport(lambda request: httpx2.Response(200))
            http = httpx2.AsyncClient(transport=web)
        if mistakes.get("first_comment_only"):
            found = comments[0].attachments if comments else []
        if mistakes.get("one_by_one"):
            return [await one(http, link) for link in found]
        if mistakes.get("asyncio_run"):
            return asyncio.run(asyncio.gather(*(one(http, link) for link in found)))
        if mistakes.get("gather_not_awaited"):
            return asyncio.gather(*(one(http, link) for link in found))
        if mistakes.get("as_completed"):
            return [await done for done in asyncio.as_completed([one(http, x) for x in found])]
        if style == "task-group":
            # Correct, unlike the solution: Python 3.11's TaskGroup, results kept in order.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(http, link)) for link in found]
            return [task.result() for task in tasks]
        if style == "tasks":
            # Correct: tasks started first, then awaited in order.
            started = [asyncio.ensure_future(one(http, link)) for link in found]
            return [await task for task in started]
        return await asyncio.gather(*(one(http, link) for link in found))

    return app


@pytest.mark.parametrize("style", ["task-group", "tasks"])
def test_another_correct_link_check_passes(style: str) -> None:
    app = links_app(style)
    lesson06.link_checks(app)
    lesson06.link_checks(app)


def test_the_check_leaves_the_apps_own_client_or_none() -> None:
    without = links_app()
    lesson06.link_checks(without)
    assert not hasattr(without.state, "http")
    taskboard = checkpoint("06")
    lesson06.link_checks(taskboard)
    # the client of the check's own run of the lifespan, which closed it, not the fake web's
    assert taskboard.state.http.is_closed


def test_links_checked_one_after_another_are_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(one_by_one=True))
    assert exc.problem.startswith("the links were checked one after another")
    assert "asyncio.gather" in exc.hint


def test_a_link_that_does_not_answer_must_not_fail_the_answer() -> None:
    exc = failure(lesson06.link_checks, links_app(not_caught=True))
    assert exc.problem == "a link that does not answer made your app raise ConnectError."
    assert "catch httpx2.HTTPError" in exc.hint


def test_get_instead_of_head_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(get=True))
    assert exc.problem == "the links got GET requests, not HEAD."


def test_ok_for_success_only_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(success_only=True))
    assert "answers 301, so its `ok` should be true" in exc.problem
    assert "below 400" in exc.hint


def test_asyncio_run_in_a_route_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(asyncio_run=True))
    assert "RuntimeError" in (exc.got or "") or "without `await`" in exc.problem
    assert AWAIT in exc.hint


def test_a_gather_not_awaited_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(gather_not_awaited=True))
    assert "_GatheringFuture" in exc.got
    assert "`await` it" in exc.hint


def test_a_request_not_awaited_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(forget_await=True))
    assert "without `await`" in exc.problem
    assert AWAIT in exc.hint


def test_results_in_the_order_they_finish_are_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(as_completed=True))
    assert "in the order of the comments" in exc.problem
    assert "gather keeps the order" in exc.hint


def test_links_of_the_first_comment_only_are_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(first_comment_only=True))
    assert "one entry per link" in exc.problem


def test_a_client_of_the_routes_own_is_caught() -> None:
    exc = failure(lesson06.link_checks, links_app(own_client=True))
    assert exc.problem == "no request reached the links, yet the answer has entries."
    assert "request.app.state.http" in exc.hint


# The hand-made requests ----------------------------------------------------------------------


def test_a_body_goes_in_pieces_and_a_streamed_answer_is_counted_in_pieces() -> None:
    app = FastAPI()

    @app.post("/sizes")
    async def sizes(request: Request) -> list[int]:
        return [len(piece) async for piece in request.stream() if piece]

    @app.get("/count")
    async def count() -> StreamingResponse:
        async def numbers() -> AsyncIterator[str]:
            for number in range(3):
                yield f"{number}\n"

        return StreamingResponse(numbers())

    body = [b"a" * lesson06.PIECE, b"b" * lesson06.PIECE, b"c"]
    with lesson06_probe(app) as probe:
        sent = lesson06._call(probe, "POST", "/sizes", sent="POST /sizes", body=body)
        streamed = lesson06._call(probe, "GET", "/count", sent="GET /count")
    assert sent.response.json() == [lesson06.PIECE, lesson06.PIECE, 1]
    assert sent.pieces == 1
    assert (streamed.response.text, streamed.pieces) == ("0\n1\n2\n", 3)


def test_an_endpoint_that_never_answers_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import course.checks

    monkeypatch.setattr(course.checks, "REQUEST_TIMEOUT", 0.5)
    app = checkpoint("05")

    @app.get("/export/tasks")
    async def export() -> None:
        await asyncio.Event().wait()

    exc = failure(lesson06.export_tasks, app)
    assert exc.problem == "your app did not answer within 0.5 seconds."


def lesson06_probe(app: FastAPI) -> AbstractContextManager[Any]:
    return _probe_for("Task 1", app, "06")


EXPORT_CELL = """
from collections.abc import AsyncIterable

from taskboard.api.deps import StoreDep
from taskboard.models import TaskPublic


@app.get("/export/tasks")
async def export_tasks(store: StoreDep) -> AsyncIterable[TaskPublic]:
    async for task in store.iter_tasks():
        yield task
"""
# The same cell, before it was fixed: a list, not a stream.
EXPORT_CELL_FIRST = EXPORT_CELL.replace("AsyncIterable[TaskPublic]", "list[TaskPublic]").replace(
    "    async for task in store.iter_tasks():\n        yield task",
    "    return [task async for task in store.iter_tasks()]",
)


def test_an_export_cell_fixed_and_run_again_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # A notebook's namespace, where the cell defines the route at the top level.
    notebook = ModuleType("learner_notebook")
    monkeypatch.setitem(sys.modules, notebook.__name__, notebook)
    notebook.app = checkpoint("05")
    exec(EXPORT_CELL_FIRST, notebook.__dict__)
    assert "application/jsonl" in failure(lesson06.export_tasks, notebook.app).problem
    # Fixed and run again: the first route declared for the path still answers.
    exec(EXPORT_CELL, notebook.__dict__)
    exc = failure(lesson06.export_tasks, notebook.app)
    assert "an earlier version of `export_tasks` answered" in exc.problem
    assert "Restart the kernel" in exc.hint
