from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from taskboard.api.deps import StoreDep
from taskboard.api.responses import UNREADABLE_BODY
from taskboard.models import MAX_USERS_PER_BATCH, ErrorMessage, Page, UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])

# The store returns UserInDB, with its password_hash. The return type `UserPublic` is the filter:
# FastAPI validates the answer against it and sends only its fields.
# A taken username raises UsernameTaken in the store; taskboard/errors.py answers 409.


@router.post(
    "",
    status_code=201,
    summary="Sign up a user",
    response_description="The new user, without the password.",
    responses={
        **UNREADABLE_BODY,
        409: {"model": ErrorMessage, "description": "The username is taken."},
    },
)
async def create_user(store: StoreDep, user_in: UserCreate) -> UserPublic:
    """The password is hashed with argon2 at once; neither it nor its hash is ever returned."""
    # The store hashes in the threadpool (argon2 is slow on purpose), so awaiting it here keeps
    # the event loop free for other requests.
    return await store.create_user(user_in)


@router.get(
    "/{user_id}",
    summary="Read a user",
    responses={404: {"model": ErrorMessage, "description": "No user has this id."}},
)
async def read_user(store: StoreDep, user_id: int) -> UserPublic:
    """One user, by id, without the password hash."""
    return await store.get_user(user_id)


# Lesson 07: with users in a database, the directory lists, signs up teams and deletes them.
directory_router = APIRouter(prefix="/users", tags=["users"])


@directory_router.get("", summary="List users")
async def list_users(store: StoreDep, page: Annotated[Page, Query()]) -> list[UserPublic]:
    """Users in the order they signed up, a page at a time (`offset`, then at most `limit`)."""
    return await store.list_users(page)


@directory_router.post(
    "/batch",
    status_code=201,
    summary="Sign up a team",
    response_description="The new users, in the order given, without their passwords.",
    responses={
        **UNREADABLE_BODY,
        409: {"model": ErrorMessage, "description": "A username is taken or given twice."},
    },
)
async def create_users(
    store: StoreDep,
    users_in: Annotated[list[UserCreate], Body(min_length=1, max_length=MAX_USERS_PER_BATCH)],
) -> list[UserPublic]:
    """Every user is signed up, or none: one taken username changes nothing (a 409)."""
    return await store.create_users(users_in)


# Apart from the directory, which stays public, so that lesson 08 can require a user here.
account_router = APIRouter(prefix="/users", tags=["users"])

# From lesson 08 on, a user may delete only their own account (NotYourAccount, answered 403).
# Documented by the SECURITY feature, with the guard that makes it possible.
NOT_YOUR_ACCOUNT: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorMessage,
        "description": "The user is not you: you can only delete yourself.",
    }
}


@account_router.delete(
    "/{user_id}",
    status_code=204,
    summary="Delete a user",
    responses={404: {"model": ErrorMessage, "description": "No user has this id."}},
)
async def delete_user(store: StoreDep, user_id: int) -> None:
    """The user is gone, with their tasks, and the username is free again."""
    await store.delete_user(user_id)
