"""Labels: the tags in use on tasks, and the tasks behind each one (lesson 04).

A label is not stored on its own: it exists while at least one task carries it. Everything this
router answers may be cached by clients for `settings.labels_max_age` seconds; the router-level
dependency sets that header once for every route, and `responses` documents it once.
"""

from fastapi import APIRouter, Depends, Response

from taskboard.api.deps import SettingsDep, StoreDep
from taskboard.models import ErrorMessage, Label, TaskPublic


async def cache_for_labels_max_age(settings: SettingsDep, response: Response) -> None:
    """Let clients reuse a labels answer for the app's `labels_max_age` seconds."""
    response.headers["Cache-Control"] = f"max-age={settings.labels_max_age}"


router = APIRouter(
    prefix="/labels",
    tags=["labels"],
    dependencies=[Depends(cache_for_labels_max_age)],
    responses={
        200: {
            "headers": {
                "Cache-Control": {
                    "description": "`max-age=N`: the answer may be reused for N seconds.",
                    "schema": {"type": "string"},
                }
            }
        }
    },
)

# An unknown label raises LabelNotFound in the store; taskboard/errors.py answers 404.


@router.get("", summary="Count tasks per label")
async def list_labels(store: StoreDep) -> dict[str, int]:
    """Every label in use, in alphabetical order, with the number of tasks that carry it."""
    return await store.label_counts()


@router.get(
    "/{label}/tasks",
    summary="List the tasks with a label",
    responses={404: {"model": ErrorMessage, "description": "No task carries this label."}},
)
async def list_label_tasks(store: StoreDep, label: Label) -> list[TaskPublic]:
    """Every task carrying `label`. A label that breaks the label rules is a 422."""
    return await store.tasks_with_label(label)
