"""Hidden tests' inputs: hidden_rng draws the same cases for one course seed and test name,
others for another; random_case gives configurations that sprintlib's layers accept. And
grading as nbgrader sees it: nothing on stderr, None from every check."""
import subprocess
import sys

import numpy as np
import pytest

from sprintlib import FC, AveragePool2D, Conv1d, Conv2d, MaxPool2D, SimpleConv1d, SimpleRNN
from sprintlib.grading import (HIDDEN_DIR_VARIABLE, HIDDEN_KEY_VARIABLE, RECORD_VARIABLE, SEED_VARIABLE, check_layer,
                               hidden_images, hidden_rng, random_case)

LAYERS = {"fc": [FC], "simple_conv1d": [SimpleConv1d], "conv1d": [Conv1d], "conv2d": [Conv2d],
          "pool2d": [MaxPool2D, AveragePool2D], "rnn": [SimpleRNN]}


def test_hidden_rng_is_fixed_by_the_course_seed_and_the_test_name(monkeypatch):
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    first = hidden_rng("conv2d").standard_normal(3)
    np.testing.assert_array_equal(first, hidden_rng("conv2d").standard_normal(3))
    assert not np.array_equal(first, hidden_rng("pool").standard_normal(3))
    monkeypatch.setenv(SEED_VARIABLE, "course 2025")
    other_course = hidden_rng("conv2d").standard_normal(3)
    assert not np.array_equal(first, other_course)
    np.testing.assert_array_equal(other_course, hidden_rng("conv2d").standard_normal(3))


def test_hidden_rng_is_the_same_in_another_process(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "7")
    code = "from sprintlib.grading import hidden_rng; print(hidden_rng('rnn').integers(10**9))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(run.stdout) == hidden_rng("rnn").integers(10**9)


def test_hidden_images_are_other_images_that_no_lookup_finds():
    """What a hidden accuracy test predicts on (sprints 1-3): drawn by the course seed and
    the test's name, each pixel moved by at most 0.02 and kept in [0, 1]; no image equal to
    a shipped one, not even with its pixels rounded to 1/255, so a predict that looks the
    labels up finds none (tests/test_grading_battery.py: label_lookup scores 0 there)."""
    from sprintlib.data import load_mnist

    _, (X, y) = load_mnist()
    X_h, y_h = hidden_images("p8_test", X[5000:], y[5000:])
    again, _ = hidden_images("p8_test", X[5000:], y[5000:])
    other, _ = hidden_images("p7_test", X[5000:], y[5000:])
    assert X_h.shape == (500, 784) and y_h.shape == (500,) and X_h.dtype == X.dtype
    np.testing.assert_array_equal(X_h, again)
    assert not np.array_equal(X_h, other)
    assert 0 <= X_h.min() and X_h.max() <= 1
    # each image is a shipped one moved by at most 0.02 a pixel, and its label is that one's
    nearest = [int(np.abs(X[5000:] - x).max(axis=1).argmin()) for x in X_h[:20]]
    assert all(np.abs(X[5000 + k] - x).max() <= 0.02 + 1e-12 for k, x in zip(nearest, X_h))
    np.testing.assert_array_equal(y[5000:][nearest], y_h[:20])
    rounded = {(x * 255).round().astype(np.uint8).tobytes() for x in X}
    assert not any((x * 255).round().astype(np.uint8).tobytes() in rounded for x in X_h)
    assert not set(map(bytes, X_h)) & set(map(bytes, X))
    with pytest.raises(ValueError, match=r"hidden_images expects X and y with the same number of rows"):
        hidden_images("p8_test", X[:10], y[:9])


def test_graded_hidden_images_come_from_the_trusted_run_without_labels(monkeypatch, tmp_path):
    """While make grade grades, the trusted run draws the hidden images by a secret of its own
    (not the course seed, which every kernel has) and leaves them in a file; a student's kernel
    reads them there and gets -1 for every label: it cannot find the images' labels again, nor
    hand them back as its predictions. Without the file, or with other images, a clear error."""
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 4, 4)), rng.integers(0, 10, 60)
    monkeypatch.setenv(HIDDEN_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setenv(RECORD_VARIABLE, "expected")
    monkeypatch.setenv(HIDDEN_KEY_VARIABLE, "secret 1")
    X_h, y_h = hidden_images("p8_test", X, y, n=20)
    monkeypatch.setenv(HIDDEN_KEY_VARIABLE, "secret 2")
    other_key, _ = hidden_images("p7_test", X, y, n=20)  # (p7: keeps p8's file)
    monkeypatch.delenv(RECORD_VARIABLE)
    by_seed, _ = hidden_images("p8_test", X, y, n=20)
    assert not np.array_equal(X_h, by_seed) and not np.array_equal(X_h, other_key)
    monkeypatch.delenv(HIDDEN_KEY_VARIABLE)
    monkeypatch.setenv(RECORD_VARIABLE, "got")
    X_got, y_got = hidden_images("p8_test", X, y, n=20)
    np.testing.assert_array_equal(X_got, X_h)
    np.testing.assert_array_equal(y_got, np.full(20, -1))
    assert set(y_h) <= set(y) and not np.array_equal(y_h, y_got)
    with pytest.raises(RuntimeError, match=r"the grader's images for 'p8_test' are of shape \(20, 4, 4\), "
                                           r"the test asks for \(10, 4, 4\)"):
        hidden_images("p8_test", X, y, n=10)
    with pytest.raises(RuntimeError, match=r"the grader's images for 'p6_test' are missing"):
        hidden_images("p6_test", X, y, n=20)
    monkeypatch.setenv(RECORD_VARIABLE, "expected")
    with pytest.raises(RuntimeError, match=HIDDEN_KEY_VARIABLE):
        hidden_images("p8_test", X, y, n=20)


@pytest.mark.parametrize("kind", LAYERS)
def test_random_cases_are_valid_configurations(kind, capsys):
    rng = hidden_rng(f"test {kind}")
    for _ in range(25):
        case = random_case(kind, rng)
        X = rng.standard_normal(case.pop("input_shape"))
        for layer in LAYERS[kind]:
            check_layer(layer(**case), layer(**case), X, own_code=False)
    assert "wrong" not in capsys.readouterr().out


def test_random_case_names_its_layers():
    with pytest.raises(ValueError, match="random_case expects one of fc, .* got 'lstm'"):
        random_case("lstm", hidden_rng("x"))


NBGRADER_LIKE = '''
import sys, warnings
import numpy as np
sys.path.insert(0, "tests")
from sprintlib import Conv2d, SimpleRNN
from sprintlib.functional import output_size
from sprintlib.grading import check_array, check_function, check_gradients, check_layer
from students import StudentConv2d, StudentRNN
X = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
results = []
def attempt(check, *args, **kwargs):
    try:
        results.append(check(*args, **kwargs))
    except AssertionError:
        results.append("failed")
conv = dict(in_channels=2, out_channels=3, filter_size=3, pad=1)
attempt(check_layer, StudentConv2d(**conv), Conv2d(**conv), X)
for mistake in ("flipped", "uncropped", "mean dB", "no return"):
    attempt(check_layer, StudentConv2d(**conv, mistake=mistake), Conv2d(**conv), X)
attempt(check_layer, Conv2d(**conv), Conv2d(**conv), X)
attempt(check_layer, StudentRNN(3, 4, mistake="final state"), SimpleRNN(3, 4, return_sequences=True),
        np.ones((2, 5, 3)))
attempt(check_layer, StudentRNN(3, 4), SimpleRNN(3, 4, return_sequences=True), 1e3 * np.ones((2, 5, 3)))
attempt(check_function, lambda n, f, s=1, pad=0: (n + 2 * pad - f) // s, output_size, 28, 5, pad=2)
attempt(check_function, lambda n, f, s=1, p=0: output_size(n, f, s, p), output_size, 28, 5)
attempt(check_array, "A", np.float16(1.0) * np.ones(3), np.ones(3) / 3)
attempt(check_gradients, StudentConv2d(**conv), (1, 2, 4, 4))
print(results)
'''


def test_grading_writes_nothing_to_stderr_and_returns_none():
    """What a notebook's test cells do, passing and failing, hints and copies included."""
    run = subprocess.run([sys.executable, "-W", "default", "-c", NBGRADER_LIKE], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[-1] == str([None] + ["failed"] * 6 + [None, "failed", "failed", "failed", None])
