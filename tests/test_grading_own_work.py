"""check_layer and check_function fail a student's answer that is sprintlib's answer to the same
problem, in every form it can take (the class, a subclass, a wrapper, a method captured
before the test, a module imported again, sprintlib.functional), with a message that says
so; sprintlib's other parts (FC, ReLU, Flatten, output sizes, the Layer base class) stay
allowed."""
import importlib
import importlib.util
import sys

import numpy as np
import pytest

import sprintlib
from sprintlib import functional
from sprintlib import FC, Conv2d, Flatten, Layer, MaxPool2D, ReLU, Sigmoid, SimpleRNN, Tanh
from sprintlib.functional import im2col, output_size
from sprintlib.layers.activations import get_activation
from sprintlib.layers.pool2d import _Pool2D
from sprintlib.grading import check_function, check_layer
from students import StudentConv2d, StudentMaxPool2D, StudentRNN, StudentSigmoid

X = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
_CAPTURED = Conv2d(1, 2, 3)  # a layer made, and its methods taken, before the test
_FORWARD, _BACKWARD = _CAPTURED.forward, _CAPTURED.backward


def _conv2d_loaded_again():
    """sprintlib's conv2d.py loaded as a second module, as importlib can."""
    spec = importlib.util.spec_from_file_location("sprintlib.layers.conv2d_again", sprintlib.layers.conv2d.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Conv2d


class Wrapper(StudentConv2d):
    """Hands the work to sprintlib's layer ``inner`` (given W and B first)."""

    def __init__(self, inner):
        super().__init__(1, 2, 3)
        self.inner = inner

    def forward(self, X):
        self.inner.W, self.inner.B = self.W, self.B
        return self.inner.forward(X)

    def backward(self, dA):
        dX = self.inner.backward(dA)
        self.dW, self.dB = self.inner.dW, self.inner.dB
        return dX


class Delegates(StudentConv2d):
    """Holds nothing of sprintlib's, but calls it: ``run(self, X)`` computes forward."""

    def __init__(self, run):
        super().__init__(1, 2, 3)
        self.__class__ = type("Delegates", (Delegates,), {"run": staticmethod(run)})

    def forward(self, X):
        return self.run(self, X)


def _captured(self, X):  # the methods of another instance, taken before the test
    _CAPTURED.W, _CAPTURED.B = self.W, self.B
    return _FORWARD(X)


def _imported(self, X):
    layer = importlib.import_module("sprintlib.layers.conv2d").Conv2d(1, 2, 3)
    layer.W, layer.B = self.W, self.B
    return layer.forward(X)


def _loaded_again(self, X):
    layer = _conv2d_loaded_again()(1, 2, 3)
    layer.W, layer.B = self.W, self.B
    return layer.forward(X)


def _unbound(self, X):  # sprintlib's method on the student's own object
    self.in_channels, self.stride, self.pad, self.allow_remainder = 1, (1, 1), (0, 0), False
    self.filter_size, self.out_channels, self._out_shape, self.dtype = (3, 3), 2, None, np.dtype(float)
    return Conv2d.forward(self, X)


def _functional(self, X):
    return functional.conv2d_forward(X, self.W, self.B)[0]


def _functional_module(self, X):
    return sys.modules["sprintlib.functional.conv"].conv2d_forward(X, self.W, self.B)[0]


def _im2col_only(self, X):  # one helper of sprintlib's convolution is enough to fail
    cols = im2col(X, 3)
    return (cols @ self.W.reshape(2, -1).T + self.B).reshape(2, 3, 3, 2).transpose(0, 3, 1, 2)


def _naive(self, X):
    return functional.naive.conv2d_naive_forward(X, self.W, self.B)


COPIES = {  # the student's layer, and the words of the verdict
    "is sprintlib's": (lambda: Conv2d(1, 2, 3), r"\(it is sprintlib's Conv2d\)"),
    "subclasses it": (lambda: type("MyConv2d", (Conv2d,), {})(1, 2, 3), r"\(it subclasses sprintlib's Conv2d\)"),
    "wraps it": (lambda: Wrapper(Conv2d(1, 2, 3)), r"\(self.inner is a sprintlib Conv2d\)"),
    "keeps its method": (lambda: _keeps_method(), r"\(self.f is sprintlib's Conv2d.forward\)"),
    "a method captured before": (lambda: Delegates(_captured), r"your forward ran sprintlib's Conv2d.forward"),
    "importlib": (lambda: Delegates(_imported), r"your forward ran sprintlib's Conv2d.__init__"),
    "loaded again from its file": (lambda: Delegates(_loaded_again), r"your forward ran sprintlib's layers/conv2d.py"),
    "its method on the student's object": (lambda: Delegates(_unbound), r"ran sprintlib's Conv2d.forward"),
    "sprintlib.functional": (lambda: Delegates(_functional), r"ran sprintlib.functional's conv2d_forward"),
    "sprintlib.functional's module": (lambda: Delegates(_functional_module),
                                      r"ran sprintlib.functional's conv2d_forward"),
    "im2col": (lambda: Delegates(_im2col_only), r"ran sprintlib.functional's im2col"),
    "the loop version": (lambda: Delegates(_naive), r"ran sprintlib.functional's conv2d_naive_forward"),
}


def _keeps_method():
    student = StudentConv2d(1, 2, 3)
    student.f = Conv2d(1, 2, 3).forward
    return student


@pytest.mark.parametrize("form", COPIES)
def test_a_copy_of_sprintlib_s_conv2d_fails_and_says_why(form, capsys):
    make, words = COPIES[form]
    with pytest.raises(AssertionError, match=r"^own work: your Conv2d uses sprintlib's Conv2d .*" + words
                       + r".*: write your own$"):
        check_layer(make(), Conv2d(1, 2, 3), X)
    assert "own work: your Conv2d uses sprintlib's Conv2d" in capsys.readouterr().out
    assert sys.getprofile() is None  # the watch is gone


def test_copies_of_other_layers():
    class MyPool(_Pool2D):  # sprintlib's pooling base class: MaxPool2D's own code
        def forward(self, X):
            return StudentMaxPool2D(2).forward(X)

    with pytest.raises(AssertionError, match=r"it subclasses sprintlib's _Pool2D"):
        check_layer(MyPool(2), MaxPool2D(2), np.ones((1, 1, 4, 4)))

    class MySigmoid(StudentSigmoid):
        def forward(self, A):
            return get_activation("sigmoid").forward(A)

    with pytest.raises(AssertionError, match=r"your Sigmoid uses sprintlib's Sigmoid \(your forward ran "
                                             r"sprintlib's get_activation\)"):
        check_layer(MySigmoid(), Sigmoid(), np.ones((2, 3)))


class UsesOtherParts(StudentConv2d, Layer):
    """A right Conv2d of its own, built on sprintlib's Layer, that also runs sprintlib's FC,
    ReLU, Flatten (whose backward uses a sprintlib.functional helper) and output sizes."""

    def forward(self, X):
        flatten = Flatten()
        flatten.backward(flatten.forward(X))
        ReLU().forward(X)
        FC(25, 2).forward(X.reshape(len(X), -1))
        assert functional.output_size(5, 3) == functional.output_size_2d((5, 5), 3)[0]
        return super().forward(X)


def test_sprintlib_s_other_parts_stay_allowed(capsys):
    check_layer(UsesOtherParts(1, 2, 3), Conv2d(1, 2, 3), X)
    assert "wrong" not in capsys.readouterr().out


class RNNWithSprintlibParts(StudentRNN):
    """An RNN whose forward computes x_t W_x + B with sprintlib's FC and the state with its Tanh."""

    def forward(self, X):
        fc, tanh = FC(*self.W_x.shape), Tanh()
        fc.W, fc.B = self.W_x, self.B
        self.X, self.h = X, np.zeros((len(X), len(self.B)))
        self.hs = [self.h]
        for t in range(X.shape[1]):
            self.h = tanh.forward(fc.forward(X[:, t]) + self.h @ self.W_h)
            self.hs.append(self.h)
        return np.stack(self.hs[1:], axis=1)


def test_an_rnn_may_use_sprintlib_s_fc_and_tanh(capsys):
    check_layer(RNNWithSprintlibParts(3, 4), SimpleRNN(3, 4, return_sequences=True),
                np.random.default_rng(1).standard_normal((2, 5, 3)))
    assert "wrong" not in capsys.readouterr().out


class OwnLayerConv2d(Layer):
    """A student's Conv2d on sprintlib's Layer contract: its maths are its own."""

    param_names = ("W", "B")

    def __init__(self):
        super().__init__()
        self.inner = StudentConv2d(1, 2, 3)
        self._init_params(W=self.inner.W, B=self.inner.B)

    def _input_spec(self, shape):
        return ("N", 1, "H", "W")

    def output_shape(self, input_shape):
        return input_shape[:1] + (2,) + tuple(s - 2 for s in input_shape[2:])

    def _forward(self, X):
        self.inner.W, self.inner.B = self.W, self.B
        return self.inner.forward(X)

    def _backward(self, dA):
        dX = self.inner.backward(dA)
        self.dW, self.dB = self.inner.dW, self.inner.dB
        return dX


def test_a_layer_on_sprintlib_s_contract_is_the_student_s_own(capsys):
    check_layer(OwnLayerConv2d(), Conv2d(1, 2, 3), X)
    assert "wrong" not in capsys.readouterr().out


def test_own_code_false_lets_sprintlib_s_layer_be_checked(capsys):
    check_layer(Conv2d(1, 2, 3), Conv2d(1, 2, 3), X, own_code=False)
    assert "wrong" not in capsys.readouterr().out


def test_functions_that_call_the_reference_fail():
    with pytest.raises(AssertionError, match=r"^own work: your output_size uses sprintlib's output_size "
                                             r"\(your output_size ran sprintlib.functional's output_size\)"):
        check_function(lambda n, f, s=1, p=0: output_size(n, f, s, p), output_size, 28, 5, 1, 2)
    with pytest.raises(AssertionError, match=r"ran sprintlib.functional's im2col"):
        check_function(lambda *a: im2col(*a) + 0, functional.im2col, X, 3)

    def reference(x):
        return 2 * x

    with pytest.raises(AssertionError, match=r"^own work: your reference uses the reference reference "):
        check_function(lambda x: reference(x), reference, np.ones(3))
    check_function(lambda x: x + x, reference, np.ones(3))  # its own: fine


def test_the_watch_leaves_a_profiler_in_place_and_survives_an_error():
    def profiler(frame, event, arg):
        pass

    sys.setprofile(profiler)
    try:
        with pytest.raises(ZeroDivisionError):
            check_function(lambda n, f, s=1, p=0: 1 // 0, output_size, 4, 3)
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)


class ImportsOnFirstCall(StudentConv2d):
    """A right Conv2d whose forward imports a module for the first time (as numpy.fft is, lazily):
    the module's own code runs inside the watched call."""

    def forward(self, X):
        importlib.import_module("first_import_in_forward")
        return super().forward(X)


def test_a_module_imported_for_the_first_time_inside_the_answer_is_no_one_s_answer(tmp_path, monkeypatch, capsys):
    (tmp_path / "first_import_in_forward.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "first_import_in_forward", raising=False)
    check_layer(ImportsOnFirstCall(1, 2, 3), Conv2d(1, 2, 3), X)
    out = capsys.readouterr().out
    assert "first_import_in_forward" in sys.modules  # the import ran inside the watched call
    assert "wrong" not in out and "own work" not in out
