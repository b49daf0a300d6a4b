"""Taskboard's settings: one typed object, read once from the environment and a `.env` file.

`create_app(settings)` takes it as an argument, so a test builds an app with exactly the settings
it needs (`create_app(Settings(demo_data=False))`) and no global has to be patched or cleared.
"""

import secrets

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _new_secret_key() -> SecretStr:
    # A fresh random key per process: fine on a laptop, but tokens signed with it (lesson 08) die
    # with the process, so production sets TASKBOARD_SECRET_KEY.
    return SecretStr(secrets.token_urlsafe(32))


class Settings(BaseSettings):
    """Everything that changes between a laptop, CI and production, read from the environment.

    Each field can be set with a `TASKBOARD_`-prefixed variable, e.g. `TASKBOARD_DEMO_DATA=false`,
    or a line in a `.env` file in the working directory. Priority, highest first: arguments to
    `Settings(...)`, environment variables, the `.env` file, the defaults below.
    """

    # hide_input_in_errors: a malformed value is named in the error but never repeated, since it
    # may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="TASKBOARD_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    project_name: str = "Taskboard"
    # Seed a few example tasks so a fresh app has something to show; production turns it off.
    demo_data: bool = True
    # Seconds a client may reuse an answer of the labels routes (the Cache-Control max-age).
    labels_max_age: int = Field(default=30, ge=0, le=86_400)
    # SecretStr shows as '**********' in reprs, logs and tracebacks; read it with
    # `.get_secret_value()` only where it is used.
    secret_key: SecretStr = Field(default_factory=_new_secret_key, min_length=32)
    # When set, every request but the health checks and the docs must send it in the X-API-Key
    # header (lesson 05). None, the default, leaves the API open.
    api_key: SecretStr | None = Field(default=None, min_length=1)
    # The largest file a task may get attached, in bytes (lesson 06); a larger one answers 413.
    # At most 16 MiB: the upload route refuses any request body above 32 MiB before reading it.
    max_file_bytes: int = Field(default=1024 * 1024, ge=1, le=16 * 1024 * 1024)
    # Where the DATABASE feature (lesson 07) keeps the board. None, the default, is SQLite in
    # memory, one database per app; `postgresql+asyncpg://user:password@host/dbname` is
    # PostgreSQL, with no code change. DATABASE_URL, the name hosting services use, works too.
    # repr=False: a URL may carry a password.
    database_url: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("TASKBOARD_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
