"""The locks in requirements/ are what every machine installs: `make run` must get exactly the
versions that `make test` (and so CI) ran, and every declared dependency must be locked."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {package.lower().replace("_", "-"): version for package, version in PIN.findall(text)}


def _declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-")
            for line in requirements}


def test_runtime_lock_is_the_tested_versions() -> None:
    runtime, tested = _pins("runtime.lock"), _pins("test.lock")
    assert runtime, "runtime.lock pins nothing"
    assert {name: (version, tested.get(name)) for name, version in runtime.items()
            if tested.get(name) != version} == {}


def test_every_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, tested = _pins("runtime.lock"), _pins("test.lock")
    assert _declared(project["dependencies"]) - set(runtime) == set()
    assert _declared(project["optional-dependencies"]["test"]) - set(tested) == set()
    for name in ("runtime.lock", "test.lock", "tools.lock"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        assert text.count("==") <= text.count("--hash=sha256:"), name
