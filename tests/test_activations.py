"""ReLU, Sigmoid, Tanh: values by hand, numerical gradients, TensorFlow on 20 random shapes each."""
import numpy as np
import pytest

from sprintlib import ReLU, Sigmoid, Tanh
from sprintlib.layers.activations import get_activation
from sprintlib.testing import check_against_tf, check_numerical_gradients

TF_FUNCTIONS = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}


def test_values_by_hand():
    A = np.array([[-2, 0, 3]])  # integers: computed in float
    np.testing.assert_array_equal(ReLU().forward(A), [[0, 0, 3]])
    np.testing.assert_allclose(Sigmoid().forward(A), [[1 / (1 + np.e**2), 0.5, 1 / (1 + np.e**-3)]], rtol=1e-15)
    np.testing.assert_allclose(Tanh().forward(A), np.tanh([[-2.0, 0, 3]]), rtol=1e-15)


def test_sigmoid_is_not_the_seed_formula():
    # the sprint 4 document writes 1/1+np.exp(-A), which is 1 + exp(-A): at A = 0 that gives 2, not 0.5
    seed_value = 1 / 1 + np.exp(-0.0)
    assert seed_value == 2.0
    assert Sigmoid().forward(np.array([[0.0]]))[0, 0] == 0.5


def test_sigmoid_extreme_values_stay_finite():
    Z = Sigmoid().forward(np.array([[-1000.0, 1000.0]]))
    np.testing.assert_array_equal(Z, [[0.0, 1.0]])


def test_backward_by_hand():
    relu = ReLU()
    relu.forward(np.array([[-1.0, 2.0, 0.0]]))
    dZ = np.array([[5.0, 6.0, 7.0]])
    np.testing.assert_array_equal(relu.backward(dZ), [[0, 6, 0]])
    np.testing.assert_array_equal(dZ, [[5, 6, 7]])  # the incoming gradient is not modified
    tanh = Tanh()
    tanh.forward(np.array([[0.5]]))
    np.testing.assert_allclose(tanh.backward(np.array([[2.0]])), [[2 * (1 - np.tanh(0.5) ** 2)]])


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, ReLU])
def test_numerical_gradients(cls):
    # ReLU's kink at 0 is never hit by a random normal input (measure zero)
    check_numerical_gradients(cls(), (4, 3, 5))


@pytest.mark.tf
@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh])
def test_against_tensorflow_random_shapes(tf, cls):
    rng = np.random.default_rng(7)
    tf_fn = getattr(tf.nn, TF_FUNCTIONS[cls])
    for case in range(20):
        shape = tuple(int(s) for s in rng.integers(1, 7, size=rng.integers(2, 5)))
        check_against_tf(cls(), lambda X: tf_fn(X), shape, seed=case)


def test_get_activation():
    assert isinstance(get_activation("relu"), ReLU)
    with pytest.raises(ValueError, match="activation expects one of"):
        get_activation("softplus")
