"""The lesson's app, the solution's app and checkpoint("01") agree on every query and path rule.

Lesson 01 calls its final `board` "lesson 01's app", the exercise's `app` is what a learner
builds, and `checkpoint("01")` is the catch-up app lesson 02 starts from: the same good and bad
requests must get the same answers from all three. Each notebook runs once, top to bottom in a
fresh kernel, and one more cell in the same kernel sends the requests to its app.
"""

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from fastapi.testclient import TestClient
from nbclient import NotebookClient

from course import checkpoint
from tests.conftest import ROOT

# Good and bad inputs on each side of every rule: status an enum, label a list of `Label`,
# limit 1..100 (10 by default), no unknown query parameter, task_id >= 1, q not empty.
URLS = [
    "/tasks",
    "/tasks?limit=-1",
    "/tasks?limit=0",
    "/tasks?limit=1",
    "/tasks?limit=100",
    "/tasks?limit=101",
    "/tasks?limit=1000",
    "/tasks?limit=many",
    "/tasks?status=todo",
    "/tasks?status=someday",
    "/tasks?status=TODO",
    "/tasks?status=",
    "/tasks?stauts=todo",
    "/tasks?label=api",
    "/tasks?label=api&label=review",
    "/tasks?label=API",
    "/tasks?label=",
    "/tasks?status=todo&label=api&limit=1",
    "/tasks/0",
    "/tasks/-1",
    "/tasks/3",
    "/tasks/999",
    "/tasks/first",
    "/tasks/search",
    "/tasks/search?q=",
    "/tasks/search?q=a",
    "/tasks/search?q=api",
]

# The variable holding each notebook's final app.
NOTEBOOKS = {
    "lesson": (ROOT / "notebooks" / "01_first_steps.ipynb", "board"),
    "solution": (ROOT / "solutions" / "01_first_steps.ipynb", "app"),
}

PROBE = """
import json as _json

from fastapi.testclient import TestClient as _TestClient

with _TestClient({app}) as _client:
    _answers = [_client.get(_url) for _url in {urls!r}]
print(_json.dumps([[_r.status_code, _r.json()] for _r in _answers]))
"""


def _answers_of(notebook: Path, app: str) -> list[tuple[int, Any]]:
    """Run `notebook` in a fresh kernel, then send URLS to its `app` in the same kernel."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.format(app=app, urls=URLS)))
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return [(status, body) for status, body in json.loads(printed)]


@pytest.fixture(scope="module")
def answers() -> dict[str, list[tuple[int, Any]]]:
    found = {name: _answers_of(path, app) for name, (path, app) in NOTEBOOKS.items()}
    with TestClient(checkpoint("01")) as client:
        found["checkpoint"] = [(r.status_code, r.json()) for r in map(client.get, URLS)]
    return found


def _locs(body: Any) -> list[list[Any]]:
    return sorted((error["loc"] for error in body["detail"]), key=json.dumps)


@pytest.mark.parametrize("index", range(len(URLS)), ids=URLS)
@pytest.mark.parametrize("app", ["lesson", "solution"])
def test_the_same_request_gets_the_same_answer(answers, app: str, index: int) -> None:
    status, body = answers[app][index]
    expected_status, expected_body = answers["checkpoint"][index]
    assert status == expected_status
    if status == 200:
        assert body == expected_body
    if status == 422:  # the same parameter is blamed
        assert _locs(body) == _locs(expected_body)


def test_the_urls_cover_every_kind_of_answer(answers) -> None:
    # Good inputs, inputs a rule refuses, and ids that could exist but don't.
    assert {status for status, _ in answers["checkpoint"]} == {200, 404, 422}
