"""sprintlib.functional: output sizes and parameter counts (the sprint 1 and 2 exercises),
im2col/col2im, and the fast functions against the slow loop versions."""
import doctest

import numpy as np
import pytest

from sprintlib import _checks, fast, functional
from sprintlib.fast import conv as fast_conv
from sprintlib.functional import sizes
from sprintlib.testing import rel_error


@pytest.fixture(params=["functional", "fast"])
def maths(request):
    """The convolutions and poolings of the model answer (sprintlib.functional) or of the fast path
    (sprintlib.fast): every test that takes it runs on both, with the same expectations."""
    return functional if request.param == "functional" else fast


# -- output sizes and parameter counts (the sprints' exercises: tests/test_reference_values.py) --
def test_param_count_1d_and_lenet():
    assert functional.conv_param_count(2, 3, 3) == 3 * 2 * 3 + 3  # Conv1d of sprint 1, problem 4
    assert functional.conv_param_count(1, 6, (5, 5)) == 156
    assert functional.conv_param_count(6, 16, (5, 5)) == 2_416
    assert functional.conv_param_count(6, 16, np.array([5, 5])) == 2_416  # (FH, FW) as an array
    with pytest.raises(ValueError, match=r"conv_param_count expects filter_size to be an int or a pair "
                                         r"\(height, width\), got '5'"):
        functional.conv_param_count(6, 16, "5")


@pytest.mark.parametrize("value, expected", [(3, (3, 3)), ((3, 2), (3, 2)), ([3, 2], (3, 2)),
                                             (np.array([3, 2]), (3, 2)), (np.int64(3), (3, 3))])
def test_a_pair_is_an_int_a_tuple_a_list_or_a_1d_array(value, expected):
    assert _checks.check_pair(value, "f", "filter_size") == expected
    assert functional.output_size_2d((9, 8), value) == (9 - expected[0] + 1, 8 - expected[1] + 1)


@pytest.mark.parametrize("value", [np.array([3, 3, 3]), np.array([[3, 3]]), (3,), 2.5, "3", None])
def test_what_is_not_an_int_or_a_pair_is_named(value):
    with pytest.raises(ValueError, match=r"^output_size_2d expects filter_size to be an int or a pair "
                                         r"\(height, width\), got "):
        functional.output_size_2d((9, 9), value)


def test_a_stride_beyond_the_input_gives_one_window(maths):
    # (N_in + 2P - F) // S + 1 = 1: the stride is never applied, however large (it overflowed NumPy's views)
    X, W, B = np.random.default_rng(0).standard_normal((2, 3, 8, 8)), np.ones((2, 3, 3, 3)), np.zeros(2)
    A, rows = maths.conv2d_forward(X, W, B, 10**20, allow_remainder=True)
    np.testing.assert_allclose(A, maths.conv2d_forward(X, W, B, 6, allow_remainder=True)[0])
    assert A.shape == (2, 2, 1, 1) and functional.output_size(8, 3, 10**20, allow_remainder=True) == 1
    dX, dW, dB = maths.conv2d_backward(np.ones(A.shape), W, rows, X.shape, 10**20, allow_remainder=True)
    np.testing.assert_allclose(dX, maths.conv2d_backward(np.ones(A.shape), W, rows, X.shape, 6,
                                                              allow_remainder=True)[0])
    assert maths.max_pool2d_forward(X, 2, 10**20, allow_remainder=True).shape == (2, 3, 1, 1)


def test_a_pad_beyond_numpy_s_arrays_is_named(maths):
    with pytest.raises(ValueError, match=r"^output_size expects a padded input that NumPy can index "
                                         r"\(n_in \+ 2\*pad <= 9223372036854775807\), got n_in \+ 2\*pad = "
                                         r"8 \+ 2\*100000000000000000000 = 200000000000000000008$"):
        functional.output_size(8, 3, 1, 10**20)
    with pytest.raises(ValueError, match=r"^conv2d_forward expects pad small enough for the padded X to be a "
                                         r"NumPy array \(at most 9.22e\+18 bytes\), got the padded X of shape "
                                         r"\(1, 1, 2199023255556, 2199023255556\)"):
        maths.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), 1, 2**40)


@pytest.mark.parametrize("call", [
    lambda: functional.output_size(20, 3, 2, allow_remainder="no"),
    lambda: functional.im2col(np.zeros((1, 1, 5, 5)), 3, allow_remainder="no"),
    lambda: functional.max_pool2d_forward(np.zeros((1, 1, 4, 4)), 2, allow_remainder="no"),
    lambda: functional.conv2d_backward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)),
                                       np.zeros((4, 3, 2)), (1, 1, 4, 4), need_dX="no"),
])
def test_a_flag_that_is_not_a_bool_is_named(call):
    # bool("no") is True: a string asking for False was read as True
    with pytest.raises(ValueError, match=r"expects (allow_remainder|need_dX) to be True or False, got 'no'"):
        call()


def test_non_tiling_raises_by_default_and_names_the_sizes_that_tile():
    with pytest.raises(ValueError, match=r"output_size expects windows that tile the padded input, "
                       r".*got \(20 \+ 2\*0 - 3\) % 2 = 1: n_in = 19 or n_in = 21 would tile "
                       r"\(or pass allow_remainder=True"):
        functional.output_size(20, 3, stride=2)
    with pytest.raises(ValueError, match="along the width"):
        functional.output_size_2d((21, 20), 3, 2)
    assert functional.output_size(20, 3, stride=2, allow_remainder=True) == 9  # TF 'VALID': floor
    assert functional.output_size(21, 3, stride=2) == 10


def test_docstring_examples():
    result = doctest.testmod(sizes)
    assert result.attempted == 2 and result.failed == 0


def test_output_size_2d_non_square_pairs():
    assert functional.output_size_2d((28, 20), (5, 3), stride=(1, 1), pad=(2, 1)) == (28, 20)
    assert functional.output_size_2d((9, 13), (3, 5), stride=(3, 2), pad=(0, 1)) == (3, 6)


@pytest.mark.parametrize(
    "args, message",
    [
        ((4, 7, 1, 1), r"output_size expects a window no larger than the padded input "
                       r"\(n_in \+ 2\*pad = 4 \+ 2\*1 = 6\), got filter_size 7"),
        ((4, 3, 0, 0), r"output_size expects stride to be an integer >= 1, got 0"),
        ((4, 3, 1, -1), r"output_size expects pad to be an integer >= 0, got -1"),
        ((4.5, 3, 1, 0), r"output_size expects n_in to be an integer >= 1, got 4.5"),
        ((4, 0, 1, 0), r"output_size expects filter_size to be an integer >= 1, got 0"),
    ],
)
def test_output_size_errors(args, message):
    with pytest.raises(ValueError, match=message):
        functional.output_size(*args)


# -- im2col / col2im ---------------------------------------------------------------------
def test_im2col_shape_of_the_document():
    assert functional.im2col(np.zeros((1, 1, 28, 28)), 5, stride=1, pad=0).shape == (576, 25)


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), ((1, 3), (2, 0))])
def test_im2col_rows_are_the_windows(stride, pad):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 3, 7, 8))
    (SH, SW), (PH, PW) = np.broadcast_to(stride, 2), np.broadcast_to(pad, 2)
    col = functional.im2col(X, (3, 2), stride, pad, allow_remainder=True)
    Xp = np.pad(X, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    OH, OW = functional.output_size_2d((7, 8), (3, 2), stride, pad, allow_remainder=True)
    assert col.shape == (2 * OH * OW, 3 * 3 * 2)
    for n in range(2):  # the obvious definition, row by row
        for y in range(OH):
            for x in range(OW):
                window = Xp[n, :, y * SH:y * SH + 3, x * SW:x * SW + 2]
                np.testing.assert_array_equal(col[(n * OH + y) * OW + x], window.ravel())


@pytest.mark.parametrize("filter_size, stride, pad", [(3, 1, 0), (3, 2, 1), ((2, 4), (3, 1), (0, 2)), (1, 1, 0)])
def test_col2im_is_the_adjoint_of_im2col(filter_size, stride, pad):
    # <im2col(X), Y> == <X, col2im(Y)> for all X, Y: the definition of the gradient's path
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 2, 9, 8))
    col = functional.im2col(X, filter_size, stride, pad, allow_remainder=True)
    Y = rng.standard_normal(col.shape)
    back = functional.col2im(Y, X.shape, filter_size, stride, pad, allow_remainder=True)
    assert back.shape == X.shape
    assert abs(np.sum(col * Y) - np.sum(X * back)) < 1e-10 * np.sum(np.abs(col * Y))


def test_col2im_adds_overlapping_windows():
    # a 3x3 filter at stride 1 on 4x4: the centre pixels are in 4 windows, corners in 1
    ones = np.ones((4, 9))
    counts = functional.col2im(ones, (1, 1, 4, 4), 3)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_im2col_1d_and_col2im_1d():
    X = np.arange(8.0).reshape(1, 2, 4)
    col = functional.im2col_1d(X, 3)
    np.testing.assert_array_equal(col, [[0, 1, 2, 4, 5, 6], [1, 2, 3, 5, 6, 7]])
    np.testing.assert_array_equal(functional.col2im_1d(np.ones_like(col), X.shape, 3), [[[1, 2, 2, 1]] * 2])


def test_col2im_checks_the_shape_of_col():
    with pytest.raises(ValueError, match=r"col2im expects col of shape \(4, 9\)"):
        functional.col2im(np.ones((4, 8)), (1, 1, 4, 4), 3)


@pytest.mark.parametrize("call, message", [
    (lambda: functional.im2col(np.zeros((5, 5)), 3), r"im2col expects X of shape \(N, C, H, W\), got \(5, 5\)"),
    (lambda: functional.im2col(np.zeros((1, 1, 5, 5)), 7),
     r"im2col expects a window no larger than the padded input along the height .*got filter_size 7"),
    (lambda: functional.sliding_windows(np.zeros((1, 5, 5)), 3), r"sliding_windows expects X of shape \(N, C, H, W\)"),
    (lambda: functional.im2col_1d(np.zeros(5), 3), r"im2col_1d expects X of shape \(N, C, L\), got \(5,\)"),
    (lambda: functional.col2im(np.zeros((9, 9)), (1, 1, 5), 3), r"col2im expects x_shape of the form \(N, C, H, W\)"),
    (lambda: functional.col2im(np.zeros(81), (1, 1, 5, 5), 3), r"col2im expects col of shape \(N\*OH\*OW, C\*FH\*FW\)"),
    (lambda: functional.col2im_1d(np.zeros((3, 3)), (1, 5), 3), r"col2im_1d expects x_shape of the form \(N, C, L\)"),
    (lambda: functional.max_pool2d_forward(np.zeros((1, 4, 4)), 2), r"max_pool2d expects X of shape \(N, C, H, W\), got \(1, 4, 4\)"),
    (lambda: functional.avg_pool2d_forward(np.zeros((4, 4)), 2), r"avg_pool2d expects X of shape \(N, C, H, W\)"),
    (lambda: functional.avg_pool2d_backward(np.zeros((1, 1, 2, 2)), (1, 4, 4), 2),
     r"avg_pool2d_backward expects x_shape of the form \(N, C, H, W\)"),
    (lambda: functional.conv2d_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(3)),
     r"conv2d_forward expects B of shape \(2,\) for W of shape \(2, 3, 3, 3\), got \(3,\)"),
    (lambda: functional.conv1d_forward(np.zeros((1, 5)), np.zeros((2, 1, 3)), np.zeros(2)),
     r"conv1d_forward expects X of shape \(N, C, L\) and W of shape \(C_out, C, F\), got \(1, 5\)"),
    (lambda: functional.im2col(np.ma.masked_array(np.zeros((1, 1, 5, 5))), 3),
     r"im2col expects X as a plain array, got a masked array \(0 of its values masked\)"),
])
def test_the_pure_functions_name_what_they_expect(call, message):
    """Called directly (the layers call them with checked arrays), they say what they expected
    and what came, instead of a NumPy broadcasting error or a wrong-shaped answer."""
    with pytest.raises(ValueError, match=message):
        call()


def test_the_pure_functions_take_lists_and_numpy_shapes():
    np.testing.assert_array_equal(functional.im2col([[[[1, 2], [3, 4]]]], 2), [[1, 2, 3, 4]])
    col = functional.im2col(np.ones((1, 1, 3, 3)), 2)
    assert functional.col2im(col, np.array([1, 1, 3, 3]), 2).shape == (1, 1, 3, 3)


# -- the fast path's im2col in two steps (sprintlib/fast/conv.py) ---------------------------------------
@pytest.mark.parametrize("filter_size, stride, pad", [(3, 1, 0), (3, 2, 1), ((2, 4), (3, 1), (0, 2)), (5, 1, 2)])
def test_two_step_im2col_is_the_books_im2col(filter_size, stride, pad):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 2, 9, 8))
    (FH, FW), (SH, SW), pad = (np.broadcast_to(v, 2).tolist() for v in (filter_size, stride, pad))
    OH, OW = functional.output_size_2d((9, 8), (FH, FW), (SH, SW), pad, allow_remainder=True)
    rows = fast_conv.width_windows(fast_conv.to_hcwn(X, pad), FW, SW, OW)
    assert rows.shape == (9 + 2 * pad[0], 2 * FW, OW * 3)
    cols = fast_conv.height_windows(rows, FH, SH, OH)  # (OH, FH*C*FW, OW*N), rows ordered (i, c, j)
    assert cols.shape == (OH, FH * 2 * FW, OW * 3) and not cols.flags.writeable
    # into the book's layout: rows (n, y, x), columns (c, i, j)
    book = cols.reshape(OH, FH, 2, FW, OW, 3).transpose(5, 0, 4, 2, 1, 3).reshape(3 * OH * OW, -1)
    np.testing.assert_array_equal(book, functional.im2col(X, (FH, FW), (SH, SW), pad, allow_remainder=True))


@pytest.mark.parametrize("FW, SW", [(3, 1), (3, 2), (1, 1), (2, 3)])
def test_fold_width_is_the_adjoint_of_width_windows(FW, SW):
    rng = np.random.default_rng(3)
    Xr = rng.standard_normal((4, 2, 9, 3))  # (H, C, W, N)
    OW = (9 - FW) // SW + 1
    rows = fast_conv.width_windows(Xr, FW, SW, OW)
    Y = rng.standard_normal(rows.shape)
    back = fast_conv.fold_width(Y, Xr.shape, FW, SW)
    assert back.shape == Xr.shape
    assert abs(np.sum(rows * Y) - np.sum(Xr * back)) < 1e-10 * np.sum(np.abs(rows * Y))


def test_conv2d_output_is_a_view_in_the_hcwn_order_and_backward_reads_it_as_is():
    """The fast path's convolution (sprintlib/fast/conv.py) keeps images in (H, C, W, N)."""
    rng = np.random.default_rng(4)
    X, W, B = rng.standard_normal((5, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)), np.zeros(4)
    A, rows = fast.conv2d_forward(X, W, B, 1, 1)
    assert A.shape == (5, 4, 8, 8)
    assert A.transpose(2, 1, 3, 0).flags.c_contiguous  # (H, C, W, N) in memory
    dA = rng.standard_normal(A.shape)
    expected = fast.conv2d_backward(dA, W, rows, X.shape, 1, 1)  # a C-ordered dA: copied first
    dA_hcwn = np.ascontiguousarray(dA.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)
    for ours, theirs in zip(fast.conv2d_backward(dA_hcwn, W, rows, X.shape, 1, 1), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)
    dX, dW, dB = fast.conv2d_backward(dA, W, rows, X.shape, 1, 1, need_dX=False)
    assert dX is None
    np.testing.assert_array_equal(dW, expected[1])
    np.testing.assert_array_equal(dB, expected[2])


# -- fast == slow obvious loops -------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_conv2d_fast_equals_naive(seed, maths):
    rng = np.random.default_rng(seed)
    C_in, C_out, FS, S, P = (int(v) for v in rng.integers([1, 1, 1, 1, 0], [4, 4, 4, 3, 3]))
    H = FS - 2 * P + S * int(rng.integers(1, 5))  # windows that tile: H + 2P - F = S * k
    while H < 1:
        H += S
    X = rng.standard_normal((2, C_in, H, H + S))
    W, B = rng.standard_normal((C_out, C_in, FS, FS)), rng.standard_normal(C_out)
    A, col = maths.conv2d_forward(X, W, B, S, P)
    assert rel_error(A, functional.conv2d_naive_forward(X, W, B, S, P)) < 1e-12
    dA = rng.standard_normal(A.shape)
    fast = maths.conv2d_backward(dA, W, col, X.shape, S, P)
    slow = functional.conv2d_naive_backward(dA, X, W, S, P)
    for f, s in zip(fast, slow):
        assert rel_error(f, s) < 1e-12


@pytest.mark.parametrize("filt, stride, pad, x_shape", [
    ((3, 2), (2, 1), (1, 0), (2, 2, 7, 5)), ((2, 4), (1, 3), (0, 2), (3, 1, 5, 9)), (5, 1, 2, (2, 3, 6, 6)),
])
def test_conv2d_fast_equals_naive_non_square(filt, stride, pad, x_shape, maths):
    rng = np.random.default_rng(7)
    FH, FW = np.broadcast_to(filt, 2)
    X, W = rng.standard_normal(x_shape), rng.standard_normal((3, x_shape[1], FH, FW))
    B = rng.standard_normal(3)
    A, rows = maths.conv2d_forward(X, W, B, stride, pad)
    assert rel_error(A, functional.conv2d_naive_forward(X, W, B, stride, pad)) < 1e-12
    dA = rng.standard_normal(A.shape)
    for f, s in zip(maths.conv2d_backward(dA, W, rows, X.shape, stride, pad),
                    functional.conv2d_naive_backward(dA, X, W, stride, pad)):
        assert rel_error(f, s) < 1e-12


@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 1), (2, 1), (3, 3)])
def test_max_pool_fast_equals_naive_with_ties(pool, stride, maths):
    rng = np.random.default_rng(pool * 10 + stride)
    H = pool + stride * 3
    X = rng.integers(0, 3, (2, 3, H, H)).astype(float)  # many ties
    A = maths.max_pool2d_forward(X, pool, stride)
    np.testing.assert_array_equal(A, functional.max_pool2d_naive_forward(X, pool, stride))
    dA = rng.standard_normal(A.shape)
    # overlapping windows add in a different order: equal up to rounding, not bit for bit
    np.testing.assert_allclose(maths.max_pool2d_backward(dA, X, A, pool, stride),
                               functional.max_pool2d_naive_backward(dA, X, pool, stride), rtol=1e-14, atol=1e-14)


def test_avg_pool_backward_is_the_adjoint_of_forward(maths):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 3, 7, 7))
    A = maths.avg_pool2d_forward(X, 3, 2)
    dA = rng.standard_normal(A.shape)
    dX = maths.avg_pool2d_backward(dA, X.shape, 3, 2)
    assert abs(np.sum(A * dA) - np.sum(X * dX)) < 1e-12 * np.sum(np.abs(A * dA))


# -- integer inputs: computed in floating point, as the layers compute them ----------------
def test_integer_convolutions_are_computed_in_floating_point(maths):
    """uint8 images and weights would otherwise be multiplied and summed in uint8 (9 * 200
    wraps to 8); an int X with float weights made the naive loop's A an int array."""
    X, W, B = np.full((1, 1, 3, 3), 200, np.uint8), np.ones((1, 1, 3, 3), np.uint8), np.zeros(1, np.uint8)
    A, rows = maths.conv2d_forward(X, W, B)
    assert A.dtype == np.float64 and A.ravel().tolist() == [1800.0]
    assert functional.conv2d_naive_forward(X, W, B).ravel().tolist() == [1800.0]
    A1, _ = functional.conv1d_forward(np.full((1, 1, 4), 100, np.int8), np.ones((1, 1, 3), np.int8), np.zeros(1, np.int8))
    assert A1.ravel().tolist() == [300.0, 300.0]
    Xi = np.arange(16).reshape(1, 1, 4, 4)
    W_half = np.full((1, 1, 3, 3), 0.5)
    np.testing.assert_array_equal(functional.conv2d_naive_forward(Xi, W_half, np.zeros(1)),
                                  maths.conv2d_forward(Xi, W_half, np.zeros(1))[0])
    dA = np.full((1, 1, 1, 1), 100, np.int8)
    dX, dW, dB = maths.conv2d_backward(dA, np.full((1, 1, 3, 3), 2, np.int8), rows, X.shape)
    assert dX.dtype == np.float64 and (dX == 200).all() and (dW == 20000).all() and dB.tolist() == [100.0]
    dXn, dWn, _ = functional.conv2d_naive_backward(dA, X, np.full((1, 1, 3, 3), 2, np.int8))
    assert (dXn == 200).all() and (dWn == 20000).all()


def test_integer_pooling_gives_floating_means_and_gradients(maths):
    X = np.array([[[[200, 250], [100, 255]]]], np.uint8)
    assert maths.avg_pool2d_forward(X, 2).ravel().tolist() == [201.25]  # not a uint8 sum that wraps
    A = maths.max_pool2d_forward(X, 2)  # a maximum is exact in any dtype
    dX = maths.max_pool2d_backward(np.full((1, 1, 1, 1), 0.5), X, A, 2)
    assert dX.dtype == np.float64 and dX.ravel().tolist() == [0, 0, 0, 0.5]
