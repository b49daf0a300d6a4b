"""What every notebook must be, beyond its cells' outputs (nbval checks those)."""

import re
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EVERY = LESSONS + sorted((ROOT / "solutions").glob("*.ipynb"))
EVERY += sorted((ROOT / "exercises").glob("*.ipynb"))
CATCH_UP = re.compile(r'checkpoint\("(\d\d)"\)')
LINK = re.compile(r"\]\(([^)#\s]+\.(?:ipynb|png))")


def _code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", EVERY, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_kernelspec_is_python3(path: Path) -> None:
    assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", EVERY, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_stored_outputs_come_from_one_top_to_bottom_run(path: Path) -> None:
    counts = [cell.execution_count for cell in _code_cells(path)]
    if path.parent.name == "exercises":
        assert set(counts) == {None}, "exercises are shipped without outputs"
    else:
        assert counts == list(range(1, len(counts) + 1)), "run `make execute`"


@pytest.mark.parametrize(
    "path",
    [p for p in EVERY if p.parent.name != "exercises" and p.stem[:2] >= "02"],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_from_lesson_02_the_first_code_cell_catches_up(path: Path) -> None:
    first = _code_cells(path)[0].source
    match = CATCH_UP.search(first)
    assert match, "the first code cell should build the app with checkpoint(...)"
    assert int(match[1]) == int(path.stem[:2]) - 1, "catch up to the previous lesson"


def test_there_is_a_lesson_for_each_exercise() -> None:
    lessons = {p.stem for p in LESSONS}
    assert {p.stem for p in (ROOT / "solutions").glob("*.ipynb")} <= lessons


@pytest.mark.parametrize("path", EVERY, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_links_point_to_notebooks_and_images_that_exist(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    missing = [t for t in LINK.findall(text) if not (path.parent / t).exists()]
    assert not missing, f"links to notebooks or images that do not exist: {missing}"
