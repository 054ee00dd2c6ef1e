"""The sprints' CNN classifiers: Keras-style summaries, LeNet against Keras with copied
weights, small-data training that learns, weights saved and loaded, the plots."""
import re
from pathlib import Path

import numpy as np
import pytest

from sprintlib.data import load_mnist
from sprintlib import LeNet, Scratch1dCNNClassifier, Scratch2dCNNClassifier
from sprintlib.plotting import (confusion_matrix, plot_confusion_matrix, plot_feature_maps, plot_filters,
                                plot_learning_curve)

IMAGE = (1, 28, 28)
WEIGHTS = Path(__file__).resolve().parents[1] / "data" / "weights" / "lenet_same.npz"


@pytest.fixture(scope="module")
def small_mnist():
    (X, y), (Xt, yt) = load_mnist(flatten=False)
    return X[:2000], y[:2000], Xt[:500], yt[:500]


@pytest.mark.parametrize("padding, per_layer, total", [
    ("same", [156, 2416, 94200, 10164, 850], 107_786),
    ("valid", [156, 2416, 30840, 10164, 850], 44_426),
])
def test_lenet_parameter_counts(padding, per_layer, total):
    model = LeNet(padding).build(IMAGE, 10)
    lines = []
    assert model.summary(print_fn=lines.append) == total
    assert [layer.n_params for layer in model.layers if layer.n_params] == per_layer
    assert f"Total params: {total:,}" in lines[-1]


def test_lenet_summary_shapes():
    lines = []
    LeNet("same").build(IMAGE, 10).summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape in ["(None, 6, 28, 28)", "(None, 6, 14, 14)", "(None, 16, 14, 14)", "(None, 16, 7, 7)",
                  "(None, 784)", "(None, 120)", "(None, 84)", "(None, 10)"]:
        assert shape in text


def _keras_lenet(tf, padding):
    keras = tf.keras
    layers = [
        keras.Input((28, 28, 1), dtype="float64"),
        keras.layers.Conv2D(6, 5, padding=padding, activation="relu", dtype="float64"),
        keras.layers.MaxPooling2D(2, dtype="float64"),
        keras.layers.Conv2D(16, 5, padding=padding, activation="relu", dtype="float64"),
        keras.layers.MaxPooling2D(2, dtype="float64"),
        keras.layers.Flatten(dtype="float64"),
        keras.layers.Dense(120, activation="relu", dtype="float64"),
        keras.layers.Dense(84, activation="relu", dtype="float64"),
        keras.layers.Dense(10, activation="softmax", dtype="float64"),
    ]
    return keras.Sequential(layers)


def _copy_weights(ours, keras_model):
    """sprintlib's NCHW weights into Keras's NHWC model."""
    convs = [l for l in ours.layers if type(l).__name__ == "Conv2d"]
    fcs = [l for l in ours.layers if type(l).__name__ == "FC"]
    k_convs = [l for l in keras_model.layers if "conv" in l.name]
    k_dense = [l for l in keras_model.layers if "dense" in l.name]
    for c, k in zip(convs, k_convs):
        k.set_weights([c.W.transpose(2, 3, 1, 0), c.B])  # (C_out, C_in, FH, FW) -> (FH, FW, C_in, C_out)
    C, H, W = 16, *([7, 7] if ours.padding == "same" else [4, 4])
    # our Flatten orders features (C, H, W), Keras's (H, W, C): permute the first FC's rows
    W1 = fcs[0].W.reshape(C, H, W, -1).transpose(1, 2, 0, 3).reshape(C * H * W, -1)
    k_dense[0].set_weights([W1, fcs[0].B])
    for f, k in zip(fcs[1:], k_dense[1:]):
        k.set_weights([f.W, f.B])


@pytest.mark.tf
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_lenet_matches_keras_with_copied_weights(tf, small_mnist, padding):
    X = small_mnist[0][:16]
    ours = LeNet(padding, random_state=3).build(IMAGE, 10)
    keras_model = _keras_lenet(tf, padding)
    assert keras_model.count_params() == ours.n_params
    _copy_weights(ours, keras_model)
    expected = keras_model(X.transpose(0, 2, 3, 1)).numpy()
    np.testing.assert_allclose(ours.predict_proba(X), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("make, X_form", [
    (lambda: Scratch1dCNNClassifier(n_filters=4, hidden=(32,), epochs=2, batch_size=50, verbose=False), "flat"),
    (lambda: Scratch2dCNNClassifier(n_filters=4, hidden=(32,), epochs=2, batch_size=50, verbose=False), "image"),
    (lambda: LeNet("valid", epochs=2, batch_size=50, verbose=False), "image"),
])
def test_small_data_training_learns(small_mnist, make, X_form):
    X, y, Xt, yt = small_mnist
    if X_form == "flat":
        X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)
    model = make().fit(X, y, Xt, yt)
    h = model.history
    assert h["loss"][1] < h["loss"][0] < np.log(10)
    assert h["val_accuracy"][1] > 0.7  # chance is 0.1


@pytest.mark.parametrize("make, shape, first", [
    (lambda: LeNet("same"), IMAGE, 0),
    (lambda: Scratch1dCNNClassifier(), (784,), 1),  # after a Reshape
])
def test_the_first_layer_with_parameters_skips_the_gradient_of_the_data(make, shape, first):
    model = make().build(shape, 10)
    needs = [layer.needs_input_grad for layer in model.layers]
    assert needs == [i != first for i in range(len(needs))]
    X = np.random.default_rng(0).random((4,) + shape)
    model._forward(X)
    model.output.loss(np.arange(4))
    assert model._backward(model.output.backward(np.arange(4))) is None
    assert model.layers[first].dW.shape == model.layers[first].W.shape


def test_save_and_load_lenet(small_mnist, tmp_path):
    X = small_mnist[0][:8]
    model = LeNet("same", random_state=1).build(IMAGE, 10)
    model.save_weights(tmp_path / "lenet.npz")
    again = LeNet("same", random_state=99).load_weights(tmp_path / "lenet.npz")
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError, match=r"LeNet expects 7.W of shape \(256, 120\) in .*, got \(784, 120\)"):
        LeNet("valid").load_weights(tmp_path / "lenet.npz")


def test_shipped_lenet_weights_classify_the_test_images():
    # data/weights/lenet_same.npz (python -m sprintlib.train_lenet), what the notebooks load
    model = LeNet("same", dtype=np.float32).load_weights(WEIGHTS)
    with np.load(WEIGHTS) as f:
        assert {f[k].dtype for k in f.files if not k.startswith("__")} == {np.dtype(np.float32)}
    assert model.n_params == 107_786
    _, (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)
    # all 10,000 test images, against the bar for a trained LeNet (the file scores 99.07%)
    accuracy = model.score(X_test, y_test)
    assert accuracy >= 0.988, f"the shipped LeNet weights classify {accuracy:.2%} of the 10,000 test images"


def test_the_shipped_file_holds_its_architecture(tmp_path):
    # LeNet("valid") fails on the first array that does not fit, and says what the file holds
    with pytest.raises(ValueError, match=r"^LeNet expects 7.W of shape \(256, 120\) in .*lenet_same.npz, "
                                         r"got \(784, 120\) \(the file holds LeNet\(padding='same'\)\)$"):
        LeNet("valid").load_weights(WEIGHTS)
    # another class: refused before anything is built from the file's input shape
    Scratch2dCNNClassifier(n_filters=2, hidden=(4,)).build(IMAGE, 10).save_weights(tmp_path / "cnn.npz")
    with pytest.raises(ValueError, match=r"^LeNet expects weights saved from LeNet\(padding='same'\), got weights "
                                         r"saved from Scratch2dCNNClassifier\(n_filters=2, filter_size=3, pad=1, "
                                         r"pool_size=2, hidden=\(4,\)\) in .*cnn.npz$"):
        LeNet("same").load_weights(tmp_path / "cnn.npz")
    with pytest.raises(ValueError, match=r"^Scratch2dCNNClassifier expects weights saved from Scratch2dCNNClassifier"
                                         r"\(n_filters=16, .*\), got weights saved from LeNet\(padding='same'\)"):
        Scratch2dCNNClassifier().load_weights(WEIGHTS)


def test_train_lenet_writes_what_load_weights_reads(tmp_path, monkeypatch, capsys):
    from sprintlib import train_lenet

    def no_training(verbose):  # the run itself is tests/test_training.py's (make train)
        model = LeNet(**train_lenet.SETTINGS).build(IMAGE, 10)
        model.history = {"val_accuracy": [0.1]}
        return model, 0.1, 0.0

    monkeypatch.setattr(train_lenet, "train", no_training)
    train_lenet.main(["--out", str(tmp_path / "w.npz"), "--quiet"])
    assert "weights written to" in capsys.readouterr().out
    assert LeNet("same", dtype=np.float32).load_weights(tmp_path / "w.npz").n_params == 107_786


def test_bad_input_names_the_model(small_mnist):
    with pytest.raises(ValueError, match=r"LeNet expects X of shape \(N, C, H, W\), got \(N, 784\)"):
        LeNet().build((784,), 10)
    with pytest.raises(ValueError, match="LeNet expects padding 'same' or 'valid', got 'full'"):
        LeNet("full")
    model = LeNet().build(IMAGE, 10)
    with pytest.raises(ValueError, match=r"LeNet expects X of shape \(N, 1, 28, 28\), got \(2, 28, 28\)"):
        model.predict(np.zeros((2, 28, 28)))


# input sizes a model's layers do not take -> its message: the model, the layer (its index in
# model.layers, its name in summary()), the size that came and the sizes that fit, and only
# settings the model takes (the layers' own messages suggested allow_remainder=True)
SIZE_ERRORS = [
    (lambda: Scratch2dCNNClassifier(), (1, 27, 27),
     r"Scratch2dCNNClassifier expects X of shape (N, C, H, W) with H and W in 2, 4, 6, 8, ..., got (N, 1, 27, 27): "
     r"layers[2] (maxpool2d_2 in summary(), MaxPool2D((2, 2), stride=(2, 2))) gets H = W = 27, which its "
     r"windows of 2 at stride 2 do not tile; H = W = 26 or 28 would fit (the sizes follow from filter_size=3, "
     r"pad=1, pool_size=2)"),
    (lambda: Scratch1dCNNClassifier(stride=2), (784,),
     r"Scratch1dCNNClassifier expects X of shape (N, n_features) with n_features in 1, 3, 5, 7, ..., got (N, 784): "
     r"layers[1] (conv1d_1 in summary(), Conv1d(1, 8, 5, stride=2, pad=2)) gets n_features = 784, which its "
     r"windows of 5 at stride 2 and pad 2 do not tile; n_features = 783 or 785 would fit (the sizes follow "
     r"from filter_size=5, stride=2, pad=2)"),
    (lambda: LeNet(padding="valid"), (1, 14, 14),
     r"LeNet expects X of shape (N, C, H, W) with H and W in 16, 20, 24, 28, ..., got (N, 1, 14, 14): H = W = 14 "
     r"reaches layers[5] (maxpool2d_5 in summary(), MaxPool2D((2, 2), stride=(2, 2))) as 1, smaller than its "
     r"window of 2; H = W = 16 would fit (the sizes follow from padding='valid')"),
    (lambda: LeNet(), (1, 28, 30),
     r"LeNet expects X of shape (N, C, H, W) with W in 4, 8, 12, 16, ..., got (N, 1, 28, 30): W = 30 reaches "
     r"layers[5] (maxpool2d_5 in summary(), MaxPool2D((2, 2), stride=(2, 2))) as 15, which its windows of 2 "
     r"at stride 2 do not tile; W = 28 or 32 would fit (the sizes follow from padding='same')"),
]


@pytest.mark.parametrize("make, shape, message", SIZE_ERRORS, ids=["cnn2-27", "cnn1-stride2", "lenet-valid-14", "lenet-30"])
def test_a_size_the_layers_do_not_take_is_named_for_the_model(make, shape, message):
    y = np.arange(4) % 2
    with pytest.raises(ValueError) as err:
        make().fit(np.zeros((4,) + shape), y)
    assert str(err.value) == message and "allow_remainder" not in message
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        make().build(shape, 10)


def test_plots(small_mnist):
    X, y = small_mnist[0], small_mnist[1]
    model = LeNet("same", random_state=0).build(IMAGE, 10)
    fig = plot_filters(model.layers[0].W)
    assert len([ax for ax in fig.axes if ax.images]) == 6
    fig = plot_feature_maps(model.layers, X[0])
    assert len(fig.axes) > 6
    counts = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    fig = plot_confusion_matrix(y[:100], model.predict(X[:100]), n_classes=10)
    assert "accuracy" in fig.axes[0].get_title()


@pytest.mark.parametrize("y_true, y_pred, n_classes, message", [
    ([0, 1, 2], [-1, 1, 2], None, r"labels in y_pred >= 0, got -1"),  # np.add.at wrapped -1 to the last class
    ([0, 1.7], [0, 1], None, "integer class labels in y_true"),  # was truncated to 1
    (np.eye(3), np.eye(3), None, r"y_true of shape \(N,\), got \(3, 3\)"),  # one-hot rows read as labels 0, 1
    ([0, 1, 5], [0, 1, 2], 3, r"labels in y_true in 0..2, got 5"),
    ([0, 1], [0, 1, 1], None, r"y_pred of shape \(2,\), got \(3,\)"),
    ([], [], None, r"y_true of shape \(N,\) with at least one label"),
])
def test_confusion_matrix_refuses_what_is_not_labels(y_true, y_pred, n_classes, message):
    with pytest.raises(ValueError, match="confusion_matrix expects " + message):
        confusion_matrix(y_true, y_pred, n_classes)


def test_learning_curve_of_an_unfitted_model_and_of_arrays():
    with pytest.raises(ValueError, match="plot_learning_curve expects a classifier's history.*fit the model first"):
        plot_learning_curve(None)
    fig = plot_learning_curve({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_loss": np.array([1.1, 0.6])})
    assert len(fig.axes[0].lines) == 2
