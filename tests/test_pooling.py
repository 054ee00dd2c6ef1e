"""MaxPool2D, AveragePool2D and Flatten: the reference cases of sprint 2, the transposed
backward the sprint 2 document prints, ties, numerical gradients, TensorFlow on random configurations."""
import numpy as np
import pytest

from sprintlib import AveragePool2D, Flatten, MaxPool2D
import reference
from sprintlib.testing import check_against_tf, check_numerical_gradients

# every test on the fast path and on the plain model answer (conftest.both_paths)
pytestmark = pytest.mark.usefixtures("both_paths")

CASE_4A = reference.case("sprint2_conv2d", "4a")  # its values: tests/test_reference_values.py
X_4A, OUT_4A_C0 = CASE_4A["X"], CASE_4A["expected"]["A"][0, 0]


def document_max_pool_backward(delta, forward_index, FH=2, FW=2):
    """The sprint 2 document's MaxPool2D.backward as printed (no batch axis: delta (C, OH, OW))."""
    n_channel, n_high, n_wide = delta.shape
    filte = np.ones((n_channel, FH, FW))
    result_high = []
    for high in range(n_high):
        result_wide = [filte * delta[:, high, wide] for wide in range(n_wide)]
        result_high.append(np.hstack(result_wide))
    return np.vstack(result_high).T * forward_index


def test_errata_the_documents_max_pool_backward_is_transposed():
    pool = MaxPool2D(2)
    A = pool.forward(X_4A)
    forward_index = np.zeros((2, 8, 8))
    forward_index[:, 1::2, 1::2] = 1  # where the document's forward marks the maxima
    printed = document_max_pool_backward(A[0], forward_index)
    np.testing.assert_array_equal(printed[0, 1], [0, 9, 0, 25, 0, 41, 0, 57])  # as the document prints
    reference_row = [0, 9, 0, 11, 0, 13, 0, 15]
    assert not np.array_equal(printed[0, 1], reference_row)
    np.testing.assert_array_equal(pool.backward(A)[0, 0, 1], reference_row)


def test_pool_shape_of_the_document():
    assert MaxPool2D(2, 2).forward(np.zeros((1, 1, 28, 28))).shape == (1, 1, 14, 14)
    assert MaxPool2D(2).output_shape((None, 6, 28, 28)) == (None, 6, 14, 14)


def test_ties_send_the_gradient_to_the_first_maximum():
    pool = MaxPool2D(2)
    pool.forward(np.array([[[[5, 5], [5, 5]]]]))
    np.testing.assert_array_equal(pool.backward([[[[1.0]]]]), [[[[1, 0], [0, 0]]]])
    pool.forward(np.array([[[[0, 3], [3, 3]]]]))
    np.testing.assert_array_equal(pool.backward([[[[2.0]]]]), [[[[0, 2], [0, 0]]]])


@pytest.mark.tf
def test_ties_match_tensorflow(tf):
    # tf.nn.max_pool2d's gradient on an all-equal window, for the record
    x = tf.Variable(np.full((1, 2, 2, 1), 5.0))
    with tf.GradientTape() as tape:
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[1, 0], [0, 0]])


def test_overlapping_windows_add_their_gradients():
    pool = MaxPool2D(2, stride=1)
    pool.forward(np.array([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]]))  # the 9 is every window's max
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 2, 2)))[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_overlapping_windows_with_ties_each_give_to_their_first_maximum():
    pool = MaxPool2D(2, stride=1)
    pool.forward(np.full((1, 1, 3, 3), 5))
    # windows at (0,0), (0,1), (1,0), (1,1): each sends its 1 to its own top-left entry
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 2, 2)))[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("layer_cls", [MaxPool2D, AveragePool2D])
def test_any_memory_order_gives_the_same_values(layer_cls):
    # in LeNet, X comes in (H, C, W, N) memory order from Conv2d and dA in (N, C, H, W)
    # order from Flatten; the result must not depend on either
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, (4, 3, 6, 8)).astype(float)  # ties in many windows
    dA = rng.standard_normal((4, 3, 3, 4))
    plain = layer_cls(2)
    A, dX = plain.forward(X), plain.backward(dA)
    X_hcwn = np.ascontiguousarray(X.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)
    dA_f = np.asfortranarray(dA)
    other = layer_cls(2)
    np.testing.assert_array_equal(other.forward(X_hcwn), A)
    np.testing.assert_array_equal(other.backward(dA_f), dX)


def test_average_pool_by_hand():
    pool = AveragePool2D(2)
    A = pool.forward(X_4A)
    np.testing.assert_array_equal(A[0, 0], OUT_4A_C0 - 4.5)  # mean of (m-9, m-8, m-1, m)
    dX = pool.backward(np.ones_like(A) * 4)
    np.testing.assert_array_equal(dX, np.ones((1, 2, 8, 8)))


@pytest.mark.parametrize("layer_cls", [MaxPool2D, AveragePool2D])
@pytest.mark.parametrize(
    "pool_size, stride, x_shape",
    [(2, None, (2, 3, 4, 6)), (3, 1, (1, 2, 5, 4)), ((2, 3), (1, 2), (2, 1, 5, 7)), (3, 2, (1, 2, 7, 5))],
)
def test_numerical_gradients(layer_cls, pool_size, stride, x_shape):
    check_numerical_gradients(layer_cls(pool_size, stride), x_shape)  # normal inputs: no ties


def random_pool_case(rng):
    """Sizes 1-20, channels 1-5, windows 1-7 (not above the input), strides 1-3."""
    N, C = (int(v) for v in rng.integers(1, [9, 6]))
    H, W = (int(v) for v in rng.integers(1, 21, size=2))
    pool = (int(rng.integers(1, min(7, H) + 1)), int(rng.integers(1, min(7, W) + 1)))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    tiles = all((n - p) % s == 0 for n, p, s in zip((H, W), pool, stride))
    return (N, C, H, W), pool, stride, tiles


def tf_pool(tf, op, pool, stride):
    """A tf.nn pooling on NCHW: transposed to NHWC and back; 'VALID' (no padding)."""
    def fn(X):
        y = op(tf.transpose(X, [0, 2, 3, 1]), ksize=list(pool), strides=list(stride), padding="VALID")
        return tf.transpose(y, [0, 3, 1, 2])
    return fn


@pytest.mark.tf
def test_max_pool_against_tensorflow_random_configurations(tf):
    rng = np.random.default_rng(11)
    for case in range(60):
        shape, pool, stride, tiles = random_pool_case(rng)
        # integer values 0..3: most windows hold their maximum more than once
        x = rng.integers(0, 4, shape).astype(float) if case % 2 == 0 else shape
        layer = MaxPool2D(pool, stride, allow_remainder=not tiles)
        check_against_tf(layer, tf_pool(tf, tf.nn.max_pool2d, pool, stride), x, seed=case)


@pytest.mark.tf
def test_average_pool_against_tensorflow_random_configurations(tf):
    rng = np.random.default_rng(12)
    for case in range(60):
        shape, pool, stride, tiles = random_pool_case(rng)
        layer = AveragePool2D(pool, stride, allow_remainder=not tiles)
        check_against_tf(layer, tf_pool(tf, tf.nn.avg_pool2d, pool, stride), shape, seed=case)


@pytest.mark.parametrize("layer_cls", [MaxPool2D, AveragePool2D])
def test_bad_input_and_order(layer_cls):
    name = layer_cls.__name__
    pool = layer_cls(2)
    with pytest.raises(ValueError, match=rf"{name} expects X of shape \(N, C, H, W\), got \(28, 28\)"):
        pool.forward(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=rf"{name} expects finite values in X, got 1 NaN and 0 inf"):
        pool.forward(np.array([[[[np.nan, 0], [0, 0]]]]))
    with pytest.raises(ValueError, match=rf"{name} expects windows that tile the padded input along the width"):
        pool.forward(np.zeros((1, 1, 4, 5)))
    with pytest.raises(ValueError, match=rf"{name} expects a window no larger than the padded input"):
        layer_cls(3).forward(np.zeros((1, 1, 2, 6)))
    with pytest.raises(ValueError, match=rf"{name} expects stride to be an integer >= 1, got 0"):
        layer_cls(2, stride=0)
    with pytest.raises(RuntimeError, match=rf"{name}.backward was called before forward"):
        pool.backward(np.zeros((1, 1, 2, 2)))
    pool.forward(np.zeros((1, 1, 4, 4), dtype=int))  # integers: computed in float
    with pytest.raises(ValueError, match=rf"{name} expects dA of shape \(1, 1, 2, 2\), got \(1, 1, 4, 4\)"):
        pool.backward(np.zeros((1, 1, 4, 4)))
    assert layer_cls(2, allow_remainder=True).forward(np.zeros((1, 1, 5, 5))).shape == (1, 1, 2, 2)
    assert pool.n_params == 0


# -- Flatten --------------------------------------------------------------------------------
def test_flatten_forward_backward():
    flat = Flatten()
    X = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    A = flat.forward(X)
    assert A.shape == (2, 60)
    np.testing.assert_array_equal(A[1], np.arange(60, 120))  # channel, row, column order
    np.testing.assert_array_equal(flat.backward(A), X)
    assert flat.output_shape((None, 16, 7, 7)) == (None, 784) and flat.n_params == 0


def test_flatten_gives_dX_the_memory_order_of_X():
    # after a convolution X is (H, C, W, N) in memory; dX follows, so that the layers before
    # do not mix memory orders
    X = np.arange(2 * 3 * 4 * 5.0).reshape(4, 3, 5, 2).transpose(3, 1, 0, 2)  # (N, C, H, W) shape
    flat = Flatten()
    A = flat.forward(X)
    np.testing.assert_array_equal(A, X.reshape(2, -1))
    dX = flat.backward(A)
    np.testing.assert_array_equal(dX, X)
    assert dX.strides == X.strides


def test_flatten_numerical_gradients():
    check_numerical_gradients(Flatten(), (2, 3, 2, 2))


@pytest.mark.tf
def test_flatten_against_tensorflow(tf):
    rng = np.random.default_rng(13)
    for case in range(50):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=rng.integers(2, 5)))
        check_against_tf(Flatten(), lambda X: tf.reshape(X, (X.shape[0], -1)), shape, seed=case)


def test_flatten_errors():
    flat = Flatten()
    with pytest.raises(ValueError, match=r"Flatten expects X of shape \(N, C, H, W\) or any \(N, ...\) "
                                         r"with at least 2 axes, got \(5,\)"):
        flat.forward(np.zeros(5))
    with pytest.raises(RuntimeError, match="Flatten.backward was called before forward"):
        flat.backward(np.zeros((2, 6)))
    flat.forward(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"Flatten expects dA of shape \(2, 6\), got \(2, 5\)"):
        flat.backward(np.zeros((2, 5)))
