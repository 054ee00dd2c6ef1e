"""Several mistakes at once (issue 24, item 7): the course documents' students make several
per layer, and each known mistake of a submission is named, even where another fails
first: two mistakes on one part are named together (a pair, whose values are those of both),
mistakes on other parts each on its part, and a backward's mistake where the forward is
wrong (the backward gets dA and the weights whatever the forward gave), in the notebook's
checks and in a graded run alike."""
import re

import numpy as np
import pytest

from sprintlib import FC, Conv2d, SimpleRNN
from sprintlib.grading import check_layer
from students import Mistakes, StudentConv2d, StudentFC, StudentRNN

from graded import graded_part, judged

rng = np.random.default_rng(7)
CONV = dict(in_channels=2, out_channels=3, filter_size=3, stride=1, pad=1)
FLIPPED = r"the convolution with W flipped along its spatial axes"
NO_BIAS = r"your output is the expected one without the bias"
MEAN_DW = r"your dW is the expected one divided by 2"
FINAL = r"your dW_h uses the final state h_T at every step"


def conv(*mistakes):
    return StudentConv2d(**CONV, mistake=Mistakes(mistakes))


def rnn(*mistakes):
    return StudentRNN(3, 4, mistake=Mistakes(mistakes))


# (student, reference, input shape, {part: words of its hint}); a part not listed is right
CASES = {
    "flipped kernel and no bias": (lambda: conv("flipped", "no bias"), lambda: Conv2d(**CONV), (2, 2, 5, 5), {
        "forward A": f"two mistakes at once: {FLIPPED}.*; and {NO_BIAS}", "backward dX": FLIPPED,
        "backward dW": FLIPPED}),
    "flipped kernel and dW averaged": (lambda: conv("flipped", "mean dW"), lambda: Conv2d(**CONV), (2, 2, 5, 5), {
        "forward A": FLIPPED, "backward dX": FLIPPED,
        "backward dW": f"two mistakes at once: {FLIPPED}.*; and {MEAN_DW}"}),
    "transposed kernel and padding not cropped": (
        lambda: conv("transposed", "uncropped"), lambda: Conv2d(**CONV), (2, 2, 5, 5), {
            "forward A": "height and width axes swapped", "backward dW": "height and width axes swapped",
            "backward dX": r"two mistakes at once: the convolution with W's height and width axes swapped.*; and "
                           r"your dX has the shape of the padded input"}),
    "output size and no bias": (lambda: conv("no +1", "no bias"), lambda: Conv2d(**CONV), (2, 2, 5, 5), {
        # P = 1: the padding counted once gives the same size as the + 1 left out, and the hint names both
        "forward A": r"one of these mistakes \(each gives your values\): two mistakes at once: .*without the bias.*"
                     r"\(N_in \+ P - F\).*; or: two mistakes at once: .*\(N_in \+ 2P - F\) // S gives: the \+ 1 is "
                     r"missing"}),
    # on other parts: each its own
    "no bias, dB averaged": (lambda: StudentFC(4, 3, mistake=Mistakes(("no bias", "mean"))), lambda: FC(4, 3), (5, 4), {
        "forward A": NO_BIAS, "backward dB": "your dB is the expected one divided by 5"}),
    # a forward of the wrong size, and the backward's own mistake
    "output size, dW averaged": (lambda: conv("no +1", "mean dW"), lambda: Conv2d(**CONV), (2, 2, 5, 5), {
        "forward A": r"the \+ 1 is missing", "backward dW": MEAN_DW}),
    "a forward without W_h, dW_h with the final state": (
        lambda: rnn("no W_h", "final state"), lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3), {
            "forward A": "your states ignore the previous state",
            "backward dX": "your states ignore the previous state",
            "backward dW_x": "your states ignore the previous state", "backward dB": "your states ignore the previous",
            "backward dW_h": None}),
    # BPTT: two mistakes of the backward on one gradient
    "final state, no gradient through W_h": (
        lambda: rnn("final state", "no carry"), lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3), {
            "backward dX": "does not carry the gradient back", "backward dW_x": "does not carry the gradient back",
            "backward dB": "does not carry the gradient back",
            "backward dW_h": f"two mistakes at once: {FINAL}.*; and your backward does not carry"}),
    "derivative at h_(t-1), gradients assigned per step": (
        lambda: rnn("derivative at previous", "assigned"), lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3), {
            "backward dX": "derivative at the previous state",
            "backward dW_x": r"two mistakes at once: your backward takes tanh's derivative at the previous state.*; "
                             r"and your dW_x, dW_h and dB are those of the first time step only",
            # h_0 = 0: the first step's dW_h is 0 whatever the derivative, which the assignment alone gives
            "backward dW_h": "those of the first time step only", "backward dB": "two mistakes at once"}),
    # the BPTT of "リカレントニューラルネットワーク": dB = np.average(da), assigned at each step
    "the RNN document's dB": (lambda: rnn("assigned", "average dB"), lambda: SimpleRNN(3, 4, return_sequences=True), (2, 5, 3), {
        "backward dW_x": "those of the first time step only", "backward dW_h": "those of the first time step only",
        "backward dB": r"two mistakes at once: your dW_x, dW_h and dB are those of the first time step only.*; and "
                       r"your dB is a single number"}),
}


def _verdict(out, part):
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{part}: "))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"(forward|backward) \w+: ", lines[i])), len(lines))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("case", CASES)
def test_every_mistake_is_named(case, capsys):
    make_student, make_reference, shape, hints = CASES[case]
    X = rng.standard_normal(shape)
    with pytest.raises(AssertionError) as failed:
        check_layer(make_student(), make_reference(), X)
    out = capsys.readouterr().out
    assert set(re.findall(r"wrong: (.*) \(see above\)", str(failed.value))[0].split(", ")) == set(hints), out
    for part, words in hints.items():
        verdict = _verdict(out, part)
        assert (re.search(words, verdict) if words else "hint" not in verdict), verdict


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", CASES)
def test_a_graded_run_names_every_mistake_too(case, hidden, monkeypatch, tmp_path):
    make_student, make_reference, shape, hints = CASES[case]
    X = rng.standard_normal(shape)
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(make_reference(), make_reference(), X,
                                                                        own_code=False))
    got = graded_part(monkeypatch, "got", lambda: check_layer(make_student(), make_reference(), X))
    ok, lines = judged(expected, got, hidden=hidden)
    assert not ok
    for part, words in hints.items():
        verdict = next(line for line in lines if line.startswith(f"{part}: "))  # its words and its hint
        assert "OK" not in verdict.split("\n")[0], lines
        if words:
            words = re.sub(r"divided by \d", "divided by a count of the inputs", words) if hidden else words
            assert re.search(words, verdict), lines


def test_the_graded_kernel_draws_dA_with_the_right_shape_the_trusted_run_left(monkeypatch, tmp_path):
    """Where the graded kernel's sprintlib cannot tell the right A's shape (its output_shape is
    a model answer there), the trusted run's file tells it: a forward of the wrong size does
    not change the dA that the backward is checked with."""
    X = rng.standard_normal((2, 2, 5, 5))
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    expected = graded_part(monkeypatch, "expected", lambda: check_layer(Conv2d(**CONV), Conv2d(**CONV), X,
                                                                        own_code=False))
    assert [p.suffixes for p in tmp_path.iterdir()] == [[".A-shape", ".json"]]

    def removed(self, shape):
        raise RuntimeError("sprintlib's output_shape is a model answer: it does not run while grading")

    monkeypatch.setattr(Conv2d, "output_shape", removed)
    got = graded_part(monkeypatch, "got", lambda: check_layer(conv("no +1", "mean dW"), Conv2d(**CONV), X))
    ok, lines = judged(expected, got, hidden=False)
    assert not ok and re.search("backward dX: OK", "\n".join(lines)) and MEAN_DW in "\n".join(lines), lines


def test_a_backward_that_raises_after_a_wrong_forward_still_gets_the_forward_s_verdict(capsys):
    X = rng.standard_normal((2, 2, 5, 5))
    with pytest.raises(ValueError, match="a student's backward that fails"):
        check_layer(conv("no bias", "backward raises"), Conv2d(**CONV), X)
    out = capsys.readouterr().out
    assert out.startswith("forward A: wrong values") and f"hint: {NO_BIAS}"[:40] in out, out
