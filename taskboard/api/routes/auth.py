"""Logging in (lesson 08): the OAuth2 password flow, and who the token belongs to.

`POST /auth/token` takes a form (OAuth2 says so; python-multipart parses it), checks the
password against its argon2 hash, and answers a signed, expiring token. Routes of earlier
lessons want that token as `Authorization: Bearer <token>` (taskboard/api/main.py adds the
guards, taskboard/api/deps.py reads the token).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from taskboard.api.deps import NOT_SIGNED_IN, CurrentUser, SettingsDep, StoreDep
from taskboard.core.config import Settings
from taskboard.core.security import SCOPES, create_access_token, verify_no_password, verify_password
from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME
from taskboard.models import ErrorMessage, Token, UserCreate, UserInDB, UserPublic
from taskboard.store import Store

router = APIRouter(prefix="/auth", tags=["auth"])

WRONG_CREDENTIALS = "Incorrect username or password"


async def _demo_account(store: Store, settings: Settings, username: str) -> UserInDB | None:
    """With demo data, the demo account, created at its first login with the demo tasks.

    Created then rather than at startup, so that apps of earlier lessons, which have no login,
    never show a user they did not sign up.
    """
    if not settings.demo_data or username != DEMO_USERNAME:
        return None
    user = await store.create_user(UserCreate(username=DEMO_USERNAME, password=DEMO_PASSWORD))
    await store.adopt_unowned_tasks(user.id)
    return user


@router.post(
    "/token",
    summary="Log in",
    response_description="A bearer token for the `Authorization` header.",
    responses={
        400: {
            "model": ErrorMessage,
            "description": "Wrong credentials or scope, or a body that is not a form.",
        }
    },
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    store: StoreDep,
    settings: SettingsDep,
) -> Token:
    """Trade a username and password for a token.

    Ask for scopes in the form's `scope` field, separated by spaces; without any, the token
    allows every scope.
    """
    unknown = sorted(set(form.scopes) - SCOPES.keys())
    if unknown:
        raise HTTPException(400, f"Unknown scope: {', '.join(unknown)}")
    user = await store.find_user(form.username) or await _demo_account(
        store, settings, form.username
    )
    # argon2 in the threadpool; for an unknown username too, so both answers take as long.
    if user is None:
        await run_in_threadpool(verify_no_password, form.password)
    if user is None or not await run_in_threadpool(
        verify_password, form.password, user.password_hash
    ):
        raise HTTPException(400, WRONG_CREDENTIALS)
    scopes = form.scopes or list(SCOPES)
    return Token(
        access_token=create_access_token(user.id, scopes, settings),
        expires_in=settings.access_token_expire_minutes * 60,
        scope=" ".join(sorted(scopes)),
    )


@router.get("/me", summary="Who am I", responses=NOT_SIGNED_IN)
async def read_me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return user
