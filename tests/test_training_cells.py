"""The training cells of sprints 1 to 4 (issue 24, items 11 and 13).

Item 11: a right answer written as plain loops (tests/loop_answers.py: loops over the samples and
the output positions, NumPy over the channels, as the course documents' students write them)
trains the graded run's model within the cell limit and gets every point of the training
problem; the model answers' graded run clears the accuracy floor by a margin. In sprints 3 and 4
every cell of the graded notebook runs with the loop answers (sprint 2's layers of the student's
own in sprint 3's LeNet; an RNN that loops over the samples and the time steps in sprint 4)
within the CPU budget (autograder/grade.py gives sprint 3's every point:
tests/test_graded_later_sprints.py). Item 13: the
learning curve has a point a batch, and the filters and feature maps of a student's own layers
are drawn, from the history and the layers the notebooks' cells hand them.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_cells import cells, graded_environment
from loop_answers import SOURCES, LoopConv1d, LoopConv2d, LoopMaxPool2D, LoopSimpleRNN
from sprintlib.plotting import plot_feature_maps_1d, plot_filters, plot_learning_curve

#: sprint -> its training problem's test cell; the accuracy floor of a graded run
TRAINING = {"sprint1_conv1d": "p8_test", "sprint2_conv2d": "p7_test"}
FLOOR = 0.65
#: CPU seconds the loop answers' training cell and test cell may take here (measured: about 5 and
#: 6 s in sprint 1, 7 and 7 s in sprint 2, on one core of a quiet machine; 16.6 s for sprint 2's
#: test cell, with its short 3-epoch run, inside a full `make test` on the 2-core AVX2 machine,
#: where both workers and their kernels share the cores); the cell limit is 30 s of wall time
CPU_BUDGET = 20


def _graded_run(assignment, loops: bool):
    """The notebook's cells up to its training problem's test cell, as a graded kernel runs
    them (NBGRADER_EXECUTION set), with the loop answers appended to theirs when ``loops``;
    then that test cell, visible and hidden parts. Returns (its output, {cell: CPU seconds})."""
    import contextlib
    import io

    ns, seconds, out = {}, {}, io.StringIO()
    for cell in cells(assignment):
        if cell.kind == "test" and cell.grade_id != TRAINING[assignment]:
            continue
        source = cell.source + ("\n" + SOURCES[assignment][cell.grade_id] if loops and cell.grade_id in
                                SOURCES[assignment] else "")
        source = source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")
        start = time.process_time()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), ns)
        plt.close("all")
        if "model.fit(" in source or cell.grade_id == TRAINING[assignment]:
            seconds[cell.grade_id or "training"] = time.process_time() - start
        if cell.grade_id == TRAINING[assignment]:
            return out.getvalue(), seconds, ns
    raise AssertionError(f"no {TRAINING[assignment]} in {assignment}")


@pytest.mark.parametrize("assignment", sorted(TRAINING))
def test_a_loop_answer_trains_in_time_and_keeps_every_point(assignment, monkeypatch):
    """And the cells after the training run draw its learning curve, and find the student's
    convolution to draw its filters and feature maps (item 13)."""
    import sprintlib.plotting as plotting

    drawn = []
    for name in ("plot_filters", "plot_feature_maps", "plot_feature_maps_1d", "plot_learning_curve"):
        monkeypatch.setattr(plotting, name, lambda *a, _real=getattr(plotting, name), _name=name, **k:
                            drawn.append(_name) or _real(*a, **k))
    with graded_environment(monkeypatch):
        out, seconds, ns = _graded_run(assignment, loops=True)
    maps = "plot_feature_maps_1d" if assignment.startswith("sprint1") else "plot_feature_maps"
    assert drawn.count("plot_learning_curve") == 1 and drawn.count("plot_filters") == 1, drawn
    assert drawn.count(maps) == (1 if assignment.startswith("sprint1") else 2), drawn
    # the loop answers are the classes the model answer's classifier was built from
    assert type(ns["model"]).__name__.startswith("Scratch")
    built = {type(v).__name__ for v in vars(ns["model"]).values()} | {
        type(layer).__name__ for layer in getattr(ns["model"], "layers", [])}
    assert "Conv1d" in built or "Conv2d" in built
    assert ns["Conv1d" if assignment.startswith("sprint1") else "Conv2d"].forward.__code__.co_filename == \
        f"<{assignment} {'p4_solution' if assignment.startswith('sprint1') else 'p1_solution'}>"
    accuracies = [float(a) / 100 for a in __import__("re").findall(r"accuracy ([\d.]+)%", out)]
    assert len(accuracies) == 3 and min(accuracies) >= FLOOR + 0.05, out
    assert max(seconds.values()) < CPU_BUDGET, seconds


def test_the_loop_answers_are_right():
    """Each against sprintlib's layer on a batch, with padding (and a stride where it has one)."""
    import sprintlib
    from sprintlib.grading import check_layer

    rng = np.random.default_rng(0)
    check_layer(LoopConv1d(2, 3, 3, stride=2, pad=1), sprintlib.Conv1d(2, 3, 3, stride=2, pad=1),
                rng.standard_normal((2, 2, 9)), own_code=False)
    check_layer(LoopConv1d(2, 3, 3, pad=1), sprintlib.Conv1d(2, 3, 3, pad=1), rng.standard_normal((2, 7)),
                own_code=False)
    check_layer(LoopConv2d(2, 3, 3, stride=2, pad=1), sprintlib.Conv2d(2, 3, 3, stride=2, pad=1),
                rng.standard_normal((2, 2, 7, 7)), own_code=False)
    check_layer(LoopMaxPool2D(3, 2), sprintlib.MaxPool2D(3, 2), rng.standard_normal((2, 2, 7, 7)), own_code=False)


def test_the_loop_rnn_is_right():
    """Forward and backward against sprintlib's SimpleRNN (every state returned), on a batch."""
    import sprintlib
    from sprintlib import XavierInitializer
    from sprintlib.grading import check_layer

    X = np.random.default_rng(1).standard_normal((3, 5, 4))
    check_layer(LoopSimpleRNN(4, 6, XavierInitializer(random_state=0)),
                sprintlib.SimpleRNN(4, 6, initializer=XavierInitializer(random_state=0), return_sequences=True), X,
                own_code=False)


# -- sprints 3 and 4: every graded cell with the loop answers ---------------------------------------
LATER = ("sprint3_lenet", "sprint4_rnn")
#: where the loop answers go, and the object of the graded run that must hold them
LOOPS_IN = {"sprint3_lenet": ("p1_solution", lambda ns: ns["net"].layers[0]),
            "sprint4_rnn": ("rnn_solution", lambda ns: ns["model"].rnn)}


def _whole_graded_run(assignment) -> tuple[dict, dict]:
    """Every code cell of the notebook in order, as a graded kernel runs them (NBGRADER_EXECUTION
    set), the loop answers appended to the model answers, each test cell's visible and hidden
    parts: a failing check raises. Returns ({cell: CPU seconds}, the namespace)."""
    import contextlib
    import io

    ns, seconds = {}, {}
    for i, cell in enumerate(cells(assignment)):
        source = cell.source + ("\n" + SOURCES[assignment][cell.grade_id] if cell.grade_id in SOURCES[assignment] else "")
        source = source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")
        start = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), ns)
        plt.close("all")
        seconds[cell.grade_id or f"cell {i}"] = time.process_time() - start
    return seconds, ns


@pytest.mark.parametrize("assignment", LATER)
def test_every_graded_cell_of_sprints_3_and_4_runs_the_loop_answers_in_time(assignment, monkeypatch):
    """Measured: sprint 3's Problem 3 test 10-11 s of one core, its two training cells 4.5 and 6 s;
    sprint 4's cells 4.5 s at most (the notebooks' tables)."""
    with graded_environment(monkeypatch):
        seconds, ns = _whole_graded_run(assignment)
    cell, held = LOOPS_IN[assignment]
    assert type(held(ns)).forward.__code__.co_filename == f"<{assignment} {cell}>"  # the loops ran
    slowest = max(seconds, key=seconds.get)
    assert seconds[slowest] < CPU_BUDGET, {k: round(v, 1) for k, v in seconds.items() if v > 0.5}


# -- item 13: what the training cells draw ----------------------------------------------------------
def test_the_learning_curve_has_a_point_a_batch():
    batches = list(np.linspace(2.3, 0.4, 50))
    fig = plot_learning_curve({"loss": [np.mean(batches)], "accuracy": [0.8], "val_loss": [0.5],
                               "val_accuracy": [0.85], "batch_loss": batches})
    lengths = {line.get_label(): len(line.get_xdata()) for line in fig.axes[0].lines}
    assert lengths["each batch"] == 50 and lengths["mean of 2 batches"] == 49, lengths
    x = fig.axes[0].lines[0].get_xdata()
    assert x[0] == pytest.approx(1 / 50) and x[-1] == pytest.approx(1.0)  # batch k at (k + 1) / 50 of the epoch
    plt.close(fig)
    # two epochs: batch 75 of 100 is in the middle of the second epoch; a history of batches alone draws too
    fig = plot_learning_curve({"loss": [1.0, 0.5], "batch_loss": list(np.ones(100))}, smooth=10)
    assert fig.axes[0].lines[0].get_xdata()[74] == pytest.approx(1.5)
    plt.close(fig)
    plt.close(plot_learning_curve({"batch_loss": [2.0, 1.0]}))
    with pytest.raises(ValueError, match=r"smooth"):
        plot_learning_curve({"loss": [1.0], "batch_loss": [1.0, 2.0]}, smooth=0)


class StudentConv1d:
    """A student's own Conv1d, one channel in, as little as plotting needs (forward and W)."""

    def __init__(self):
        self.W = np.array([[[1.0, 0.0, -1.0]]]).repeat(3, axis=0) * np.array([1, 2, 3])[:, None, None]

    def forward(self, X):
        Xp = np.pad(X, ((0, 0), (0, 0), (1, 1)))
        return np.stack([sum(Xp[:, 0, s:s + X.shape[2]] * w[0, s] for s in range(3)) for w in self.W], axis=1)


class StudentRelu:
    def forward(self, X):
        return np.maximum(X, 0)


def test_the_filters_and_feature_maps_of_a_students_conv1d():
    fig = plot_filters(StudentConv1d().W, title="the filters of your Conv1d")
    assert [len(ax.patches) for ax in fig.axes] == [3, 3, 3]  # a bar a weight
    plt.close(fig)
    images = np.random.default_rng(0).random((2, 16))
    fig = plot_feature_maps_1d([StudentConv1d(), StudentRelu()], images, image_shape=(4, 4))
    assert len(fig.axes) == 2 * 4  # a row an image: the input, then 3 channels
    assert all(ax.images[0].get_array().shape == (4, 4) for ax in fig.axes)
    assert fig._suptitle.get_text() == "after StudentRelu"
    plt.close(fig)
    fig = plot_feature_maps_1d([StudentConv1d()], images[:1])  # no image shape: curves
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    plt.close(fig)
    for bad, words in [(np.zeros((2, 2, 2, 2)), r"images of shape \(N, L\) or \(N, C, L\)"),
                       ([[1.0], [1.0, 2.0]], "ragged")]:
        with pytest.raises(ValueError, match=words):
            plot_feature_maps_1d([StudentConv1d()], bad)
    with pytest.raises(ValueError, match="layers as a non-empty list"):
        plot_feature_maps_1d([], images)
