"""Exception handlers: turn errors raised anywhere in a request into clear HTTP answers.

With these handlers a route simply calls the store: no try/except around every lookup or write.
The store's `NotFound` errors answer 404, its `Conflict` errors 409, its `Forbidden` errors 403
(lesson 08), each with the message in `detail`. The validation handler keeps FastAPI's 422 but never echoes a password back.
The 405 handler names every method a path has in `Allow` (lesson 13: schemathesis found it short).
"""

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from taskboard.store import Conflict, Forbidden, NotFound

# Body fields whose value a 422 must not repeat: the client sent it, but logs and proxies see it.
SECRET_FIELDS = frozenset({"password"})

# The methods a 405's `Allow` header may name, in the order it names them.
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
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


async def method_not_allowed_handler(request: Request, exc: HTTPException) -> Response:
    """FastAPI's own 405, with an `Allow` header that lists every method of the path.

    RFC 9110 wants a 405 to list the methods the resource supports. Starlette's router names
    only those of the first route whose path matched, and `GET /tasks` and `POST /tasks` are two
    routes (two decorators), so `PUT /tasks` got `Allow: GET` alone. The app's OpenAPI schema
    lists every method of each path, whichever router declared it: `Allow` names those. A path
    the schema lists as it is (`/users/batch`) is that resource, even where a template declared
    earlier (`/users/{user_id}`) matches it too; any other path is its route's template.
    """
    paths = request.app.openapi()["paths"]
    path = request.scope["path"]
    if path not in paths:
        path = getattr(request.scope.get("route"), "path_format", None)
    documented = paths.get(path, {}) if path else {}
    allowed = [method for method in HTTP_METHODS if method.lower() in documented]
    if allowed:  # else a route left out of the schema (the docs pages): Starlette's header
        headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
        exc = HTTPException(exc.status_code, exc.detail, headers)
    return await http_exception_handler(request, exc)
