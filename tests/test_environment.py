"""The Binder/conda environment names the same packages and versions as pyproject.toml,
and the lock file agrees with both."""
import re
import tomllib

import yaml

from conftest import ROOT


def _pins(lines):
    out = {}
    for line in lines:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;]+)\s*", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        deps += extra
    unpinned = [d for d in deps if "==" not in d]
    assert not unpinned, f"pyproject.toml has unpinned dependencies: {unpinned}"
    return _pins(deps)


def environment_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    return _pins(pip_section), python, pip_section


def test_environment_yml_matches_pyproject():
    env, python, pip_section = environment_pins()
    assert env == pyproject_pins()
    assert python == "python=3.11"
    assert "-e ." in pip_section  # Binder installs sprintlib itself too


def test_lock_file_agrees_with_pyproject():
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    for name, version in pyproject_pins().items():
        assert lock.get(name) == version, f"requirements.lock has {name}=={lock.get(name)}, pyproject {version}"
