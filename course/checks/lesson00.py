"""Lesson 00: the warm-up check that shows how feedback looks."""

from course.checks import Probe, check

GREETING = {"message": "Hello, Taskboard!"}


@check("Warm-up", 'GET / answers {"message": "Hello, Taskboard!"}.')
def hello(probe: Probe) -> None:
    response = probe.get("/")
    probe.expect_status(response, 200, "GET /")
    probe.expect(
        probe.json(response) == GREETING,
        "the greeting is not the one asked for.",
        response=response,
        expected='{"message": "Hello, Taskboard!"}',
        hint="Change the string your function returns; spelling and punctuation count.",
    )
