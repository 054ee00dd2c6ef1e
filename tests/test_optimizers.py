"""Each optimizer against tf.keras.optimizers on the same gradient sequence (float64)."""
import numpy as np
import pytest

from sprintlib import SGD, AdaGrad, Adam, Momentum, RMSProp
from sprintlib.optimizers import get_optimizer


class Params:
    """The smallest 'layer' an optimizer can update: W, B and their gradients."""

    param_names = ("W", "B")

    def __init__(self, W, B):
        self.W, self.B = W.copy(), B.copy()


# (ours, keras class name, keras kwargs). Keras 3 keeps the learning rate in a float32
# variable and passes momentum, beta_1 and the initial accumulator through float32
# constants, so every such value here is exact in float32 (0.875, not 0.9): then the
# float64 updates agree to rounding and a wrong formula cannot hide in the tolerance.
B2 = 1 - 2**-10
CASES = [
    (lambda: SGD(lr=0.125), "SGD", dict(learning_rate=0.125)),
    (lambda: Momentum(lr=0.0625, momentum=0.875), "SGD", dict(learning_rate=0.0625, momentum=0.875)),
    (lambda: AdaGrad(lr=0.25), "Adagrad", dict(learning_rate=0.25, initial_accumulator_value=0.0, epsilon=1e-7)),
    (lambda: AdaGrad(lr=0.25, initial_accumulator_value=0.125), "Adagrad",
     dict(learning_rate=0.25, initial_accumulator_value=0.125, epsilon=1e-7)),
    (lambda: RMSProp(lr=2**-7, rho=0.8), "RMSprop", dict(learning_rate=2**-7, rho=0.8, epsilon=1e-7)),
    (lambda: Adam(lr=2**-7, beta_1=0.875, beta_2=B2), "Adam", dict(learning_rate=2**-7, beta_1=0.875, beta_2=B2, epsilon=1e-7)),
    (lambda: Adam(lr=2**-9, beta_1=0.5, beta_2=0.75), "Adam", dict(learning_rate=2**-9, beta_1=0.5, beta_2=0.75)),
]


@pytest.mark.tf
@pytest.mark.parametrize("make_ours, keras_name, kwargs", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras_on_a_gradient_sequence(tf, make_ours, keras_name, kwargs):
    rng = np.random.default_rng(1)
    W0, B0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    steps = [(rng.standard_normal((4, 3)), rng.standard_normal(3)) for _ in range(15)]

    ours = make_ours()
    layer = Params(W0, B0)
    W_ref = layer.W  # updated in place: references stay valid
    for dW, dB in steps:
        layer.dW, layer.dB = dW, dB
        ours.update(layer)
    assert layer.W is W_ref

    keras_opt = getattr(tf.keras.optimizers, keras_name)(**kwargs)
    W_t, B_t = tf.Variable(W0), tf.Variable(B0)
    for dW, dB in steps:
        keras_opt.apply_gradients([(tf.constant(dW), W_t), (tf.constant(dB), B_t)])
    np.testing.assert_allclose(layer.W, W_t.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.B, B_t.numpy(), rtol=1e-12, atol=1e-13)


def test_one_optimizer_keeps_separate_state_per_layer():
    # the sprints pass one optimizer instance to every layer
    opt = Adam(lr=0.1)
    a, b = Params(np.zeros((2, 2)), np.zeros(2)), Params(np.zeros((2, 2)), np.zeros(2))
    a.dW, a.dB = np.ones((2, 2)), np.ones(2)
    b.dW, b.dB = np.ones((2, 2)), np.ones(2)
    opt.update(a)
    opt.update(a)
    opt.update(b)
    solo = Adam(lr=0.1)
    c = Params(np.zeros((2, 2)), np.zeros(2))
    c.dW, c.dB = np.ones((2, 2)), np.ones(2)
    solo.update(c)
    np.testing.assert_allclose(b.W, c.W)  # b's first step is a first step


def test_sgd_by_hand():
    layer = Params(np.array([[1.0]]), np.array([2.0]))
    layer.dW, layer.dB = np.array([[10.0]]), np.array([-4.0])
    SGD(lr=0.1).update(layer)
    np.testing.assert_allclose(layer.W, [[0.0]])
    np.testing.assert_allclose(layer.B, [2.4])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), "0.1"])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="SGD expects lr to be a number > 0"):
        SGD(lr=lr)


def test_get_optimizer():
    assert isinstance(get_optimizer("adam", 0.5), Adam) and get_optimizer("adam", 0.5).lr == 0.5
    with pytest.raises(ValueError, match="optimizer expects one of"):
        get_optimizer("adamw")
