"""What a GraphQL client is told when a field fails (lesson 11).

GraphQL answers 200 even then: `data` holds what could be resolved, with null for the field that
failed, and `errors` lists each failure with its `message`, the `path` of the field, and here an
`extensions.code` a client can branch on. These are Taskboard's exception handlers
(taskboard/errors.py) for GraphQL: the store raises the same errors whichever API called it, and
a failure the client cannot cause is masked, as REST's 500 is, and logged for us instead.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import SchemaExtension

from taskboard.store import Conflict, Forbidden, NotFound

logger = logging.getLogger(__name__)

UNEXPECTED = "Unexpected error."

# The codes of the errors the store raises, by class; the REST API answers them 404, 409, 403.
CODES: dict[type[Exception], str] = {
    NotFound: "NOT_FOUND",
    Conflict: "CONFLICT",
    Forbidden: "FORBIDDEN",
}


class NotAuthenticated(GraphQLError):
    """No token, or one that is refused: what REST answers with a 401."""

    def __init__(self, message: str = "Not authenticated") -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class NotAllowed(GraphQLError):
    """A good token without the scope a field wants: what REST answers with a 403."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"The token does not allow {scope}", extensions={"code": "FORBIDDEN"})


class TooManyWrites(GraphQLError):
    """A mutation past the user's write allowance: what REST answers with a 429. The seconds to
    wait are in `extensions.retryAfter`, as REST's are in `Retry-After`."""

    def __init__(self, message: str, seconds: int) -> None:
        super().__init__(message, extensions={"code": "RATE_LIMITED", "retryAfter": seconds})


class BadInput(GraphQLError):
    """Arguments the Pydantic models refuse: what REST answers with a 422, listing each error."""

    def __init__(self, error: ValidationError) -> None:
        # Never the input itself: it may hold a password, and every log and proxy sees errors.
        details = [
            {"loc": list(detail["loc"]), "msg": detail["msg"], "type": detail["type"]}
            for detail in error.errors()
        ]
        summary = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'input'}: {detail['msg']}"
            for detail in details
        )
        super().__init__(
            f"Invalid input: {summary}", extensions={"code": "BAD_USER_INPUT", "errors": details}
        )


@contextmanager
def user_input() -> Iterator[None]:
    """What a Pydantic model refuses inside the block is the client's mistake: a BadInput."""
    try:
        yield
    except ValidationError as error:
        raise BadInput(error) from None


def is_unexpected(error: GraphQLError) -> bool:
    """Whether the error is a failure of ours rather than the client's mistake.

    The client's: a query that does not parse or does not fit the schema (no original error),
    the errors above, and the store's own.
    """
    original = error.original_error
    return not (original is None or isinstance(original, (GraphQLError, *CODES)))


def for_the_client(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: the store's errors with a code, ours masked."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    message, extensions = UNEXPECTED, {"code": "INTERNAL_SERVER_ERROR"}
    code = next((code for kind, code in CODES.items() if isinstance(original, kind)), None)
    if code is not None:
        message, extensions = str(original), {"code": code}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorsForTheClient(SchemaExtension):
    """Rewrites every error of an answer with `for_the_client`, once the operation is done.

    Strawberry has logged the errors by then, as they were (`TaskboardSchema.process_errors`).
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result: Any = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [for_the_client(error) for error in result.errors]
