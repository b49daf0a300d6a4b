"""`make bench`'s ladder end to end, with a load so small that the test stays short, and the two
load generators it uses.

A figure measured here would say nothing on a busy test machine: these tests check that every
server starts, answers the same task, is loaded and stopped, and that the table says it all.
"""

import asyncio
import importlib.util
from pathlib import Path

import pytest

import course.load
from course.load import Ladder, Load, Step, httpx_load, parse_wrk, wrk_load, wrk_path
from course.perf import FASTAPI_TYPED, LADDER, PATH, RAW, TASKBOARD
from course.server import serving

ROOT = Path(__file__).resolve().parent.parent


def _bench_script():  # scripts/ is no package: load bench.py by its path
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ladder_runs_end_to_end_without_wrk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(course.load, "wrk_path", lambda: None)
    _bench_script().ladder(seconds=0.2, rounds=1)
    printed = capsys.readouterr().out
    assert "wrk is not installed" in printed
    assert "from an async httpx2 client in Python, 1 round of 0.2 s per app" in printed
    for rung in LADDER:
        assert f"\n{rung.name} " in printed
    assert "of what the minimal FastAPI app serves (lesson 14's target: 80 %)" in printed


@pytest.mark.skipif(wrk_path() is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_loads_a_real_server() -> None:
    with serving(RAW.app) as url:
        load = asyncio.run(wrk_load(url + PATH, seconds=1, connections=4))
    assert load.requests > 0 and load.failed == 0 and load.seconds > 0


def test_httpx_load_counts_answers_other_than_200_as_failed() -> None:
    with serving(RAW.app) as url:
        found = asyncio.run(httpx_load(url + PATH, seconds=0.2, concurrency=2))
        missing = asyncio.run(httpx_load(url + "/tasks/99", seconds=0.2, concurrency=2))
    assert found.requests > 0 and found.failed == 0
    assert missing.requests > 0 and missing.failed == missing.requests


WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:41234/tasks/3
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.11ms    1.02ms  21.20ms   90.12%
    Req/Sec     7.83k   512.43     8.40k    86.67%
  23401 requests in 3.00s, 8.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   7800.12
Transfer/sec:      2.70MB
"""


def test_parse_wrk_reads_the_requests_the_time_and_the_failures() -> None:
    load = parse_wrk(WRK_OUTPUT)
    assert (load.requests, load.seconds, load.failed) == (23401, 3.0, 8)
    assert load.per_second == pytest.approx(7800.33, abs=0.01)


def test_parse_wrk_reads_other_time_units() -> None:
    assert parse_wrk("  100 requests in 500.00ms, 1KB read").seconds == 0.5
    assert parse_wrk("  100 requests in 1.00m, 1KB read").seconds == 60.0


def test_parse_wrk_refuses_output_without_a_summary() -> None:
    with pytest.raises(RuntimeError, match="wrk printed no summary: unable to connect"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_the_table_gives_requests_per_second_and_ratios() -> None:
    steps = [
        Step(RAW, [Load(3000, 1.0), Load(4000, 1.0)]),
        Step(FASTAPI_TYPED, [Load(1000, 1.0)]),
        Step(TASKBOARD, [Load(100, 1.0)]),
    ]
    ladder = Ladder("wrk", 1.0, 2, 32, steps)
    assert ladder.best(RAW) == 4000
    assert ladder.ratio(TASKBOARD, FASTAPI_TYPED) == 0.1
    lines = ladder.table().splitlines()
    assert lines[0] == (
        "GET /tasks/3: 32 connections from wrk, 1 thread, best of 2 rounds of 1 s per app"
    )
    assert lines[1].split() == ["app", "requests/s", "vs", "FastAPI", "vs", "raw", "ASGI"]
    assert lines[2].split() == ["raw", "ASGI", "app", "4,000", "400%", "100%"]
    assert lines[4].split() == ["Taskboard", "100", "10%", "2%"]
