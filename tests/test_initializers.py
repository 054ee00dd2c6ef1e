"""Initializers: shapes, the standard deviation of each scheme, reproducibility."""
import numpy as np
import pytest

from sprintlib import FC, Conv1d, Conv2d, HeInitializer, SimpleInitializer, SimpleRNN, XavierInitializer
from sprintlib.initializers import get_initializer


@pytest.mark.parametrize(
    "init, expected_std",
    [(SimpleInitializer(0.05, random_state=0), 0.05),
     (XavierInitializer(random_state=0), 1 / np.sqrt(400)),
     (HeInitializer(random_state=0), np.sqrt(2 / 400))],
)
def test_fc_weights(init, expected_std):
    W = init.W(400, 300)
    assert W.shape == (400, 300) and W.dtype == np.float64
    assert W.std() == pytest.approx(expected_std, rel=0.01)
    assert abs(W.mean()) < 0.01 * expected_std * 10
    assert init.B(300).shape == (300,)


def test_conv_weights_use_fan_in():
    W = HeInitializer(random_state=0).sample((64, 16, 5, 5), fan_in=16 * 25)
    assert W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_reproducible_and_dtype():
    a = XavierInitializer(random_state=3, dtype=np.float32).W(5, 4)
    b = XavierInitializer(random_state=3, dtype=np.float32).W(5, 4)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    assert not np.array_equal(a, XavierInitializer(random_state=4, dtype=np.float32).W(5, 4))


def test_bad_arguments():
    with pytest.raises(ValueError, match="SimpleInitializer expects sigma to be a number > 0, got -1"):
        SimpleInitializer(-1)
    with pytest.raises(ValueError, match="get_initializer expects initializer to be one of 'he', 'xavier', 'simple', got 'glorot'"):
        get_initializer("glorot")


@pytest.mark.parametrize("make, default_std", [
    (lambda init: FC(200, 300, init).W, np.sqrt(2 / 200)),
    (lambda init: Conv1d(4, 300, 50, initializer=init).W, np.sqrt(2 / 200)),
    (lambda init: Conv2d(8, 300, 5, initializer=init).W, np.sqrt(2 / 200)),
    (lambda init: SimpleRNN(200, 300, initializer=init).W_x, np.sqrt(1 / 200)),
])
def test_every_layer_takes_none_a_name_or_an_instance(make, default_std):
    # None: the layer's default (He before ReLU, Xavier in the tanh RNN); names as in models
    assert make(None).std() == pytest.approx(default_std, rel=0.03)
    assert make("xavier").std() == pytest.approx(np.sqrt(1 / 200), rel=0.03)
    assert make("simple").std() == pytest.approx(0.01, rel=0.03)
    np.testing.assert_array_equal(make(HeInitializer(random_state=1)), make(HeInitializer(random_state=1)))
    with pytest.raises(ValueError, match="expects initializer to be one of 'he', 'xavier', 'simple', got 'glorot'"):
        make("glorot")
    with pytest.raises(ValueError, match=r"expects initializer to be None, one of .* got 0.01"):
        make(0.01)
    assert make("he").dtype == np.float64


def test_a_named_initializer_follows_the_layer_dtype():
    assert FC(3, 4, "xavier", dtype=np.float32).W.dtype == np.float32
    assert Conv2d(1, 2, 3, initializer="he", dtype=np.float32).W.dtype == np.float32


def test_fixed_initializer_hands_out_copies_and_checks_shapes():
    from sprintlib import FC, FixedInitializer

    init = FixedInitializer(W=[[1, 2]], B=[3, 4])
    fc = FC(1, 2, init)
    np.testing.assert_array_equal(fc.W, [[1, 2]])
    fc.W[0, 0] = 9
    assert init.W(1, 2)[0, 0] == 1  # a copy each time
    with pytest.raises(ValueError, match=r"FixedInitializer expects to be asked for W of shape \(1, 2\), got \(2, 2\)"):
        FC(2, 2, init)
    with pytest.raises(ValueError, match=r"FixedInitializer expects to be asked for B of shape \(2,\), got \(3,\)"):
        init.B(3)


# (initializer, arguments) -> the message
BAD_ARGUMENTS = [
    (SimpleInitializer, dict(sigma=0), "sigma to be a number > 0, got 0"),
    (SimpleInitializer, dict(sigma=float("nan")), "sigma to be a number > 0, got nan"),
    (SimpleInitializer, dict(sigma=float("inf")), "sigma to be a number > 0, got inf"),
    (SimpleInitializer, dict(sigma="0.01"), "sigma to be a number > 0, got '0.01'"),
    (HeInitializer, dict(random_state="0"), "random_state to be None, an integer >= 0 or a numpy.random.Generator, got '0'"),
    (HeInitializer, dict(random_state=-1), "random_state to be None, .* got -1"),
    (XavierInitializer, dict(random_state=0.5), "random_state to be None, .* got 0.5"),
    (XavierInitializer, dict(random_state=True), "random_state to be None, .* got True"),
    (HeInitializer, dict(dtype=np.int64), r"dtype to be a floating dtype \(np.float32 or np.float64\), got <class 'numpy.int64'>"),
    (SimpleInitializer, dict(dtype="bogus"), "dtype to be a floating dtype .* got 'bogus'"),
    (SimpleInitializer, dict(dtype=object), "dtype to be a floating dtype .* got <class 'object'>"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD_ARGUMENTS,
                         ids=[f"{c.__name__}-{k}={v!r}" for c, kw, _ in BAD_ARGUMENTS for k, v in kw.items()])
def test_every_argument_is_checked(cls, kwargs, message):
    with pytest.raises(ValueError, match=f"^{cls.__name__} expects {message}$"):
        cls(**kwargs)


def test_accepted_forms_of_random_state_and_dtype():
    rng = np.random.default_rng(5)
    assert HeInitializer(random_state=rng).rng is rng  # a Generator is used as it is
    assert get_initializer("he", random_state=np.int64(3)).W(2, 2).shape == (2, 2)
    assert XavierInitializer(dtype="float").W(2, 3).dtype == np.float64


@pytest.mark.parametrize("W, B, message", [
    ([[1, np.nan]], [0], "FixedInitializer expects finite values in W, got 1 NaN and 0 inf"),
    ([[1, 2]], ["b"], "FixedInitializer expects B to hold numbers"),
])
def test_fixed_initializer_checks_its_values(W, B, message):
    from sprintlib import FixedInitializer

    with pytest.raises(ValueError, match=message):
        FixedInitializer(W=W, B=B)
