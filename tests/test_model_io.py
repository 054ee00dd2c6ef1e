"""summary() in Keras's form, save/load of weights, the learning-curve figure."""
import numpy as np
import pytest

from sprintlib import ScratchDeepNeuralNetworkClassifier
from sprintlib.plotting import plot_learning_curve


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 20)), rng.integers(0, 3, 60)
    return ScratchDeepNeuralNetworkClassifier((8, 4), epochs=2, verbose=False).fit(X, y, X[:10], y[:10]), X


def test_summary(fitted):
    model, _ = fitted
    lines = []
    total = model.summary(print_fn=lines.append)
    assert total == (20 * 8 + 8) + (8 * 4 + 4) + (4 * 3 + 3) == model.n_params
    text = "\n".join(lines)
    assert "fc_0" in text and "(None, 8)" in text and "(None, 3)" in text and "Total params: 219" in text


def test_save_and_load(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "w.npz"
    model.save_weights(path)
    fresh = ScratchDeepNeuralNetworkClassifier((8, 4), verbose=False).load_weights(path)
    np.testing.assert_array_equal(fresh.predict_proba(X), model.predict_proba(X))
    other = ScratchDeepNeuralNetworkClassifier((9, 4), verbose=False)
    with pytest.raises(ValueError, match=r"expects 0.W of shape \(20, 9\)"):
        other.load_weights(path)


def test_learning_curve_figure(fitted):
    model, _ = fitted
    fig = plot_learning_curve(model.history, title="t")
    loss_ax, acc_ax = fig.axes
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), model.history["loss"])
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), model.history["val_accuracy"])
    assert [l.get_label() for l in loss_ax.lines] == ["train loss", "validation loss"]
