"""exercises/ comes from solutions/: it is up to date, its stubs run, and its checks fail kindly."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course.exercises import EXERCISES, SOLUTIONS, MarkerError, stale_exercises, stub_source

SOLUTION_NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb"))


def test_there_are_exercises() -> None:
    assert SOLUTION_NOTEBOOKS, "solutions/ holds no notebook"


def test_exercises_are_generated_from_the_current_solutions() -> None:
    assert stale_exercises() == [], "run `make exercises` and commit exercises/"


def test_every_exercise_has_a_solution() -> None:
    assert {p.name for p in EXERCISES.glob("*.ipynb")} == {p.name for p in SOLUTION_NOTEBOOKS}


def test_top_level_region_becomes_a_comment() -> None:
    source = "x = 1\n# BEGIN SOLUTION\ny = 2\n# END SOLUTION\nprint(x)"
    assert stub_source(source) == "x = 1\n# YOUR CODE HERE\nprint(x)"


def test_indented_region_becomes_a_raise_at_its_indentation() -> None:
    source = "def f():\n    # BEGIN SOLUTION\n    return 2\n    # END SOLUTION"
    assert stub_source(source) == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError"


def test_a_region_without_an_end_line_ends_with_its_cell() -> None:
    source = "x = 1\n# BEGIN SOLUTION\ndef f():\n    return 2"
    assert stub_source(source) == "x = 1\n# YOUR CODE HERE"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_region_ends_in_blank_lines(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    padded = [c.source for c in nb.cells if re.search(r"\n\s*\n\s*# END SOLUTION", c.source)]
    assert not padded, "end the region with its cell and drop the END line"


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION",
    ],
)
def test_unpaired_markers_are_refused(source: str) -> None:
    with pytest.raises(MarkerError):
        stub_source(source)


def _check_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if "check" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_solution_region_is_followed_by_a_check(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    regions = sum(c.source.count("# BEGIN SOLUTION") for c in nb.cells if c.cell_type == "code")
    assert regions >= 3, "a lesson's exercises have 3 to 5 tasks"
    assert len(_check_cells(nb)) >= regions


@pytest.mark.parametrize("path", sorted(EXERCISES.glob("*.ipynb")), ids=lambda p: p.stem)
def test_exercise_runs_all_through_and_every_check_fails_kindly(path: Path) -> None:
    # Executed as JupyterLab's Run All does: the first error stops the run, except in a cell
    # tagged raises-exception. So every cell must run, and only check cells may fail.
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    checks = _check_cells(nb)
    assert checks
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"cell {index} did not run"
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if cell in checks:
            assert "raises-exception" in cell.metadata.tags, f"cell {index}"
            assert errors, f"cell {index}: the check passed on the unsolved stub"
            assert errors[0].ename == "CheckFailed", f"cell {index}: {errors[0].ename}"
            shown = "\n".join(errors[0].traceback)
            assert shown.startswith("✘ ") and "hint:" in shown, f"cell {index}: {shown}"
            assert "Traceback" not in shown and len(errors[0].traceback) <= 12
        else:
            assert not errors, f"cell {index} fails in the exercise: {errors[0].evalue}"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_tag_checks_only_as_checks(path: Path) -> None:
    # In a solution every check must pass: raises-exception would let nbval accept a failure.
    for cell in _check_cells(nbformat.read(path, as_version=4)):
        assert "raises-exception" not in cell.metadata.tags


def test_a_cell_fixed_and_run_again_in_a_kernel_is_named() -> None:
    # In a real kernel, as a learner does it: a wrong route, its check, the same cell fixed and
    # run again (the first route still answers), the check again.
    cells = [
        "from fastapi import FastAPI\nfrom course.checks import lesson01 as check\napp = FastAPI()",
        '@app.get("/health")\nasync def health() -> dict[str, str]:\n    return {"status": "OK"}',
        "check.health(app)",
        '@app.get("/health")\nasync def health() -> dict[str, str]:\n    return {"status": "ok"}',
        "check.health(app)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    first, second = (nb.cells[i].outputs[0] for i in (2, 4))
    assert "the body is not the one asked for" in first.evalue
    assert "an earlier version of `health` answered" in second.evalue
    assert "Restart the kernel and run all cells" in second.evalue
