"""One set of pins: requirements.txt is the source, environment.yml mirrors it for Binder and conda."""

import re

from tests.conftest import ROOT

PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+(\[[a-z0-9,\-]+\])?)==(?P<version>[^\s;]+)$")


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements.txt: {line!r} is not an exact == pin"
            pins[match["name"].lower()] = match["version"]
    return pins


def _environment_pip() -> dict[str, str]:
    pins = {}
    in_pip = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
        elif in_pip and line.strip().startswith("- "):
            match = PIN.match(line.strip()[2:])
            assert match, f"environment.yml: {line.strip()!r} is not an exact == pin"
            pins[match["name"].lower()] = match["version"]
    return pins


def test_environment_yml_installs_exactly_the_requirements() -> None:
    assert _environment_pip() == _requirements()


def test_environment_yml_asks_for_the_python_the_course_supports() -> None:
    assert "  - python=3.11\n" in (ROOT / "environment.yml").read_text()


def test_the_installed_versions_are_the_pinned_ones() -> None:
    from importlib.metadata import version

    for name, pinned in _requirements().items():
        assert version(name.split("[")[0]) == pinned, name
