"""The rule of every hint (issue 24, item 5): a hint names a hypothesis only when that
hypothesis, applied to the expected values, gives the student's values within the tolerance,
and only where it makes sense (a bias only on the output of a layer with a bias, an output-size
formula only on an output size); otherwise the verdict says where the values differ and
guesses nothing.

Checked on many generated wrong answers: every claim a verdict makes is read back from its
words and tested on the arrays (``verify``); a verdict with words that no claim here reads
fails too, so that a new hint cannot slip past the rule. A hidden test's words carry no
number of the hidden inputs."""
import itertools
import re

import numpy as np
import pytest

from sprintlib import FC, Conv2d, MaxPool2D, SimpleRNN
from sprintlib.grading import check_array, check_layer, compare
from sprintlib.grading.comparison import _matches, _tolerance

# -- reading a verdict's claims back, and testing each on the arrays --------------------------
HEAD = re.compile(r"^(?P<name>.+?): (wrong values \(relative error \S+, tolerance \S+\)|expected shape \(.*?\), got "
                  r"\(.*?\)|wrong shape|expected \S.*?, got [^:]*|wrong values|expected integers.*|expected finite "
                  r"values, got \d+ NaN and \d+ inf|not finite \(NaN or inf\)|expected a numpy array.*|got None.*)")


def claims(first_line: str, name: str) -> list[str]:
    """The hints of a verdict's first line, split at their separators (": ", "; your result")."""
    rest = first_line[len(name) + 2:]
    m = HEAD.match(first_line)
    assert m, first_line
    rest = first_line[m.end():]
    return [c for c in re.split(r"(?:: (?=every value|the |1 (?:more|less)|a single|your result)|"
                                r"; (?=your result has dtype))", rest) if c]


def verify(claim: str, got: np.ndarray, e: np.ndarray, tol) -> None:
    """Assert that ``claim`` holds of ``got`` against ``e`` (a hint whose hypothesis does not
    give the values fails here), and that it is one this rule knows."""
    g, ef = np.asarray(got, np.float64), np.asarray(e, np.float64)
    informative = np.abs(ef) > tol.floor * (np.abs(ef).max() if ef.size else 0)
    if claim == "every value has the wrong sign":
        assert _matches(g, -ef, tol)
    elif m := re.fullmatch(r"every value is (\S+) times the expected one( \(a factor missing or extra\?\))?", claim):
        c = float(m.group(1))
        assert _matches(g, c * ef, tol), claim
        assert c not in (1.0, -1.0) and informative.sum() >= 2, claim  # one value is some factor times any other
        assert not _matches(ef, np.full(ef.shape, ef.flat[0]), tol), claim  # all alike: an amount added fits too
    elif claim in ("every value is the expected one times the same factor (a factor missing or extra?)",
                   "every value is the expected one times the same factor"):
        c = float(np.sum(g * ef) / np.sum(ef * ef))
        assert _matches(g, c * ef, tol) and informative.sum() >= 2, claim
    elif claim == "the values of the expected array with its last two axes swapped (a transpose too many?)":
        assert _matches(g, np.swapaxes(ef, -1, -2), tol)
    elif claim == "the right values in the wrong places (a reshape or transpose in the wrong order?)":
        assert _matches(np.sort(g, axis=None), np.sort(ef, axis=None), tol)
    elif claim == ("every value differs from the expected one by the same amount (a constant term missing or "
                   "added twice?)"):
        assert ef.size >= 2 and _matches(g, ef + (g - ef).mean(), tol)
        assert not _matches(ef, np.full(ef.shape, ef.flat[0]), tol)  # all alike: a factor fits as well
    elif m := re.fullmatch(r"every value differs from the expected one by an amount that depends only on its index "
                           r"along axis (\d+) \(a term per index of axis \1 missing or added twice\?\)", claim):
        axis = int(m.group(1))
        others = tuple(a for a in range(ef.ndim) if a != axis)
        assert 1 < ef.shape[axis] < ef.size
        assert _matches(g, ef + (g - ef).mean(axis=others, keepdims=True), tol)
    elif m := re.fullmatch(r"1 (more|less) than expected along (?:axis (\d+)|axes ([\d, ]+) and (\d+))", claim):
        d = 1 if m.group(1) == "more" else -1
        axes = [int(m.group(2))] if m.group(2) else [int(a) for a in m.group(3).split(", ")] + [int(m.group(4))]
        diff = np.subtract(g.shape, ef.shape)
        assert g.ndim == ef.ndim and all(diff[a] == d for a in axes) and set(np.flatnonzero(diff)) == set(axes)
    elif m := re.fullmatch(r"1 (more|less) than expected( in every entry)?", claim):
        assert np.array_equal(g - ef, np.full(ef.shape, 1 if m.group(1) == "more" else -1))
    elif claim == "the same sizes in another order (check the order of the axes)":
        assert sorted(g.shape) == sorted(ef.shape) and g.shape != ef.shape
    elif claim == "the right number of values in another shape":
        assert g.size == ef.size and g.shape != ef.shape
    elif m := re.fullmatch(r"a single number where an array (?:of shape \(.*\) )?is expected", claim):
        assert g.shape == () and ef.shape != ()
    elif m := re.fullmatch(r"a single number, the (sum|mean) of the expected values \(a \1 over every axis where some "
                           r"must stay\?\)", claim):
        assert _matches(g, np.asarray(getattr(ef, m.group(1))()), tol)
    elif m := re.fullmatch(r"the expected values with their axes in the order \(([\d, ]+?),?\) \(a transpose in the "
                           r"wrong order\?\)", claim):
        assert _matches(g, ef.transpose([int(a) for a in m.group(1).split(", ")]), tol)
    elif claim == "the expected values in their order, in another shape (a reshape too many or too few?)":
        assert g.size == ef.size and _matches(g, ef.reshape(g.shape), tol)
    elif m := re.fullmatch(r"your result has dtype (\w+); computed in integers, fractions are lost", claim):
        assert any(_matches(g, cut(ef), tol) for cut in (np.trunc, np.floor, np.round))
    elif m := re.fullmatch(r"your result has dtype (\w+) where floats are expected", claim):
        assert got.dtype.kind in "biu"
    elif m := re.fullmatch(r"your result has dtype (\w+), expected (\w+): \1 keeps about \d+ significant digits "
                           r"\(compute in \2, or leave the dtype as numpy makes it\)", claim):
        assert got.dtype.itemsize < e.dtype.itemsize
    else:
        raise AssertionError(f"a hint this rule does not know: {claim!r}")


def check_compare(name, got, expected, rtol=None):
    """compare() on one answer: every claim of its verdict, shown and hidden, holds; the
    hidden one carries no number but the relative error, the tolerance and axes."""
    expected = np.asarray(expected)
    c = compare(name, got, expected, rtol)
    if c.kind == "ok":
        return c
    tol = _tolerance(expected, rtol)
    got_arr = np.asarray(got)
    for words in (c.message, c.hidden_message):
        first = words.split("\n")[0]
        if c.kind == "integer values" and "\n" in words:  # arrays over several lines: the hint after the last
            first = f"{name}: wrong values" + words.rsplit("]", 1)[1]
        assert "bias" not in first and "N_in" not in first and "output size" not in first, first
        if c.kind in ("values", "shape", "integer values"):
            for claim in claims(first, name):
                verify(claim, got_arr, expected, tol)
    hidden = re.sub(r"relative error \S+, tolerance \S+|ax[ie]s [\d, and]+|order \([\d, ]+\)|dtype \w+|"
                    r"(float|int)\d+|1 (more|less) than|about \d+ significant digits|" + re.escape(name), "",
                    c.hidden_message)
    assert not re.search(r"\d", hidden), c.hidden_message
    return c


# -- many wrong answers -------------------------------------------------------------------------
SHAPES = [(1,), (2,), (3,), (2, 3), (3, 3), (4, 4), (2, 3, 4), (2, 2, 3, 3), (1, 3, 5, 5), (12,), (30,)]


def _wrong_answers(e, rng):
    """Wrong answers of every kind a student gives: noise of every size, one entry off, scaled,
    shifted, moved, with noise on top; the same with a few values alike."""
    yield e + rng.standard_normal(e.shape)
    yield e + 1e-3 * rng.standard_normal(e.shape)
    yield e * (1 + 3e-6)  # "1 times the expected one"
    yield e * (1 + 1e-4 * rng.standard_normal(e.shape))
    yield rng.standard_normal(e.shape)
    yield np.zeros(e.shape)
    yield np.full(e.shape, 0.4157)
    one = e.copy()
    one.flat[rng.integers(e.size)] += 1.0
    yield one
    for c in (-1.0, 0.5, 2.0, 0.4157, 1.0001, -3.0):
        yield c * e
        yield c * e + 1e-3 * rng.standard_normal(e.shape)
    for shift in (1.0, -0.3):
        yield e + shift
        yield e + shift + 1e-3 * rng.standard_normal(e.shape)
    if e.ndim >= 2:
        yield e + rng.standard_normal((1, e.shape[1]) + (1,) * (e.ndim - 2))
        yield np.swapaxes(e, -1, -2).reshape(e.shape)
    yield rng.permutation(e.ravel()).reshape(e.shape)
    yield np.round(e).astype(np.int64)
    yield np.floor(e).astype(np.int64) + 1
    yield e.astype(np.float32) * 1.01


def test_no_hint_on_a_wrong_answer_whose_values_it_does_not_give():
    rng = np.random.default_rng(24)
    n = 0
    for shape in SHAPES:
        for draw in range(4):
            e = rng.standard_normal(shape)
            if draw == 1:
                e = np.round(e * 2) / 2  # a few values alike
            if draw == 2:
                e = np.full(shape, 1.5)  # all alike: no factor and no amount can be told apart
            if draw == 3:
                e = np.where(rng.random(shape) < 0.7, 0.0, e)  # mostly zeros (a max-pool's dX)
            for got in _wrong_answers(e, rng):
                for rtol in (None, 1e-2):
                    check_compare("forward A", got, e, rtol)
                    n += 1
    assert n > 2000


def test_no_hint_on_a_wrong_shape_whose_values_it_does_not_give():
    rng = np.random.default_rng(5)
    for shape in SHAPES[3:]:
        e = rng.standard_normal(shape)
        answers = [np.transpose(e, order) for order in itertools.permutations(range(e.ndim))]
        answers += [e.reshape(-1), e.reshape(shape[::-1]), np.zeros(shape[::-1]), np.array(e.sum()),
                    np.array(e.mean()), np.array(0.5), e[..., :-1], np.zeros(tuple(n + 1 for n in shape)),
                    rng.standard_normal(shape[::-1]), e.sum(axis=0), e[None]]
        for got in answers:
            check_compare("backward dW", got, e)


def test_no_hint_on_sizes_whose_values_it_does_not_give():
    """Lists of sizes (a table of layers' output shapes), shape tuples with or without the batch
    axis, sizes one off: facts, never the output-size formula (compare cannot evaluate it)."""
    rng = np.random.default_rng(6)
    table = np.array([(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 14, 14), (16, 14, 14), (16, 7, 7),
                      (784, 0, 0), (120, 0, 0), (120, 0, 0), (84, 0, 0), (84, 0, 0), (10, 0, 0)])
    answers = [(table[:11], table), (np.vstack([table, table[-1:]]), table), (np.hstack([table, table[:, :1]]), table),
               (np.array([2, 6, 28, 28]), np.array([6, 28, 28])), (np.array([6, 28, 28]), np.array([2, 6, 28, 28])),
               (np.array([2, 10]), np.array([10])), (table + 1, table), (table - 1, table), (table * 2, table),
               (np.array(27), np.array(28)), (np.array(29), np.array(28)), (np.array([25, 25]), np.array([24, 24]))]
    for _ in range(50):
        e = rng.integers(1, 60, size=rng.integers(1, 4))
        answers += [(e + rng.integers(-1, 2, size=e.shape), e), (e + 1, e), (np.append(e, 1), e)]
    for got, e in answers:
        check_compare("output shapes", got, e)


# -- the cases --------------------------------------------------------------------------
def test_no_bias_on_dx():
    """"is the bias B missing?" on dX, which has no bias."""
    dx = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    for got in (dx + 0.5, dx + np.arange(3.0)[:, None, None]):
        with pytest.raises(AssertionError) as failed:
            check_array("backward dX", got, dx)
        assert "bias" not in str(failed.value)


class ShiftedDX:
    """An FC whose forward is right and whose dX is off by a constant."""

    def __init__(self, n1, n2):
        self.W, self.B = np.zeros((n1, n2)), np.zeros(n2)

    def forward(self, X):
        self.X = X
        return X @ self.W + self.B

    def backward(self, dA):
        self.dW, self.dB = self.X.T @ dA, dA.sum(axis=0)
        return dA @ self.W.T + 1.0


def test_no_bias_hint_on_a_layer_s_dx(capsys):
    with pytest.raises(AssertionError, match="wrong: backward dX"):
        check_layer(ShiftedDX(4, 3), FC(4, 3), np.random.default_rng(2).standard_normal((5, 4)))
    assert "bias" not in capsys.readouterr().out


def test_no_output_size_formula_on_a_list_of_layers_or_a_shape_with_the_batch_axis():
    table = np.array([(6, 28, 28)] * 12)
    for got, e in [(table[:11], table), (np.array((2, 6, 28, 28)), np.array((6, 28, 28))),
                   (np.array((1, 10)), np.array((10,)))]:
        with pytest.raises(AssertionError) as failed:
            check_array("output shapes", got, e)
        assert "N_in" not in str(failed.value) and "P pads" not in str(failed.value), failed.value


def test_no_factor_of_1():
    e = np.random.default_rng(3).standard_normal(10)
    with pytest.raises(AssertionError) as failed:
        check_array("A", e * (1 + 3e-6), e)
    assert not re.search(r"every value is 1 times", str(failed.value)), failed.value
    assert re.search(r"every value is 1\.000003 times the expected one\n", str(failed.value)), failed.value


def test_no_factor_for_a_single_value():
    """"0.4157 times the expected one" for a value that is not scaled at all: one value is some
    factor times any other."""
    for got, e in [([12.471], [30.0]), (12.471, 30.0), ([0.0, 0.0, 12.471], [0.0, 0.0, 30.0])]:
        with pytest.raises(AssertionError) as failed:
            check_array("delta_b", np.asarray(got), np.asarray(e))
        assert "times" not in str(failed.value) and "same amount" not in str(failed.value), failed.value


# -- the layers' known mistakes: named only on the values they give ----------------------------
class Noisy:
    """A layer that gives the reference's values, each part moved by ``change``."""

    def __init__(self, reference, change):
        self.reference, self.change = reference, change
        for n in reference.param_names:
            setattr(self, n, getattr(reference, n).copy())

    def forward(self, X):
        for n in self.reference.param_names:
            setattr(self.reference, n, getattr(self, n))
        return self.change(self.reference.forward(X))

    def backward(self, dA):
        dX = self.reference.backward(dA)
        for n in self.reference.param_names:
            setattr(self, "d" + n, self.change(getattr(self.reference, "d" + n)))
        return self.change(dX)


@pytest.mark.parametrize("make, shape", [(lambda: Conv2d(2, 3, 3, pad=1), (2, 2, 5, 5)),
                                         (lambda: MaxPool2D(3, 1), (2, 2, 5, 5)), (lambda: FC(4, 3), (5, 4)),
                                         (lambda: SimpleRNN(3, 4, return_sequences=True), (2, 4, 3))])
def test_no_known_mistake_is_named_on_noise(make, shape, capsys):
    rng = np.random.default_rng(8)
    X = rng.standard_normal(shape)
    changes = [lambda a: a + 1e-3 * rng.standard_normal(a.shape), lambda a: a * 1.5 + 1e-2,
               lambda a: rng.standard_normal(a.shape), lambda a: a + 0.1]
    for change in changes:
        with pytest.raises(AssertionError):
            check_layer(Noisy(make(), change), make(), X, own_code=False)
        out = capsys.readouterr().out
        assert "hint:" not in out, out
