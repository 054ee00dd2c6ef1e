"""SimpleConv1d and Conv1d: the reference cases of sprint 1, numerical gradients,
TensorFlow on random configurations, bad input."""
import numpy as np
import pytest

from sprintlib import SGD, Conv1d, SimpleConv1d, SimpleInitializer
from sprintlib.initializers import FixedInitializer
import reference
from sprintlib.testing import check_against_tf, check_numerical_gradients, rel_error

# every test on the fast path and on the plain model answer (conftest.both_paths)
pytestmark = pytest.mark.usefixtures("both_paths")


# -- SimpleConv1d (problem 1) -------------------------------------------------------------
CASE_1A = reference.case("sprint1_conv1d", "1a")


def simple_1a(optimizer=None):
    return SimpleConv1d(3, FixedInitializer(**CASE_1A["params"]), optimizer)


def test_1a_optimizer_updates_at_the_end_of_backward():
    conv = simple_1a(SGD(lr=0.1))
    conv.forward(CASE_1A["X"])
    dX = conv.backward(CASE_1A["dA"])
    np.testing.assert_array_equal(dX, CASE_1A["expected"]["dX"])  # with the W of the forward pass
    np.testing.assert_allclose(conv.W, [3 - 5, 5 - 8, 7 - 11])
    np.testing.assert_allclose(conv.B, [1 - 3])


def test_simple_conv1d_numerical_gradients():
    check_numerical_gradients(SimpleConv1d(4, SimpleInitializer(1.0, random_state=0)), (9,))


@pytest.mark.tf
def test_simple_conv1d_against_tensorflow(tf):
    def tf_fn(X, W, B):
        return tf.nn.conv1d(X[None, :, None], W[:, None, None], stride=1, padding="VALID")[0, :, 0] + B
    rng = np.random.default_rng(3)
    for case in range(50):
        L = int(rng.integers(1, 21))
        F = int(rng.integers(1, min(7, L) + 1))
        check_against_tf(SimpleConv1d(F, SimpleInitializer(1.0, random_state=case)), tf_fn, (L,), seed=case)


def test_simple_conv1d_errors():
    conv = SimpleConv1d(3)
    with pytest.raises(ValueError, match=r"SimpleConv1d expects X of shape \(L,\), got \(1, 4\)"):
        conv.forward(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"SimpleConv1d expects a window no larger than the padded input"):
        conv.forward(np.zeros(2))
    with pytest.raises(RuntimeError, match="SimpleConv1d.backward was called before forward"):
        conv.backward(np.zeros(2))
    conv.forward(np.zeros(4))
    with pytest.raises(ValueError, match=r"SimpleConv1d expects dA of shape \(2,\), got \(3,\)"):
        conv.backward(np.zeros(3))
    assert conv.output_shape((10,)) == (8,) and conv.n_params == 4


# -- Conv1d (problems 4-7) ----------------------------------------------------------------
X_4A = reference.case("sprint1_conv1d", "4a")["X"]


def test_batch_is_the_samples_stacked():
    rng = np.random.default_rng(0)
    conv = Conv1d(2, 3, 3, stride=2, pad=1, initializer=SimpleInitializer(1.0, random_state=0))
    X = rng.standard_normal((4, 2, 9))
    dA = rng.standard_normal((4, 3, 5))
    A, dX = conv.forward(X), conv.backward(dA)
    dW, dB = conv.dW, conv.dB
    one = [(conv.forward(x), conv.backward(d), conv.dW, conv.dB) for x, d in zip(X, dA)]
    assert rel_error(A, np.stack([o[0] for o in one])) < 1e-14
    assert rel_error(dX, np.stack([o[1] for o in one])) < 1e-14
    assert rel_error(dW, sum(o[2] for o in one)) < 1e-14  # gradients add over the batch
    assert rel_error(dB, sum(o[3] for o in one)) < 1e-14


@pytest.mark.parametrize(
    "c_in, c_out, filter_size, stride, pad, x_shape",
    [
        (2, 3, 3, 1, 0, (2, 4)),  # one sample, no batch axis
        (2, 3, 3, 1, 0, (3, 2, 6)),
        (1, 2, 4, 2, 1, (2, 1, 8)),  # padding and stride
        (3, 2, 5, 3, 2, (2, 3, 10)),
        (2, 1, 1, 2, 0, (1, 2, 7)),
    ],
)
def test_numerical_gradients(c_in, c_out, filter_size, stride, pad, x_shape):
    conv = Conv1d(c_in, c_out, filter_size, stride, pad, initializer=SimpleInitializer(1.0, random_state=0))
    check_numerical_gradients(conv, x_shape)


def tf_conv1d(tf, stride, pad, batched):
    """tf.nn.conv1d on sprintlib's layouts: (N, C, L) <-> (N, L, C), W (C_out, C_in, F) -> (F, C_in, C_out)."""
    def fn(X, W, B):
        x = tf.transpose(X if batched else X[None], [0, 2, 1])
        x = tf.pad(x, [[0, 0], [pad, pad], [0, 0]])
        y = tf.nn.conv1d(x, tf.transpose(W, [2, 1, 0]), stride=stride, padding="VALID") + B
        y = tf.transpose(y, [0, 2, 1])
        return y if batched else y[0]
    return fn


@pytest.mark.tf
def test_against_tensorflow_random_configurations(tf):
    rng = np.random.default_rng(7)
    n_tiling = 0
    for case in range(60):
        N, C_in, C_out = (int(v) for v in rng.integers(1, [9, 6, 6]))
        L, pad, stride = int(rng.integers(1, 21)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        F = int(rng.integers(1, min(7, L + 2 * pad) + 1))
        tiles = (L + 2 * pad - F) % stride == 0
        n_tiling += tiles
        batched = case % 5 != 0  # every fifth case: one sample (C_in, L)
        conv = Conv1d(C_in, C_out, F, stride, pad, initializer="xavier", allow_remainder=not tiles)
        conv.B = np.random.default_rng(case).standard_normal(C_out)
        shape = (N, C_in, L) if batched else (C_in, L)
        check_against_tf(conv, tf_conv1d(tf, stride, pad, batched), shape, seed=case)
    assert n_tiling >= 15


def test_output_shape_and_n_params():
    conv = Conv1d(1, 6, 5, stride=1, pad=2)
    assert conv.output_shape((None, 1, 784)) == (None, 6, 784)
    assert conv.output_shape((1, 784)) == (6, 784)
    assert Conv1d(2, 3, 3, stride=2).output_shape((None, 2, 9)) == (None, 3, 4)
    assert conv.n_params == 6 * 5 + 6


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros(4), r"Conv1d expects X of shape \(N, 2, L\) or \(2, L\), got \(4,\)"),
        (np.zeros((1, 2, 4, 1)), r"Conv1d expects X of shape \(N, 2, L\) or \(2, L\), got \(1, 2, 4, 1\)"),
        (np.zeros((5, 3, 4)), r"Conv1d expects X of shape \(N, 2, L\), got \(5, 3, 4\)"),
        # (N, L): a batch without its channel axis, or one sample with the wrong channels
        (np.zeros((3, 4)), r"Conv1d expects X of shape \(N, 2, L\) or \(2, L\), got \(3, 4\)"),
        (np.zeros((2, 2)), r"Conv1d expects a window no larger than the padded input "
                           r"\(n_in \+ 2\*pad = 2 \+ 2\*0 = 2\), got filter_size 3"),
        (np.array([[1, 2, np.nan, 4]] * 2), r"Conv1d expects finite values in X, got 2 NaN and 0 inf"),
    ],
)
def test_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        Conv1d(2, 3, 3).forward(X)


def test_non_tiling_stride_raises_unless_asked():
    with pytest.raises(ValueError, match=r"Conv1d expects windows that tile .* n_in = 9 or n_in = 11 would tile"):
        Conv1d(1, 1, 3, stride=2).forward(np.zeros((1, 1, 10)))
    assert Conv1d(1, 1, 3, stride=2, allow_remainder=True).forward(np.zeros((1, 1, 10))).shape == (1, 1, 4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(stride=0), r"Conv1d expects stride to be an integer >= 1, got 0"),
        (dict(pad=-2), r"Conv1d expects pad to be an integer >= 0, got -2"),
        (dict(filter_size=2.0), r"Conv1d expects filter_size to be an integer >= 1, got 2.0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv1d(**(dict(in_channels=2, out_channels=3, filter_size=3) | kwargs))


