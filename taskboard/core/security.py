"""Password hashing with pwdlib's recommended algorithm, argon2 (lesson 08 builds login on it)."""

from pwdlib import PasswordHash

_password_hash = PasswordHash.recommended()


def hash_password(password: str) -> str:
    """A salted argon2 hash: the same password hashes differently each time."""
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)
