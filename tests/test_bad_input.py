"""Bad input to the checks' and the plots' public functions (issue 24, item 15): each gets a
clear error that names what was expected and what came (never a raw NumPy or Python error, a
figure with nothing in it, or a pass), or the right result."""
import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from sprintlib import FC, Conv2d, SimpleRNN
from sprintlib.fast.threads import Policy, decide
from sprintlib.grading import (check_accuracy, check_array, check_bounds, check_function, check_gradients,
                               check_layer, hidden_images, hidden_rng, random_case)
from sprintlib.plotting import plot_feature_maps, plot_filters, plot_learning_curve
from students import StudentFC

matplotlib.use("Agg")

X01 = np.random.default_rng(0).random((20, 4))
Y = np.arange(20) % 3


# -- check_accuracy ---------------------------------------------------------------------------
@pytest.mark.parametrize("at_least, words", [
    (-0.5, "got -0.5"), (1.5, "got 1.5"), (50, r"got 50 \(a percentage\? write 0.5 for 50 %\)"),
    (float("nan"), "got nan"), ("0.5", "got '0.5'"), (True, "got True"), (None, "got None")])
def test_check_accuracy_takes_a_share_in_0_1(at_least, words):
    """at_least=-0.5 passed 0 % right: a share outside [0, 1] is the test's mistake."""
    with pytest.raises(ValueError, match=r"check_accuracy expects at_least to be a share of right labels in "
                                         r"\[0, 1\], " + words):
        check_accuracy("labels", np.zeros(4, int), np.ones(4, int), at_least=at_least)


@pytest.mark.parametrize("y_true, words", [
    (np.zeros(0, int), r"as class labels of shape \(N,\) with N >= 1, got shape \(0,\)"),
    (np.eye(4, dtype=int), r"as class labels .* got shape \(4, 4\) \(one-hot rows\? pass np.argmax\(y, axis=1\)\)"),
    ([[0], [0, 1]], "as an array of numbers, got a ragged list"),
    (np.array(["a", "b"]), "as class labels .* got dtype <U1")])
def test_check_accuracy_names_bad_true_labels(y_true, words):
    with pytest.raises(ValueError, match="check_accuracy expects y_true " + words):
        check_accuracy("labels", np.zeros(4, int), y_true, at_least=0.5)


def test_check_accuracy_at_the_bounds_of_the_share(capsys):
    check_accuracy("labels", np.zeros(4, int), np.ones(4, int), at_least=0)
    check_accuracy("labels", np.ones(4, int), np.ones(4, int), at_least=1)
    assert capsys.readouterr().out.count("labels: accuracy") == 2


# -- check_bounds ----------------------------------------------------------------------------
@pytest.mark.parametrize("values", [
    [np.array(2.0), np.array(1.0)], [np.float32(2.0), np.float64(1.0)], [np.array([2.0]), np.array([[1.0]])],
    (2, 1.5), np.array([2.0, 1.0])], ids=["0-d arrays", "numpy scalars", "arrays of one number", "tuple", "array"])
def test_check_bounds_takes_a_history_of_single_numbers(values, capsys):
    """A loss computed as np.mean(...) is a 0-d array: a list of them is a history."""
    check_bounds("loss", values, below=3, decreasing=True)
    assert capsys.readouterr().out == "loss: OK [2.  1.5]\n" if len(values) == 2 and values[1] == 1.5 else True


@pytest.mark.parametrize("values, words", [
    ({"loss": [2.0, 1.0]}, r"got a dict \(pass one of its lists, e.g. history\['loss'\]\)"),
    ([[1.0, 2.0], [1.0]], "got a list holding list where a number was expected"),
    ([np.array([1.0, 2.0])], r"got a list holding an array of shape \(2,\) where a number was expected"),
    ((v for v in [2.0, 1.0]), "got generator"), ([], "at least one number, got none")])
def test_check_bounds_names_what_is_no_history(values, words):
    with pytest.raises(AssertionError, match=r"loss: expected .*" + words):
        check_bounds("loss", values)


@pytest.mark.parametrize("below", [float("nan"), "3", True])
def test_check_bounds_takes_a_number_as_bound(below):
    with pytest.raises(ValueError, match="check_bounds expects below to be a number, got"):
        check_bounds("loss", [2.0, 1.0], below=below)


# -- check_array, check_function, check_layer, check_gradients ----------------------------------
@pytest.mark.parametrize("rtol", [-1, float("nan"), float("inf"), "1e-3", True])
def test_rtol_is_a_number_at_least_0_in_every_check(rtol):
    e = np.arange(3.0)
    for check, call in [("check_array", lambda: check_array("a", e, e, rtol=rtol)),
                        ("check_function", lambda: check_function(np.sin, np.sin, e, rtol=rtol, own_code=False)),
                        ("check_layer", lambda: check_layer(StudentFC(2, 2), FC(2, 2), np.ones((2, 2)), rtol=rtol)),
                        ("check_gradients", lambda: check_gradients(StudentFC(2, 2), (1, 2), rtol=rtol))]:
        with pytest.raises(ValueError, match=f"{check} expects rtol to be a number >= 0, got"):
            call()


@pytest.mark.parametrize("expected, words", [
    ([[1.0, 2.0], [3.0]], "as an array of numbers, got a ragged list"), ("abc", "to hold numbers, got str"),
    (None, "to hold numbers, got NoneType"), (np.array([np.nan, 1.0]), "to hold finite values, got 1 NaN and 0 inf")])
def test_check_array_names_a_bad_expected_value(expected, words):
    with pytest.raises(ValueError, match="check_array expects expected " + words):
        check_array("a", np.zeros(2), expected)


def test_check_function_copies_list_arguments(capsys):
    """A right answer that changes the list it is given (pop, append, sort) does not change
    what the reference gets."""
    def largest(sizes):
        sizes.sort()
        return sizes.pop()

    check_function(largest, lambda sizes: max(sizes), [3, 9, 4], name="largest", own_code=False)
    check_function(lambda d: d.pop("a"), lambda d: d["a"], {"a": 2}, name="a", own_code=False)
    check_function(lambda t: t[0].pop(), lambda t: t[0][-1], ([1, 2],), name="last", own_code=False)
    assert capsys.readouterr().out == "largest: OK\na: OK\nlast: OK\n"


def test_check_function_names_what_is_no_function():
    with pytest.raises(AssertionError, match=r"your output_size is not a function: got int"):
        check_function(5, np.sin, 1.0, name="output_size")
    with pytest.raises(ValueError, match="check_function expects reference_fn to be a function, got NoneType"):
        check_function(np.sin, None, 1.0)


@pytest.mark.parametrize("reference, words", [
    (object(), "got object"), (FC, r"got the class FC \(create one: FC\(\.\.\.\)\)")])
def test_check_layer_names_a_reference_that_is_no_layer(reference, words):
    with pytest.raises(ValueError, match="check_layer expects reference to be a sprintlib layer such as "
                                         r"Conv2d\(1, 2, 3\), " + words):
        check_layer(StudentFC(2, 2), reference, np.ones((2, 2)))


@pytest.mark.parametrize("kwargs, words", [
    (dict(X=[[1.0, 2.0], [3.0]]), "check_layer expects X as an array of numbers, got a ragged list"),
    (dict(X=np.ones((2, 2)), dA=[[1.0], [1.0, 2.0]]), "check_layer expects dA as an array of numbers, got a ragged"),
    (dict(X=np.array([["a", "b"]])), "check_layer expects X to hold numbers, got an array of dtype <U1"),
    (dict(X=np.ones((2, 2)), seed="a"), "check_layer expects seed to be an integer >= 0, got 'a'"),
    (dict(X=np.ones((2, 2)), seed=-1), "check_layer expects seed to be an integer >= 0, got -1"),
    (dict(X=np.array([[np.nan, 1.0]])), "check_layer expects X to hold finite values, got 1 NaN and 0 inf"),
    (dict(X=np.ones((2, 2)), dA=np.full((2, 2), np.inf)), "check_layer expects dA to hold finite values, got 0 NaN")])
def test_check_layer_names_bad_inputs(kwargs, words):
    with pytest.raises(ValueError, match=words):
        check_layer(StudentFC(2, 2), FC(2, 2), **kwargs)


@pytest.mark.parametrize("X, words", [
    ((-1, 2), r"X as an array or a shape \(a tuple of sizes >= 1\), got \(-1, 2\)"),
    ((2.5,), r"X as an array or a shape .* got \(2.5,\)"),
    ([[1.0, 2.0], [3.0]], "X as an array of numbers, got a ragged list"),
    (np.array([[1.0, np.nan]]), "X to hold finite values, got 1 NaN and 0 inf")])
def test_check_gradients_names_bad_inputs(X, words):
    with pytest.raises(ValueError, match="check_gradients expects " + words):
        check_gradients(StudentFC(2, 2), X)


# -- a ragged list given to a layer ------------------------------------------------------------
@pytest.mark.parametrize("make, X", [(lambda: FC(3, 2), [[1, 2, 3], [1, 2]]),
                                     (lambda: FC(3, 2), [[1, 2, 3], [1, 2, [3]]]),
                                     (lambda: Conv2d(1, 1, 1), [[[[1.0]]], [[[1.0, 2.0]]]]),
                                     (lambda: SimpleRNN(1, 2), [[[1.0]], [[1.0], [2.0]]])])
def test_a_ragged_list_is_named_by_the_layer(make, X):
    layer = make()
    with pytest.raises(ValueError, match=f"{layer.name} expects X as an array of numbers, got a ragged list") as e:
        layer.forward(X)
    assert "inhomogeneous" not in str(e.value)


def test_a_ragged_dA_is_named_by_the_layer():
    layer = FC(3, 2)
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="FC expects dA as an array of numbers, got a ragged list "
                                         r"\(entries of different lengths: 2, 1;"):
        layer.backward([[1.0, 2.0], [1.0]])


# -- the hidden tests' inputs -----------------------------------------------------------------
@pytest.mark.parametrize("X, words", [
    (X01 * 255, r"pixels in \[0, 1\], got values from 0\.\d+ to 2\d\d\.\d+ \(on the 0\.\.255 scale\? divide by 255"),
    ((X01 * 255).astype(np.uint8), r"pixels in \[0, 1\], got values from \d+ to \d+ \(on the 0\.\.255 scale"),
    (X01 - 0.5, r"pixels in \[0, 1\], got values from -0\.\d+ to 0\.\d+$"),
    (np.where(X01 > 0.9, np.nan, X01), r"finite pixels in X, got \d+ NaN and 0 inf"),
    (np.full((20, 4), "a"), "X as images"), ([[0.5], [0.5, 0.5]] * 10, "X as an array of numbers, got a ragged")])
def test_hidden_images_refuses_pixels_it_would_clip_or_pass_through(X, words):
    """On the 0..255 scale clipping to [0, 1] made every image white; NaN went through."""
    with pytest.raises(ValueError, match="hidden_images expects " + words):
        hidden_images("case", X, Y)


@pytest.mark.parametrize("kwargs, words", [
    (dict(n=0), "n to be an integer >= 1, got 0"), (dict(n=5.5), "n to be an integer >= 1, got 5.5"),
    (dict(n=21), "X and y with the same number of rows, at least n = 21, got 20 and 20"),
    (dict(noise=-0.1), r"noise to be a number in \[0, 1\]"),
    (dict(noise=float("nan")), "noise to be a number"), (dict(y=np.zeros((20, 3))), r"y as labels of shape \(N,\)")])
def test_hidden_images_names_bad_arguments(kwargs, words):
    args = dict(X=X01, y=Y) | kwargs
    with pytest.raises(ValueError, match="hidden_images expects " + words):
        hidden_images("case", **args)


def test_hidden_images_of_good_pixels_stay_in_0_1():
    X, y = hidden_images("case", X01, Y, n=10)
    assert X.shape == (10, 4) and 0 <= X.min() and X.max() <= 1 and np.isfinite(X).all()


def test_random_case_names_what_is_no_generator():
    with pytest.raises(ValueError, match="random_case expects rng to be a numpy Generator"):
        random_case("fc", 3)
    assert random_case("fc", hidden_rng("x"))["input_shape"]


# -- the number of threads --------------------------------------------------------------------
def test_a_huge_thread_count_is_cut_and_says_so():
    """SPRINTLIB_NUM_THREADS=99999 was reported as 99999 threads; the BLAS ran 64."""
    policy = decide({"SPRINTLIB_NUM_THREADS": "99999"}, cpus=2, blas_threads=2, limit=8)
    assert policy == Policy(8, 8, "SPRINTLIB_NUM_THREADS=99999, cut to 8: the most threads this machine and "
                                  "its BLAS run")
    assert decide({"SPRINTLIB_NUM_THREADS": "3"}, cpus=2, blas_threads=2, limit=8).threads == 3


def test_the_policy_reports_the_threads_the_blas_really_runs():
    code = ("import sprintlib.fast.threads as t; p = t.policy()\n"
            "with t.blas_threads(p.threads): print(p.threads, t._get(), p.reason)")
    env = {**os.environ, "SPRINTLIB_NUM_THREADS": "99999"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    threads, blas, *reason = out.stdout.split()
    assert threads == blas and int(threads) <= (os.cpu_count() or 1), out.stdout
    assert "cut to" in " ".join(reason)


# -- the plots ------------------------------------------------------------------------------
@pytest.mark.parametrize("history, words", [
    ({}, "got an empty dict"), ({"loss": [], "accuracy": []}, r"got \{'loss': 0 epochs, 'accuracy': 0 epochs\}"),
    ({"los": [1.0]}, r"got \{'los': 1 epochs\}"), ({"loss": 0.5}, r"got history\['loss'\] of shape \(\)"),
    ({"loss": ["a"]}, r"got history\['loss'\] of dtype <U1"), ({"loss": [[1.0, 2.0]]}, r"of shape \(1, 2\)"),
    (None, "got NoneType"), ({"loss": [[1.0], [2.0, 3.0]]}, r"history\['loss'\] as an array of numbers, got a ragged")])
def test_plot_learning_curve_refuses_a_history_without_epochs(history, words):
    """{} drew an empty figure."""
    with pytest.raises(ValueError, match="plot_learning_curve expects .*" + words):
        plot_learning_curve(history)


def test_plot_learning_curve_draws_what_there_is():
    fig = plot_learning_curve({"loss": [2.0, np.nan, 1.0], "val_loss": np.array([2.5, 2.0])})
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [3, 2]


def test_one_nan_weight_does_not_blank_every_filter():
    W = np.random.default_rng(1).standard_normal((3, 1, 3, 3))
    W[1, 0, 1, 1] = np.nan
    fig = plot_filters(W)
    limits = {tuple(ax.images[0].get_clim()) for ax in fig.axes if ax.images}
    top = float(np.nanmax(np.abs(W[:, 0])))
    assert limits == {(-top, top)}
    assert [ax.get_title() for ax in fig.axes if ax.images][1] == "filter 1 (1 not finite)"


@pytest.mark.parametrize("W, words", [
    (np.zeros((0, 1, 3, 3)), r"got shape \(0, 1, 3, 3\)"), (np.zeros((3, 3)), r"got shape \(3, 3\)"),
    (np.zeros((2, 0, 3)), r"\(C_out, C_in, F\) \(a Conv1d's\) .* got shape \(2, 0, 3\)"),
    (np.full((2, 1, 3, 3), "a"), "of dtype <U1"), ([[[[1]]], [[[1, 2]]]], "W as an array of numbers")])
def test_plot_filters_names_bad_weights(W, words):
    with pytest.raises(ValueError, match="plot_filters expects .*" + words):
        plot_filters(W)


@pytest.mark.parametrize("args, words", [
    (([], np.zeros((1, 8, 8))), r"layers as a non-empty list of layers \(model.layers\), got \[\]"),
    (([Conv2d(1, 2, 3)], np.zeros((8, 8))), r"image of shape \(C, H, W\).*got shape \(8, 8\).*image\[None\]"),
    (([Conv2d(1, 2, 3)], np.zeros((1, 8, 8)), 0), "n_layers to be an integer >= 1, got 0"),
    (([Conv2d(1, 2, 3)], np.zeros((1, 8, 8)), None, 0), "max_maps to be an integer >= 1, got 0")])
def test_plot_feature_maps_names_bad_arguments(args, words):
    with pytest.raises(ValueError, match="plot_feature_maps expects " + words):
        plot_feature_maps(*args)


class NoForward:
    def __init__(self):
        self.W, self.B = np.zeros((2, 2)), np.zeros(2)


@pytest.mark.parametrize("student, words", [
    (StudentFC, r"your layer is the class StudentFC itself: create one, StudentFC\(\.\.\.\), and pass that"),
    (NoForward(), r"your layer \(NoForward\) has no method forward and no method backward"),
    (object(), r"your layer \(object\) has no method forward")])
def test_a_student_layer_that_is_no_layer_is_named(student, words):
    with pytest.raises(AssertionError, match=words):
        check_layer(student, FC(2, 2), np.ones((2, 2)))
    with pytest.raises(AssertionError, match=words):
        check_gradients(student, (1, 2))


def test_show_source_names_what_has_no_source():
    from sprintlib.grading import show_source

    with pytest.raises(ValueError, match="show_source expects a class or a function such as sprintlib.Conv2d, got int"):
        show_source(5)
