"""The lock files stay in step with pyproject.toml: every dependency pyproject names is pinned,
with hashes, at a version its range allows. pyproject keeps ranges (for people who install
fedbot as a library); the locks pin what the image (`requirements.lock`) and CI
(`requirements-test.lock`) install. A dependency added to pyproject without re-locking fails
here; docs/development.md says how to re-lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _project() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    # The image runs the FAQ's hybrid ranking: its lock holds the `semantic` extra too.
    runtime = [Requirement(text) for text in project["dependencies"]]
    runtime += [Requirement(text) for text in project["optional-dependencies"]["semantic"]]
    test = [Requirement(text) for text in project["optional-dependencies"]["test"]]
    return {"requirements.lock": runtime, "requirements-test.lock": runtime + test}


def _pins(name: str) -> dict[str, tuple[str, str]]:
    """{package: (version, the pin's whole entry)} of a lock file."""
    text = (ROOT / name).read_text("utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    pins = {}
    for entry in entries:
        if match := PIN.match(entry):
            pins[canonicalize_name(match.group(1))] = (match.group(2), entry)
    return pins


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_dependency_is_pinned_within_its_range_with_hashes(lock: str) -> None:
    pins = _pins(lock)
    wrong = []
    for requirement in _project()[lock]:
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            wrong.append(f"{requirement.name}: not in {lock}")
        elif not requirement.specifier.contains(pinned[0], prereleases=True):
            wrong.append(f"{requirement.name}: {pinned[0]} is outside {requirement.specifier}")
    unhashed = [name for name, (_, entry) in pins.items() if "--hash=sha256:" not in entry]
    assert wrong == [] and unhashed == []


def test_the_two_locks_agree_and_the_image_gets_no_test_tool() -> None:
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    differ = {n: (v, test[n][0]) for n, (v, _) in runtime.items() if test.get(n, (v,))[0] != v}
    assert differ == {}
    assert set(runtime) <= set(test)
    tools = {canonicalize_name(r.name) for r in _project()["requirements-test.lock"]} - {
        canonicalize_name(r.name) for r in _project()["requirements.lock"]
    }
    assert tools & set(runtime) == set()
