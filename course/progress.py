"""Progress at a glance: every check records its verdict, and `progress()` shows them all.

Each check (`course/checks/`) calls `record()` with its verdict. Verdicts are kept in a small
JSON file on this computer only, `.course-progress.json` at the top of the course folder (git
ignores it); nothing is sent anywhere. `progress()` shows, for each lesson with exercises, each
task: done, failed or not tried. The latest verdict of a task counts, so a check run again
after a fix turns "failed" into "done".

`COURSE_PROGRESS_FILE` names another file, or `:memory:` to keep verdicts in the running process
only: the tests and `make execute` use that, so each notebook's kernel starts with no progress
and stored outputs never depend on the developer's own.

Saving progress must never spoil a check: a damaged or unwritable file is reported once, in one
line, and the verdicts are kept in memory instead.

In a terminal: `make progress`, or `python -m course [NN]` (course/__main__.py).
"""

import html
import json
import os
import pkgutil
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "MEMORY", "Progress", "progress", "progress_file", "record"]

ENV_VAR = "COURSE_PROGRESS_FILE"
MEMORY = ":memory:"
FILE_NAME = ".course-progress.json"
ROOT = Path(__file__).resolve().parent.parent
_FORMAT = 1
# Lesson 00's warm-up shows how a check looks; it is not an exercise task.
_NOT_EXERCISES = {"00"}
_HEADING = re.compile(r"^#\s*\d\d\s*·\s*(?P<title>.+?)\s*$")

DONE, FAILED, NOT_TRIED = "done", "failed", "not tried"
_MARKS = {DONE: "✔", FAILED: "✘", NOT_TRIED: "·"}

# Verdicts not (yet) in the file: all of them in memory mode, or when saving failed.
_unsaved: dict[tuple[str, str], dict[str, Any]] = {}
# Problems already reported, so each is told once per kernel.
_told: set[str] = set()


def progress_file() -> Path | None:
    """Where verdicts are saved, or None when they are kept in memory only."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    if chosen == MEMORY:
        return None
    return Path(chosen).expanduser() if chosen else ROOT / FILE_NAME


def _tell_once(message: str) -> None:
    if message not in _told:
        _told.add(message)
        print(f"({message})")


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _read(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The saved verdicts, lesson -> task -> verdict; {} when the file is missing or damaged.

    A file that exists but cannot be read raises OSError.
    """
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(content)  # bytes that are not UTF-8 are a ValueError too
        saved = data["verdicts"]
        if not isinstance(saved, dict):
            raise TypeError(type(saved).__name__)
    except (ValueError, TypeError, KeyError):
        _tell_once(
            f"Your progress file {path} is damaged, so your progress starts afresh: "
            "the next check replaces it."
        )
        return {}
    return {
        lesson: {
            task: verdict
            for task, verdict in tasks.items()
            if isinstance(verdict, dict) and isinstance(verdict.get("passed"), bool)
        }
        for lesson, tasks in saved.items()
        if isinstance(tasks, dict)
    }


def _write(path: Path, verdicts: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Replace the file in one step: a reader sees the old file or the new one, never half."""
    text = json.dumps({"format": _FORMAT, "verdicts": verdicts}, indent=2, sort_keys=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(lesson: str, task: str, *, passed: bool) -> None:
    """Save a check's verdict. Never raises: a check's own verdict matters more."""
    try:
        _unsaved[(lesson, task)] = {
            "passed": passed,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        path = progress_file()
        if path is None:
            return
        verdicts = _read(path)
        for (saved_lesson, saved_task), verdict in _unsaved.items():
            verdicts.setdefault(saved_lesson, {})[saved_task] = verdict
        _write(path, verdicts)
        _unsaved.clear()
    except Exception as exc:
        _tell_once(
            f"Your progress could not be saved to {progress_file()}: {_reason(exc)}. "
            "This kernel keeps it until it restarts."
        )


def _verdicts() -> dict[tuple[str, str], bool]:
    """Every known verdict: the file's, then this process's unsaved ones on top."""
    path = progress_file()
    try:
        saved = _read(path) if path else {}
    except OSError as exc:
        _tell_once(f"Your progress could not be read from {path}: {_reason(exc)}.")
        saved = {}
    known = {
        (lesson, task): verdict["passed"]
        for lesson, tasks in saved.items()
        for task, verdict in tasks.items()
    }
    known.update({key: verdict["passed"] for key, verdict in _unsaved.items()})
    return known


def lessons() -> list[str]:
    """The lessons with exercise checks, "01", "02"…: one `course/checks/lessonNN.py` each."""
    from course import checks

    found = (name.removeprefix("lesson") for _, name, _ in pkgutil.iter_modules(checks.__path__))
    return sorted(n for n in found if re.fullmatch(r"\d\d", n) and n not in _NOT_EXERCISES)


def lesson_title(lesson: str) -> str:
    """The title of `notebooks/NN_*.ipynb`, from its first line ("# 01 · First steps")."""
    for path in sorted((ROOT / "notebooks").glob(f"{lesson}_*.ipynb")):
        try:
            source = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
            first = "".join(source).partition("\n")[0]
        except (OSError, ValueError, LookupError, TypeError):
            continue
        match = _HEADING.match(first)
        if match:
            return match["title"]
    return ""


@dataclass(frozen=True)
class Row:
    lesson: str
    task: str
    title: str
    status: str


class Progress:
    """A snapshot of the progress table: plain text in a terminal, a table in a notebook."""

    def __init__(self, rows: list[Row], titles: dict[str, str]) -> None:
        self.rows = rows
        self.titles = titles

    def status(self, lesson: str, task: str) -> str:
        """The status of one task: `progress().status("01", "Task 3")` -> "done"."""
        for row in self.rows:
            if row.lesson == lesson and row.task == task:
                return row.status
        raise KeyError(f"lesson {lesson} has no {task!r}")

    def summary(self) -> str:
        """ "3 of 17 tasks done, 1 failed, 13 not tried.", leaving out what counts none."""
        done = sum(r.status == DONE for r in self.rows)
        others = [
            f"{count} {status}"
            for status in (FAILED, NOT_TRIED)
            if (count := sum(r.status == status for r in self.rows))
        ]
        return ", ".join([f"{done} of {len(self.rows)} tasks done", *others]) + "."

    def _heading(self, lesson: str) -> str:
        title = self.titles.get(lesson)
        return f"Lesson {lesson} · {title}" if title else f"Lesson {lesson}"

    def __str__(self) -> str:
        lines = [f"Your progress: {self.summary()}"]
        width = max((len(r.task) for r in self.rows), default=0)
        shown = None
        for row in self.rows:
            if row.lesson != shown:
                shown = row.lesson
                lines += ["", self._heading(row.lesson)]
            mark = f"{_MARKS[row.status]} {row.status}"
            lines.append(f"  {mark:<11}  {row.task:<{width}}  {row.title}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        left = ' style="text-align: left"'
        body = []
        for index, row in enumerate(self.rows):
            cells = []
            if index == 0 or self.rows[index - 1].lesson != row.lesson:
                span = sum(r.lesson == row.lesson for r in self.rows)
                cells.append(
                    f'<th rowspan="{span}"{left}>{html.escape(self._heading(row.lesson), quote=False)}</th>'
                )
            cells += [
                f"<td{left}>{html.escape(row.task, quote=False)}</td>",
                f"<td{left}>{_MARKS[row.status]} {row.status}</td>",
                f"<td{left}>{html.escape(row.title, quote=False)}</td>",
            ]
            body.append(f"<tr>{''.join(cells)}</tr>")
        head = "".join(f"<th{left}>{name}</th>" for name in ("lesson", "task", "status", "checks"))
        return (
            f"<p>Your progress: {html.escape(self.summary(), quote=False)}</p>\n"
            f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body)
            + "\n</tbody>\n</table>"
        )


def _lesson_number(lesson: str | int) -> str:
    text = str(lesson).strip()
    return f"{int(text):02d}" if text.isdigit() else text


def progress(lesson: str | int | None = None) -> Progress:
    """Each lesson's tasks, done, failed or not tried; `progress("02")` shows lesson 02 only."""
    from course.checks import checks_of

    known = lessons()
    if lesson is None:
        chosen = known
    else:
        number = _lesson_number(lesson)
        if number not in known:
            raise ValueError(
                f"There is no lesson {number} with exercises: the lessons are {', '.join(known)}."
            )
        chosen = [number]
    verdicts = _verdicts()
    rows = []
    for number in chosen:
        checks: tuple[Callable[..., Any], ...] = checks_of(number)
        for check in checks:
            task: str = check.task  # type: ignore[attr-defined]
            passed = verdicts.get((number, task))
            status = NOT_TRIED if passed is None else DONE if passed else FAILED
            rows.append(Row(number, task, check.success, status))  # type: ignore[attr-defined]
    return Progress(rows, {number: lesson_title(number) for number in chosen})


def main(argv: list[str]) -> int:
    """`python -m course [NN]`: the table, then where it is kept."""
    try:
        table = progress(argv[0] if argv else None)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(table)
    path = progress_file()
    print(
        f"\nSaved on this computer only, in {path}."
        if path
        else f"\nNot saved: {ENV_VAR}={MEMORY}."
    )
    return 0
