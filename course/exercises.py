"""Generate exercises/ from solutions/: each solution region becomes a stub, outputs are cleared.

In a solution notebook, the answer to a task sits between two marker lines:

    # BEGIN SOLUTION
    ...the answer...
    # END SOLUTION

A region that runs to the end of its cell needs no END line (the formatter would put two blank
lines before it, after a function). At the top level of a cell the region becomes `# YOUR CODE HERE`, so the cell still runs and
the check after it explains what is missing. Inside a function body it becomes
`# YOUR CODE HERE` plus `raise NotImplementedError`, which the check reports when it calls it.

Each check cell (tagged `check`) is also tagged `raises-exception` in the exercise: a failing
check raises, and without that tag JupyterLab's Run All would stop at the first unsolved task
and leave every cell below it unrun. Solutions keep only `check`: there, every check must pass.

Run `python -m course.exercises` (or `make exercises`) after editing a solution.
"""

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

_BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")


class MarkerError(ValueError):
    """A solution cell whose BEGIN/END markers do not pair up."""


def stub_source(source: str) -> str:
    """Replace every solution region of one cell's source with its stub."""
    out: list[str] = []
    indent: str | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        begin = _BEGIN.match(line)
        if begin:
            if indent is not None:
                raise MarkerError(f"line {number}: BEGIN SOLUTION inside another region")
            indent = begin["indent"]
            out.append(f"{indent}# YOUR CODE HERE")
            if indent:
                out.append(f"{indent}raise NotImplementedError")
        elif _END.match(line):
            if indent is None:
                raise MarkerError(f"line {number}: END SOLUTION without BEGIN SOLUTION")
            indent = None
        elif indent is None:
            out.append(line)
    # A region still open here ends with the cell.
    return "\n".join(out)


def make_exercise(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The exercise notebook for a solution notebook: stubs in place of answers, no outputs."""
    exercise = nbformat.from_dict(solution)
    for cell in exercise.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "check" in tags and "raises-exception" not in tags:
            cell.metadata["tags"] = [*tags, "raises-exception"]
        cell.source = stub_source(cell.source)
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    return exercise


def render(solution_path: Path) -> str:
    """The exact text `exercises/<same name>` should contain."""
    solution = nbformat.read(solution_path, as_version=4)
    try:
        exercise = make_exercise(solution)
    except MarkerError as exc:
        raise MarkerError(f"{solution_path.name}: {exc}") from None
    return nbformat.writes(exercise) + "\n"


def stale_exercises() -> list[str]:
    """Names of exercise notebooks that are missing or differ from their solution."""
    stale = []
    for solution_path in sorted(SOLUTIONS.glob("*.ipynb")):
        exercise_path = EXERCISES / solution_path.name
        if not exercise_path.exists() or exercise_path.read_text() != render(solution_path):
            stale.append(exercise_path.name)
    return stale


def main() -> int:
    EXERCISES.mkdir(exist_ok=True)
    for solution_path in sorted(SOLUTIONS.glob("*.ipynb")):
        (EXERCISES / solution_path.name).write_text(render(solution_path))
        print(f"exercises/{solution_path.name} <- solutions/{solution_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
