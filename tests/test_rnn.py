"""SimpleRNN: the sprint's small-array case, a BPTT with the final state in dW_h, numerical gradients, Keras, bad input."""
import numpy as np
import pytest

from sprintlib import SGD, SimpleInitializer, XavierInitializer
from sprintlib import SimpleRNN
import reference
from sprintlib.testing import check_against_tf, check_numerical_gradients, numerical_gradient, rel_error

# every test on the fast path and on the plain model answer (conftest.both_paths)
pytestmark = pytest.mark.usefixtures("both_paths")

# -- sprint 4's small-array case (data/reference/sprint4_rnn.json; every value is checked in
# tests/test_reference_values.py, these tests use them for what else they show) --------------
EVERY_CASE = reference.case("sprint4_rnn", "backward, dL/dh_t = 1 for every t")
LAST_CASE = reference.case("sprint4_rnn", "backward, dL/dh_3 = 1 only")
X_DOC = EVERY_CASE["X"]  # (1, 3, 2)
W_X_DOC, W_H_DOC, B_DOC = (EVERY_CASE["params"][n] for n in ("W_x", "W_h", "B"))
H_DOC = reference.case("sprint4_rnn", "forward")["expected"]["A"][0]
EVERY, LAST = EVERY_CASE["expected"], LAST_CASE["expected"]


def doc_rnn(return_sequences, **kwargs):
    """The document's layer: its weights set by hand, as the notebook does."""
    rnn = SimpleRNN(2, 4, return_sequences=return_sequences, **kwargs)
    rnn.W_x, rnn.W_h, rnn.B = W_X_DOC.copy(), W_H_DOC.copy(), B_DOC.copy()
    return rnn


def assert_given_digits(actual, expected, decimals, name=""):
    """Equal to the digits the sprint gives: within half a unit of the last decimal."""
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=0.5 * 10.0**-decimals, err_msg=name)


def test_forward_last_state_only():
    last = doc_rnn(False).forward(X_DOC)
    assert last.shape == (1, 4)
    assert_given_digits(last, [H_DOC[2]], 8)


def test_forward_integer_input():
    # the document's x times 100, as integers, with W_x / 100: the same a_t as X_DOC
    rnn = doc_rnn(True)
    rnn.W_x = W_X_DOC / 100
    assert_given_digits(rnn.forward(np.array([[[1, 2], [2, 3], [3, 4]]]))[0], H_DOC, 8)


def test_bptt_upstream_on_last_state_only():
    rnn = doc_rnn(False)
    rnn.forward(X_DOC)
    dX = rnn.backward(np.ones((1, 4)))
    assert_given_digits(dX, LAST["dX"], 10)
    # the same as return_sequences with the upstream gradient zero on h_1 and h_2
    seq = doc_rnn(True)
    seq.forward(X_DOC)
    dh = np.zeros((1, 3, 4))
    dh[:, -1] = 1
    np.testing.assert_allclose(seq.backward(dh), dX, rtol=1e-12)
    np.testing.assert_allclose(seq.dh0, rnn.dh0, rtol=1e-12)


def final_state_dW_h(X, W_x, W_h, B, dh):
    """The sprint 4 document's BPTT, its other slips fixed (no /batch_size, sums kept), its dW_h
    bug kept: it multiplies by ``self.h``, which after forward holds the final state h_T."""
    T = X.shape[1]
    hs = [np.zeros((X.shape[0], W_h.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(X[:, t] @ W_x + hs[-1] @ W_h + B))
    dW_h, carry = np.zeros_like(W_h), np.zeros_like(hs[0])
    for t in reversed(range(T)):
        da = (dh[:, t] + carry) * (1 - hs[t + 1] ** 2)
        dW_h += hs[-1].T @ da  # the bug: h_T where h_{t-1} belongs
        carry = da @ W_h.T
    return dW_h


def test_final_state_in_bptt_gives_wrong_dW_h():
    dh = np.ones((1, 3, 4))
    wrong = final_state_dW_h(X_DOC, W_X_DOC, W_H_DOC, B_DOC, dh)
    assert rel_error(wrong, EVERY["dW_h"]) > 0.1  # far from the reference...
    rnn = doc_rnn(True)
    rnn.forward(X_DOC)
    rnn.backward(dh)
    assert rel_error(rnn.dW_h, EVERY["dW_h"]) < 1e-9  # ...which sprintlib matches


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_numerical_gradients(activation, return_sequences):
    rnn = SimpleRNN(3, 5, activation, SimpleInitializer(0.5, random_state=1), return_sequences=return_sequences)
    check_numerical_gradients(rnn, (2, 4, 3), tol=1e-7, seed=3)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_numerical_gradient_of_initial_state(return_sequences):
    rng = np.random.default_rng(5)
    rnn = SimpleRNN(3, 5, initializer=SimpleInitializer(0.5, random_state=2), return_sequences=return_sequences)
    X, h0 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5))
    dh = rng.standard_normal(rnn.forward(X, h0).shape)
    rnn.backward(dh)
    numeric = numerical_gradient(lambda: float(np.sum(rnn.forward(X, h0) * dh)), h0)
    assert rel_error(rnn.dh0, numeric) < 1e-7


def keras_rnn(keras, n_features, n_nodes, activation, return_sequences):
    layer = keras.layers.SimpleRNN(n_nodes, activation=activation, return_sequences=return_sequences,
                                   dtype="float64")
    layer.build((None, None, n_features))
    return layer


@pytest.mark.tf
def test_against_keras_random_shapes(tf):
    import keras

    rng = np.random.default_rng(2024)
    activations = ["tanh", "tanh", "sigmoid", "relu"]
    for case in range(32):
        N, T, F, H = (int(v) for v in (rng.integers(1, 6), rng.integers(1, 9), rng.integers(1, 7), rng.integers(1, 9)))
        activation, return_sequences = activations[case % 4], bool(case % 2)
        rnn = SimpleRNN(F, H, activation, SimpleInitializer(0.6, random_state=case), return_sequences=return_sequences)
        oracle = keras_rnn(keras, F, H, activation, return_sequences)
        cell = oracle.cell
        errors = check_against_tf(
            rnn, lambda X, **_: oracle(X), (N, T, F), seed=case, tol=1e-9,
            tf_params={"W_x": cell.kernel, "W_h": cell.recurrent_kernel, "B": cell.bias},
        )
        assert set(errors) == {"forward", "X", "W_x", "W_h", "B"}


@pytest.mark.tf
@pytest.mark.parametrize("return_sequences", [False, True])
def test_initial_state_against_keras(tf, return_sequences):
    import keras

    rng = np.random.default_rng(7)
    rnn = SimpleRNN(4, 6, initializer=XavierInitializer(random_state=3), return_sequences=return_sequences)
    X, h0 = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 6))
    out = rnn.forward(X, h0)
    dh = rng.standard_normal(out.shape)
    rnn.backward(dh)

    oracle = keras_rnn(keras, 4, 6, "tanh", return_sequences)
    oracle.set_weights([rnn.W_x, rnn.W_h, rnn.B])
    h0_t = tf.Variable(h0)
    with tf.GradientTape() as tape:
        out_t = oracle(tf.constant(X), initial_state=h0_t)
        loss = tf.reduce_sum(out_t * dh)
    assert rel_error(out, out_t.numpy()) < 1e-12
    assert rel_error(rnn.dh0, tape.gradient(loss, h0_t).numpy()) < 1e-12


@pytest.mark.tf
def test_clipping_matches_tf_clip_by_global_norm(tf):
    rng = np.random.default_rng(11)
    X, dh = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 5))
    free = SimpleRNN(3, 5, initializer=XavierInitializer(random_state=0))
    clipped = SimpleRNN(3, 5, initializer=XavierInitializer(random_state=0), clip_norm=0.5)
    free.forward(X)
    dX = free.backward(dh)
    norm = np.sqrt(sum(np.sum(g**2) for g in (free.dW_x, free.dW_h, free.dB)))
    assert norm > 0.5 * 4  # the case clips, by a clear factor

    clipped.forward(X)
    np.testing.assert_allclose(clipped.backward(dh), dX, rtol=1e-12)  # dX is not clipped
    np.testing.assert_allclose(clipped.dh0, free.dh0, rtol=1e-12)
    assert clipped.grad_norm == pytest.approx(norm, rel=1e-12)
    expected, tf_norm = tf.clip_by_global_norm([tf.constant(g) for g in (free.dW_x, free.dW_h, free.dB)], 0.5)
    assert float(tf_norm) == pytest.approx(norm, rel=1e-12)
    for ours, theirs in zip((clipped.dW_x, clipped.dW_h, clipped.dB), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_clipping_before_update_and_not_below_threshold():
    rng = np.random.default_rng(12)
    X, dh = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 5))
    rnn = SimpleRNN(3, 5, initializer=XavierInitializer(random_state=0), optimizer=SGD(lr=0.1), clip_norm=0.5)
    before = {n: p.copy() for n, p in rnn.params().items()}
    rnn.forward(X)
    rnn.backward(dh)
    step = np.sqrt(sum(np.sum((before[n] - p) ** 2) for n, p in rnn.params().items()))
    assert rnn.grad_norm > 0.5 and step == pytest.approx(0.1 * 0.5, rel=1e-10)  # lr x clip_norm

    loose = SimpleRNN(3, 5, initializer=XavierInitializer(random_state=0), clip_norm=1e6)
    exact = SimpleRNN(3, 5, initializer=XavierInitializer(random_state=0))
    for layer in (loose, exact):
        layer.forward(X)
        layer.backward(dh)
    for n in exact.param_names:
        np.testing.assert_array_equal(loose.grads()[n], exact.grads()[n])


def test_optimizer_updates_all_three_and_dX_uses_old_weights():
    rng = np.random.default_rng(3)
    X, dh = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 4))
    plain = doc_rnn(True)
    plain.forward(X)
    dX = plain.backward(dh)
    trained = doc_rnn(True, optimizer=SGD(lr=0.5))
    refs = trained.params()
    trained.forward(X)
    np.testing.assert_allclose(trained.backward(dh), dX, rtol=1e-12)
    for n in trained.param_names:
        assert trained.params()[n] is refs[n]  # updated in place
        np.testing.assert_allclose(trained.params()[n], plain.params()[n] - 0.5 * plain.grads()[n], rtol=1e-12)


def test_shapes_and_parameter_count():
    rnn = SimpleRNN(28, 128, initializer=XavierInitializer(random_state=0))
    assert rnn.n_params == 28 * 128 + 128 * 128 + 128  # Keras's SimpleRNN(128) on 28 features: 20,096
    assert rnn.output_shape((None, 28, 28)) == (None, 128)
    rnn.return_sequences = True
    assert rnn.output_shape((None, 28, 28)) == (None, 28, 128)
    # Xavier by default: std 1/sqrt(fan_in)
    big = SimpleRNN(400, 300)
    assert big.W_x.std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert big.W_h.std() == pytest.approx(1 / np.sqrt(300), rel=0.02)
    np.testing.assert_array_equal(big.B, 0)


def test_output_is_a_copy():
    rnn = doc_rnn(False)
    out = rnn.forward(X_DOC)
    out[...] = 123.0  # a caller editing the output must not change backward
    rnn.backward(np.ones((1, 4)))
    assert_given_digits(rnn.dB, LAST["dB"], 10)


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((3, 2)), r"SimpleRNN expects X of shape \(N, T, 2\), got \(3, 2\)"),
        (np.zeros((1, 3, 5)), r"SimpleRNN expects X of shape \(N, T, 2\), got \(1, 3, 5\)"),
        (np.zeros((1, 0, 2)), r"SimpleRNN expects X of shape \(N, T, 2\) with at least one entry along every axis, got \(1, 0, 2\)"),
        (np.array([[[np.nan, 1], [np.inf, 0]]]), r"SimpleRNN expects finite values in X, got 1 NaN and 1 inf"),
        (np.array([["a", "b"]]), r"SimpleRNN expects X to hold numbers"),
    ],
)
def test_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        doc_rnn(False).forward(X)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("W_h", np.zeros((4, 3)), r"SimpleRNN expects W_h of shape \(4, 4\), got \(4, 3\)"),
        ("W_x", np.zeros((3, 4)), r"SimpleRNN expects W_x of shape \(2, 4\), got \(3, 4\)"),
        ("B", np.array([1.0]), r"SimpleRNN expects B of shape \(4,\), got \(1,\)"),
        ("W_h", np.full((4, 4), np.nan), r"SimpleRNN expects finite values in W_h, got 16 NaN and 0 inf"),
    ],
)
def test_bad_weights_set_by_hand(name, value, message):
    rnn = doc_rnn(False)
    setattr(rnn, name, value)
    with pytest.raises(ValueError, match=message):
        rnn.forward(X_DOC)


def test_bad_initial_state():
    with pytest.raises(ValueError, match=r"SimpleRNN expects h0 of shape \(1, 4\), got \(2, 4\)"):
        doc_rnn(False).forward(X_DOC, h0=np.zeros((2, 4)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_features=0, n_nodes=4), "SimpleRNN expects n_features to be an integer >= 1, got 0"),
        (dict(n_features=2, n_nodes=2.5), "SimpleRNN expects n_nodes to be an integer >= 1, got 2.5"),
        (dict(n_features=2, n_nodes=4, activation="softmax"), "SimpleRNN expects activation to be one of"),
        (dict(n_features=2, n_nodes=4, clip_norm=0), "SimpleRNN expects clip_norm to be a number > 0, got 0"),
        (dict(n_features=2, n_nodes=4, dtype=np.int32), "SimpleRNN expects a floating dtype"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimpleRNN(**kwargs)
