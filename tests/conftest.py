import gc
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course.checkpoints import CheckpointSettings
from course.login import signed_in
from taskboard.main import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app() -> FastAPI:
    # CheckpointSettings reads no TASKBOARD_* variable and no .env file: a developer's own
    # environment (an API key, say) never changes what the tests see.
    return create_app(CheckpointSettings(demo_data=True))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app, logged in as the demo account if the app has a login (lesson 08)."""
    with signed_in(app) as client:
        yield client


@pytest.fixture
def no_coroutine_outlives_its_test() -> Iterator[None]:
    """For tests of checks on mistaken apps, which drop coroutines unawaited.

    Such a coroutine may sit in a reference cycle (its exception's traceback) until the garbage
    collector runs: collect it at the end of its own test, where its warning is expected,
    rather than during another test's check.
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gc.collect()


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A notebook's namespace: cells run at its top level, its classes and functions belong to it."""
    module = ModuleType("learner_notebook")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    yield module
