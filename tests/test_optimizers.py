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


# (optimizer, arguments) -> the message: a value outside the range would turn the weights
# into NaN or make them run away (Adam with beta_1=1 divides by 1 - beta_1**t = 0)
BAD_ARGUMENTS = [
    (Adam, dict(beta_1=1), r"beta_1 to be a number in \[0, 1\), got 1"),
    (Adam, dict(beta_1=-0.1), r"beta_1 to be a number in \[0, 1\), got -0.1"),
    (Adam, dict(beta_2=1.0), r"beta_2 to be a number in \[0, 1\), got 1.0"),
    (Adam, dict(epsilon=0), "epsilon to be a number > 0, got 0"),
    (Adam, dict(epsilon=float("inf")), "epsilon to be a number > 0, got inf"),
    (Adam, dict(lr=-1e-3), "lr to be a number > 0, got -0.001"),
    (Adam, dict(beta_1="0.9"), r"beta_1 to be a number in \[0, 1\), got '0.9'"),
    (Adam, dict(beta_1=None), r"beta_1 to be a number in \[0, 1\), got None"),
    (Adam, dict(beta_1=True), r"beta_1 to be a number in \[0, 1\), got True"),
    (AdaGrad, dict(epsilon=-1), "epsilon to be a number > 0, got -1"),
    (AdaGrad, dict(initial_accumulator_value=-0.1), "initial_accumulator_value to be a number >= 0, got -0.1"),
    (AdaGrad, dict(initial_accumulator_value=float("nan")), "initial_accumulator_value to be a number >= 0, got nan"),
    (Momentum, dict(momentum=1.5), r"momentum to be a number in \[0, 1\), got 1.5"),
    (Momentum, dict(momentum=-0.1), r"momentum to be a number in \[0, 1\), got -0.1"),
    (Momentum, dict(lr=0), "lr to be a number > 0, got 0"),
    (RMSProp, dict(rho=1), r"rho to be a number in \[0, 1\), got 1"),
    (RMSProp, dict(rho=float("nan")), r"rho to be a number in \[0, 1\), got nan"),
    (RMSProp, dict(epsilon=0.0), "epsilon to be a number > 0, got 0.0"),
    (SGD, dict(lr=float("inf")), "lr to be a number > 0, got inf"),
    (SGD, dict(lr=[0.1]), r"lr to be a number > 0, got \[0.1\]"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD_ARGUMENTS,
                         ids=[f"{c.__name__}-{k}={v!r}" for c, kw, _ in BAD_ARGUMENTS for k, v in kw.items()])
def test_every_argument_is_checked(cls, kwargs, message):
    with pytest.raises(ValueError, match=f"^{cls.__name__} expects {message}$"):
        cls(**kwargs)


@pytest.mark.parametrize("cls, kwargs", [
    (Adam, dict(beta_1=0, beta_2=0)), (Momentum, dict(momentum=0)), (RMSProp, dict(rho=0)),
    (AdaGrad, dict(initial_accumulator_value=0)), (Adam, dict(lr=np.float32(0.5), epsilon=np.float64(1e-8))),
])
def test_the_edges_of_each_range_and_numpy_numbers_are_accepted(cls, kwargs):
    opt = cls(**kwargs)
    assert all(type(getattr(opt, k)) is float for k in kwargs)


def test_get_optimizer_names_the_model_that_asks():
    with pytest.raises(ValueError, match="^LeNet expects optimizer to be one of 'sgd', .* got 'adamw'$"):
        get_optimizer("adamw", owner="LeNet")
    with pytest.raises(ValueError, match=r"optimizer expects one of .* got \['adam'\]"):
        get_optimizer(["adam"])
