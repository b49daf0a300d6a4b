"""One set of pins: requirements.txt lists the direct ones, requirements.lock (written from it by
`make lock`) holds the whole tree with hashes, and every install path installs the lock."""

import re
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

# An exact pin, with an environment marker where a package has no wheel for some platform.
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)(\[[a-z0-9,\-]+\])?==(?P<version>[^\s;]+)(\s*;\s*\S.*)?$"
)
LOCKED = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+?))?"
    r"(?P<hashes>(?: --hash=sha256:[0-9a-f]{64})+)$"
)
FROM_REQUIREMENTS = "-r requirements.txt"


@dataclass
class Locked:
    version: str
    marker: str | None
    via: list[str]


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements.txt: {line!r} is not an exact == pin"
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def _lock() -> list[tuple[str, Locked]]:
    """Each entry of requirements.lock: name, version, environment marker, what asked for it."""
    text = (ROOT / "requirements.lock").read_text().replace("\\\n", " ")
    entries: list[tuple[str, Locked]] = []
    for line in text.splitlines():
        if line.startswith("    #") and entries:
            via = line.strip("# ").removeprefix("via").strip()
            if via:
                entries[-1][1].via.append(via)
        elif line and not line.startswith("#"):
            match = LOCKED.match(re.sub(r"\s+", " ", line).strip())
            assert match, f"requirements.lock: {line[:80]!r} is not an exact pin with hashes"
            entries.append(
                (canonicalize_name(match["name"]), Locked(match["version"], match["marker"], []))
            )
    return entries


def _applies_here(entry: Locked) -> bool:
    return entry.marker is None or Marker(entry.marker).evaluate()


def test_the_lock_holds_every_requirement_at_its_pinned_version() -> None:
    locked = {name: entry.version for name, entry in _lock()}
    stale = {
        name: (pinned, locked.get(name))
        for name, pinned in _requirements().items()
        if locked.get(name) != pinned
    }
    assert not stale, f"run `make lock`: requirements.txt pin vs requirements.lock {stale}"


def test_the_lock_is_made_from_exactly_these_requirements() -> None:
    asked = {name for name, entry in _lock() if FROM_REQUIREMENTS in entry.via}
    pinned = set(_requirements())
    assert asked == pinned, (
        f"run `make lock`: only in requirements.txt {sorted(pinned - asked)}, "
        f"only in requirements.lock {sorted(asked - pinned)}"
    )


def test_the_lock_pins_the_build_backend_of_pyproject_toml() -> None:
    """`pip install --no-deps --no-build-isolation -e .` builds with the locked setuptools."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    locked = {name: entry.version for name, entry in _lock()}
    for requirement in pyproject["build-system"]["requires"]:
        match = PIN.match(requirement)
        assert match, f"pyproject.toml: build requirement {requirement!r} is not an exact pin"
        assert locked.get(canonicalize_name(match["name"])) == match["version"], requirement


def test_the_lock_has_one_version_of_each_package_per_environment() -> None:
    here = [name for name, entry in _lock() if _applies_here(entry)]
    assert len(here) == len(set(here))


def _environment_pip() -> list[str]:
    entries = []
    in_pip = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
        elif in_pip and line.strip().startswith("- "):
            entries.append(line.strip()[2:])
    return entries


def test_environment_yml_installs_exactly_the_lock() -> None:
    assert _environment_pip() == ["-r requirements.lock"]


def test_environment_yml_asks_for_the_python_the_course_supports() -> None:
    assert "  - python=3.11\n" in (ROOT / "environment.yml").read_text()


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def test_the_installed_versions_are_the_locked_ones() -> None:
    wrong = {
        name: (entry.version, _installed(name))
        for name, entry in _lock()
        if _applies_here(entry) and _installed(name) != entry.version
    }
    assert not wrong, (
        f"locked vs installed (`touch requirements.lock; make install` fixes it): {wrong}"
    )
