"""Judging a notebook after a real Run All (tests/test_jupyterlab.py): what ran, what failed,
and whether the fresh outputs are the stored ones, compared as nbval compares them.
"""

import copy
import re
from collections import defaultdict

import nbformat
from nbval.plugin import (
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
    get_sanitize_patterns,
    transform_streams_for_comparison,
)

from tests.conftest import ROOT

SANITIZE = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())
# In JupyterLab, course.lab.docs_link() gives the proxy's address (http://127.0.0.1:<lab port>/
# proxy/<port>/docs); run by nbval or nbconvert, the server's own (http://127.0.0.1:<port>/docs).
# Each is right where it is printed.
BROWSER_ONLY = [(r"(127\.0\.0\.1:<port>)/proxy/\d+/", r"\1/")]
# What nbval leaves out of a comparison (nbval/plugin.py, IPyNbFile.skip_compare, without
# --nbdime): metadata, tracebacks, counts, random widget ids, and images.
SKIP_COMPARE = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}
# What a check's short report never shows: a traceback's frames, or its colours.
FRAME = re.compile(r"Traceback \(most recent call last\)|^\s*File \"|Cell In\[|^-+> |\x1b\[", re.M)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _where(index: int, cell: nbformat.NotebookNode) -> str:
    first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"code cell {index + 1} ({first_line[:60]!r})"


def errors(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [output for output in cell.outputs if output.output_type == "error"]


def error_text(output: nbformat.NotebookNode) -> str:
    """An error output as the notebook shows it."""
    return "\n".join(output.traceback) or f"{output.ename}: {output.evalue}"


def _unrun(cells: list[nbformat.NotebookNode]) -> list[str]:
    return [
        f"{_where(i, cell)} did not run"
        for i, cell in enumerate(cells)
        if cell.execution_count is None
    ]


def _failures(index: int, cell: nbformat.NotebookNode) -> list[str]:
    return [f"{_where(index, cell)} failed:\n{error_text(error)}" for error in errors(cell)]


def nbval_options(cell: nbformat.NotebookNode) -> dict[str, bool]:
    """What nbval's tags and comments say about a cell: `check`, `check_exception`, `skip`."""
    options = defaultdict(bool, find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    options.setdefault("check", True)  # strict: --nbval, not --nbval-lax
    return options


def _sanitize(value: object) -> object:
    if not isinstance(value, str):
        return value
    for regex, replace in [*SANITIZE, *BROWSER_ONLY]:
        value = re.sub(regex, replace, value)
    return value


def comparable(outputs: list[nbformat.NotebookNode]) -> dict[str, list[object]]:
    """A cell's outputs as nbval compares them: streams merged, values by key, sanitized."""
    merged = transform_streams_for_comparison(coalesce_streams(copy.deepcopy(outputs)))
    by_key: dict[str, list[object]] = defaultdict(list)
    for output in merged:
        for key, value in output.items():
            if key in SKIP_COMPARE:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIP_COMPARE:
                        by_key[mime].append(_sanitize(content))
            else:
                by_key[key].append(_sanitize(value))
    return dict(by_key)


def judge_lesson(stored: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a lesson's or solution's run, as nbval would judge it."""
    stored_cells, fresh_cells = code_cells(stored), code_cells(fresh)
    if [cell.source for cell in fresh_cells] != [cell.source for cell in stored_cells]:
        return ["the saved notebook's code is not the stored notebook's"]
    problems = _unrun(fresh_cells)
    for index, (before, after) in enumerate(zip(stored_cells, fresh_cells, strict=True)):
        options = nbval_options(before)
        if options["skip"]:
            continue
        if not options["check_exception"]:
            problems += _failures(index, after)
        if options["check"] and before.execution_count is not None:
            expected, got = comparable(before.outputs), comparable(after.outputs)
            if got != expected:
                problems.append(
                    f"{_where(index, after)} shows another output:\n"
                    f"  stored: {expected}\n  fresh:  {got}"
                )
    return problems


def is_short_report(report: str) -> bool:
    """A check's report as CheckFailed shows it: its verdict on a task, a hint, no traceback."""
    lines = report.splitlines()
    return (
        2 <= len(lines) <= 8
        and lines[0].startswith("✘ Task")
        and any(line.startswith("  hint:") for line in lines)
        and not FRAME.search(report)
    )


def judge_exercise(fresh: nbformat.NotebookNode) -> list[str]:
    """What is wrong with an unsolved exercise's run: each check reports, nothing else fails."""
    cells = code_cells(fresh)
    problems = _unrun(cells)
    for index, cell in enumerate(cells):
        if "check" not in cell.metadata.get("tags", []):
            problems += _failures(index, cell)
        elif [error.ename for error in errors(cell)] != ["CheckFailed"]:
            shown = "\n".join(map(error_text, errors(cell))) or "no report"
            problems.append(
                f"{_where(index, cell)} should show its check's report, shows:\n{shown}"
            )
        elif not is_short_report(report := error_text(errors(cell)[0])):
            problems.append(f"{_where(index, cell)} shows this, not a short report:\n{report}")
    return problems
