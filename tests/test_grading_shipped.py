"""The notebooks' visible checks in the students' copy of sprintlib, where the model answers of
the sprints not released yet are withheld (sprintlib/_withheld.py): check_layer and
check_function judge by the expected values the instructor's run shipped
(sprintlib/grading/shipped.py), and print and raise exactly what they do with the reference.

The students' copy is simulated in this process: the checks first run with the whole sprintlib
and SPRINTLIB_GRADING_SHIP set (what the instructor's build does), then again with the
references' maths raising ModelAnswerWithheld and the shipped folder pointed at what the first
run wrote."""
import json
import re

import numpy as np
import pytest

from sprintlib import AveragePool2D, Conv1d, Conv2d, Flatten, MaxPool2D, Sigmoid, SimpleConv1d, SimpleRNN
from sprintlib._withheld import ModelAnswerWithheld
from sprintlib.functional import output_size, output_size_2d
from sprintlib.grading import MISTAKES, SHIP_VARIABLE, Mistake, check_function, check_layer, shipped
from sprintlib.grading.checks import _grading_weights
from students import StudentConv1d, StudentConv2d, StudentMaxPool2D, StudentRNN, StudentSigmoid, StudentSimpleConv1d

from graded import graded_part

#: the sprint of each reference the students' copy withholds here
SPRINT = {SimpleConv1d: "sprint1_conv1d", Conv1d: "sprint1_conv1d", Conv2d: "sprint2_conv2d",
          MaxPool2D: "sprint2_conv2d", AveragePool2D: "sprint2_conv2d", Flatten: "sprint2_conv2d",
          SimpleRNN: "sprint4_rnn", Sigmoid: "sprint4_rnn"}
#: what the notebooks' references of the output sizes call (withheld in the students' copy here)
SIZES = {"output_size": output_size, "output_size_2d": output_size_2d}


def reference_output_size(n_in, filter_size, stride=1, pad=0):
    """As sprint 1's notebook writes its reference."""
    return SIZES["output_size"](n_in, filter_size, stride, pad, allow_remainder=True)


def reference_output_size_2d(in_size, filter_size, stride=1, pad=0):
    """As sprint 2's notebook writes its reference: a tuple (OH, OW)."""
    return SIZES["output_size_2d"](in_size, filter_size, stride, pad, allow_remainder=True)


class StudentAveragePool2D:
    """An average pool (windows side by side); "undivided" spreads dA without dividing by the window."""

    def __init__(self, pool=2, mistake=None):
        self.P, self.mistake = pool, mistake

    def forward(self, X):
        N, C, H, W = X.shape
        return X.reshape(N, C, H // self.P, self.P, W // self.P, self.P).mean(axis=(3, 5))

    def backward(self, dA):
        spread = np.kron(dA, np.ones((self.P, self.P)))
        return spread if self.mistake == "undivided" else spread / self.P ** 2


class StudentFlatten:
    """Flatten; "F order" reshapes in Fortran order (the right values in the wrong places)."""

    def __init__(self, mistake=None):
        self.order = "F" if mistake == "F order" else "C"

    def forward(self, X):
        self.shape = X.shape
        return X.reshape(len(X), -1, order=self.order)

    def backward(self, dA):
        return dA.reshape(self.shape, order=self.order)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CONV = dict(in_channels=2, out_channels=3, filter_size=3, stride=1, pad=1)
CONV1D = dict(in_channels=2, out_channels=3, filter_size=3, pad=2)


def _layer_checks(make_student, make_reference, X, mistakes, **kwargs):
    """{label: a check} of the right student and of each mistake, with the words of its hint."""
    return {f"{m or 'right'} {kwargs or ''}": (lambda m=m: check_layer(make_student(m), make_reference(), X, **kwargs),
                                               hint) for m, hint in {None: None, **mistakes}.items()}


#: family -> {label: (a check, a regex its output must show, or None)}
CHECKS = {
    "SimpleConv1d": {
        **_layer_checks(lambda m: StudentSimpleConv1d(3, mistake=m), lambda: SimpleConv1d(3), _x((9,)),
                        {"flipped": "np.convolve", "no +1": r"1 less than expected along axis 0"}),
        **_layer_checks(lambda m: StudentSimpleConv1d(3, mistake=m), lambda: SimpleConv1d(3), _x((9,)),
                        {"flipped": "np.convolve"}, backward=False),
        **_layer_checks(lambda m: StudentSimpleConv1d(4, mistake=m), lambda: SimpleConv1d(4), _x((11,), 1),
                        {"flipped": "np.convolve"}, seed=7)},
    "Conv1d": _layer_checks(lambda m: StudentConv1d(**CONV1D, mistake=m), lambda: Conv1d(**CONV1D), _x((2, 2, 7)),
                            {"flipped": "W flipped along its spatial axes",
                             "uncropped": r"shape of the padded input \(L \+ 2P\)"}),
    "Conv2d": {
        **_layer_checks(lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), _x((2, 2, 5, 5)), {
            "flipped": "W flipped along its spatial axes", "transposed": "W's height and width axes swapped",
            "mean dB": "dB is the expected one divided by 50", "mean dW": "dW is the expected one divided by 2",
            "uncropped": r"shape of the padded input \(H \+ 2P, W \+ 2P\)", "NHWC": r"axes in the order \(0, 2, 3, 1\)",
            "no dB": "no attribute dB after backward", "no return": "got None", "no bias": "the expected one without the bias",
            "no +1": r"1 less than expected along axes 2 and 3\n  hint: one of these mistakes", "scrambled": "im2col product reshaped straight"}),
        **_layer_checks(lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), _x((2, 2, 5, 5), 2),
                        {"mean dW": "dW is the expected one divided by 2"}, dA=_x((2, 3, 5, 5), 3)),
        **_layer_checks(lambda m: StudentConv2d(2, 3, (3, 2), mistake=m), lambda: Conv2d(2, 3, (3, 2)),
                        _x((1, 2, 4, 5), 4), {"flipped": "W flipped along its spatial axes"}, backward=False)},
    "MaxPool2D": _layer_checks(lambda m: StudentMaxPool2D(2, mistake=m), lambda: MaxPool2D(2), _x((2, 3, 6, 6)),
                               {"transposed": "right values at transposed positions"}),
    "AveragePool2D": _layer_checks(lambda m: StudentAveragePool2D(2, mistake=m), lambda: AveragePool2D(2),
                                   _x((2, 3, 6, 6)), {"undivided": "every value is 4 times the expected one"}),
    "Flatten": _layer_checks(lambda m: StudentFlatten(mistake=m), lambda: Flatten(), _x((2, 3, 4, 5)),
                             {"F order": "the right values in the wrong places"}),
    "SimpleRNN": {
        **_layer_checks(lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                        _x((2, 5, 3)), {"final state": "uses the final state h_T",
                                        "no W_h": "ignore the previous state",
                                        "no carry": "does not carry the gradient back in time"}),
        **_layer_checks(lambda m: StudentRNN(3, 4, return_sequences=False, mistake=m), lambda: SimpleRNN(3, 4),
                        _x((3, 4, 3)), {"final state": "uses the final state h_T"}),
        **_layer_checks(lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                        _x((2, 5, 3)), {"no W_h": "ignore the previous state"}, backward=False)},
    "Sigmoid": _layer_checks(lambda m: StudentSigmoid(mistake=m), lambda: Sigmoid(), _x((3, 4)),
                             {"one plus": r"your output is 1 \+ exp\(-A\)"}),
    "output_size": {
        "right": (lambda: check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) // s + 1, reference_output_size,
                                         28, 5, 1, 2, name="output_size"), None),
        "padding on one side": (lambda: check_function(lambda n, f, s=1, p=0: (n + p - f) // s + 1,
                                                       reference_output_size, 28, 5, 1, 2, name="output_size"),
                                r"your size is what \(N_in \+ P - F\) // S \+ 1 gives"),
        "stride not divided": (lambda: check_function(lambda n_in, filter_size, stride=1, pad=0: n_in + 2 * pad
                                                      - filter_size + 1, reference_output_size, 21, 3, stride=2,
                                                      pad=1, name="output_size"), "the windows move S at a time"),
        "one more": (lambda: check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) // s + 2, reference_output_size,
                                            20, 3, 2, 0, name="output_size"), "1 more than expected"),
        "a float": (lambda: check_function(lambda n, f, s=1, p=0: (n + 2 * p - f) / s + 1, reference_output_size,
                                           20, 3, 2, 0, name="output_size"), "expected integers"),
        "2-D right": (lambda: check_function(
            lambda i, f, s=1, p=0: tuple((n + 2 * p - k) // s + 1 for n, k in zip(i, f)), reference_output_size_2d,
            (28, 15), (5, 4), 1, 2, name="output_size_2d"), None),
        "2-D padding on one side": (lambda: check_function(
            lambda i, f, s=1, p=0: tuple((n + p - k) // s + 1 for n, k in zip(i, f)), reference_output_size_2d,
            (28, 15), (5, 4), 1, 2, name="output_size_2d"), r"output_size_2d\[1\]: expected 16, got 14\n  hint"),
        "2-D one number": (lambda: check_function(lambda i, f, s=1, p=0: 28, reference_output_size_2d,
                                                  (28, 15), (5, 4), 1, 2, name="output_size_2d"), None)},
}


def _outcome(check, capsys) -> tuple:
    """(what the check printed, the text of its AssertionError or None)."""
    capsys.readouterr()
    try:
        check()
        failed = None
    except AssertionError as exc:
        failed = str(exc)
    return capsys.readouterr().out, failed


def _shipping(monkeypatch, path, run):
    """``run()`` as the instructor's build runs a notebook: the checks append to ``path``."""
    monkeypatch.setenv(SHIP_VARIABLE, str(path))
    try:
        return run()
    finally:
        monkeypatch.delenv(SHIP_VARIABLE)


def _withhold(monkeypatch, folder, calls=None, classes=SPRINT, methods=("_forward", "_backward")):
    """The students' copy: the references' maths (and the output sizes) raise ModelAnswerWithheld,
    and the expected values are those shipped in ``folder``. ``calls`` counts the raises."""
    calls = [] if calls is None else calls

    def withheld(name, sprint):
        def raising(*args, **kwargs):
            calls.append(name)
            raise ModelAnswerWithheld(name, sprint)
        return raising

    monkeypatch.setattr(shipped, "FOLDER", folder)
    shipped._entries.cache_clear()
    for cls in classes:
        for method in methods:
            monkeypatch.setattr(cls, method, withheld(cls.__name__, SPRINT[cls]))
    for name in SIZES:
        monkeypatch.setitem(SIZES, name, withheld(name, "sprint1_conv1d"))
    return calls


@pytest.mark.parametrize("family", CHECKS)
def test_a_withheld_reference_gives_the_same_verdicts(family, tmp_path, monkeypatch, capsys):
    """Every check prints the same lines and raises the same AssertionError with the shipped values
    as with the reference: right answers, wrong ones, their hints. Two notebooks, two files."""
    checks = CHECKS[family]
    plain = [_outcome(check, capsys) for check, _ in checks.values()]
    labels = list(checks)
    with_reference = [_shipping(monkeypatch, tmp_path / ("a.jsonl" if i % 2 else "b.jsonl"),
                                lambda: _outcome(checks[label][0], capsys)) for i, label in enumerate(labels)]
    assert with_reference == plain  # shipping changes nothing a student sees
    for label, (out, failed) in zip(labels, with_reference):
        hint = checks[label][1]
        assert (failed is None) is label.startswith(("right", "2-D right")), (label, out, failed)
        if hint:
            assert re.search(hint, out), (label, out)
    calls = _withhold(monkeypatch, tmp_path)
    without_reference = [_outcome(check, capsys) for check, _ in checks.values()]
    assert len(calls) >= len(checks)  # each check found its reference withheld
    for label, got, expected in zip(labels, without_reference, with_reference):
        assert got == expected, label


def test_the_shipped_file(tmp_path, monkeypatch, capsys):
    """One JSON line a check: its key, each part's expected array, tolerance and hint candidates;
    A's shape (check_layer), the length of a tuple result (check_function)."""
    path = tmp_path / "sprint2.jsonl"
    X = _x((2, 2, 5, 5))
    _shipping(monkeypatch, path, lambda: (check_layer(StudentConv2d(**CONV), Conv2d(**CONV), X),
                                          check_function(output_size_2d, reference_output_size_2d, (28, 15), (5, 4),
                                                         1, 2, name="output_size_2d")))
    layer, function = map(json.loads, path.read_text().splitlines())
    assert layer["check"] == "check_layer Conv2d" and layer["shape"] == [2, 3, 5, 5]
    assert [p["name"] for p in layer["parts"]] == ["forward A", "backward dX", "backward dW", "backward dB"]
    assert layer["parts"][0]["tol"] == [1e-6, 1e-3]
    assert any("W flipped" in h["hint"] for h in layer["parts"][0]["hints"])
    assert function["length"] == 2 and [p["name"] for p in function["parts"]] == ["output_size_2d[0]",
                                                                                  "output_size_2d[1]"]
    # SIZE_MISTAKES but the three that give the right size here (at stride 1: the stride not divided, F // S
    # without parentheses, rounded up), each with what it gives the other entry of the tuple
    assert len(function["parts"][0]["hints"]) == 3 and all("together" in h for h in function["parts"][0]["hints"])
    assert "OK" in capsys.readouterr().out


def test_inputs_that_differ_from_the_notebook_s_are_not_shipped(tmp_path, monkeypatch, capsys):
    """A changed test cell: no entry under its key; the check says so, and which answer is withheld."""
    X = _x((2, 2, 5, 5))
    _shipping(monkeypatch, tmp_path / "nb.jsonl", lambda: (
        check_layer(StudentConv2d(**CONV), Conv2d(**CONV), X),
        check_function(output_size, reference_output_size, 28, 5, 1, 2, name="output_size")))
    _withhold(monkeypatch, tmp_path)
    for changed in (lambda: check_layer(StudentConv2d(**CONV), Conv2d(**CONV), X + 1),
                    lambda: check_layer(StudentConv2d(**CONV), Conv2d(**CONV), X, seed=1),
                    lambda: check_layer(StudentConv2d(**CONV), Conv2d(**{**CONV, "pad": 0}), X),
                    lambda: check_function(output_size, reference_output_size, 28, 5, 1, 1, name="output_size")):
        with pytest.raises(AssertionError, match="this check's expected values are not shipped with this copy of "
                                                 "sprintlib: this check's inputs differ from those of the notebooks' "
                                                 r"test cells \(was the test cell changed\?.*; and the reference "
                                                 r"cannot compute them here: (Conv2d is sprint 2's|output_size is "
                                                 r"sprint 1's) problem: its model answer is released after"):
            changed()
    check_layer(StudentConv2d(**CONV), Conv2d(**CONV), X)  # the notebook's own inputs still pass
    assert "forward A: OK" in capsys.readouterr().out


def test_no_shipped_file_at_all(tmp_path, monkeypatch):
    _withhold(monkeypatch, tmp_path / "shipped")
    with pytest.raises(AssertionError, match=r"not shipped with this copy of sprintlib: no expected values are "
                                             r"shipped with it at all \(.*shipped holds no \.jsonl file\); and the "
                                             r"reference cannot compute them here: SimpleRNN is sprint 4's problem"):
        check_layer(StudentRNN(3, 4), SimpleRNN(3, 4, return_sequences=True), _x((2, 5, 3)))


def test_the_key_ignores_dict_order():
    one = shipped.function_key("f", reference_output_size, (28, 5), {"stride": 1, "pad": 2}, None)
    assert one == shipped.function_key("f", reference_output_size, (28, 5), {"pad": 2, "stride": 1},
                                       None)
    assert one != shipped.function_key("f", reference_output_size, (28, 5), {"pad": 1, "stride": 2}, None)
    assert one != shipped.function_key("f", reference_output_size, (28, 5), {"stride": 1, "pad": 2}, 1e-5)
    X = _x((2, 2, 5, 5))
    a, b = Conv2d(**CONV), Conv2d(**CONV)
    for layer in (a, b):  # as check_layer gives them before the key
        _grading_weights(layer, X, layer.param_names)
    for attr in ("stride", "in_channels"):  # b's attributes in another order
        value = getattr(b, attr)
        delattr(b, attr)
        setattr(b, attr, value)
    assert list(vars(a)) != list(vars(b))
    assert shipped.layer_key(a, X, None, 0, True, None) == shipped.layer_key(b, X, None, 0, True, None)
    b.stride = (2, 2)
    assert shipped.layer_key(a, X, None, 0, True, None) != shipped.layer_key(b, X, None, 0, True, None)


def test_the_key_ignores_what_forward_and_backward_leave():
    """A reference that an earlier check ran (dW_x, dh0, grad_norm, _x_order set) has the key it had."""
    reference = SimpleRNN(3, 4, return_sequences=True, clip_norm=0.1)
    X = _x((2, 5, 3))
    before = shipped.layer_key(reference, X, None, 0, True, None)
    reference.backward(np.ones_like(reference.forward(X)))
    assert reference.grad_norm is not None
    assert shipped.layer_key(reference, X, None, 0, True, None) == before


def test_a_reference_used_by_several_checks(tmp_path, monkeypatch, capsys):
    """Sprint 4's cell: one reference, a check for each dA (the first check runs it in the instructor's run)."""
    X = _x((1, 3, 2))

    def cell():
        reference = SimpleRNN(2, 4, return_sequences=True)
        return [_outcome(lambda: check_layer(StudentRNN(2, 4, mistake=m), reference, X, dA=dA), capsys)
                for dA in (np.ones((1, 3, 4)), np.concatenate([np.zeros((1, 2, 4)), np.ones((1, 1, 4))], axis=1))
                for m in (None, "final state")]

    expected = _shipping(monkeypatch, tmp_path / "nb.jsonl", cell)
    _withhold(monkeypatch, tmp_path)
    assert cell() == expected


def test_a_reference_withheld_in_backward_only(tmp_path, monkeypatch, capsys):
    """Forward runs, backward is withheld: every part is judged by the shipped values."""
    cases = CHECKS["Conv2d"]
    expected = _shipping(monkeypatch, tmp_path / "nb.jsonl", lambda: [_outcome(c, capsys) for c, _ in cases.values()])
    calls = _withhold(monkeypatch, tmp_path, classes=[Conv2d], methods=["_backward"])
    assert [_outcome(c, capsys) for c, _ in cases.values()] == expected
    assert calls


def test_a_reference_withheld_in_a_known_mistake(tmp_path, monkeypatch, capsys):
    """The reference runs but a known mistake's prediction finds it withheld: the shipped hints, same output."""
    def student():
        check_layer(StudentConv2d(**CONV, mistake="uncropped"), Conv2d(**CONV), _x((2, 2, 5, 5)))
    expected = _shipping(monkeypatch, tmp_path / "nb.jsonl", lambda: _outcome(student, capsys))
    _withhold(monkeypatch, tmp_path, classes=[])

    def withheld(*args):
        raise ModelAnswerWithheld("Conv2d", "sprint2_conv2d")
    monkeypatch.setitem(MISTAKES, Conv2d, [Mistake("withheld", withheld, "never shown")] + MISTAKES[Conv2d])
    assert _outcome(student, capsys) == expected
    assert "hint: your dX has the shape of the padded input" in expected[0]


def test_a_graded_kernel_never_runs_the_reference(tmp_path, monkeypatch):
    """mode.recording() == "got": the student's values are recorded, nothing is looked up."""
    _withhold(monkeypatch, tmp_path / "none")
    got = graded_part(monkeypatch, "got", lambda: check_layer(StudentConv2d(**CONV), Conv2d(**CONV), _x((2, 2, 5, 5))))
    assert [r["name"] for r in got["records"]] == ["forward A", "backward dX", "backward dW", "backward dB"]
