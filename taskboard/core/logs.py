"""Structured logs (lesson 15): one JSON object per line, and one line per request.

A log collector (CloudWatch, Loki, Elasticsearch, `kubectl logs | jq`) reads JSON lines field by
field: find every line of request `3f2a…`, count the 503s of the last hour, without a regular
expression per message format. Two pieces, both standard library:

- `JsonFormatter`, a `logging.Formatter` that turns each record into one line of JSON. The
  server installs it: `uvicorn --log-config deploy/logging.json` (see the Dockerfile). Nothing
  here configures logging when imported, so tests and notebooks keep Python's defaults.
- `AccessLogMiddleware`, which logs each request once it is answered, with lesson 09's request
  id, on the `taskboard.access` logger. It replaces Uvicorn's access log (`--no-access-log`),
  which cannot know the request id.
"""

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("taskboard.access")

# What every LogRecord has; anything else on a record came from `extra={...}` and is logged as
# a field of its own. `color_message` is Uvicorn's coloured copy of its message: not a field.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time (UTC), level, logger, message, extra fields.

    An exception's traceback goes in `exception`, inside the same line: a traceback printed over
    twenty lines would be twenty log entries to a collector.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _STANDARD}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # default=str: an extra field that is no JSON type (a UUID, a path) is logged as text
        # rather than failing the log call.
        return json.dumps(entry, default=str)


class AccessLogMiddleware:
    """Log `METHOD /path STATUS` once per request, with its fields, on `taskboard.access`.

    Fields: `request_id` (lesson 09's, so a client's bug report finds the line), `method`,
    `path` (without the query string, which may carry search words or a token), `status`,
    `duration_ms`, and `client`: the address as the server sees it, the real client's only when
    the server trusts the proxy's `X-Forwarded-For` (`--forwarded-allow-ips`).

    It sits inside lesson 09's middleware, which answers a bad Host or a CORS preflight itself:
    those few answers are not logged here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # An exception that escapes the app becomes Starlette's 500, outside this middleware.
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            client = scope.get("client")
            access_logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "request_id": scope.get("state", {}).get("request_id"),
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                    "client": client[0] if client else None,
                },
            )
