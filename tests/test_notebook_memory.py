"""What kept the sprint notebooks' memory under 700 MB where students run them (issue 26;
`make bench` measures the notebooks whole: benchmarks/bench_memory.py). Each test guards one
cause that was found, by the memory NumPy allocates (tracemalloc), never by time:

- MNIST loaded as float64 (376 MB for the training images) where float32 does (188 MB);
- a model answer's validation pass over 2,000 images at once (sprint 2: some 400 MB of
  im2col windows and feature maps), where batches of 500 do as predict does;
- a slice of the training set kept as the check's data (sprint 4): a view, which holds
  all 60,000 images.
"""
import ast
import tracemalloc

import numpy as np
import pytest

from conftest import ROOT
from course_cells import ASSIGNMENTS, cells
from sprintlib.data import load_mnist

MB = 2 ** 20


def peak_allocated(fn) -> float:
    """The most memory, in MB, that NumPy and Python held at once during fn() beyond what
    they held before (tracemalloc sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - before) / MB
    finally:
        tracemalloc.stop()


def load_mnist_calls(assignment: str) -> list[ast.Call]:
    source = (ROOT / "autograder" / "percent" / f"{assignment}.py").read_text()
    return [node for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_mnist"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_loads_mnist_as_float32(assignment):
    calls = load_mnist_calls(assignment)
    assert calls, f"{assignment} does not load MNIST any more: is this test still needed?"
    for call in calls:
        dtype = {k.arg: ast.unparse(k.value) for k in call.keywords}.get("dtype")
        assert dtype == "np.float32", (f"{assignment}, line {call.lineno}: {ast.unparse(call)} loads MNIST as "
                                       f"{dtype or 'float64 (the default)'}: twice the memory of float32")


def test_load_mnist_float32_allocates_its_arrays_and_no_float64_copy():
    load_mnist(dtype=np.float32)  # the raw files parsed once (kept for the next calls)
    images = 4 * 784 * (60000 + 10000) / MB  # 209 MB of float32 images (MB: 2**20 bytes)
    labels = 8 * (60000 + 10000) / MB
    peak = peak_allocated(lambda: load_mnist(dtype=np.float32))
    # float64 would take 419 MB; a float64 temporary of the training images alone would add 359 MB
    assert images < peak < images + labels + 10


def test_sprint2_model_answer_validates_2000_images_in_batches():
    namespace = {}
    for cell in cells("sprint2_conv2d"):
        if cell.kind == "answer" or cell.source.lstrip().startswith("import numpy"):
            exec(compile(cell.source, "<sprint2_conv2d>", "exec"), namespace)
    rng = np.random.default_rng(0)
    X, y = rng.random((64, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    X_val, y_val = rng.random((2000, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 2000)
    model = namespace["Scratch2dCNNClassifier"](epochs=1, verbose=False)
    peak = peak_allocated(lambda: model.fit(X, y, X_val, y_val))
    assert len(model.history["val_accuracy"]) == 1
    # batches of 500: about 125 MB (im2col's windows of 500 images twice, the feature maps);
    # the 2,000 images at once: about 440 MB
    assert peak < 200, f"fit's validation pass held {peak:.0f} MB at once"


def test_sprint4_check_keeps_a_copy_not_a_view_of_the_training_set():
    (test_cell,) = [c for c in cells("sprint4_rnn") if c.grade_id == "p4_test"]
    line = next(line for line in test_cell.source.splitlines() if line.startswith("X_check, y_check ="))
    X_check, y_check = np.zeros((60000, 1, 28, 28), np.float32), np.zeros(60000, np.int64)
    namespace = {"np": np, "X_check": X_check, "y_check": y_check}
    exec(line, namespace)
    assert namespace["X_check"].shape == (600, 28, 28)
    assert namespace["X_check"].base is None and namespace["y_check"].base is None, \
        f"{line!r} keeps a view: the 60,000 images it comes from stay in memory"
