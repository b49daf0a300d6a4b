import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskboard.core.config import Settings
from taskboard.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # Every check records its verdict (course/progress.py). In the tests, verdicts stay in the
    # memory of the process that made them: no test writes the developer's .course-progress.json,
    # and every notebook's kernel (nbval's, nbclient's, JupyterLab's: each inherits os.environ)
    # starts with no progress, so a stored progress table is the same in every run.
    os.environ["COURSE_PROGRESS_FILE"] = ":memory:"


@pytest.fixture
def app() -> FastAPI:
    return create_app(Settings(demo_data=True))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
