from fastapi import APIRouter

from taskboard.api.deps import StoreDep
from taskboard.models import ErrorMessage, UserCreate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])

# The store returns UserInDB, with its password_hash. The return type `UserPublic` is the filter:
# FastAPI validates the answer against it and sends only its fields.
# A taken username raises UsernameTaken in the store; taskboard/errors.py answers 409.


@router.post(
    "",
    status_code=201,
    summary="Sign up a user",
    response_description="The new user, without the password.",
    responses={409: {"model": ErrorMessage, "description": "The username is taken."}},
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
