"""Shared by the tests of exercise checks."""

from collections.abc import Callable

import pytest

from course.checks import CheckFailed


def failure(checker: Callable[[object], None], app: object) -> CheckFailed:
    """The report `checker` gives on `app`; the test fails if the check passes."""
    with pytest.raises(CheckFailed) as caught:
        checker(app)
    return caught.value
