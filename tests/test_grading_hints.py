"""The hints of sprintlib.grading: a student's layer with one known mistake (tests/students.py,
written as the sprints' students write them) fails, and its verdict names the mistake; the
same layer without the mistake passes, and no hint shows on a part that is right."""
import re

import numpy as np
import pytest

from sprintlib import FC, Conv1d, Conv2d, MaxPool2D, Sigmoid, SimpleConv1d, SimpleRNN
from sprintlib.functional import output_size
from sprintlib.grading import MISTAKES, check_function, check_layer
from students import StudentConv1d, StudentConv2d, StudentFC, StudentMaxPool2D, StudentRNN, StudentSigmoid, StudentSimpleConv1d

from graded import graded_part, runner

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


@pytest.mark.parametrize("shift, word", [(1, "more"), (-1, "less")])
def test_an_output_size_off_by_one(shift, word, capsys):
    def size(n, f, s=1, p=0):
        return (n + 2 * p - f) // s + 1 + shift

    with pytest.raises(AssertionError, match="wrong: output_size"):
        check_function(size, output_size, 28, 5, 1, 2)
    assert (f"output_size: expected 28, got {28 + shift}: 1 {word} than expected (an output size is "
            f"(N_in + 2P - F) // S + 1") in capsys.readouterr().out


def test_every_mistake_of_the_table_has_a_test():
    tested = {"flipped kernel", "transposed kernel", "padding not cropped", "transposed backward",
              "final state in BPTT", "no W_h in forward", "no gradient through W_h", "1/1+np.exp(-A)"}
    assert {m.name for mistakes in MISTAKES.values() for m in mistakes} == tested


# -- the same hints in a graded run, where the verdict is decided outside the kernel ---------
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", CASES)
def test_a_graded_run_gives_the_same_hint(case, hidden, monkeypatch):
    """autograder/runner.py judges the records of the student's kernel against the trusted
    run's, which carry each known mistake's value: the feedback names the mistake, in a
    hidden test without a number of its inputs."""
    make_student, make_reference, shape, mistake, part, hint = CASES[case]
    X = rng.standard_normal(shape)
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(make_reference(), make_reference(), X,
                                                                    own_code=False))
    for student, wrong in ((make_student(None), False), (make_student(mistake), True)):
        got = graded_part(monkeypatch, "got", lambda: check_layer(student, make_reference(), X))
        ok, lines = runner.judge(expected, got, hidden=hidden)
        assert ok is not wrong, lines
        if wrong:
            verdict = "\n".join(lines)
            assert re.search(re.sub(r"divided by \d+", "divided by a count of the inputs", hint) if hidden else hint,
                             verdict), verdict
            if hidden:  # no value of the hidden inputs: no array, no batch size
                assert "expected [" not in verdict and "divided by 50" not in verdict and "divided by 5:" not in verdict
        else:
            assert not any("hint" in line for line in lines), lines
