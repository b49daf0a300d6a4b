"""exercises/ comes from solutions/: it is up to date, its stubs run, and its checks fail kindly."""

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


@pytest.mark.parametrize(
    "source",
    [
        "# BEGIN SOLUTION\nx = 1",
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
def test_exercise_as_shipped_runs_and_every_check_fails_kindly(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=60,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if cell in _check_cells(nb):
            assert errors, f"cell {index}: the check passed on the unsolved stub"
            assert errors[0].ename == "CheckFailed", f"cell {index}: {errors[0].ename}"
            shown = "\n".join(errors[0].traceback)
            assert shown.startswith("✘ ") and "hint:" in shown, f"cell {index}: {shown}"
            assert "Traceback" not in shown and len(errors[0].traceback) <= 8
        else:
            assert not errors, f"cell {index} fails in the exercise: {errors[0].evalue}"
