# %% [markdown]
# # Sprint 2 — 2-D convolution and pooling from scratch (深層学習スクラッチ 畳み込みニューラルネットワーク2)
#
# Images have height and width: this sprint writes the **2-D convolutional layer**, **max
# pooling**, **average pooling** and **flattening** in NumPy, trains a small convolutional
# network on MNIST with them, and works out output sizes and parameter counts by hand.
# Sprint 3 builds LeNet from these parts.
#
# **How this notebook works.** Write your code where it says `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and run the test cell below it: one verdict a line,
# and when something is wrong, which part, which entry, and the likely cause. The grader
# adds **hidden tests** on random shapes, strides, paddings and batch sizes. Written
# answers (problems 9 and 11) are read and graded by a person.
#
# **The course documents** behind this sprint are two students' notebooks, "Sprint13" (2-D
# convolution and pooling) and "lenet構成のCNN" (LeNet in NumPy), and the layer code of the book
# "Deep Learning from Scratch" (『ゼロから作るDeep Learning』). You do not need them: where they
# give a value, this notebook quotes it, and where they are wrong, it says so and gives the
# correct value.
#
# The parts of earlier sprints come from `sprintlib`: `FC`, `ReLU`, `Softmax`, the
# optimizers, the initializers and `GetMiniBatch`. Its `Conv2d`, `MaxPool2D`,
# `AveragePool2D` and `Flatten` are the model answers the tests compare yours with; an
# answer that uses them scores 0.
#
# | problem | | points |
# | --- | --- | --- |
# | 1 | Conv2d, forward and backward | 2 + 3 |
# | 2 | the small-array experiment | 2 |
# | 3 | output size after a 2-D convolution | 1 |
# | 4 | MaxPool2D, forward and backward | 2 + 2 |
# | 5 | (advanced) AveragePool2D | 1 |
# | 6 | Flatten | 1 |
# | 7 | training and prediction on MNIST | 2 |
# | 8 | LeNet: sprint 3 | — |
# | 9 | (advanced) a survey of famous image-recognition models, written | 2, by hand |
# | 10 | output sizes and parameter counts | 2 |
# | 11 | (advanced) filter sizes, written | 1 + 1, by hand |

# %%
import numpy as np
import matplotlib.pyplot as plt

import sprintlib
from sprintlib import FC, ReLU, Softmax, Adam, HeInitializer, FixedInitializer, GetMiniBatch
from sprintlib.data import load_mnist
from sprintlib.grading import autograding, check_accuracy, check_array, check_function, check_layer
from sprintlib.plotting import plot_confusion_matrix, plot_learning_curve

# %% [markdown]
# ## Problem 1 — Conv2d (【問題1】2次元畳み込み層の作成)
#
# Write `Conv2d`, a 2-D convolutional layer on a mini-batch of images in **NCHW** order
# (`N` images, `C` channels, height `H`, width `W`). Output channel `o` of image `n` is
#
# $$a_{n,o,i,j} = \sum_{c=0}^{C_{in}-1} \sum_{s=0}^{F_H-1} \sum_{t=0}^{F_W-1}
#   x_{n,c,(iS+s),(jS+t)}\, w_{o,c,s,t} + b_o$$
#
# on the input padded with `pad` zeros on every side, with stride `S`. Backward sums, as
# in sprint 1, over every place a weight was used:
#
# $$\frac{\partial L}{\partial w_{o,c,s,t}} = \sum_{n,i,j} \frac{\partial L}{\partial a_{n,o,i,j}}\, x_{n,c,(iS+s),(jS+t)},
# \qquad \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \frac{\partial L}{\partial a_{n,o,i,j}}$$
#
# and $\partial L / \partial x$ hands each output's gradient back to the entries of its
# window, times the weight each met (summed where windows overlap; the padding's entries
# are dropped at the end).
#
# | array | shape |
# | --- | --- |
# | `X`, `dX` | `(N, C_in, H, W)` |
# | `W`, `dW` | `(C_out, C_in, FH, FW)` |
# | `B`, `dB` | `(C_out,)` |
# | `A`, `dA` | `(N, C_out, OH, OW)`, `OH = (H + 2P - FH) // S + 1`, `OW` likewise |
#
# **Vectorising with im2col.** Loops over every output are slow in Python. The model
# answer lays every window out as a row of a matrix (*im2col*, as in the book's
# `common/util.py`): the convolution is then one matrix product, and backward is the
# transposed products followed by *col2im*, which adds each row back onto the window it
# came from. Loops are a correct answer too, only slower.
#
# (Two mistakes of the documents: the convolution of "lenet構成のCNN" reshapes the product
# straight to `(N, C, H, W)`, which scrambles the output: the product's rows are ordered
# `(n, i, j)`, so reshape to `(N, OH, OW, C_out)` and then move the channel axis. "Sprint13"
# averages `dB` over the positions (`np.mean`): the gradient of a shared bias is the **sum**.)
#
# **What the tests use** (the visible tests below show each kind, the hidden ones draw
# more): strides 1 and 2 (the same along both axes), paddings of 0 to 2, filters from 1x1 to
# 4x4, square or not (`filter_size=(FH, FW)`), images that are not square, batches of 1 to 3
# images with 1 to 3 input channels and 1 to 4 output channels. A padding may be as wide as
# the filter (the windows at the border then see only zeros: their output is the bias), and
# an image may be smaller than the filter (the padding makes room for it; a single output
# position). The sizes always tile: `(H + 2P - FH)` is a multiple of `S`, and so is
# `(W + 2P - FW)`.

# %% nbgrader={"grade": false, "grade_id": "p1_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def im2col(X, FH, FW, stride=1, pad=0):
    """X (N, C, H, W) -> cols (N * OH * OW, C * FH * FW), one row per window, and (OH, OW).
    (Optional: a help for a vectorised Conv2d. A Conv2d written with loops does not need it.)"""
    ### BEGIN SOLUTION
    N, C, H, W = X.shape
    X = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    cols = np.zeros((N, C, FH, FW, OH, OW))
    for s in range(FH):  # a loop over the filter's FH * FW positions, not over the image
        for t in range(FW):
            # entry (s, t) of every window at once: rows s, s + S, ..., columns t, t + S, ...
            cols[:, :, s, t] = X[:, :, s:s + stride * OH:stride, t:t + stride * OW:stride]
    # rows ordered (n, i, j), columns (c, s, t): the order of W.reshape(C_out, -1)
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1), (OH, OW)
    ### END SOLUTION


def col2im(dcols, x_shape, FH, FW, stride=1, pad=0):
    """The inverse direction: add each row of dcols back onto its window; returns dX (N, C, H, W)."""
    ### BEGIN SOLUTION
    N, C, H, W = x_shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    dcols = dcols.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    dX = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for s in range(FH):
        for t in range(FW):
            dX[:, :, s:s + stride * OH:stride, t:t + stride * OW:stride] += dcols[:, :, s, t]  # += : windows overlap
    return dX[:, :, pad:pad + H, pad:pad + W]  # the padding is not an input
    ### END SOLUTION


class Conv2d:
    """2-D convolution: X (N, C_in, H, W) -> A (N, C_out, OH, OW).

    W (C_out, C_in, FH, FW), B (C_out,); backward sets dW and dB of the same shapes.
    filter_size is an int (square filter) or (FH, FW); stride and pad are ints.
    """

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None,
                 optimizer=None):
        FH, FW = (filter_size, filter_size) if np.isscalar(filter_size) else filter_size
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((out_channels, in_channels, FH, FW), fan_in=in_channels * FH * FW)
        self.B = initializer.B(out_channels)
        self.stride, self.pad = stride, pad
        self.optimizer = optimizer

    def forward(self, X):
        """X (N, C_in, H, W) -> A (N, C_out, OH, OW)"""
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        C_out, _, FH, FW = self.W.shape
        self.x_shape = X.shape
        self.cols, (OH, OW) = im2col(X, FH, FW, self.stride, self.pad)  # (N*OH*OW, C_in*FH*FW)
        A = self.cols @ self.W.reshape(C_out, -1).T + self.B  # (N*OH*OW, C_out)
        A = A.reshape(X.shape[0], OH, OW, C_out).transpose(0, 3, 1, 2)  # rows were (n, i, j)
        ### END SOLUTION
        return A

    def backward(self, dA):
        """dA (N, C_out, OH, OW) -> dX (N, C_in, H, W); sets self.dW and self.dB"""
        ### BEGIN SOLUTION
        C_out, _, FH, FW = self.W.shape
        dA = np.asarray(dA, dtype=float).transpose(0, 2, 3, 1).reshape(-1, C_out)  # rows (n, i, j)
        self.dB = dA.sum(axis=0)  # summed over images and positions
        self.dW = (dA.T @ self.cols).reshape(self.W.shape)
        dcols = dA @ self.W.reshape(C_out, -1)  # the gradient of every window entry
        dX = col2im(dcols, self.x_shape, FH, FW, self.stride, self.pad)
        ### END SOLUTION
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX


# %% [markdown]
# The cases the two tests below show: one of each kind the hidden tests draw.

# %%
#: (C_in, C_out, filter_size, stride, pad, X's shape)
CONV2D_CASES = [(3, 4, 3, 1, 0, (2, 3, 7, 6)),
                (3, 2, (3, 2), 1, 1, (2, 3, 7, 6)),  # a filter that is not square, padding
                (2, 3, (3, 2), 2, 1, (1, 2, 5, 6)),  # stride 2 with padding, one image
                (1, 1, 1, 2, 2, (3, 1, 1, 3)),       # a 1x1 filter, a padding wider than it, stride 2
                (2, 1, (4, 3), 1, 1, (1, 2, 2, 1))]  # an image smaller than the filter: one output position

# %% [markdown]
# **Test (2 points): forward**, against `sprintlib.Conv2d` with the same weights.

# %% nbgrader={"grade": true, "grade_id": "p1_test_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
for C_in, C_out, F, S, P, shape in CONV2D_CASES:  # (above the tests)
    print(f"Conv2d({C_in}, {C_out}, {F}, stride={S}, pad={P}) on X of shape {shape}:")
    check_layer(Conv2d(C_in, C_out, F, S, P), sprintlib.Conv2d(C_in, C_out, F, S, P), rng.standard_normal(shape),
                backward=False)
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_forward")
for _ in range(3):
    N, C_in, C_out = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    FH, FW, S, P = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 3))
    OH, OW = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    while (OH - 1) * S + FH - 2 * P < 1:
        OH += 1
    while (OW - 1) * S + FW - 2 * P < 1:
        OW += 1
    # sizes whose windows tile the padded input: (H + 2P - FH) % S == 0
    X = rng.standard_normal((N, C_in, (OH - 1) * S + FH - 2 * P, (OW - 1) * S + FW - 2 * P))
    check_layer(Conv2d(C_in, C_out, (FH, FW), S, P), sprintlib.Conv2d(C_in, C_out, (FH, FW), S, P), X,
                backward=False)
### END HIDDEN TESTS

# %% [markdown]
# **Test (3 points): backward** — `dX`, `dW` and `dB`.

# %% nbgrader={"grade": true, "grade_id": "p1_test_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(1)
for C_in, C_out, F, S, P, shape in CONV2D_CASES:  # (above the tests)
    print(f"Conv2d({C_in}, {C_out}, {F}, stride={S}, pad={P}) on X of shape {shape}:")
    check_layer(Conv2d(C_in, C_out, F, S, P), sprintlib.Conv2d(C_in, C_out, F, S, P), rng.standard_normal(shape))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_backward")
for _ in range(3):
    N, C_in, C_out = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    FH, FW, S, P = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(0, 3))
    OH, OW = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    while (OH - 1) * S + FH - 2 * P < 1:
        OH += 1
    while (OW - 1) * S + FW - 2 * P < 1:
        OW += 1
    # sizes whose windows tile the padded input: (H + 2P - FH) % S == 0
    X = rng.standard_normal((N, C_in, (OH - 1) * S + FH - 2 * P, (OW - 1) * S + FW - 2 * P))
    check_layer(Conv2d(C_in, C_out, (FH, FW), S, P), sprintlib.Conv2d(C_in, C_out, (FH, FW), S, P), X,
                seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2 — The small-array experiment (【問題2】小さな配列での2次元畳み込み層の実験)
#
# Input `x` (1, 1, 4, 4), two 3x3 filters `w` (2, 1, 3, 3), no bias:
#
# ```python
# x = np.array([[[[ 1,  2,  3,  4],
#                 [ 5,  6,  7,  8],
#                 [ 9, 10, 11, 12],
#                 [13, 14, 15, 16]]]])
# w = np.array([[[[0., 0., 0.], [0., 1., 0.], [0., -1., 0.]]],
#               [[[0., 0., 0.], [0., -1., 1.], [0., 0., 0.]]]])
# ```
#
# Forward gives `a` (1, 2, 2, 2) = `[[[[-4, -4], [-4, -4]], [[1, 1], [1, 1]]]]`. With the
# upstream gradient `delta = [[[[-4, -4], [10, 11]], [[1, -7], [1, -11]]]]`, backward gives
#
# ```
# delta_x (1, 1, 4, 4) = [[ 0,   0,   0,   0],
#                         [ 0,  -5,   4,  -7],
#                         [ 0,  13,  27, -11],
#                         [ 0, -10, -11,   0]]
# delta_w, filter 0 = [[104, 117, 130], [156, 169, 182], [208, 221, 234]]
# delta_w, filter 1 = [[-74, -90, -106], [-138, -154, -170], [-202, -218, -234]]
# delta_b = [13, -16]
# ```
#
# A second case: `x = np.arange(64).reshape(1, 1, 8, 8)`, `w = np.arange(18).reshape(2, 1, 3, 3)`,
# `b = [1, 1]` give `a` of shape (1, 2, 6, 6) with `a[0, 0, 0] = [475, 511, 547, 583, 619, 655]`,
# `a[0, 0, 5, 5] = 2095`, `a[0, 1, 0, 0] = 1204`, `a[0, 1, 5, 5] = 6469`.
#
# ("Sprint13" shows only `2095` for this case: its loop counters never advance, so it fills
# `a[:, 0, 0]` and leaves the rest of `np.empty` as garbage. 2095 is right, but at (5, 5).)
#
# Run your `Conv2d` on both cases and store `a`, `delta_x`, `delta_w`, `delta_b` (first
# case) and `a2` (second case).

# %% nbgrader={"grade": false, "grade_id": "p2_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
x = np.arange(1, 17).reshape(1, 1, 4, 4)
w = np.array([[[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0]]],
              [[[0.0, 0.0, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, 0.0]]]])
delta = np.array([[[[-4, -4], [10, 11]], [[1, -7], [1, -11]]]])
### BEGIN SOLUTION
layer = Conv2d(1, 2, 3, initializer=FixedInitializer(W=w, B=[0, 0]))
a = layer.forward(x)
delta_x = layer.backward(delta)
delta_w, delta_b = layer.dW, layer.dB
layer2 = Conv2d(1, 2, 3, initializer=FixedInitializer(W=np.arange(18).reshape(2, 1, 3, 3), B=[1, 1]))
a2 = layer2.forward(np.arange(64).reshape(1, 1, 8, 8))
### END SOLUTION
print("a =", a.tolist())
print("delta_x =", delta_x[0, 0].tolist())
print("delta_b =", delta_b)

# %% [markdown]
# **Test (2 points): the documents' values**, then your layer on the first case's arrays
# with other weights.

# %% nbgrader={"grade": true, "grade_id": "p2_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_array("a", a, [[[[-4.0, -4.0], [-4.0, -4.0]], [[1.0, 1.0], [1.0, 1.0]]]])
check_array("delta_x", delta_x, [[[[0.0, 0.0, 0.0, 0.0], [0.0, -5.0, 4.0, -7.0],
                                   [0.0, 13.0, 27.0, -11.0], [0.0, -10.0, -11.0, 0.0]]]])
check_array("delta_w", delta_w, [[[[104.0, 117.0, 130.0], [156.0, 169.0, 182.0], [208.0, 221.0, 234.0]]],
                                 [[[-74.0, -90.0, -106.0], [-138.0, -154.0, -170.0], [-202.0, -218.0, -234.0]]]])
check_array("delta_b", delta_b, [13.0, -16.0])
check_array("a2's shape", np.array(np.shape(a2)), np.array([1, 2, 6, 6]))
check_array("a2[0, 0, 0]", a2[0, 0, 0], [475.0, 511.0, 547.0, 583.0, 619.0, 655.0])
check_array("a2[0, 0, 5, 5], a2[0, 1, 0, 0], a2[0, 1, 5, 5]", np.array([a2[0, 0, 5, 5], a2[0, 1, 0, 0], a2[0, 1, 5, 5]]),
            [2095.0, 1204.0, 6469.0])
print("your Conv2d on the document's x and delta, with other weights:")
check_layer(Conv2d(1, 2, 3), sprintlib.Conv2d(1, 2, 3), np.arange(1.0, 17.0).reshape(1, 1, 4, 4),
            dA=np.array([[[[-4.0, -4.0], [10.0, 11.0]], [[1.0, -7.0], [1.0, -11.0]]]]))

# %% [markdown]
# ## Problem 3 — Output size after a 2-D convolution (【問題3】2次元畳み込み後の出力サイズ)
#
# Along each axis, as in sprint 1:
#
# $$N_{h,out} = \frac{N_{h,in} + 2P_h - F_h}{S_h} + 1, \qquad N_{w,out} = \frac{N_{w,in} + 2P_w - F_w}{S_w} + 1$$
#
# Write `output_size_2d(in_size, filter_size, stride=1, pad=0)`: `in_size` is `(H, W)`,
# `filter_size` is `(FH, FW)`, `stride` and `pad` are ints; return the tuple of ints
# `(OH, OW)`, rounding down when the last window does not fit.
#
# Expected: `output_size_2d((28, 28), (5, 5))` is `(24, 24)`; `output_size_2d((28, 28), (5, 5), 1, 2)`
# is `(28, 28)`; a 2x2 pooling window with stride 2 takes a 28x28 image to `(14, 14)`; with
# padding the image may be smaller than the filter: `output_size_2d((2, 9), (4, 3), 3, 1)` is
# `(1, 3)`. The tests draw filters of 1 to 7 along each axis, strides of 1 to 3 and paddings
# of 0 to 2.
# (im2col on one 28x28 image with a 5x5 filter makes 24 * 24 = 576 rows of 25 values.)

# %% nbgrader={"grade": false, "grade_id": "p3_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def output_size_2d(in_size, filter_size, stride=1, pad=0):
    """(OH, OW) of a 2-D convolution or pooling, as ints."""
    ### BEGIN SOLUTION
    (H, W), (FH, FW) = in_size, filter_size
    return (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    ### END SOLUTION


# %% [markdown]
# **Test (1 point).**

# %% nbgrader={"grade": true, "grade_id": "p3_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def reference_output_size_2d(in_size, filter_size, stride=1, pad=0):
    return sprintlib.functional.output_size_2d(in_size, filter_size, stride, pad, allow_remainder=True)


check_array("output_size_2d((28, 28), (5, 5))", np.array(output_size_2d((28, 28), (5, 5))), np.array([24, 24]))
check_function(output_size_2d, reference_output_size_2d, (28, 28), (5, 5), 1, 2, name="output_size_2d")
check_function(output_size_2d, reference_output_size_2d, (28, 28), (2, 2), 2, 0, name="output_size_2d")
check_function(output_size_2d, reference_output_size_2d, (20, 15), (3, 4), 2, 1, name="output_size_2d")
check_function(output_size_2d, reference_output_size_2d, (2, 9), (4, 3), 3, 1, name="output_size_2d")
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p3_test")
for _ in range(10):
    FH, FW, S, P = int(rng.integers(1, 8)), int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
    H, W = int(rng.integers(max(1, FH - 2 * P), 40)), int(rng.integers(max(1, FW - 2 * P), 40))
    check_function(output_size_2d, reference_output_size_2d, (H, W), (FH, FW), S, P, name="output_size_2d")
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 4 — MaxPool2D (【問題4】最大プーリング層の作成)
#
# Write `MaxPool2D(pool_size, stride=None)`: the maximum of each `pool_size x pool_size`
# window of each channel, windows `stride` apart (default: `pool_size`, side by side). No
# weights. Backward sends each window's gradient to the entry that held its maximum (the
# first one, in row-major order, when it appears twice), zero to the others.
#
# With a stride **smaller** than the pool size the windows **overlap**: one entry can be the
# maximum of several windows, and then it gets the **sum** of their gradients (as a shared
# weight does). Example: on `x = np.array([[[[1., 2., 0.], [0., 9., 0.], [3., 0., 4.]]]])`,
# `MaxPool2D(2, stride=1)` gives `[[[[9, 9], [9, 9]]]]`, and with an upstream gradient of ones
# backward gives 4 at the centre (the 9 is the maximum of all four windows) and 0 elsewhere.
#
# | array | shape |
# | --- | --- |
# | `X`, `dX` | `(N, C, H, W)` |
# | `A`, `dA` | `(N, C, OH, OW)`, `OH = (H - P) // S + 1` for pool size `P` |
#
# The tests use pool sizes 2 and 3, strides from 1 to the pool size (overlapping windows,
# or side by side), batches of 1 to 3, 1 to 3 channels and inputs that are not square, as
# small as one window; the sizes tile: `(H - P)` is a multiple of `S`, and so is `(W - P)`.
#
# Expected: `x = np.arange(128).reshape(1, 2, 8, 8)` with 2x2 windows gives, in channel 0,
#
# ```
# [[ 9, 11, 13, 15],
#  [25, 27, 29, 31],
#  [41, 43, 45, 47],
#  [57, 59, 61, 63]]
# ```
#
# and channel 1 is channel 0 + 64. Taking that output as the upstream gradient, backward
# puts `out[0, c, i, j]` at `dx[0, c, 2i+1, 2j+1]` and zero elsewhere: row 1 of channel 0 is
# `[0, 9, 0, 11, 0, 13, 0, 15]`.
#
# ("Sprint13" prints a **transposed** backward, whose row 1 reads `[0, 9, 0, 25, 0, 41, 0, 57]`:
# that is wrong. The values above are the right ones.)

# %% nbgrader={"grade": false, "grade_id": "p4_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaxPool2D:
    """Max pooling: X (N, C, H, W) -> A (N, C, OH, OW)."""

    param_names = ()  # no weights

    def __init__(self, pool_size, stride=None):
        self.pool_size = pool_size
        self.stride = pool_size if stride is None else stride

    def forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)"""
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        P, S = self.pool_size, self.stride
        N, C, H, W = X.shape
        OH, OW = (H - P) // S + 1, (W - P) // S + 1
        self.x_shape, self.out_size = X.shape, (OH, OW)
        # windows[n, c, k, i, j]: entry k (row-major) of window (i, j)
        windows = np.stack([X[:, :, s:s + S * OH:S, t:t + S * OW:S] for s in range(P) for t in range(P)], axis=2)
        self.argmax = windows.argmax(axis=2)  # which entry of each window held its maximum (the first)
        A = windows.max(axis=2)
        ### END SOLUTION
        return A

    def backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W)"""
        ### BEGIN SOLUTION
        P, S = self.pool_size, self.stride
        OH, OW = self.out_size
        dX = np.zeros(self.x_shape)
        for k in range(P * P):
            s, t = divmod(k, P)
            # windows whose maximum sat at entry k hand their gradient to it (+=: windows may overlap)
            dX[:, :, s:s + S * OH:S, t:t + S * OW:S] += np.where(self.argmax == k, dA, 0.0)
        ### END SOLUTION
        return dX


# %% [markdown]
# The random cases the pooling tests (problems 4 and 5) show: one of each kind the hidden
# tests draw.

# %%
#: (pool_size, stride, X's shape)
POOL_CASES = [(2, 2, (2, 3, 6, 4)),
              (3, 1, (1, 1, 4, 5)),   # overlapping windows (stride < pool size), one image, one channel
              (2, 1, (2, 2, 3, 2)),   # overlapping, a single output column
              (3, 3, (3, 2, 6, 3)),   # 3x3 windows side by side
              (3, 2, (1, 2, 7, 5)),   # overlapping at a stride above 1: 3x3 windows, 2 apart
              (2, 2, (1, 1, 2, 2))]   # a single window

# %% [markdown]
# **Test (2 points): forward** — the document's values, overlapping windows, and random inputs.

# %% nbgrader={"grade": true, "grade_id": "p4_test_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x_doc = np.arange(128, dtype=float).reshape(1, 2, 8, 8)  # the test's own name: x is problem 2's
out_doc = MaxPool2D(2).forward(x_doc)
channel0 = [[9.0, 11.0, 13.0, 15.0], [25.0, 27.0, 29.0, 31.0], [41.0, 43.0, 45.0, 47.0], [57.0, 59.0, 61.0, 63.0]]
check_array("out", out_doc, [[channel0, np.add(channel0, 64.0)]])
check_array("out, overlapping windows (MaxPool2D(2, stride=1) on the 3x3 example)",
            MaxPool2D(2, 1).forward(np.array([[[[1.0, 2.0, 0.0], [0.0, 9.0, 0.0], [3.0, 0.0, 4.0]]]])),
            [[[[9.0, 9.0], [9.0, 9.0]]]])
rng = np.random.default_rng(2)
for P, S, shape in POOL_CASES:  # (above the tests of problem 4)
    print(f"MaxPool2D({P}, stride={S}) on X of shape {shape}:")
    check_layer(MaxPool2D(P, S), sprintlib.MaxPool2D(P, S), rng.standard_normal(shape), backward=False)
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p4_test_forward")
for _ in range(3):
    N, C, P = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 4))
    S = int(rng.integers(1, P + 1))
    X = rng.standard_normal((N, C, (int(rng.integers(1, 5)) - 1) * S + P, (int(rng.integers(1, 5)) - 1) * S + P))
    check_layer(MaxPool2D(P, S), sprintlib.MaxPool2D(P, S), X, backward=False)
### END HIDDEN TESTS

# %% [markdown]
# **Test (2 points): backward**, also where a window's maximum appears more than once (after a
# ReLU, every window of negative values holds the maximum 0 several times): its gradient goes
# to the first of them, in row-major order, and to no other.

# %% nbgrader={"grade": true, "grade_id": "p4_test_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x_doc = np.arange(128, dtype=float).reshape(1, 2, 8, 8)  # the document's x, as in the test above
pool = MaxPool2D(2)
pool.forward(x_doc)
out_doc = x_doc[:, :, 1::2, 1::2]  # the right out: each 2x2 window's maximum is its bottom-right entry
dx_doc = pool.backward(out_doc.copy())  # the document takes out itself as the upstream gradient
expected = np.zeros((1, 2, 8, 8))
expected[:, :, 1::2, 1::2] = out_doc  # row 1 of channel 0: [0, 9, 0, 11, 0, 13, 0, 15]
check_array("dx", dx_doc, expected)
pool = MaxPool2D(2, 1)
pool.forward(np.array([[[[1.0, 2.0, 0.0], [0.0, 9.0, 0.0], [3.0, 0.0, 4.0]]]]))
check_array("dx, overlapping windows (the 3x3 example: the 9 is the maximum of 4 windows)",
            pool.backward(np.ones((1, 1, 2, 2))), [[[[0.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]]])
pool = MaxPool2D(2)
pool.forward(np.array([[[[0.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0]]]]))
check_array("dx, maxima that appear more than once (3 three times, 0 four times): all to the first",
            pool.backward(np.array([[[[1.0, 2.0]]]])), [[[[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])
rng = np.random.default_rng(3)
for P, S, shape in POOL_CASES:  # (above the tests of problem 4)
    print(f"MaxPool2D({P}, stride={S}) on X of shape {shape}:")
    check_layer(MaxPool2D(P, S), sprintlib.MaxPool2D(P, S), rng.standard_normal(shape))
print("after a ReLU (maxima of 0 that appear several times), overlapping windows:")
check_layer(MaxPool2D(2, 1), sprintlib.MaxPool2D(2, 1), np.maximum(rng.standard_normal((2, 2, 4, 5)), 0.0))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p4_test_backward")
for _ in range(3):
    N, C, P = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 4))
    S = int(rng.integers(1, P + 1))
    X = rng.standard_normal((N, C, (int(rng.integers(1, 5)) - 1) * S + P, (int(rng.integers(1, 5)) - 1) * S + P))
    check_layer(MaxPool2D(P, S), sprintlib.MaxPool2D(P, S), X, seed=int(rng.integers(1000)))
    # the same windows after a ReLU: maxima of 0 that appear several times
    check_layer(MaxPool2D(P, S), sprintlib.MaxPool2D(P, S), np.maximum(X, 0.0), seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 5 — (advanced) AveragePool2D (【問題5】（アドバンス課題）平均プーリングの作成)
#
# Write `AveragePool2D(pool_size, stride=None)`: the **mean** of each window. In backward
# every entry of a window gets an equal share, `dA / (pool_size * pool_size)`, added up
# where windows overlap (stride < pool size). Shapes, and the cases the tests use, as in
# `MaxPool2D`.
#
# Expected: on `np.arange(16.0).reshape(1, 1, 4, 4)` with 2x2 windows, `[[[[2.5, 4.5], [10.5, 12.5]]]]`.

# %% nbgrader={"grade": false, "grade_id": "p5_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class AveragePool2D:
    """Average pooling: X (N, C, H, W) -> A (N, C, OH, OW)."""

    param_names = ()

    def __init__(self, pool_size, stride=None):
        self.pool_size = pool_size
        self.stride = pool_size if stride is None else stride

    def forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)"""
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        P, S = self.pool_size, self.stride
        N, C, H, W = X.shape
        OH, OW = (H - P) // S + 1, (W - P) // S + 1
        self.x_shape, self.out_size = X.shape, (OH, OW)
        A = np.zeros((N, C, OH, OW))
        for s in range(P):
            for t in range(P):
                A += X[:, :, s:s + S * OH:S, t:t + S * OW:S]  # entry (s, t) of every window
        A /= P * P
        ### END SOLUTION
        return A

    def backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W)"""
        ### BEGIN SOLUTION
        P, S = self.pool_size, self.stride
        OH, OW = self.out_size
        dX = np.zeros(self.x_shape)
        for s in range(P):
            for t in range(P):
                dX[:, :, s:s + S * OH:S, t:t + S * OW:S] += dA / (P * P)
        ### END SOLUTION
        return dX


# %% [markdown]
# **Test (1 point, advanced).**

# %% nbgrader={"grade": true, "grade_id": "p5_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_array("average pool", AveragePool2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4)), [[[[2.5, 4.5], [10.5, 12.5]]]])
rng = np.random.default_rng(4)
for P, S, shape in POOL_CASES:  # (above the tests of problem 4)
    print(f"AveragePool2D({P}, stride={S}) on X of shape {shape}:")
    check_layer(AveragePool2D(P, S), sprintlib.AveragePool2D(P, S), rng.standard_normal(shape))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p5_test")
for _ in range(3):
    N, C, P = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 4))
    S = int(rng.integers(1, P + 1))
    X = rng.standard_normal((N, C, (int(rng.integers(1, 5)) - 1) * S + P, (int(rng.integers(1, 5)) - 1) * S + P))
    check_layer(AveragePool2D(P, S), sprintlib.AveragePool2D(P, S), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 6 — Flatten (【問題6】平滑化)
#
# Write `Flatten`: forward turns `(N, C, H, W)` feature maps into `(N, C * H * W)` vectors
# for a fully connected layer; backward turns the gradient back into `(N, C, H, W)`, each
# value at the pixel it came from. No weights.
#
# Expected: `Flatten().forward(np.zeros((2, 3, 4, 5))).shape` is `(2, 60)`. Any axis may have
# size 1: `(1, 1, 3, 1)` gives `(1, 3)`, one row for the one image.

# %% nbgrader={"grade": false, "grade_id": "p6_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Flatten:
    """X (N, C, H, W) -> A (N, C * H * W), and back."""

    param_names = ()

    def forward(self, X):
        ### BEGIN SOLUTION
        X = np.asarray(X)
        self.x_shape = X.shape
        A = X.reshape(X.shape[0], -1)
        ### END SOLUTION
        return A

    def backward(self, dA):
        ### BEGIN SOLUTION
        dX = np.asarray(dA).reshape(self.x_shape)
        ### END SOLUTION
        return dX


# %% [markdown]
# **Test (1 point).**

# %% nbgrader={"grade": true, "grade_id": "p6_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_array("Flatten's output shape", np.array(Flatten().forward(np.zeros((2, 3, 4, 5))).shape), np.array([2, 60]))
check_layer(Flatten(), sprintlib.Flatten(), np.random.default_rng(5).standard_normal((2, 3, 4, 5)))
print("axes of size 1, one image:")
check_layer(Flatten(), sprintlib.Flatten(), np.random.default_rng(6).standard_normal((1, 1, 3, 1)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p6_test")
for _ in range(3):
    X = rng.standard_normal(tuple(int(n) for n in rng.integers(1, 6, size=4)))
    check_layer(Flatten(), sprintlib.Flatten(), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 7 — Training and prediction on MNIST (【問題7】学習と推定)
#
# Make `Scratch2dCNNClassifier` from your layers and train it on MNIST images
# `(N, 1, 28, 28)`:
#
#     Conv2d(1, n_filters, 3, pad=1) -> ReLU -> MaxPool2D(2) -> Flatten
#       -> FC(n_filters * 14 * 14, n_hidden) -> ReLU -> FC(n_hidden, 10) -> Softmax
#
# `fit(X, y, X_val, y_val)` trains with mini-batches and Adam, shows a progress bar and
# records `history`: per epoch `loss` (the mean over the epoch's batches of their losses, each
# weighted by its batch's size: the mean over the epoch's images, not the last batch's loss),
# `accuracy`, `val_loss`, `val_accuracy`; and `batch_loss`, the loss of every batch, which draws
# the learning curve within an epoch. `predict(X)` returns labels `(N,)`. `FC`, `ReLU`, `Softmax`, `Adam`,
# `HeInitializer` and `GetMiniBatch` come from sprintlib; `Conv2d`, `MaxPool2D` and `Flatten`
# are your own (problems 1, 4 and 6): sprintlib's are this sprint's model answers, released
# after the deadline, and they do not run when the notebook is graded. After training, the learning curve and a confusion
# matrix (rows: the true digit, columns: the predicted one) show how it went, and the filters
# your `Conv2d` learned and the feature maps of two test images show what it looks for; they
# find your layers in `self.layers` (in order), as the model answer keeps them.
#
# Expected: above 95% test accuracy after one epoch on the 60,000 training images (the
# test below asks for at least 90%, and for 65% when the grader trains on 400 images).

# %% nbgrader={"grade": false, "grade_id": "p7_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
from tqdm.auto import tqdm


class Scratch2dCNNClassifier:
    """Conv2d -> ReLU -> MaxPool2D -> Flatten -> FC -> ReLU -> FC -> Softmax on X (N, C, H, W)."""

    def __init__(self, n_filters=8, n_hidden=100, epochs=1, batch_size=64, lr=1e-3, random_state=0,
                 verbose=True):
        self.n_filters, self.n_hidden = n_filters, n_hidden
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.random_state, self.verbose = random_state, verbose

    def fit(self, X, y, X_val=None, y_val=None):
        ### BEGIN SOLUTION
        rng = np.random.default_rng(self.random_state)
        init, adam = HeInitializer(random_state=rng), Adam(lr=self.lr)
        N, C, H, W = X.shape
        self.layers = [Conv2d(C, self.n_filters, 3, pad=1, initializer=init, optimizer=adam), ReLU(),
                       MaxPool2D(2), Flatten(),
                       FC(self.n_filters * (H // 2) * (W // 2), self.n_hidden, init, adam), ReLU(),
                       FC(self.n_hidden, 10, init, adam)]
        self.softmax = Softmax()
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "batch_loss": []}
        for epoch in range(self.epochs):
            total_loss, hits = 0.0, 0
            batches = GetMiniBatch(X, y, self.batch_size, seed=rng)
            for Xb, yb in tqdm(batches, desc=f"epoch {epoch + 1}/{self.epochs}", disable=not self.verbose):
                Z = self._forward(Xb)
                self.history["batch_loss"].append(self.softmax.loss(yb))
                total_loss += self.history["batch_loss"][-1] * len(yb)
                hits += int((Z.argmax(axis=1) == yb).sum())
                dA = self.softmax.backward(yb)
                for layer in reversed(self.layers):
                    dA = layer.backward(dA)
            self.history["loss"].append(total_loss / len(X))
            self.history["accuracy"].append(hits / len(X))
            if X_val is not None:
                # in batches of 500, as predict: im2col lays 9 values out per pixel, so the 2,000
                # validation images at once would take some 400 MB of windows and feature maps
                total_loss, hits = 0.0, 0
                for i in range(0, len(X_val), 500):
                    Z = self._forward(X_val[i:i + 500])
                    total_loss += self.softmax.loss(y_val[i:i + 500]) * len(Z)
                    hits += int((Z.argmax(axis=1) == y_val[i:i + 500]).sum())
                self.history["val_loss"].append(total_loss / len(X_val))
                self.history["val_accuracy"].append(hits / len(X_val))
        ### END SOLUTION
        return self

    def _forward(self, X):
        """X (N, C, H, W) -> class probabilities Z (N, 10), through every layer"""
        ### BEGIN SOLUTION
        for layer in self.layers:
            X = layer.forward(X)
        Z = self.softmax.forward(X)
        ### END SOLUTION
        return Z

    def predict(self, X):
        """X (N, C, H, W) -> labels (N,)"""
        ### BEGIN SOLUTION
        return np.concatenate([self._forward(X[i:i + 500]).argmax(axis=1) for i in range(0, len(X), 500)])
        ### END SOLUTION


# %% [markdown]
# One epoch on the 60,000 training images takes about half a minute with vectorised layers. When
# the grader runs this notebook each cell has 30 seconds, and the grading machine's two cores
# are shared: it trains on 400 images in batches of 8 (50 steps of Adam, learning rate 2e-3),
# which a `Conv2d` and a `MaxPool2D` written with loops over the samples and the output
# positions (NumPy over the channels) finish in about 7 s of one core (and the test cell's
# 1,500 predictions in about 7 s more), vectorised ones in about a second for both. (A loop
# over every sample, filter and position, one `np.sum` per output value, is some five times
# slower again: keep the channels in NumPy.)

# %%
# (N, 1, 28, 28), pixels in [0, 1] as float32: 4 bytes each, so the 60,000 training images take
# 188 MB, not the 376 MB of float64 (a Binder session has about 1 GB); your layers convert each batch
(X_train, y_train), (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)
# graded: a few images, small batches and a larger step, so that loops finish in time
n_train, n_val, batch_size, lr = (400, 100, 8, 2e-3) if autograding() else (60000, 2000, 64, 1e-3)
model = Scratch2dCNNClassifier(epochs=1, batch_size=batch_size, lr=lr)
model.fit(X_train[:n_train], y_train[:n_train], X_test[:n_val], y_test[:n_val])
plot_learning_curve(model.history, title=f"Scratch2dCNNClassifier on {n_train:,} MNIST images")
plot_confusion_matrix(y_test[:n_val], model.predict(X_test[:n_val]), title="which digits it confuses");

# %% [markdown]
# What the convolution learned: each 3x3 filter as an image (red adds, blue subtracts), and
# what two test images become after your `Conv2d`, the ReLU and the pooling.

# %%
from sprintlib.plotting import plot_feature_maps, plot_filters

layers = getattr(model, "layers", None)
if not isinstance(layers, list) or np.ndim(getattr(layers[0] if layers else None, "W", None)) != 4:
    print("keep your layers in self.layers, in order, your Conv2d first, to see its filters and feature maps")
else:
    plot_filters(layers[0].W, title="the filters of your Conv2d")
    plt.show()
    for image in X_test[:2]:
        plot_feature_maps(layers, image, n_layers=3)
        plt.show()

# %% [markdown]
# **Test (2 points): the history, then predictions.** `history["loss"]` of each epoch must be
# the mean of its `batch_loss` values weighted by the batches' sizes (within 0.001), in the training
# above and in a short one the test runs (3 epochs of 20 images in batches of 8, 8 and 4). Then predictions
# on test images the model has not seen, then on the same
# images with every pixel moved by up to 0.02. The hidden test predicts on 500 other test
# images, moved the same way, and asks for 65%.

# %% nbgrader={"grade": true, "grade_id": "p7_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# (graded after a short run on 400 images: 65% then, where that run reaches 73-86% and one cut
# off after 100 images 40-68%; 90% after the full epoch above)
from sprintlib.grading import check_epoch_losses

# the history of the training above: each epoch's loss is the mean over its images of the batches'
# losses (each weighted by its batch's size), not the last batch's: within 0.001 of it. A wrong one
# is named when a known mistake gives it (the last batch's loss, the sum, a total never reset...)
check_epoch_losses('history["loss"]', model.history, n_train, model.batch_size, model.epochs)
# and over 3 epochs whose last batch is smaller (20 images: batches of 8, 8 and 4), where a list of
# batch losses never emptied, a total never reset or a plain mean of the batches shows
short = Scratch2dCNNClassifier(epochs=3, batch_size=8, lr=2e-3)
short.fit(X_train[:20], y_train[:20])
check_epoch_losses('history["loss"] (3 epochs of 20 images, batches of 8, 8 and 4)', short.history, 20, 8, 3)
X_eval, y_eval = X_test[5000:5500], y_test[5000:5500]
check_accuracy("predict on 500 test images", model.predict(X_eval), y_eval, at_least=0.65 if autograding() else 0.9)
# as the hidden test's images are: every pixel moved by up to 0.02 (a network that learned the digits does not care)
X_moved = np.clip(X_eval + np.random.default_rng(8).uniform(-0.02, 0.02, X_eval.shape), 0, 1).astype(X_eval.dtype)
check_accuracy("predict on the same images, each pixel moved by up to 0.02", model.predict(X_moved), y_eval,
               at_least=0.65 if autograding() else 0.9)
### BEGIN HIDDEN TESTS
# 500 other test images, each pixel moved by up to 0.02: a predict that looks the labels
# up (by index or by the image) finds none and scores about 10%; a trained network's
# accuracy does not move, and 65% leaves a trained one a wide margin
from sprintlib.grading import hidden_images
X_hidden, y_hidden = hidden_images("p7_test", X_test[5000:], y_test[5000:])  # from the half of the test set X_eval comes from
check_accuracy("predict on 500 other test images", model.predict(X_hidden), y_hidden, at_least=0.65)
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 8 — LeNet (【問題8】LeNet)
#
# LeNet-5 (LeCun et al., 1998) stacks two convolution and pooling stages before three fully
# connected layers. It is sprint 3's notebook (`sprint3_lenet`), built from the `Conv2d`,
# `MaxPool2D` and `Flatten` of this sprint (imported there from sprintlib). Nothing to do here.

# %% [markdown]
# ## Problem 9 — (advanced) A survey of famous image-recognition models (【問題9】（アドバンス課題）有名な画像認識モデルの調査)
#
# Pick **two** of AlexNet, VGG16, GoogLeNet (Inception), ResNet, MobileNet. For each, in a
# few sentences: the year and the competition or task it was known for, what was new in
# its architecture, and its depth and size (layers, parameters). Name your sources.
# *(2 points, graded by a person.)*

# %% [markdown] nbgrader={"grade": true, "grade_id": "q9_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Rubric (2 points).** 1 point a model: correct year and setting (ILSVRC / ImageNet), at
# least one architectural idea that is really its own, and a rough size (depth or
# parameters). No point for a list of layers with no idea named; half a point off when no
# source is given at all.
#
# **Model answer.**
# - **AlexNet** (Krizhevsky, Sutskever, Hinton, 2012) won ILSVRC 2012 with a top-5 error of
#   about 15% against 26% for the next entry. Five convolutional and three fully connected
#   layers, about 60 million parameters; new were ReLU activations, dropout in the dense
#   layers, data augmentation, and training on two GPUs.
# - **VGG16** (Simonyan and Zisserman, 2014), second in ILSVRC 2014 classification:
#   16 weight layers built only from 3x3 convolutions (stride 1, padding 1) and 2x2 max
#   pooling, doubling the channels after each pooling; about 138 million parameters, most
#   of them in the first fully connected layer.
# - **GoogLeNet** (Szegedy et al., 2014) won ILSVRC 2014: 22 layers of Inception modules
#   (1x1, 3x3 and 5x5 convolutions and pooling side by side, with 1x1 convolutions that cut
#   the channels first), global average pooling instead of large dense layers; about
#   7 million parameters.
# - **ResNet** (He et al., 2015) won ILSVRC 2015 (3.6% top-5): residual blocks that add
#   their input to their output (`y = F(x) + x`), so that 50, 101 or 152 layers still
#   train; ResNet-50 has about 25 million parameters.
#
# Sources: the original papers (arXiv 1409.1556, 1409.4842, 1512.03385; NeurIPS 2012).

# %% [markdown]
# ## Problem 10 — Output sizes and parameter counts (【問題10】出力サイズとパラメータ数の計算)
#
# For each convolution below (no bias sharing: one bias per filter), give the output size
# `(OH, OW, channels)` and the number of parameters (weights + biases). Write
# `param_count(in_channels, out_channels, filter_size)` for the count (`filter_size` is
# `(FH, FW)`, square or not: the tests also count filters such as 1x5 and 3x2), and fill in
# the two lists in the order of the cases. When the last window does not fit, it is dropped.
#
# | case | input | filter | stride | padding |
# | --- | --- | --- | --- | --- |
# | 1 | 144x144, 3 channels | 3x3, 6 filters | 1 | none |
# | 2 | 60x60, 24 channels | 3x3, 48 filters | 1 | none |
# | 3 | 20x20, 10 channels | 3x3, 20 filters | 2 | none |
#
# (The answers of "Sprint13" contain errors, do not copy them: it counts 55, 433 and 181
# parameters, forgetting the input channels and giving one bias in all, and it gives case 3
# the output of case 2, 58x58x48. A filter over `C_in` channels has `C_in * FH * FW`
# weights, and each of the `C_out` filters has its own bias.)

# %% nbgrader={"grade": false, "grade_id": "p10_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def param_count(in_channels, out_channels, filter_size):
    """Weights plus biases of a convolution; filter_size is (FH, FW)."""
    ### BEGIN SOLUTION
    FH, FW = filter_size
    return out_channels * in_channels * FH * FW + out_channels  # C_out filters of C_in*FH*FW weights, C_out biases
    ### END SOLUTION


### BEGIN SOLUTION
output_sizes = [output_size_2d((144, 144), (3, 3)) + (6,),
                output_size_2d((60, 60), (3, 3)) + (48,),
                output_size_2d((20, 20), (3, 3), stride=2) + (20,)]
param_counts = [param_count(3, 6, (3, 3)), param_count(24, 48, (3, 3)), param_count(10, 20, (3, 3))]
### END SOLUTION
print("output sizes:", output_sizes)
print("parameters:  ", param_counts)

# %% [markdown]
# **Test (2 points).**

# %% nbgrader={"grade": true, "grade_id": "p10_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_array("output sizes", np.array(output_sizes), np.array([(142, 142, 6), (58, 58, 48), (9, 9, 20)]))
check_array("parameter counts", np.array(param_counts), np.array([168, 10416, 1820]))
# param_count on filters that are not square (the hidden tests draw FH, FW from 1 to 7, channels from 1 to 64)
check_function(param_count, sprintlib.functional.conv_param_count, 3, 8, (1, 5), name="param_count")
check_function(param_count, sprintlib.functional.conv_param_count, 16, 4, (3, 2), name="param_count")
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p10_test")
for _ in range(5):
    C_in, C_out = (int(n) for n in rng.integers(1, 65, size=2))
    FH, FW = (int(n) for n in rng.integers(1, 8, size=2))
    check_function(param_count, sprintlib.functional.conv_param_count, C_in, C_out, (FH, FW), name="param_count")
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 11 — (advanced) Filter sizes (【問題11】（アドバンス課題）フィルタサイズに関する調査)
#
# Answer in a few sentences each. *(1 + 1 points, graded by a person.)*
#
# **(a)** Why do recent networks stack small 3x3 filters rather than use large ones such as
# 7x7?

# %% [markdown] nbgrader={"grade": true, "grade_id": "q11a_answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# **Rubric (1 point).** Half a point for the same receptive field with fewer parameters
# (with the numbers or the reason), half a point for a second reason: more
# non-linearities, or less computation. Nothing for "smaller is faster" alone.
#
# **Model answer.** Three 3x3 convolutions one after the other see a 7x7 region of the
# input, the same as one 7x7 filter, but with C channels in and out they have
# 3 * (3 * 3 * C * C) = 27 C^2 weights against 49 C^2: about 45% fewer parameters and
# multiplications. Between them sit three ReLUs instead of one, so the stack can represent
# more complex functions of the same region (the argument of the VGG paper).

# %% [markdown]
# **(b)** What does a 1x1 filter do, when its height and width cannot see any neighbour?

# %% [markdown] nbgrader={"grade": true, "grade_id": "q11b_answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# **Rubric (1 point).** Half a point for "it mixes the channels at each pixel (a fully
# connected layer over the channels, shared by every position)", half a point for a use:
# changing the number of channels (reducing them before a costly 3x3 or 5x5 convolution,
# as in GoogLeNet's Inception modules and ResNet's bottlenecks) or adding a non-linearity.
#
# **Model answer.** A 1x1 convolution computes, at every pixel separately, a weighted sum
# of that pixel's C_in channel values for each of its C_out filters: a fully connected
# layer from C_in to C_out applied at every position. It leaves the height and width as
# they are and changes the number of channels, which is how GoogLeNet and ResNet cut 256
# channels to 64 before a 3x3 convolution (cheaper by the same factor) and restore them
# after; followed by a ReLU it also adds a non-linearity at almost no cost.
