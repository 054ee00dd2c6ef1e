"""Softmax with cross-entropy: by hand, numerical gradient, TensorFlow, bad labels."""
import numpy as np
import pytest

from sprintlib import Softmax
from sprintlib.losses import cross_entropy, one_hot, softmax
from sprintlib.testing import numerical_gradient, rel_error


def test_values_by_hand():
    sm = Softmax()
    Z = sm.forward(np.array([[0, 0], [np.log(3), 0]]))
    np.testing.assert_allclose(Z, [[0.5, 0.5], [0.75, 0.25]])
    # mean of -log 0.5 and -log 0.25
    assert sm.loss(np.array([0, 1])) == pytest.approx((np.log(2) + np.log(4)) / 2, rel=1e-14)
    np.testing.assert_allclose(sm.backward(np.array([0, 1])), [[-0.25, 0.25], [0.375, -0.375]])
    # one-hot and integer labels agree
    np.testing.assert_allclose(sm.backward(np.array([[1, 0], [0, 1]])), sm.backward(np.array([0, 1])))


def test_large_scores_do_not_overflow():
    Z = softmax(np.array([[1000.0, 0.0], [-1000.0, 1000.0]]))
    np.testing.assert_allclose(Z, [[1, 0], [0, 1]])
    assert np.isfinite(cross_entropy(Z, one_hot([1, 0], 2)))


@pytest.mark.parametrize("dtype, gap", [(np.float64, 1000.0), (np.float32, 200.0)])
def test_a_confident_wrong_score_costs_its_whole_gap(dtype, gap):
    """The loss comes from the scores: from probabilities it stopped at -log(tiny), 708 in
    float64 and 87 in float32, where a diverging training's loss would then stay."""
    sm = Softmax(dtype)
    sm.forward(np.array([[gap, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    assert sm.loss(np.array([1, 0])) == pytest.approx((gap + np.log(3)) / 2, rel=1e-6)


def test_numerical_gradient():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    sm = Softmax()

    def loss():
        sm.forward(A)
        return sm.loss(y)

    num = numerical_gradient(loss, A)
    sm.forward(A)
    assert rel_error(sm.backward(y), num) < 1e-7


@pytest.mark.tf
def test_against_tensorflow(tf):
    rng = np.random.default_rng(3)
    for case in range(20):
        n, k = int(rng.integers(1, 9)), int(rng.integers(2, 12))
        A = rng.standard_normal((n, k)) * 3
        y = rng.integers(0, k, n)
        sm = Softmax()
        sm.forward(A)
        loss, dA = sm.loss(y), sm.backward(y)
        A_t = tf.Variable(A)
        with tf.GradientTape() as tape:
            loss_t = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.constant(one_hot(y, k)), A_t))
        assert rel_error(loss, loss_t.numpy()) < 1e-12
        assert rel_error(dA, tape.gradient(loss_t, A_t).numpy()) < 1e-12


def test_bad_labels():
    sm = Softmax()
    sm.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Softmax expects labels in Y in 0..3, got 4"):
        sm.loss(np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"Softmax expects labels in Y >= 0, got -1"):
        sm.backward(np.array([0, -1, 2]))
    with pytest.raises(ValueError, match=r"Softmax expects Y of shape \(3,\), got \(2,\)"):
        sm.loss(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"Softmax expects Y of shape \(3, 4\), got \(3, 3\)"):
        sm.loss(np.eye(3))
    with pytest.raises(ValueError, match="Softmax expects integer class labels in Y"):
        sm.loss(np.array([0.5, 1, 2]))
    with pytest.raises(RuntimeError, match="before forward"):
        Softmax().loss(np.array([0]))


@pytest.mark.parametrize("Y, message", [
    (np.zeros((3, 4)), r"every row of Y to sum to 1 .*got a sum of 0 in row 0"),
    (2 * np.eye(4)[[0, 1, 2]], r"Y with entries in \[0, 1\] .*got values from 0 to 2"),
    (np.array([[1.5, -0.5, 0, 0]] * 3), r"Y with entries in \[0, 1\] .*got values from -0.5 to 1.5"),
    (np.array([[0.5, 0.5, 0.5, 0]] * 3), r"every row of Y to sum to 1 .*got a sum of 1.5 in row 0"),
])
def test_targets_that_are_not_distributions_are_refused(Y, message):
    # (Z - Y) / N is the gradient of the cross-entropy only for rows that sum to 1
    sm = Softmax()
    sm.forward(np.zeros((3, 4)))
    for method in (sm.loss, sm.backward):
        with pytest.raises(ValueError, match="Softmax expects " + message):
            method(Y)


def test_probability_targets_are_accepted():
    sm = Softmax()
    Z = sm.forward(np.zeros((2, 4)))
    Y = np.full((2, 4), 0.25)
    np.testing.assert_allclose(sm.backward(Y), (Z - Y) / 2)
