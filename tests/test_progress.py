"""course.progress: every check records its verdict; progress() shows them, and never breaks a check."""

import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import FastAPI

import course
from course.checks import CheckFailed, checks_of
from course.checks import lesson01 as check
from course.progress import (
    DONE,
    FAILED,
    NOT_TRIED,
    Progress,
    Row,
    lessons,
    main,
    progress,
    progress_file,
)
from tests.conftest import ROOT


def _module() -> ModuleType:  # the module, which `course.progress` (the function) hides
    return sys.modules["course.progress"]


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh progress file, as a learner's first kernel would find it (it does not exist)."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    monkeypatch.setattr(_module(), "_unsaved", {})
    monkeypatch.setattr(_module(), "_told", set())
    return path


def _health_app(answer: str) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": answer}

    return app


def test_the_tests_never_touch_the_developers_file() -> None:
    # tests/conftest.py: every process, and every kernel it starts, keeps verdicts in memory
    assert os.environ["COURSE_PROGRESS_FILE"] == ":memory:"
    assert progress_file() is None


def test_by_default_the_file_is_at_the_top_of_the_course_and_git_ignores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    assert progress_file() == ROOT / ".course-progress.json"
    assert ".course-progress.json*" in (ROOT / ".gitignore").read_text().splitlines()


def test_course_progress_is_the_function_lesson_00_calls() -> None:
    assert course.progress is progress


def test_a_passing_check_is_recorded_as_done(saved: Path) -> None:
    check.health(_health_app("ok"))
    verdict = json.loads(saved.read_text())["verdicts"]["01"]["Task 1"]
    assert verdict["passed"] is True
    assert verdict["time"].endswith("+00:00")
    assert progress().status("01", "Task 1") == DONE


def test_a_failing_check_is_recorded_as_failed_and_still_reports(saved: Path) -> None:
    with pytest.raises(CheckFailed, match="the body is not the one asked for"):
        check.health(_health_app("OK"))
    assert json.loads(saved.read_text())["verdicts"]["01"]["Task 1"]["passed"] is False
    assert progress().status("01", "Task 1") == FAILED


def test_running_a_check_again_after_a_fix_updates_the_verdict(saved: Path) -> None:
    with pytest.raises(CheckFailed):
        check.health(_health_app("OK"))
    check.health(_health_app("ok"))
    assert progress().status("01", "Task 1") == DONE
    with pytest.raises(CheckFailed):  # the latest verdict counts, whichever it is
        check.health(_health_app("broken"))
    assert progress().status("01", "Task 1") == FAILED


def test_what_another_kernel_saved_is_kept(saved: Path) -> None:
    saved.write_text(
        json.dumps({"format": 1, "verdicts": {"02": {"Task 1": {"passed": True, "time": "x"}}}})
    )
    check.health(_health_app("ok"))
    table = progress()
    assert table.status("02", "Task 1") == DONE
    assert table.status("01", "Task 1") == DONE


def test_the_table_lists_every_task_of_every_lesson_with_exercises(saved: Path) -> None:
    table = progress()
    assert lessons() == sorted(p.stem[:2] for p in (ROOT / "solutions").glob("*.ipynb"))
    expected = [(lesson, c.task, c.success) for lesson in lessons() for c in checks_of(lesson)]
    assert [(r.lesson, r.task, r.title) for r in table.rows] == expected
    assert {r.status for r in table.rows} == {NOT_TRIED}
    text = str(table)
    assert text.startswith(f"Your progress: 0 of {len(expected)} tasks done, {len(expected)} not")
    assert "Lesson 01 · First steps" in text
    assert '  · not tried  Task 1  GET /health answers {"status": "ok"}.' in text
    assert repr(table) == text  # the last expression of a cell shows the table


def test_the_html_table_is_escaped_and_has_one_row_per_task(saved: Path) -> None:
    check.health(_health_app("ok"))
    shown = progress("01")._repr_html_()
    assert shown.startswith("<p>Your progress: 1 of 4 tasks done, 3 not tried.</p>")
    assert shown.count("<tr>") == 1 + 4  # the head, then the tasks
    assert '<th rowspan="4" style="text-align: left">Lesson 01 · First steps</th>' in shown
    assert '<td style="text-align: left">GET /health answers {"status": "ok"}.</td>' in shown
    assert "✔ done" in shown and "· not tried" in shown
    odd = Progress([Row("01", "Task 1", "answers <b> & more", DONE)], {"01": "A <title>"})
    assert "A &lt;title&gt;" in odd._repr_html_()
    assert "answers &lt;b&gt; &amp; more" in odd._repr_html_()


def test_one_lesson_by_its_number(saved: Path) -> None:
    assert {r.lesson for r in progress("02").rows} == {"02"}
    assert progress(2).rows == progress("02").rows
    with pytest.raises(ValueError, match="There is no lesson 99 with exercises: the lessons are"):
        progress("99")


def test_the_table_is_a_snapshot_that_reads_the_same_every_time(saved: Path) -> None:
    check.health(_health_app("ok"))
    first, second = progress(), progress()
    assert str(first) == str(second) and first._repr_html_() == second._repr_html_()


def test_the_file_is_replaced_whole_and_leaves_no_temporary_file(saved: Path) -> None:
    check.health(_health_app("ok"))
    with pytest.raises(CheckFailed):
        check.search_tasks(_health_app("ok"))
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]
    assert set(json.loads(saved.read_text())["verdicts"]["01"]) == {"Task 1", "Task 3"}


def test_a_write_that_fails_halfway_keeps_the_old_file(
    saved: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    check.health(_health_app("ok"))
    before = saved.read_text()

    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(CheckFailed):
        check.health(_health_app("OK"))
    assert saved.read_text() == before
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]
    assert "No space left on device" in capsys.readouterr().out
    assert progress().status("01", "Task 1") == FAILED  # this kernel still knows


def test_a_damaged_file_is_told_once_and_replaced_by_the_next_check(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved.write_text('{"verdicts": {"01": ')
    table = progress()
    assert {r.status for r in table.rows} == {NOT_TRIED}
    progress()
    check.health(_health_app("ok"))
    out = capsys.readouterr().out
    assert out.count("is damaged") == 1
    assert out.startswith(f"(Your progress file {saved} is damaged, so your progress starts")
    assert '✔ Task 1 passed: GET /health answers {"status": "ok"}.' in out
    assert json.loads(saved.read_text())["verdicts"]["01"]["Task 1"]["passed"] is True


@pytest.mark.parametrize(
    "content",
    [b"[]", b'{"verdicts": []}', b'{"other": 1}', b"", b'{"verdicts": {"01": 3}}', b"\xff\xfe"],
)
def test_a_file_of_another_shape_breaks_nothing(saved: Path, content: bytes) -> None:
    saved.write_bytes(content)
    assert {r.status for r in progress().rows} == {NOT_TRIED}
    check.health(_health_app("ok"))
    assert progress().status("01", "Task 1") == DONE


def test_an_unwritable_place_is_told_once_and_the_kernel_keeps_the_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A path below a regular file cannot be written, not even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    monkeypatch.setattr(_module(), "_unsaved", {})
    monkeypatch.setattr(_module(), "_told", set())
    check.health(_health_app("ok"))
    with pytest.raises(CheckFailed):
        check.search_tasks(_health_app("ok"))
    table = progress()
    out = capsys.readouterr().out
    assert out.count("could not be saved") == 1, out
    assert "Traceback" not in out
    assert "This kernel keeps it until it restarts." in out
    assert table.status("01", "Task 1") == DONE
    assert table.status("01", "Task 3") == FAILED


def test_memory_mode_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_module(), "_unsaved", {})
    monkeypatch.chdir(tmp_path)
    check.health(_health_app("ok"))
    assert progress().status("01", "Task 1") == DONE
    assert list(tmp_path.iterdir()) == []


def test_the_terminal_command_prints_the_table_and_where_it_is_kept(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check.health(_health_app("ok"))
    capsys.readouterr()
    assert main(["01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Your progress: 1 of 4 tasks done, 3 not tried.\n\nLesson 01 · First")
    assert out.endswith(f"\nSaved on this computer only, in {saved}.\n")
    assert main(["99"]) == 2
    assert "There is no lesson 99" in capsys.readouterr().err


def test_a_folder_in_place_of_the_file_is_told_once_and_breaks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path))
    monkeypatch.setattr(_module(), "_unsaved", {})
    monkeypatch.setattr(_module(), "_told", set())
    check.health(_health_app("ok"))
    check.health(_health_app("ok"))
    assert progress().status("01", "Task 1") == DONE
    out = capsys.readouterr().out
    assert out.count(f"(Your progress could not be saved to {tmp_path}:") == 1, out
    assert out.count(f"(Your progress could not be read from {tmp_path}:") == 1, out
    assert out.count("✔ Task 1 passed") == 2
