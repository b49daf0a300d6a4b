"""Measure what the course promises: each notebook in a fresh kernel, and the whole test suite.

Run with `make bench`. Figures are for this machine; they go in reports, never in tests.
"""

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


def main() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
