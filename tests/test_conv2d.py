"""Conv2d: the reference cases of sprint 2, the documents' errata, numerical gradients,
TensorFlow on random configurations, LeNet's shapes and parameter count, bad input."""
import numpy as np
import pytest

from sprintlib import FC, SGD, Conv2d, Flatten, HeInitializer, MaxPool2D, ReLU, SimpleInitializer
from sprintlib import functional
from sprintlib.initializers import FixedInitializer
import reference
from sprintlib.testing import check_against_tf, check_numerical_gradients

# every test on the fast path and on the plain model answer (conftest.both_paths)
pytestmark = pytest.mark.usefixtures("both_paths")


# sprint 2, case 2a (data/reference/sprint2_conv2d.json; its values: tests/test_reference_values.py)
CASE_2A = reference.case("sprint2_conv2d", "2a")
X_2A, W_2A, DELTA_2A = CASE_2A["X"], CASE_2A["params"]["W"], CASE_2A["dA"].astype(float)


def conv_2a():
    return Conv2d(1, 2, 3, initializer=FixedInitializer(W_2A, [0, 0]))


def test_errata_bias_gradient_is_a_sum_not_a_mean():
    conv = conv_2a()
    conv.forward(X_2A)
    conv.backward(DELTA_2A)
    mean_dB = np.mean(DELTA_2A[0], axis=(1, 2))  # the sprint 2 document: dB = np.mean(delta, axis=(1, 2))
    assert not np.allclose(mean_dB, [13, -16])
    np.testing.assert_array_equal(conv.dB, [13, -16])


def test_errata_reshaping_the_im2col_product_straight_to_nchw_scrambles_the_output():
    col = functional.im2col(X_2A.astype(float), 3)  # rows ordered (n, y, x)
    product = col @ W_2A.reshape(2, -1).T  # (N*OH*OW, C_out)
    reference = [[[[-4, -4], [-4, -4]], [[1, 1], [1, 1]]]]
    scrambled = product.reshape(1, 2, 2, 2)  # the LeNet document: out.reshape(N, output_c, out_h, out_w)
    right = product.reshape(1, 2, 2, 2).transpose(0, 3, 1, 2)  # (N, OH, OW, C) then channels second
    assert not np.array_equal(scrambled, reference)
    np.testing.assert_array_equal(right, reference)
    np.testing.assert_array_equal(conv_2a().forward(X_2A), reference)


def test_backward_updates_with_optimizer_after_computing_dX():
    conv = Conv2d(1, 2, 3, initializer=FixedInitializer(W_2A, [0, 0]), optimizer=SGD(lr=0.5))
    conv.forward(X_2A)
    dX = conv.backward(DELTA_2A)
    np.testing.assert_array_equal(dX[0, 0, 1], [0, -5, 4, -7])  # with the W of the forward pass
    np.testing.assert_allclose(conv.W, W_2A - 0.5 * conv.dW)
    np.testing.assert_allclose(conv.B, [-6.5, 8])


@pytest.mark.parametrize(
    "c_in, c_out, filter_size, stride, pad, x_shape",
    [
        (2, 3, 3, 1, 0, (2, 2, 5, 6)),
        (1, 2, (3, 2), (2, 1), (1, 0), (2, 1, 7, 5)),  # non-square, stride and pad pairs
        (3, 2, 2, 2, 1, (1, 3, 4, 6)),
        (2, 2, 5, 1, 2, (2, 2, 5, 5)),  # 'same'
        (1, 1, 1, 3, 0, (1, 1, 7, 4)),
    ],
)
def test_numerical_gradients(c_in, c_out, filter_size, stride, pad, x_shape):
    conv = Conv2d(c_in, c_out, filter_size, stride, pad, initializer=SimpleInitializer(1.0, random_state=0))
    check_numerical_gradients(conv, x_shape)


def random_conv2d_case(rng):
    """A random configuration: sizes 1-20, channels 1-5, filters 1-7, strides 1-3, pads 0-3."""
    N, C_in, C_out = (int(v) for v in rng.integers(1, [9, 6, 6]))
    H, W = (int(v) for v in rng.integers(1, 21, size=2))
    pad = tuple(int(v) for v in rng.integers(0, 4, size=2))
    filt = (int(rng.integers(1, min(7, H + 2 * pad[0]) + 1)), int(rng.integers(1, min(7, W + 2 * pad[1]) + 1)))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    tiles = all((n + 2 * p - f) % s == 0 for n, p, f, s in zip((H, W), pad, filt, stride))
    return dict(shape=(N, C_in, H, W), c_out=C_out, filt=filt, stride=stride, pad=pad, tiles=tiles)


def tf_conv2d(tf, stride, pad):
    """tf.nn.conv2d on sprintlib's layouts: NCHW <-> NHWC, W (C_out, C_in, FH, FW) -> (FH, FW, C_in, C_out)."""
    def fn(X, W, B):
        x = tf.transpose(X, [0, 2, 3, 1])
        padding = [[0, 0], [pad[0], pad[0]], [pad[1], pad[1]], [0, 0]]  # TF's explicit padding
        y = tf.nn.conv2d(x, tf.transpose(W, [2, 3, 1, 0]), strides=list(stride), padding=padding) + B
        return tf.transpose(y, [0, 3, 1, 2])
    return fn


@pytest.mark.tf
def test_against_tensorflow_random_configurations(tf):
    rng = np.random.default_rng(2024)
    n_tiling = 0
    for case in range(60):
        c = random_conv2d_case(rng)
        n_tiling += c["tiles"]
        # configurations that do not tile must ask for TF's 'VALID' flooring
        conv = Conv2d(c["shape"][1], c["c_out"], c["filt"], c["stride"], c["pad"],
                      initializer="xavier", allow_remainder=not c["tiles"])
        conv.B = np.random.default_rng(case).standard_normal(c["c_out"])  # non-zero biases
        check_against_tf(conv, tf_conv2d(tf, c["stride"], c["pad"]), c["shape"], seed=case)
    assert n_tiling >= 15  # both kinds were checked


@pytest.mark.tf
def test_against_tensorflow_square_int_arguments(tf):
    conv = Conv2d(3, 4, 5, stride=1, pad=2)
    check_against_tf(conv, tf_conv2d(tf, (1, 1), (2, 2)), (2, 3, 9, 9))


def _he():
    return HeInitializer(random_state=0)


def test_output_shape_n_params_and_lenet():
    # LeNet as sprint 3 builds it with 'same' padding: 107,786 parameters (data/reference/sprint3_lenet.json)
    layers = [Conv2d(1, 6, 5, pad=2), ReLU(), MaxPool2D(2), Conv2d(6, 16, 5, pad=2), ReLU(),
              MaxPool2D(2), Flatten(), FC(784, 120, _he()), ReLU(), FC(120, 84, _he()), ReLU(),
              FC(84, 10, _he())]
    shapes, shape = [], (None, 1, 28, 28)
    for layer in layers:
        shape = layer.output_shape(shape)
        shapes.append(shape)
    assert shapes[0] == (None, 6, 28, 28) and shapes[2] == (None, 6, 14, 14)
    assert shapes[5] == (None, 16, 7, 7) and shapes[6] == (None, 784) and shapes[-1] == (None, 10)
    assert [layer.n_params for layer in layers if layer.n_params] == [156, 2_416, 94_200, 10_164, 850]
    assert sum(layer.n_params for layer in layers) == 107_786
    A = np.random.default_rng(0).standard_normal((2, 1, 28, 28))
    for layer, expected in zip(layers, shapes):  # the shapes forward really gives
        A = layer.forward(A)
        assert A.shape == (2,) + expected[1:]


def test_lenet_valid_parameter_count():
    convs = [Conv2d(1, 6, 5), Conv2d(6, 16, 5)]
    shape = MaxPool2D(2).output_shape(convs[0].output_shape((None, 1, 28, 28)))
    shape = MaxPool2D(2).output_shape(convs[1].output_shape(shape))
    assert shape == (None, 16, 4, 4)
    fcs = [FC(256, 120, _he()), FC(120, 84, _he()), FC(84, 10, _he())]
    assert sum(layer.n_params for layer in convs + fcs) == 44_426


def test_output_size_exercise_20x20_stride_2():
    conv = Conv2d(10, 20, 3, stride=2)
    with pytest.raises(ValueError, match=r"Conv2d expects windows that tile the padded input along the height"):
        conv.forward(np.zeros((1, 10, 20, 20)))
    conv = Conv2d(10, 20, 3, stride=2, allow_remainder=True)
    assert conv.forward(np.zeros((1, 10, 20, 20))).shape == (1, 20, 9, 9)
    assert conv.n_params == 1_820


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((8, 28, 28)), r"Conv2d expects X of shape \(N, 3, H, W\), got \(8, 28, 28\)"),
        (np.zeros((8, 1, 28, 28)), r"Conv2d expects X of shape \(N, 3, H, W\), got \(8, 1, 28, 28\)"),
        (np.zeros((1, 3, 1, 9)), r"Conv2d expects a window no larger than the padded input along "
                                 r"the height \(n_in \+ 2\*pad = 1 \+ 2\*0 = 1\), got filter_size 3"),
        (np.full((1, 3, 5, 5), np.inf), r"Conv2d expects finite values in X, got 0 NaN and 75 inf"),
        (np.array([[[[np.nan] * 5] * 5] * 3]), r"Conv2d expects finite values in X, got 75 NaN and 0 inf"),
        ([["a"]], r"Conv2d expects X to hold numbers"),
    ],
)
def test_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(3, 6, 3).forward(X)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(stride=0), r"Conv2d expects stride to be an integer >= 1, got 0"),
        (dict(pad=-1), r"Conv2d expects pad to be an integer >= 0, got -1"),
        (dict(filter_size=(3, 3, 3)), r"Conv2d expects filter_size to be an int or a pair"),
        (dict(filter_size=np.array([3, 3, 3])), r"Conv2d expects filter_size to be an int or a pair \(height, width\), "
                                                r"got array\(\[3, 3, 3\]\)"),
        (dict(filter_size=2.5), r"Conv2d expects filter_size to be an int or a pair \(height, width\), got 2.5"),
        (dict(allow_remainder="no"), r"Conv2d expects allow_remainder to be True or False, got 'no'"),
        (dict(filter_size=10**20), r"Conv2d expects filter_size small enough for W to be a NumPy array \(at most "
                                   r"9.22e\+18 bytes\), got W of shape \(6, 3, 10+, 10+\) \(1.44e\+42 bytes\)"),
        (dict(in_channels=0), r"Conv2d expects in_channels to be an integer >= 1, got 0"),
        (dict(dtype=np.int64), r"Conv2d expects a floating dtype"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = dict(in_channels=3, out_channels=6, filter_size=3) | kwargs
    with pytest.raises(ValueError, match=message):
        Conv2d(**args)


def test_pairs_as_arrays_are_pairs():
    # np.array([3, 3]) (what arithmetic on shapes gives) was refused as "an integer >= 1"
    conv = Conv2d(3, 2, np.array([3, 2]), stride=np.array([1, 2]), pad=np.array([1, 0]))
    assert (conv.filter_size, conv.stride, conv.pad) == ((3, 2), (1, 2), (1, 0))
    assert conv.forward(np.zeros((1, 3, 5, 6))).shape == (1, 2, 5, 3)


def test_a_stride_beyond_the_input_gives_one_window_and_a_pad_beyond_numpy_is_named():
    # output_size: (8 - 3) // 10**20 + 1 = 1 window, at the top left; the stride is never applied
    # (it raised OverflowError: Python int too large to convert to C long)
    X = np.random.default_rng(0).standard_normal((2, 3, 8, 8))
    huge, six = (Conv2d(3, 2, 3, stride=s, allow_remainder=True, initializer=_he()) for s in (10**20, 6))
    np.testing.assert_allclose(huge.forward(X), six.forward(X))
    np.testing.assert_allclose(huge.backward(np.ones((2, 2, 1, 1))), six.backward(np.ones((2, 2, 1, 1))))
    assert Conv2d(3, 2, 8, stride=10**20).forward(X).shape == (2, 2, 1, 1)  # the window fills the input
    with pytest.raises(ValueError, match=r"^Conv2d expects a padded input along the height that NumPy can index "
                                         r"\(n_in \+ 2\*pad <= 9223372036854775807\), got n_in \+ 2\*pad = 8 \+ "
                                         r"2\*100000000000000000000 = 200000000000000000008$"):
        Conv2d(3, 2, 3, pad=10**20).forward(X)
    with pytest.raises(ValueError, match=r"^Conv2d expects pad small enough for the padded X to be a NumPy array "
                                         r"\(at most 9.22e\+18 bytes\), got the padded X of shape "
                                         r"\(2, 3, 2199023255560, 2199023255560\)"):
        Conv2d(3, 2, 3, pad=2**40).forward(X)


def test_output_shape_names_the_channels():
    with pytest.raises(ValueError, match=r"Conv2d expects input_shape \(N, 1, H, W\), got \(None, 3, 5, 5\)"):
        Conv2d(1, 2, 3).output_shape((None, 3, 5, 5))
