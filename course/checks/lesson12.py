"""Lesson 12 checks: board stats cached per user and cleared on writes, ETags with 304s, and
rate limits on writes.

Each task's app is Taskboard after lesson 11 with the learner's code: a `GET /board/stats`
route (Tasks 1 to 3) and a limit on the routes that change tasks (Task 4). The checks judge the
answers, never the code: `@cache` from fastapi-cache2 or a cache written by hand, fastapi-limiter
or a dependency of one's own, all pass when they behave as the task states.

Each check signs up users of its own, who start with no task, so the stats it expects are the
task's own numbers, and sends tokens it makes for them with the app's secret key, as lesson
08's login does: signing up hashes a password (argon2, ~0.1 s), so there are few, and the demo
account is left alone (its first login would hash twice). Their tasks go when they are deleted
(Taskboard deletes a user's tasks with them), so the check never spends a write deleting them
one by one.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx2 import Response

from course.checks import CheckFailed, IfRaises, Probe, _sent_by, check
from course.checks.lesson08 import _bearer, _claims, _delete_as, _forge, _sign_up

STATS_URL = "/board/stats"
STATUSES = ("todo", "doing", "done")

# Task 1: the tasks of a user the check signs up, and their stats as the task states them.
USER_TASKS = (
    {"title": "Stats check one", "status": "todo", "labels": ["api"]},
    {"title": "Stats check two", "status": "doing", "labels": ["api", "docs"]},
    {"title": "Stats check three", "status": "doing", "labels": ["docs", "ops"]},
)
USER_STATS = {
    "total": 3,
    "by_status": {"todo": 1, "doing": 2, "done": 0},
    "by_label": {"api": 2, "docs": 2, "ops": 1},
}
NO_TASKS: dict[str, Any] = {
    "total": 0,
    "by_status": {"todo": 0, "doing": 0, "done": 0},
    "by_label": {},
}
# Task 2: a label no demo task has, counted in and out as the check's task changes.
LABEL = "stats-check"
# Task 3: entity-tags the app never gave.
OTHER_TAG = '"stats-check-other"'
# An entity-tag, RFC 9110 §8.8.3: W/ for a weak one, then an opaque tag in double quotes.
ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')

# Task 4: the limit the task states, and the settings the app is built with for it.
WRITE_LIMIT, WRITE_WINDOW = 3, 60
LIMIT_SETTINGS = {"write_rate_limit": WRITE_LIMIT, "write_rate_window": WRITE_WINDOW}
# An address a client wrote itself: anyone can send this header.
SPOOFED = "198.51.100.23"

_ROUTE = (
    "Add the route to the app: an APIRouter with `GET /board/stats`, included with "
    "`app.include_router(stats_router, dependencies=[CAN_READ_TASKS])`, then run this check."
)
_SHAPE = (
    'Return the signed-in user\'s stats: `{"total": ..., "by_status": {"todo": ..., "doing": '
    '..., "done": ...}, "by_label": {...}}`, counted from `store` (`StoreDep`), which holds '
    "that user's tasks only."
)
_X_CACHE = (
    "Say where each answer came from in an `X-Cache` header: `MISS` when counted, `HIT` from "
    'the cache. With fastapi-cache2: `FastAPICache.init(..., cache_status_header="X-Cache")`.'
)
_PER_USER = (
    "The cache key must name the user. fastapi-cache2's default key builder leaves the request "
    "out, and the user comes from a dependency: pass `key_builder=` a function that puts "
    "`request.state.user.id` in the key."
)
_STALE_APP = (
    "If your key names the user, the cache may hold answers of an app built earlier (the same "
    "user ids): `FastAPICache` is one for the whole kernel. Build the app with `board()`, "
    "which starts it afresh."
)
_KEY_CHANGES = (
    "A second request, with nothing changed, should come from the cache: its key must be the "
    "same. fastapi-cache2's default key builder puts every argument in the key, and `store` "
    "is a new object for each request: pass a `key_builder=` that builds the key from the user."
)
_CLEAR = (
    "Clear the owner's stats whenever one of their tasks changes: "
    "`app.state.store.events.subscribe(listener)` calls `listener(event)` after every create, "
    "change and delete, and `event.owner_id` is whose task it is."
)
_ETAG = (
    "Set an `ETag` header on the stats: an entity-tag in double quotes (`W/` before it for a "
    'weak one), such as `W/"` + a digest of the body + `"`, '
    "`hashlib.sha256(body).hexdigest()`."
)
_304 = (
    "When `If-None-Match` names the current ETag, answer "
    "`Response(status_code=304, headers=...)`, with no body."
)
# What a write made the app raise, by a piece of the error, and what to do about it.
_RAISED = {
    "_IncludedRouter": "fastapi-limiter 0.2.0's RateLimiter looks for the route in "
    "`app.routes`, where an included router has no `path` (since FastAPI 0.137): use "
    "`KeyedRateLimiter`, or a dependency of your own that calls "
    "`await limiter.try_acquire_async(key, blocking=False)`.",
    "can't be used in 'await' expression": "fastapi-limiter awaits its callback: write it "
    "`async def`, and raise `HTTPException(429, ...)` in it.",
}


# --- Requests, and what they are judged on -------------------------------------------------------


def _request(
    probe: Probe,
    method: str,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    if_raises: IfRaises | None = None,
) -> Response:
    """A request as the user of `token` (the probe's own user when None), with `headers`."""
    sending = dict(headers or {})
    if token is not None:
        sending |= _bearer(token)
    with probe.sending(sending):
        return probe.request(method, url, json_body=body, if_raises=if_raises)


def _write(probe: Probe, method: str, url: str, token: str, body: Any = None) -> Response:
    """A write as the user of `token`; a known error of a rate limit is named as such."""
    try:
        return _request(probe, method, url, token=token, body=body)
    except CheckFailed as failed:
        hint = next((hint for piece, hint in _RAISED.items() if piece in (failed.got or "")), None)
        raise failed.with_hint(hint) if hint else failed from None


def _fail(
    probe: Probe,
    problem: str,
    response: Response,
    *,
    expected: str,
    hint: str,
    headers: dict[str, str] | None = None,
) -> CheckFailed:
    """A report that shows the request's headers and the answer's caching headers."""
    sent = _sent_by(response)
    if headers:
        sent += " with " + ", ".join(f"{name}: {value}" for name, value in headers.items())
    got = [str(response.status_code)]
    for name in ("X-Cache", "ETag", "Cache-Control", "Retry-After"):
        if name.lower() in response.headers:
            got.append(f"{name}: {response.headers[name]}")
    if response.content:
        text = response.text
        got.append(text[:160] + ("…" if len(text) > 160 else ""))
    return CheckFailed(
        probe.task, problem, sent=sent, got=", ".join(got), expected=expected, hint=hint
    )


def _stats(probe: Probe, response: Response, what: str, hint: str = _ROUTE) -> dict[str, Any]:
    """The stats of a 200, which must have the task's shape."""
    probe.expect_status(response, 200, what, hint)
    stats = probe.json(response)
    by_status = stats.get("by_status") if isinstance(stats, dict) else None
    by_label = stats.get("by_label") if isinstance(stats, dict) else None
    probe.expect(
        isinstance(stats, dict)
        and isinstance(stats.get("total"), int)
        and isinstance(by_status, dict)
        and set(by_status) == set(STATUSES)
        and all(isinstance(count, int) for count in by_status.values())
        and isinstance(by_label, dict)
        and all(isinstance(count, int) for count in by_label.values()),
        f"{what} should answer the stats.",
        response=response,
        expected='{"total": 3, "by_status": {"todo": 1, "doing": 2, "done": 0}, '
        '"by_label": {"api": 2, ...}}',
        hint=_SHAPE,
    )
    return stats


def _x_cache(
    probe: Probe, response: Response, wanted: str, what: str, hint: str, **sent: str
) -> None:
    found = response.headers.get("x-cache", "")
    if found.upper() in ("HIT", "MISS"):
        if found.upper() == wanted:
            return
        raise _fail(
            probe,
            f"{what} should be {'counted' if wanted == 'MISS' else 'served from the cache'}.",
            response,
            expected=f"X-Cache: {wanted}",
            hint=hint,
            headers=sent,
        )
    raise _fail(
        probe,
        f"{what} should say in `X-Cache` whether it came from the cache.",
        response,
        expected=f"X-Cache: {wanted}",
        hint=_X_CACHE,
        headers=sent,
    )


def _counts(labels: dict[str, int] | None = None, **statuses: int) -> dict[str, Any]:
    """The stats of a user whose only tasks are `statuses` (`doing=1`) with `labels`."""
    return {
        "total": sum(statuses.values()),
        "by_status": {status: statuses.get(status, 0) for status in STATUSES},
        "by_label": labels or {},
    }


@contextmanager
def _new_user(probe: Probe, word: str) -> Iterator[str]:
    """A user signed up for the check: a token for them, made with the app's secret key as its
    login would make it (no second password hashed). Deleted afterwards, and with them their
    tasks, which the check therefore does not delete itself."""
    user = _sign_up(
        probe,
        word,
        "This check signs up a user with POST /users: keep Taskboard's users router.",
    )
    token = _forge(probe, _claims(user["id"]))
    created_before = len(probe.created)
    try:
        yield token
    finally:
        del probe.created[created_before:]  # their tasks go with them
        _delete_as(probe, f"/users/{user['id']}", token)


# --- Task 1: cached stats, per user ------------------------------------------------------------

_GUARD = (
    "The check's users have tokens with every scope: include the stats router with "
    "`dependencies=[CAN_READ_TASKS]`, Taskboard's guard, which puts the user in "
    "`request.state.user`."
)
_NO_GUARD = IfRaises(hint=_GUARD, only=("AttributeError",))


@check("Task 1", "each user's stats are counted once, then served from the cache.", log_in=False)
def cached_stats(probe: Probe) -> None:
    with _new_user(probe, "ada") as ada, _new_user(probe, "grace") as grace:
        for task in USER_TASKS:
            created = _request(probe, "POST", "/tasks", token=ada, body=task)
            probe.expect_status(created, 201, "POST /tasks, as the check's user,", _ROUTE)
        response = _request(probe, "GET", STATS_URL, token=ada, if_raises=_NO_GUARD)
        probe.expect_status(
            response,
            200,
            f"GET {STATS_URL} as a user the check signed up",
            _GUARD if response.status_code in (401, 403) else _ROUTE,
        )
        if response.headers.get("x-cache", "").upper() not in ("HIT", "MISS"):
            raise _fail(
                probe,
                f"GET {STATS_URL} should say in `X-Cache` whether it came from the cache.",
                response,
                expected="X-Cache: MISS",
                hint=_X_CACHE,
            )
        stats = _stats(probe, response, f"GET {STATS_URL} as the check's user")
        stale = response.headers["x-cache"].upper() == "HIT"
        if stats != USER_STATS:
            raise _fail(
                probe,
                "the stats should count the signed-in user's tasks.",
                response,
                expected=str(USER_STATS),
                hint="The check's user has three tasks: one todo with `api`, two doing, with "
                "`api` and `docs`, and `docs` and `ops`. Count every status (0 for none) and "
                "each label of each task." + (f" {_STALE_APP}" if stale else ""),
            )
        _x_cache(
            probe,
            response,
            "MISS",
            "The first answer for a user who just signed up",
            "Nothing can be cached yet for a new user. " + _STALE_APP,
        )
        other = _request(probe, "GET", STATS_URL, token=grace)
        probe.expect_status(other, 200, f"GET {STATS_URL} as another user", _GUARD)
        if probe.json(other) == USER_STATS:
            raise _fail(
                probe,
                "another user, who has no task, got the first user's stats.",
                other,
                expected=f"X-Cache: MISS, {NO_TASKS}",
                hint=_PER_USER,
            )
        if _stats(probe, other, f"GET {STATS_URL} as another user") != NO_TASKS:
            raise _fail(
                probe,
                "the stats should count the signed-in user's tasks: this user has none.",
                other,
                expected=str(NO_TASKS),
                hint="Count the tasks of `store` (`StoreDep`), which holds the signed-in user's "
                "tasks only.",
            )
        _x_cache(probe, other, "MISS", "The first answer for another user", _STALE_APP)
        again = _request(probe, "GET", STATS_URL, token=ada)
        _x_cache(probe, again, "HIT", "The first user's request again", _KEY_CHANGES)
        if probe.json(again) != USER_STATS:
            raise _fail(
                probe,
                "the answer from the cache should be the stats that were counted.",
                again,
                expected=str(USER_STATS),
                hint="Keep and return the stats as they were counted.",
            )


# --- Task 2: cleared when a task changes --------------------------------------------------------


@check(
    "Task 2",
    "a user's stats are counted afresh after each change to one of their tasks.",
    log_in=False,
)
def fresh_after_writes(probe: Probe) -> None:
    with _new_user(probe, "ada") as ada:
        _stats(probe, _request(probe, "GET", STATS_URL, token=ada), f"GET {STATS_URL}")
        again = _request(probe, "GET", STATS_URL, token=ada)
        _x_cache(probe, again, "HIT", "The same request again, with nothing changed", _KEY_CHANGES)
        created = _request(
            probe,
            "POST",
            "/tasks",
            token=ada,
            body={"title": "Stats check", "status": "doing", "labels": [LABEL]},
        )
        probe.expect_status(created, 201, "POST /tasks", _ROUTE)
        url = f"/tasks/{probe.json(created)['id']}"
        steps = (
            ("POST /tasks", None, None, _counts(doing=1, labels={LABEL: 1})),
            (f"PATCH {url}", "PATCH", {"status": "done", "labels": []}, _counts(done=1)),
            (f"DELETE {url}", "DELETE", None, NO_TASKS),
        )
        for what, method, body, expected in steps:
            if method is not None:
                changed = _request(probe, method, url, token=ada, body=body)
                probe.expect(
                    changed.is_success, f"{what} should work.", response=changed, expected="2xx"
                )
            response = _request(probe, "GET", STATS_URL, token=ada)
            _x_cache(probe, response, "MISS", f"GET {STATS_URL} after {what}", _CLEAR)
            stats = _stats(probe, response, f"GET {STATS_URL} after {what}")
            if stats != expected:
                raise _fail(
                    probe,
                    f"after {what}, the stats should count the tasks as they now are.",
                    response,
                    expected=str(expected),
                    hint="Count the stats when they are asked for after the change, from the "
                    "tasks as the store has them.",
                )
            cached = _request(probe, "GET", STATS_URL, token=ada)
            _x_cache(probe, cached, "HIT", f"The stats read twice after {what}", _KEY_CHANGES)


# --- Task 3: ETag, If-None-Match, Cache-Control -------------------------------------------------


def _etag(probe: Probe, response: Response) -> str:
    etag = response.headers.get("etag")
    if etag is None:
        raise _fail(
            probe, "the stats should have an `ETag`.", response, expected='ETag: W/"…"', hint=_ETAG
        )
    if not ENTITY_TAG.fullmatch(etag):
        raise _fail(
            probe,
            "the ETag should be an entity-tag: its opaque part in double quotes.",
            response,
            expected='ETag: W/"…" or ETag: "…"',
            hint=_ETAG + " fastapi-cache2's own `W/-512…` has no quotes.",
        )
    if str(hash(response.content)) in etag:
        raise _fail(
            probe,
            "the ETag is Python's `hash()` of the body, which differs from one process to the "
            "next: two workers would give the same stats two ETags.",
            response,
            expected="the same ETag for the same stats in any process",
            hint=_ETAG,
        )
    return etag


def _expect_304(probe: Probe, token: str, if_none_match: str, etag: str, hint: str) -> None:
    sent = {"If-None-Match": if_none_match}
    response = _request(probe, "GET", STATS_URL, token=token, headers=sent)
    if response.status_code != 304:
        raise _fail(
            probe,
            "`If-None-Match` with the current ETag should answer 304 Not Modified.",
            response,
            expected="304, no body",
            hint=hint,
            headers=sent,
        )
    if response.content:
        raise _fail(
            probe,
            "a 304 has no body: the client uses the copy it has.",
            response,
            expected="304, no body",
            hint=_304,
            headers=sent,
        )
    if response.headers.get("etag") != etag or "cache-control" not in response.headers:
        raise _fail(
            probe,
            "a 304 should carry the ETag and the Cache-Control the 200 would.",
            response,
            expected=f"ETag: {etag}, Cache-Control: private, no-cache",
            hint="Give the 304 the same headers as the 200: `Response(status_code=304, "
            "headers=headers)`.",
            headers=sent,
        )


@check(
    "Task 3",
    "the stats have a stable ETag, a 304 for a current one, and are private.",
    log_in=False,
)
def etags(probe: Probe) -> None:
    with _new_user(probe, "ada") as ada:
        _etags(probe, ada)


def _etags(probe: Probe, ada: str) -> None:
    response = _request(probe, "GET", STATS_URL, token=ada)
    _stats(probe, response, f"GET {STATS_URL}")
    etag = _etag(probe, response)
    directives = {
        part.strip().split("=")[0].casefold()
        for part in response.headers.get("cache-control", "").split(",")
    }
    if not {"private", "no-cache"} <= directives or "public" in directives:
        raise _fail(
            probe,
            "the stats are one user's: `Cache-Control` should say `private` (no shared cache "
            "may keep them) and `no-cache` (check with the ETag before reusing them).",
            response,
            expected="Cache-Control: private, no-cache",
            hint='Set `"Cache-Control": "private, no-cache"` on the answer (fastapi-cache2\'s '
            "`@cache` sets `max-age=...` instead).",
        )
    again = _request(probe, "GET", STATS_URL, token=ada)
    if again.headers.get("etag") != etag:
        raise _fail(
            probe,
            "the same stats, asked for again, should have the same ETag.",
            again,
            expected=f"ETag: {etag}",
            hint="Compute the ETag from the body, so that it changes when the stats do and "
            "only then: not from the time, a counter or a random id.",
        )
    _expect_304(probe, ada, etag, etag, _304)
    _expect_304(
        probe,
        ada,
        f"{OTHER_TAG}, {etag}",
        etag,
        "`If-None-Match` may list several ETags, separated by commas: answer 304 when any of "
        "them is the current one.",
    )
    flipped = etag.removeprefix("W/") if etag.startswith("W/") else f"W/{etag}"
    _expect_304(
        probe,
        ada,
        flipped,
        etag,
        '`If-None-Match` compares weakly: `W/"x"` and `"x"` are the same tag for it. Compare '
        "them without the `W/`.",
    )
    _expect_304(probe, ada, "*", etag, "`If-None-Match: *` matches any current answer: a 304.")
    sent = {"If-None-Match": OTHER_TAG}
    response = _request(probe, "GET", STATS_URL, token=ada, headers=sent)
    if response.status_code != 200 or not response.content:
        raise _fail(
            probe,
            "an ETag that is not the current one should get the whole answer.",
            response,
            expected="200 with the stats",
            hint="Answer 304 only when `If-None-Match` names the current ETag (or is `*`).",
            headers=sent,
        )
    created = _request(probe, "POST", "/tasks", token=ada, body={"title": "Stats check etag"})
    probe.expect_status(created, 201, "POST /tasks", _ROUTE)
    sent = {"If-None-Match": etag}
    response = _request(probe, "GET", STATS_URL, token=ada, headers=sent)
    if (
        response.status_code != 200
        or response.headers.get("etag") == etag
        or probe.json(response) != _counts(todo=1)
    ):
        raise _fail(
            probe,
            "after POST /tasks, the old ETag should get the new stats, with a new ETag.",
            response,
            expected="200 with total 1, and another ETag",
            hint="The stats changed, so their ETag must: compute it from the body of the "
            "stats as they now are (and clear a cached copy when a task changes, Task 2).",
            headers=sent,
        )


# --- Task 4: rate limits on writes --------------------------------------------------------------

_COUNT_ALL = (
    "No limit refused it. Put yours on every route that changes tasks, "
    "`board(SETTINGS, writes=[Depends(limit_writes)])`, counting a user's writes together "
    "(not a key with the path). A callback that returns, instead of raising, lets it through."
)


@check(
    "Task 4",
    "each user may make 3 writes a minute; the 4th is a 429 with Retry-After.",
    settings=LIMIT_SETTINGS,
    log_in=False,
)
def write_limits(probe: Probe) -> None:
    with _new_user(probe, "writer") as token:
        writes = (
            ("POST", "/tasks", {"title": "Limit check one"}),
            ("POST", "/tasks", {"title": "Limit check two"}),
        )
        ids = []
        for method, url, body in writes:
            response = _write(probe, method, url, token, body)
            _allowed(probe, response, 201, len(ids) + 1)
            ids.append(response.json()["id"])
        response = _write(probe, "PATCH", f"/tasks/{ids[0]}", token, {"status": "done"})
        _allowed(probe, response, 200, 3)
        refused = _write(probe, "DELETE", f"/tasks/{ids[1]}", token)
        if refused.status_code != 429:
            raise _fail(
                probe,
                f"the 4th write of a user within {WRITE_WINDOW} seconds should be refused.",
                refused,
                expected="429 Too Many Requests",
                hint=_COUNT_ALL,
            )
        _refusal(probe, refused)
        for url in ("/tasks", f"/tasks/{ids[0]}"):
            response = _request(probe, "GET", url, token=token)
            probe.expect_status(
                response,
                200,
                f"GET {url} by a user whose writes are refused",
                "Limit the writes only: reads stay open, however many writes were refused. Add "
                "the limit to the routers that change tasks, not to every route.",
            )
        spoofed = {"X-Forwarded-For": SPOOFED}
        response = _request(
            probe, "POST", "/tasks", token=token, headers=spoofed, body={"title": "Spoofed"}
        )
        if response.status_code != 429:
            raise _fail(
                probe,
                "a user whose writes are refused got a new allowance by sending "
                "X-Forwarded-For, a header any client can write.",
                response,
                expected="429",
                hint="Count by the user (`request.state.user.id`), never by X-Forwarded-For: "
                "fastapi-limiter's default identifier trusts it.",
                headers=spoofed,
            )
        with _new_user(probe, "colleague") as other:
            response = _request(probe, "POST", "/tasks", token=other, body={"title": "Mine"})
            if response.status_code != 201:
                raise _fail(
                    probe,
                    "another user, who had made no write, was refused.",
                    response,
                    expected="201",
                    hint="Count per user: the check's two users write from one address, as a "
                    "team behind one router does. Give each key its own bucket, too: "
                    "`Limiter(Rate(...))` alone keeps one bucket for every key "
                    "(`PerKeyBuckets` keeps one per key).",
                )


def _allowed(probe: Probe, response: Response, status: int, number: int) -> None:
    if response.status_code == status:
        return
    hint = (
        f"The first {WRITE_LIMIT} writes of a user within {WRITE_WINDOW} seconds are allowed: "
        f"this was write number {number}. Build the limit from the settings' "
        "`write_rate_limit` and `write_rate_window`, and count writes only, per user."
        if response.status_code == 429
        else _ROUTE
    )
    probe.expect_status(
        response, status, f"Write number {number} of a new user", hint, hint_first=True
    )


def _refusal(probe: Probe, refused: Response) -> None:
    retry_after = refused.headers.get("retry-after", "")
    if not retry_after.isdigit() or not 1 <= int(retry_after) <= WRITE_WINDOW:
        raise _fail(
            probe,
            "a 429 should say when to try again, in `Retry-After`: whole seconds.",
            refused,
            expected=f"Retry-After: a number of seconds from 1 to {WRITE_WINDOW}",
            hint='Raise `HTTPException(429, detail, headers={"Retry-After": str(seconds)})`; '
            "fastapi-limiter's default callback sends none.",
        )
    probe.expect_error(
        refused,
        429,
        "too many",
        "The refused write",
        'Say why in `detail`, such as "Too many writes: at most 3 every 60 seconds".',
    )
