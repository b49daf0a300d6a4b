"""Schemathesis fuzzes every operation of Taskboard's OpenAPI schema, in-process (lesson 13).

For each operation, Hypothesis generates requests from the schema: valid ones, and invalid ones
(a missing field, a wrong type, a string too long). Each is sent to a fresh app, once on the
in-memory store and once on SQLite (PostgreSQL too with TEST_DATABASE_URL), through the suite's
`client` fixture: logged in as the demo account, so the guarded routes run for real. Every answer
must be no 5xx, and must be what the schema says: a documented status code, the documented
content type and headers, and a body that matches its schema.

Bounded: a fixed number of examples per operation, derandomized (the same examples on every run
and every machine), no deadline per example, and no example database written to disk.
"""

from collections.abc import Iterator

import httpx2
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection, unsupported_method

from course.checkpoints import CheckpointSettings
from taskboard.api.deps import get_http_client
from taskboard.main import create_app
from tests.taskboard.conftest import IN_MEMORY_FEATURES

# Taskboard's schema as /openapi.json serves it (tests/taskboard/test_openapi_contract.py keeps
# it equal to the committed contract). It is the same for every store; the in-memory app makes
# it without opening a database engine.
schema = schemathesis.openapi.from_dict(
    create_app(CheckpointSettings(), IN_MEMORY_FEATURES).openapi()
)

# Examples per operation, on top of the examples the schema itself gives and schemathesis's
# boundary cases (its "coverage" phase): about a thousand requests per store in all, a few
# seconds each.
MAX_EXAMPLES = 10

# Two of schemathesis's checks judge what Taskboard does on purpose:
# - negative_data_rejection wants every request the schema forbids refused. Pydantic coerces
#   on purpose (its "lax mode"): `"done": 0` is false and `"priority": "3"` is 3, so those
#   requests succeed.
# - unsupported_method wants a 405 for a method the schema does not list for a path. But
#   `/tasks/search` is also `/tasks/{task_id}`, whose PATCH answers 422 for the id "search".
EXCLUDED_CHECKS = [negative_data_rejection, unsupported_method]


def send(client: TestClient, case: schemathesis.Case) -> httpx2.Response:
    """Send the request of `case` through the test's client, inside the app's lifespan.

    Schemathesis describes a request as keyword arguments for `requests`, the client it sends
    with itself; `requests` encodes them (a multipart upload, a form) into the exact bytes it
    would send, and the test's client sends those bytes.
    """
    prepared = requests.Request(**case.as_transport_kwargs(base_url=str(client.base_url))).prepare()
    return client.request(
        str(prepared.method),
        str(prepared.url),
        headers=dict(prepared.headers),
        content=prepared.body,
    )


@pytest.fixture
def fuzzed(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """The suite's logged-in client of a fresh app (conftest.py), with no way out to the web.

    Link checks (lesson 06) would send HEAD requests to the links the fuzzer makes up: the app's
    outgoing client answers 200 to each from here instead (a MockTransport holds no connection).
    """
    offline = httpx2.AsyncClient(
        transport=httpx2.MockTransport(lambda request: httpx2.Response(200))
    )
    app.dependency_overrides[get_http_client] = lambda: offline
    yield client
    app.dependency_overrides.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # One app serves every example of an operation, as one server serves many requests: its
    # state builds up. Hypothesis warns about fixtures shared that way; here it is the point.
    # And making up a task with its checklist may be slow on a busy machine: no matter.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_what_the_schema_says(case: schemathesis.Case, fuzzed: TestClient) -> None:
    response = send(fuzzed, case)
    case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)


def test_an_answer_that_breaks_the_schema_fails_the_fuzz_test() -> None:
    # The harness itself: `send` and `validate_response` judge what the app answered, so a
    # 500 or a body of the wrong shape fails. Without this, the test above could pass vacuously.
    broken = FastAPI()

    @broken.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": 1})

    @broken.get("/status")
    async def status() -> None:
        raise RuntimeError("a bug")

    with TestClient(broken, raise_server_exceptions=False) as client:
        for path in ("/health", "/status"):
            case = schema[path]["GET"].Case()
            with pytest.raises(FailureGroup):
                case.validate_response(send(client, case), excluded_checks=EXCLUDED_CHECKS)
