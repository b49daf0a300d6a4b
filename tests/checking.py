"""Shared by the tests of exercise checks."""

import re
from collections.abc import Callable
from types import ModuleType

import nbformat
import pytest

from course.checks import CheckFailed

# A check cell of an exercise: `check.<name>(<what it judges>)`, alone in its cell.
CHECK_CALL = re.compile(r"check\.(\w+)\((\w+)\)")


def failure(checker: Callable[[object], None], app: object) -> CheckFailed:
    """The report `checker` gives on `app`; the test fails if the check passes."""
    with pytest.raises(CheckFailed) as caught:
        checker(app)
    return caught.value


def run_checking(
    notebook: nbformat.NotebookNode, namespace: ModuleType, checks: ModuleType
) -> dict[str, CheckFailed | None]:
    """Run an exercise's code cells top to bottom in `namespace`; what each check cell did:
    None if its check (from the lesson's module, `checks`) passed, else its report."""
    verdicts: dict[str, CheckFailed | None] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or "progress(" in cell.source:
            continue
        called = CHECK_CALL.fullmatch(cell.source.strip())
        if called:
            try:
                getattr(checks, called[1])(getattr(namespace, called[2]))
                verdicts[called[1]] = None
            except CheckFailed as exc:
                verdicts[called[1]] = exc
        else:
            exec(cell.source, namespace.__dict__)
    return verdicts
