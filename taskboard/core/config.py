from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that changes between a laptop, CI and production, read from the environment.

    Each field can be set with a `TASKBOARD_`-prefixed variable, e.g. `TASKBOARD_DEMO_DATA=false`.
    """

    model_config = SettingsConfigDict(env_prefix="TASKBOARD_", env_file=".env", extra="ignore")

    project_name: str = "Taskboard"
    version: str = "0.1.0"
    # Seed a few example tasks so a fresh app has something to show; production turns it off.
    demo_data: bool = True
