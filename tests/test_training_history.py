"""A training history's loss is the mean of the epoch's batch losses (issue 24, item 8).

Sprint 3's ``train`` and sprint 4's ``fit`` return a history. Their test cells give the
student's loop a LossRecorder (sprintlib's FC and softmax, noting every batch's loss) on copies
of one image, so that a right loop gives the trusted run's values whatever its shuffle; a loop
that records the last batch's loss (or the first, or the sum, or a list never emptied) loses the
points with a hint naming it, in the notebook and in a graded run alike, and a right one keeps
them. The mistakes are injected into the model answers' own cells, as a student would make them.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from course_cells import cells, graded_environment
from graded import graded_part, judged
from sprintlib.grading import LossRecorder, check_history

#: sprint -> (the answer cell, the line of its history's loss, the mistakes: name -> that line written wrong)
ANSWERS = {
    "sprint3_lenet": ("p3_solution", 'history["loss"].append(float(np.mean(losses)))', {
        "last batch": 'history["loss"].append(float(losses[-1]))',
        "sum": 'history["loss"].append(float(np.sum(losses)))',
    }),
    "sprint4_rnn": ("p4_solution", 'history["loss"].append(float(np.mean(history["batch_loss"][-len(starts):])))', {
        "last batch": 'history["loss"].append(history["batch_loss"][-1])',
        "not emptied": 'history["loss"].append(float(np.mean(history["batch_loss"])))',
    }),
}
HINTS = {"last batch": "the loss of each epoch's last batch", "sum": "the sum of each epoch's batch losses",
         "not emptied": "not emptied at the start of each epoch"}
#: the test cell's part that checks the history (its training of the real network left out)
TEST = {"sprint3_lenet": "p3_test", "sprint4_rnn": "p4_test"}


def _cells(assignment, mistake=None):
    """(the answer cell with the mistake, the history part of the test cell: visible, hidden)."""
    found = cells(assignment)
    grade_id, right, wrongs = ANSWERS[assignment]
    answer = next(c for c in found if c.grade_id == grade_id).source
    assert right in answer, f"{assignment}'s {grade_id} changed: update ANSWERS"
    if mistake:
        answer = answer.replace(right, wrongs[mistake])
    test = next(c for c in found if c.grade_id == TEST[assignment])
    visible = test.visible.split("# a short run")[0]
    hidden = test.hidden.split("# history[\"loss\"] with sizes drawn for the course, every batch full")[1]
    assert "check_history" in visible and "check_history" in hidden
    return answer, visible, hidden


def _namespace(assignment):
    """The notebook's set-up and answer cells before the test cell, run (with the graded sizes)."""
    ns = {}
    for cell in cells(assignment):
        if cell.grade_id == TEST[assignment]:
            return ns
        if cell.kind != "test" and cell.grade_id != ANSWERS[assignment][0]:
            exec(compile(cell.source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), ns)
    raise AssertionError(f"no {TEST[assignment]} in {assignment}")


@pytest.fixture(scope="module", params=sorted(ANSWERS))
def notebook(request):
    mp = pytest.MonkeyPatch()
    with graded_environment(mp):
        ns = _namespace(request.param)
    mp.undo()
    return request.param, ns


def _run(ns, answer, part, visible=None):
    """The answer cell, then ``part`` of the test cell; before a hidden part, the visible one
    (as a graded kernel runs them: its definitions are the hidden part's), its verdicts dropped."""
    local = dict(ns)
    exec(compile(answer, "<answer>", "exec"), local)
    if visible is not None:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(AssertionError):
            exec(compile(visible, "<visible>", "exec"), local)
    exec(compile(part, "<test>", "exec"), local)


def test_the_right_history_passes_and_the_mistakes_fail_with_their_hint(notebook, capsys, monkeypatch):
    assignment, ns = notebook
    with graded_environment(monkeypatch):
        answer, visible, hidden = _cells(assignment)
        _run(ns, answer, visible)
        _run(ns, answer, hidden, visible)
        assert re.findall(r'history\["loss"\].*: OK', capsys.readouterr().out)
        for mistake in ANSWERS[assignment][2]:
            answer, visible, hidden = _cells(assignment, mistake)
            for part, before in ((visible, None), (hidden, visible)):
                with pytest.raises(AssertionError, match=r'wrong: history\["loss"\]'):
                    _run(ns, answer, part, before)
                out = capsys.readouterr().out
                assert "hint: your values are" in out and HINTS[mistake] in out, out


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_a_graded_run_takes_the_points_with_the_hint_and_keeps_them_for_a_right_answer(notebook, hidden,
                                                                                      monkeypatch, tmp_path):
    assignment, ns = notebook
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    with graded_environment(monkeypatch):
        answer, visible, hidden_part = _cells(assignment)
        part, before = (hidden_part, visible) if hidden else (visible, None)
        expected = graded_part(monkeypatch, "expected", lambda: _run(ns, answer, part, before))
        ok, lines = judged(expected, graded_part(monkeypatch, "got", lambda: _run(ns, answer, part, before)), hidden)
        assert ok, lines
        for mistake in ANSWERS[assignment][2]:
            wrong, visible, hidden_part = _cells(assignment, mistake)
            got = graded_part(monkeypatch, "got", lambda: _run(ns, wrong, *((hidden_part, visible) if hidden
                                                                            else (visible, None))))
            ok, lines = judged(expected, got, hidden)
            assert not ok and any(HINTS[mistake] in line for line in lines), lines


def _train(model, X, y, epochs, batch_size, loss="mean", seed=0):
    """A training loop in sprint 3's style; ``loss`` says what it records for an epoch."""
    rng = np.random.default_rng(seed)
    history, everything = {"loss": []}, []
    for _ in range(epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            losses.append(model.loss(X[batch], y[batch]))
            model.backward(y[batch])
            model.loss(X[:5], y[:5])  # a loss without a backward (a progress bar's): not a batch
        everything += losses
        history["loss"].append({"mean": np.mean(losses), "last": losses[-1], "first": losses[0],
                                "weighted": np.sum(losses) / len(X)}[loss])
    return history


def _copies(n, seed=0):
    x = np.random.default_rng(seed).random((1, 1, 28, 28))
    return x.repeat(n, axis=0), np.full(n, 7)


def test_any_shuffle_gives_the_trusted_values():
    """Copies of one image: two right loops that shuffle differently record the same losses."""
    X, y = _copies(60)
    runs = []
    for seed in (0, 1):
        recorder = LossRecorder(seed=3)
        runs.append((_train(recorder, X, y, 2, 20, seed=seed)["loss"], recorder.batch_losses))
    assert len(runs[0][1]) == 6  # the 10 losses without a backward are not batches
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12)
    assert runs[0][1][0] > runs[0][1][-1]  # the recorder learns: the losses differ from batch to batch


def test_a_hint_only_where_its_mistake_gives_the_values(capsys):
    X, y = _copies(60)
    recorder = LossRecorder()
    history = _train(recorder, X, y, 2, 20, loss="first")
    with pytest.raises(AssertionError):
        check_history('history["loss"]', history["loss"], recorder, 2)
    assert "the loss of each epoch's first batch" in capsys.readouterr().out
    # the mean over the images divided by the batch size: no known mistake gives it, no hint
    recorder = LossRecorder()
    history = _train(recorder, X, y, 2, 20, loss="weighted")
    with pytest.raises(AssertionError):
        check_history('history["loss"]', history["loss"], recorder, 2)
    out = capsys.readouterr().out
    assert "wrong values" in out and "hint: your values are" not in out, out
    # one batch an epoch: the last batch's loss is the mean, and right
    recorder = LossRecorder()
    check_history('history["loss"]', _train(recorder, X, y, 3, 60, loss="last")["loss"], recorder, 3)


def test_a_loop_that_trains_on_no_batch_is_told_so():
    recorder = LossRecorder()
    with pytest.raises(AssertionError, match=r"trained on 0 batches .* in 2 epochs"):
        check_history('history["loss"]', [2.0, 1.0], recorder, 2)
    with pytest.raises(ValueError, match="check_history expects recorder to be the LossRecorder"):
        check_history('history["loss"]', [2.0], object(), 1)


# -- sprints 1 and 2: the classifier's history compared with itself (epoch_loss_gaps) --
def _history(batch_losses, sizes, epochs, epoch_loss):
    """A history of ``epochs`` epochs whose batches have ``sizes``; epoch_loss(group, sizes)."""
    groups = np.asarray(batch_losses, dtype=float).reshape(epochs, len(sizes))
    return {"loss": [epoch_loss(g, np.asarray(sizes)) for g in groups], "batch_loss": list(groups.ravel())}


def test_an_epoch_loss_weighted_by_batch_size_has_no_gap():
    """Is the mean over the images (batch losses weighted by size, the last batch smaller) 0 off?"""
    from sprintlib.grading import epoch_loss_gaps

    losses = np.random.default_rng(0).uniform(0.5, 2.5, 2 * 4)
    history = _history(losses, [8, 8, 8, 6], 2, lambda g, s: float(g @ s / s.sum()))
    np.testing.assert_array_equal(epoch_loss_gaps(history, 30, 8), [0.0, 0.0])


def test_the_last_batch_s_loss_shows_a_gap():
    """Is an epoch's loss taken from its last batch told apart from the mean?"""
    from sprintlib.grading import epoch_loss_gaps

    losses = np.random.default_rng(1).uniform(0.5, 2.5, 3 * 5)
    history = _history(losses, [8] * 5, 3, lambda g, s: float(g[-1]))
    gaps = epoch_loss_gaps(history, 40, 8)
    np.testing.assert_allclose(gaps, np.round(losses.reshape(3, 5)[:, -1] - losses.reshape(3, 5).mean(axis=1), 3))
    assert np.all(np.abs(gaps) > 0.001)


def test_a_history_without_batch_losses_is_a_clear_error():
    """Does a history without batch_loss, or with too few, say what was expected?"""
    from sprintlib.grading import epoch_loss_gaps

    with pytest.raises(KeyError, match=r"history\['batch_loss'\]"):
        epoch_loss_gaps({"loss": [1.0]}, 16, 8)
    with pytest.raises(AssertionError, match="expected one a batch, 2 batches of 16 images a epoch for 1 epochs"):
        epoch_loss_gaps({"loss": [1.0], "batch_loss": [1.0]}, 16, 8)


#: sprints 1 and 2: the classifier's answer cell, its epoch-loss line, and that line taking the last batch's loss
CLASSIFIERS = {
    "sprint1_conv1d": ("p8_solution", "p8_test", 'self.history["loss"].append(sum(losses) / len(X))',
                       'self.history["loss"].append(self.history["batch_loss"][-1])'),
    "sprint2_conv2d": ("p7_solution", "p7_test", 'self.history["loss"].append(total_loss / len(X))',
                       'self.history["loss"].append(self.history["batch_loss"][-1])'),
}


@pytest.mark.parametrize("assignment", sorted(CLASSIFIERS))
def test_a_classifier_s_last_batch_loss_loses_the_graded_history_check(assignment, monkeypatch, tmp_path):
    """Sprints 1 and 2: is a fit whose epoch loss is its last batch's judged wrong when graded,
    and the model answer's right? (a short training of the notebook's classifier, 2 epochs)"""
    grade_id, test_id, right, wrong = CLASSIFIERS[assignment]
    found = cells(assignment)
    answer = next(c for c in found if c.grade_id == grade_id).source
    assert right in answer, f"{assignment}'s {grade_id} changed: update CLASSIFIERS"
    history_part = next(c for c in found if c.grade_id == test_id).visible.split("X_eval, y_eval")[0]
    assert "epoch_loss_gaps" in history_part
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    with graded_environment(monkeypatch):
        ns = {}
        for cell in found[:[c.grade_id for c in found].index(grade_id)]:
            if cell.kind != "test":
                exec(compile(cell.source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), ns)

        def run(source):
            local = dict(ns)
            exec(compile(source, "<answer>", "exec"), local)
            exec("(X_train, y_train), _ = load_mnist(flatten=X_FLAT, dtype=np.float32)\n"
                 "n_train = 60\n"
                 "model = CLASSIFIER(epochs=2, batch_size=8, lr=2e-3, verbose=False)\n"
                 "model.fit(X_train[:n_train], y_train[:n_train])\n".replace(
                     "CLASSIFIER", "Scratch1dCNNClassifier" if assignment.startswith("sprint1") else
                     "Scratch2dCNNClassifier").replace("X_FLAT", str(assignment.startswith("sprint1"))),
                 local)
            exec(compile(history_part, "<test>", "exec"), local)

        expected = graded_part(monkeypatch, "expected", lambda: run(answer))
        ok, lines = judged(expected, graded_part(monkeypatch, "got", lambda: run(answer)), False)
        assert ok, lines
        ok, lines = judged(expected, graded_part(monkeypatch, "got", lambda: run(answer.replace(right, wrong))), False)
        assert not ok and any('history["loss"] minus the mean' in line for line in lines), lines
