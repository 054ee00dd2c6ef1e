"""FC: a hand-computed case, numerical gradients, TensorFlow on 20 random shapes, bad input."""
import numpy as np
import pytest

from sprintlib import FC, SGD, HeInitializer, SimpleInitializer
from sprintlib.initializers import FixedInitializer
from sprintlib.testing import check_against_tf, check_numerical_gradients


def test_forward_backward_by_hand():
    fc = FC(2, 3, FixedInitializer([[1, 2, 3], [4, 5, 6]], [1, 0, -1]))
    X = np.array([[1, 1], [2, 0]])  # integers: computed in float
    A = fc.forward(X)
    np.testing.assert_array_equal(A, [[6, 7, 8], [3, 4, 5]])
    dZ = fc.backward(np.array([[1.0, 0, 0], [0, 0, 1]]))
    np.testing.assert_array_equal(fc.dW, [[1, 0, 2], [1, 0, 0]])
    np.testing.assert_array_equal(fc.dB, [1, 0, 1])  # a sum over the batch, not a mean
    np.testing.assert_array_equal(dZ, [[1, 4], [3, 6]])


def test_backward_updates_with_optimizer():
    fc = FC(2, 1, FixedInitializer([[1.0], [1.0]], [0.0]), SGD(lr=0.5))
    fc.forward(np.array([[2.0, 4.0]]))
    dZ = fc.backward(np.array([[1.0]]))
    np.testing.assert_allclose(fc.W, [[0.0], [-1.0]])  # W - 0.5 * [[2], [4]]
    np.testing.assert_allclose(fc.B, [-0.5])
    np.testing.assert_allclose(dZ, [[1.0, 1.0]])  # uses W before the update


def test_numerical_gradients():
    fc = FC(5, 4, SimpleInitializer(1.0, random_state=1))
    check_numerical_gradients(fc, (3, 5))


@pytest.mark.tf
def test_against_tensorflow_random_shapes(tf):
    rng = np.random.default_rng(42)
    for case in range(20):
        n, n1, n2 = rng.integers(1, 9), rng.integers(1, 30), rng.integers(1, 30)
        fc = FC(n1, n2, SimpleInitializer(1.0, random_state=case))
        check_against_tf(fc, lambda X, W, B: tf.matmul(X, W) + B, (n, n1), seed=case)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros(784), r"FC expects X of shape \(N, 784\), got \(784,\)"),
        (np.zeros((2, 783)), r"FC expects X of shape \(N, 784\), got \(2, 783\)"),
        (np.full((2, 784), np.nan), r"FC expects finite values in X, got 1568 NaN and 0 inf"),
        (np.array([[np.inf] * 784]), r"FC expects finite values in X, got 0 NaN and 784 inf"),
    ],
)
def test_bad_input(X, message):
    fc = FC(784, 10, HeInitializer(random_state=0))
    with pytest.raises(ValueError, match=message):
        fc.forward(X)


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3), ("4", 3)])
def test_bad_sizes(args):
    with pytest.raises(ValueError, match="FC expects n_nodes"):
        FC(*args, HeInitializer())


def test_numbers_beyond_float32_are_named_not_turned_into_inf():
    """Finite inputs too large for the layer's dtype, and a forward or backward that overflows
    it: a clear error, not 'got 3 inf' (the caller passed none) nor an inf in the result."""
    with pytest.raises(ValueError, match=r"FC expects values of X within float32's range \(\|x\| <= 3.4e\+38\), "
                                         r"got 3 beyond it \(the largest 1e\+300\)"):
        FC(3, 2, dtype=np.float32).forward(np.full((1, 3), 1e300))
    fc = FC(3, 2, FixedInitializer(np.ones((3, 2)), np.zeros(2)), dtype=np.float32)
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match=r"FC: forward's A overflowed float32 "
                                                                       r"\(2 values beyond 3.4e\+38"):
        fc.forward(np.full((1, 3), 3e38))
    fc.forward(np.ones((1, 3)))
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match=r"backward's dX overflowed float32 \(3 values"):
        fc.backward(np.full((1, 2), 3e38))
