"""Lesson 15 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Task 1's apps are Taskboard as the exercise starts it, with a readiness route added in several
styles. Tasks 2 to 4 judge a settings class, a function that invokes a Lambda handler, and a
Deployment manifest: each is written here the way the solution does it, another way that is
just as right, and the ways learners get it wrong.
"""

import asyncio
import base64
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from course import checkpoint
from course.checks import checks_of, lesson15
from taskboard.api.deps import StoreDep, get_current_user
from tests.checking import failure
from tests.conftest import ROOT

ALL_CHECKS = checks_of("15")
# The exercise starts from the app of the lesson before.
START = "14"


def test_task_1_judges_an_app_and_the_others_an_answer() -> None:
    assert [checker.judges_app for checker in ALL_CHECKS] == [True, False, False, False]  # type: ignore[attr-defined]


# --- Task 1: readiness ----------------------------------------------------------------------------


def with_ready(**mistakes: Any) -> FastAPI:
    """The solution's route: SELECT 1 through the app's engine, within a second."""
    app = checkpoint(START)
    caught: tuple[type[BaseException], ...] = (
        (SQLAlchemyError,) if mistakes.get("only_sqlalchemy") else (Exception,)
    )
    kept_engine = app.state.store.engine

    @app.get("/ready")
    async def ready(request: Request) -> dict[str, str]:
        if mistakes.get("always"):
            return {"status": "ready"}
        engine = kept_engine if mistakes.get("kept_engine") else request.app.state.store.engine
        query: Any = "SELECT 1" if mistakes.get("string_sql") else text("SELECT 1")
        try:
            if mistakes.get("no_deadline"):
                async with engine.connect() as connection:
                    await connection.execute(query)
            else:
                async with asyncio.timeout(1), engine.connect() as connection:
                    await connection.execute(query)
        except caught:
            raise HTTPException(503, mistakes.get("detail", "Database unavailable")) from None
        return {"status": "ready"}

    return app


def with_ready_through_the_store() -> FastAPI:
    """Another right answer: a router, the store's session, wait_for and a JSONResponse."""
    app = checkpoint(START)
    router = APIRouter()

    @router.get("/ready")
    async def readiness_probe(store: StoreDep) -> Any:
        async def ask() -> None:
            async with store.sessions() as session:
                await session.scalar(select(1))

        try:
            await asyncio.wait_for(ask(), timeout=0.5)
        except Exception:
            return JSONResponse({"detail": "Database unavailable"}, status_code=503)
        return {"status": "ready"}

    app.include_router(router)
    return app


@pytest.mark.parametrize("make", [with_ready, with_ready_through_the_store])
def test_readiness_passes_in_any_style(make: Callable[[], FastAPI]) -> None:
    lesson15.readiness(make())


def test_readiness_passes_on_taskboards_own_route() -> None:
    lesson15.readiness(checkpoint("15"))


def test_readiness_without_the_route_names_the_route() -> None:
    exc = failure(lesson15.readiness, checkpoint(START))
    assert "GET /ready with the database up should answer 200" in exc.problem
    assert exc.hint.startswith("No route matches this path")


@pytest.mark.parametrize("mistake", ["always", "kept_engine"])
def test_readiness_that_does_not_ask_the_database_each_time(mistake: str) -> None:
    exc = failure(lesson15.readiness, with_ready(**{mistake: True}))
    assert exc.problem == "/ready answered 200 while the database file could not be opened."
    assert exc.hint == lesson15._ASK_EACH_TIME


def test_readiness_that_catches_only_sqlalchemys_errors() -> None:
    exc = failure(lesson15.readiness, with_ready(only_sqlalchemy=True))
    assert exc.problem == (
        "your app raised ConnectionRefusedError while the database server refused the connection."
    )
    assert exc.hint == lesson15._CATCH_ALL


def test_readiness_without_a_deadline() -> None:
    exc = failure(lesson15.readiness, with_ready(no_deadline=True))
    assert exc.problem == (
        "/ready took more than 3 seconds to answer while the database server never answered."
    )
    assert exc.hint == lesson15._DEADLINE


def test_readiness_whose_query_is_a_plain_string() -> None:
    # SQLAlchemy 2 refuses a str: the query always fails, so the database seems always down.
    exc = failure(lesson15.readiness, with_ready(string_sql=True))
    assert exc.got.startswith("503")
    assert 'connection.execute(text("SELECT 1"))' in exc.hint


def test_readiness_with_another_detail() -> None:
    exc = failure(lesson15.readiness, with_ready(detail="DB down"))
    assert exc.problem == 'the 503 should say {"detail": "Database unavailable"}.'
    assert 'HTTPException(503, "Database unavailable")' in exc.hint


def test_readiness_behind_a_login() -> None:
    app = checkpoint(START)

    @app.get("/ready", dependencies=[Depends(get_current_user)])
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    exc = failure(lesson15.readiness, app)
    assert exc.got.startswith("401")
    assert exc.hint == "Kubernetes sends no token: /ready must be public, like /health."


def test_health_that_checks_the_database_too() -> None:
    app = with_ready()

    @app.get("/health")
    async def health(request: Request) -> Any:
        try:
            async with request.app.state.store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "down"}, status_code=503)
        return {"status": "ok"}

    app.router.routes.insert(0, app.router.routes.pop())  # before Taskboard's own /health
    exc = failure(lesson15.readiness, app)
    assert exc.problem == (
        "/health should still answer 200 while the database file could not be opened."
    )
    assert exc.hint.startswith("Leave /health as it was")


def test_readiness_on_an_app_without_a_database() -> None:
    app = FastAPI()

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    exc = failure(lesson15.readiness, app)
    assert exc.problem.startswith("this app keeps no database")
    assert exc.hint == lesson15._NOT_DATABASE


def test_the_database_is_back_after_the_check() -> None:
    app = with_ready()
    store = app.state.store
    lesson15.readiness(app)
    assert app.state.store is store


# --- Task 2: settings and secrets -----------------------------------------------------------------


class DeploySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKBOARD_")

    secret_key: SecretStr = Field(min_length=32)
    database_url: SecretStr = Field(validation_alias="DATABASE_URL")


class WithAliasesOnly(BaseSettings):
    """Another right answer: no prefix, every variable named by its field's alias."""

    secret_key: Annotated[
        SecretStr, Field(min_length=32, validation_alias=AliasChoices("TASKBOARD_SECRET_KEY"))
    ]
    database_url: Annotated[SecretStr, Field(alias="DATABASE_URL")]


@pytest.mark.parametrize("settings_class", [DeploySettings, WithAliasesOnly])
def test_secret_settings_pass_in_any_style(settings_class: type[BaseSettings]) -> None:
    lesson15.secret_settings(settings_class)


def test_secret_settings_leave_the_environment_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_SECRET_KEY", "the developer's own")
    lesson15.secret_settings(DeploySettings)
    assert os.environ["TASKBOARD_SECRET_KEY"] == "the developer's own"
    assert "DATABASE_URL" not in os.environ


def test_secret_settings_ignore_a_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TASKBOARD_SECRET_KEY=" + "x" * 40 + "\n")
    monkeypatch.chdir(tmp_path)

    class ReadsDotenv(DeploySettings):
        model_config = SettingsConfigDict(env_prefix="TASKBOARD_", env_file=".env")

    lesson15.secret_settings(ReadsDotenv)


def test_secret_key_with_a_default() -> None:
    class WithDefault(DeploySettings):
        secret_key: SecretStr = Field(default=SecretStr("x" * 40), min_length=32)

    exc = failure(lesson15.secret_settings, WithDefault)
    assert exc.problem == "the settings started without TASKBOARD_SECRET_KEY."
    assert exc.hint.startswith("Give secret_key no default")


def test_secrets_as_plain_strings() -> None:
    class Plain(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="TASKBOARD_")
        secret_key: str = Field(min_length=32)
        database_url: str = Field(validation_alias="DATABASE_URL")

    exc = failure(lesson15.secret_settings, Plain)
    assert exc.problem == "secret_key is a str, not a SecretStr."
    assert exc.hint == lesson15._SECRET_STR


def test_settings_without_the_prefix() -> None:
    class NoPrefix(BaseSettings):
        secret_key: SecretStr = Field(min_length=32)
        database_url: SecretStr = Field(validation_alias="DATABASE_URL")

    exc = failure(lesson15.secret_settings, NoPrefix)
    assert exc.got == "ValidationError: secret_key: Field required"
    assert exc.hint == lesson15._PREFIX


def test_database_url_with_the_prefix() -> None:
    class Prefixed(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="TASKBOARD_")
        secret_key: SecretStr = Field(min_length=32)
        database_url: SecretStr

    exc = failure(lesson15.secret_settings, Prefixed)
    assert exc.got == "ValidationError: database_url: Field required"
    assert exc.hint == lesson15._NO_PREFIX


def test_secret_key_of_any_length() -> None:
    class AnyLength(DeploySettings):
        secret_key: SecretStr

    exc = failure(lesson15.secret_settings, AnyLength)
    assert exc.problem == "the settings accepted a secret key of 31 characters."
    assert exc.hint == "Refuse keys shorter than 32 characters: `Field(min_length=32)`."


def test_settings_that_drop_the_secret_files() -> None:
    class NoFiles(DeploySettings):
        @classmethod
        def settings_customise_sources(  # type: ignore[override]
            cls,
            settings_cls: type[BaseSettings],
            init_settings: Any,
            env_settings: Any,
            dotenv_settings: Any,
            file_secret_settings: Any,
        ) -> tuple[Any, ...]:
            return init_settings, env_settings, dotenv_settings

    exc = failure(lesson15.secret_settings, NoFiles)
    assert exc.problem == "the settings did not read the secret files."
    assert "_secrets_dir" in exc.hint


@pytest.mark.parametrize(
    "answer", [None, object(), "DeploySettings"], ids=["stub", "instance", "name"]
)
def test_secret_settings_want_the_class(answer: Any) -> None:
    exc = failure(lesson15.secret_settings, answer)
    assert exc.problem.startswith("expected a class of settings")
    assert "pass the class itself" in exc.hint


# --- Task 3: a Lambda round trip ------------------------------------------------------------------


class Context:
    function_name = "taskboard"
    memory_limit_in_mb = 512

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def event(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, **mistakes: Any
) -> dict[str, Any]:
    sent = {
        "host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "course-test",
        **{
            (name if mistakes.get("keep_case") else name.lower()): value
            for name, value in headers.items()
        },
    }
    http = {
        "method": method,
        "path": path,
        "protocol": "HTTP/1.1",
        "sourceIp": "203.0.113.9",
        "userAgent": "course-test",
    }
    if mistakes.get("no_source_ip"):
        del http["sourceIp"]
    as_text = mistakes.get("latin1") or mistakes.get("text_when_utf8")
    if body and mistakes.get("latin1"):
        carried, encoded = body.decode("latin-1"), False
    elif body and mistakes.get("text_when_utf8"):
        try:
            carried, encoded = body.decode(), False
        except UnicodeDecodeError:
            carried, encoded = base64.b64encode(body).decode(), True
    else:
        carried = base64.b64encode(body).decode() if body else None
        encoded = bool(body)
    assert as_text or not mistakes.get("latin1")
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "" if mistakes.get("no_query") else query,
        "headers": sent,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "http": http,
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 1_773_144_000_000,
        },
        "body": carried,
        "isBase64Encoded": encoded,
    }


def answer(response: dict[str, Any], **mistakes: Any) -> tuple[int, dict[str, str], bytes]:
    body = response.get("body", "")
    if response.get("isBase64Encoded") and not mistakes.get("no_decode"):
        return response["statusCode"], response.get("headers", {}), base64.b64decode(body)
    return response["statusCode"], response.get("headers", {}), body.encode()


def lambda_caller(**mistakes: Any) -> Callable[..., Any]:
    """The solution's `async def call_lambda`, with asyncio.to_thread, and mistakes on demand."""

    async def call_lambda(
        handler: Any,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Any:
        sent = event(method, path, query, headers or {}, body, **mistakes)
        context = None if mistakes.get("no_context") else Context()
        if mistakes.get("same_thread"):
            response = handler(sent, context)
        else:
            response = await asyncio.to_thread(handler, sent, context)
        if mistakes.get("raw"):
            return response
        return answer(response, **mistakes)

    return call_lambda


def sync_caller_with_a_thread_of_its_own(
    handler: Any,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> tuple[int, dict[str, str], bytes]:
    """Another right answer: a plain function, a pool of one thread, text bodies as text."""
    sent = event(method, path, query, headers or {}, body, text_when_utf8=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(handler, sent, Context()).result()
    return answer(response)


def thread_by_hand(handler: Any, method: str, path: str, **request: Any) -> Any:
    """Another right answer: a threading.Thread started and joined by hand."""
    result: list[Any] = []
    sent = event(method, path, request["query"], request["headers"], request["body"])
    worker = threading.Thread(target=lambda: result.append(handler(sent, Context())))
    worker.start()
    worker.join()
    return answer(result[0])


@pytest.mark.parametrize(
    "call_lambda",
    [lambda_caller(), sync_caller_with_a_thread_of_its_own, thread_by_hand],
    ids=["to_thread", "executor", "thread"],
)
def test_lambda_round_trip_passes_in_any_style(call_lambda: Callable[..., Any]) -> None:
    lesson15.lambda_round_trip(call_lambda)


def test_lambda_round_trip_from_a_running_loop_too() -> None:
    # In a notebook the check itself runs inside the kernel's loop.
    async def cell() -> None:
        lesson15.lambda_round_trip(lambda_caller())

    asyncio.run(cell())


def test_lambda_called_in_the_loops_own_thread() -> None:
    exc = failure(lesson15.lambda_round_trip, lambda_caller(same_thread=True))
    assert exc.problem == "the handler ran in the thread whose event loop is running."
    assert "worker thread" in exc.hint and "asyncio.to_thread" in exc.hint


def test_lambda_without_the_query_string() -> None:
    exc = failure(lesson15.lambda_round_trip, lambda_caller(no_query=True))
    assert exc.got == "event['rawQueryString'] is '', not 'status=todo&limit=1'"
    assert exc.hint.startswith("Build the event as the lesson's")


@pytest.mark.parametrize(
    ("mistake", "got"),
    [
        ("keep_case", "header names must be lowercase, as API Gateway sends them: 'Content-Type'"),
        ("no_source_ip", "requestContext['http']['sourceIp'] is None, not an IP address"),
        ("no_context", "the context has no function_name (a str)"),
    ],
)
def test_lambda_event_or_context_short_of_the_list(mistake: str, got: str) -> None:
    def call_lambda(handler: Any, method: str, path: str, **request: Any) -> Any:
        headers = request["headers"]
        if mistake == "keep_case":
            headers = {"Content-Type": "application/json", **headers}
        return lambda_caller(**{mistake: True})(
            handler, method, path, **{**request, "headers": headers}
        )

    exc = failure(lesson15.lambda_round_trip, call_lambda)
    assert exc.problem == "the event or the context lacks what the task lists."
    assert exc.got == got


def test_lambda_body_sent_as_latin1_text() -> None:
    # The form goes through; the PNG's bytes are changed on the way (UTF-8 of their latin-1).
    exc = failure(lesson15.lambda_round_trip, lambda_caller(latin1=True))
    assert exc.got == (
        "event['body'] does not carry the request's bytes: base64-encode them, with "
        "isBase64Encoded true"
    )


def test_lambda_answer_not_decoded_from_base64() -> None:
    exc = failure(lesson15.lambda_round_trip, lambda_caller(no_decode=True))
    assert exc.problem == "downloading the PNG file should give back its bytes exactly."
    assert "base64.b64decode" in exc.hint


def test_lambda_answer_returned_as_lambdas_dict() -> None:
    exc = failure(lesson15.lambda_round_trip, lambda_caller(raw=True))
    assert exc.problem.startswith("call_lambda should return (status, headers, body)")
    assert "isBase64Encoded" in exc.hint


def test_lambda_stub_that_is_not_written() -> None:
    async def call_lambda(handler: Any, method: str, path: str, **request: Any) -> Any:
        raise NotImplementedError

    exc = failure(lesson15.lambda_round_trip, call_lambda)
    assert exc.problem == "your answer is not written yet: it raised NotImplementedError."
    assert exc.hint.startswith("Write your code where it says `# YOUR CODE HERE`")


def test_lambda_function_that_fails_its_own_way() -> None:
    def call_lambda(handler: Any, method: str, path: str, **request: Any) -> Any:
        return handler["statusCode"]

    exc = failure(lesson15.lambda_round_trip, call_lambda)
    assert exc.problem == "your answer raised TypeError while the check used it."
    assert exc.hint.startswith("Run your code yourself")


def test_lambda_function_that_never_calls_the_handler() -> None:
    exc = failure(lesson15.lambda_round_trip, lambda handler, method, path, **request: None)
    assert exc.problem == "call_lambda never called the handler."


# --- Task 4: a Kubernetes Deployment --------------------------------------------------------------

SOLUTION = (ROOT / "deploy/k8s/deployment.yaml").read_text().replace("replicas: 2", "replicas: 3")


def manifest() -> dict[str, Any]:
    return yaml.safe_load(SOLUTION)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_deployment_passes_as_yaml_text() -> None:
    lesson15.deployment(SOLUTION)


def test_a_smaller_deployment_as_a_dict_with_port_numbers_passes() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "taskboard"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "taskboard"}},
            "template": {
                "metadata": {"labels": {"app": "taskboard", "tier": "api"}},
                "spec": {
                    "containers": [
                        {
                            "name": "taskboard",
                            "image": "registry.example.com/taskboard:0.1.0",
                            "ports": [{"containerPort": 8000, "name": "http"}],
                            "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}},
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}},
                            "env": [
                                {
                                    "name": "DATABASE_URL",
                                    "valueFrom": {
                                        "secretKeyRef": {"name": "taskboard", "key": "database-url"}
                                    },
                                },
                                {
                                    "name": "TASKBOARD_SECRET_KEY",
                                    "valueFrom": {
                                        "secretKeyRef": {"name": "taskboard", "key": "secret-key"}
                                    },
                                },
                                {"name": "TASKBOARD_DEMO_DATA", "value": "false"},
                                {"name": "TASKBOARD_ENVIRONMENT", "value": "production"},
                            ],
                        }
                    ]
                },
            },
        },
    }
    lesson15.deployment(deployment)


def test_the_deployment_files_own_replicas_are_two() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("replicas: 3", "replicas: 2"))
    assert exc.problem == "spec.replicas should be 3."


def test_a_typo_in_a_field_name_is_refused_by_the_strict_schema() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("httpGet", "httpget", 1))
    assert exc.problem == (
        "Kubernetes 1.37's schema refuses it at spec.template.spec.containers.0.livenessProbe."
    )
    assert exc.got == "Additional properties are not allowed ('httpget' was unexpected)"
    assert "httpGet" in exc.hint


def test_a_quoted_port_is_refused_by_the_schema() -> None:
    exc = failure(
        lesson15.deployment, SOLUTION.replace("containerPort: 8000", 'containerPort: "8000"')
    )
    assert exc.got == "'8000' is not of type 'integer'"


def test_an_unquoted_false_is_refused_by_the_schema() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace('value: "false"', "value: false"))
    assert exc.got == "False is not of type 'string', 'null'"
    assert "an environment value quoted" in exc.hint


def test_yaml_that_does_not_parse() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("  replicas: 3", "\treplicas: 3"))
    assert exc.problem.startswith("the YAML does not parse at line")
    assert "Indent with spaces only" in exc.hint


def test_probes_swapped() -> None:
    deployment = manifest()
    live, ready = container(deployment)["livenessProbe"], container(deployment)["readinessProbe"]
    container(deployment)["livenessProbe"], container(deployment)["readinessProbe"] = ready, live
    exc = failure(lesson15.deployment, deployment)
    assert exc.problem == "the livenessProbe should ask /health."
    assert "A liveness probe on /ready would restart every replica" in exc.hint


def test_both_probes_on_health() -> None:
    deployment = manifest()
    container(deployment)["readinessProbe"]["httpGet"]["path"] = "/health"
    exc = failure(lesson15.deployment, deployment)
    assert exc.problem == "the readinessProbe should ask /ready."
    assert "readiness asks /ready, which asks the database" in exc.hint


def test_a_probe_on_a_path_taskboard_does_not_have() -> None:
    deployment = manifest()
    container(deployment)["livenessProbe"]["httpGet"]["path"] = "/healthz"
    exc = failure(lesson15.deployment, deployment)
    assert exc.hint == "Taskboard answers /health (GET): point `httpGet.path` at it."


def test_a_probe_on_the_services_port() -> None:
    deployment = manifest()
    container(deployment)["readinessProbe"]["httpGet"]["port"] = 80
    exc = failure(lesson15.deployment, deployment)
    assert exc.problem == "the readinessProbe asks port 80, where nothing listens."


def test_a_secret_written_in_the_manifest() -> None:
    deployment = manifest()
    for item in container(deployment)["env"]:
        if item["name"] == "TASKBOARD_SECRET_KEY":
            item.pop("valueFrom")
            item["value"] = "x" * 40
    exc = failure(lesson15.deployment, deployment)
    assert exc.problem == "TASKBOARD_SECRET_KEY is written in the manifest itself."
    assert exc.hint.startswith("Never write a secret in a manifest")


def test_a_secret_from_the_wrong_key() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("key: database-url", "key: database_url"))
    assert exc.problem == "DATABASE_URL should come from the Secret taskboard, key database-url."


def test_production_not_set() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("value: production", "value: local"))
    assert exc.problem == "the environment should set TASKBOARD_ENVIRONMENT to 'production'."


def test_a_selector_that_matches_no_pod() -> None:
    text_ = SOLUTION.replace(
        "  selector:\n    matchLabels:\n      app.kubernetes.io/name: taskboard",
        "  selector:\n    matchLabels:\n      app: taskboard",
    )
    exc = failure(lesson15.deployment, text_)
    assert exc.problem.startswith("the selector does not match the pod template's labels")


def test_the_wrong_port() -> None:
    exc = failure(lesson15.deployment, SOLUTION.replace("containerPort: 8000", "containerPort: 80"))
    assert exc.problem == "the container should declare containerPort 8000, named http."


def test_not_a_deployment() -> None:
    service = (ROOT / "deploy/k8s/service.yaml").read_text()
    exc = failure(lesson15.deployment, service)
    assert exc.problem == "this is not a Deployment."


def test_nothing_written_yet() -> None:
    # The exercise's stub: the quotes hold only the "# YOUR CODE HERE" comment.
    exc = failure(lesson15.deployment, "\n# YOUR CODE HERE\n")
    assert exc.problem == "there is no Deployment yet: the YAML is empty."
    assert exc.hint == "Write the Deployment as YAML text between the quotes."


def test_not_yaml_text() -> None:
    exc = failure(lesson15.deployment, ["apiVersion: apps/v1"])
    assert exc.problem == "expected YAML text or a dict, got list."
