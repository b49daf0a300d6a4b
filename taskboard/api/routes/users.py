from fastapi import APIRouter, HTTPException

from taskboard.api.deps import StoreDep
from taskboard.models import UserCreate, UserPublic
from taskboard.store import UsernameTaken

router = APIRouter(prefix="/users", tags=["users"])

# The store returns UserInDB, with its password_hash. The return type `UserPublic` is the filter:
# FastAPI validates the answer against it and sends only its fields.


@router.post("", status_code=201)
async def create_user(store: StoreDep, user_in: UserCreate) -> UserPublic:
    try:
        user = store.create_user(user_in)
    except UsernameTaken as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return user


@router.get("/{user_id}")
async def read_user(store: StoreDep, user_id: int) -> UserPublic:
    return store.get_user(user_id)
