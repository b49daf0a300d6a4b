"""Taskboard's settings: one typed object, read once from the environment and a `.env` file.

`create_app(settings)` takes it as an argument, so a test builds an app with exactly the settings
it needs (`create_app(Settings(demo_data=False))`) and no global has to be patched or cleared.
"""

import os
import re
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

# The key that signs login tokens (lesson 08) on a laptop. Loudly named, and refused anywhere but
# `environment="local"`. Never a random key per process: tokens would die with the process, and
# each of several workers (lesson 15) would refuse the tokens the others signed.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-TASKBOARD_SECRET_KEY"

# A host name or IPv4 address, or an IPv6 address in brackets, as in a Host header (lesson 09).
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]")


class Settings(BaseSettings):
    """Everything that changes between a laptop, CI and production, read from the environment.

    Each field can be set with a `TASKBOARD_`-prefixed variable, e.g. `TASKBOARD_DEMO_DATA=false`,
    or a line in a `.env` file in the working directory, or a file in the folder that
    TASKBOARD_SECRETS_DIR names (lesson 15). Priority, highest first: arguments to
    `Settings(...)`, environment variables, the `.env` file, secret files, the defaults below.
    """

    # hide_input_in_errors: a malformed value is named in the error but never repeated, since it
    # may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="TASKBOARD_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    # "local" on a laptop and in tests; anything else refuses development defaults (below).
    environment: Literal["local", "staging", "production"] = "local"
    project_name: str = "Taskboard"
    # Seed a few example tasks so a fresh app has something to show; production turns it off.
    demo_data: bool = True
    # Seconds a client may reuse an answer of the labels routes (the Cache-Control max-age).
    labels_max_age: int = Field(default=30, ge=0, le=86_400)
    # SecretStr shows as '**********' in reprs, logs and tracebacks; read it with
    # `.get_secret_value()` only where it is used.
    secret_key: SecretStr = Field(default=SecretStr(DEVELOPMENT_SECRET_KEY), min_length=32)
    # How long a login token (lesson 08) is valid, in minutes.
    access_token_expire_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
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

    # --- Lessons 10 and 12: Redis -------------------------------------------------------------
    # None, the default, keeps the live board's broker, the cache and the rate limits in this
    # process's memory. `redis://host:6379/0` shares them between every worker and instance
    # that points at the same Redis, and keeps them across restarts. REDIS_URL works too.
    redis_url: str | None = Field(
        default=None,
        repr=False,
        validation_alias=AliasChoices("TASKBOARD_REDIS_URL", "REDIS_URL", "redis_url"),
    )

    # --- Lesson 12: caching and rate limits (taskboard/core/cache.py, rate_limits.py) -----------
    # Seconds the server keeps a user's board stats before computing them again. A change to one
    # of their tasks clears them at once; this bounds how stale they can get if a change is missed
    # (a write straight into the database, by another program).
    stats_cache_seconds: int = Field(default=60, ge=1, le=86_400)
    # Each user may make `write_rate_limit` writes (creating, changing or deleting tasks, their
    # comments, checklists and files) in any `write_rate_window` seconds; one more answers 429
    # with Retry-After. Generous by default: an import script may burst, a runaway loop is
    # stopped. Reads are never limited.
    write_rate_limit: int = Field(default=300, ge=1, le=100_000)
    write_rate_window: int = Field(default=60, ge=1, le=86_400)

    # --- Lesson 09: middleware (taskboard/core/middleware.py) -----------------------------------
    # Origins (scheme://host[:port]) whose browser pages may call the API: CORS. Empty, the
    # default, sends no CORS header at all, so only pages the API serves itself (its /docs) can.
    # From the environment, a JSON list: TASKBOARD_CORS_ORIGINS='["https://board.example.com"]'.
    # Each is stored as a browser writes its Origin header: lowercase, no default port, no slash.
    cors_origins: list[str] = Field(default_factory=list)
    # Whether those pages may send cookies and HTTP authentication along (CORS "credentials").
    # Taskboard's own tokens travel in the Authorization header, which needs no credentials.
    cors_allow_credentials: bool = True
    # The Host headers the app answers; any other gets a 400 (TrustedHostMiddleware), e.g.
    # TASKBOARD_ALLOWED_HOSTS='["board.example.com", "*.board.example.com"]'. The default, "*",
    # checks nothing, and has to: JupyterLab's proxy (and Binder's) passes on the Host of the
    # Jupyter server, whatever it is, and Kubernetes probes (lesson 15) send the pod's IP address.
    # TestClient sends "testserver"; a browser on `fastapi dev` sends "127.0.0.1" or "localhost".
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("cors_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, origins: list[str]) -> list[str]:
        normalised: list[str] = []
        for index, origin in enumerate(origins):
            if origin == "*":
                normalised.append(origin)
                continue
            # The value is not repeated in the error: a URL may carry a password.
            refused = ValueError(
                f"cors_origins[{index}] is not an origin: write scheme://host[:port], such as "
                "'https://board.example.com', with no path, query or user name"
            )
            parts = urlsplit(origin.strip())
            try:
                port = parts.port
            except ValueError:
                raise refused from None
            host = parts.hostname or ""
            host = f"[{host}]" if ":" in host else host
            if (
                parts.scheme not in ("http", "https")
                or not _HOST.fullmatch(host)
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
                or "@" in parts.netloc
            ):
                # "null", the origin of sandboxed frames and local files, is refused too:
                # allowing it would allow any page that makes itself one.
                raise refused
            default_port = {"http": 80, "https": 443}[parts.scheme]
            normalised.append(
                f"{parts.scheme}://{host}"
                + (f":{port}" if port not in (None, default_port) else "")
            )
        return list(dict.fromkeys(normalised))

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_as_the_host_header_has_them(cls, hosts: list[str]) -> list[str]:
        normalised = [host.strip().lower() for host in hosts]
        if "*" in normalised:
            return ["*"]
        if not normalised:
            raise ValueError(
                'allowed_hosts names no host, so every request would get a 400: list some, or ["*"]'
            )
        for index, host in enumerate(normalised):
            # TrustedHostMiddleware compares the Host header's name only: no scheme, no port.
            if not _HOST.fullmatch(host.removeprefix("*.")):
                raise ValueError(
                    f"allowed_hosts[{index}] is not a host name: write it without a scheme or a "
                    "port, such as 'board.example.com', '*.example.com' or '127.0.0.1'"
                )
        return list(dict.fromkeys(normalised))

    @model_validator(mode="after")
    def _no_wildcard_origin_with_credentials(self) -> Self:
        # Browsers refuse `Access-Control-Allow-Origin: *` on a request with credentials, and
        # Starlette's CORSMiddleware then answers every origin by its own name instead: any site
        # could call the API as its visitors. So the combination is refused here, by name.
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                'cors_origins ["*"] cannot go with cors_allow_credentials=True: browsers refuse '
                '"Access-Control-Allow-Origin: *" on a request with credentials. List the origins '
                "(TASKBOARD_CORS_ORIGINS='[\"https://board.example.com\"]'), or set "
                "TASKBOARD_CORS_ALLOW_CREDENTIALS=false"
            )
        return self

    # --- end of lesson 09 -------------------------------------------------------------------------

    # --- Lesson 15: secrets in files ----------------------------------------------------------
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read settings from files too, in the folder that TASKBOARD_SECRETS_DIR names.

        Docker's secrets and Kubernetes' secret volumes are folders with one file per secret,
        named like its variable (`TASKBOARD_SECRET_KEY`, `DATABASE_URL`; case is ignored), which
        holds the value. A file keeps a secret out of the environment, which every child process
        inherits and `docker inspect` shows. Priority, highest first: arguments, environment
        variables, the `.env` file, secret files, the defaults.
        """
        secrets_dir = os.environ.get("TASKBOARD_SECRETS_DIR")
        if secrets_dir:
            file_secret_settings = SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _no_development_defaults_outside_local(self) -> Self:
        """Refuse to start a staging or production app with a key or demo data anyone knows."""
        if self.environment == "local":
            return self
        if self.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"environment={self.environment!r} needs a secret key of its own: set "
                "TASKBOARD_SECRET_KEY, e.g. to the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        if self.demo_data:
            raise ValueError(
                f"environment={self.environment!r} must not serve the demo data, whose demo "
                "account has a published password: set TASKBOARD_DEMO_DATA=false"
            )
        return self
