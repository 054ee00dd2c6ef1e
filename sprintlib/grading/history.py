"""A training loop's history, checked: the loss it records for an epoch must be the mean
of the losses of the epoch's batches, not the last batch's (issue 24, item 8).

A student's ``train(model, X, y, epochs, batch_size, ...)`` is given a ``LossRecorder``
in place of their network: a small network of sprintlib's own layers (FC, then Softmax with
cross-entropy; no layer any sprint asks students to write) that trains as theirs would and
notes the loss of every batch it is trained on. Its data are copies of one image, so every
batch gives the same loss whichever images it holds: the losses depend on the number of
updates only, not on how ``train`` shuffles, and a right ``train`` gives the values of the
trusted run (same seed, same data, the same layers) to the last digits.

``check_history(name, losses, recorder, epochs)`` then compares ``losses`` (the history's
list, one value an epoch) with the mean of each epoch's batch losses, and names the known
mistakes (the last batch's loss, the first batch's, the sum, a list of batch losses never
emptied) only when one gives the student's values.

Sprints 1 and 2 cannot hand their classifiers a recorder (each builds its network inside
``fit``): ``check_epoch_losses(name, history, n_images, batch_size, epochs)`` compares the
history's ``loss`` with the mean over each epoch's images of its own ``batch_loss``, and names
the same mistakes (EPOCH_LOSS_MISTAKES). In a graded run the student's kernel only emits the two
lists: the grader computes the means and tests each mistake on them (``epoch_loss_verdict``,
called by autograder/engine/judge.py).
"""
from __future__ import annotations

import numpy as np

from .._checks import check_int, format_shape
from .checks import _report
from .comparison import _not_finite
from . import mode
from .mistakes import Mistake, _Explainer, either_hint
from .records import _emit, _npy
from .values import _describe, _numbers, _plain_list


class LossRecorder:
    """What ``train`` trains in a history check: ``loss(X, y)``, ``backward(y)``,
    ``predict(X)`` and ``forward(X)`` as sprint 3's ScratchLeNet has them, computed by
    sprintlib's FC and Softmax (float64) with Adam. ``batch_losses`` lists the loss of every
    batch it was trained on: a ``loss`` call followed by a ``backward`` (a loss computed for
    a validation set or a progress bar, never followed by a backward, is not a batch)."""

    def __init__(self, n_features: int = 784, n_classes: int = 10, lr: float = 1e-3, seed: int = 0):
        from ..initializers import HeInitializer
        from ..layers.fc import FC
        from ..losses import Softmax
        from ..optimizers import Adam

        n_features = check_int(n_features, "LossRecorder", "n_features")
        init = HeInitializer(random_state=check_int(seed, "LossRecorder", "seed", minimum=0))
        self.fc = FC(n_features, check_int(n_classes, "LossRecorder", "n_classes"), init, Adam(lr=lr))
        self.softmax = Softmax()
        self.batch_losses: list[float] = []
        self._pending = None  # the loss of the last loss(X, y) not yet followed by a backward

    def forward(self, X):
        """X (N, ...) -> class probabilities (N, n_classes); each image flattened."""
        X = np.asarray(X, dtype=np.float64)
        return self.softmax.forward(self.fc.forward(X.reshape(len(X), -1)))

    def loss(self, X, y):
        """Mean cross-entropy on the batch (X, y)."""
        self.forward(X)
        self._pending = float(self.softmax.loss(np.asarray(y)))
        return self._pending

    def backward(self, y):
        """After loss(X, y): the gradients and Adam's update; the batch's loss is noted."""
        if self._pending is None:
            raise RuntimeError("backward(y) before loss(X, y): train calls model.loss(X_batch, y_batch) first, "
                               "then model.backward(y_batch)")
        self.batch_losses.append(self._pending)
        self._pending = None
        return self.fc.backward(self.softmax.backward(np.asarray(y)))

    def predict(self, X, batch_size: int = 500):
        """Predicted labels (N,)."""
        X = np.asarray(X)
        labels = np.zeros(len(X), dtype=int)
        for start in range(0, len(X), batch_size):  # in batches: memory bounded by batch_size
            labels[start:start + batch_size] = np.argmax(self.forward(X[start:start + batch_size]), axis=1)
        return labels


def epoch_means(batch_losses, epochs: int) -> np.ndarray:
    """The mean of each epoch's batch losses: ``batch_losses`` in order, as many a epoch."""
    return np.array([np.mean(g) for g in _epochs(batch_losses, epochs)])


def _epochs(batch_losses, epochs: int) -> list[np.ndarray]:
    losses = np.asarray(batch_losses, dtype=np.float64)
    return np.split(losses, epochs) if epochs and len(losses) % epochs == 0 and len(losses) else []


#: what a history's loss may be instead of the epoch's mean: (name, the values from the batch
#: losses grouped by epoch and all of them in order, the hint)
_MEAN = "an epoch's loss is the mean of the losses of all its batches: note each batch's loss in a list " \
        "emptied at the start of the epoch, and append np.mean of it at the end"
HISTORY_MISTAKES = [
    ("last batch", lambda groups, everything: [g[-1] for g in groups],
     f"your values are the loss of each epoch's last batch: {_MEAN}"),
    ("first batch", lambda groups, everything: [g[0] for g in groups],
     f"your values are the loss of each epoch's first batch: {_MEAN}"),
    ("sum", lambda groups, everything: [np.sum(g) for g in groups],
     f"your values are the sum of each epoch's batch losses, not their mean: {_MEAN}"),
    ("not emptied", lambda groups, everything: [np.mean(everything[:len(g) * (e + 1)]) for e, g in enumerate(groups)],
     "your values are the mean of every batch since the start of training: the list of batch losses is not "
     f"emptied at the start of each epoch ({_MEAN})"),
]


def _mistakes(name: str) -> list[Mistake]:
    """HISTORY_MISTAKES as Mistakes whose predictions are of the part ``name``."""
    return [Mistake(m, lambda groups, everything, values=values: {name: np.array(values(groups, everything))}, hint)
            for m, values, hint in HISTORY_MISTAKES]


def check_history(name: str, losses, recorder: LossRecorder, epochs: int) -> None:
    """``losses`` (a history's list of one loss an epoch, ``epochs`` of them) against the mean
    of each epoch's batch losses, as ``recorder`` noted them while ``train`` trained it.

    In a graded run the trusted run's values are the expected ones (its ``train`` trained a
    LossRecorder of the same seed on the same data: the same batch losses), with what each
    known mistake gives; the student's kernel emits its values (see mode.recording)."""
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    epochs = check_int(epochs, "check_history", "epochs")
    if not isinstance(recorder, LossRecorder):
        raise ValueError(f"check_history expects recorder to be the LossRecorder train trained, "
                         f"got {type(recorder).__name__}")
    if mode.recording() == "got":  # the grader compares with the trusted run's values
        _emit(name, _plain_list(losses))
        return
    batches = np.asarray(recorder.batch_losses, dtype=np.float64)
    groups = _epochs(batches, epochs)
    if not groups:
        raise AssertionError(f"{name}: your train trained on {len(batches)} batches (a model.loss(X_batch, "
                             f"y_batch) followed by model.backward(y_batch)) in {epochs} epochs: expected the "
                             f"same number of batches in every epoch, at least one")
    expected = epoch_means(batches, epochs)
    explain = _Explainer(_mistakes(name), groups, batches, expected={name: expected})
    _report([(name, _plain_list(losses), expected)], explain=explain)


# -- sprints 1 and 2: the classifier's history against its own batch losses ------------------
#: an epoch's loss passes within this of the mean over its images (an absolute difference: a
#: plain mean of the batch losses, whose last batch is smaller, is some 1e-4 off on 60,000
#: images in batches of 64, and is taken; float32 rounding is far smaller still)
EPOCH_LOSS_TOLERANCE = 1e-3
#: the kind of the trusted run's record of check_epoch_losses (autograder/engine/judge.py)
EPOCH_LOSSES = "epoch losses"

_WEIGHTED = ("an epoch's loss is the mean over its images: add each batch's loss times its number of images "
             "(len(yb)) to a total set to 0 at the start of the epoch, and divide the total by the number of "
             "images at the epoch's end")


def _cumulative(groups, sizes):
    """Each epoch's total of loss x batch size, added up since the start of training. (epochs,)"""
    return np.cumsum(groups @ sizes)


#: what a history's loss may be instead of the mean over the epoch's images, from the batch
#: losses (groups: (epochs, batches), sizes: (batches,)): (name, the values (epochs,) or a list
#: of their variants, none ([]) where the mistake changes nothing, the hint); HISTORY_MISTAKES'
#: mistakes, for a history that has its batch losses (a list never emptied, a total never reset:
#: from the second epoch on)
EPOCH_LOSS_MISTAKES = [
    ("last batch", lambda groups, sizes: groups[:, -1],
     f"your values are the loss of each epoch's last batch: {_WEIGHTED}"),
    ("first batch", lambda groups, sizes: groups[:, 0],
     f"your values are the loss of each epoch's first batch: {_WEIGHTED}"),
    ("sum", lambda groups, sizes: groups.sum(axis=1),
     f"your values are the sum of each epoch's batch losses, not their mean: {_WEIGHTED}"),
    ("total not divided", lambda groups, sizes: groups @ sizes,
     f"your values are the total of each batch's loss times its size, not divided by the number of images: "
     f"{_WEIGHTED}"),
    ("divided by the batches", lambda groups, sizes: groups @ sizes / len(sizes),
     "your values are the total of each batch's loss times its size divided by the number of batches: divide it "
     "by the number of images"),
    ("plain mean", lambda groups, sizes: groups.mean(axis=1),
     "your values are the plain mean of each epoch's batch losses: the last batch is smaller than the others, so "
     f"each batch's loss counts by its size: {_WEIGHTED}"),
    ("not emptied", lambda groups, sizes: [] if len(groups) < 2 else [
        _cumulative(groups, sizes) / (sizes.sum() * np.arange(1, len(groups) + 1)),
        np.cumsum(groups.sum(axis=1)) / (groups.shape[1] * np.arange(1, len(groups) + 1))],
     "your values are the mean of every batch since the start of training: the list of batch losses (or the "
     f"total) is not emptied at the start of each epoch ({_WEIGHTED})"),
    ("total not reset", lambda groups, sizes: [] if len(groups) < 2 else [_cumulative(groups, sizes) / sizes.sum()],
     f"your values are the total of every batch since the start of training, divided by one epoch's images: the "
     f"total is not set back to 0 at the start of each epoch ({_WEIGHTED})"),
]


def batch_sizes(n_images: int, batch_size: int) -> np.ndarray:
    """The sizes of an epoch's batches as GetMiniBatch makes them: full batches, then the
    remainder. (batches,) ints"""
    n_images = check_int(n_images, "batch_sizes", "n_images")
    batch_size = check_int(batch_size, "batch_sizes", "batch_size")
    return np.diff(np.r_[np.arange(0, n_images, batch_size), n_images])


def check_epoch_losses(name: str, history, n_images: int, batch_size: int, epochs: int) -> None:
    """Sprints 1 and 2: each epoch's ``history["loss"]`` against the mean over the epoch's
    images of its ``history["batch_loss"]`` (each batch's loss weighted by its size, the sizes
    GetMiniBatch gives ``n_images`` images in batches of ``batch_size``), within
    EPOCH_LOSS_TOLERANCE; a wrong value is explained by the known mistake that gives it
    (EPOCH_LOSS_MISTAKES: the last batch's loss, the sum...), if one does.

    Their classifiers build their own networks inside fit, so no LossRecorder can stand in for
    them: the history is compared with its own batch losses. In a graded run the student's
    kernel emits both lists, and the grader computes the means and the mistakes from them
    (autograder/engine/judge.py), with this module's code.

    history : dict with "loss" (epochs,) and "batch_loss" (epochs * batches,), lists of numbers
    """
    __tracebackhide__ = True  # IPython: the traceback ends in the test cell, not here
    sizes = batch_sizes(n_images, batch_size)
    epochs = check_int(epochs, "check_epoch_losses", "epochs")
    losses, batches = _history_values(history)
    if mode.recording() == "got":  # the grader judges, from both lists
        _emit(name, losses, batch_loss=_npy(batches))
        return
    if mode.recording() == "expected":
        _emit(name, losses, kind=EPOCH_LOSSES, sizes=sizes.tolist(), epochs=epochs, within=EPOCH_LOSS_TOLERANCE)
    problem, words, hint = epoch_loss_verdict(name, losses, batches, sizes, epochs)
    print(words + (f"\n  hint: {hint}" if hint else ""))
    if problem:
        raise AssertionError(f"wrong: {name} (see above)")


def _history_values(history) -> tuple[np.ndarray, np.ndarray]:
    """(history["loss"], history["batch_loss"]) as flat float64 arrays, or a clear error."""
    if not isinstance(history, dict):
        raise TypeError(f"check_epoch_losses expects the model's history, a dict with the lists 'loss' and "
                        f"'batch_loss'; got {_describe(history)}")
    found = []
    for key, what in (("loss", "one an epoch"), ("batch_loss", "one a batch")):
        if key not in history:
            raise KeyError(f"check_epoch_losses expects history[{key!r}], a list of losses ({what}), as the "
                           f"problem asks; the history has " + (f"the keys {', '.join(map(repr, history))}" if history
                                                                 else "no keys"))
        arr, _ = _numbers(_plain_list(history[key]))
        if arr is None or arr.dtype.kind not in "biuf":
            raise TypeError(f"check_epoch_losses expects history[{key!r}] to be a list of numbers ({what}), got "
                            + (_not_numbers(history[key]) if arr is None else f"an array of dtype {arr.dtype}"))
        found.append(arr.astype(np.float64).ravel())
    return found[0], found[1]


def _not_numbers(value) -> str:
    """What a list that is not numbers holds, in words ("a list holding a str")."""
    if type(value) in (list, tuple):
        other = next((v for v in value if _numbers(_plain_list([v]))[0] is None), None)  # (a number: an array)
        if other is not None:
            return f"a {type(value).__name__} holding a {_describe(other)}"
    return _describe(value)


def epoch_loss_verdict(name: str, losses, batches, sizes, epochs: int, hidden: bool = False,
                       within: float = EPOCH_LOSS_TOLERANCE) -> tuple[str | None, str, str]:
    """(problem or None, the verdict's words, the hint or ""): ``losses`` (epochs,) against the
    mean over each epoch's images of ``batches`` (epochs * batches,), the batches of an epoch
    having ``sizes`` (batches,). The notebook's check and the grader (judge.py) both decide here.
    ``hidden``: words without any value."""
    losses = np.asarray(losses, dtype=np.float64).ravel()
    batches = np.asarray(batches, dtype=np.float64).ravel()
    sizes = np.asarray(sizes, dtype=np.int64).ravel()
    n_batches = len(sizes) * epochs
    if hidden and (losses.shape != (epochs,) or batches.shape != (n_batches,)):
        return _wrong(f"{name}: wrong shape (one value an epoch in history['loss'], one a batch in "
                      f"history['batch_loss'])")
    if losses.shape != (epochs,):
        return _wrong(f"{name}: expected shape ({epochs},), one value an epoch, got {format_shape(losses.shape)}")
    if batches.shape != (n_batches,):
        return _wrong(f'history["batch_loss"]: expected shape ({n_batches},), one value a batch ({len(sizes)} '
                      f"batches of {sizes.sum()} images in an epoch, {_n_epochs(epochs)}), got "
                      f"{format_shape(batches.shape)}")
    for what, values in ((name, losses), ('history["batch_loss"]', batches)):
        if not np.isfinite(values).all():
            return _wrong(_not_finite(what, values))
    groups = batches.reshape(epochs, len(sizes))
    expected = groups @ sizes / sizes.sum()
    gaps = np.abs(losses - expected)
    if np.all(gaps <= within):
        return None, f"{name}: OK (every epoch within {within:g} of the mean over its images; largest " \
                     f"difference {gaps.max():.1e})", ""
    wrong = np.flatnonzero(gaps > within)
    words = f"{name}: wrong values in {len(wrong)} of {_n_epochs(epochs)} (tolerance {within:g})"
    if not hidden:
        words += "".join(f"\n  epoch {e + 1}: expected {expected[e]:.6g} (the mean of its {len(sizes)} batch "
                         f"losses, each weighted by its batch's size), got {losses[e]:.6g}" for e in wrong[:3])
    return words, words, _epoch_loss_hint(losses, groups, sizes, expected, within)


def _n_epochs(n: int) -> str:
    return f"{n} epoch" + "s" * (n != 1)


def _wrong(words: str) -> tuple[str, str, str]:
    return words, words, ""


def _epoch_loss_hint(losses, groups, sizes, expected, within) -> str:
    """The hint of every known mistake (EPOCH_LOSS_MISTAKES) that gives ``losses`` within
    ``within`` where the right values do not: one, or "one of these mistakes ...; or: ..."."""
    hints = []
    for _, predict, hint in EPOCH_LOSS_MISTAKES:
        with np.errstate(all="ignore"):
            values = predict(groups, sizes)
        for v in values if isinstance(values, list) else [values]:
            v = np.asarray(v, dtype=np.float64)
            if np.all(np.abs(losses - v) <= within) and np.any(np.abs(v - expected) > within):
                hints.append(hint)
                break
    return either_hint(hints)
