"""Answers that many routes share, for their `responses=`: /openapi.json lists every status a
client can get, and lesson 13's fuzzing (tests/taskboard/test_fuzz.py) checks that it does."""

from typing import Any

from taskboard.models import ErrorMessage

# FastAPI answers 400 "There was an error parsing the body" before the route runs when a JSON
# body is not UTF-8 text, or a form or upload is malformed. (Well-formed JSON of the wrong
# shape is a 422.)
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorMessage,
        "description": "The body could not be read: JSON that is not UTF-8 text, or a broken form.",
    }
}
