"""Lesson 08 checks: a login that hands out JWTs, the user behind a token, scopes, and a board
where each user sees only their own tasks.

The learner's app is the lesson-07 catch-up with their routers (Tasks 1 to 3), then a board of
Taskboard's own routers guarded by their `get_current_user` (Task 4). Every check leaves the
probe anonymous (`log_in=False`) and sends tokens itself: those the app hands out, read with
PyJWT and the app's secret key as any client of the app could, and tokens the check makes with
that key, as Tasks 1 and 3 state them, so that Task 2 and Task 4 are judged on their own.

The checks sign up users with `POST /users`, which the catch-up has, and hash few passwords:
argon2 takes about 0.1 s each time, and every sign-up and every login hashes once.
"""

import asyncio
import base64
import itertools
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from httpx2 import Response

from course.checks import CheckFailed, IfRaises, Probe, _sent_by, check

TOKEN_URL = "/auth/token"
ME_URL = "/auth/me"
ALGORITHM = "HS256"
SCOPES = ("tasks:read", "tasks:write")
UNKNOWN_SCOPE = "tasks:delete"
WRONG_CREDENTIALS = "Incorrect username or password"
# How far from now + access_token_expire_minutes a token's `exp` may be, in seconds.
EXP_TOLERANCE = 120

_PASSWORD = "correct horse battery"
# A key the app does not have, for a token signed with another key.
_OTHER_KEY = "another-key-that-is-not-the-apps-own-secret"

# Usernames no learner picks: a word, this process's token and a counter.
_RUN = secrets.token_hex(2)
_numbers = itertools.count(1)


def _username(word: str) -> str:
    return f"{word}_{_RUN}_{next(_numbers)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- The app's settings ----------------------------------------------------------------------


def _settings(probe: Probe) -> Any:
    settings = getattr(getattr(probe.app, "state", None), "settings", None)
    if settings is None or not hasattr(settings, "secret_key"):
        raise CheckFailed(
            probe.task,
            "this app has no Taskboard settings in `app.state.settings`, so the check cannot "
            "know its secret key.",
            hint="Pass the app the task asks for: the catch-up's `app`, built by "
            '`checkpoint("07")`, or `board`, whose `board.state.settings` is set.',
        )
    return settings


def _secret(probe: Probe) -> str:
    return _settings(probe).secret_key.get_secret_value()


# --- Tokens the check makes itself, as Tasks 1 and 3 state them -----------------------------


def _encoded(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _claims(user_id: int, scopes: tuple[str, ...] = SCOPES, minutes: float = 10) -> dict[str, Any]:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    return {"sub": str(user_id), "exp": int(expires.timestamp()), "scope": " ".join(scopes)}


def _forge(probe: Probe, claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or _secret(probe), algorithm=ALGORITHM)


def _unsigned(claims: dict[str, Any]) -> str:
    """A token with no signature, whose header says so: `alg: none`."""
    return f"{_encoded({'alg': 'none', 'typ': 'JWT'})}.{_encoded(claims)}."


def _tampered(token: str, claims: dict[str, Any]) -> str:
    """`token` with other claims, and the signature of the original ones."""
    header, _, signature = token.split(".")
    return f"{header}.{_encoded(claims)}.{signature}"


# --- Users the check signs up, and deletes with a token it holds -----------------------------


def _sign_up(probe: Probe, word: str, hint: str) -> dict[str, Any]:
    """A new user, signed up with the catch-up's POST /users: its id, username and password."""
    user = {"username": _username(word), "password": _PASSWORD, "full_name": word.title()}
    created = probe.create("/users", user, hint=hint, hint_first=True)
    return {**created, "password": _PASSWORD}


def _delete_as(probe: Probe, url: str, token: str) -> Response:
    """DELETE `url` with a token the check holds: no new login, so no password is hashed again.

    What is deleted this way needs no clean-up, nor what cannot be: an app without the route
    (405, or 404) keeps it. Anything else the framework deletes at the end.
    """
    probe._accounts.pop(url, None)  # or the probe would log in as its user to delete it
    with probe.sending(_bearer(token)):
        response = probe.request("DELETE", url)
    if response.status_code in (200, 204, 404, 405) and url in probe.created:
        probe.created.remove(url)
    return response


# --- Logging in -------------------------------------------------------------------------------

_FORM = (
    "The login reads a form, as OAuth2 says: `form: Annotated[OAuth2PasswordRequestForm, "
    "Depends()]`, on `POST /auth/token` (an APIRouter with prefix /auth, included in `app`)."
)
_TASK1_FIRST = "This check logs in with Task 1's POST /auth/token: make Task 1's check pass first."

_SWAPPED = IfRaises(
    problem="checking the password made your app raise {error}.",
    hint="`verify_password(password, password_hash)` takes the password first, then the hash "
    "the store keeps: `verify_password(form.password, user.password_hash)`.",
    only=("UnknownHashError",),
)


def _log_in(
    probe: Probe,
    username: str,
    password: str,
    scope: str | None = None,
    if_raises: IfRaises = _SWAPPED,
) -> Response:
    form = {"username": username, "password": password}
    if scope is not None:
        form["scope"] = scope
    return probe.request("POST", TOKEN_URL, form=form, if_raises=if_raises)


def _token(probe: Probe, response: Response, hint: str, *, hint_first: bool = False) -> str:
    """The access token of a login's answer, which must be a 200 with the token response."""
    probe.expect_status(
        response, 200, "Logging in with the right password", hint, hint_first=hint_first
    )
    body = probe.json(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    kind = body.get("token_type") if isinstance(body, dict) else None
    probe.expect(
        isinstance(token, str) and isinstance(kind, str) and kind.casefold() == "bearer",
        "the login should answer OAuth2's token response.",
        response=response,
        expected='{"access_token": "<the JWT>", "token_type": "bearer"}',
        hint=hint
        if hint_first
        else 'Return a dict with both keys, `{"access_token": token, "token_type": "bearer"}`.',
    )
    return token  # type: ignore[return-value]  # expect() raised unless it is a str


_DECODE_HINTS: dict[type[jwt.InvalidTokenError], str] = {
    jwt.exceptions.InvalidSubjectError: "`sub` must be a string, as JWT says, and PyJWT "
    'refuses to decode a token whose `sub` is not: `"sub": str(user.id)`.',
    jwt.InvalidSignatureError: "Sign with the app's own secret key, "
    "`settings.secret_key.get_secret_value()` (`settings: SettingsDep`), not a key of "
    "your own: the app reads its tokens with that key.",
    jwt.InvalidAlgorithmError: 'Sign with HS256: `jwt.encode(claims, key, algorithm="HS256")`.',
    jwt.ExpiredSignatureError: "`exp` is in the past: `datetime.now(UTC) + "
    "timedelta(minutes=settings.access_token_expire_minutes)` (a `datetime.now()` without UTC "
    "is your computer's local time, which PyJWT takes for UTC).",
    jwt.ImmatureSignatureError: "A time claim is in the future: compute times with "
    "`datetime.now(UTC)`, not the local `datetime.now()`.",
}


def _decoded(probe: Probe, response: Response, token: str) -> dict[str, Any]:
    """The token's claims, read as a client of the app would: HS256, the app's key."""
    try:
        return jwt.decode(
            token, _secret(probe), algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.MissingRequiredClaimError as error:
        problem = f"the token has no `{error.claim}` claim."
        hint = (
            '`"exp"`: when the token expires, `datetime.now(UTC) + '
            "timedelta(minutes=settings.access_token_expire_minutes)`. Without it a stolen "
            "token would work forever."
            if error.claim == "exp"
            else '`"sub"`: whom the token is for, the user\'s id as a string, `str(user.id)`.'
        )
    except jwt.InvalidTokenError as error:
        problem = f"PyJWT refused the token: {type(error).__name__}: {error}"
        hint = next(
            (text for kind, text in _DECODE_HINTS.items() if isinstance(error, kind)),
            "`access_token` should be what `jwt.encode(claims, "
            'settings.secret_key.get_secret_value(), algorithm="HS256")` returns.',
        )
    raise CheckFailed(
        probe.task,
        problem,
        sent=_sent_by(response),
        got=_unverified(token),
        expected='a JWT signed with the app\'s secret key (HS256), with "sub" and "exp"',
        hint=hint,
    )


def _unverified(token: str) -> str:
    """What the token says, read without checking anything, for the report."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return f"a token that is not a JWT: {token[:60]!r}"
    return f"a token with the claims {json.dumps(claims)} and the header {json.dumps(header)}"


@contextmanager
def _watching_password_checks() -> Iterator[list[bool]]:
    """For each password that `verify_password` checks meanwhile: whether it ran on the event loop.

    `verify_password` calls the hasher of taskboard.core.security; the check stands in for it
    while it runs, and gives it back afterwards.
    """
    from taskboard.core import security

    hasher = security._password_hash
    on_the_loop: list[bool] = []

    class Watched:
        def __getattr__(self, name: str) -> Any:
            return getattr(hasher, name)

        def verify(self, *args: Any, **kwargs: Any) -> Any:
            on_the_loop.append(_in_an_event_loop())
            return hasher.verify(*args, **kwargs)

    security._password_hash = Watched()  # type: ignore[assignment]
    try:
        yield on_the_loop
    finally:
        security._password_hash = hasher


def _in_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# --- Task 1 -----------------------------------------------------------------------------------


@check(
    "Task 1",
    "POST /auth/token trades a form's username and password for a signed, expiring JWT.",
    log_in=False,
)
def login(probe: Probe) -> None:
    user = _sign_up(
        probe,
        "ada",
        "This check signs up its user with the catch-up's POST /users: keep `app` the "
        'catch-up app, `checkpoint("07")`, with your router included.',
    )
    url = f"/users/{user['id']}"
    with _watching_password_checks() as on_the_loop:
        response = _log_in(probe, user["username"], user["password"])
    token = _token(
        probe,
        response,
        _FORM
        if response.status_code == 422
        else "Look the user up with `await store.find_user(form.username)` and check the password "
        "with `verify_password(form.password, user.password_hash)`: a new hash of the same "
        "password never equals the stored one, since each hash has its own salt.",
    )
    probe.expect(
        not any(on_the_loop),
        "your login checked the password on the event loop: for the tenth of a second argon2 "
        "takes, every other request waits.",
        response=response,
        expected="the password checked in the threadpool",
        hint="`await run_in_threadpool(verify_password, form.password, user.password_hash)`.",
    )
    claims = _decoded(probe, response, token)
    probe.expect(
        claims["sub"] == str(user["id"]),
        f"the token's `sub` should be the user's id, {str(user['id'])!r}.",
        response=response,
        expected=f'a token with "sub": "{user["id"]}"',
        hint='`"sub": str(user.id)`: the id of the user who logged in, as a string.',
    )
    minutes = _settings(probe).access_token_expire_minutes
    wanted = datetime.now(UTC) + timedelta(minutes=minutes)
    exp = claims["exp"]
    probe.expect(
        isinstance(exp, int | float) and abs(exp - wanted.timestamp()) <= EXP_TOLERANCE,
        f"the token should expire {minutes} minutes from now, the app's "
        "`access_token_expire_minutes`.",
        response=response,
        expected=f'"exp" within {EXP_TOLERANCE} s of {wanted:%Y-%m-%d %H:%M:%S} UTC',
        hint='`"exp": datetime.now(UTC) + timedelta(minutes=settings.access_token_expire_minutes)`'
        ", with `settings: SettingsDep`.",
    )
    same = (
        f'Answer both with HTTPException(400, "{WRONG_CREDENTIALS}"): OAuth2 answers a refused '
        "login with 400, and one answer for both tells nobody which usernames exist."
    )
    wrong = _log_in(probe, user["username"], "not the password")
    probe.expect_status(wrong, 400, "A wrong password", same)
    probe.expect_error(wrong, 400, WRONG_CREDENTIALS, "A wrong password", same)
    nobody = (
        "`await store.find_user(form.username)` gives None for an unknown username: then raise "
        f'the same HTTPException(400, "{WRONG_CREDENTIALS}") as for a wrong password.'
    )
    unknown = _log_in(
        probe,
        _username("nobody"),
        user["password"],
        if_raises=IfRaises(
            problem="an unknown username made your app raise {error}.",
            hint=nobody,
            expected="status 400",
        ),
    )
    probe.expect_status(unknown, 400, "An unknown username", nobody)
    probe.expect(
        probe.json(unknown) == probe.json(wrong),
        "an unknown username should get the very same answer as a wrong password.",
        response=unknown,
        expected=wrong.text,
        hint=same,
    )
    as_json = probe.request(
        "POST", TOKEN_URL, json_body={"username": user["username"], "password": user["password"]}
    )
    probe.expect_status(as_json, 422, "A login sent as JSON instead of a form", _FORM)
    _delete_as(probe, url, token)


# --- Task 2 -----------------------------------------------------------------------------------

_USER_PUBLIC = (
    "Return the user with the return type `UserPublic`: FastAPI sends only its id, username "
    "and full_name, never the password hash."
)
_GOOD_TOKEN = (
    "The check's token is as Task 1 makes its tokens: HS256, signed with "
    '`settings.secret_key.get_secret_value()`, "sub" the user\'s id as a string. Read it with '
    '`jwt.decode(token, key, algorithms=["HS256"])` (without `algorithms`, PyJWT refuses every '
    'token), then `await request.app.state.store.get_user(int(claims["sub"]))`.'
)
_CATCH = (
    "Every bad token makes `jwt.decode` raise a subclass of `jwt.InvalidTokenError`: catch it, "
    'and raise HTTPException(401, ..., headers={"WWW-Authenticate": "Bearer"}).'
)
_JWT_ERRORS = (
    "DecodeError",
    "InvalidTokenError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "InvalidAlgorithmError",
    "InvalidSubjectError",
    "MissingRequiredClaimError",
)
_ALG_NONE = (
    'Accept HS256 only, `algorithms=["HS256"]`: with "none" in the list, PyJWT raises '
    "InvalidKeyError for an unsigned token instead of refusing it as an invalid token."
)
_SIGNATURE = (
    "Your app accepted a token whose signature is wrong. `jwt.decode(token, key, "
    'algorithms=["HS256"])` checks it: never turn that off with `options={"verify_signature": '
    "False}`."
)


def _expect_refused(probe: Probe, response: Response, what: str, hint: str) -> None:
    """A 401 with `WWW-Authenticate: Bearer ...`."""
    if response.status_code == 403:
        hint = (
            '403 means "I know who you are, and no": a request without a valid token is '
            "401 Unauthorized."
        )
    probe.expect_status(response, 401, f"GET {ME_URL} {what}", hint)
    challenge = response.headers.get("www-authenticate", "")
    probe.expect(
        challenge.casefold().startswith("bearer"),
        "a 401 should say which credentials to send, in the header `WWW-Authenticate: Bearer`.",
        response=response,
        expected="status 401 and the header WWW-Authenticate: Bearer",
        hint='HTTPException(401, ..., headers={"WWW-Authenticate": "Bearer"}).',
    )


@check(
    "Task 2",
    "GET /auth/me answers the token's user, and 401 for any token that is not good.",
    log_in=False,
)
def current_user(probe: Probe) -> None:
    user = _sign_up(
        probe,
        "grace",
        "This check signs up its user with the catch-up's POST /users: keep `app` the "
        'catch-up app, `checkpoint("07")`, with your routers included.',
    )
    url = f"/users/{user['id']}"
    claims = _claims(user["id"])
    good = _forge(probe, claims)
    with probe.sending(_bearer(good)):
        response = probe.get(
            ME_URL, if_raises=IfRaises(hint=_GOOD_TOKEN, only=(*_JWT_ERRORS, "KeyError"))
        )
    probe.expect_status(response, 200, f"GET {ME_URL} with a good token", _GOOD_TOKEN)
    body = probe.json(response)
    probe.expect(
        isinstance(body, dict) and not any("password" in key for key in body),
        f"GET {ME_URL} shows the password hash.",
        response=response,
        expected="the user's id, username and full_name only",
        hint=_USER_PUBLIC,
    )
    wanted = {"id": user["id"], "username": user["username"], "full_name": user["full_name"]}
    probe.expect(
        body == wanted,
        f"GET {ME_URL} should answer the token's user.",
        response=response,
        expected=json.dumps(wanted),
        hint=_USER_PUBLIC,
    )
    _expect_refused(
        probe,
        probe.get(ME_URL),
        "without a token",
        "`token: Annotated[str, Depends(oauth2_scheme)]`, with "
        '`oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token")`, answers 401 by itself '
        "when there is no token.",
    )
    later = claims["exp"] + 3600
    for what, token, hint in (
        ("with a malformed token", "not-a-token", _CATCH),
        (
            "with a token whose claims were changed after signing",
            _tampered(good, {**claims, "exp": later}),
            _SIGNATURE,
        ),
        ("with a token signed with another key", _forge(probe, claims, _OTHER_KEY), _SIGNATURE),
        (
            "with an unsigned token (`alg: none`)",
            _unsigned(claims),
            f'{_SIGNATURE} Accept HS256 only: `algorithms=["HS256"]`.',
        ),
        (
            "with an expired token",
            _forge(probe, _claims(user["id"], minutes=-10)),
            "PyJWT refuses an expired token by itself (ExpiredSignatureError), unless its checks "
            "are turned off: decode with the defaults, and catch jwt.InvalidTokenError.",
        ),
    ):
        if_raises = IfRaises(
            problem=f"a request {what} made your app raise {{error}}.",
            hint=_CATCH,
            expected="status 401",
            only=(*_JWT_ERRORS, "InvalidKeyError"),
        )
        with probe.sending(_bearer(token)):
            try:
                response = probe.get(ME_URL, if_raises=if_raises)
            except CheckFailed as failed:
                if not (failed.got or "").startswith("InvalidKeyError"):
                    raise
                # Not an InvalidTokenError: what "none" among the algorithms raises.
                raise failed.with_hint(_ALG_NONE) from None
        _expect_refused(probe, response, what, hint)
    deleted = _delete_as(probe, url, good)
    probe.expect_status(
        deleted,
        204,
        f"Deleting the check's user, DELETE {url},",
        "This check deletes its user with the catch-up's DELETE /users/{user_id}: keep `app` "
        'the catch-up app, `checkpoint("07")`, with your routers included.',
    )
    gone = (
        "Look the user up on every request: `await request.app.state.store.get_user(...)` raises "
        "UserNotFound for a user who no longer exists; catch it and answer 401 as for a bad token."
    )
    with probe.sending(_bearer(good)):
        response = probe.get(
            ME_URL,
            if_raises=IfRaises(
                problem="a token whose user was deleted made your app raise {error}.",
                hint=gone,
                expected="status 401",
                only=("UserNotFound",),
            ),
        )
    if response.status_code == 404:
        gone = (
            "UserNotFound reached the app's handler for NotFound, which answers 404: catch it "
            "in get_current_user and answer 401, as for a bad token."
        )
    _expect_refused(probe, response, "with a good token whose user was deleted", gone)


# --- Task 3 -----------------------------------------------------------------------------------


def _scope_claim(probe: Probe, response: Response, token: str, asked: str) -> set[str]:
    claims = _decoded(probe, response, token)
    scope = claims.get("scope")
    probe.expect(
        isinstance(scope, str),
        "the token should list its scopes in a `scope` claim, a string of names separated by "
        "spaces.",
        response=response,
        expected=f'a token with "scope": "{asked}"',
        hint='`"scope": " ".join(scopes)` in the claims: a string, not a list.'
        if isinstance(scope, list)
        else '`"scope": " ".join(scopes)` in the claims, beside "sub" and "exp".',
    )
    return set(scope.split())


@check(
    "Task 3",
    "tokens carry the scopes asked for, all of them by default, and /docs lists them.",
    log_in=False,
)
def scopes(probe: Probe) -> None:
    user = _sign_up(
        probe,
        "katherine",
        "This check signs up its user with the catch-up's POST /users: keep `app` the "
        'catch-up app, `checkpoint("07")`, with your routers included.',
    )
    url = f"/users/{user['id']}"
    response = _log_in(probe, user["username"], user["password"], scope="tasks:read")
    token = _token(probe, response, _TASK1_FIRST, hint_first=True)
    granted = _scope_claim(probe, response, token, "tasks:read")
    probe.expect(
        granted == {"tasks:read"},
        "a login that asks for `tasks:read` should get a token for exactly that scope.",
        response=response,
        expected='a token with "scope": "tasks:read"',
        hint="`form.scopes` is the list of scopes the form's `scope` field asks for: put "
        'those in the token, `" ".join(form.scopes)`.',
    )
    response = _log_in(probe, user["username"], user["password"])
    granted = _scope_claim(
        probe, response, _token(probe, response, _TASK1_FIRST, hint_first=True), " ".join(SCOPES)
    )
    probe.expect(
        granted == set(SCOPES),
        "a login that asks for no scope should get a token for every scope.",
        response=response,
        expected=f'a token with "scope": "{" ".join(SCOPES)}"',
        hint="When `form.scopes` is empty, give every scope: `scopes = form.scopes or "
        "list(SCOPES)`.",
    )
    asked = f"tasks:read {UNKNOWN_SCOPE}"
    refused = (
        'Refuse a scope that is not in SCOPES: HTTPException(400, f"Unknown scope: ..."), '
        "naming it."
    )
    response = _log_in(probe, user["username"], user["password"], scope=asked)
    probe.expect_error(response, 400, UNKNOWN_SCOPE, f"A login that asks for {asked!r}", refused)
    _delete_as(probe, url, token)
    response, schema = probe.openapi()
    schemes = schema.get("components", {}).get("securitySchemes", {})
    flows = [
        scheme["flows"]["password"]
        for scheme in schemes.values()
        if isinstance(scheme, dict) and "password" in scheme.get("flows", {})
    ]
    probe.expect(
        bool(flows),
        "/openapi.json shows no OAuth2 password flow.",
        response=response,
        expected='"securitySchemes" with an oauth2 scheme whose flows have "password"',
        hint="The schema lists the security of the routes `app` has: GET /auth/me (Task 2), "
        "through get_current_user and oauth2_scheme. Run Task 1's cell, then Task 2's, which "
        "builds `app` with both routers.",
    )
    flow = flows[0]
    for ok, problem, expected, hint in (
        (
            set(SCOPES) <= set(flow.get("scopes", {})),
            "the password flow in /openapi.json should list both scopes.",
            '"scopes": {"tasks:read": "...", "tasks:write": "..."}',
            '`OAuth2PasswordBearer(tokenUrl="auth/token", scopes=SCOPES)`, with SCOPES a dict '
            "of each scope and the words /docs shows for it.",
        ),
        (
            str(flow.get("tokenUrl", "")).endswith("auth/token"),
            "the password flow's tokenUrl should be where the app logs in.",
            '"tokenUrl": "auth/token"',
            '`OAuth2PasswordBearer(tokenUrl="auth/token", ...)`: /docs logs in there.',
        ),
    ):
        if not ok:
            raise CheckFailed(
                probe.task,
                problem,
                sent="GET /openapi.json",
                got=f"the password flow {json.dumps(flow)}",
                expected=expected,
                hint=hint,
            )


# --- Task 4 -----------------------------------------------------------------------------------

_OWN_TASKS = (
    "Another user's task is visible: the route's store sees every task. In get_current_user, "
    "set `request.state.user = user`, and look the user up in `request.app.state.store`, not "
    "through StoreDep: FastAPI makes StoreDep once per request, and one made before the user "
    "is known is the store the route gets. Then run Task 2's cell and this one again."
)
_READ_GUARD = (
    "board.include_router(tasks.router, dependencies=[Security(get_current_user, "
    'scopes=["tasks:read"])]).'
)
_WRITE_GUARD = (
    "board.include_router(tasks.write_router, dependencies=[Security(get_current_user, "
    'scopes=["tasks:write"])]).'
)


@check(
    "Task 4",
    "the board wants a token with the right scope, and each user sees only their own tasks.",
    log_in=False,
)
def guarded_board(probe: Probe) -> None:
    users_first = (
        "Include Taskboard's `users.router` in `board`: the check signs up its users with "
        "POST /users."
    )
    ada = _sign_up(probe, "ada", users_first)
    grace = _sign_up(probe, "grace", users_first)
    tokens = {}
    for user in (ada, grace):
        response = _log_in(probe, user["username"], user["password"])
        tokens[user["id"]] = _token(
            probe,
            response,
            "Include your `auth_router` (Task 1) in `board`: the check logs in with "
            "POST /auth/token. Task 1's check must pass first.",
            hint_first=True,
        )
    anonymous = probe.get("/tasks")
    probe.expect_status(anonymous, 401, "GET /tasks without a token", _READ_GUARD, hint_first=True)
    anonymous = probe.request("POST", "/tasks", json_body={"title": "Nobody's task"})
    probe.expect_status(
        anonymous,
        401,
        "POST /tasks without a token",
        f"{_WRITE_GUARD} A guard on the reads alone leaves the writes open.",
        hint_first=True,
    )
    with probe.sending(_bearer(tokens[ada["id"]])):
        response = probe.request("POST", "/tasks", json_body={"title": "Ada's plan"})
    hint = {
        401: "get_current_user refused the token Ada got from logging in: Task 2's check must "
        "pass first.",
        403: "Ada's token should allow every scope: Task 3's check must pass first.",
    }.get(response.status_code, _WRITE_GUARD)
    probe.expect_status(response, 201, "POST /tasks with Ada's token", hint, hint_first=True)
    task = probe.json(response)
    url = f"/tasks/{task['id']}"
    missing = f"Task {task['id']} not found"
    with probe.sending(_bearer(tokens[grace["id"]])):
        for method, body in (("GET", None), ("PATCH", {"title": "Grace's now"}), ("DELETE", None)):
            response = probe.request(method, url, json_body=body)
            probe.expect_error(
                response, 404, missing, f"{method} {url}, Ada's task, by Grace,", _OWN_TASKS
            )
        response = probe.get("/tasks")
        probe.expect_status(response, 200, "GET /tasks with Grace's token", _READ_GUARD)
        listed = probe.json(response)
        probe.expect(
            isinstance(listed, list)
            and all(isinstance(item, dict) and item.get("id") != task["id"] for item in listed),
            "Grace's GET /tasks should not list Ada's task.",
            response=response,
            expected=f"tasks without id {task['id']}",
            hint=_OWN_TASKS,
        )
    with probe.sending(_bearer(tokens[ada["id"]])):
        response = probe.get(url)
    probe.expect_status(response, 200, f"GET {url}, her own task, by Ada", _OWN_TASKS)
    probe.expect(
        probe.json(response).get("title") == "Ada's plan",
        "Ada's task should be as she created it.",
        response=response,
        expected='{"title": "Ada\'s plan", ...}',
        hint=_OWN_TASKS,
    )
    reader = _forge(probe, _claims(ada["id"], scopes=("tasks:read",)))
    with probe.sending(_bearer(reader)):
        response = probe.get("/tasks")
        probe.expect_status(
            response,
            200,
            "GET /tasks with a token for `tasks:read` only",
            "Reading wants `tasks:read`: " + _READ_GUARD,
        )
        response = probe.request("POST", "/tasks", json_body={"title": "Read-only"})
    hint = "Writing wants `tasks:write`: " + _WRITE_GUARD
    if response.status_code == 401:
        hint = "The token is valid, it only lacks `tasks:write`: that is a 403, not a 401 "
        "(Task 3)."
    probe.expect_status(response, 403, "POST /tasks with a token for `tasks:read` only", hint)
    challenge = response.headers.get("www-authenticate", "")
    named = re.search(r'scope="([^"]*)"', challenge)
    probe.expect(
        challenge.casefold().startswith("bearer")
        and named is not None
        and "tasks:write" in named[1].split(),
        "the 403 should name the scope it wants in `WWW-Authenticate`.",
        response=response,
        expected='the header WWW-Authenticate: Bearer scope="tasks:write"',
        hint='HTTPException(403, ..., headers={"WWW-Authenticate": '
        "f'Bearer scope=\"{security_scopes.scope_str}\"'}).",
    )
    _delete_as(probe, url, tokens[ada["id"]])
    for user in (ada, grace):
        _delete_as(probe, f"/users/{user['id']}", tokens[user["id"]])
