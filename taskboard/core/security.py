"""Passwords and access tokens (lesson 08).

Passwords are hashed with pwdlib's recommended algorithm, argon2: slow on purpose (about 0.1 s of
CPU), so that a stolen table of hashes costs an attacker as much per guess. Callers hash in the
threadpool (`run_in_threadpool`), never on the event loop.

Access tokens are JWTs signed with the settings' `secret_key` (HS256, PyJWT): the user's id in
`sub`, the granted scopes in `scope`, and an expiry in `exp`. Anyone can read a JWT (it is only
base64); nobody can change one without the key, and PyJWT refuses a token whose signature,
algorithm or expiry is wrong.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

import jwt
from pwdlib import PasswordHash

from taskboard.core.config import Settings

_password_hash = PasswordHash.recommended()

# Only this algorithm is accepted when a token comes back: never "none", never one the token's
# own header asks for.
ALGORITHM = "HS256"

# What a token may allow, as OAuth2 scopes, with the words /docs shows for each.
SCOPES = {
    "tasks:read": "Read your tasks, with their comments, files and labels.",
    "tasks:write": "Create, change and delete your tasks, their comments and files.",
}


def hash_password(password: str) -> str:
    """A salted argon2 hash: the same password hashes differently each time."""
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)


@cache
def _hash_of_nobody() -> str:
    return hash_password("a password that belongs to nobody")


def verify_no_password(password: str) -> bool:
    """Spend the time a real check takes, for a username that does not exist.

    A login that answered at once for an unknown username would tell an attacker which
    usernames exist; this makes both answers take as long. Always False.
    """
    verify_password(password, _hash_of_nobody())
    return False


class InvalidToken(Exception):
    """A token that is malformed, tampered with, expired, or signed some other way."""


class InsufficientScope(Exception):
    """A valid token that does not allow what is asked (RFC 6750's `insufficient_scope`)."""


# What a client is told when its token has expired: at login, and when the live board (lesson
# 10) closes a socket that outlived its token.
TOKEN_EXPIRED = "The token has expired: log in again"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    scopes: frozenset[str]
    # When the token stops being valid. A request is over long before; a WebSocket (lesson 10)
    # may stay open for hours, and is closed then.
    expires_at: datetime


def create_access_token(
    user_id: int, scopes: Iterable[str], settings: Settings, *, now: datetime | None = None
) -> str:
    """A signed token for the user, valid `settings.access_token_expire_minutes` from `now`."""
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),  # a string, as RFC 7519 (and PyJWT) require
        "scope": " ".join(sorted(scopes)),
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_expire_minutes),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


# How many verified tokens `_verified` keeps: the latest ones used, about one per active client.
VERIFIED_TOKENS_KEPT = 1024


@lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(token: str, key: str) -> TokenClaims:
    """The claims of a token whose signature and algorithm are right.

    Checking the signature costs about 30 µs of CPU (lesson 14 measured it), on every request,
    and a client sends the same token with each one until it expires. For the same token and the
    same key the answer never changes, so the latest answers are kept (`lru_cache`, keyed by
    the token and the key: another key never finds them). Only tokens that passed are kept: an
    exception is not cached. Expiry changes with time, so `read_access_token` checks it on
    every use, kept or not.
    """
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken(TOKEN_EXPIRED) from None
    except jwt.InvalidTokenError:
        raise InvalidToken("The token is not valid") from None
    subject, scope = claims["sub"], claims.get("scope", "")
    if not subject.isdigit() or not isinstance(scope, str):
        raise InvalidToken("The token is not valid")
    try:
        # Read as PyJWT read it to check it (`int(...)`), which lets "1900000000" through too;
        # a date past year 9999 is no date.
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidToken("The token is not valid") from None
    return TokenClaims(user_id=int(subject), scopes=frozenset(scope.split()), expires_at=expires_at)


def read_access_token(token: str, settings: Settings, *, now: float | None = None) -> TokenClaims:
    """The token's claims, if its signature, algorithm and expiry are right; else InvalidToken.

    `now` (a Unix time) stands for the current time, for tests.
    """
    claims = _verified(token, settings.secret_key.get_secret_value())
    # As PyJWT decides it, with no leeway: a token is dead from its `exp` second on.
    if claims.expires_at.timestamp() <= (time.time() if now is None else now):
        raise InvalidToken(TOKEN_EXPIRED)
    return claims
