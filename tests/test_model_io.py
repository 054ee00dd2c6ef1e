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
    assert [l.get_label() for l in loss_ax.lines] == ["train loss (epoch's mean)", "validation loss"]


def _fit(hidden=(4,), activation="relu", n_features=6, n_classes=4):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((30, n_features)), np.arange(30) % n_classes
    return ScratchDeepNeuralNetworkClassifier(hidden, activation=activation, epochs=1, verbose=False).fit(X, y)


# (saved model, loading model) -> the message: every array's shape fits (4 features, 4 classes),
# but the file holds other layers; only the stored architecture tells
OTHER_ARCHITECTURES = [
    (lambda: _fit(activation="relu"), lambda: ScratchDeepNeuralNetworkClassifier((4,), activation="tanh"),
     r"expects weights saved from ScratchDeepNeuralNetworkClassifier\(hidden_layer_sizes=\(4,\), "
     r"activation='tanh'\), got weights saved from ScratchDeepNeuralNetworkClassifier\("
     r"hidden_layer_sizes=\(4,\), activation='relu'\) in .*w.npz"),
    (lambda: _fit(hidden=(4, 4)), lambda: ScratchDeepNeuralNetworkClassifier((4,)),
     r"expects weights saved from ScratchDeepNeuralNetworkClassifier\(hidden_layer_sizes=\(4,\), "
     r"activation='relu'\), got weights saved from ScratchDeepNeuralNetworkClassifier\("
     r"hidden_layer_sizes=\(4, 4\), activation='relu'\)"),
    (lambda: _fit(hidden=(4,)), lambda: ScratchDeepNeuralNetworkClassifier((4, 4)),
     r"expects 4.W of shape \(4, 4\) in .*w.npz, got no such array \(the file holds "
     r"ScratchDeepNeuralNetworkClassifier\(hidden_layer_sizes=\(4,\), activation='relu'\)\)"),
]


@pytest.mark.parametrize("make_saved, make_loader, message", OTHER_ARCHITECTURES,
                         ids=["relu-into-tanh", "two-hidden-into-one", "one-hidden-into-two"])
def test_weights_of_another_architecture_are_refused(tmp_path, make_saved, make_loader, message):
    make_saved().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="^ScratchDeepNeuralNetworkClassifier " + message):
        make_loader().load_weights(tmp_path / "w.npz")


def _write_bad_file(path, kind):
    """A file that load_weights must refuse, leaving the model as it was."""
    if kind == "missing":
        return
    if kind == "text":
        path.write_text("W = [[1, 2], [3, 4]]\n")
    elif kind == "npy":
        np.save(path.with_suffix(".npy"), np.zeros(3))
        path.with_suffix(".npy").rename(path)
    elif kind == "no architecture":  # the form save_weights wrote before the architecture was stored
        model = _fit()
        np.savez(path, __input_shape__=np.array([6]), __n_classes__=4,
                 **{f"{i}.{n}": p for i, layer in enumerate(model.layers) for n, p in layer.params().items()})
    elif kind == "bad architecture":
        np.savez(path, __architecture__=np.array("{not json"))
    else:  # a NaN in the last array: every array before it fits, so a load without a swap would be half done
        _fit().save_weights(path)
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        arrays["2.B"][0] = np.nan
        np.savez(path, **arrays)


BAD_FILES = [
    ("missing", FileNotFoundError, r"expects a weights file, got no file at .*w.npz: write it with save_weights"),
    ("text", ValueError, r"expects a .npz file written by save_weights, got .*w.npz, which is not one"),
    ("npy", ValueError, r"expects a .npz file written by save_weights, got .*w.npz, which is not one"),
    ("no architecture", ValueError, r"expects a file written by save_weights, got .*w.npz without a valid "
                                    r"__architecture__ .*: write it with save_weights"),
    ("bad architecture", ValueError, r"expects a file written by save_weights, got .*w.npz without a valid"),
    ("NaN", ValueError, r"expects finite values in 2.B in .*w.npz, got 1 NaN and 0 inf"),
]


@pytest.mark.parametrize("fitted", [True, False], ids=["fitted", "not-fitted"])
@pytest.mark.parametrize("kind, error, message", BAD_FILES, ids=[k for k, _, _ in BAD_FILES])
def test_a_failed_load_leaves_the_model_as_it_was(tmp_path, fitted, kind, error, message):
    path = tmp_path / "w.npz"
    _write_bad_file(path, kind)
    model = _fit() if fitted else ScratchDeepNeuralNetworkClassifier((4,), verbose=False)
    attributes = dict(vars(model))  # layers, input_shape_, optimizer_, ...: none may be replaced
    weights = [p.copy() for layer in model.layers or [] for p in layer.params().values()]
    with pytest.raises(error, match="^ScratchDeepNeuralNetworkClassifier " + message):
        model.load_weights(path)
    assert vars(model).keys() == attributes.keys()
    assert all(vars(model)[k] is v for k, v in attributes.items())
    for p, w in zip([p for layer in model.layers or [] for p in layer.params().values()], weights, strict=True):
        np.testing.assert_array_equal(p, w)


def test_the_architecture_is_stored_as_json(fitted, tmp_path):
    import json

    model, _ = fitted
    model.save_weights(tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as f:
        arch = json.loads(str(f["__architecture__"]))
    assert arch == model.architecture()
    assert arch["model"] == "ScratchDeepNeuralNetworkClassifier"
    assert arch["settings"] == {"hidden_layer_sizes": [8, 4], "activation": "relu"}
    assert (arch["input_shape"], arch["n_classes"]) == ([20], 3)
    assert arch["layers"][0] == {"type": "FC", "repr": "FC(20, 8)", "params": {"W": [20, 8], "B": [8]}}
    assert [l["type"] for l in arch["layers"]] == ["FC", "ReLU", "FC", "ReLU", "FC"]
