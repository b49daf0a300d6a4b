"""The canary: the whole suite on the newest release of every direct dependency, ignoring the lock.

Run with `make test-latest`. It builds `.venv-latest` (git-ignored) from scratch with the newest
releases of what requirements.txt names, installs the project, runs the suite there as
`make test` does, and prints which packages moved (locked version -> newest) and which
notebooks' outputs changed. So a FastAPI, Starlette or Pydantic release that changes what the
course shows fails here, on a maintainer's machine, before a learner meets it.

The one test left out is the one that must fail here: that the installed versions are the locked
ones. The exit status is the suite's.
"""

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-latest"
PYTHON = VENV / "bin" / "python"
# It must fail in this environment: the canary installs other versions than the lock's on purpose.
LEFT_OUT = "tests/test_pins.py::test_the_installed_versions_are_the_locked_ones"
LOCKED = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s;\\]+)(?: ; (?P<marker>[^\\]+?))?\s*\\?$"
)
SUMMARY = re.compile(r"^(?P<outcome>FAILED|ERROR) (?P<nodeid>.+?)(?: - .*)?$")


def uv() -> str:
    return shutil.which("uv") or str(ROOT / ".venv" / "bin" / "uv")


def run(*command: str | Path) -> None:
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True)


def direct_requirements() -> list[Requirement]:
    """requirements.txt's pins, as requirements."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in (raw.split("#", 1)[0].strip() for raw in lines) if line]


def unpinned(requirement: Requirement) -> str:
    """The same package and extras, any version: `fastapi[standard-no-fastapi-cloud-cli]`."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}"


def locked_versions() -> dict[str, str]:
    """The lock's version of each package this machine installs (markers decide, as uv does)."""
    versions = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = LOCKED.match(line)
        if match and (match["marker"] is None or Marker(match["marker"]).evaluate()):
            versions[canonicalize_name(match["name"])] = match["version"]
    return versions


def build_backend() -> set[str]:
    """pyproject.toml's build requirements: locked, but installed only while building."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {canonicalize_name(Requirement(r).name) for r in pyproject["build-system"]["requires"]}


def installed_versions() -> dict[str, str]:
    listed = subprocess.run(
        [uv(), "pip", "list", "--python", str(PYTHON), "--format", "json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed)}


def outdated() -> dict[str, str]:
    """Packages of .venv-latest with a newer release than the one installed: name -> newest."""
    listed = subprocess.run(
        [uv(), "pip", "list", "--python", str(PYTHON), "--outdated", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:  # only a report: the suite's result matters more
        return {}
    return {canonicalize_name(p["name"]): p["latest_version"] for p in json.loads(listed.stdout)}


def build() -> None:
    run(uv(), "venv", "--quiet", "--clear", "--python", sys.executable, VENV)
    run(
        uv(),
        "pip",
        "install",
        "--quiet",
        "--python",
        PYTHON,
        "--upgrade",
        *(unpinned(r) for r in direct_requirements()),
    )
    # The project itself, without its pinned dependencies (those are in requirements.txt).
    run(uv(), "pip", "install", "--quiet", "--python", PYTHON, "--no-deps", "-e", ".")


def run_suite() -> tuple[int, list[tuple[str, str]]]:
    """Run the suite as `make test` does, showing its output; return its status and failures."""
    command = [str(PYTHON), "-m", "pytest", "-n", "2", "--dist", "loadfile", "-rfE"]
    command += ["--deselect", LEFT_OUT]
    print("$", " ".join(command), flush=True)
    failures = []
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as suite:
        assert suite.stdout is not None
        for line in suite.stdout:
            print(line, end="", flush=True)
            match = SUMMARY.match(line.rstrip("\n"))
            if match:
                failures.append((match["outcome"], match["nodeid"]))
    return suite.returncode, failures


def moved_report(locked: dict[str, str], now: dict[str, str], newest: dict[str, str]) -> list[str]:
    direct = [canonicalize_name(r.name) for r in direct_requirements()]
    lines = ["Direct dependencies (requirements.txt), locked -> installed here:"]
    for name in direct:
        before, after = locked.get(name), now.get(name)
        if before == after:
            line = f"  {name} {before} (unchanged)"
        else:
            line = f"  {name} {before} -> {after}"
        if name in newest:
            line += f"; newest is {newest[name]}, held back by another package's requirement"
        lines.append(line)
    others = sorted(
        f"{name} {locked.get(name, 'not locked')} -> {now[name]}"
        for name in now
        if name not in direct and locked.get(name) != now[name] and name != "fastapi-step-by-step"
    )
    gone = sorted(name for name in locked if name not in now and name not in build_backend())
    lines.append(f"Other packages that moved: {len(others)}")
    lines += [f"  {line}" for line in others]
    if gone:
        lines.append(f"Locked, but no newest release needs them now: {', '.join(gone)}")
    return lines


def failures_report(failures: list[tuple[str, str]]) -> list[str]:
    notebooks: dict[str, list[str]] = defaultdict(list)
    others = []
    for outcome, nodeid in failures:
        path, _, item = nodeid.partition("::")
        if path.endswith(".ipynb"):
            notebooks[path].append(item if outcome == "FAILED" else f"{item} ({outcome})")
        else:
            others.append(f"{nodeid} ({outcome})" if outcome == "ERROR" else nodeid)
    lines = [f"Notebooks whose output changed: {len(notebooks)}"]
    lines += [f"  {path}: {', '.join(items)}" for path, items in sorted(notebooks.items())]
    lines.append(f"Other failing tests: {len(others)}")
    lines += [f"  {nodeid}" for nodeid in others]
    return lines


def main() -> int:
    build()
    locked, now, newest = locked_versions(), installed_versions(), outdated()
    status, failures = run_suite()
    lines = ["", "== make test-latest: the suite on the newest releases =="]
    lines += moved_report(locked, now, newest)
    lines += failures_report(failures)
    lines.append(
        "The suite passes on the newest releases."
        if status == 0
        else f"The suite fails on the newest releases (pytest exit status {status})."
    )
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
