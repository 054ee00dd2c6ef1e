"""sprintlib.grading, what the notebooks' test cells call: right answers pass and print OK,
wrong ones fail with a message that says which part is wrong and why; the student's
warnings go to stdout, never stderr; nothing imports TensorFlow."""
import subprocess
import sys

import numpy as np
import pytest

from sprintlib import FC, AveragePool2D, Conv1d, Conv2d, Flatten, MaxPool2D, SimpleConv1d, SimpleRNN
from sprintlib.layers.activations import get_activation
from sprintlib.functional import naive, output_size
from sprintlib.grading import (autograding, check_array, check_function, check_gradients, check_layer,
                               show_source)

X = np.random.default_rng(0).standard_normal((2, 1, 5, 5))


class LoopConv2d:
    """A student's Conv2d written with the documents' loops; ``mistake`` breaks one part."""

    def __init__(self, mistake=None):
        self.W, self.B, self.mistake = np.zeros((2, 1, 3, 3)), np.zeros(2), mistake

    def forward(self, X):
        self.X = X
        A = naive.conv2d_naive_forward(X, self.W, self.B)
        return A.transpose(0, 2, 3, 1) if self.mistake == "NHWC" else A

    def backward(self, dA):
        dX, dW, dB = naive.conv2d_naive_backward(dA, self.X, self.W)
        self.dW = dW / len(dA) if self.mistake == "mean" else dW
        if self.mistake != "no dB":
            self.dB = dB
        return None if self.mistake == "no return" else dX


def test_a_right_layer_passes_and_says_so(capsys):
    check_layer(LoopConv2d(), Conv2d(1, 2, 3), X)
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith("forward A: OK (relative error")
    assert [line.split(":")[0] for line in out.out.splitlines()] == \
        ["forward A", "backward dX", "backward dW", "backward dB"]
    assert out.err == ""


@pytest.mark.parametrize("mistake, wrong, message", [
    ("NHWC", "forward A", r"forward A: expected shape \(2, 2, 3, 3\), got \(2, 3, 3, 2\): the same sizes in another order"),
    ("mean", "backward dW", "backward dW: wrong values .* every value is 0.5 times the expected one"),
    ("no dB", "backward dB", "backward dB: your layer has no attribute dB after backward"),
    ("no return", "backward dX", r"backward dX: got None \(does the function or method end with a return\?\)"),
])
def test_each_wrong_part_is_named_and_the_others_still_checked(capsys, mistake, wrong, message):
    with pytest.raises(AssertionError, match=f"wrong: {wrong} "):
        check_layer(LoopConv2d(mistake), Conv2d(1, 2, 3), X)
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if ": OK" in line]) == 3  # the three other parts
    assert any(__import__("re").match(message, line) for line in lines), lines


class SeedFC:
    """The seed's FC: ``db``, and an optimizer called unconditionally that updates W itself."""

    def __init__(self, n1, n2, optimizer):
        self.optimizer, self.W, self.B = optimizer, np.zeros((n1, n2)), np.zeros(n2)

    def forward(self, X):
        self.Z = X
        return X @ self.W + self.B

    def backward(self, dA):
        self.dW, self.db = self.Z.T @ dA, dA.sum(axis=0)
        dZ = dA @ self.W.T
        self.optimizer.update(self)
        return dZ


class SeedSGD:
    def update(self, layer):
        layer.W -= 0.1 * layer.dW
        return layer


def test_the_seeds_layer_shape_works_and_keeps_its_optimizer():
    layer, sgd = SeedFC(4, 3, None), SeedSGD()
    layer.optimizer = sgd
    reference = FC(4, 3)
    check_layer(layer, reference, np.arange(8).reshape(2, 4))  # integer X, as a student may pass
    assert layer.optimizer is sgd
    np.testing.assert_array_equal(layer.W, reference.W)  # no update during the check
    check_gradients(layer, (3, 4))  # dX, dW and db against numerical gradients


def test_check_gradients_finds_a_wrong_backward(capsys):
    pool = MaxPool2D(2)
    pool.backward = lambda dA: np.zeros((1, 1, 4, 4))  # forgets the gradient
    with pytest.raises(AssertionError, match="wrong: backward dX"):
        check_gradients(pool, (1, 1, 4, 4))
    assert "backward dX: wrong values" in capsys.readouterr().out


def test_parameters_of_the_wrong_shape_are_reported_before_running():
    class Transposed(LoopConv2d):
        def __init__(self):
            super().__init__()
            self.W = np.zeros((1, 2, 3, 3))

    with pytest.raises(AssertionError, match=r"your layer's W: expected shape \(2, 1, 3, 3\), got \(1, 2, 3, 3\)"):
        check_layer(Transposed(), Conv2d(1, 2, 3), X)
    with pytest.raises(AssertionError, match="your layer has no attribute W_x: __init__ should set self.W_x"):
        check_layer(SeedFC(3, 4, SeedSGD()), SimpleRNN(3, 4), np.ones((2, 5, 3)))


def test_warnings_and_in_place_changes_are_notes_on_stdout(capsys):
    class Noisy(LoopConv2d):
        def forward(self, X):
            np.exp(np.full(2, 1000.0))  # overflow: a RuntimeWarning
            X *= 1  # writes into its input (with the same values)
            X[0, 0, 0, 0] += 1.0
            X[0, 0, 0, 0] -= 1.0
            A = super().forward(X.copy())
            X[...] = 0  # changes it for real
            return A

    check_layer(Noisy(), Conv2d(1, 2, 3), X)
    out = capsys.readouterr()
    assert "note: your forward warned: RuntimeWarning: overflow encountered in exp" in out.out
    assert "note: your forward changed its input X in place" in out.out
    assert out.err == ""


def test_arrays_hints():
    with pytest.raises(AssertionError, match="the values of the expected array with its last two axes swapped"):
        check_array("dW", np.arange(9.0).reshape(3, 3).T, np.arange(9.0).reshape(3, 3))
    with pytest.raises(AssertionError, match="every value has the wrong sign"):
        check_array("dX", -np.ones(20), np.ones(20))
    with pytest.raises(AssertionError, match=r"largest difference at index \(3,\): expected 1, got 5"):
        check_array("dX", np.r_[np.ones(3), 5, np.ones(16)], np.ones(20))
    with pytest.raises(AssertionError, match=r"expected \[1. 2.\]\n  got      \[1. 3.\]"):
        check_array("A", np.array([1.0, 3.0]), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match="got 1 NaN and 0 inf"):
        check_array("A", np.array([np.nan, 1.0]), np.ones(2))
    with pytest.raises(AssertionError, match="dtype int64; computed in integers, fractions are lost"):
        check_array("A", np.array([0, 1]), np.array([0.5, 1.5]))
    with pytest.raises(AssertionError, match="expected a numpy array, got list"):
        check_array("A", [[1.0, 2.0]], np.ones((1, 2)))
    # None: as a test cell's last line, a returned number would be nbgrader's partial credit
    assert check_array("A", np.ones(3) + 1e-12, np.ones(3)) is None


def test_functions_and_integer_results(capsys):
    assert check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) // s + 1, output_size, 4, 3) is None
    assert capsys.readouterr().out == "output_size: OK\n"
    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) / s + 1, output_size, 4, 3)
    assert "output_size: expected integers, got float64 2." in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"conv: expected a tuple of 2 results, got ndarray"):
        check_function(lambda *a: np.zeros(2), lambda *a: (np.zeros(2), 0), 1, name="conv")


def test_show_source_prints_outside_a_notebook(capsys):
    show_source(Conv2d.backward)
    out = capsys.readouterr().out
    assert out.startswith("    def backward(self, dA):") and "self._update()" in out


def test_autograding_reads_nbgrader_s_variable(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert autograding() is None
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert autograding() == "autograde"


def test_grading_never_imports_tensorflow():
    code = ("import sys, numpy as np, sprintlib, sprintlib.grading as g, sprintlib.testing;"
            "g.check_layer(sprintlib.FC(2, 3), sprintlib.FC(2, 3), np.ones((1, 2)));"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines()[-1] == "[]" and run.stderr == ""


LAYERS = [  # (factory, input shape): every layer the sprints teach, as a notebook would check it
    (lambda: FC(4, 3), (2, 4)),
    (lambda: SimpleConv1d(3), (7,)),
    (lambda: Conv1d(2, 3, 3, stride=2, pad=1), (2, 2, 7)),
    (lambda: Conv1d(2, 3, 3), (2, 6)),  # one sample, (C_in, L)
    (lambda: Conv2d(2, 3, (3, 2), stride=(1, 2), pad=1), (2, 2, 5, 6)),
    (lambda: MaxPool2D(2), (2, 3, 4, 6)),
    (lambda: AveragePool2D(3, stride=1), (1, 2, 5, 4)),
    (lambda: Flatten(), (2, 3, 2, 2)),
    (lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3)),
] + [(lambda name=name: get_activation(name), (3, 4)) for name in ("relu", "sigmoid", "tanh")]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_every_sprintlib_layer_can_be_the_reference(make, shape, capsys):
    # a second instance, with other random weights, stands in for the student's layer
    check_layer(make(), make(), np.random.default_rng(0).standard_normal(shape))
    assert "wrong" not in capsys.readouterr().out
