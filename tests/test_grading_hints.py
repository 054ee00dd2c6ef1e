"""The hints of sprintlib.grading: a student's layer with one known mistake (tests/students.py,
written as the sprints' students write them) fails, and its verdict names the mistake; the
same layer without the mistake passes, and no hint shows on a part that is right."""
import re

import numpy as np
import pytest

from sprintlib import FC, Conv1d, Conv2d, MaxPool2D, Sigmoid, SimpleConv1d, SimpleRNN, Tanh
from sprintlib.functional import output_size, output_size_2d
from sprintlib.grading import MISTAKES, SIZE_MISTAKES, check_array, check_function, check_layer
from students import (StudentConv1d, StudentConv2d, StudentFC, StudentMaxPool2D, StudentRNN, StudentSigmoid,
                      StudentSimpleConv1d, StudentTanh, student_counts, student_param_count)

from graded import graded_part, judged

rng = np.random.default_rng(0)
CONV = dict(in_channels=2, out_channels=3, filter_size=3, stride=1, pad=1)


CONV1D = dict(in_channels=2, out_channels=3, filter_size=3, pad=2)

# (student with a mistake, reference, input shape, the wrong part, words of its hint)
CASES = {
    "kernel flipped": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                       "flipped", "forward A", "W flipped along its spatial axes"),
    "kernel transposed": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                          "transposed", "forward A", "W's height and width axes swapped"),
    "1-D kernel flipped, channels": (lambda m: StudentConv1d(**CONV1D, mistake=m), lambda: Conv1d(**CONV1D),
                                     (2, 2, 7), "flipped", "forward A", "W flipped along its spatial axes"),
    "1-D padding not cropped": (lambda m: StudentConv1d(**CONV1D, mistake=m), lambda: Conv1d(**CONV1D), (2, 2, 7),
                                "uncropped", "backward dX", r"shape of the padded input \(L \+ 2P\)"),
    "dB averaged": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                    "mean dB", "backward dB", "dB is the expected one divided by 50: a mean over the batch"),
    "dW averaged": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                    "mean dW", "backward dW", "dW is the expected one divided by 2"),
    "padding not cropped": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                            "uncropped", "backward dX", r"shape of the padded input \(H \+ 2P, W \+ 2P\)"),
    "max-pool backward transposed": (lambda m: StudentMaxPool2D(2, mistake=m), lambda: MaxPool2D(2), (2, 3, 6, 6),
                                     "transposed", "backward dX", "right values at transposed positions"),
    "1-D kernel flipped": (lambda m: StudentSimpleConv1d(3, mistake=m), lambda: SimpleConv1d(3), (9,),
                           "flipped", "forward A", "np.convolve"),
    "BPTT with the final state": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                                  (2, 5, 3), "final state", "backward dW_h", "uses the final state h_T"),
    "BPTT with the final state, last output only": (
        lambda m: StudentRNN(3, 4, return_sequences=False, mistake=m), lambda: SimpleRNN(3, 4), (3, 4, 3),
        "final state", "backward dW_h", "uses the final state h_T"),
    # the second trial of the course (tests/test_graded_trial.py grades each in a notebook too)
    "BPTT with h_t": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                      (2, 5, 3), "current state", "backward dW_h", "your dW_h uses h_t, the state step t made"),
    "tanh' at the pre-activation": (lambda m: StudentRNN(3, 4, mistake=m),
                                    lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                    "derivative at pre-activation", "backward dX", "1 - a_t\\^2, with a_t the pre-activation"),
    "the last state only": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                            (2, 5, 3), "last state only", "forward A", "your output is the last state h_T alone"),
    "no W_h in forward": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                          (2, 5, 3), "no W_h", "forward A", "ignore the previous state"),
    "no gradient through W_h": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                                (2, 5, 3), "no carry", "backward dX", "does not carry the gradient back in time"),
    "sigmoid 1/1+exp": (lambda m: StudentSigmoid(mistake=m), lambda: Sigmoid(), (3, 4),
                        "one plus", "forward A", r"your output is 1 \+ exp\(-A\)"),
    "FC dB averaged": (lambda m: StudentFC(4, 3, mistake=m), lambda: FC(4, 3), (5, 4),
                       "mean", "backward dB", "divided by 5"),
    "FC dB one number": (lambda m: StudentFC(4, 3, mistake=m), lambda: FC(4, 3), (5, 4),
                         "average", "backward dB", r"a single number \(a sum or mean over every axis"),
    # the output size without its + 1: one length short, along each axis it has; with P = 1 the
    # padding counted once gives the same size, and the hint names both (the values fit each)
    "output size without + 1": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                                "no +1", "forward A", r"1 less than expected along axes 2 and 3\n  hint: one of "
                                r"these mistakes \(each gives your values\): your output is the expected one cut to "
                                r"the size that \(N_in \+ P - F\) // S \+ 1 gives: .*; or: your output is the expected "
                                r"one cut to the size that \(N_in \+ 2P - F\) // S gives: the \+ 1 is missing"),
    "1-D output size without + 1": (lambda m: StudentSimpleConv1d(3, mistake=m), lambda: SimpleConv1d(3), (9,),
                                    "no +1", "forward A", r"1 less than expected along axis 0\n  hint: your output is "
                                                          r"the expected one cut to the size that \(N_in \+ 2P - F\) "
                                                          r"// S gives: the \+ 1 is missing"),
    # the bias forgotten: A - expected is -B, one constant per channel; the layer's known
    # mistake names the bias (its value is the reference's output with B = 0)
    "bias forgotten": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                       "no bias", "forward A", r"depends only on its index along axis 1 \(a term per index of axis 1 "
                                               r"missing or added twice\?\)[\s\S]*hint: your output is the "
                                               r"expected one without the bias: add B"),
    "FC bias forgotten": (lambda m: StudentFC(4, 3, mistake=m), lambda: FC(4, 3), (5, 4),
                          "no bias", "forward A", r"hint: your output is the expected one without the bias"),
    # dX assigned per window where windows overlap (issue 24, item 6): a convolution (stride
    # smaller than the filter) and a max-pool (stride smaller than the window)
    "dX assigned per window": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                               "assigned", "backward dX", r"keeps the share of one window \(the last one written\)"),
    "dX assigned per window, stride 2": (
        lambda m: StudentConv2d(2, 3, 3, stride=2, pad=1, mistake=m), lambda: Conv2d(2, 3, 3, stride=2, pad=1),
        (2, 2, 5, 5), "assigned", "backward dX", r"keeps the share of one window"),
    "max-pool dX assigned per window": (lambda m: StudentMaxPool2D(3, 1, mistake=m), lambda: MaxPool2D(3, 1),
                                        (2, 2, 5, 5), "assigned", "backward dX", r"keeps the share of one window"),
    "max-pool dX assigned at the maxima": (lambda m: StudentMaxPool2D(3, 2, mistake=m), lambda: MaxPool2D(3, 2),
                                           (2, 3, 7, 7), "assigned at max", "backward dX",
                                           r"keeps the share of one window"),
    "max-pool mask forgotten": (lambda m: StudentMaxPool2D(2, mistake=m), lambda: MaxPool2D(2), (2, 3, 6, 6),
                                "no mask", "backward dX", "to every entry of the window"),
    # "Sprint13": dX's accumulator set to 0 once a channel
    "dX accumulator not reset": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                                 "running total", "backward dX", "running total of the right dX"),
    # sprint 4 (issue 24, item 6, and the backward of "リカレントニューラルネットワーク")
    "tanh's derivative at h_{t-1}": (lambda m: StudentRNN(3, 4, mistake=m),
                                     lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                     "derivative at previous", "backward dX", r"derivative at the previous state"),
    "RNN gradients assigned per step": (lambda m: StudentRNN(3, 4, mistake=m),
                                        lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                        "assigned", "backward dW_x", r"those of the first time step only"),
    "RNN carried gradient averaged": (lambda m: StudentRNN(3, 4, return_sequences=False, mistake=m),
                                      lambda: SimpleRNN(3, 4), (3, 4, 3), "carry mean", "backward dX",
                                      r"carries back to h_\{t-1\} \(da_t W_h\^T\) is divided by the batch size"),
    # the sprint-1 document's Conv1d backward with a stride: window i's share at i, in F + N_out - 1 entries
    "stride left out of dX": (lambda m: StudentConv1d(2, 3, 3, stride=2, mistake=m), lambda: Conv1d(2, 3, 3, stride=2),
                              (2, 2, 9), "stride in dX", "backward dX", r"as if the windows moved 1 entry at a time"),
    # the forward of "リカレントニューラルネットワーク": the list of states over time reshaped straight to (N, T, n_nodes)
    "RNN states reshaped from time-major": (lambda m: StudentRNN(3, 4, mistake=m),
                                            lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3), "time major",
                                            "forward A", r"reshaped straight to \(N, T, n_nodes\)"),
    # issue 24, item 6, the others: an activation's derivative (written through its output) taken
    # at its input; BPTT's carry through W_h untransposed (square: no shape error); a backward that
    # takes only the last step's gradient; windows that ignore the stride (1 apart, or side by side)
    "sigmoid derivative at the input": (lambda m: StudentSigmoid(mistake=m), lambda: Sigmoid(), (3, 4),
                                        "derivative at input", "backward dX", r"derivative at the input X"),
    "tanh derivative at the input": (lambda m: StudentTanh(mistake=m), lambda: Tanh(), (2, 3, 4),
                                     "derivative at input", "backward dX", r"derivative at the input X"),
    "RNN carry through W_h untransposed": (lambda m: StudentRNN(3, 4, mistake=m),
                                           lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                           "carry untransposed", "backward dX", r"through W_h as it is, da_t W_h"),
    "RNN backward from the last gradient only": (lambda m: StudentRNN(3, 4, mistake=m),
                                                 lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                                 "last gradient only", "backward dW_x",
                                                 r"uses only the gradient of the last state"),
    "convolution's stride ignored": (lambda m: StudentConv2d(2, 3, 3, stride=2, pad=1, mistake=m),
                                     lambda: Conv2d(2, 3, 3, stride=2, pad=1), (2, 2, 7, 7), "stride ignored",
                                     "forward A", r"windows moving 1 entry at a time: the stride is ignored"),
    "max-pool's stride ignored": (lambda m: StudentMaxPool2D(3, 1, mistake=m), lambda: MaxPool2D(3, 1), (2, 2, 7, 7),
                                  "stride ignored", "forward A", r"windows side by side .*: the stride is ignored"),
    # an FC layer's dB, np.sum(dA, axis=0), in a convolution: summed over the batch alone
    "dB summed over the batch only": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV),
                                      (2, 2, 5, 5), "dB batch only", "backward dB",
                                      r"your dB is dA summed over axis 0 only: dB has B's shape.*\(axis=\(0, 2, 3\)\)"),
    # im2col's columns multiplied by W.reshape(-1, C_out): each column mixes the filters' entries
    "W reshaped for im2col": (lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5),
                              "W reshaped", "forward A", r"W\.reshape\(-1, C_out\)"),
    # an RNN's states off by one step: h_0 returned too, or h_0 .. h_{T-1}
    "RNN states with h_0": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                            (2, 5, 3), "with h0", "forward A", r"your output starts with h_0"),
    "RNN states shifted": (lambda m: StudentRNN(3, 4, mistake=m), lambda: SimpleRNN(3, 4, return_sequences=True),
                           (2, 5, 3), "states shifted", "forward A", r"your states are h_0 \.\. h_\{T-1\}"),
    # dW by np.convolve(X, dA) without reversing dA; BPTT's carried gradient added after tanh's derivative
    "dW with dA not reversed": (lambda m: StudentSimpleConv1d(3, mistake=m), lambda: SimpleConv1d(3), (9,),
                                "dA not reversed", "backward dW", r"your dW is what dA reversed along its positions"),
    "RNN carry added after the derivative": (lambda m: StudentRNN(3, 4, mistake=m),
                                             lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3),
                                             "carry after derivative", "backward dX",
                                             r"adds the gradient carried back from step t \+ 1 after tanh's"),
    # a bias added twice
    "bias added twice": (lambda m: StudentFC(4, 3, mistake=m), lambda: FC(4, 3), (5, 4), "bias twice",
                         "forward A", r"hint: your output has the bias B added twice"),
    # "lenet構成のCNN": the im2col product (rows (n, oh, ow), columns the channels) reshaped to (N, C, OH, OW)
    "im2col product reshaped to NCHW": (
        lambda m: StudentConv2d(**CONV, mistake=m), lambda: Conv2d(**CONV), (2, 2, 5, 5), "scrambled", "forward A",
        r"the right values in the wrong places \(a reshape or transpose in the wrong order\?\)[\s\S]*"
        r"hint: your A is in the order of the im2col product reshaped straight to \(N, C, OH, OW\): .* "
        r"reshape it to \(N, OH, OW, C\), then \.transpose\(0, 3, 1, 2\)"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_known_mistake_gets_its_hint(case, capsys):
    make_student, make_reference, shape, mistake, part, hint = CASES[case]
    X = rng.standard_normal(shape)
    check_layer(make_student(None), make_reference(), X)  # the right answer passes
    assert "wrong" not in capsys.readouterr().out
    with pytest.raises(AssertionError, match=f"wrong: .*{part}"):
        check_layer(make_student(mistake), make_reference(), X)
    out = capsys.readouterr().out
    assert re.search(hint, _verdict(out, part)), out
    for line in out.splitlines():  # a right part carries no hint
        assert not (": OK" in line and "hint" in line)


def _verdict(out, part):
    """The lines of one part's verdict: from its line to the next part's."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{part}: "))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"(forward|backward) \w+: ", lines[i])),
               len(lines))
    return "\n".join(lines[start:end])


# a size one too small is what the formula without its + 1 gives: named; one too large is what
# none of the known formulas gives: only the fact is said (a formula named there would point
# the wrong way)
OFF_BY_ONE = [(1, "more", None),
              (-1, "less", r"your size is what \(N_in \+ 2P - F\) // S gives: the \+ 1 is missing")]


@pytest.mark.parametrize("shift, word, hint", OFF_BY_ONE)
def test_an_output_size_off_by_one(shift, word, hint, capsys):
    def size(n, f, s=1, p=0):
        return (n + 2 * p - f) // s + 1 + shift

    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(size, output_size, 28, 5, 1, 2)
    out = capsys.readouterr().out
    assert out.startswith(f"output_size: expected 28, got {28 + shift}: 1 {word} than expected\n"), out
    assert re.search(hint, out) if hint else "hint" not in out and "N_in" not in out, out


@pytest.mark.parametrize("shift, word, hint", OFF_BY_ONE)
def test_a_hidden_output_size_off_by_one_keeps_its_hint(shift, word, hint, monkeypatch):
    """The fact and the formula's hint quote no size: a hidden test keeps them, without the sizes."""
    def size(n, f, s=1, p=0):
        return (n + 2 * p - f) // s + 1 + shift

    expected = graded_part(monkeypatch, "expected", lambda: check_function(output_size, output_size, 13, 3, 2, 1,
                                                                           own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_function(size, output_size, 13, 3, 2, 1))
    ok, lines = judged(expected, got, hidden=True)
    assert not ok and lines[0].split("\n")[0] == f"output_size: wrong values: 1 {word} than expected", lines
    text = "\n".join(lines)
    assert re.search(hint, text) if hint else "hint" not in text, lines
    assert "7" not in text and "13" not in text, lines  # neither the expected 7 nor an input


def test_every_mistake_of_the_table_has_a_test():
    tested = {"flipped kernel", "transposed kernel", "padding not cropped", "transposed backward",
              "final state in BPTT", "no W_h in forward", "no gradient through W_h", "1/1+np.exp(-A)",
              "im2col product reshaped to NCHW", "dX accumulator not reset", "mask of the maxima forgotten",
              "carried gradient averaged over the batch", "derivative at h_{t-1}", "gradients assigned per step",
              "states reshaped from time-major", "derivative at the input", "gradient carried through W_h untransposed",
              "only the last step's gradient", "W reshaped for im2col", "states with h_0", "states shifted", "carry added after the derivative",
              "current state in BPTT", "derivative at the pre-activation", "last state only",
              "every maximum"}  # (ties need inputs of equal values: tests/test_graded_trial.py grades it)
    assert {m.name for mistakes in MISTAKES.values() for m in mistakes} == tested
    assert {m.name for m in SIZE_MISTAKES} == set(SIZES)


# -- output sizes: the known wrong formulas, evaluated on the check's own arguments ----------
def reference_output_size(n_in, filter_size, stride=1, pad=0):
    """As the notebooks write their reference (sprint 1, problem 2): windows that do not fit are left out."""
    return output_size(n_in, filter_size, stride, pad, allow_remainder=True)


def reference_output_size_2d(in_size, filter_size, stride=1, pad=0):
    """As the notebooks write their reference (sprint 2, problem 3): a function of their own."""
    return output_size_2d(in_size, filter_size, stride, pad, allow_remainder=True)


# wrong formula (n, f, s, p) -> (arguments of the check, what the check says, words of the hint)
SIZES = {
    "no + 1": (lambda n, f, s, p: (n + 2 * p - f) // s, (28, 5, 1, 2), "expected 28, got 27",
               r"\(N_in \+ 2P - F\) // S gives: the \+ 1 is missing"),
    "rounded up": (lambda n, f, s, p: -((n + 2 * p - f) // -s) + 1, (20, 3, 2, 0), "expected 9, got 10",
                   r"\(N_in \+ 2P - F\) / S \+ 1 rounded up gives: .*rounded down"),
    "padding on one side": (lambda n, f, s, p: (n + p - f) // s + 1, (28, 5, 1, 2), "expected 28, got 26",
                            r"\(N_in \+ P - F\) // S \+ 1 gives: an output size is \(N_in \+ 2P - F\) // S \+ 1, "
                            r"is the padding counted on both sides\?"),
    "no padding": (lambda n, f, s, p: (n - f) // s + 1, (28, 5, 1, 2), "expected 28, got 24",
                   r"\(N_in - F\) // S \+ 1 gives: the padding is left out"),
    "stride not divided": (lambda n, f, s, p: n + 2 * p - f + 1, (21, 3, 2, 1), "expected 11, got 21",
                           r"N_in \+ 2P - F \+ 1 gives: .*the windows move S at a time"),
    "F // S without parentheses": (lambda n, f, s, p: n + 2 * p - f // s + 1, (21, 3, 2, 0), "expected 10, got 21",
                                   r"N_in \+ 2P - F // S \+ 1 gives \(// divides F alone\)"),
}


@pytest.mark.parametrize("mistake", SIZES)
def test_a_wrong_output_size_formula_gets_its_hint(mistake, capsys):
    formula, args, verdict, hint = SIZES[mistake]
    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(lambda n, f, s=1, p=0: formula(n, f, s, p), reference_output_size, *args, name="output_size")
    out = capsys.readouterr().out
    assert re.search(f"output_size: {verdict}[^\n]*\n  hint: .*your size is what {hint}", out), out


def test_a_wrong_output_size_formula_in_two_dimensions(capsys):
    """A reference of the notebook's own, a result per axis: each wrong axis gets the hint
    (the formulas run on the pairs of the check's arguments, as the reference's signature names them)."""
    def once(in_size, filter_size, stride=1, pad=0):
        return tuple((n + pad - f) // stride + 1 for n, f in zip(in_size, filter_size))

    with pytest.raises(AssertionError, match=r"wrong: output_size_2d\[0\], output_size_2d\[1\]"):
        check_function(once, reference_output_size_2d, (28, 15), (5, 4), stride=1, pad=2, name="output_size_2d")
    out = capsys.readouterr().out
    for axis, (right, got) in enumerate([(28, 26), (16, 14)]):
        assert f"output_size_2d[{axis}]: expected {right}, got {got}\n  hint: your size is what (N_in + P - F)" in out


def _fh_for_both(in_size, filter_size, stride=1, pad=0):
    """The width computed with the filter's height (a copy-paste): right along the height."""
    (H, W), (FH, _) = in_size, filter_size
    return (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FH) // stride + 1


def test_a_formula_that_fits_one_entry_of_a_tuple_by_chance_is_not_named(capsys):
    """(15 + 2 - 3) // 2 + 1 = 8 is also what (15 + 2 - 4) / 2 + 1 rounded up gives; that
    formula would make the height 11, not the student's 10: no hint."""
    with pytest.raises(AssertionError, match=r"wrong: output_size_2d\[1\]"):
        check_function(_fh_for_both, reference_output_size_2d, (20, 15), (3, 4), 2, 1, name="output_size_2d")
    out = capsys.readouterr().out
    assert "output_size_2d[1]: expected 7, got 8: 1 more than expected\n" in out and "hint" not in out, out


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_a_graded_run_names_a_formula_of_a_tuple_only_where_it_gives_every_entry(hidden, monkeypatch):
    def once(in_size, filter_size, stride=1, pad=0):  # the padding counted once, on both axes
        return tuple((n + pad - f) // stride + 1 for n, f in zip(in_size, filter_size))

    # FH for both: the width one too small, (15 + 4 - 5) // 1 + 1 = 15, what the formula without its + 1
    # gives; which would give a height of 27, where the student's is the right 28
    args = ((28, 15), (5, 4), 1, 2)
    expected = graded_part(monkeypatch, "expected", lambda: check_function(
        reference_output_size_2d, reference_output_size_2d, *args, name="output_size_2d", own_code=False))
    for student, named in ((_fh_for_both, False), (once, True)):
        got = graded_part(monkeypatch, "got", lambda: check_function(student, reference_output_size_2d, *args,
                                                                     name="output_size_2d"))
        ok, lines = judged(expected, got, hidden=hidden)
        text = "\n".join(lines)
        assert not ok and ("hint: your size is what (N_in + P - F)" in text if named else "hint" not in text), text


def test_no_formula_hint_for_other_functions(capsys):
    with pytest.raises(AssertionError) as failed:
        check_function(lambda a, b: a - b + 2, lambda a, b: a - b, 28, 2, name="difference")
    assert "hint" not in capsys.readouterr().out + str(failed.value)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("mistake", SIZES)
def test_a_graded_run_gives_the_same_output_size_hint(mistake, hidden, monkeypatch):
    formula, args, verdict, hint = SIZES[mistake]
    expected = graded_part(monkeypatch, "expected", lambda: check_function(
        reference_output_size, reference_output_size, *args, name="output_size", own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_function(lambda n, f, s=1, p=0: formula(n, f, s, p),
                                                                 reference_output_size, *args, name="output_size"))
    ok, lines = judged(expected, got, hidden=hidden)
    text = "\n".join(lines)
    assert not ok and re.search(f"\n  hint: .*your size is what {hint}", text), text
    assert (verdict in text) is not hidden, text  # a hidden test names no size of its inputs


# -- the hints of any array: no layer needed ------------------------------------------------
SEED_CASE = np.array([35.0, 50.0])  # sprint 1's case 1a: x = [1, 2, 3, 4], w = [3, 5, 7], b = [1]
PER_CHANNEL = np.arange(24.0).reshape(2, 3, 4) ** 1.5
ARRAYS = {  # got, expected, words of the hint (in a hidden test too: they quote no value)
    "a constant offset": (SEED_CASE - 1, SEED_CASE, r"every value differs from the expected one by the same amount "
                                                    r"\(a constant term missing or added twice\?\)"),
    "an offset per channel": (PER_CHANNEL + np.array([1.0, -2.0, 0.5])[:, None], PER_CHANNEL,
                              r"an amount that depends only on its index along axis 1 \(a term per index of axis 1 "
                              r"missing or added twice\?\)"),
    "values in other places": (PER_CHANNEL.transpose(0, 2, 1).reshape(PER_CHANNEL.shape), PER_CHANNEL,
                               r"the right values in the wrong places \(a reshape or transpose in the wrong order\?\)"),
    "a length one short": (np.zeros((2, 3, 3)), PER_CHANNEL, r"1 less than expected along axis 2$"),
}


@pytest.mark.parametrize("case", ARRAYS)
def test_check_array_hints(case):
    got, expected, hint = ARRAYS[case]
    with pytest.raises(AssertionError, match=hint):
        check_array("A", got, expected)


def test_check_array_shows_the_seed_s_case_with_its_hint():
    with pytest.raises(AssertionError, match=r"A: wrong values \(relative error 2\.9e-02, tolerance 1e-06\): every "
                                             r"value differs from the expected one by the same amount \(a constant "
                                             r"term missing or added twice\?\)\n  expected \[35\. 50\.\]\n  got      "
                                             r"\[34\. 49\.\]"):
        check_array("A", np.array([34.0, 49.0]), SEED_CASE)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", ARRAYS)
def test_a_graded_run_gives_the_same_array_hint(case, hidden, monkeypatch):
    got_arr, expected_arr, hint = ARRAYS[case]
    expected = graded_part(monkeypatch, "expected", lambda: check_array("A", expected_arr, expected_arr))
    got = graded_part(monkeypatch, "got", lambda: check_array("A", got_arr, expected_arr))
    ok, lines = judged(expected, got, hidden=hidden)
    text = "\n".join(lines)
    assert not ok and re.search(hint, text), text
    if hidden:  # no value, no shape
        assert "expected [" not in text and "(2, 3, 4)" not in text, text


def test_the_size_hints_are_for_results_only():
    """A weight or a set of labels one entry short is not an output size."""
    from sprintlib.grading import check_accuracy

    with pytest.raises(AssertionError) as labels:
        check_accuracy("labels", np.zeros(4, int), np.zeros(5, int), 0.5)
    with pytest.raises(AssertionError) as weights:
        check_layer(StudentFC(3, 3), FC(4, 3), np.ones((2, 4)))
    assert "output size" not in str(labels.value) + str(weights.value)


# -- the same hints in a graded run, where the verdict is decided outside the kernel ---------
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", CASES)
def test_a_graded_run_gives_the_same_hint(case, hidden, monkeypatch):
    """The engine (autograder/engine/judge.py) judges the records of the student's kernel against the trusted
    run's, which carry each known mistake's value: the feedback names the mistake, in a
    hidden test without a number of its inputs."""
    make_student, make_reference, shape, mistake, part, hint = CASES[case]
    X = rng.standard_normal(shape)
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(make_reference(), make_reference(), X,
                                                                    own_code=False))
    for student, wrong in ((make_student(None), False), (make_student(mistake), True)):
        got = graded_part(monkeypatch, "got", lambda: check_layer(student, make_reference(), X))
        ok, lines = judged(expected, got, hidden=hidden)
        assert ok is not wrong, lines
        if wrong:
            verdict = "\n".join(lines)
            assert re.search(re.sub(r"divided by \d+", "divided by a count of the inputs", hint) if hidden else hint,
                             verdict), verdict
            if hidden:  # no value of the hidden inputs: no array, no batch size
                assert "expected [" not in verdict and "divided by 50" not in verdict and "divided by 5:" not in verdict
        else:
            assert not any("hint" in line for line in lines), lines


# -- parameter counts: a convolution's, and a summary of layers (issue 24, item 6) ------------
@pytest.mark.parametrize("mistake, args, verdict, hint", [
    ("W only", (3, 6, (3, 3)), "expected 168, got 162", "your count is that of W alone"),
    ("Sprint13", (3, 6, (3, 3)), "expected 168, got 55", "leaves the input channels out and has one bias in all"),
    ("Sprint13", (24, 48, (3, 3)), "expected 10416, got 433", "leaves the input channels out"),
])
def test_a_wrong_parameter_count_formula_gets_its_hint(mistake, args, verdict, hint, capsys, monkeypatch):
    from sprintlib.functional import conv_param_count

    with pytest.raises(AssertionError, match="wrong: param_count"):
        check_function(student_param_count(mistake), conv_param_count, *args, name="param_count")
    out = capsys.readouterr().out
    assert f"param_count: {verdict}\n  hint: {hint}" in out or re.search(f"{verdict}\n  hint: .*{hint}", out), out
    check_function(student_param_count(), conv_param_count, *args, name="param_count")
    assert "hint" not in capsys.readouterr().out
    expected = graded_part(monkeypatch, "expected", lambda: check_function(conv_param_count, conv_param_count, *args,
                                                                           name="param_count", own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_function(student_param_count(mistake), conv_param_count,
                                                                 *args, name="param_count"))
    ok, lines = judged(expected, got, hidden=True)
    assert not ok and hint in "\n".join(lines) and verdict not in "\n".join(lines), lines


def reference_counts(layers):
    """The parameters of each layer, W's and B's entries (0 for a layer without)."""
    return np.array([layer.n_params for layer in layers])


def test_a_summary_that_counts_w_but_not_b_gets_its_hint(capsys):
    from sprintlib import Flatten, ReLU

    layers = [Conv2d(1, 6, 5, pad=2), ReLU(), MaxPool2D(2), Flatten(), FC(6 * 14 * 14, 10)]
    with pytest.raises(AssertionError, match="wrong: counts"):
        check_function(student_counts("W only"), reference_counts, layers, name="counts", own_code=False)
    assert "hint: your counts are those of the weights alone" in capsys.readouterr().out
    check_function(student_counts(), reference_counts, layers, name="counts", own_code=False)
    assert capsys.readouterr().out == "counts: OK\n"


# -- an h_0 that is not zero: read off the student's first state (issue 24, item 6) -----------
@pytest.mark.parametrize("mistake", ["random h0", "ones h0"])
def test_an_rnn_from_an_h0_that_is_not_zero_is_named(mistake, capsys):
    X = rng.standard_normal((2, 5, 3))
    with pytest.raises(AssertionError, match="wrong: forward A, backward dX"):
        check_layer(StudentRNN(3, 4, mistake=mistake), SimpleRNN(3, 4, return_sequences=True), X)
    out = capsys.readouterr().out
    for part in ("forward A", "backward dX", "backward dW_h"):
        assert "hint: your states start from an h_0 that is not zero" in _verdict(out, part), out


GLOBAL_B = "your states are those of a bias that is one number, the same for every node"


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_a_global_b_in_place_of_b_is_named(hidden, capsys, monkeypatch):
    """The students' SimpleRNN notebook adds its global b = np.array([1]) where self.B belongs:
    b is read off the first states, then every state and gradient computed with it."""
    X = rng.standard_normal((2, 5, 3))
    with pytest.raises(AssertionError, match="wrong: forward A, backward dX"):
        check_layer(StudentRNN(3, 4, mistake="global b"), SimpleRNN(3, 4, return_sequences=True), X)
    out = capsys.readouterr().out
    for part in ("forward A", "backward dX", "backward dW_h"):
        assert f"hint: {GLOBAL_B}" in _verdict(out, part), out
    assert "h_0" not in out, out
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(
        SimpleRNN(3, 4, return_sequences=True), SimpleRNN(3, 4, return_sequences=True), X, own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_layer(StudentRNN(3, 4, mistake="global b"),
                                                              SimpleRNN(3, 4, return_sequences=True), X))
    ok, lines = judged(expected, got, hidden=hidden)
    assert not ok
    for part in ("forward A", "backward dX", "backward dW_h"):
        verdict = next(line for line in lines if line.startswith(f"{part}: "))
        assert f"hint: {GLOBAL_B}" in verdict, lines


@pytest.mark.parametrize("mistake", ["random h0", "no W_h", "time major"])
def test_other_forwards_are_no_global_b(mistake, capsys):
    X = rng.standard_normal((2, 5, 3))
    with pytest.raises(AssertionError):
        check_layer(StudentRNN(3, 4, mistake=mistake), SimpleRNN(3, 4, return_sequences=True), X)
    assert "a bias that is one number" not in capsys.readouterr().out


def test_an_h0_hint_needs_more_than_the_first_state(capsys):
    """With one time step, any first state comes from some h_0: nothing tests the hint on A
    (the gradients still do)."""
    X = rng.standard_normal((2, 1, 3))
    with pytest.raises(AssertionError):
        check_layer(StudentRNN(3, 4, mistake="random h0"), SimpleRNN(3, 4, return_sequences=True), X)
    out = capsys.readouterr().out
    assert "h_0" not in _verdict(out, "forward A"), out
    assert "h_0 that is not zero" in _verdict(out, "backward dW_h"), out


def test_a_wrong_rnn_is_no_h0_mistake(capsys):
    """A forward wrong in another way: its first state gives some h_0, which does not give the rest."""
    X = rng.standard_normal((2, 5, 3))
    with pytest.raises(AssertionError):
        check_layer(StudentRNN(3, 4, mistake="no W_h"), SimpleRNN(3, 4, return_sequences=True), X)
    assert "h_0 that is not zero" not in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("mistake", ["random h0", "ones h0"])
def test_a_graded_run_names_an_h0_that_is_not_zero(mistake, hidden, monkeypatch):
    """The grading process reads h_0 off the student's records as the notebook does: the trusted
    run's records carry the check's inputs (the layer, X, dA), and the engine names the mistake
    on every part whose value the fitted h_0 gives."""
    X = rng.standard_normal((2, 5, 3))
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(
        SimpleRNN(3, 4, return_sequences=True), SimpleRNN(3, 4, return_sequences=True), X, own_code=False))
    assert "fitted_inputs" in expected["records"][0] and all("fitted" in r for r in expected["records"])
    got = graded_part(monkeypatch, "got", lambda: check_layer(StudentRNN(3, 4, mistake=mistake),
                                                              SimpleRNN(3, 4, return_sequences=True), X))
    ok, lines = judged(expected, got, hidden=hidden)
    assert not ok
    for part in ("forward A", "backward dX", "backward dW_h"):
        verdict = next(line for line in lines if line.startswith(f"{part}: "))
        assert "hint: your states start from an h_0 that is not zero" in verdict, lines
    right = graded_part(monkeypatch, "got", lambda: check_layer(StudentRNN(3, 4), SimpleRNN(3, 4, return_sequences=True),
                                                                X))
    assert judged(expected, right, hidden=hidden)[0]


@pytest.mark.parametrize("mistake", ["no W_h", "derivative at previous", "final state"])
def test_a_graded_run_names_no_h0_for_other_mistakes(mistake, monkeypatch):
    """Other mistakes of the forward or the backward: the h_0 read off the first state does not
    give the student's values, and the engine does not name it (their own hints stay)."""
    X = rng.standard_normal((2, 5, 3))
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(
        SimpleRNN(3, 4, return_sequences=True), SimpleRNN(3, 4, return_sequences=True), X, own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_layer(StudentRNN(3, 4, mistake=mistake),
                                                              SimpleRNN(3, 4, return_sequences=True), X))
    ok, lines = judged(expected, got, hidden=False)
    assert not ok and "h_0 that is not zero" not in "\n".join(lines), lines
    assert any("hint" in line for line in lines), lines


def test_a_graded_run_reads_h0_only_from_its_own_check(monkeypatch):
    """Records out of place (a student's run that checked something else first) are no
    student's values of the check: no h_0 is read off them."""
    X = rng.standard_normal((2, 5, 3))
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(
        SimpleRNN(3, 4, return_sequences=True), SimpleRNN(3, 4, return_sequences=True), X, own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_layer(StudentRNN(3, 4, mistake="random h0"),
                                                              SimpleRNN(3, 4, return_sequences=True), X))
    got["records"] = got["records"][1:]  # forward A missing: every part is out of its place
    ok, lines = judged(expected, got, hidden=False)
    assert not ok and "h_0" not in "\n".join(lines), lines
