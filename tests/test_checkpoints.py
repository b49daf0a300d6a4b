"""Catch-up: each checkpoint's app passes the checks of the lesson it stands for."""

import pkgutil

import pytest

import course.checks
from course.checkpoints import ROUTES_ADDED_BY, checkpoint, route_keys, routes_after
from course.checks import checks_of
from taskboard.api.main import ROUTERS
from tests.checking import failure


@pytest.mark.parametrize("lesson", sorted(ROUTES_ADDED_BY))
def test_checkpoint_passes_its_lesson_checks(lesson: str) -> None:
    checkers = checks_of(lesson)
    assert checkers, f"lesson {lesson} has no checks"
    for checker in checkers:
        checker(checkpoint(lesson))


@pytest.mark.parametrize("lesson", sorted(ROUTES_ADDED_BY)[1:])
def test_the_previous_checkpoint_fails_each_check_with_a_hint(lesson: str) -> None:
    # An exercise starts from the previous lesson's app: every task must still be to do.
    previous = f"{int(lesson) - 1:02d}"
    for checker in checks_of(lesson):
        assert failure(checker, checkpoint(previous)).hint, checker.__name__


@pytest.mark.parametrize("lesson", sorted(ROUTES_ADDED_BY))
def test_checkpoint_has_exactly_the_routes_of_its_lesson(lesson: str) -> None:
    # The OpenAPI schema is the public list of what an app serves.
    paths = checkpoint(lesson).openapi()["paths"]
    served = {f"{method.upper()} {path}" for path, item in paths.items() for method in item}
    assert served == routes_after(lesson)


def test_every_route_of_taskboard_belongs_to_a_lesson() -> None:
    every = {key for router in ROUTERS for route in router.routes for key in route_keys(route)}
    assert every == routes_after(max(ROUTES_ADDED_BY))


def test_every_lesson_with_checks_has_a_checkpoint() -> None:
    lessons = {
        name.removeprefix("lesson")
        for _, name, _ in pkgutil.iter_modules(course.checks.__path__)
        if name.startswith("lesson") and name != "lesson00"
    }
    assert lessons <= set(ROUTES_ADDED_BY)


def test_unknown_lesson_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known lessons: 01"):
        checkpoint("99")


def test_checkpoints_do_not_share_tasks() -> None:
    assert checkpoint("01").state.store is not checkpoint("01").state.store
