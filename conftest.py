"""Loaded by pytest for every path it collects (tests/, notebooks/, solutions/, or one notebook)."""

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Every check records its verdict (course/progress.py). In the tests, verdicts stay in the
    # memory of the process that made them: no test writes the developer's .course-progress.json,
    # and every notebook's kernel (nbval's, nbclient's, JupyterLab's: each inherits os.environ)
    # starts with no progress, so a stored progress table is the same in every run.
    os.environ["COURSE_PROGRESS_FILE"] = ":memory:"
    # Taskboard reads TASKBOARD_* variables (an API key, say); the tests set the ones they test,
    # and a developer's own must not change what the suite, or a server it starts, sees.
    # DATABASE_URL and REDIS_URL too: an app, server or kernel of the suite must never share a
    # database or a Redis with another (the tests read theirs from TEST_DATABASE_URL and
    # TEST_REDIS_URL).
    for name in [name for name in os.environ if name.startswith("TASKBOARD_")]:
        del os.environ[name]
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Taskboard hashes with argon2's default cost (~0.1 s a password, on purpose), and from
    # lesson 08 on most tests log in, which hashes twice. In this process the tests hash with
    # argon2 at its cheapest instead: the same code path, a thousand times faster. Notebooks run
    # in kernels of their own, and servers in processes of their own, with the defaults;
    # tests/taskboard/test_users.py checks that the app's hasher keeps them.
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from taskboard.core import security

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    monkeypatch.setattr(security, "_password_hash", cheap)
    security._hash_of_nobody.cache_clear()
