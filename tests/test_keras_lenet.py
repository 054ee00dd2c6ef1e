"""Sprint 3's Keras comparison (issue 24, item 14): the record shipped in data/keras/ is what
``python -m sprintlib.keras_lenet`` makes, and the notebook shows it without TensorFlow.

- the record's structure, settings and what the notebook says of it (momentum 0.9 learns,
  momentum 1.0 climbs back to chance);
- the first epoch trained again (in a subprocess: TensorFlow's deterministic ops and seed stay
  out of this worker) matches the record within the tolerance of another thread count and
  oneDNN setting;
- the notebook's Keras cell, run with TensorFlow unavailable, prints the record's table and
  draws its two plots, and imports no TensorFlow;
- a missing or malformed record is refused with a message naming the fix;
- the students' repository ships the record (autograder/student_repo.py's DATA).
"""
import json
import math
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from sprintlib import keras_lenet

RELEASE = ROOT / "autograder" / "release" / "sprint3_lenet" / "sprint3_lenet.ipynb"


@pytest.fixture(scope="module")
def record():
    return keras_lenet.load()


def test_the_record_holds_every_epoch_of_both_momenta(record):
    assert record["settings"] == keras_lenet.SETTINGS
    assert record["parameters"] == 107786  # the documents' LeNet, 'same' padding
    assert [r["momentum"] for r in record["runs"]] == [0.9, 1.0]
    for r in record["runs"]:
        for name in keras_lenet.CURVES:
            assert len(r[name]) == record["settings"]["epochs"] and all(math.isfinite(v) for v in r[name]), name
        assert all(0 <= v <= 1 for v in r["accuracy"] + r["test_accuracy"])
    assert record["command"] == keras_lenet.COMMAND and record["tensorflow"] and record["date"]


def test_the_record_shows_what_the_notebook_says(record):
    """Momentum 0.9 keeps improving; momentum 1.0 learns at first, then ends near ln 10 (chance)."""
    good, stuck = record["runs"]
    assert good["test_accuracy"][-1] > 0.9 and good["loss"][-1] < good["loss"][0] / 5
    assert max(stuck["test_accuracy"]) > 0.8  # it did learn for a while
    assert abs(stuck["loss"][-1] - math.log(10)) < 0.15 and stuck["test_accuracy"][-1] < 0.2


def test_the_first_epoch_trained_again_matches_the_record(record):
    code = ("import json; from sprintlib import keras_lenet; "
            "print(json.dumps(keras_lenet.run(**{**keras_lenet.SETTINGS, 'epochs': 1})))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-2000:]
    again = json.loads(run.stdout.strip().splitlines()[-1])
    assert again["parameters"] == record["parameters"]
    for new, old in zip(again["runs"], record["runs"], strict=True):
        assert new["momentum"] == old["momentum"]
        # the record was made with 2 threads and oneDNN, the tests run on 1 thread without it:
        # the sums' order differs, the training loss by 3e-5, the test loss by under 1%
        assert new["loss"][0] == pytest.approx(old["loss"][0], rel=1e-3), new["momentum"]
        assert new["test_loss"][0] == pytest.approx(old["test_loss"][0], rel=0.02), new["momentum"]
        for name in ("accuracy", "test_accuracy"):
            assert new[name][0] == pytest.approx(old[name][0], abs=0.01), (new["momentum"], name)


def _keras_cell() -> str:
    cells = [c for c in nbformat.read(str(RELEASE), as_version=4).cells
             if c.cell_type == "code" and "keras_lenet" in c.source]
    assert len(cells) == 1, f"expected one Keras cell in {RELEASE}, found {len(cells)}"
    return cells[0].source


def test_the_keras_cell_imports_no_tensorflow():
    source = _keras_cell()
    assert "import tensorflow" not in source and "keras_lenet.run" not in source


def test_the_keras_cell_shows_the_record_without_tensorflow(record):
    """The cell as the release notebook has it, run where TensorFlow cannot be imported."""
    script = f"""
import sys
sys.modules["tensorflow"] = None  # import tensorflow raises ImportError, as on Binder
sys.modules["keras"] = None
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sprintlib.grading import autograding
exec(compile({_keras_cell()!r}, "keras cell", "exec"))
axes = plt.gcf().axes
print("AXES", len(axes), sum(len(ax.lines) for ax in axes))
print("TF", sys.modules["tensorflow"])
"""
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION",)}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT / "notebooks", capture_output=True, text=True,
                         timeout=120, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert f"recorded {record['date']} with TensorFlow {record['tensorflow']}" in out
    stuck = record["runs"][1]
    last = record["settings"]["epochs"]
    assert f"{'1.0':>8} {last:>5} {stuck['loss'][-1]:>8.4f} {stuck['accuracy'][-1]:>9.2%}" in out, out
    # two plots (loss, accuracy), each a training and a test line per momentum, and ln 10
    assert "AXES 2 9" in out, out
    assert "TF None" in out


def test_a_missing_or_malformed_record_is_refused(tmp_path, record):
    with pytest.raises(FileNotFoundError, match="python -m sprintlib.keras_lenet"):
        keras_lenet.load(tmp_path / "none.json")
    short = json.loads(json.dumps(record))
    short["runs"][1]["test_loss"] = short["runs"][1]["test_loss"][:2]
    (tmp_path / "short.json").write_text(json.dumps(short))
    with pytest.raises(ValueError, match=r"momentum 1.0: expected 6 values .* got \{'test_loss': 2\}"):
        keras_lenet.load(tmp_path / "short.json")


def test_a_bare_file_name_is_one_in_data_keras():
    assert keras_lenet.resolve("mine.json") == ROOT / "data" / "keras" / "mine.json"
    assert keras_lenet.resolve("out/mine.json").parts[-2:] == ("out", "mine.json")


def test_the_students_get_the_record():
    from autograder import student_repo

    assert "keras" in student_repo.DATA and keras_lenet.DEFAULT_OUT.parent == ROOT / "data" / "keras"
