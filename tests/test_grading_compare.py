"""sprintlib.grading.compare: the verdict on an answer as data (kind, message, hidden message,
error), so that the grading engine need not read its own words back.

On many generated answers (right ones, shapes one too long or short along an axis, values
scaled, shifted or moved, NaN and inf, float32 and integer results, None and other things
that are not arrays, output sizes off by one) ``message`` and ``err`` are what
``_array_problem`` returns, and ``hidden_message`` is what the grader used to make of that
message for a hidden test by reading its words (``hidden_wording`` below, autograder/runner.py
up to commit 8a7e291): compare gives the same words from the data."""
import dataclasses
import itertools
import re

import numpy as np
import pytest

from sprintlib import grading
from sprintlib._checks import format_shape
from sprintlib.grading import Comparison, compare
from sprintlib.grading.comparison import KINDS
from sprintlib.grading.values import _Absent


class runner:  # noqa: N801 - the old grader's function, under its old module's name
    """The wording of a hidden check as the grader derived it from the message text, before
    compare existed: the oracle that hidden_message must agree with."""

    @staticmethod
    def hidden_wording(name: str, problem: str, got_shape: tuple, expected_shape: tuple) -> str:
        """What is wrong with a hidden check, without a value or a shape of it: the kind of
        mistake, the relative error and a hint that quotes no number of the hidden inputs."""
        first = problem.split("\n")[0]
        if "wrong values (relative error" in first and "expected [" not in first:
            # the factor may be a count of the hidden inputs (1/N for a mean over N samples): not shown
            return re.sub(r"every value is \S+ times the expected one", "every value is the expected one times the "
                                                                        "same factor", first)
        if "expected shape" in first:  # what follows the shapes, without the expected shape
            hint = first.split(f"got {format_shape(got_shape)}", 1)[1]
            return f"{name}: wrong shape" + hint.replace(f" of shape {format_shape(expected_shape)}", "")
        if "expected finite values" in first:
            return f"{name}: not finite (NaN or inf)"
        if "expected integers" in first:
            return f"{name}: expected integers (/ gives floats: use // or int())"
        for word in ("more", "less"):  # _off_by_one's fact: no number of the inputs
            if f": 1 {word} than expected" in first:
                return f"{name}: wrong values" + first[first.index(f": 1 {word} than expected"):]
        return f"{name}: wrong values"


def _float_cases():
    """(name, got, expected, the kind compare should find) for float expected arrays."""
    rng = np.random.default_rng(7)
    for shape in [(), (1,), (3,), (2, 3), (3, 3), (2, 3, 4), (1, 2, 3, 3), (20,), (2, 2, 4, 4)]:
        e = rng.standard_normal(shape)
        yield "forward A", e.copy(), e, "ok"
        yield "forward A", e * (1 + 1e-9), e, "ok"
        yield "backward dX", None, e, "not numbers"
        yield "backward dX", e.reshape(-1).tolist(), e, "not numbers"
        yield "backward dX", np.full(shape, "x"), e, "not numbers"
        yield "backward dW", _Absent("no attribute dW"), e, "not numbers"
        for factor in (2.0, -1.0, 0.5, 1.001):
            yield "backward dW", factor * e, e, "values" if e.size else "ok"
        yield "backward dB", e + 1, e, "values" if e.size else "ok"
        if e.ndim >= 2:  # one constant a channel: a bias
            yield "forward A", e + np.arange(shape[1]).reshape((1, -1) + (1,) * (e.ndim - 2)), e, "values"
            yield "forward A", e.sum(axis=0), e, "shape"
            yield "forward A", np.swapaxes(e, -1, -2), e, "values" if shape[-1] == shape[-2] else "shape"
        if e.size > 1:
            yield "forward A", np.sort(e, axis=None).reshape(shape), e, "values"
            yield "forward A", e.reshape(-1), e, "ok" if e.ndim == 1 else "shape"
            bad = e.copy()
            bad.flat[0] = np.nan
            yield "forward A", bad, e, "not finite"
            bad.flat[-1] = np.inf
            yield "forward A", bad.astype(np.float32), e, "not finite"
        yield "forward A", e.astype(np.float32) * 1.01, e, "values" if e.size else "ok"
        yield "forward A", e.astype(np.float32), e, "ok"
        yield "forward A", np.round(e).astype(np.int64), e, "values" if e.size else "ok"
        yield "forward A", np.float64(1.5), e, "ok" if shape == () and e == 1.5 else ("values" if shape == () else "shape")
        # one too long or too short along each axis, and along all of them
        for axis in range(e.ndim):
            for d in (1, -1):
                wrong = list(shape)
                wrong[axis] += d
                yield "forward A", np.zeros(wrong), e, "shape"
        if e.ndim:
            for d in (1, -1, 2):
                yield "forward A", np.zeros(tuple(max(n + d, 0) for n in shape)), e, "shape"
            yield "forward A", np.zeros(shape[::-1] + (1,)), e, "shape"
    e32 = rng.standard_normal((4, 5)).astype(np.float32)
    yield "forward A", e32 * 1.1, e32, "values"
    yield "forward A", e32.astype(np.float16), e32, "values"
    yield "forward A", e32.astype(np.float64), e32, "ok"


def _integer_cases():
    """Sizes and counts: exact integers."""
    for expected in [np.array(7), np.array([5, 9]), np.array([[3, 4], [5, 6]]), np.arange(1, 40)]:
        yield "output_size", expected.copy(), expected, "ok"
        for d in (1, -1):
            yield "output_size", expected + d, expected, "integer values"
        yield "output_size", expected * 2, expected, "integer values"
        yield "output_size", expected.astype(np.float64), expected, "integer dtype"
        yield "output_size", expected.astype(np.float64) + 0.5, expected, "integer dtype"
        yield "output_size", expected > 4, expected, "integer dtype"
        yield "output_size", np.full(expected.shape, np.nan), expected, "integer dtype"
        yield "output_size", expected.astype(np.uint8) + 1, expected, "integer values"
        yield "output_size", None, expected, "not numbers"
        yield "output_size", np.append(expected, 1), expected, "shape"
    yield "output_size", 13, np.array(13), "ok"
    yield "output_size", 12, np.array(13), "integer values"
    yield "output_size", 13.0, np.array(13), "integer dtype"
    yield "sizes[1]", (6, 6), np.array(6), "not numbers"


CASES = list(itertools.chain(_float_cases(), _integer_cases()))


def _shape(got):
    """The shape the grader passes hidden_wording (that of the array it decoded)."""
    return np.shape(got) if isinstance(got, (np.ndarray, np.generic, int, float)) else ()


def test_the_cases_cover_every_kind():
    assert {kind for *_, kind in CASES} == set(KINDS)
    assert len(CASES) > 250


@pytest.mark.parametrize("rtol", [None, 1e-2])
def test_compare_says_what_array_problem_and_hidden_wording_say(rtol):
    for name, got, expected, kind in CASES:
        c = compare(name, got, expected, rtol)
        assert isinstance(c, Comparison)
        assert c.kind == kind or rtol is not None and (kind, c.kind) == ("values", "ok"), (name, got, expected, c)
        assert (c.message, c.err) == grading._array_problem(name, got, expected, rtol)
        if c.kind == "ok":
            assert c.message is None and c.hidden_message is None
            continue
        assert c.hidden_message == runner.hidden_wording(name, c.message, _shape(got), np.shape(expected)), c
        assert (c.err is not None) == (c.kind == "values")


def test_compare_with_the_grader_s_tolerance():
    """runner.py's judge passes the trusted run's recorded tolerance as ``tol``."""
    e = np.random.default_rng(3).standard_normal((3, 4))
    for tol in [grading.Tolerance(1e-6, 1e-3), grading.Tolerance(1e-2, 1e-1), grading.NUMERICAL]:
        for got in [e, e * (1 + 1e-4), e * 1.05, e + 0.01, e.astype(np.float32)]:
            c = compare("backward dW", got, e, tol=tol)
            assert (c.message, c.err) == grading._array_problem("backward dW", got, e, tol=tol)
            if c.message:
                assert c.hidden_message == runner.hidden_wording("backward dW", c.message, got.shape, e.shape)


def test_a_hidden_verdict_shows_no_value():
    e = np.array([1.25, -3.5, 2.75])
    c = compare("forward A", e * 3, e)
    assert c.kind == "values" and "3.75" in c.message and "3.75" not in c.hidden_message
    assert c.hidden_message.startswith("forward A: wrong values (relative error 2.0e+00, tolerance 1e-06)")
    c = compare("output_size", np.array([6, 8]), np.array([5, 7]))
    assert c.kind == "integer values" and "[5 7]" in c.message
    assert c.hidden_message == "output_size: wrong values: 1 more than expected in every entry"
    c = compare("forward A", np.zeros((2, 3, 5, 5)), np.zeros((2, 3, 4, 4)))
    assert c.hidden_message == "forward A: wrong shape: 1 more than expected along axes 2 and 3"
    c = compare("backward dB", e / 50, e)  # a mean over 50 samples: the factor would show the 50
    assert "every value is 0.02 times" in c.message and "0.02" not in c.hidden_message
    assert c.hidden_message.endswith("every value is the expected one times the same factor (a factor missing or extra?)")
    c = compare("backward dB", np.array(e.sum()), e)
    assert c.hidden_message == "backward dB: wrong shape: a single number, the sum of the expected values (a sum over " \
                               "every axis where some must stay?)"


def test_compare_reads_no_words():
    """The kind comes from the data: a name that reads like another verdict changes nothing
    (hidden_wording, which reads the message, would take it for a shape)."""
    e = np.arange(4.0)
    c = compare("expected shape", e + 1, e)
    assert c.kind == "values" and c.hidden_message.startswith("expected shape: wrong values (relative error")


def test_a_comparison_is_frozen():
    c = compare("A", np.ones(2), np.ones(2))
    assert (c.kind, c.message, c.hidden_message) == ("ok", None, None) and c.err == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.kind = "values"
