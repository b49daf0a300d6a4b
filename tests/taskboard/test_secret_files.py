"""Lesson 15: settings read from secret files, in the folder TASKBOARD_SECRETS_DIR names, as Docker's
secrets and Kubernetes' secret volumes provide them."""

from pathlib import Path

import pytest

from course.checkpoints import CheckpointSettings
from taskboard.core.config import DEVELOPMENT_SECRET_KEY, Settings

KEY = "k7Qm2VxR9pLw4ZtN8cYb3HfJ6dGs5AeU1oKi0Wq"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*(f"TASKBOARD_{n.upper()}" for n in Settings.model_fields), "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TASKBOARD_SECRETS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "secrets"
    folder.mkdir()
    monkeypatch.setenv("TASKBOARD_SECRETS_DIR", str(folder))
    return folder


def test_secrets_are_read_from_files_named_like_their_variables(secrets: Path) -> None:
    (secrets / "TASKBOARD_SECRET_KEY").write_text(KEY + "\n")
    (secrets / "DATABASE_URL").write_text("postgresql+asyncpg://u:pw@db/taskboard\n")
    settings = Settings(environment="production", demo_data=False)
    assert settings.secret_key.get_secret_value() == KEY  # the newline is stripped
    assert settings.database_url == "postgresql+asyncpg://u:pw@db/taskboard"


def test_lowercase_file_names_work_too(secrets: Path) -> None:
    (secrets / "taskboard_secret_key").write_text(KEY)
    assert Settings().secret_key.get_secret_value() == KEY


def test_a_variable_beats_a_file(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (secrets / "TASKBOARD_SECRET_KEY").write_text("from-the-file-" + "x" * 30)
    monkeypatch.setenv("TASKBOARD_SECRET_KEY", KEY)
    assert Settings().secret_key.get_secret_value() == KEY


def test_without_the_variable_no_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "TASKBOARD_SECRET_KEY").write_text(KEY)
    assert Settings().secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY


def test_a_folder_that_does_not_exist_is_named_in_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKBOARD_SECRETS_DIR", str(tmp_path / "missing"))
    with pytest.warns(UserWarning, match=r'directory ".*missing" does not exist'):
        Settings()


def test_checkpoints_read_no_secret_files(secrets: Path) -> None:
    (secrets / "TASKBOARD_SECRET_KEY").write_text(KEY)
    assert CheckpointSettings().secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
