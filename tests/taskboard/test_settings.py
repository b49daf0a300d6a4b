import pytest

from taskboard.core.config import Settings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_PROJECT_NAME", "Team board")
    monkeypatch.setenv("TASKBOARD_DEMO_DATA", "false")
    settings = Settings()
    assert settings.project_name == "Team board"
    assert settings.demo_data is False


def test_a_malformed_value_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_DEMO_DATA", "perhaps")
    with pytest.raises(ValueError, match="demo_data"):
        Settings()
