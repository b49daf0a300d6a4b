"""Catch-up: Taskboard as it stood after a lesson, built up from the one copy in taskboard/.

Taskboard is made of features (`taskboard/api/main.py`): routers, dependencies, middleware,
exception handlers and services, each added through FastAPI's own API by `create_app`. A lesson
adds features, or a feature that changes what earlier routes do; `checkpoint("NN")` builds the
app from the features of every lesson up to NN. To grow the course, list the features a new
lesson adds in `FEATURES_ADDED_BY`; the code itself lives only in taskboard/.
"""

from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from taskboard.api import main as taskboard_features
from taskboard.core.config import Settings
from taskboard.core.features import Feature
from taskboard.main import create_app

FEATURES_ADDED_BY: dict[str, tuple[Feature, ...]] = {
    "01": (taskboard_features.BOARD,),
    "02": (taskboard_features.EDITING, taskboard_features.USERS),
    "03": (
        taskboard_features.API_DOCS,
        taskboard_features.OFFLINE_DOCS,
        taskboard_features.CHECKLIST,
        taskboard_features.LEGACY_PATHS,
    ),
    "04": (taskboard_features.LABELS,),
    "05": (taskboard_features.REQUEST_STATS, taskboard_features.API_KEY),
    "06": (taskboard_features.FILES, taskboard_features.EXPORT, taskboard_features.LINK_CHECKS),
    "07": (taskboard_features.DATABASE, taskboard_features.USER_DIRECTORY),
    "08": (taskboard_features.SECURITY,),
    "09": (taskboard_features.MIDDLEWARE,),
    "10": (taskboard_features.LIVE_BOARD,),
    "11": (taskboard_features.GRAPHQL,),
    "12": (taskboard_features.CACHE, taskboard_features.RATE_LIMITS),
    # Lesson 13 tests Taskboard and adds no feature: what its fuzzing found was fixed in the
    # features it was found in (a 405's Allow header, the guards' documented 401 and 403).
    "13": (),
    # Lesson 14 adds no feature: it makes the existing ones cheaper (one database session and
    # one query per read, tokens verified once), which every checkpoint gets.
    "14": (),
    "15": (taskboard_features.DEPLOYMENT,),
    # Lesson 16, the capstone, serves the whole Taskboard for real and adds no feature.
    "16": (),
}


class CheckpointSettings(Settings):
    """Taskboard's defaults, whatever the machine says: no `TASKBOARD_*` variable, no `.env`.

    A lesson's output must not depend on a variable set in the learner's shell or a `.env` file
    left in `notebooks/`. Arguments still count: `CheckpointSettings(demo_data=False)`.
    """

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def features_after(lesson: str) -> tuple[Feature, ...]:
    """Every feature Taskboard has once `lesson` is done, in the order they were added."""
    if lesson not in FEATURES_ADDED_BY:
        known = ", ".join(sorted(FEATURES_ADDED_BY))
        raise ValueError(f"No checkpoint for lesson {lesson!r}; known lessons: {known}")
    return tuple(
        feature
        for nn, features in sorted(FEATURES_ADDED_BY.items())
        if nn <= lesson
        for feature in features
    )


def checkpoint(lesson: str, settings: Settings | None = None) -> FastAPI:
    """A fresh Taskboard app as it stood after `lesson`.

    Without `settings` it uses Taskboard's defaults and ignores the environment and `.env`
    files; pass a `Settings` to build it from other values, as a deployment would.
    """
    return create_app(settings or CheckpointSettings(), features_after(lesson))
