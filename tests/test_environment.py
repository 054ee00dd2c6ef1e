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


def test_binder_opens_the_notebooks_and_downloads_nothing():
    """Binder builds environment.yml (sprintlib installed from the repository, JupyterLab),
    the README's badge opens notebooks/ in JupyterLab, and no student notebook fetches
    anything: MNIST comes from data/mnist through sprintlib.data."""
    import json

    env, _, pip_section = environment_pins()
    assert "jupyterlab" in env and "-e ." in pip_section
    assert "urlpath=lab/tree/notebooks" in (ROOT / "README.md").read_text()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        # (sprint 3's Keras comparison shows its recorded run, data/keras/, and imports no
        # TensorFlow, which Binder has not; keras.datasets' load_data would download MNIST, which
        # the notebooks take from data/mnist instead)
        for word in ("urllib", "requests", "http://", "https://", "wget", "load_data(", "import tensorflow"):
            assert word not in code, f"{path.name} mentions {word!r}"
        if "mnist" in code.lower():
            assert "from sprintlib.data import load_mnist" in code, path.name


def test_make_lab_opens_the_same_folder():
    makefile = (ROOT / "Makefile").read_text()
    assert "jupyter lab notebooks/" in makefile
