"""sprintlib.grading, what the notebooks' test cells call: right answers pass and print OK,
wrong ones fail with a message that says which part is wrong and why; the student's
warnings go to stdout, never stderr; nothing imports TensorFlow."""
import re
import subprocess
import sys

import numpy as np
import pytest

from sprintlib import FC, AveragePool2D, Conv1d, Conv2d, Flatten, MaxPool2D, SimpleConv1d, SimpleRNN
from sprintlib.layers.activations import get_activation
from sprintlib.functional import output_size
from sprintlib.grading import (autograding, check_array, check_function, check_gradients, check_layer,
                               show_source)
from students import StudentConv2d

X = np.random.default_rng(0).standard_normal((2, 1, 5, 5))


class LoopConv2d(StudentConv2d):
    """A student's Conv2d (1 -> 2 channels, 3x3) written with loops; ``mistake`` breaks one part."""

    def __init__(self, mistake=None):
        super().__init__(1, 2, 3, mistake=mistake)


def test_a_right_layer_passes_and_says_so(capsys):
    check_layer(LoopConv2d(), Conv2d(1, 2, 3), X)
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith("forward A: OK (relative error")
    assert [line.split(":")[0] for line in out.out.splitlines()] == \
        ["forward A", "backward dX", "backward dW", "backward dB"]
    assert out.err == ""


@pytest.mark.parametrize("mistake, wrong, message", [
    ("NHWC", "forward A", r"forward A: expected shape \(2, 2, 3, 3\), got \(2, 3, 3, 2\): the expected values with "
                          r"their axes in the order \(0, 2, 3, 1\)"),
    ("mean dW", "backward dW", "backward dW: wrong values .* every value is 0.5 times the expected one"),
    ("no dB", "backward dB", "backward dB: your layer has no attribute dB after backward"),
    # the reference's B (He: zeros) is replaced by one drawn from X, as a graded run draws it
    ("no bias", "forward A", "forward A: wrong values"),
    ("no return", "backward dX", r"backward dX: got None \(does the function or method end with a return\?\)"),
])
def test_each_wrong_part_is_named_and_the_others_still_checked(capsys, mistake, wrong, message):
    with pytest.raises(AssertionError, match=f"wrong: {wrong} "):
        check_layer(LoopConv2d(mistake), Conv2d(1, 2, 3), X)
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if ": OK" in line]) == 3  # the three other parts
    assert any(__import__("re").match(message, line) for line in lines), lines


class SeedFC:
    """A student's FC from the sprints: ``db``, and an optimizer called unconditionally that updates W itself."""

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
    with pytest.raises(AssertionError, match="expected a numpy array, got a list of 1"):
        check_array("A", [[1.0, 2.0]], np.ones((1, 2)))
    # None: as a test cell's last line, a returned number would be nbgrader's partial credit
    assert check_array("A", np.ones(3) + 1e-12, np.ones(3)) is None


def test_functions_and_integer_results(capsys):
    assert check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) // s + 1, output_size, 4, 3) is None
    assert capsys.readouterr().out == "output_size: OK\n"
    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) / s + 1, output_size, 4, 3)
    assert "output_size: expected integers, got float64 2." in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"conv: expected a tuple of 2 results, got an array of shape \(2,\)"):
        check_function(lambda *a: np.zeros(2), lambda *a: (np.zeros(2), 0), 1, name="conv")


def test_show_source_prints_outside_a_notebook(capsys):
    show_source(Conv2d.backward)
    out = capsys.readouterr().out
    assert out.startswith("    def backward(self, dA):") and "self.apply_gradients()" in out


def test_autograding_reads_nbgrader_s_variable(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert autograding() is None
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert autograding() == "autograde"


def test_grading_never_imports_tensorflow():
    code = ("import sys, numpy as np, sprintlib, sprintlib.grading as g, sprintlib.testing;"
            "g.check_layer(sprintlib.FC(2, 3), sprintlib.FC(2, 3), np.ones((1, 2)), own_code=False);"
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
    check_layer(make(), make(), np.random.default_rng(0).standard_normal(shape), own_code=False)
    assert "wrong" not in capsys.readouterr().out


# -- arguments, parameters by any name, element-wise values ---------------------------------
def test_keyword_arguments_reach_both_functions(capsys):
    size = lambda n, f, s=1, pad=0: (n + 2 * pad - f) // s + 1  # noqa: E731
    assert check_function(size, output_size, 28, 5, pad=2) is None
    assert capsys.readouterr().out == "output_size: OK\n"
    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(lambda n, f, s=1, pad=0: n - f + 1, output_size, 28, 5, pad=2)


class LowerCaseFC:
    """An FC whose parameters are called w and b (dw, db), with no param_names; ``wrong``
    doubles dw. It also keeps the last state in self.h (and its gradient in self.dh), which
    forward replaces: a state, not a parameter."""

    def __init__(self, wrong=False):
        rng = np.random.default_rng(3)
        self.w, self.b, self.wrong = rng.standard_normal((4, 3)), rng.standard_normal(3), wrong
        self.h = np.zeros((2, 3))

    def forward(self, X):
        self.X = X
        self.h = X @ self.w + self.b
        return self.h

    def backward(self, dA):
        self.dw = self.X.T @ dA * (2 if self.wrong else 1)
        self.db = dA.sum(axis=0)
        self.dh = dA
        return dA @ self.w.T


def test_check_gradients_finds_parameters_whatever_their_names(capsys):
    check_gradients(LowerCaseFC(), (2, 4))
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()] == ["backward dX", "backward dw", "backward db"]
    with pytest.raises(AssertionError, match="wrong: backward dw "):
        check_gradients(LowerCaseFC(wrong=True), (2, 4))
    assert "backward dw: wrong values" in capsys.readouterr().out


def test_a_wrong_small_entry_next_to_a_large_one_fails():
    # a norm over the whole array would call these 1e-6 (float64) and 1e-3 (float32) wrong
    for dtype, large in ((np.float64, 1e6), (np.float32, 1e3)):  # float32 keeps 7 digits
        with pytest.raises(AssertionError, match=r"wrong values"):
            check_array("A", np.array([large, 0, 0, 0], dtype), np.array([large, 1, 1, 1], dtype))
    with pytest.raises(AssertionError, match=r"largest difference at index \(7,\): expected 1, got 0"):
        check_array("A", np.r_[1e6, np.ones(6), 0, np.ones(12)], np.r_[1e6, np.ones(19)])


def test_right_answers_computed_in_another_order_pass_and_wrong_ones_fail():
    rng = np.random.default_rng(0)
    terms = rng.standard_normal((50, 400)) * 10.0 ** rng.integers(-3, 4, (50, 1))  # entries of mixed sizes
    terms[::5, -1] = -terms[::5, :-1].sum(axis=1)  # some sums cancel to ~0
    exact = np.array([sum(sorted(row, key=abs)) for row in terms.astype(np.longdouble)])
    for dtype in (np.float64, np.float32):
        t = terms.astype(dtype)
        forwards, backwards = t.sum(axis=1), t[:, ::-1].cumsum(axis=1)[:, -1]  # pairwise vs one by one
        check_array("A", backwards, forwards)
        check_array("A", forwards, backwards)
        check_array("A", exact.astype(dtype), forwards)
        wrong = forwards.copy()
        wrong[np.argmin(np.abs(forwards))] += 1e-3 * np.max(np.abs(forwards))  # off by 0.1% of the largest
        with pytest.raises(AssertionError, match="wrong values"):
            check_array("A", wrong, forwards)
        with pytest.raises(AssertionError, match="wrong values"):
            check_array("A", forwards, wrong)


class ComputedIn:
    """A right answer computed another way: sprintlib's layer run in a more precise dtype,
    its results rounded to the reference's dtype (so they differ from the reference's by
    the reference's own rounding)."""

    def __init__(self, layer, dtype):
        self.__dict__.update(_layer=layer, _dtype=dtype)

    def forward(self, X):
        return self._layer.forward(np.asarray(X, self._layer.dtype)).astype(self._dtype)

    def backward(self, dA):
        return self._layer.backward(np.asarray(dA, self._layer.dtype)).astype(self._dtype)

    def __getattr__(self, name):
        value = getattr(self._layer, name)
        return value.astype(self._dtype) if isinstance(value, np.ndarray) else value

    def __setattr__(self, name, value):
        if name in self._layer.param_names:
            value = np.asarray(value, self._layer.dtype)
        setattr(self._layer, name, value) if name in self._layer.param_names else super().__setattr__(name, value)


DTYPED_LAYERS = [  # (factory of a dtype, input shape): every layer the sprints teach
    (lambda d: FC(4, 3, dtype=d), (2, 4)),
    (lambda d: SimpleConv1d(3, dtype=d), (7,)),
    (lambda d: Conv1d(2, 3, 3, stride=2, pad=1, dtype=d), (2, 2, 7)),
    (lambda d: Conv2d(2, 3, (3, 2), stride=(1, 2), pad=1, dtype=d), (2, 2, 5, 6)),
    (lambda d: Conv2d(6, 8, 5, pad=2, dtype=d), (4, 6, 8, 8)),
    (lambda d: MaxPool2D(2, dtype=d), (2, 3, 4, 6)),
    (lambda d: AveragePool2D(3, stride=1, dtype=d), (1, 2, 5, 4)),
    (lambda d: Flatten(dtype=d), (2, 3, 2, 2)),
    (lambda d: SimpleRNN(3, 4, return_sequences=True, dtype=d), (2, 5, 3)),
    (lambda d: SimpleRNN(20, 30, dtype=d), (10, 40, 20)),
] + [(lambda d, name=name: get_activation(name, dtype=d), (3, 4)) for name in ("relu", "sigmoid", "tanh")]


@pytest.mark.parametrize("make, shape", DTYPED_LAYERS)
@pytest.mark.parametrize("dtype, precise", [(np.float32, np.float64), (np.float64, np.longdouble)])
def test_a_right_answer_in_the_reference_s_dtype_never_fails(make, shape, dtype, precise, capsys):
    X = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    check_layer(ComputedIn(make(precise), dtype), make(dtype), X, own_code=False)
    assert "wrong" not in capsys.readouterr().out


def test_a_less_precise_dtype_is_named():
    expected = np.random.default_rng(0).standard_normal((4, 5))
    with pytest.raises(AssertionError, match="your result has dtype float16, expected float64: float16 keeps "
                                             "about 3 significant digits"):
        check_array("A", expected.astype(np.float16), expected)
    with pytest.raises(AssertionError, match="your result has dtype float32, expected float64"):
        check_array("A", (expected * 1e3).astype(np.float32) - np.float32(1e3 * expected), expected)
    check_array("A", expected.astype(np.float16), expected.astype(np.float16))  # float16 asked, float16 given
    check_array("A", expected, expected.astype(np.float32))  # more precise than asked: fine


# -- the student's code writes to stderr, or writes into its input --------------------------
def test_stderr_of_a_right_layer_is_a_note_on_stdout(capsys):
    import logging
    import warnings

    logger = logging.getLogger("a_students_logger")
    handler = logging.StreamHandler(sys.stderr)  # what logging.basicConfig sets up
    logger.addHandler(handler)
    logger.propagate = False

    class Chatty(LoopConv2d):
        def forward(self, X):
            print("forward called", file=sys.stderr)
            warnings.warn("my own warning")
            logger.warning("logged in forward")
            return super().forward(X)

    try:
        check_layer(Chatty(), Conv2d(1, 2, 3), X)
    finally:
        logger.removeHandler(handler)
    out = capsys.readouterr()
    assert out.err == ""
    assert "note: your forward warned: UserWarning: my own warning" in out.out
    assert "note: your forward wrote to stderr" in out.out
    assert "  forward called\n  logged in forward" in out.out
    assert handler.stream is sys.stderr  # put back


def test_a_forward_that_writes_into_its_input_is_named_not_backward(capsys):
    class Squares:  # A = X**2 computed in place, and backward reads the changed X
        def forward(self, X):
            self.X = X
            X **= 2
            return X.copy()

        def backward(self, dA):
            return 2 * self.X * dA

    with pytest.raises(AssertionError, match="your forward changed its input X in place, and backward may "
                                             "have used the changed X: fix forward first"):
        check_gradients(Squares(), (2, 3))
    assert "note: your forward changed its input X in place" in capsys.readouterr().out


# -- whatever the student's code returns, a clear verdict and never a pass -------------------
class AlwaysEqual(np.ndarray):
    """An array subclass that claims to equal anything, and whose maths says it is exact."""

    def __eq__(self, other):
        return True

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __sub__(self, other):
        return np.zeros(self.shape)

    __rsub__ = __sub__


class Liar:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.ones((2, 2, 3, 3))  # whatever is asked: refused, not called


class OddArray:
    def __array__(self, dtype=None, copy=None):
        return "a string"


ODD = {
    "list": lambda A: A.tolist(),
    "tuple": lambda A: tuple(A),
    "scalar": lambda A: float(A.sum()),
    "None": lambda A: None,
    "object": lambda A: object(),
    "array of objects": lambda A: np.array(list(A), dtype=object),
    "array subclass equal to anything": lambda A: np.zeros_like(A).view(AlwaysEqual),
    "object equal to anything": lambda A: Liar(),
    "odd __array__": lambda A: OddArray(),
    "complex": lambda A: A + 0j,
    "strings": lambda A: A.astype(str),
}


@pytest.mark.parametrize("kind", ODD)
def test_odd_return_values_get_a_verdict_never_a_pass(kind, capsys):
    odd = ODD[kind]

    class Odd(LoopConv2d):
        def forward(self, X):
            return odd(super().forward(X))

        def backward(self, dA):
            dX = super().backward(dA)
            self.dW = odd(self.dW)
            return odd(dX)

    with pytest.raises(AssertionError, match="wrong: forward A, backward dX, backward dW "):
        check_layer(Odd(), Conv2d(1, 2, 3), X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("forward A: ") and "OK" not in lines[0]
    with pytest.raises(AssertionError, match="^A: "):
        check_array("A", odd(np.ones((2, 3))), np.ones((2, 3)))
    with pytest.raises(AssertionError, match="^forward A: |^wrong: backward dX "):  # a number, or zeros
        check_gradients(type("OddLayer", (), {"forward": lambda self, X: odd(X), "backward": lambda self, d: d})(),
                        (2, 3))


@pytest.mark.parametrize("kind", ODD)
def test_odd_parameters_get_a_verdict(kind, capsys):
    class OddWeights(LoopConv2d):
        def __init__(self):
            super().__init__()
            self.W = ODD[kind](self.W)

    if _shape_of_kind(kind) == (2, 1, 3, 3):  # of the right shape: replaced by the reference's W
        check_layer(OddWeights(), Conv2d(1, 2, 3), X)
        assert "wrong" not in capsys.readouterr().out
    else:
        with pytest.raises(AssertionError, match="^your layer's W: expected shape \\(2, 1, 3, 3\\), got "):
            check_layer(OddWeights(), Conv2d(1, 2, 3), X)


def _shape_of_kind(kind):
    value = ODD[kind](np.zeros((2, 1, 3, 3)))
    return value.shape if isinstance(value, np.ndarray) else np.shape(value) if type(value) in (list, tuple) else None


def test_a_property_that_raises_is_reported():
    class Raising(LoopConv2d):
        @property
        def dB(self):
            raise KeyError("no")

        @dB.setter
        def dB(self, value):
            pass

    with pytest.raises(AssertionError, match="wrong: backward dB "):
        check_layer(Raising(), Conv2d(1, 2, 3), X)


# -- results of training: accuracy and bounds, judged by the grader in a graded run ------------
class ClaimsAll(np.ndarray):
    """Labels that claim to equal anything and to be below anything (a hostile answer)."""

    def __eq__(self, other):
        return np.ones(np.shape(self), bool)

    def __lt__(self, other):
        return np.ones(np.shape(self), bool)


Y_TRUE = np.arange(10) % 3
RIGHT_7 = np.where(np.arange(10) < 7, Y_TRUE, (Y_TRUE + 1) % 3)  # 7 of 10 right


@pytest.mark.parametrize("y_pred, at_least, passes, words", [
    (RIGHT_7, 0.7, True, "accuracy 70.0% (7 of 10 right; at least 70% needed)"),
    (RIGHT_7, 0.8, False, "accuracy 70.0% (7 of 10 right; at least 80% needed) - too low"),
    (RIGHT_7[:9], 0.5, False, "expected labels of shape (10,), got (9,)"),
    (None, 0.5, False, "got None"),
    ((Y_TRUE + 1) % 3, 0.0, True, "accuracy 0.0%"),
])
def test_check_accuracy(y_pred, at_least, passes, words, capsys, monkeypatch):
    from graded import graded_part, judged
    from sprintlib.grading import check_accuracy

    def check():
        check_accuracy("labels", y_pred, Y_TRUE, at_least)

    if passes:
        check()
        assert words in capsys.readouterr().out
    else:
        with pytest.raises(AssertionError, match=re.escape(words)):
            check()
    expected = graded_part(monkeypatch, "expected", lambda: check_accuracy("labels", Y_TRUE, Y_TRUE, at_least))
    ok, lines = judged(expected, graded_part(monkeypatch, "got", check), hidden=False)
    assert ok is passes and words in "\n".join(lines), lines


@pytest.mark.parametrize("values, below, decreasing, passes, words", [
    ([2.0, 1.5], np.log(10), True, True, r"OK \[2.  1.5\]"),
    ([2.0, 2.1], np.log(10), True, False, "each value below the one before"),
    ([2.5, 2.0], np.log(10), True, False, "every value below 2.303"),
    (2.0, 2.1, False, True, "OK"),
    ([2.0, np.nan], None, False, False, "expected finite numbers"),
    ("2.0", None, False, False, "expected a numpy array"),
])
def test_check_bounds(values, below, decreasing, passes, words, capsys, monkeypatch):
    from graded import graded_part, judged
    from sprintlib.grading import check_bounds

    def check():
        check_bounds("loss", values, below=below, decreasing=decreasing)

    if passes:
        check()
        assert re.search(words, capsys.readouterr().out)
    else:
        with pytest.raises(AssertionError, match=words):
            check()
    expected = graded_part(monkeypatch, "expected", lambda: check_bounds("loss", [1.0], below=below, decreasing=decreasing))
    ok, lines = judged(expected, graded_part(monkeypatch, "got", check), hidden=False)
    assert ok is passes, lines
    assert passes or re.search(words.replace("a numpy array", "a numpy array of numbers"), "\n".join(lines)), lines


def test_check_bounds_and_check_layer_take_flags_that_are_bools():
    from sprintlib import ReLU
    from sprintlib.grading import check_bounds
    with pytest.raises(ValueError, match="^check_bounds expects decreasing to be True or False, got 'no'$"):
        check_bounds("loss", [2.0, 2.1], decreasing="no")  # bool('no'): the rise would have failed the check
    with pytest.raises(ValueError, match="^check_layer expects backward to be True or False, got 'no'$"):
        check_layer(ReLU(), ReLU(), np.ones((2, 3)), backward="no")


def test_a_graded_accuracy_cannot_be_claimed(monkeypatch):
    """Labels whose == and < say yes to everything, and a patched np.mean: the grader reads
    the raw labels and counts itself."""
    from graded import graded_part, judged
    from sprintlib.grading import check_accuracy, check_bounds

    wrong = ((Y_TRUE + 1) % 3).view(ClaimsAll)
    expected = graded_part(monkeypatch, "expected", lambda: (check_accuracy("labels", Y_TRUE, Y_TRUE, 0.5),
                                                            check_bounds("loss", [2.0, 1.0], below=2.3, decreasing=True)))
    monkeypatch.setattr(np, "mean", lambda *a, **k: 1.0)
    got = graded_part(monkeypatch, "got", lambda: (check_accuracy("labels", wrong, Y_TRUE, 0.5),
                                                   check_bounds("loss", np.array([3.0, 4.0]).view(ClaimsAll),
                                                                below=2.3, decreasing=True)))
    monkeypatch.undo()
    ok, lines = judged(expected, got, hidden=False)
    assert not ok and "accuracy 0.0%" in lines[0] and "below 2.3" in lines[1], lines


def test_a_visible_checks_weights_do_not_depend_on_the_grading_seed(monkeypatch):
    """The notebook (no grading seed) and a graded run (the term's secret seed) give a visible
    check the same weights, so the feedback shows the numbers the notebook showed."""
    from sprintlib import Conv2d
    from sprintlib.grading.checks import _grading_weights

    X = np.random.default_rng(2).standard_normal((2, 3, 5, 5))
    drawn = []
    for seed in (None, "a term's secret", "another"):
        if seed is None:
            monkeypatch.delenv("SPRINTLIB_GRADING_SEED", raising=False)
        else:
            monkeypatch.setenv("SPRINTLIB_GRADING_SEED", seed)
        layer = Conv2d(3, 4, 3)
        _grading_weights(layer, X, layer.param_names)
        drawn.append((layer.W.copy(), layer.B.copy()))
    for W, B in drawn[1:]:
        np.testing.assert_array_equal(W, drawn[0][0])
        np.testing.assert_array_equal(B, drawn[0][1])
    assert not np.allclose(drawn[0][0], 0) and not np.allclose(drawn[0][1], 0)


@pytest.mark.parametrize("answer, described", [
    (lambda h, w, f, s=1, p=0: [(h + 2 * p - f) // s + 1, (w + 2 * p - f) // s + 1], "a list"),
    (lambda h, w, f, s=1, p=0: np.array([(h + 2 * p - f) // s + 1, (w + 2 * p - f) // s + 1]), "an array"),
])
def test_a_list_where_a_tuple_is_expected_reads_the_same_in_the_notebook_and_the_feedback(answer, described,
                                                                                           capsys, monkeypatch):
    """The graded kernel does not run the reference, so it cannot know a tuple is expected: it
    says what came, and the judge words it as the notebook does; the checks after it are judged
    against their own records (none shifted out of place)."""
    from graded import graded_part, judged
    from sprintlib.grading import check_array, check_function

    def size_2d(h, w, f, s=1, p=0):
        return (h + 2 * p - f) // s + 1, (w + 2 * p - f) // s + 1

    def test(fn):
        check_function(fn, size_2d, 7, 5, 3, name="output_size_2d")
        check_array("after it", np.ones(2), np.ones(2))

    def right(h, w, f, s=1, p=0):  # the model answer of the trusted run
        return (h + 2 * p - f) // s + 1, (w + 2 * p - f) // s + 1

    with pytest.raises(AssertionError) as notebook:
        test(answer)
    assert str(notebook.value).startswith("output_size_2d: expected a tuple of 2 results, got " + described)
    ok, lines = judged(graded_part(monkeypatch, "expected", lambda: test(right)),
                       graded_part(monkeypatch, "got", lambda: test(answer)), hidden=False)
    text = "\n".join(lines)
    assert not ok and str(notebook.value) in text, lines
    assert "after it: OK" in text and "not checked" not in text, lines
