from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskboard.core.config import Settings
from taskboard.main import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app() -> FastAPI:
    return create_app(Settings(demo_data=True))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
