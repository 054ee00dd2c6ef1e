"""ScratchDeepNeuralNetworkClassifier: learns, is reproducible, records history, refuses bad input."""
import numpy as np
import pytest

from sprintlib.data import load_mnist
from sprintlib import ScratchDeepNeuralNetworkClassifier

# every test on the fast path and on the plain model answer (conftest.both_paths)
pytestmark = pytest.mark.usefixtures("both_paths")


@pytest.fixture(scope="module")
def small_mnist():
    (X, y), (Xt, yt) = load_mnist()
    return X[:3000], y[:3000], Xt[:1000], yt[:1000]


def test_learns_on_small_mnist(small_mnist):
    X, y, Xt, yt = small_mnist
    model = ScratchDeepNeuralNetworkClassifier((64,), epochs=4, batch_size=50, verbose=False)
    model.fit(X, y, Xt, yt)
    h = model.history
    assert len(h["loss"]) == len(h["val_accuracy"]) == 4
    assert h["loss"][-1] < h["loss"][0] < np.log(10)  # starts below chance, and falls
    assert h["val_accuracy"][-1] > 0.85
    assert model.score(Xt, yt) == pytest.approx(h["val_accuracy"][-1])
    proba = model.predict_proba(Xt[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(Xt[:5]), proba.argmax(axis=1))


def test_random_state_fixes_the_run(small_mnist):
    X, y, _, _ = small_mnist
    kw = dict(hidden_layer_sizes=(16,), epochs=1, batch_size=100, verbose=False)
    a = ScratchDeepNeuralNetworkClassifier(random_state=1, **kw).fit(X[:500], y[:500])
    b = ScratchDeepNeuralNetworkClassifier(random_state=1, **kw).fit(X[:500], y[:500])
    c = ScratchDeepNeuralNetworkClassifier(random_state=2, **kw).fit(X[:500], y[:500])
    assert a.history == b.history and a.history != c.history


@pytest.mark.parametrize("activation, optimizer", [("sigmoid", "sgd"), ("tanh", "adagrad"), ("relu", "rmsprop"),
                                                   ("relu", "momentum")])
def test_each_activation_and_optimizer_trains(small_mnist, activation, optimizer):
    X, y, Xt, yt = small_mnist
    lr = {"sgd": 0.5, "adagrad": 0.05, "rmsprop": 0.001, "momentum": 0.05}[optimizer]
    model = ScratchDeepNeuralNetworkClassifier((32,), activation=activation, optimizer=optimizer, lr=lr,
                                               initializer="xavier", epochs=3, verbose=False)
    model.fit(X, y)
    assert model.score(Xt, yt) > 0.75


def test_progress_bar_is_shown_when_verbose(small_mnist, capsys):
    X, y, _, _ = small_mnist
    ScratchDeepNeuralNetworkClassifier((8,), epochs=1, batch_size=500).fit(X[:1000], y[:1000])
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "2/2" in err and "loss=" in err


def test_bad_input(small_mnist):
    X, y, _, _ = small_mnist
    model = ScratchDeepNeuralNetworkClassifier((8,), epochs=1, verbose=False)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        model.predict(X)
    with pytest.raises(ValueError, match=r"expects y of shape \(100,\), got \(99,\)"):
        model.fit(X[:100], y[:99])
    with pytest.raises(ValueError, match=r"expects labels in y >= 0, got -1"):
        model.fit(X[:3], np.array([0, -1, 2]))
    model.fit(X[:200], y[:200])
    with pytest.raises(ValueError, match=r"ScratchDeepNeuralNetworkClassifier expects X of shape \(N, 784\), got \(5, 28, 28\)"):
        model.predict(X[:5].reshape(5, 28, 28))
    with pytest.raises(ValueError, match=r"expects labels in y_val in 0..9, got 10"):
        model.fit(X[:100], y[:100], X[:2], np.array([1, 10]))
    bad = X[:100].copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match="expects finite values in X, got 1 NaN and 0 inf"):
        model.fit(bad, y[:100])


def test_integer_pixels_work():
    (X, y), _ = load_mnist(normalize=False)
    Xi = X[:300].astype(np.uint8)
    model = ScratchDeepNeuralNetworkClassifier((16,), epochs=1, verbose=False).fit(Xi / 255, y[:300])
    assert model.predict(Xi[:10]).shape == (10,)


def test_lr_decay_shrinks_the_learning_rate_each_epoch_and_gives_it_back():
    from sprintlib.optimizers import SGD

    class Recording(SGD):  # remembers the learning rate of every update
        def update(self, layer):
            self.seen.add(self.lr)
            return super().update(layer)

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
    opt = Recording(lr=0.5)
    opt.seen = set()
    model = ScratchDeepNeuralNetworkClassifier((4,), epochs=3, batch_size=40, optimizer=opt,
                                               lr_decay=0.5, verbose=False).fit(X, y)
    assert sorted(opt.seen) == [0.125, 0.25, 0.5]  # epoch e: lr * 0.5**e
    assert opt.lr == 0.5 and model.lr_decay == 0.5  # the instance passed in is unchanged
    with pytest.raises(ValueError, match="expects lr_decay to be a number in \\(0, 1\\], got 1.5"):
        ScratchDeepNeuralNetworkClassifier(lr_decay=1.5)
    with pytest.raises(ValueError, match="expects lr_decay to be a number > 0, got 0"):
        ScratchDeepNeuralNetworkClassifier(lr_decay=0)


def _tiny_data(n=40, n_features=6, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_features)), np.arange(n) % n_classes


def _with_nan(X):
    X = X.copy()
    X[1, 2] = np.nan
    return X


X6, Y4 = _tiny_data()  # labels 0..3, all present

# fit's arguments (X, y, X_val, y_val) -> the message; each fails before anything is built
BAD_FIT_DATA = [
    ((_with_nan(X6), Y4), "expects finite values in X, got 1 NaN and 0 inf"),
    ((X6, Y4[:-1]), r"expects y of shape \(40,\), got \(39,\)"),
    ((X6[:, :, None], Y4), r"expects X of shape \(N, n_features\), got \(N, 6, 1\)"),
    ((X6[:0], Y4[:0]), r"expects X of shape \(N, 6\) with at least one entry along every axis, got \(0, 6\)"),
    ((X6.astype(str), Y4), "expects X to hold numbers, got an array of dtype <U"),
    ((X6, Y4 + 0.5), "expects integer class labels in y, got non-integer values"),
    ((np.ma.masked_invalid(_with_nan(X6)), Y4), r"expects X as a plain array, got a masked array \(1 of its "
                                                r"values masked\): masked arrays are not supported"),
    ((X6, np.ma.masked_equal(Y4, 3)), r"expects y as a plain array, got a masked array \(10 of its values masked\)"),
    ((X6, Y4, X6[:10, :3], Y4[:10]), r"expects X_val of shape \(N, 6\), got \(10, 3\)"),
    ((X6, Y4, _with_nan(X6), Y4), "expects finite values in X_val, got 1 NaN"),
    ((X6, Y4, X6[:0], Y4[:0]), r"expects X_val of shape \(N, 6\) with at least one entry along every axis, got \(0, 6\)"),
    ((X6, Y4, X6[:10], Y4[:9]), r"expects y_val of shape \(10,\), got \(9,\)"),
    ((X6, Y4, X6[:2], np.array([1, 4])), r"expects labels in y_val in 0..3, got 4"),
    ((X6, Y4, X6[:10], None), "expects X_val and y_val together, got X_val without y_val"),
    ((X6, Y4, None, Y4[:10]), "expects X_val and y_val together, got y_val without X_val"),
]


@pytest.mark.parametrize("args, message", BAD_FIT_DATA, ids=[m[:40] for _, m in BAD_FIT_DATA])
def test_a_failed_fit_leaves_the_trained_model_as_it_was(args, message):
    model = ScratchDeepNeuralNetworkClassifier((5,), epochs=2, verbose=False).fit(X6, Y4)
    layers, W, history = model.layers, model.layers[0].W.copy(), model.history
    proba = model.predict_proba(X6)
    with pytest.raises(ValueError, match=r"^ScratchDeepNeuralNetworkClassifier " + message):
        model.fit(*args)
    assert model.layers is layers and model.history is history
    np.testing.assert_array_equal(model.layers[0].W, W)
    np.testing.assert_array_equal(model.predict_proba(X6), proba)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "evaluate", "score"])
def test_no_samples_is_a_clear_error(method):
    model = ScratchDeepNeuralNetworkClassifier((5,), epochs=1, verbose=False).fit(X6, Y4)
    args = (X6[:0],) if method.startswith("predict") else (X6[:0], Y4[:0])
    with pytest.raises(ValueError, match=r"ScratchDeepNeuralNetworkClassifier expects X of shape \(N, 6\) "
                                         r"with at least one entry along every axis, got \(0, 6\)"):
        getattr(model, method)(*args)


@pytest.mark.parametrize("method", ["predict_proba", "evaluate"])
def test_a_prediction_batch_size_of_zero_is_named(method):
    model = ScratchDeepNeuralNetworkClassifier((5,), epochs=1, verbose=False).fit(X6, Y4)
    args = (X6,) if method == "predict_proba" else (X6, Y4)
    with pytest.raises(ValueError, match=r"ScratchDeepNeuralNetworkClassifier expects batch_size to be an "
                                         r"integer >= 1, got 0"):
        getattr(model, method)(*args, batch_size=0)


def _models():
    from sprintlib import LeNet, Scratch1dCNNClassifier, Scratch2dCNNClassifier, ScratchSimpleRNNClassifier
    return {"DNN": ScratchDeepNeuralNetworkClassifier, "LeNet": LeNet, "CNN1": Scratch1dCNNClassifier,
            "CNN2": Scratch2dCNNClassifier, "RNN": ScratchSimpleRNNClassifier}


# (model, constructor arguments) -> the message: every argument is checked when the model is made
BAD_MODEL_ARGUMENTS = [
    ("DNN", dict(epochs=0), "expects epochs to be an integer >= 1, got 0"),
    ("DNN", dict(epochs=2.5), "expects epochs to be an integer >= 1, got 2.5"),
    ("DNN", dict(batch_size=-1), "expects batch_size to be an integer >= 1, got -1"),
    ("DNN", dict(lr=0), "expects lr to be a number > 0, got 0"),
    ("DNN", dict(lr=float("nan")), "expects lr to be a number > 0, got nan"),
    ("DNN", dict(lr="0.1"), "expects lr to be a number > 0, got '0.1'"),
    ("DNN", dict(lr_decay=1.5), r"expects lr_decay to be a number in \(0, 1\], got 1.5"),
    ("DNN", dict(optimizer="adamw"), "expects optimizer to be one of 'sgd', 'momentum', 'adagrad', "
                                     "'rmsprop', 'adam' or an Optimizer, got 'adamw'"),
    ("DNN", dict(optimizer=None), "expects optimizer to be one of .* got None"),
    ("DNN", dict(initializer="glorot"), "expects initializer to be one of 'he', 'xavier', 'simple', got 'glorot'"),
    ("DNN", dict(dtype=np.int32), r"expects dtype to be a floating dtype \(np.float32 or np.float64\), got"),
    ("DNN", dict(dtype="fast"), "expects dtype to be a floating dtype .* got 'fast'"),
    ("DNN", dict(random_state=-1), "expects random_state to be None, an integer >= 0 or a numpy.random.Generator, got -1"),
    ("DNN", dict(random_state=1.5), "expects random_state to be None, .* got 1.5"),
    ("DNN", dict(verbose="yes"), "expects verbose to be True or False, got 'yes'"),
    ("DNN", dict(verbose="no"), "expects verbose to be True or False, got 'no'"),
    ("DNN", dict(verbose=2), "expects verbose to be True or False, got 2"),
    ("DNN", dict(hidden_layer_sizes=100), r"expects hidden_layer_sizes to be a tuple of integers >= 1, got 100"),
    ("DNN", dict(hidden_layer_sizes=(100, 0)), "expects every entry of hidden_layer_sizes to be an integer >= 1, got 0"),
    ("DNN", dict(activation="softmax"), "expects activation to be one of 'relu', 'sigmoid', 'tanh', got 'softmax'"),
    ("RNN", dict(activation="gelu"), "expects activation to be one of 'relu', 'sigmoid', 'tanh', got 'gelu'"),
    ("RNN", dict(clip_norm=0), "expects clip_norm to be a number > 0, got 0"),
    ("CNN1", dict(stride=0), "expects stride to be an integer >= 1, got 0"),
    ("CNN1", dict(pad=-1), "expects pad to be an integer >= 0, got -1"),
    ("CNN2", dict(pool_size=(2, 0)), "expects pool_size to be an integer >= 1, got 0"),
    ("CNN2", dict(filter_size=2.5), r"expects filter_size to be an int or a pair \(height, width\), got 2.5"),
    ("CNN2", dict(pad=np.array([1, 1, 1])), r"expects pad to be an int or a pair \(height, width\), got array"),
    ("CNN2", dict(hidden=[32, -1]), "expects every entry of hidden to be an integer >= 1, got -1"),
    ("LeNet", dict(padding=["same"]), r"expects padding 'same' or 'valid', got \['same'\]"),
]


@pytest.mark.parametrize("model, kwargs, message", BAD_MODEL_ARGUMENTS,
                         ids=[f"{m}-{'-'.join(kw)}" for m, kw, _ in BAD_MODEL_ARGUMENTS])
def test_every_model_argument_is_checked(model, kwargs, message):
    make = _models()[model]
    with pytest.raises(ValueError, match=f"^{make.__name__} {message}"):
        make(**kwargs)


def test_model_arguments_keep_the_form_given():
    from sprintlib import Scratch2dCNNClassifier
    model = Scratch2dCNNClassifier(filter_size=3, pool_size=(2, 2), hidden=[32], random_state=np.int64(4),
                                   verbose=0, lr=None, pad=np.array([1, 0]))
    assert (model.filter_size, model.pool_size, model.hidden) == (3, (2, 2), (32,))
    assert model.pad == (1, 0) and type(model.pad[0]) is int  # an array pair: a tuple of ints (save_weights' JSON)
    assert model.random_state == 4 and model.verbose is False
    assert model.build((1, 8, 8), 3).optimizer_.lr == 0.001  # lr=None: the optimizer's default
