"""Load real servers, and measure lesson 14's ladder: `make bench` and the lesson use it.

Two load generators, both bounded in time and in concurrency:

- `wrk_load` runs wrk, a load generator written in C: it costs the machine far less per request
  than any Python client, so what it measures is mostly the server.
- `httpx_load` keeps `concurrency` requests in flight from an async httpx2 client, in this
  process. It needs nothing installed, but a Python client on the same machine spends about as
  much CPU per request as a fast server does: it measures itself as much as the server.

`measure_ladder` serves each app of the ladder (`course.perf.LADDER`) with uvicorn, checks that
all answer the same task, and loads them in turns, round after round, so a burst of another
program's work hits every app alike; each app's best round is its figure.
"""

import asyncio
import re
import shutil
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Literal

import httpx2

from course.perf import FASTAPI_TYPED, LADDER, PATH, RAW, TASKS, Rung
from course.server import serving
from taskboard.demo import DEMO_PASSWORD, DEMO_USERNAME

Tool = Literal["wrk", "httpx"]


@dataclass(frozen=True)
class Load:
    """What one bounded load did: requests answered, in how many seconds, and how many failed."""

    requests: int
    seconds: float
    failed: int = 0  # answers other than 200, and connection errors

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def httpx_load(
    url: str,
    *,
    seconds: float,
    concurrency: int = 32,
    headers: Mapping[str, str] | None = None,
) -> Load:
    """GET `url` from `concurrency` workers at once for `seconds`, each sending its next request
    as soon as its last one is answered; count the answers.

    The workers share one client, and so a pool of at most `concurrency` kept-alive
    connections, as a browser or a service would. A request still running at the deadline is
    waited for, within the client's timeout.
    """
    statuses: Counter[int] = Counter()
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(headers=headers, limits=limits, timeout=10) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                try:
                    response = await client.get(url)
                except httpx2.TransportError:
                    statuses[0] += 1  # no answer at all: counted as failed
                else:
                    statuses[response.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    answered = sum(statuses.values())
    return Load(requests=answered, seconds=elapsed, failed=answered - statuses[200])


def wrk_path() -> str | None:
    """The wrk command, if it is installed (`apt-get install wrk`, `brew install wrk`)."""
    return shutil.which("wrk")


_WRK_DONE = re.compile(r"(?P<requests>\d+) requests in (?P<time>[\d.]+)(?P<unit>us|ms|s|m)\b")
_WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (?P<count>\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(output: str) -> Load:
    """wrk's summary as a Load: the requests it counted, over its own elapsed time."""
    done = _WRK_DONE.search(output)
    if done is None:
        raise RuntimeError(f"wrk printed no summary: {output.strip()[:300]}")
    non_2xx = _WRK_NON_2XX.search(output)
    socket_errors = _WRK_SOCKET.search(output)
    failed = int(non_2xx["count"]) if non_2xx else 0
    # read errors are connections the server closed; a timeout is a request never answered
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    seconds = float(done["time"]) * _UNIT[done["unit"]]
    return Load(requests=int(done["requests"]), seconds=seconds, failed=failed)


async def wrk_load(
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
) -> Load:
    """Load `url` with wrk for `seconds` (whole seconds: wrk takes no less than 1)."""
    wrk = wrk_path()
    if wrk is None:
        raise FileNotFoundError("wrk is not installed: apt-get install wrk (or brew install wrk)")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    process = await asyncio.create_subprocess_exec(
        *command, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 30)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {output.decode()[:300]}")
    return parse_wrk(output.decode())


async def log_in(base_url: str) -> dict[str, str]:
    """The headers of a request from the demo account: Taskboard's token for it."""
    async with httpx2.AsyncClient(base_url=base_url, timeout=30) as client:
        form = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
        response = await client.post("/auth/token", data=form)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class Step:
    """One rung's loads, a round each."""

    rung: Rung
    loads: list[Load] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Requests per second in its best round: the one other programs disturbed least."""
        return max(load.per_second for load in self.loads)


@dataclass
class Ladder:
    tool: Tool
    seconds: float
    rounds: int
    concurrency: int
    steps: list[Step]

    def best(self, rung: Rung) -> float:
        return next(step.best for step in self.steps if step.rung == rung)

    def ratio(self, rung: Rung, to: Rung) -> float:
        """`rung`'s requests per second as a fraction of `to`'s, measured in the same run."""
        return self.best(rung) / self.best(to)

    def table(self) -> str:
        """The ladder as a table: requests per second, and ratios to two rungs that are in it."""
        by = {step.rung for step in self.steps}
        references = [rung for rung in (FASTAPI_TYPED, RAW) if rung in by]
        tool = "wrk, 1 thread" if self.tool == "wrk" else "an async httpx2 client in Python"
        rounds = f"best of {self.rounds} rounds" if self.rounds > 1 else "1 round"
        lines = [
            f"GET {PATH}: {self.concurrency} connections from {tool}, {rounds} of "
            f"{self.seconds:g} s per app",
            f"{'app':<30} {'requests/s':>11}"
            + "".join(f" {'vs ' + short(rung):>13}" for rung in references),
        ]
        for step in self.steps:
            ratios = "".join(f" {self.ratio(step.rung, rung):>12.0%} " for rung in references)
            lines.append(f"{step.rung.name:<30} {step.best:>11,.0f}{ratios}")
        return "\n".join(line.rstrip() for line in lines)


def short(rung: Rung) -> str:
    return {FASTAPI_TYPED: "FastAPI", RAW: "raw ASGI"}.get(rung, rung.name)


async def measure_ladder(
    rungs: Sequence[Rung] = LADDER,
    *,
    seconds: float = 3.0,
    rounds: int = 3,
    concurrency: int = 32,
    tool: Tool | None = None,
    warm_up: float = 0.5,
) -> Ladder:
    """Serve every rung with uvicorn at once, then load each in turn, `rounds` times.

    `tool` is wrk when it is installed, else httpx. Each server must answer `GET /tasks/3`
    with the same task first; a load in which any request failed is an error, not a figure.
    """
    tool = tool or ("wrk" if wrk_path() else "httpx")
    with ExitStack() as servers:
        bases = await _start_all(servers, rungs)
        headers = [
            await log_in(base) if rung.log_in else {}
            for rung, base in zip(rungs, bases, strict=True)
        ]
        urls = [base + PATH for base in bases]
        for rung, url, sent in zip(rungs, urls, headers, strict=True):
            await _expect_the_task(rung, url, sent)
        for url, sent in zip(urls, headers, strict=True):
            await httpx_load(url, seconds=warm_up, concurrency=4, headers=sent)
        steps = [Step(rung) for rung in rungs]
        for _ in range(rounds):
            for step, url, sent in zip(steps, urls, headers, strict=True):
                if tool == "wrk":
                    load = await wrk_load(
                        url, seconds=seconds, connections=concurrency, headers=sent
                    )
                else:
                    load = await httpx_load(
                        url, seconds=seconds, concurrency=concurrency, headers=sent
                    )
                if load.failed:
                    raise RuntimeError(
                        f"{step.rung.name}: {load.failed} of {load.requests} requests failed"
                    )
                step.loads.append(load)
    return Ladder(tool, seconds, rounds, concurrency, steps)


async def _start_all(stack: ExitStack, rungs: Sequence[Rung]) -> list[str]:
    """Start every rung's server at once, and leave stopping them to `stack`; their base URLs.

    Each starts in a worker thread, since start-up blocks until uvicorn listens: the servers
    import their apps side by side, and the event loop stays free meanwhile.
    """
    managers = [serving(rung.app, factory=rung.factory) for rung in rungs]
    started = await asyncio.gather(
        *(asyncio.to_thread(manager.__enter__) for manager in managers), return_exceptions=True
    )
    for manager, result in zip(managers, started, strict=True):
        if not isinstance(result, BaseException):
            stack.push(manager.__exit__)  # stopped when the stack closes, failure or not
    for result in started:
        if isinstance(result, BaseException):
            raise result
    return [str(base) for base in started]


async def _expect_the_task(rung: Rung, url: str, headers: Mapping[str, str]) -> None:
    async with httpx2.AsyncClient(headers=headers, timeout=10) as client:
        response = await client.get(url)
    if response.status_code != 200 or response.json() != TASKS[3]:
        raise RuntimeError(f"{rung.name} answered {response.status_code} {response.text[:200]}")
