"""Lesson 04: settings come from arguments, the environment or a `.env` file, in that order."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from course.login import signed_in
from taskboard.core.config import DEVELOPMENT_SECRET_KEY, Settings
from taskboard.main import create_app


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Each test starts from the defaults: no TASKBOARD_ variable, no .env in the working directory.
    for name in Settings.model_fields:
        monkeypatch.delenv(f"TASKBOARD_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = Settings()
    assert (settings.project_name, settings.demo_data, settings.labels_max_age) == (
        "Taskboard",
        True,
        30,
    )


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TASKBOARD_PROJECT_NAME=Team board\nTASKBOARD_DEMO_DATA=no\n")
    settings = Settings()
    assert (settings.project_name, settings.demo_data) == ("Team board", False)


def test_an_explicit_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "staging.env"
    env_file.write_text("TASKBOARD_LABELS_MAX_AGE=120\n")
    assert Settings(_env_file=env_file).labels_max_age == 120


def test_arguments_beat_the_environment_which_beats_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TASKBOARD_PROJECT_NAME=from .env\n")
    assert Settings().project_name == "from .env"
    monkeypatch.setenv("TASKBOARD_PROJECT_NAME", "from the environment")
    assert Settings().project_name == "from the environment"
    assert Settings(project_name="from the code").project_name == "from the code"


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECT_NAME", "Not ours")
    assert Settings().project_name == "Taskboard"


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("TASKBOARD_DEMO_DATA", "perhaps", "demo_data"),
        ("TASKBOARD_LABELS_MAX_AGE", "soon", "labels_max_age"),
        ("TASKBOARD_LABELS_MAX_AGE", "-1", "labels_max_age"),
        ("TASKBOARD_SECRET_KEY", "too-short", "secret_key"),
    ],
)
def test_a_malformed_value_is_named_but_never_repeated(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert caught.value.errors()[0]["loc"] == (field,)
    assert field in str(caught.value)
    assert value not in str(caught.value)


def test_the_secret_key_is_a_named_development_default_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same in every process (tokens survive a restart and work across workers), and named
    # so that nobody mistakes it for a real one.
    assert Settings().secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
    assert "insecure" in DEVELOPMENT_SECRET_KEY
    key = "k" * 40
    monkeypatch.setenv("TASKBOARD_SECRET_KEY", key)
    assert Settings().secret_key.get_secret_value() == key


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_outside_local_the_development_defaults_are_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="TASKBOARD_SECRET_KEY"):
        Settings(environment=environment, demo_data=False)
    with pytest.raises(ValidationError, match="TASKBOARD_DEMO_DATA=false"):
        Settings(environment=environment, secret_key="k" * 40)
    settings = Settings(environment=environment, secret_key="k" * 40, demo_data=False)
    assert settings.environment == environment


def test_the_secret_key_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "s" * 40
    settings = Settings(secret_key=key)
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert key not in text
    assert "**********" in repr(settings)


def test_settings_passed_to_create_app_change_the_app() -> None:
    settings = Settings(project_name="Team board", demo_data=False, labels_max_age=0)
    app = create_app(settings)
    assert app.state.settings is settings
    with signed_in(app) as client:
        assert client.get("/openapi.json").json()["info"]["title"] == "Team board"
        assert client.get("/tasks").json() == []
        assert client.get("/labels").headers["cache-control"] == "max-age=0"


def test_the_secret_key_is_in_no_answer() -> None:
    key = "t" * 40
    with signed_in(create_app(Settings(secret_key=key))) as client:
        for url in ("/openapi.json", "/docs", "/labels", "/tasks", "/health"):
            assert key not in client.get(url).text
