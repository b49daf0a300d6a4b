"""Measure what the course promises: the ladder of lesson 14, each notebook in a fresh kernel, and
the whole test suite.

Run with `make bench`; `python scripts/bench.py --ladder` measures the ladder only, and
`--seconds`/`--rounds` change how long. Figures are for this machine; they go in reports, never
in tests.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
# Checks run here must not land in, or read from, the learner's own progress file
# (`:memory:` keeps verdicts in each kernel); the kernels inherit this.
os.environ["COURSE_PROGRESS_FILE"] = ":memory:"


def time_notebook(path: Path) -> tuple[float, float]:
    """Seconds to start a fresh kernel, and seconds to run every cell in it."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    )
    started = time.perf_counter()
    with client.setup_kernel():
        ready = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        done = time.perf_counter()
    return ready - started, done - ready


def ladder(seconds: float, rounds: int) -> None:
    """Lesson 14's ladder: GET /tasks/3 from a raw ASGI app up to Taskboard, under load."""
    from course.load import measure_ladder, wrk_path
    from course.perf import FASTAPI_TYPED, TASKBOARD

    tool = "wrk" if wrk_path() else "httpx"
    if tool == "httpx":
        print(
            "wrk is not installed (apt-get install wrk, brew install wrk): loading with an "
            "async httpx2 client instead, which spends about as much CPU per request as the "
            "fastest servers do, so the top of the ladder measures the client."
        )
    started = time.perf_counter()
    result = asyncio.run(measure_ladder(seconds=seconds, rounds=rounds, tool=tool))
    print(result.table())
    share = result.ratio(TASKBOARD, FASTAPI_TYPED)
    print(
        f"\nTaskboard serves {share:.0%} of what the minimal FastAPI app serves "
        f"(lesson 14's target: 80 %). Measured in {time.perf_counter() - started:.0f} s."
    )


def notebooks_and_suite() -> int:
    print(f"{'notebook':<42} {'kernel start':>12} {'cells':>8} {'total':>8}")
    for folder in ("notebooks", "solutions"):
        for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            start, cells = time_notebook(path)
            name = f"{folder}/{path.name}"
            print(f"{name:<42} {start:>11.2f}s {cells:>7.2f}s {start + cells:>7.2f}s")
    started = time.perf_counter()
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    summary = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else "no output"
    print(f"\ntest suite (pytest -n 2 --dist loadfile): {elapsed:.1f}s: {summary}")
    return suite.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--ladder", action="store_true", help="measure the ladder only")
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="seconds of load per app and round (3)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of load per app (3)")
    args = parser.parse_args(argv)
    ladder(args.seconds, args.rounds)
    if args.ladder:
        return 0
    print()
    return notebooks_and_suite()


if __name__ == "__main__":
    sys.exit(main())
