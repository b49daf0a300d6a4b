"""Lesson 08 checks: correct answers in any style pass; typical mistakes fail with the right hint.

Each app is built as the exercise builds it: Taskboard after lesson 07 (`checkpoint("07")`) with
the learner's login and `/auth/me` routers (Tasks 1 to 3), and a board of Taskboard's routers
guarded by the learner's `get_current_user` (Task 4). `learner(style, **mistakes)` writes them,
in the solution's way or another correct one, with one typical mistake turned on by each keyword.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, Security
from fastapi.params import Depends as Dependency
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from course import checkpoint
from course.checkpoints import CheckpointSettings
from course.checks import checks_of, lesson08
from taskboard.api.deps import SettingsDep, StoreDep
from taskboard.api.routes import tasks, users
from taskboard.core.config import Settings
from taskboard.core.security import (
    InvalidToken,
    create_access_token,
    hash_password,
    read_access_token,
    verify_no_password,
    verify_password,
)
from taskboard.errors import not_found_handler
from taskboard.models import UserInDB, UserPublic
from taskboard.store import NotFound, Store, UserNotFound
from tests.checking import failure

ALL_CHECKS = checks_of("08")
SCOPES = {"tasks:read": "Read your tasks.", "tasks:write": "Change your tasks."}
WRONG = "Incorrect username or password"
APP_CHECKS = (lesson08.login, lesson08.current_user, lesson08.scopes)


class LoginForm(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@dataclass
class Learner:
    """What the learner's cells define: Task 1's and Task 2's routers, and the dependency."""

    auth_router: APIRouter
    me_router: APIRouter
    current_user: Any


def learner(style: str = "solution", **mistakes: bool) -> Learner:
    """The learner's code, in `style`, with the mistakes named.

    Styles, each correct and unlike the solution in one way or more:
    - "solution": the solution's way;
    - "other": `Form()` parameters instead of OAuth2PasswordRequestForm, `asyncio.to_thread`,
      the time of a password check spent on an unknown username too, a `Token` model as the
      return type, `exp` as a timestamp, `jwt.PyJWT()` objects, `jwt.PyJWTError` caught, a
      class-based dependency, scopes compared as sets, the user looked up in a transaction;
    - "taskboard": Taskboard's own `create_access_token` and `read_access_token`.
    """
    on = mistakes.get
    scheme = OAuth2PasswordBearer(
        tokenUrl="auth/token", **({} if on("plain_scheme") else {"scopes": SCOPES})
    )
    TokenDep = Annotated[str, Depends(scheme)]

    # --- Task 1 (and Task 3's scopes) ----------------------------------------------------

    async def password_ok(password: str, password_hash: str) -> bool:
        if on("swapped_verify"):
            return await run_in_threadpool(verify_password, password_hash, password)
        if on("on_the_loop"):
            return verify_password(password, password_hash)
        if on("rehash"):
            return await run_in_threadpool(hash_password, password) == password_hash
        if style == "other":
            return await asyncio.to_thread(verify_password, password, password_hash)
        return await run_in_threadpool(verify_password, password, password_hash)

    def token_for(user: UserInDB, asked: list[str], settings: Settings) -> str:
        scopes = asked if asked or on("no_default") else list(SCOPES)
        if on("ignores_asked"):
            scopes = list(SCOPES)
        if style == "taskboard":
            return create_access_token(user.id, scopes, settings)
        minutes = 30 if on("expire_30") else settings.access_token_expire_minutes
        claims: dict[str, Any] = {"sub": user.id if on("sub_int") else str(user.id)}
        if not on("no_exp"):
            if style == "other":
                claims["exp"] = int(time.time()) + minutes * 60
            else:
                claims["exp"] = datetime.now(UTC) + timedelta(minutes=minutes)
        if on("scope_list"):
            claims["scope"] = scopes
        elif not on("no_scope_claim"):
            claims["scope"] = " ".join(scopes)
        key = "a-key-of-my-own-that-the-app-knows-nothing-of"
        key = key if on("own_secret") else settings.secret_key.get_secret_value()
        algorithm = "HS512" if on("hs512") else "HS256"
        if style == "other":
            return jwt.PyJWT().encode(claims, key, algorithm=algorithm)
        return jwt.encode(claims, key, algorithm=algorithm)

    async def issue(
        store: Any, settings: Settings, username: str, password: str, asked: list[str]
    ) -> dict[str, str]:
        unknown = set(asked) - SCOPES.keys()
        if unknown and not on("unknown_ok"):
            raise HTTPException(400, f"Unknown scope: {' '.join(sorted(unknown))}")
        refused = 401 if on("status_401") else 400
        user = await store.find_user(username)
        if user is None:
            if style == "other":
                await asyncio.to_thread(verify_no_password, password)
            raise HTTPException(refused, "Unknown username" if on("two_messages") else WRONG)
        if not await password_ok(password, user.password_hash):
            raise HTTPException(refused, WRONG)
        token = token_for(user, asked, settings)
        if on("not_a_jwt"):
            token = f"token-of-{user.username.split('_')[0]}"
        if on("no_token_type"):
            return {"access_token": token}
        return {"access_token": token, "token_type": "bearer"}

    auth_router = APIRouter(prefix="/auth", tags=["auth"])
    if on("json_login"):

        @auth_router.post("/token")
        async def log_in_with_json(
            login: LoginForm, store: StoreDep, settings: SettingsDep
        ) -> dict[str, str]:
            return await issue(store, settings, login.username, login.password, [])

    elif style == "other":

        @auth_router.post("/token")
        async def log_in_with_fields(
            username: Annotated[str, Form()],
            password: Annotated[str, Form()],
            store: StoreDep,
            settings: SettingsDep,
            scope: Annotated[str, Form()] = "",
        ) -> Token:
            return Token(**await issue(store, settings, username, password, scope.split()))

    else:

        @auth_router.post("/token")
        async def log_in(
            form: Annotated[OAuth2PasswordRequestForm, Depends()],
            store: StoreDep,
            settings: SettingsDep,
        ) -> dict[str, str]:
            return await issue(store, settings, form.username, form.password, form.scopes)

    # --- Task 2 (with Task 3's scopes and Task 4's request.state.user) ----------------------

    def decode(token: str, key: str) -> dict[str, Any]:
        if on("no_algorithms"):
            return jwt.decode(token, key)
        if on("none_allowed"):
            return jwt.decode(token, key, algorithms=["HS256", "none"])
        if on("no_verify"):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_signature": False})
        if on("no_expiry_check"):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
        if style == "other":
            return jwt.PyJWT().decode(token, key, algorithms=["HS256"])
        return jwt.decode(token, key, algorithms=["HS256"])

    async def resolve(
        request: Request,
        security_scopes: SecurityScopes,
        token: str,
        settings: Settings,
        store: Any = None,
    ) -> UserInDB:
        challenge = "Bearer"
        if security_scopes.scopes and not on("no_scope_challenge"):
            challenge += f' scope="{security_scopes.scope_str}"'
        headers = None if on("no_challenge") else {"WWW-Authenticate": challenge}
        refused = HTTPException(403 if on("status_403") else 401, "Bad token", headers=headers)
        key = settings.secret_key.get_secret_value()
        users = store or request.app.state.store
        if style == "taskboard":
            try:
                claims = read_access_token(token, settings)
                user = await users.get_user(claims.user_id)
            except (InvalidToken, UserNotFound):
                raise refused from None
            granted = set(claims.scopes)
        else:
            if on("uncaught"):
                claims = decode(token, key)
            else:
                errors = jwt.PyJWTError if style == "other" else jwt.InvalidTokenError
                try:
                    claims = decode(token, key)
                except errors:
                    raise refused from None
            if on("user_not_checked"):
                user = await users.get_user(int(claims["sub"]))
            else:
                try:
                    if style == "other" and store is None:
                        async with request.app.state.store.transaction() as view:
                            user = await view.get_user(int(claims["sub"]))
                    else:
                        user = await users.get_user(int(claims["sub"]))
                except UserNotFound:
                    raise refused from None
            granted = set(str(claims.get("scope", "")).split())
        if style == "other":
            allowed = set(security_scopes.scopes) <= granted
        else:
            allowed = all(scope in granted for scope in security_scopes.scopes)
        if not allowed:
            raise HTTPException(401 if on("scope_401") else 403, "Not allowed", headers=headers)
        if not on("no_state_user"):
            request.state.user = user
        return user

    current_user: Any
    if style == "other":

        class BearerUser:
            """A class-based dependency: its instance is called with the parameters."""

            async def __call__(
                self,
                request: Request,
                security_scopes: SecurityScopes,
                token: TokenDep,
                settings: SettingsDep,
            ) -> UserInDB:
                return await resolve(request, security_scopes, token, settings)

        current_user = BearerUser()
    elif on("store_dep"):

        async def get_current_user_from_store_dep(
            request: Request,
            security_scopes: SecurityScopes,
            token: TokenDep,
            settings: SettingsDep,
            store: StoreDep,
        ) -> UserInDB:
            return await resolve(request, security_scopes, token, settings, store)

        current_user = get_current_user_from_store_dep
    else:

        async def get_current_user(
            request: Request,
            security_scopes: SecurityScopes,
            token: TokenDep,
            settings: SettingsDep,
        ) -> UserInDB:
            return await resolve(request, security_scopes, token, settings)

        current_user = get_current_user

    me_router = APIRouter(prefix="/auth", tags=["auth"])
    if on("leaks_hash"):

        @me_router.get("/me")
        async def read_me_with_hash(user: Annotated[UserInDB, Depends(current_user)]) -> UserInDB:
            return user

    else:

        @me_router.get("/me")
        async def read_me(user: Annotated[UserInDB, Depends(current_user)]) -> UserPublic:
            return user

    return Learner(auth_router, me_router, current_user)


def auth_app(
    style: str = "solution", settings: Settings | None = None, **mistakes: bool
) -> FastAPI:
    """Tasks 1 to 3: the catch-up app with the learner's two routers."""
    code = learner(style, **mistakes)
    app = checkpoint("07", settings)
    app.include_router(code.auth_router)
    if not mistakes.get("no_me"):
        app.include_router(code.me_router)
    return app


def board_app(style: str = "solution", **mistakes: bool) -> FastAPI:
    """Task 4: Taskboard's routers, guarded by the learner's dependency."""
    code = learner("solution" if style == "router" else style, **mistakes)
    read: Dependency = Security(code.current_user, scopes=["tasks:read"])
    write: Dependency = Security(code.current_user, scopes=["tasks:write"])
    if mistakes.get("swapped_guards"):
        read, write = write, read
    if mistakes.get("writes_want_both"):
        write = Security(code.current_user, scopes=["tasks:read", "tasks:write"])
    if mistakes.get("depends_guard"):
        read = write = Depends(code.current_user)
    board = FastAPI(exception_handlers={NotFound: not_found_handler})
    board.state.settings = CheckpointSettings()
    board.state.store = Store()
    board.include_router(users.router)
    if not mistakes.get("no_login"):
        board.include_router(code.auth_router)
    if style == "router":
        # Another way to say the same: routers that carry the guard, the tasks' inside them.
        reading = APIRouter(dependencies=[read])
        reading.include_router(tasks.router)
        writing = APIRouter(dependencies=[write])
        writing.include_router(tasks.write_router)
        board.include_router(reading)
        board.include_router(writing)
        return board
    board.include_router(tasks.router, dependencies=[read])
    board.include_router(
        tasks.write_router, dependencies=[] if mistakes.get("reads_only") else [write]
    )
    return board


# Every task ----------------------------------------------------------------------------------


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_unsolved_exercise_fails_kindly(checker) -> None:
    # Unsolved, `app` stays the catch-up app, and `board` has none of its routers.
    exc = failure(checker, checkpoint("07"))
    assert exc.hint
    assert len(exc._render_traceback_()) <= 12


def test_the_unsolved_board_fails_kindly() -> None:
    board = FastAPI(exception_handlers={NotFound: not_found_handler})
    board.state.settings = CheckpointSettings()
    board.state.store = Store()
    exc = failure(lesson08.guarded_board, board)
    assert "`users.router`" in exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_empty_app_fails_kindly(checker) -> None:
    exc = failure(checker, FastAPI())
    assert exc.got == '404 {"detail":"Not Found"}'
    assert exc.hint
    assert len(exc._render_traceback_()) <= 12


@pytest.mark.parametrize("checker", APP_CHECKS, ids=lambda c: c.__name__)
def test_the_solution_passes_twice(checker) -> None:
    app = auth_app()
    checker(app)
    checker(app)  # and again, as a learner re-running the cell


def test_the_solution_board_passes_twice(capsys: pytest.CaptureFixture[str]) -> None:
    board = board_app()
    lesson08.guarded_board(board)
    lesson08.guarded_board(board)
    # The board has no route to delete a user: the check says nothing about them.
    assert "could not delete" not in capsys.readouterr().out


@pytest.mark.parametrize("checker", APP_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("style", ["other", "taskboard"])
def test_another_correct_style_passes(checker, style: str) -> None:
    checker(auth_app(style))


@pytest.mark.parametrize("style", ["other", "taskboard", "router"])
def test_another_correct_board_passes(style: str) -> None:
    lesson08.guarded_board(board_app(style))


@pytest.mark.parametrize("checker", ALL_CHECKS, ids=lambda c: c.__name__)
def test_taskboard_after_lesson_08_passes_and_deletes_what_it_made(
    checker, capsys: pytest.CaptureFixture[str]
) -> None:
    app = checkpoint("08")
    checker(app)
    checker(app)
    assert "could not delete" not in capsys.readouterr().out


def test_the_checks_use_the_apps_own_settings() -> None:
    settings = CheckpointSettings(secret_key="s" * 40, access_token_expire_minutes=5)
    for checker in APP_CHECKS:
        checker(auth_app(settings=settings))


def test_the_checks_hash_few_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 takes about 0.1 s in a notebook: every sign-up and login hashes once.
    from taskboard.core import security

    calls: list[str] = []
    hasher = security._password_hash

    class Counted:
        def __getattr__(self, name: str) -> Any:
            return getattr(hasher, name)

        def hash(self, *args: Any, **kwargs: Any) -> str:
            calls.append("hash")
            return hasher.hash(*args, **kwargs)

        def verify(self, *args: Any, **kwargs: Any) -> bool:
            calls.append("verify")
            return hasher.verify(*args, **kwargs)

    monkeypatch.setattr(security, "_password_hash", Counted())
    app, board = auth_app(), board_app()
    for checker in APP_CHECKS:
        checker(app)
    lesson08.guarded_board(board)
    assert len(calls) <= 11


# Task 1: logging in --------------------------------------------------------------------------


def test_an_int_sub_is_named() -> None:
    exc = failure(lesson08.login, auth_app(sub_int=True))
    assert exc.problem == "PyJWT refused the token: InvalidSubjectError: Subject must be a string"
    assert exc.sent.startswith("POST /auth/token with form username=")
    assert '"sub": str(user.id)' in exc.hint


def test_a_token_that_is_no_jwt_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(not_a_jwt=True))
    assert exc.problem == "PyJWT refused the token: DecodeError: Not enough segments"
    assert exc.got == "a token that is not a JWT: 'token-of-ada'"
    assert 'algorithm="HS256")` returns' in exc.hint


def test_a_token_without_exp_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(no_exp=True))
    assert exc.problem == "the token has no `exp` claim."
    assert "access_token_expire_minutes" in exc.hint


def test_a_secret_of_ones_own_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(own_secret=True))
    assert "InvalidSignatureError" in exc.problem
    assert "settings.secret_key.get_secret_value()" in exc.hint


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_algorithm_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(hs512=True))
    assert "InvalidAlgorithmError" in exc.problem
    assert 'algorithm="HS256"' in exc.hint


def test_an_expiry_of_ones_own_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(expire_30=True))
    assert exc.problem.startswith("the token should expire 60 minutes from now")
    assert "settings.access_token_expire_minutes" in exc.hint


def test_a_hard_coded_expiry_is_caught_with_other_settings() -> None:
    # The check compares with the app's own setting, whatever it is.
    settings = CheckpointSettings(access_token_expire_minutes=5)
    exc = failure(lesson08.login, auth_app(settings=settings, expire_30=True))
    assert exc.problem.startswith("the token should expire 5 minutes from now")


def test_a_401_for_a_wrong_password_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(status_401=True))
    assert exc.problem == "A wrong password should answer 400."
    assert "OAuth2 answers a refused login with 400" in exc.hint


def test_two_messages_for_two_refusals_are_caught() -> None:
    exc = failure(lesson08.login, auth_app(two_messages=True))
    assert exc.problem.startswith("an unknown username should get the very same answer")
    assert "tells nobody which usernames exist" in exc.hint


def test_swapped_arguments_of_verify_password_are_named() -> None:
    exc = failure(lesson08.login, auth_app(swapped_verify=True))
    assert exc.problem == "checking the password made your app raise UnknownHashError."
    assert "verify_password(form.password, user.password_hash)" in exc.hint


def test_a_password_checked_on_the_event_loop_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(on_the_loop=True))
    assert "on the event loop" in exc.problem
    assert "run_in_threadpool(verify_password" in exc.hint


def test_a_new_hash_compared_with_the_stored_one_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(rehash=True))
    assert exc.problem == "Logging in with the right password should answer 200."
    assert "own salt" in exc.hint


def test_a_json_login_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(json_login=True))
    assert exc.got.startswith("422 ")
    assert "OAuth2PasswordRequestForm" in exc.hint


def test_a_token_response_without_token_type_is_caught() -> None:
    exc = failure(lesson08.login, auth_app(no_token_type=True))
    assert exc.problem == "the login should answer OAuth2's token response."
    assert '"token_type": "bearer"' in exc.hint


def test_a_form_is_reported_as_a_form() -> None:
    exc = failure(lesson08.login, auth_app(status_401=True))
    assert exc.sent.startswith("POST /auth/token with form username=")
    assert exc.sent.endswith("&password=not+the+password")


# Task 2: who is calling ----------------------------------------------------------------------


def test_decoding_without_algorithms_refuses_every_token() -> None:
    exc = failure(lesson08.current_user, auth_app(no_algorithms=True))
    assert exc.problem == "GET /auth/me with a good token should answer 200."
    assert 'algorithms=["HS256"]' in exc.hint


def test_none_among_the_algorithms_is_named() -> None:
    exc = failure(lesson08.current_user, auth_app(none_allowed=True))
    assert "InvalidKeyError" in exc.problem
    assert 'Accept HS256 only, `algorithms=["HS256"]`' in exc.hint


def test_a_signature_never_checked_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(no_verify=True))
    assert "changed after signing" in exc.problem
    assert '`options={"verify_signature": False}`' in exc.hint


def test_an_expiry_never_checked_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(no_expiry_check=True))
    assert exc.problem == "GET /auth/me with an expired token should answer 401."
    assert "ExpiredSignatureError" in exc.hint


def test_an_invalid_token_error_not_caught_is_named() -> None:
    exc = failure(lesson08.current_user, auth_app(uncaught=True))
    assert exc.problem == "a request with a malformed token made your app raise DecodeError."
    assert "catch it" in exc.hint
    assert "jwt.InvalidTokenError" in exc.hint


def test_a_deleted_user_still_answered_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(user_not_checked=True))
    assert exc.got.startswith("404 ")
    assert "catch it in get_current_user and answer 401" in exc.hint


def test_a_403_for_a_bad_token_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(status_403=True))
    assert exc.problem == "GET /auth/me with a malformed token should answer 401."
    assert exc.hint.startswith('403 means "I know who you are, and no"')


def test_a_401_without_its_challenge_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(no_challenge=True))
    assert "WWW-Authenticate: Bearer" in exc.problem
    assert 'headers={"WWW-Authenticate": "Bearer"}' in exc.hint


def test_the_hash_in_the_answer_is_caught() -> None:
    exc = failure(lesson08.current_user, auth_app(leaks_hash=True))
    assert exc.problem == "GET /auth/me shows the password hash."
    assert "UserPublic" in exc.hint


def test_a_user_looked_up_through_store_dep_is_fine_for_task_2() -> None:
    # Task 4 tells it apart, where the route's store matters.
    lesson08.current_user(auth_app(store_dep=True))


# Task 3: scopes ------------------------------------------------------------------------------


def test_a_token_without_its_scopes_is_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(no_scope_claim=True))
    assert exc.problem.startswith("the token should list its scopes in a `scope` claim")
    assert '`"scope": " ".join(scopes)`' in exc.hint


def test_scopes_as_a_list_are_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(scope_list=True))
    assert "a string, not a list" in exc.hint


def test_scopes_not_asked_for_are_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(ignores_asked=True))
    assert "exactly that scope" in exc.problem
    assert "form.scopes" in exc.hint


def test_no_scope_by_default_is_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(no_default=True))
    assert exc.problem == "a login that asks for no scope should get a token for every scope."
    assert "form.scopes or" in exc.hint


def test_an_unknown_scope_let_through_is_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(unknown_ok=True))
    assert exc.problem.startswith("A login that asks for 'tasks:read tasks:delete'")
    assert "not in SCOPES" in exc.hint


def test_a_scheme_without_scopes_is_caught() -> None:
    exc = failure(lesson08.scopes, auth_app(plain_scheme=True))
    assert exc.problem == "the password flow in /openapi.json should list both scopes."
    assert "scopes=SCOPES" in exc.hint


def test_an_app_without_the_guarded_route_shows_no_flow() -> None:
    exc = failure(lesson08.scopes, auth_app(no_me=True))
    assert exc.problem == "/openapi.json shows no OAuth2 password flow."
    assert "Task 2's" in exc.hint


# Task 4: the guarded board -------------------------------------------------------------------


@pytest.mark.parametrize("mistake", ["no_state_user", "store_dep"])
def test_another_users_task_in_sight_is_caught(mistake: str) -> None:
    exc = failure(lesson08.guarded_board, board_app(**{mistake: True}))
    assert "by Grace" in exc.problem
    assert "request.state.user = user" in exc.hint
    assert "not through StoreDep" in exc.hint


def test_swapped_scopes_are_caught() -> None:
    exc = failure(lesson08.guarded_board, board_app(swapped_guards=True))
    assert exc.problem == "GET /tasks with a token for `tasks:read` only should answer 200."
    assert exc.hint.startswith("Reading wants `tasks:read`")


def test_a_guard_on_reads_only_is_caught() -> None:
    exc = failure(lesson08.guarded_board, board_app(reads_only=True))
    assert exc.problem == "POST /tasks without a token should answer 401."
    assert "A guard on the reads alone leaves the writes open." in exc.hint


def test_guards_without_scopes_are_caught() -> None:
    exc = failure(lesson08.guarded_board, board_app(depends_guard=True))
    assert exc.problem == "POST /tasks with a token for `tasks:read` only should answer 403."
    assert exc.hint.startswith("Writing wants `tasks:write`")


def test_a_401_for_a_missing_scope_is_caught() -> None:
    exc = failure(lesson08.guarded_board, board_app(scope_401=True))
    assert exc.got.startswith("401 ")
    assert "that is a 403, not a 401" in exc.hint


def test_a_403_that_does_not_name_its_scope_is_caught() -> None:
    exc = failure(lesson08.guarded_board, board_app(no_scope_challenge=True))
    assert exc.problem == "the 403 should name the scope it wants in `WWW-Authenticate`."
    assert "security_scopes.scope_str" in exc.hint


def test_writes_that_want_both_scopes_pass() -> None:
    # Not what the task asks, but as safe: a 403 whose challenge names both scopes.
    lesson08.guarded_board(board_app(writes_want_both=True))


def test_a_board_without_the_login_is_named() -> None:
    exc = failure(lesson08.guarded_board, board_app(no_login=True))
    assert "Include your `auth_router` (Task 1) in `board`" in exc.hint
