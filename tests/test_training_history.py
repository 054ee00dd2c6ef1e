"""A training history's loss is the mean of the epoch's batch losses (issue 24, item 8).

Sprint 3's ``train`` and sprint 4's ``fit`` return a history. Their test cells give the
student's loop a LossRecorder (sprintlib's FC and softmax, noting every batch's loss) on copies
of one image, so that a right loop gives the trusted run's values whatever its shuffle; a loop
that records the last batch's loss (or the first, or the sum, or a list never emptied) loses the
points with a hint naming it, in the notebook and in a graded run alike, and a right one keeps
them. The mistakes are injected into the model answers' own cells, as a student would make them.

Sprints 1 and 2's classifiers build their networks inside fit: check_epoch_losses compares their
history["loss"] with the mean over each epoch's images of their own history["batch_loss"], and
names the same mistakes (and a total never divided, or divided by the batches, a plain mean where
the last batch is smaller, a total never reset). When graded, the engine computes the means and
tests each mistake on the batch losses the student's kernel emits; the notebook gives the same
verdict and hint.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import ROOT
from course_cells import build, cells, graded_environment
from graded import graded_part, judged
from test_graded_mistakes import _namespace as notebook_namespace
from sprintlib.grading import HIDDEN_KEY_VARIABLE, LossRecorder, check_history
from sprintlib.grading.history import EPOCH_LOSS_MISTAKES, batch_sizes

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
    hidden = hidden.split("# 200 other test images")[0]  # sprint 3's hidden predictions come after it
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


# -- sprints 1 and 2: the classifier's history against its own batch losses (check_epoch_losses) --
#: what the verdict's hint says of each known mistake (this file's words, not the module's)
EPOCH_HINTS = {
    "last batch": "your values are the loss of each epoch's last batch",
    "first batch": "your values are the loss of each epoch's first batch",
    "sum": "your values are the sum of each epoch's batch losses, not their mean",
    "total not divided": "not divided by the number of images",
    "divided by the batches": "divided by the number of batches: divide it by the number of images",
    "plain mean": "your values are the plain mean of each epoch's batch losses",
    "not emptied": "your values are the mean of every batch since the start of training",
    "total not reset": "the total is not set back to 0 at the start of each epoch",
}


def _loop(batch_losses, sizes, epochs, mistake="right"):
    """A fit's history over given batch losses, as a student's loop keeps it, with ``mistake``
    (a key of EPOCH_HINTS, "right", "median")."""
    history, total, losses = {"loss": [], "batch_loss": []}, 0.0, []
    for e in range(epochs):
        total = total if mistake == "total not reset" else 0.0
        losses = losses if mistake == "not emptied" else []
        for b, n in enumerate(sizes):
            loss = float(batch_losses[e * len(sizes) + b])
            history["batch_loss"].append(loss)
            total += loss * n
            losses.append(loss)
        history["loss"].append({
            "right": total / sum(sizes), "last batch": losses[-1], "first batch": losses[0], "sum": sum(losses),
            "total not divided": total, "divided by the batches": total / len(sizes), "plain mean": np.mean(losses),
            "not emptied": np.mean(losses), "total not reset": total / sum(sizes), "median": np.median(losses),
        }[mistake])
    return history


SIZES = [8, 8, 8, 6]  # 30 images in batches of 8: GetMiniBatch's sizes


def test_batch_sizes_are_getminibatch_s():
    from sprintlib import GetMiniBatch

    X = np.zeros((30, 2))
    assert [len(yb) for _, yb in GetMiniBatch(X, np.zeros(30), 8)] == SIZES == list(batch_sizes(30, 8))


def test_an_epoch_loss_weighted_by_batch_size_passes(capsys):
    from sprintlib.grading import check_epoch_losses

    losses = np.random.default_rng(0).uniform(0.5, 2.5, 2 * 4)
    check_epoch_losses('history["loss"]', _loop(losses, SIZES, 2), 30, 8, 2)
    assert 'history["loss"]: OK (every epoch within 0.001' in capsys.readouterr().out


@pytest.mark.parametrize("mistake", sorted(EPOCH_HINTS))
def test_each_known_history_mistake_is_named_in_the_notebook(mistake, capsys):
    """Two epochs of four batches, the last smaller: each mistake fails, says which epochs are off
    and by what, and its hint (and no other) names it."""
    from sprintlib.grading import check_epoch_losses

    losses = np.random.default_rng(0).uniform(0.5, 2.5, 2 * 4)
    with pytest.raises(AssertionError, match=r'wrong: history\["loss"\]'):
        check_epoch_losses('history["loss"]', _loop(losses, SIZES, 2, mistake), 30, 8, 2)
    out = capsys.readouterr().out
    assert re.search(r"epoch \d: expected \d\.\d+ \(the mean of its 4 batch losses, each weighted by its batch's "
                     r"size\), got \d", out), out
    hints = re.findall(r"hint: (.*)", out)
    assert len(hints) == 1 and EPOCH_HINTS[mistake] in hints[0], out
    assert not any(words in hints[0] for m, words in EPOCH_HINTS.items() if m != mistake), out


def test_a_mistake_no_hypothesis_reproduces_gets_no_hint_but_where_it_differs(capsys):
    from sprintlib.grading import check_epoch_losses

    losses = np.random.default_rng(0).uniform(0.5, 2.5, 3 * 4)
    history = _loop(losses, SIZES, 3, "median")
    with pytest.raises(AssertionError):
        check_epoch_losses('history["loss"]', history, 30, 8, 3)
    out = capsys.readouterr().out
    right = _loop(losses, SIZES, 3)["loss"]
    assert "wrong values in 3 of 3 epochs (tolerance 0.001)" in out and "hint" not in out, out
    assert f"epoch 2: expected {right[1]:.6g} (the mean" in out and f"got {history['loss'][1]:.6g}" in out, out


def test_within_0_001_passes_and_a_plain_mean_only_matters_where_a_batch_is_smaller(capsys):
    from sprintlib.grading import check_epoch_losses

    losses = np.random.default_rng(2).uniform(0.5, 2.5, 4)
    history = _loop(losses, SIZES, 1)
    check_epoch_losses("off by 0.0009", {**history, "loss": [history["loss"][0] + 0.0009]}, 30, 8, 1)
    with pytest.raises(AssertionError):
        check_epoch_losses("off by 0.0011", {**history, "loss": [history["loss"][0] + 0.0011]}, 30, 8, 1)
    assert "hint" not in capsys.readouterr().out
    # every batch full: the plain mean is the mean over the images
    check_epoch_losses("plain mean", _loop(losses, [8] * 4, 1, "plain mean"), 32, 8, 1)
    assert "plain mean: OK" in capsys.readouterr().out
    # one epoch, its last batch smaller: named, as itself alone (a list never emptied is the same list)
    with pytest.raises(AssertionError):
        check_epoch_losses("plain mean", _loop(losses, SIZES, 1, "plain mean"), 30, 8, 1)
    out = capsys.readouterr().out
    assert re.findall(r"hint: (.*)", out) == [next(h for _, _, h in EPOCH_LOSS_MISTAKES if h.startswith(
        EPOCH_HINTS["plain mean"]))], out
    assert "wrong values in 1 of 1 epoch (tolerance 0.001)" in out


def test_a_history_that_is_not_one_is_a_clear_error():
    from sprintlib.grading import check_epoch_losses

    with pytest.raises(KeyError, match=r"expects history\['batch_loss'\], a list of losses \(one a batch\), as the "
                                       r"problem asks; the history has the keys 'loss'"):
        check_epoch_losses("h", {"loss": [1.0]}, 16, 8, 1)
    with pytest.raises(TypeError, match="expects the model's history, a dict .* got a list"):
        check_epoch_losses("h", [1.0], 16, 8, 1)
    with pytest.raises(TypeError, match=r"history\['batch_loss'\] to be a list of numbers \(one a batch\), got a "
                                        r"list holding a str"):
        check_epoch_losses("h", {"loss": [1.0], "batch_loss": [1.0, "2"]}, 16, 8, 1)
    with pytest.raises(ValueError, match="expects batch_size to be an integer >= 1, got 0"):
        check_epoch_losses("h", {"loss": [1.0], "batch_loss": [1.0]}, 16, 0, 1)


def test_wrong_lengths_are_told_as_shapes(capsys):
    from sprintlib.grading import check_epoch_losses

    with pytest.raises(AssertionError):
        check_epoch_losses('history["loss"]', {"loss": [1.0], "batch_loss": [1.0]}, 16, 8, 1)
    assert 'history["batch_loss"]: expected shape (2,), one value a batch (2 batches of 16 images in an epoch, ' \
           '1 epoch), got (1,)' in capsys.readouterr().out
    with pytest.raises(AssertionError):
        check_epoch_losses('history["loss"]', {"loss": [1.0, 1.0], "batch_loss": [1.0, 1.0]}, 16, 8, 1)
    assert 'history["loss"]: expected shape (1,), one value an epoch, got (2,)' in capsys.readouterr().out


#: sprints 1 and 2: the classifier's answer cell and test cell, and its epoch-loss line
CLASSIFIERS = {
    "sprint1_conv1d": ("p8_solution", "p8_test", 'self.history["loss"].append(sum(losses) / len(X))'),
    "sprint2_conv2d": ("p7_solution", "p7_test", 'self.history["loss"].append(total_loss / len(X))'),
}
#: the loop's start, where its total (or list) is set to 0
LOOP_START = {"sprint1_conv1d": ("for epoch in range(self.epochs):\n            losses, hits = [], 0\n",
                                 "losses = []\n        for epoch in range(self.epochs):\n            hits = 0\n"),
              "sprint2_conv2d": ("for epoch in range(self.epochs):\n            total_loss, hits = 0.0, 0\n",
                                 "total_loss = 0.0\n        for epoch in range(self.epochs):\n            hits = 0\n")}
_EPOCH = 'self.history["batch_loss"][-len(batches):]'  # the epoch's batch losses, in a fit
#: each mistake as a student writes it: the epoch-loss line (or the loop's start) replaced
WRITTEN = {
    "last batch": 'self.history["loss"].append(self.history["batch_loss"][-1])',
    "first batch": 'self.history["loss"].append(self.history["batch_loss"][-len(batches)])',
    "sum": f'self.history["loss"].append(sum({_EPOCH}))',
    "total not divided": {"sprint1_conv1d": 'self.history["loss"].append(sum(losses))',
                          "sprint2_conv2d": 'self.history["loss"].append(total_loss)'},
    "divided by the batches": {"sprint1_conv1d": 'self.history["loss"].append(sum(losses) / len(batches))',
                               "sprint2_conv2d": 'self.history["loss"].append(total_loss / len(batches))'},
    "plain mean": f'self.history["loss"].append(float(np.mean({_EPOCH})))',
    "not emptied": 'self.history["loss"].append(float(np.mean(self.history["batch_loss"])))',
    "total not reset": LOOP_START,
    # right, written otherwise: the mean of the batch losses weighted by the batches' sizes
    "weighted average": f'self.history["loss"].append(float(np.average({_EPOCH}, '
                        f'weights=[len(yb) for _, yb in batches])))',
    "median": f'self.history["loss"].append(float(np.median({_EPOCH})))',
}


def _classifier_answer(assignment, mistake=None) -> str:
    grade_id, _, right = CLASSIFIERS[assignment]
    answer = next(c for c in cells(assignment) if c.grade_id == grade_id).source
    assert answer.count(right) == 1, f"{assignment}'s {grade_id} changed: update CLASSIFIERS"
    if mistake is None:
        return answer
    new = WRITTEN[mistake]
    old, new = new[assignment] if mistake == "total not reset" else (right, new.get(assignment) if isinstance(
        new, dict) else new)
    assert answer.count(old) == 1, (assignment, old)
    return answer.replace(old, new)


@pytest.fixture(scope="module", params=sorted(CLASSIFIERS))
def classifier(request):
    """(assignment, run(answer) -> the records the history part of the test cell leaves, in mode):
    the notebook's cells before the classifier's answer run once; each answer trains its
    classifier for 2 epochs on 60 images in batches of 8 (the last of 4), then the history part
    of the test cell runs."""
    assignment = request.param
    grade_id, test_id, _ = CLASSIFIERS[assignment]
    found = cells(assignment)
    # the check of the training's history (the test's own short run of 3 epochs after it is left out:
    # this fixture trains its own)
    history_part = next(c for c in found if c.grade_id == test_id).visible.split("# and over 3 epochs")[0]
    assert "check_epoch_losses" in history_part
    mp = pytest.MonkeyPatch()
    with graded_environment(mp):
        ns = {}
        for cell in found[:[c.grade_id for c in found].index(grade_id)]:
            if cell.kind != "test":
                exec(compile(cell.source, f"<{assignment} {cell.grade_id or 'setup'}>", "exec"), ns)
    mp.undo()
    flat = assignment.startswith("sprint1")
    name = "Scratch1dCNNClassifier" if flat else "Scratch2dCNNClassifier"

    def run(answer):
        local = dict(ns)
        exec(compile(answer, "<answer>", "exec"), local)
        exec(f"(X_train, y_train), _ = load_mnist(flatten={flat}, dtype=np.float32)\n"
             "n_train = 60\n"
             f"model = {name}(epochs=2, batch_size=8, lr=2e-3, verbose=False)\n"
             "model.fit(X_train[:n_train], y_train[:n_train])\n", local)
        exec(compile(history_part, "<test>", "exec"), local)
        return local["model"].history

    return assignment, run


def _graded(monkeypatch, classifier, mistake):
    """(passed, the feedback's lines) of the history check, the answer with ``mistake`` judged by the
    engine against the trusted run of the model answer."""
    assignment, run = classifier
    expected = graded_part(monkeypatch, "expected", lambda: run(_classifier_answer(assignment)))
    got = graded_part(monkeypatch, "got", lambda: run(_classifier_answer(assignment, mistake)))
    return judged(expected, got, False)


@pytest.mark.parametrize("mistake", sorted(EPOCH_HINTS))
def test_a_classifier_s_history_mistake_loses_the_points_with_its_hint_when_graded(mistake, classifier, monkeypatch,
                                                                                   tmp_path, capsys):
    """Sprints 1 and 2, each mistake injected into the classifier's fit: the engine fails the
    history check, and its hint (and no other) names the mistake, as the notebook's does."""
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    with graded_environment(monkeypatch):
        ok, lines = _graded(monkeypatch, classifier, mistake)
        assert not ok, lines
        hints = re.findall(r"hint: (.*)", "\n".join(lines))
        assert len(hints) == 1 and EPOCH_HINTS[mistake] in hints[0], lines
        assert any(re.search(r"epoch \d: expected \d\.\d+ \(the mean of its 8 batch losses", line) for line in lines)
        capsys.readouterr()
        with pytest.raises(AssertionError, match=r'wrong: history\["loss"\]'):
            classifier[1](_classifier_answer(classifier[0], mistake))  # the notebook, ungraded
    assert f"hint: {hints[0]}" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, "weighted average"], ids=["model answer", "weighted average"])
def test_a_right_classifier_history_keeps_the_points_without_a_hint_when_graded(answer, classifier, monkeypatch,
                                                                               tmp_path):
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    with graded_environment(monkeypatch):
        assignment, run = classifier
        expected = graded_part(monkeypatch, "expected", lambda: run(_classifier_answer(assignment)))
        got = graded_part(monkeypatch, "got", lambda: run(_classifier_answer(assignment, answer)))
        ok, lines = judged(expected, got, False)
    assert ok and not any("hint" in line for line in lines), lines
    assert any('history["loss"]: OK (every epoch within 0.001' in line for line in lines), lines


def test_a_classifier_s_history_no_mistake_gives_has_no_hint_but_where_it_differs(classifier, monkeypatch,
                                                                                  tmp_path):
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    with graded_environment(monkeypatch):
        ok, lines = _graded(monkeypatch, classifier, "median")
    assert not ok and not any("hint" in line for line in lines), lines
    assert any(re.search(r"wrong values in 2 of 2 epochs \(tolerance 0\.001\)\n  epoch 1: expected \d\.\d+ \(the "
                         r"mean of its 8 batch losses, each weighted by its batch's size\), got \d", line)
               for line in lines), lines


# -- the whole test cell of the notebook, graded: its points ---------------------------------------
@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    """The trusted runs of the classifiers' test cells (the model answers), made once an assignment
    (a notebook's graded training each): {"images": where they draw the hidden images, which the
    students' runs read; "records": assignment -> the test cell's records}."""
    return {"images": tmp_path_factory.mktemp("hidden-images"), "records": {}}


def _test_cell_run(monkeypatch, mode, assignment, answers) -> dict:
    _, test_id, _ = CLASSIFIERS[assignment]
    test = next(c for c in cells(assignment) if c.grade_id == test_id)
    ns = notebook_namespace(assignment, test_id, answers)
    return {part: graded_part(monkeypatch, mode, lambda src=src: exec(compile(src, "<test>", "exec"), ns))
            for part, src in (("visible", test.visible), ("hidden", test.hidden))}


def _graded_test_cell(monkeypatch, trusted, assignment, mistake):
    """The engine's verdict (engine.runner.judge_test) and words (engine.feedback.render) on the
    classifier's test cell, visible and hidden parts, in the notebook's graded training (400 images,
    one epoch), the answer with ``mistake`` against the trusted run of the model answers."""
    from engine.feedback import render
    from engine.runner import judge_test

    grade_id, test_id, _ = CLASSIFIERS[assignment]
    cell = next(c for c in build.render(ROOT / "autograder" / "percent" / f"{assignment}.py").cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == test_id)
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(trusted["images"]))
    records = trusted["records"]
    with graded_environment(monkeypatch):
        if assignment not in records:
            # the secret that draws the hidden images: the trusted run's alone
            monkeypatch.setenv(HIDDEN_KEY_VARIABLE, "a key of this test")
            records[assignment] = _test_cell_run(monkeypatch, "expected", assignment, {})
            monkeypatch.delenv(HIDDEN_KEY_VARIABLE)
        got = _test_cell_run(monkeypatch, "got", assignment, {grade_id: _classifier_answer(assignment, mistake)})
    verdict = judge_test(cell, 0, {"parts": {f"{test_id}:{p}": r for p, r in records[assignment].items()}},
                         {(0, p): r for p, r in got.items()})
    return verdict, render(verdict)


@pytest.mark.parametrize("assignment", sorted(CLASSIFIERS))
def test_the_graded_notebook_takes_the_2_points_of_a_last_batch_loss_and_names_it(assignment, monkeypatch,
                                                                                   trusted):
    verdict, text = _graded_test_cell(monkeypatch, trusted, assignment, "last batch")
    assert (verdict.score, verdict.points) == (0.0, 2.0), text
    # named in the graded training's history and in the test's short run of 3 epochs
    assert text.count(f"hint: {EPOCH_HINTS['last batch']}") == 2 and text.count("hint:") == 2, text
    assert [p.passed for p in verdict.parts] == [False, True], text  # the predictions are right
    assert "FAILED: 0 of 2 points" in text


@pytest.mark.parametrize("assignment", sorted(CLASSIFIERS))
def test_the_graded_notebook_takes_the_2_points_of_a_list_never_emptied_and_names_it(assignment, monkeypatch,
                                                                                      trusted):
    """The graded training has one epoch, where a list never emptied gives the right value: the
    test's own short run of 3 epochs (20 images, batches of 8, 8 and 4) shows it."""
    verdict, text = _graded_test_cell(monkeypatch, trusted, assignment, "not emptied")
    assert (verdict.score, verdict.points) == (0.0, 2.0), text
    assert 'history["loss"]: OK' in text  # the one-epoch training: the same value
    assert f"hint: {EPOCH_HINTS['not emptied']}" in text and text.count("hint:") == 1, text
    assert "3 epochs of 20 images" in text


@pytest.mark.parametrize("assignment", sorted(CLASSIFIERS))
def test_the_graded_notebook_gives_the_2_points_to_the_model_answer_and_a_weighted_average(assignment, monkeypatch,
                                                                                           trusted):
    for answer in (None, "weighted average"):
        verdict, text = _graded_test_cell(monkeypatch, trusted, assignment, answer)
        assert (verdict.score, verdict.points) == (2.0, 2.0) and "hint" not in text, text
        assert 'history["loss"]: OK (every epoch within 0.001' in text, text


def test_the_judge_takes_records_that_are_not_a_history_s_as_wrong(monkeypatch):
    """The grader reads the student's records as they come: a batch_loss missing or not numbers,
    too few values, NaN, or a trusted record without its sizes fail, each saying why."""
    from sprintlib.grading import check_epoch_losses
    from sprintlib.grading.records import _npy

    losses = np.random.default_rng(0).uniform(0.5, 2.5, 4)
    history = _loop(losses, SIZES, 1)
    expected = graded_part(monkeypatch, "expected", lambda: check_epoch_losses("h", history, 30, 8, 1))

    def got(**record):
        return {"records": [{"name": "h", "npy": _npy(np.array(history["loss"])), **record}], "ended": True,
                "status": "ok", "ename": "", "evalue": "", "answer_code": []}

    assert judged(expected, got(batch_loss=_npy(losses)), False)[0]
    for record, words in [({}, 'history["batch_loss"]: expected a list of numbers, got something else'),
                          ({"batch_loss": "not base64"}, "expected a list of numbers"),
                          ({"batch_loss": _npy(losses[:3])}, 'history["batch_loss"]: expected shape (4,)'),
                          ({"batch_loss": _npy(np.r_[losses[:3], np.nan])}, "expected finite values, got 1 NaN")]:
        ok, lines = judged(expected, got(**record), False)
        assert not ok and any(words in line for line in lines), (record, lines)
    incomplete = {**expected, "records": [{k: v for k, v in r.items() if k != "sizes"} for r in expected["records"]]}
    ok, lines = judged(incomplete, got(batch_loss=_npy(losses)), False)
    assert not ok and any("not checked (the trusted run's record of it is incomplete)" in line for line in lines)
    ok, lines = judged(expected, got(batch_loss=_npy(losses[:3])), True)  # hidden: no number of the inputs
    assert not ok and lines == ["h: wrong shape (one value an epoch in history['loss'], one a batch in "
                                "history['batch_loss'])"], lines
