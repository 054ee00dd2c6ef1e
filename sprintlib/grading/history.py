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
"""
from __future__ import annotations

import numpy as np

from .._checks import check_int
from .checks import _report
from . import mode
from .mistakes import Mistake, _Explainer
from .records import _emit
from .values import _plain_list


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


def epoch_loss_gaps(history: dict, n_images: int, batch_size: int) -> np.ndarray:
    """Each epoch's ``history["loss"]`` minus the mean of that epoch's ``history["batch_loss"]``
    weighted by the batches' sizes (GetMiniBatch's: full batches, then the remainder), rounded
    to 3 decimals: zeros when the epoch's loss is the mean over its images, as sprints 1 and 2
    ask. Their classifiers build their own networks inside fit, so no recorder can stand in
    for them: this compares the history with itself (a last batch's loss is off by far more
    than 0.001; a plain mean of the batch losses, by much less).

    history : dict with "loss" (one value an epoch) and "batch_loss" (one value a batch)
    Returns an array of shape (epochs,).
    """
    n_images = check_int(n_images, "epoch_loss_gaps", "n_images")
    batch_size = check_int(batch_size, "epoch_loss_gaps", "batch_size")
    for key in ("loss", "batch_loss"):
        if not isinstance(history, dict) or key not in history:
            raise KeyError(f"epoch_loss_gaps expects history[{key!r}], as the problem asks; got "
                           f"{sorted(history) if isinstance(history, dict) else type(history).__name__}")
    losses = np.asarray(history["loss"], dtype=np.float64).ravel()
    sizes = np.diff(np.r_[np.arange(0, n_images, batch_size), n_images])  # (batches a epoch,)
    batches = np.asarray(history["batch_loss"], dtype=np.float64).ravel()
    if len(batches) != len(sizes) * len(losses):
        raise AssertionError(f"history['batch_loss'] holds {len(batches)} values: expected one a batch, "
                             f"{len(sizes)} batches of {n_images} images a epoch for {len(losses)} epochs")
    means = batches.reshape(len(losses), len(sizes)) @ sizes / n_images
    return np.round(losses - means, 3) + 0.0  # + 0.0: -0.0 prints as 0.
