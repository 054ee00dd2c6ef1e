# %% [markdown]
# # Sprint 1 — 1-D convolution from scratch (深層学習スクラッチ 畳み込みニューラルネットワーク1)
#
# You will write a **1-D convolutional layer** in NumPy — forward and backward — then make it
# take several channels, padding, mini-batches and strides, and finally train a small
# convolutional classifier on MNIST with it. The next sprint does the same in 2-D.
#
# **How this notebook works.** Each problem states its task, the shapes and the expected
# output. Write your code where it says `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line). Run the test cell below it: it prints one verdict a
# line (`forward A: OK`, or what is wrong and, when it can tell, the likely cause). The
# grader runs the same tests plus **hidden ones** on random shapes, so a layer that only
# reproduces the printed numbers will not pass them.
#
# **The course document** behind this sprint is the notebook "Sprint 深層学習スクラッチ
# 畳み込みニューラルネットワーク1" ("the document" below), worked by a student. You do not
# need it: its small arrays and the values it gives are quoted here, and where its code no
# longer runs or is wrong, this notebook says so and gives the correct form.
#
# Parts from earlier sprints come from `sprintlib` (initializers, optimizers, the fully
# connected layer `FC`, activations, `Softmax`, `GetMiniBatch`). Its own `SimpleConv1d` and
# `Conv1d` are the model answers: the tests compare your layers with them, and an answer
# that uses them scores 0.
#
# | problem | | points |
# | --- | --- | --- |
# | 1 | SimpleConv1d, forward and backward | 2 + 3 |
# | 2 | output size | 1 |
# | 3 | the small-array experiment | 2 |
# | 4 | Conv1d with any number of channels | 2 + 2 |
# | 5 | (advanced) padding | 1 |
# | 6 | (advanced) mini-batches | 1 |
# | 7 | (advanced) any stride | 1 |
# | 8 | training and prediction on MNIST | 2 |

# %%
import numpy as np
import matplotlib.pyplot as plt

import sprintlib
from sprintlib import FC, ReLU, Softmax, Adam, HeInitializer, FixedInitializer, GetMiniBatch
from sprintlib.data import load_mnist
from sprintlib.grading import autograding, check_accuracy, check_array, check_function, check_layer
from sprintlib.plotting import plot_learning_curve

# %% [markdown]
# ## Problem 1 — SimpleConv1d (【問題1】チャンネル数を1に限定した1次元畳み込み層クラスの作成)
#
# Write `SimpleConv1d`, a 1-D convolutional layer with **one channel, no padding, stride 1
# and one sample** (padding, strides and batches are the advanced problems 5-7). It has the
# shape of the previous sprint's `FC`: `__init__` makes the weights, `forward` keeps what
# `backward` needs, `backward` sets `self.dW`, `self.dB` and returns the gradient for the
# layer before. `__init__` is written for you.
#
# Forward, for a filter of size $F$:
#
# $$a_i = \sum_{s=0}^{F-1} x_{(i+s)}\, w_s + b$$
#
# Backward, given $\partial L / \partial a_i$ for every output $i$ ($N_{out}$ of them):
#
# $$\frac{\partial L}{\partial w_s} = \sum_{i=0}^{N_{out}-1} \frac{\partial L}{\partial a_i}\, x_{(i+s)}, \qquad
# \frac{\partial L}{\partial b} = \sum_{i=0}^{N_{out}-1} \frac{\partial L}{\partial a_i}, \qquad
# \frac{\partial L}{\partial x_j} = \sum_{s=0}^{F-1} \frac{\partial L}{\partial a_{(j-s)}}\, w_s$$
#
# where $\partial L / \partial a_{(j-s)} = 0$ when $j-s < 0$ or $j-s > N_{out}-1$. The weights
# are **shared** by every output, so their gradient is the **sum** of what each output
# contributes (a branch in the computation graph adds up its gradients on the way back).
#
# | array | shape |
# | --- | --- |
# | `X` (input) | `(L,)` |
# | `W`, `dW` | `(F,)` |
# | `B`, `dB` | `(1,)` |
# | `A` (output), `dA` | `(L_out,)`, `L_out = L - F + 1` |
# | `dX` (returned by backward) | `(L,)` |
#
# Loops are fine here: one output at a time is the clearest way to write it. Problem 3
# checks your layer on the document's small arrays; the tests below compare it with
# `sprintlib.SimpleConv1d` on random ones: filter sizes from 1 to 6, and inputs from as long
# as the filter (a single output) to a dozen entries longer. The visible tests show each kind;
# the hidden ones draw more of them.

# %% nbgrader={"grade": false, "grade_id": "p1_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SimpleConv1d:
    """1-D convolution, one channel, no padding, stride 1, one sample.

    X (L,) -> A (L - F + 1,).  W (F,), B (1,); backward sets dW (F,), dB (1,).
    """

    param_names = ("W", "B")  # what an optimizer updates (it reads dW and dB)

    def __init__(self, filter_size, initializer=None, optimizer=None):
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((filter_size,), fan_in=filter_size)
        self.B = initializer.B(1)
        self.optimizer = optimizer

    def forward(self, X):
        """X (L,) -> A (L - F + 1,)"""
        ### BEGIN SOLUTION
        self.X = np.asarray(X, dtype=float)  # integer input would make the gradients integers
        F = len(self.W)
        L_out = len(self.X) - F + 1
        A = np.zeros(L_out)
        for i in range(L_out):
            # output i looks at x[i], ..., x[i + F - 1]
            A[i] = np.sum(self.X[i:i + F] * self.W) + self.B[0]
        ### END SOLUTION
        return A

    def backward(self, dA):
        """dA (L_out,) -> dX (L,); sets self.dW (F,) and self.dB (1,)"""
        ### BEGIN SOLUTION
        dA = np.asarray(dA, dtype=float)
        F, L_out = len(self.W), len(dA)
        self.dB = np.array([np.sum(dA)])  # b is added to every output
        self.dW = np.zeros(F)
        for s in range(F):
            # w_s met x[s], x[s + 1], ..., one entry for each output
            self.dW[s] = np.sum(dA * self.X[s:s + L_out])
        dX = np.zeros(len(self.X))
        for i in range(L_out):
            # output i used x[i:i + F]: each of them gets dA[i] times the weight it met
            dX[i:i + F] += dA[i] * self.W
        ### END SOLUTION
        if self.optimizer is not None:  # the optimizer moves W and B against dW and dB
            self.optimizer.update(self)
        return dX


# %% [markdown]
# **Test (2 points): forward.** Your layer gets the weights of `sprintlib.SimpleConv1d` and
# both run on the same random input.

# %% nbgrader={"grade": true, "grade_id": "p1_test_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
X = np.random.default_rng(0).standard_normal(8)
check_layer(SimpleConv1d(3), sprintlib.SimpleConv1d(3), X, backward=False)
print("a filter of size 1:")
check_layer(SimpleConv1d(1), sprintlib.SimpleConv1d(1), X[:5], backward=False)
print("an input as long as the filter (one output):")
check_layer(SimpleConv1d(5), sprintlib.SimpleConv1d(5), X[:5], backward=False)
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_forward")
for _ in range(3):
    F = int(rng.integers(1, 7))
    X = rng.standard_normal(int(rng.integers(F, F + 12)))
    check_layer(SimpleConv1d(F), sprintlib.SimpleConv1d(F), X, backward=False)
### END HIDDEN TESTS

# %% [markdown]
# **Test (3 points): backward** — `dX`, `dW` and `dB` for a random `dA`.

# %% nbgrader={"grade": true, "grade_id": "p1_test_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
X = np.random.default_rng(1).standard_normal(8)
check_layer(SimpleConv1d(3), sprintlib.SimpleConv1d(3), X)
print("a filter of size 1:")
check_layer(SimpleConv1d(1), sprintlib.SimpleConv1d(1), X[:5])
print("an input as long as the filter (one output):")
check_layer(SimpleConv1d(5), sprintlib.SimpleConv1d(5), X[:5])
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_backward")
for _ in range(3):
    F = int(rng.integers(1, 7))
    X = rng.standard_normal(int(rng.integers(F, F + 12)))
    check_layer(SimpleConv1d(F), sprintlib.SimpleConv1d(F), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2 — Output size (【問題2】1次元畳み込み後の出力サイズの計算)
#
# A convolution changes the number of features. With padding $P$ (zeros added at **each**
# end) and stride $S$ (how far the filter moves each step):
#
# $$N_{out} = \frac{N_{in} + 2P - F}{S} + 1$$
#
# Write `output_size(n_in, filter_size, stride=1, pad=0)`, returning an **int**. When
# $(N_{in} + 2P - F)$ is not a multiple of $S$, the last incomplete window is dropped (round
# down, as TensorFlow's `'VALID'` padding does). With padding the input may be shorter than
# the filter: `output_size(4, 5, 2, 1)` is `1`.
#
# Expected: `output_size(4, 3)` is `2`; `output_size(28, 5, 1, 2)` is `28`. The tests draw
# filters of 1 to 7, strides of 1 to 3 and paddings of 0 to 2.

# %% nbgrader={"grade": false, "grade_id": "p2_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def output_size(n_in, filter_size, stride=1, pad=0):
    """Number of outputs of a 1-D convolution: (n_in + 2 * pad - filter_size) / stride + 1, an int."""
    ### BEGIN SOLUTION
    # // is floor division: a whole number of window positions, also when the last window does not fit
    return (n_in + 2 * pad - filter_size) // stride + 1
    ### END SOLUTION


# %% [markdown]
# **Test (1 point).**

# %% nbgrader={"grade": true, "grade_id": "p2_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def reference_output_size(n_in, filter_size, stride=1, pad=0):
    return sprintlib.functional.output_size(n_in, filter_size, stride, pad, allow_remainder=True)


check_array("output_size(4, 3)", output_size(4, 3), 2)
check_function(output_size, reference_output_size, 28, 5, 1, 2, name="output_size")
check_function(output_size, reference_output_size, 20, 3, 2, 0, name="output_size")
check_function(output_size, reference_output_size, 4, 5, 2, 1, name="output_size")
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p2_test")
for _ in range(10):
    F, S, P = int(rng.integers(1, 8)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
    n_in = int(rng.integers(max(1, F - 2 * P), 40))
    check_function(output_size, reference_output_size, n_in, F, S, P, name="output_size")
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 3 — The small-array experiment (【問題3】小さな配列での1次元畳み込み層の実験)
#
# Check by hand that forward and backward are right on small arrays. With
#
# ```python
# x = np.array([1, 2, 3, 4])
# w = np.array([3, 5, 7])
# b = np.array([1])
# ```
#
# forward gives `a = [35, 50]`. With the upstream gradient `delta_a = [10, 20]`, backward
# gives `delta_b = [30]`, `delta_w = [50, 80, 110]` and `delta_x = [30, 110, 170, 140]`.
#
# Make a `SimpleConv1d` with these weights (`FixedInitializer(W=..., B=...)` hands them to
# `__init__`), run forward and backward, and store the results in `a`, `delta_x`,
# `delta_w` and `delta_b`.

# %% nbgrader={"grade": false, "grade_id": "p3_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
x = np.array([1, 2, 3, 4])
delta_a = np.array([10, 20])
### BEGIN SOLUTION
layer = SimpleConv1d(3, FixedInitializer(W=[3, 5, 7], B=[1]))
a = layer.forward(x)
delta_x = layer.backward(delta_a)
delta_w, delta_b = layer.dW, layer.dB
### END SOLUTION
print("a       =", a)
print("delta_b =", delta_b)
print("delta_w =", delta_w)
print("delta_x =", delta_x)

# %% [markdown]
# **Test (2 points): the document's values**, then your layer on the same arrays with other
# weights (the values above must come from your layer).

# %% nbgrader={"grade": true, "grade_id": "p3_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_array("a", a, [35.0, 50.0])
check_array("delta_b", delta_b, [30.0])
check_array("delta_w", delta_w, [50.0, 80.0, 110.0])
check_array("delta_x", delta_x, [30.0, 110.0, 170.0, 140.0])
print("your SimpleConv1d on the document's x and delta_a, with other weights:")
check_layer(SimpleConv1d(3), sprintlib.SimpleConv1d(3), np.array([1.0, 2.0, 3.0, 4.0]), dA=np.array([10.0, 20.0]))

# %% [markdown]
# ### Computing a convolution all at once (実装上の工夫)
#
# Loops are a fine start. To compute every output at once, notice that output $i$ is the
# dot product of `w` with the slice `x[i:i + F]`. NumPy's integer array indexing takes all
# those slices at once:
#
# ```python
# x = np.array([1, 2, 3, 4])
# indexes = np.array([[0, 1, 2], [1, 2, 3]])   # row i: the positions output i reads
# x[indexes]                                   # [[1, 2, 3], [2, 3, 4]]
# x[indexes] @ w + b                           # [35, 50]
# ```
#
# Such an array of windows (a row per output) is what the next sprint calls **im2col**.
# Problem 4's model answer uses it; any correct way scores the same.
#
# (The document builds its index arrays with `.astype(np.int)`: `np.int` and `np.float` were
# removed from NumPy (1.24); write `int` and `float`. And give your layers floating-point
# arrays: with an integer `x` such as `[1, 2, 3, 4]`, an in-place update of integer weights
# fails or rounds.)

# %% [markdown]
# ## Problem 4 — Conv1d with any number of channels (【問題4】チャンネル数を限定しない1次元畳み込み層クラスの作成)
#
# Write `Conv1d`: `C_in` input channels, `C_out` output channels. Each output channel has
# its own filter over **all** input channels and its own bias:
#
# $$a_{o,i} = \sum_{c=0}^{C_{in}-1} \sum_{s=0}^{F-1} x_{c,(i+s)}\, w_{o,c,s} + b_o$$
#
# | array | shape |
# | --- | --- |
# | `X` | `(C_in, L)` (problem 6 adds a batch: `(N, C_in, L)`) |
# | `W`, `dW` | `(C_out, C_in, F)` |
# | `B`, `dB` | `(C_out,)` |
# | `A`, `dA` | `(C_out, L_out)` (with a batch: `(N, C_out, L_out)`) |
#
# The same class grows in problems 5-7 (padding, mini-batches, stride): its `__init__`
# already takes `stride` and `pad`. Problem 4's tests use `stride=1`, `pad=0` and one
# sample, with 1 to 4 channels in and out, filters of 1 to 5 and inputs from as long as the
# filter (a single output) to 9 entries longer; problems 5, 6 and 7 each add one extension.
# Write them here, in this cell.
#
# Expected (the document's case): `x = [[1, 2, 3, 4], [2, 3, 4, 5]]`, `w = np.ones((3, 2, 3))`,
# `b = [1, 2, 3]` give `a = [[16, 22], [17, 23], [18, 24]]`. Taking that `a` as `delta_a`,
# backward gives `delta_b = [38, 40, 42]`, `delta_x = [[51, 120, 120, 69], [51, 120, 120, 69]]`
# and `delta_w = [[[60, 98, 136], [98, 136, 174]], [[63, 103, 143], [103, 143, 183]], [[66, 108, 150], [108, 150, 192]]]`.
# With `w = np.arange(18).reshape(3, 2, 3)` instead, `delta_x = [[318, 795, 915, 564], [471, 1155, 1275, 771]]`.

# %% nbgrader={"grade": false, "grade_id": "p4_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Conv1d:
    """1-D convolution with channels; padding, stride and mini-batches (problems 5-7).

    X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out),
    L_out = (L + 2 * pad - F) // stride + 1.  W (C_out, C_in, F), B (C_out,).
    """

    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None,
                 optimizer=None):
        initializer = HeInitializer() if initializer is None else initializer
        self.W = initializer.sample((out_channels, in_channels, filter_size), fan_in=in_channels * filter_size)
        self.B = initializer.B(out_channels)
        self.stride, self.pad = stride, pad
        self.optimizer = optimizer

    def forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)"""
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        self.batched = X.ndim == 3
        if not self.batched:
            X = X[np.newaxis]  # one sample is a batch of one
        F, S, P = self.W.shape[2], self.stride, self.pad
        X = np.pad(X, ((0, 0), (0, 0), (P, P)))  # P zeros at each end of every channel
        L_out = (X.shape[2] - F) // S + 1
        # windows[i, s] = i * S + s: the positions output i reads (its window)
        self.windows = np.arange(L_out)[:, np.newaxis] * S + np.arange(F)
        self.cols = X[:, :, self.windows]  # (N, C_in, L_out, F): every window of every channel
        self.padded_shape = X.shape
        # a[n, o, i] = sum over c and s of cols[n, c, i, s] * W[o, c, s]
        A = np.einsum("ncis,ocs->noi", self.cols, self.W) + self.B[:, np.newaxis]
        if not self.batched:
            A = A[0]
        ### END SOLUTION
        return A

    def backward(self, dA):
        """dA shaped as A -> dX shaped as X; sets self.dW (C_out, C_in, F) and self.dB (C_out,)"""
        ### BEGIN SOLUTION
        dA = np.asarray(dA, dtype=float)
        if not self.batched:
            dA = dA[np.newaxis]
        F, S, P = self.W.shape[2], self.stride, self.pad
        L_out = dA.shape[2]
        self.dB = dA.sum(axis=(0, 2))  # summed over the batch and the positions
        self.dW = np.einsum("noi,ncis->ocs", dA, self.cols)
        dcols = np.einsum("noi,ocs->ncis", dA, self.W)  # the gradient of every window entry
        # windows overlap: an input entry gets the sum over every window that read it
        dX = np.zeros(self.padded_shape)
        for s in range(F):
            dX[:, :, s:s + S * (L_out - 1) + 1:S] += dcols[:, :, :, s]
        dX = dX[:, :, P:dX.shape[2] - P]  # the padding is not an input: drop its gradient
        if not self.batched:
            dX = dX[0]
        ### END SOLUTION
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX


# %% [markdown]
# **Test (2 points): the document's values**, then your layer on the same arrays with other
# weights.

# %% nbgrader={"grade": true, "grade_id": "p4_test_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# the test's own names: x, a, delta_x and layer are problem 3's answers
x_doc = np.array([[1, 2, 3, 4], [2, 3, 4, 5]])
layer_doc = Conv1d(2, 3, 3, initializer=FixedInitializer(W=np.ones((3, 2, 3)), B=[1, 2, 3]))
A_DOC = np.array([[16.0, 22.0], [17.0, 23.0], [18.0, 24.0]])  # the document's a
check_array("a", layer_doc.forward(x_doc), A_DOC)
dx_doc = layer_doc.backward(A_DOC.copy())  # the document takes a itself as delta_a (the right a: see above)
check_array("delta_b", layer_doc.dB, [38.0, 40.0, 42.0])
check_array("delta_w", layer_doc.dW, [[[60.0, 98.0, 136.0], [98.0, 136.0, 174.0]],
                                      [[63.0, 103.0, 143.0], [103.0, 143.0, 183.0]],
                                      [[66.0, 108.0, 150.0], [108.0, 150.0, 192.0]]])
check_array("delta_x", dx_doc, [[51.0, 120.0, 120.0, 69.0], [51.0, 120.0, 120.0, 69.0]])
layer_doc = Conv1d(2, 3, 3, initializer=FixedInitializer(W=np.arange(18).reshape(3, 2, 3), B=[1, 2, 3]))
layer_doc.forward(x_doc)
check_array("delta_x (w = arange(18))", layer_doc.backward(A_DOC.copy()),
            [[318.0, 795.0, 915.0, 564.0], [471.0, 1155.0, 1275.0, 771.0]])
print("your Conv1d on the document's x and delta_a, with other weights:")
check_layer(Conv1d(2, 3, 3), sprintlib.Conv1d(2, 3, 3), x_doc, dA=A_DOC)

# %% [markdown]
# **Test (2 points): random channels and sizes**, against `sprintlib.Conv1d`.

# %% nbgrader={"grade": true, "grade_id": "p4_test_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(2)
# (C_in, C_out, F, L): the kinds of case the hidden tests draw
for C_in, C_out, F, L in [(3, 4, 3, 10),
                          (1, 1, 1, 4),   # one channel in and out, a filter of size 1
                          (2, 1, 4, 4)]:  # an input as long as the filter: a single output
    print(f"Conv1d({C_in}, {C_out}, {F}) on X of shape {(C_in, L)}:")
    check_layer(Conv1d(C_in, C_out, F), sprintlib.Conv1d(C_in, C_out, F), rng.standard_normal((C_in, L)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p4_test_random")
for _ in range(3):
    C_in, C_out, F = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    X = rng.standard_normal((C_in, int(rng.integers(F, F + 10))))
    check_layer(Conv1d(C_in, C_out, F), sprintlib.Conv1d(C_in, C_out, F), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 5 — (advanced) Padding (【問題5】（アドバンス課題）パディングの実装)
#
# Add `pad` zeros at each end of every channel before convolving (`np.pad`). Backward
# returns the gradient of the **unpadded** input: crop the padding's entries off `dX`.
# With `pad=1` and `F=3`, the output has as many positions as the input (`L_out = L`).
#
# The tests use paddings of 1 to 3 with filters of 1 to 5, so the padding can be as wide as
# the filter (the first and last windows then see only zeros: their output is the bias), and
# the input can be shorter than the filter (the padding makes room for it); one sample
# `(C_in, L)`, stride 1.

# %% [markdown]
# **Test (1 point, advanced).**

# %% nbgrader={"grade": true, "grade_id": "p5_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(3)
# (C_in, C_out, F, pad, L)
for C_in, C_out, F, P, L in [(2, 3, 3, 1, 7),
                             (1, 1, 1, 2, 3),   # a padding wider than the filter: windows of zeros only
                             (2, 1, 4, 1, 2),   # an input shorter than the filter: a single output
                             (1, 2, 2, 3, 4)]:  # the widest padding the tests use, 3
    print(f"Conv1d({C_in}, {C_out}, {F}, pad={P}) on X of shape {(C_in, L)}:")
    check_layer(Conv1d(C_in, C_out, F, pad=P), sprintlib.Conv1d(C_in, C_out, F, pad=P), rng.standard_normal((C_in, L)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p5_test")
for _ in range(3):
    C_in, C_out, F, P = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
    X = rng.standard_normal((C_in, int(rng.integers(max(1, F - 2 * P), F + 8))))
    check_layer(Conv1d(C_in, C_out, F, pad=P), sprintlib.Conv1d(C_in, C_out, F, pad=P), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 6 — (advanced) Mini-batches (【問題6】（アドバンス課題）ミニバッチへの対応)
#
# Accept `X` of shape `(N, C_in, L)` and return `A` of shape `(N, C_out, L_out)`; one sample
# `(C_in, L)` keeps working. `dW` and `dB` are **summed** over the batch (the loss is a sum
# over the samples: its upstream gradient already carries the `1/N` of a mean).
#
# The tests use batches of 1 to 6 samples (a batch of one is `(1, C_in, L)`, and stays
# three-dimensional), with paddings of 0 to 2 (0: none, as in problem 4), stride 1.

# %% [markdown]
# **Test (1 point, advanced).**

# %% nbgrader={"grade": true, "grade_id": "p6_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(4)
# (N, C_in, C_out, F, pad, L)
for N, C_in, C_out, F, P, L in [(5, 2, 3, 3, 0, 9),
                                (1, 1, 1, 1, 2, 2),   # a batch of one; a padding wider than the filter
                                (3, 2, 2, 4, 1, 2)]:  # an input shorter than the filter
    print(f"Conv1d({C_in}, {C_out}, {F}, pad={P}) on X of shape {(N, C_in, L)}:")
    check_layer(Conv1d(C_in, C_out, F, pad=P), sprintlib.Conv1d(C_in, C_out, F, pad=P), rng.standard_normal((N, C_in, L)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p6_test")
for _ in range(3):
    N, C_in, C_out, F = int(rng.integers(1, 7)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
    P = int(rng.integers(0, 3))
    X = rng.standard_normal((N, C_in, int(rng.integers(max(1, F - 2 * P), F + 8))))
    check_layer(Conv1d(C_in, C_out, F, pad=P), sprintlib.Conv1d(C_in, C_out, F, pad=P), X, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 7 — (advanced) Any stride (【問題7】（アドバンス課題）任意のストライド数)
#
# With stride `S` the filter moves `S` positions at a time: output `i` reads positions
# `i*S, ..., i*S + F - 1` of the padded input. The tests use sizes whose windows tile the
# padded input exactly (`(L + 2P - F) % S == 0`): strides 2 and 3, with paddings of 0 to 2
# (also wider than the filter, or making room for an input shorter than it), batches of 1 to 4.
#
# Expected: `L = 9`, `F = 3`, `S = 2`, `P = 0` give `L_out = 4`.

# %% [markdown]
# **Test (1 point, advanced).**

# %% nbgrader={"grade": true, "grade_id": "p7_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(5)
# (N, C_in, C_out, F, stride, pad, L)
for N, C_in, C_out, F, S, P, L in [(2, 2, 3, 3, 2, 0, 9),
                                   (1, 1, 1, 1, 3, 2, 3),   # stride 3 with a padding wider than the filter
                                   (3, 3, 2, 5, 2, 1, 3)]:  # stride 2 with padding: a single output
    print(f"Conv1d({C_in}, {C_out}, {F}, stride={S}, pad={P}) on X of shape {(N, C_in, L)}:")
    check_layer(Conv1d(C_in, C_out, F, stride=S, pad=P), sprintlib.Conv1d(C_in, C_out, F, stride=S, pad=P),
                rng.standard_normal((N, C_in, L)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p7_test")
for _ in range(3):
    N, C_in, C_out = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    F, S, P = int(rng.integers(1, 6)), int(rng.integers(2, 4)), int(rng.integers(0, 3))
    L_out = int(rng.integers(1, 6))
    while (L_out - 1) * S + F - 2 * P < 1:
        L_out += 1
    L = (L_out - 1) * S + F - 2 * P  # windows that tile: (L + 2P - F) % S == 0
    X = rng.standard_normal((N, C_in, L))
    check_layer(Conv1d(C_in, C_out, F, stride=S, pad=P), sprintlib.Conv1d(C_in, C_out, F, stride=S, pad=P), X,
                seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 8 — Training and prediction on MNIST (【問題8】学習と推定)
#
# Make a classifier `Scratch1dCNNClassifier` from your `Conv1d`: the 784 pixels of an
# image are one channel of length 784; after the convolution and a ReLU, **flatten** the
# `(N, C, L)` feature maps to `(N, C * L)` (a `reshape`) so that fully connected layers can
# take them. The output layer stays fully connected, followed by `Softmax`.
#
#     X (N, 784) -> (N, 1, 784) -> Conv1d(1, n_filters, F, pad=F // 2) -> ReLU
#       -> flatten (N, n_filters * 784) -> FC -> ReLU -> FC (N, 10) -> Softmax
#
# `fit(X, y, X_val, y_val)` trains with mini-batches (`GetMiniBatch`) and Adam, shows a
# progress bar, and records `history`: per epoch `loss` (the mean over the epoch's batches of
# their losses, each weighted by its batch's size: the mean over the epoch's images, not the
# last batch's loss), `accuracy`, `val_loss`, `val_accuracy`; and `batch_loss`, the loss of
# every batch, which draws the learning curve within an epoch. `predict(X)` returns the
# labels `(N,)`. `FC`, `ReLU`, `Softmax`, `Adam`, `HeInitializer` and `GetMiniBatch` come
# from sprintlib. The convolution is your own
# `Conv1d` (problems 4-7): sprintlib's is this sprint's model answer, released after the
# deadline, and it does not run when the notebook is graded.
#
# Expected: above 95% test accuracy after one epoch on the 60,000 training images (the
# test below asks for at least 90%, and for 65% when the grader trains on 400 images).

# %% nbgrader={"grade": false, "grade_id": "p8_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
from tqdm.auto import tqdm


class Scratch1dCNNClassifier:
    """Conv1d -> ReLU -> flatten -> FC -> ReLU -> FC -> Softmax on X (N, n_features)."""

    def __init__(self, n_filters=4, filter_size=5, n_hidden=100, epochs=1, batch_size=64, lr=1e-3,
                 random_state=0, verbose=True):
        self.n_filters, self.filter_size, self.n_hidden = n_filters, filter_size, n_hidden
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.random_state, self.verbose = random_state, verbose

    def fit(self, X, y, X_val=None, y_val=None):
        ### BEGIN SOLUTION
        rng = np.random.default_rng(self.random_state)
        init, adam = HeInitializer(random_state=rng), Adam(lr=self.lr)
        n_features, F = X.shape[1], self.filter_size
        self.conv = Conv1d(1, self.n_filters, F, pad=F // 2, initializer=init, optimizer=adam)
        self.dense = [FC(self.n_filters * n_features, self.n_hidden, init, adam), ReLU(),
                      FC(self.n_hidden, 10, init, adam)]
        self.relu, self.softmax = ReLU(), Softmax()
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "batch_loss": []}
        for epoch in range(self.epochs):
            losses, hits = [], 0
            batches = GetMiniBatch(X, y, self.batch_size, seed=rng)
            for Xb, yb in tqdm(batches, desc=f"epoch {epoch + 1}/{self.epochs}", disable=not self.verbose):
                Z = self._forward(Xb)
                self.history["batch_loss"].append(self.softmax.loss(yb))
                losses.append(self.history["batch_loss"][-1] * len(yb))
                hits += int((Z.argmax(axis=1) == yb).sum())
                self._backward(self.softmax.backward(yb))
            self.history["loss"].append(sum(losses) / len(X))
            self.history["accuracy"].append(hits / len(X))
            if X_val is not None:
                Z = self._forward(X_val)
                self.history["val_loss"].append(self.softmax.loss(y_val))
                self.history["val_accuracy"].append(float((Z.argmax(axis=1) == y_val).mean()))
        ### END SOLUTION
        return self

    def _forward(self, X):
        """X (N, n_features) -> class probabilities Z (N, 10), through every layer"""
        ### BEGIN SOLUTION
        A = self.relu.forward(self.conv.forward(X[:, np.newaxis, :]))  # (N, C, 784)
        self.feature_shape = A.shape
        A = A.reshape(len(X), -1)  # flatten: (N, C * 784)
        for layer in self.dense:
            A = layer.forward(A)
        Z = self.softmax.forward(A)
        ### END SOLUTION
        return Z

    def _backward(self, dA):
        """dA (N, 10), the gradient at the scores: back through every layer (each updates its weights)"""
        ### BEGIN SOLUTION
        for layer in reversed(self.dense):
            dA = layer.backward(dA)
        self.conv.backward(self.relu.backward(dA.reshape(self.feature_shape)))  # unflatten first
        ### END SOLUTION

    def predict(self, X):
        """X (N, n_features) -> labels (N,)"""
        ### BEGIN SOLUTION
        return np.concatenate([self._forward(X[i:i + 500]).argmax(axis=1) for i in range(0, len(X), 500)])
        ### END SOLUTION


# %% [markdown]
# Training on the full training set takes about a minute with a vectorised `Conv1d`. When the
# grader runs this notebook each cell has 30 seconds, and the grading machine's two cores are
# shared: it trains on 400 images in batches of 8 (50 steps of Adam, learning rate 2e-3),
# which a `Conv1d` written with loops over the samples and the output positions (NumPy over
# the channels) finishes in about 5 s of one core (and the test cell's 1,500 predictions in
# about 6 s more), a vectorised one in under a second for both. (A loop over every sample,
# filter and position, one `np.sum` per output value, is some five times slower again: keep
# the channels in NumPy.)

# %%
# pixels in [0, 1] as float32: 4 bytes each, so the 60,000 training images take 188 MB, not
# the 376 MB of float64 (a Binder session has about 1 GB); your float64 layers convert each batch
(X_train, y_train), (X_test, y_test) = load_mnist(dtype=np.float32)
# graded: a few images, small batches and a larger step, so that loops finish in time
n_train, n_val, batch_size, lr = (400, 100, 8, 2e-3) if autograding() else (60000, 2000, 64, 1e-3)
model = Scratch1dCNNClassifier(epochs=1, batch_size=batch_size, lr=lr)
model.fit(X_train[:n_train], y_train[:n_train], X_test[:n_val], y_test[:n_val])
plot_learning_curve(model.history, title=f"Scratch1dCNNClassifier on {n_train:,} MNIST images");

# %% [markdown]
# What the convolution learned: each filter's weights (red adds, blue subtracts), and what
# three test images become after your `Conv1d` and the ReLU. A map is 784 values long, one a
# pixel of the flattened image: shown as the 28 x 28 image it comes from, it shows which
# strokes each filter responds to (a filter runs along the rows, so it sees horizontal changes).

# %%
from sprintlib.plotting import plot_feature_maps_1d, plot_filters

# your Conv1d: the attribute of the model whose W has the shape (C_out, C_in, F)
conv = next((v for v in vars(model).values() if np.ndim(getattr(v, "W", None)) == 3), None)
if conv is None:
    print("no Conv1d among the model's attributes (a layer whose W has shape (C_out, C_in, F)): nothing to show")
else:
    plot_filters(conv.W, title="the filters of your Conv1d")
    plt.show()
    plot_feature_maps_1d([conv, ReLU()], X_test[:3], image_shape=(28, 28))
    plt.show()

# %% [markdown]
# **Test (2 points): the history, then predictions.** `history["loss"]` of each epoch must be
# the mean of its `batch_loss` values weighted by the batches' sizes (within 0.001), in the training
# above and in a short one the test runs (3 epochs of 20 images in batches of 8, 8 and 4). Then predictions
# on test images the model has not seen, then on the same
# images with every pixel moved by up to 0.02. The hidden test predicts on 500 other test
# images, moved the same way, and asks for 65%.

# %% nbgrader={"grade": true, "grade_id": "p8_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# (graded after a short run on 400 images: 65% then, where that run reaches 73-86% and one cut
# off after 100 images 40-68%; 90% after the full epoch above)
from sprintlib.grading import check_epoch_losses

# the history of the training above: each epoch's loss is the mean over its images of the batches'
# losses (each weighted by its batch's size), not the last batch's: within 0.001 of it. A wrong one
# is named when a known mistake gives it (the last batch's loss, the sum, a total never reset...)
check_epoch_losses('history["loss"]', model.history, n_train, model.batch_size, model.epochs)
# and over 3 epochs whose last batch is smaller (20 images: batches of 8, 8 and 4), where a list of
# batch losses never emptied, a total never reset or a plain mean of the batches shows
short = Scratch1dCNNClassifier(epochs=3, batch_size=8, lr=2e-3)
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
X_hidden, y_hidden = hidden_images("p8_test", X_test[5000:], y_test[5000:])  # from the half of the test set X_eval comes from
check_accuracy("predict on 500 other test images", model.predict(X_hidden), y_hidden, at_least=0.65)
### END HIDDEN TESTS
