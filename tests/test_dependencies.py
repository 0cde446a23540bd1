"""The lock file covers every dependency with hashes; the bounds keep out vulnerable releases."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.settings import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements.lock"
#: The newest release with a known vulnerability, for each dependency that had one.
VULNERABLE = {
    "python-multipart": "0.0.17",  # CVE-2024-53981
    "starlette": "0.49.0",  # CVE-2025-54121 (< 0.47.2), CVE-2025-62727 (< 0.49.1)
    "jinja2": "3.1.5",  # CVE-2024-56201, CVE-2024-56326, CVE-2025-27516
    "tqdm": "4.66.2",  # CVE-2024-34062
    "setuptools": "78.1.0",  # CVE-2024-6345, CVE-2025-47273 (the build backend)
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _project() -> dict[str, object]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _requirements() -> list[Requirement]:
    project = _project()
    table = project["project"]
    assert isinstance(table, dict)
    named = [*table["dependencies"], *table["optional-dependencies"]["test"]]
    build = project["build-system"]
    assert isinstance(build, dict)
    return [Requirement(text) for text in [*named, *build["requires"]]]


def _locked() -> dict[str, tuple[Version, int]]:
    """Each pinned package: its version and how many hashes the lock gives for it."""
    pins: dict[str, tuple[Version, int]] = {}
    current = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = (Version(match[2]), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = ""
    return pins


def test_every_dependency_is_locked_with_a_version_it_allows_and_a_hash() -> None:
    locked = _locked()
    build_only = {"setuptools", "wheel"}  # built in isolation by pip, not installed from the lock
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        if name in build_only and name not in locked:
            continue
        assert name in locked, f"{requirement.name} is not in requirements.lock"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name} {version}, outside {requirement.specifier}"
        )
        assert hashes >= 1, f"requirements.lock has no hash for {name}"


def test_every_locked_package_has_a_hash() -> None:
    assert all(hashes >= 1 for _, hashes in _locked().values())
    assert len(_locked()) > 50  # the indirect dependencies too


@pytest.mark.parametrize("name", sorted(VULNERABLE))
def test_the_lower_bounds_exclude_releases_with_known_vulnerabilities(name: str) -> None:
    vulnerable = Version(VULNERABLE[name])
    requirements = [r for r in _requirements() if canonicalize_name(r.name) == name]
    assert requirements, f"{name} is no longer a dependency: drop it here"
    for requirement in requirements:
        assert not requirement.specifier.contains(vulnerable, prereleases=True), (
            f"pyproject.toml allows {name} {vulnerable}"
        )
    locked = _locked().get(name)
    if locked is not None:
        assert locked[0] > vulnerable, f"requirements.lock pins {name} {locked[0]}"


def test_the_test_script_installs_the_lock_with_hashes_then_the_project_alone() -> None:
    script = (PROJECT_ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "pip install -q --require-hashes -r requirements.lock" in script
    assert "pip install -q --no-deps -e ." in script
    assert "'.[test]'" not in script
