"""ScratchDeepNeuralNetworkClassifier: learns, is reproducible, records history, refuses bad input."""
import numpy as np
import pytest

from sprintlib.data import load_mnist
from sprintlib import ScratchDeepNeuralNetworkClassifier


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
