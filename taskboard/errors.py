"""Exception handlers: turn errors raised anywhere in a request into clear HTTP answers.

With these handlers a route simply calls the store: no try/except around every lookup or write.
The store's `NotFound` errors answer 404, its `Conflict` errors 409, its `Forbidden` errors 403
(lesson 08), each with the message in `detail`. The validation handler keeps FastAPI's 422 but never echoes a password back.
"""

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from taskboard.store import Conflict, Forbidden, NotFound

# Body fields whose value a 422 must not repeat: the client sent it, but logs and proxies see it.
SECRET_FIELDS = frozenset({"password"})
REDACTED = "********"


async def not_found_handler(request: Request, exc: NotFound) -> JSONResponse:
    # The same shape as FastAPI's own errors, so clients read every 404 the same way.
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def conflict_handler(request: Request, exc: Conflict) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


async def forbidden_handler(request: Request, exc: Forbidden) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": str(exc)})


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_FIELDS else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422 answer (`loc`, `msg`, `type`, `input`), with secret inputs hidden."""
    errors = []
    for error in exc.errors():
        error = dict(error)
        if "input" in error:
            secret = bool(error["loc"]) and error["loc"][-1] in SECRET_FIELDS
            error["input"] = REDACTED if secret else _redact(error["input"])
        errors.append(error)
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})
