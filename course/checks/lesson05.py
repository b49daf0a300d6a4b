"""Lesson 05 checks: an API key checked by a global dependency, and request counts kept by a
global `yield` dependency.

Every check only reads (GET), so it creates nothing an API key would keep it from deleting.
The counts of GET /stats are judged by differences between two reads, so a check passes on an
app that has answered other requests before, and when run again. The keys are the ones the
tasks state, passed to the catch-up tests as settings: Task 3's differs from Task 1's, so a key
written into the dependency passes one of them only. Task 3 turns the key on through
`app.dependency_overrides`; its check judges the app's behaviour, so an app built with those
settings passes it too.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx2 import Response

from course.checks import IfRaises, Probe, check

# The keys the tasks give the apps' settings.
TASK1_KEY = "s3cr3t-team-key"
TASK3_KEY = "an0ther-team-key"
HEADER = "X-API-Key"

# The paths the tasks keep open to anyone, and the route every check needs the key for.
_PUBLIC = ("/health", "/status", "/docs", "/redoc")
_GUARDED = ("/tasks", "/labels", "/tasks/search?q=board")

_STATS_FIELDS = ("served", "failed", "in_progress")
_MISSING_ID = 987654

_GLOBAL = (
    "Pass the dependency to board(...), `board(Depends(require_api_key), settings=...)`, so "
    "that it runs on every route."
)
_REFUSE = (
    "When the header is missing or wrong, raise HTTPException(status_code=401, detail=...); "
    "a dependency's return value is ignored when it is listed in dependencies."
)
_STATUS_401 = (
    "A request without the right key answers 401 (Unauthorized: no valid credentials): "
    "raise HTTPException(status_code=401, detail=...)."
)
_RIGHT_KEY_REFUSED = (
    "The header's name: `x_api_key: Annotated[str | None, Header()]` reads X-API-Key, since "
    "FastAPI turns underscores into hyphens. The key: settings.api_key is a SecretStr, which "
    "never equals a str: compare with `settings.api_key.get_secret_value()`."
)
_NO_KEY_OPEN = (
    "This task's app has the default settings, with no api_key: build it with board(...) and "
    "no settings=, and let require_api_key through every request when settings.api_key is None."
)
_RERAISE = (
    "count_request caught the error and did not raise it again, so FastAPI had no answer to "
    "send. After counting it in `except`, re-raise it with a bare `raise`."
)


@contextmanager
def _header(probe: Probe, name: str, value: str | None) -> Iterator[None]:
    """Send `name: value` with the requests made inside the block (nothing if value is None)."""
    if value is None:
        yield
        return
    with probe.sending({name: value}):
        yield


def _get(
    probe: Probe, url: str, key: str | None = None, *, header: str = HEADER, **options: Any
) -> Response:
    with _header(probe, header, key):
        return probe.get(url, **options)


def _with(key: str | None, header: str = HEADER) -> str:
    """How a request was sent: with which key, or without one ("" when no key is involved)."""
    if key is None:
        return f" without {header}" if header else ""
    return f" with the header {header}: {key}"


# require_api_key reading the key of an app that has none: `None.get_secret_value()`.
_NONE_KEY = IfRaises(_NO_KEY_OPEN, only=("AttributeError",))


def _expect_refused(
    probe: Probe, url: str, key: str | None, hint: str, if_raises: IfRaises | None = None
) -> None:
    response = _get(probe, url, key, if_raises=if_raises)
    what = f"GET {url}{_with(key)}"
    # An answer that went through gets the task's hint, another refusal the status's; a
    # missing route gets the usual one.
    probe.expect_status(
        response,
        401,
        what,
        hint=hint if response.is_success else _STATUS_401,
        hint_first=response.is_success,
    )
    probe.expect_error(
        response,
        401,
        HEADER,
        what,
        hint="Say what is wrong in the detail, naming the header: "
        '`HTTPException(status_code=401, detail="Missing or wrong X-API-Key header")`.',
    )


def _expect_open(
    probe: Probe, url: str, key: str | None, hint_if_refused: str, header: str = HEADER
) -> None:
    """GET `url` answers 200; a 401 gets `hint_if_refused`, anything else the usual hints.

    `header=""` for an app with no key: the report then names no header.
    """
    response = _get(probe, url, key, if_raises=_NONE_KEY)
    probe.expect_status(
        response,
        200,
        f"GET {url}{_with(key, header)}",
        hint=hint_if_refused if response.status_code == 401 else None,
        hint_first=response.status_code == 401,
    )


@check(
    "Task 1",
    "every route but the health checks and the docs wants the right X-API-Key.",
    settings={"api_key": TASK1_KEY},
)
def api_key(probe: Probe) -> None:
    for url in _PUBLIC:
        _expect_open(
            probe,
            url,
            None,
            "The health checks and the docs pages stay open to anyone: let requests for "
            "/health, /status, /docs and /redoc through without a key "
            "(`request.url.path` is the path asked for).",
        )
    for url in _GUARDED:
        _expect_refused(probe, url, None, hint=f"{_GLOBAL} {_REFUSE}")
    _expect_refused(
        probe,
        "/tasks",
        "not-the-key",
        hint="A wrong key must be refused like a missing one: compare the header with the "
        "app's key.",
    )
    for url in _GUARDED:
        response = _get(probe, url, TASK1_KEY)
        hint = _RIGHT_KEY_REFUSED
        if (
            response.status_code == 401
            and _get(probe, url, TASK1_KEY, header="x_api_key").is_success
        ):
            hint = (
                "Your app reads a header named x_api_key, with an underscore; the task's is "
                "X-API-Key. Let Header() convert the underscores (no convert_underscores="
                'False), or name the header: Header(alias="X-API-Key").'
            )
        probe.expect_status(
            response,
            200,
            f"GET {url}{_with(TASK1_KEY)}",
            hint=hint if response.status_code == 401 else None,
            hint_first=response.status_code == 401,
        )


def _read_stats(
    probe: Probe, key: str | None = None, hint_if_refused: str | None = None, header: str = HEADER
) -> tuple[Response, dict[str, int]]:
    """GET /stats; expect the three counts as whole numbers."""
    response = _get(probe, "/stats", key, if_raises=_NONE_KEY)
    refused = response.status_code == 401 and hint_if_refused is not None
    probe.expect_status(
        response,
        200,
        f"GET /stats{_with(key, header)}",
        hint=hint_if_refused
        if refused
        else "Give your router a route GET /stats that returns the stats, and include it in "
        "the app.",
        hint_first=refused,
    )
    stats = probe.json(response)
    probe.expect(
        isinstance(stats, dict)
        and set(stats) == set(_STATS_FIELDS)
        and all(type(stats[name]) is int for name in _STATS_FIELDS),
        "GET /stats should answer the three counts.",
        response=response,
        expected='{"served": ..., "failed": ..., "in_progress": ...}, each a whole number',
        hint="Return the app's RequestStats, `-> RequestStats`: StatsDep hands it to the route.",
    )
    return response, stats


def _counts_problem(
    before: dict[str, int], after: dict[str, int], served: int, failed: int
) -> tuple[str, str] | None:
    """What is wrong with `after`, expected to count `served` more requests served and
    `failed` more failed than `before`, and 1 in progress (the GET /stats reading it)."""
    grown = {name: after[name] - before[name] for name in ("served", "failed")}
    if grown == {"served": served, "failed": failed} and after["in_progress"] == 1:
        return None
    if grown["served"] <= 1 and grown["failed"] == 0 and after["in_progress"] == 1:
        return (
            "only the GET /stats requests were counted.",
            "count_request must run on every route, not only on GET /stats: pass it to "
            "board(...), `board(Depends(count_request), ...)`.",
        )
    if after["in_progress"] > 1 and grown["served"] == 0:
        return (
            "requests finished, but none was counted as served, and in_progress keeps growing.",
            "count_request must `yield`, not `return`: the code after a `yield` runs once the "
            "request is over; after a `return`, nothing ever runs.",
        )
    if after["in_progress"] > 1:
        return (
            f"in_progress is {after['in_progress']} after the requests are over.",
            "Take the request off in_progress whatever happened, failures included: in a "
            "`finally:` block after the `yield`.",
        )
    if after["in_progress"] < 1:
        return (
            f"in_progress is {after['in_progress']} while GET /stats is being answered.",
            "This GET /stats is in progress while its route runs: add 1 to in_progress before "
            "the `yield`, and run count_request on every route: board(Depends(count_request), "
            "...).",
        )
    if grown["served"] < served and grown["failed"] == failed:
        return (
            "the failed requests were not counted as served.",
            "served counts every request that is over, failed ones too: add 1 to it in a "
            "`finally:` block, not only when the route succeeded.",
        )
    if grown["failed"] == 0:
        return (
            "the failed requests were not counted.",
            "Catch the error around the `yield`, `except Exception:`, add 1 to failed, and "
            "re-raise it with `raise`.",
        )
    return (
        "the counts are off.",
        "Before the `yield`: one more in progress. After it, whatever happened: one fewer in "
        "progress, one more served. In `except`: one more failed, then `raise`.",
    )


def _expect_counts(
    probe: Probe,
    before: dict[str, int],
    after: tuple[Response, dict[str, int]],
    sent: str,
    served: int,
    failed: int,
) -> None:
    response, counts = after
    found = _counts_problem(before, counts, served, failed)
    if found is None:
        return
    problem, hint = found
    expected = {"served": before["served"] + served, "failed": before["failed"] + failed}
    probe.expect(
        False,
        f"after {sent}, {problem}",
        response=response,
        expected=", ".join(f'"{name}": {value}' for name, value in expected.items())
        + ', "in_progress": 1',
        hint=hint,
    )


@check("Task 2", "GET /stats counts the requests served, failed and in progress.")
def request_stats(probe: Probe) -> None:
    response, before = _read_stats(probe, hint_if_refused=_NO_KEY_OPEN, header="")
    probe.expect(
        before["in_progress"] == 1,
        "GET /stats is the one request in progress while it is answered: in_progress should "
        f"be 1, not {before['in_progress']}.",
        response=response,
        expected='"in_progress": 1',
        hint="Add 1 to in_progress before the `yield` of count_request, and run it on every "
        "route: board(Depends(count_request), ...)."
        if before["in_progress"] < 1
        else "A request that is over must leave in_progress: subtract 1 in a `finally:` block "
        "after the `yield` (after a `return` instead of a `yield`, nothing ever runs).",
    )
    for url in ("/tasks", "/labels"):
        _expect_open(probe, url, None, _NO_KEY_OPEN, header="")
    url = f"/tasks/{_MISSING_ID}"
    not_found = f'{{"detail":"Task {_MISSING_ID} not found"}}'
    reraise = IfRaises(
        _RERAISE,
        problem=f"GET {url} should answer the store's 404, and your app raised {{error}}.",
        expected=f"404 {not_found}",
        only=("FastAPIError",),
    )
    response = _get(probe, url, if_raises=reraise)
    probe.expect(
        response.status_code == 404 and response.text == not_found,
        f"GET {url} should still answer the store's 404.",
        response=response,
        expected=f"404 {not_found}",
        hint="Re-raise the error in count_request's `except` with a bare `raise`, so the "
        "client gets the answer the route raised.",
    )
    _expect_counts(
        probe,
        before,
        _read_stats(probe, header=""),
        f"GET /stats, GET /tasks, GET /labels and GET {url} (a 404)",
        served=4,
        failed=1,
    )


# app.dependency_overrides[get_settings] = Settings(...): FastAPI calls what it finds there.
_NOT_A_FUNCTION = IfRaises(
    "app.dependency_overrides maps a function to a function, which FastAPI calls for each "
    "request: give it a function that returns the Settings, not the Settings themselves.",
    only=("TypeError",),
)


@check(
    "Task 3",
    "with the key on, refused requests count as failed, and /stats wants the key too.",
    settings={"api_key": TASK3_KEY},
)
def stats_and_key(probe: Probe) -> None:
    _expect_refused(
        probe,
        "/stats",
        None,
        hint="With the key on, /stats is not public: only the health checks and the docs pages "
        "are. Is get_settings overridden in this app, `app.dependency_overrides[get_settings] "
        "= ...`, and does require_api_key read the settings through SettingsDep? An override "
        "replaces get_settings only where a dependency asks for it.",
        if_raises=_NOT_A_FUNCTION,
    )
    _, before = _read_stats(
        probe,
        TASK3_KEY,
        hint_if_refused=f"The key is now {TASK3_KEY}: read it from the app's settings "
        "(settings.api_key) rather than a value written into the dependency.",
    )
    _expect_refused(probe, "/tasks", None, hint=f"{_GLOBAL} {_REFUSE}")
    _expect_open(probe, "/tasks", TASK3_KEY, _RIGHT_KEY_REFUSED)
    response, after = _read_stats(probe, TASK3_KEY)
    sent = f"GET /stats, then GET /tasks{_with(None)} (a 401) and{_with(TASK3_KEY)}"
    probe.expect(
        not (after["served"] - before["served"] == 2 and after["failed"] == before["failed"]),
        f"after {sent}, the refused GET /tasks was not counted.",
        response=response,
        expected=f'"served": {before["served"] + 3}, "failed": {before["failed"] + 1}',
        hint="Global dependencies run in the order given, and count_request sees only what "
        "happens after it started: in Task 2, list Depends(count_request) before "
        "Depends(require_api_key), then run Task 3's cell again.",
    )
    _expect_counts(probe, before, (response, after), sent, served=3, failed=1)
