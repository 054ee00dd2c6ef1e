"""Full MNIST training of the sprints' models (make train; not part of make test).

Each prints its accuracy, epochs and wall time; the thresholds are issue 6's."""
import time

import numpy as np
import pytest

from sprintlib.data import load_mnist
from sprintlib.models import LeNet, Scratch1dCNNClassifier, Scratch2dCNNClassifier

pytestmark = pytest.mark.slow


def _train(model, flatten, threshold):
    (X, y), (Xt, yt) = load_mnist(flatten=flatten, dtype=np.float32)
    start = time.perf_counter()
    model.fit(X[:55000], y[:55000], X[55000:], y[55000:])
    seconds = time.perf_counter() - start
    accuracy = model.score(Xt, yt)
    print(f"\n{model.name}: test accuracy {accuracy:.2%} after {model.epochs} epochs in {seconds:.0f} s")
    assert accuracy >= threshold
    return model


def test_scratch_1d_cnn_reaches_97_percent():
    _train(Scratch1dCNNClassifier(epochs=3, batch_size=100, dtype=np.float32, random_state=0), True, 0.97)


def test_scratch_2d_cnn_reaches_98_percent():
    _train(Scratch2dCNNClassifier(epochs=3, batch_size=100, dtype=np.float32, random_state=0), False, 0.98)


def test_lenet_reaches_98_8_percent():
    _train(LeNet("same", epochs=6, batch_size=128, dtype=np.float32, random_state=0), False, 0.988)
