# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Sprint 4 — a simple RNN in NumPy (SimpleRNN / リカレントニューラルネットワーク)
#
# A recurrent layer reads a sequence one step at a time and carries a state from one step to
# the next:
#
# $$a_t = x_t W_x + h_{t-1} W_h + B, \qquad h_t = \tanh(a_t), \qquad h_0 = 0$$
#
# | name | shape | meaning |
# | --- | --- | --- |
# | `X` | `(N, T, F)` | N sequences (the batch) of T time steps of F features |
# | `W_x` | `(F, H)` | input weights |
# | `W_h` | `(H, H)` | state-to-state weights, the same at every step |
# | `B` | `(H,)` | bias |
# | `h_t` | `(N, H)` | the state after step t; the layer returns all of them, `(N, T, H)` |
#
# | problem | points |
# | --- | --- |
# | Warm-up: Sigmoid and Tanh (活性化関数, the document's first cells) | 2 |
# | 1. SimpleRNN forward (SimpleRNNのフォワードプロパゲーション実装) | 4 |
# | 2. Small-array experiment (小さな配列でのフォワードプロパゲーションの実験) | 2 |
# | 3. **Advanced**: backward, backpropagation through time (（アドバンス課題）バックプロパゲーションの実装) | 4 |
# | 4. Train on MNIST, read as 28 rows of 28 pixels | 1 |
# | Written question: why the gradient fades going back in time | 2 (graded by hand) |
#
# **The course document** behind this sprint is a student's SimpleRNN notebook,
# "リカレントニューラルネットワーク" ("the document" below). You do not need it: its small
# arrays and the one state it prints, $h_3$, are quoted here, with the other values computed
# by a direct loop and checked by numerical gradients, and where its code is wrong, this
# notebook says so and gives the correct form.
#
# Earlier sprints' parts come from `sprintlib`: the fully connected layer `FC`, `Softmax`
# with cross-entropy, the initializers and the optimizers. Each problem has a visible test
# that prints what it checks; when you hand the notebook in, hidden tests run the same checks
# on randomly drawn shapes and batch sizes, against sprintlib's reference layer.

# %%
import numpy as np
import matplotlib.pyplot as plt
from tqdm.auto import tqdm

from sprintlib import FC, Adam, Softmax, SimpleInitializer, XavierInitializer  # noqa: F401 (SimpleInitializer: the document's Gaussian one)
from sprintlib.data import load_mnist
from sprintlib.grading import autograding

np.set_printoptions(precision=8, suppress=True)


def side_by_side(name, got, expected, part=None):
    """Print the expected values above yours (the check after it says whether they agree).
    ``part``: what to show of both (``lambda a: a[0]``...); when it cannot be taken of yours
    (a forward that returned None...), the line says so and the check after it says why."""
    expected = np.asarray(expected) if part is None else part(np.asarray(expected))
    try:
        yours = np.array2string(np.asarray(got if part is None else part(np.asarray(got))), precision=8, prefix="  yours:    ")
    except Exception as exc:  # noqa: BLE001 (the student's value: anything can go wrong)
        yours = f"(nothing to show: {type(exc).__name__}: {exc})"
    print(f"{name}\n  expected: {np.array2string(expected, precision=8, prefix='  expected: ')}\n  yours:    {yours}")


# %% [markdown]
# ## Warm-up: Sigmoid and Tanh (活性化関数)
#
# The document begins with its activation layers. Write two of them as layers with
# `forward(A)` (any shape, returns `Z` of the same shape) and `backward(dZ)` (returns `dA`):
#
# - `ScratchSigmoid`: $Z = \dfrac{1}{1 + e^{-A}}$, $\dfrac{\partial Z}{\partial A} = Z(1 - Z)$
# - `ScratchTanh`: $Z = \tanh A$, $\dfrac{\partial Z}{\partial A} = 1 - Z^2$
#
# The tests use inputs of 1, 2 and 3 dimensions (axes of 1 to 5 entries) and random upstream
# gradients.
#
# Expected: `sigmoid([-2, 0, 2]) = [0.11920292, 0.5, 0.88079708]`,
# `tanh([-2, 0, 2]) = [-0.96402758, 0, 0.96402758]`.
#
# > **Erratum in the document.** Its Sigmoid computes `Z = 1/1+np.exp(-self.A)`. Python reads that as
# > `(1/1) + np.exp(-A)`, which is $1 + e^{-A}$: at A = 0 it gives 2, not 0.5. The parentheses go
# > around the whole denominator: `1 / (1 + np.exp(-A))`.

# %% nbgrader={"grade": false, "grade_id": "p0_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ScratchSigmoid:
    """Z = 1 / (1 + exp(-A)), element-wise, any shape."""

    def forward(self, A):
        ### BEGIN SOLUTION
        self.Z = 1 / (1 + np.exp(-A))
        return self.Z
        ### END SOLUTION

    def backward(self, dZ):
        ### BEGIN SOLUTION
        return dZ * self.Z * (1 - self.Z)
        ### END SOLUTION


class ScratchTanh:
    """Z = tanh(A), element-wise, any shape."""

    def forward(self, A):
        ### BEGIN SOLUTION
        self.Z = np.tanh(A)
        return self.Z
        ### END SOLUTION

    def backward(self, dZ):
        ### BEGIN SOLUTION
        return dZ * (1 - self.Z ** 2)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "p0_test_sigmoid", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
from sprintlib import Sigmoid as ReferenceSigmoid
from sprintlib.grading import check_layer

A = np.array([[-2.0, 0.0, 2.0]])
side_by_side("sigmoid([-2, 0, 2])", ScratchSigmoid().forward(A), [[0.11920292, 0.5, 0.88079708]])
check_layer(ScratchSigmoid(), ReferenceSigmoid(), A, dA=np.ones((1, 3)))
print("a 1-D and a 3-D input, random upstream gradients:")
check_layer(ScratchSigmoid(), ReferenceSigmoid(), np.array([-3.0, -0.5, 0.0, 1.5, 4.0]))
check_layer(ScratchSigmoid(), ReferenceSigmoid(), 3 * np.random.default_rng(0).standard_normal((2, 3, 4)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p0_test_sigmoid")
for _ in range(3):
    shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    check_layer(ScratchSigmoid(), ReferenceSigmoid(), 3 * rng.standard_normal(shape), seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "p0_test_tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
from sprintlib import Tanh as ReferenceTanh
from sprintlib.grading import check_layer

A = np.array([[-2.0, 0.0, 2.0]])
side_by_side("tanh([-2, 0, 2])", ScratchTanh().forward(A), [[-0.96402758, 0.0, 0.96402758]])
check_layer(ScratchTanh(), ReferenceTanh(), A, dA=np.ones((1, 3)))
print("a 1-D and a 3-D input, random upstream gradients:")
check_layer(ScratchTanh(), ReferenceTanh(), np.array([-3.0, -0.5, 0.0, 1.5, 4.0]))
check_layer(ScratchTanh(), ReferenceTanh(), 3 * np.random.default_rng(0).standard_normal((2, 3, 4)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p0_test_tanh")
for _ in range(3):
    shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    check_layer(ScratchTanh(), ReferenceTanh(), 3 * rng.standard_normal(shape), seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 1 — SimpleRNN forward (【問題1】SimpleRNNのフォワードプロパゲーション実装)
#
# Write `ScratchSimpleRNN.forward(X)`: for each time step t = 1..T, in order,
#
# $$a_t = x_t W_x + h_{t-1} W_h + B, \qquad h_t = \tanh(a_t), \qquad h_0 = 0.$$
#
# - input `X` of shape `(N, T, F)` (batch, time steps, features), `x_t = X[:, t]` of shape `(N, F)`;
# - output: every state, `(N, T, H)` (`h_1` at `[:, 0]`, ..., `h_T` at `[:, T - 1]`);
# - one Python loop over time; no loop over the batch: `x_t W_x` is one matrix product for all
#   N sequences at once;
# - keep what backward will need (the input and the states, `h_0` included).
#
# `__init__` is written for you: the parameters are `W_x (F, H)`, `W_h (H, H)` and `B (H,)`,
# named as in the document, and `param_names` tells sprintlib's optimizers which ones to update.
# `backward` is Problem 3 (advanced): leave it for now.
#
# The tests run it on batches of 1 to 8 sequences of 1 to 10 steps, with 1 to 8 features and
# 1 to 10 nodes (one sequence of one step, one feature, one node included), always returning
# every state (`return_sequences=True` in sprintlib's terms), against sprintlib's `SimpleRNN`
# with the same weights.
#
# The document's version read the bias from a global variable `b` instead of `self.B`, and
# stacked the per-step states with `np.array(list).reshape(N, T, H)`: the list is
# `(T, N, H)`, so for a batch of more than one sequence that reshape mixes sequences up
# (`np.stack(list, axis=1)` or a transpose keeps them apart). The document's example has
# N = 1, which hides both.

# %% nbgrader={"grade": false, "grade_id": "rnn_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ScratchSimpleRNN:
    """Simple RNN layer: a_t = x_t @ W_x + h_{t-1} @ W_h + B, h_t = tanh(a_t), h_0 = 0.

    Parameters
    ----------
    n_features : int, F (features of each time step)
    n_nodes : int, H (nodes of the state)
    initializer : object with W(n1, n2) and B(n) (sprintlib's initializers), default Xavier
    optimizer : object with update(layer) (sprintlib's optimizers), or None: backward then
        only computes the gradients

    Attributes: W_x (F, H), W_h (H, H), B (H,); after backward dW_x, dW_h, dB of the same shapes.
    """

    param_names = ("W_x", "W_h", "B")  # what sprintlib's optimizers update

    def __init__(self, n_features, n_nodes, initializer=None, optimizer=None):
        initializer = XavierInitializer() if initializer is None else initializer
        self.n_features, self.n_nodes = n_features, n_nodes
        self.W_x = initializer.W(n_features, n_nodes)
        self.W_h = initializer.W(n_nodes, n_nodes)
        self.B = initializer.B(n_nodes)
        self.optimizer = optimizer

    def forward(self, X):
        """X (N, T, F) -> the states h_1..h_T, (N, T, H)."""
        ### BEGIN SOLUTION
        N, T, _ = X.shape
        self.X = X
        self.states = np.zeros((N, T + 1, self.n_nodes))  # states[:, t] = h_t, from h_0 = 0
        for t in range(T):
            A = X[:, t] @ self.W_x + self.states[:, t] @ self.W_h + self.B
            self.states[:, t + 1] = np.tanh(A)
        return self.states[:, 1:].copy()  # a copy: changing the output cannot change what backward reads
        ### END SOLUTION

    def backward(self, dH):
        """Problem 3 (advanced). dH (N, T, H): dL/dh_t from the layer above, for every t.

        Returns dX (N, T, F); sets dW_x (F, H), dW_h (H, H), dB (H,), then lets the
        optimizer update W_x, W_h and B.
        """
        ### BEGIN SOLUTION
        N, T, _ = dH.shape
        self.dW_x = np.zeros_like(self.W_x)
        self.dW_h = np.zeros_like(self.W_h)
        self.dB = np.zeros_like(self.B)
        dX = np.zeros((N, T, self.n_features))
        dh_later = np.zeros((N, self.n_nodes))  # dL/dh_t that arrives through h_{t+1}
        for t in reversed(range(T)):
            dh = dH[:, t] + dh_later  # h_t feeds the output and the next step: add both paths
            h_t, h_prev = self.states[:, t + 1], self.states[:, t]
            dA = dh * (1 - h_t ** 2)  # through tanh
            # W_x, W_h and B are used at every step: their gradients add up over time
            self.dW_x += self.X[:, t].T @ dA
            self.dW_h += h_prev.T @ dA  # h_{t-1}, the state this step read
            self.dB += dA.sum(axis=0)  # a sum over the batch, not a mean
            dX[:, t] = dA @ self.W_x.T
            dh_later = dA @ self.W_h.T
        self.dh0 = dh_later  # dL/dh_0, for a layer that would give h_0
        if self.optimizer is not None:
            self.optimizer.update(self)  # after dX: dX is computed with the weights of the forward pass
        return dX
        ### END SOLUTION


# %% [markdown]
# The document's small arrays, used by Problem 2. The document writes the
# bias as `b = np.array([1])`; broadcast to the 4 nodes it is `np.ones(4)`. They are named
# `..._doc` here: your layer computes with its own `self.W_x`, `self.W_h` and `self.B`, and a
# global `b` equal to the layer's `B` would make a forward that reads `b` (the document's) look
# right. (The tests write the arrays again themselves.)

# %%
x_doc = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100  # (batch_size 1, n_sequences 3, n_features 2)
w_x_doc = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100  # (n_features 2, n_nodes 4)
w_h_doc = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100  # (4, 4)
b_doc = np.ones(4)

# %% [markdown]
# The sizes the random tests of Problems 1 and 3 show, one of each kind the hidden tests draw
# (N 1-8 sequences of T 1-10 steps, F 1-8 features, H 1-10 nodes).

# %%
#: (N, T, F, H)
RNN_CASES = [(3, 5, 4, 6),
             (1, 1, 3, 1),   # one sequence of one step; one node
             (2, 4, 1, 3)]   # one feature

# %% nbgrader={"grade": true, "grade_id": "p1_test_document", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 1 on the document's arrays: h_1, h_2, h_3 (h_3 is the document's printed answer)
from sprintlib import SimpleRNN as ReferenceRNN
from sprintlib.grading import check_array, check_layer

X_DOC = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100  # the document's arrays
W_X_DOC = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
W_H_DOC = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
H_EXPECTED = np.array([[[0.76188798, 0.76213958, 0.76239095, 0.76255841],
                        [0.792209, 0.8141834, 0.83404912, 0.84977719],
                        [0.79494228, 0.81839002, 0.83939649, 0.85584174]]])
yours = ScratchSimpleRNN(2, 4)
yours.W_x, yours.W_h, yours.B = W_X_DOC.copy(), W_H_DOC.copy(), np.ones(4)
h = yours.forward(X_DOC)
side_by_side("h_1..h_3, shape (1, 3, 4)", h, H_EXPECTED)
check_array("forward h (the document's values)", h, H_EXPECTED)
reference = ReferenceRNN(2, 4, return_sequences=True)
reference.W_x, reference.W_h, reference.B = W_X_DOC.copy(), W_H_DOC.copy(), np.ones(4)
check_layer(ScratchSimpleRNN(2, 4), reference, X_DOC, backward=False)

# %% nbgrader={"grade": true, "grade_id": "p1_test_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 1 on a batch of several sequences and random weights, against sprintlib's SimpleRNN
from sprintlib import SimpleRNN as ReferenceRNN
from sprintlib.grading import check_layer

rng = np.random.default_rng(4)
for N, T, F, H in RNN_CASES:  # (above the tests of Problem 1); check_layer gives both layers the same random weights
    print(f"N={N}, T={T}, F={F}, H={H}:")
    check_layer(ScratchSimpleRNN(F, H), ReferenceRNN(F, H, return_sequences=True), rng.standard_normal((N, T, F)), backward=False)
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p1_test_random")
for _ in range(4):
    N, T, F, H = (int(v) for v in rng.integers(1, [9, 11, 9, 11]))
    reference = ReferenceRNN(F, H, return_sequences=True, initializer=XavierInitializer(random_state=rng))
    reference.B = 0.3 * rng.standard_normal(H)
    print(f"N={N}, T={T}, F={F}, H={H}:")
    check_layer(ScratchSimpleRNN(F, H), reference, rng.standard_normal((N, T, F)), backward=False)
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2 — small-array experiment (【問題2】小さな配列でのフォワードプロパゲーションの実験)
#
# Give your layer the document's weights (`w_x_doc`, `w_h_doc`, `b_doc` above), run it on
# `x_doc` and store its output in `h_states`, shape `(1, 3, 4)`. Expected (the last row is the
# document's printed answer `h`; the first two rows it does not print):
#
# ```
# h_1 = [[0.76188798, 0.76213958, 0.76239095, 0.76255841]]
# h_2 = [[0.792209  , 0.8141834 , 0.83404912, 0.84977719]]
# h_3 = [[0.79494228, 0.81839002, 0.83939649, 0.85584174]]
# ```
#
# Every entry is close to tanh(1) = 0.76: with weights of a few hundredths, the bias B = 1
# dominates a_t. The state grows a little at each step as h_{t-1} W_h adds to it.

# %% nbgrader={"grade": false, "grade_id": "p2_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
rnn = ScratchSimpleRNN(n_features=2, n_nodes=4)
rnn.W_x, rnn.W_h, rnn.B = w_x_doc.copy(), w_h_doc.copy(), b_doc.copy()
h_states = rnn.forward(x_doc)
### END SOLUTION
print(h_states)

# %% nbgrader={"grade": true, "grade_id": "p2_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
from sprintlib.grading import check_array

assert "h_states" in globals(), "Problem 2: store the states your layer computes in h_states, shape (1, 3, 4)"
H_EXPECTED = np.array([[[0.76188798, 0.76213958, 0.76239095, 0.76255841],
                        [0.792209, 0.8141834, 0.83404912, 0.84977719],
                        [0.79494228, 0.81839002, 0.83939649, 0.85584174]]])
check_array("h_states (shape)", np.array(np.shape(h_states)), np.array(H_EXPECTED.shape))
for t in range(3):
    side_by_side(f"h_{t + 1}", h_states, H_EXPECTED, part=lambda a, t=t: a[:, t])
    check_array(f"h_{t + 1}", h_states[:, t], H_EXPECTED[:, t])

# %% [markdown]
# ## Problem 3 — **advanced**: backward, backpropagation through time (【問題3】（アドバンス課題）バックプロパゲーションの実装)
#
# Write `ScratchSimpleRNN.backward(dH)` in the class of Problem 1. `dH` `(N, T, H)` holds
# $\partial L / \partial h_t$ from the layer above for every t (zeros where the loss does
# not read $h_t$: a classifier that reads only $h_T$ passes zeros for t < T). Going back from
# t = T to 1:
#
# $$\frac{\partial L}{\partial h_t} = dH_t + \frac{\partial L}{\partial a_{t+1}} W_h^\top
# \quad\text{(the second term is 0 at t = T)}, \qquad
# \frac{\partial L}{\partial a_t} = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2)$$
#
# $$\frac{\partial L}{\partial W_x} = \sum_t x_t^\top \frac{\partial L}{\partial a_t}, \quad
# \frac{\partial L}{\partial W_h} = \sum_t h_{t-1}^\top \frac{\partial L}{\partial a_t}, \quad
# \frac{\partial L}{\partial B} = \sum_t \sum_n \frac{\partial L}{\partial a_t}, \quad
# \frac{\partial L}{\partial x_t} = \frac{\partial L}{\partial a_t} W_x^\top$$
#
# Set `self.dW_x (F, H)`, `self.dW_h (H, H)`, `self.dB (H,)`, return `dX (N, T, F)`, then
# call `self.optimizer.update(self)` if there is an optimizer. The tests use the sizes of
# Problem 1, with a random `dH` on every step.
#
# Expected on the document's arrays (which prints no backward values: these are computed by a
# direct loop and checked by numerical gradients), with $\partial L/\partial h_t = 1$ for every
# t and node: `dB = [1.19934775, 1.13416539, 1.07175132, 1.02653129]`,
# `dW_h[0] = [0.58867635, 0.53378663, 0.48206685, 0.4416354]`; with the gradient on the last
# state only: `dB = [0.38706624, 0.35217114, 0.31866148, 0.29362944]`.
#
# > **Where the document's printed code is wrong** (do not copy these):
# > - it computes `dW_h` from `self.h`, the *final* state, at every step; step t read
# >   $h_{t-1}$, so that is the state its gradient needs;
# > - it *assigns* `self.dW_x = ...` and `self.dW_h = ...` inside the loop, so only the
# >   first time step's share survives; the weights are shared by all steps, so the shares add up;
# > - it divides the gradients by the batch size and takes `self.dB = np.average(da)` (its FC
# >   does the same with `np.average(dA)`): the loss (Softmax with cross-entropy) already
# >   averages over the batch, so each gradient is a **sum** over the batch, and `dB` has one
# >   entry per node;
# > - its optimizer writes `leyer.W_h = self.lr * layer.dW_h`: the typo `leyer` raises
# >   `NameError`, and `=` where `-=` is meant would replace the weights by the step. sprintlib's
# >   optimizers update every name in `param_names`.

# %% nbgrader={"grade": true, "grade_id": "p3_test_document", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 3 on the document's arrays, two cases: dL/dh_t = 1 at every step, and on the last step only
from sprintlib import SimpleRNN as ReferenceRNN
from sprintlib.grading import check_layer
from sprintlib.testing import keep_weights

EXPECTED = {
    "dL/dh_t = 1 for every t": dict(
        dH=np.ones((1, 3, 4)),
        dW_h_row0=[0.5886763511, 0.5337866269, 0.4820668482, 0.4416353998],
        dB=[1.1993477495, 1.1341653858, 1.071751323, 1.0265312885]),
    "dL/dh_3 = 1, zero for t = 1, 2": dict(
        dH=np.concatenate([np.zeros((1, 2, 4)), np.ones((1, 1, 4))], axis=1),
        dW_h_row0=[0.3049455386, 0.2769500783, 0.2501770548, 0.2299229378],
        dB=[0.3870662439, 0.352171138, 0.3186614824, 0.2936294359]),
}
X_DOC = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100  # the document's arrays
W_X_DOC = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
W_H_DOC = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
reference = ReferenceRNN(2, 4, return_sequences=True)
reference.W_x, reference.W_h, reference.B = W_X_DOC.copy(), W_H_DOC.copy(), np.ones(4)
for case, e in EXPECTED.items():
    print(f"--- {case}")
    yours = ScratchSimpleRNN(2, 4)
    yours.W_x, yours.W_h, yours.B = W_X_DOC.copy(), W_H_DOC.copy(), np.ones(4)
    with keep_weights(yours, ("W_x", "W_h", "B")):  # whatever optimizer backward calls, nothing moves
        yours.forward(X_DOC)
        yours.backward(e["dH"].copy())
    side_by_side("dW_h[0]", getattr(yours, "dW_h", None), [e["dW_h_row0"]], part=lambda a: a[0])
    side_by_side("dB", getattr(yours, "dB", None), e["dB"])
    check_layer(ScratchSimpleRNN(2, 4), reference, X_DOC, dA=e["dH"])

# %% nbgrader={"grade": true, "grade_id": "p3_test_random", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Problem 3 on a batch of several sequences and random weights, against sprintlib's SimpleRNN
from sprintlib import SimpleRNN as ReferenceRNN
from sprintlib.grading import check_layer

rng = np.random.default_rng(4)
for N, T, F, H in RNN_CASES:  # (above the tests of Problem 1); check_layer gives both layers the same random weights
    print(f"N={N}, T={T}, F={F}, H={H}:")
    check_layer(ScratchSimpleRNN(F, H), ReferenceRNN(F, H, return_sequences=True), rng.standard_normal((N, T, F)))
### BEGIN HIDDEN TESTS
from sprintlib.grading import hidden_rng
rng = hidden_rng("p3_test_random")
for _ in range(4):
    N, T, F, H = (int(v) for v in rng.integers(1, [9, 11, 9, 11]))
    reference = ReferenceRNN(F, H, return_sequences=True, initializer=XavierInitializer(random_state=rng))
    reference.B = 0.3 * rng.standard_normal(H)
    print(f"N={N}, T={T}, F={F}, H={H}:")
    check_layer(ScratchSimpleRNN(F, H), reference, rng.standard_normal((N, T, F)), seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 4 — train on MNIST, one row at a time (MNISTの学習と推定: beyond the document's problems)
#
# An MNIST image read top to bottom is a sequence of T = 28 rows of F = 28 pixels: `X` of
# shape `(N, 28, 28)`. Your RNN reads the rows one by one; a fully connected layer (`FC`,
# from sprintlib) turns the last state $h_T$ into 10 class scores, and `Softmax` gives the
# probabilities and the cross-entropy loss. Only $h_T$ reaches the loss, so the gradient that
# comes back is $\partial L/\partial h_T$ at the last step and zero before it.
#
# Write `ScratchRNNClassifier`:
#
# - `forward(X)`: `X (N, 28, 28)` → probabilities `(N, 10)`;
# - `train_step(X, y)`: one forward, backward and optimizer step on a batch; returns the batch's loss;
# - `fit(X, y, epochs, batch_size)`: shuffled mini-batches, a `tqdm` progress bar, one
#   `self.train_step` per batch; returns `history`, a dict with the loss of every batch
#   (`"batch_loss"`) and the loss of every epoch (`"loss"`): the **mean** of its batches'
#   losses, not the last batch's;
# - `predict(X)`: labels `(N,)`.
#
# Gradients through 28 steps can be large now and then; the model answer clips the RNN's
# gradients to a global norm of at most `clip_norm` before the update (what sprintlib's
# `SimpleRNN(clip_norm=...)` and Keras's `clipnorm` do). The network trains with your own
# `ScratchSimpleRNN`, so it needs Problem 3's backward: sprintlib's `SimpleRNN` is this
# sprint's model answer, released after the deadline, and it does not run when the notebook
# is graded.
#
# The test first checks `fit`'s history: it replaces your classifier's `train_step` by that of
# a small network of sprintlib's layers (`LossRecorder`: one fully connected layer and softmax),
# which notes the loss of every batch, on copies of one image (every batch then gives the same
# loss whichever images it holds, however `fit` shuffles): `history["loss"]` must be the mean of
# each epoch's batch losses, as in the trusted run (3 epochs of 3 batches of 40; the hidden test
# draws other sizes, every batch full). Then it trains on 600 images for 2 epochs and expects the
# last epoch's mean loss to be clearly below chance level (ln 10 = 2.3026): below 2.1026, ln 10
# minus 0.2. The model answer's ends at 1.78-1.91 over 6 seeds; the document's Gaussian weights
# (`SimpleInitializer`, σ = 0.01) or Adam's default lr 1e-3 in place of the `lr` given end at
# 2.12-2.21, and plain SGD at 2.30: use Xavier weights (`XavierInitializer`) and Adam at the `lr` given.

# %% nbgrader={"grade": false, "grade_id": "p4_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ScratchRNNClassifier:
    """ScratchSimpleRNN(28 -> n_nodes), its last state -> FC(n_nodes -> 10) -> softmax."""

    def __init__(self, n_features=28, n_nodes=64, n_classes=10, lr=1e-3, clip_norm=1.0, random_state=0):
        ### BEGIN SOLUTION
        self.rng = np.random.default_rng(random_state)
        init = XavierInitializer(random_state=self.rng)
        self.optimizer = Adam(lr=lr)
        # the RNN is updated here, after clipping, so it gets no optimizer of its own
        self.rnn = ScratchSimpleRNN(n_features, n_nodes, init, optimizer=None)
        self.fc = FC(n_nodes, n_classes, init, self.optimizer)
        self.softmax = Softmax()
        self.clip_norm = clip_norm
        ### END SOLUTION

    def forward(self, X):
        ### BEGIN SOLUTION
        self.states = self.rnn.forward(X)  # (N, T, H)
        return self.softmax.forward(self.fc.forward(self.states[:, -1]))
        ### END SOLUTION

    def train_step(self, X, y):
        """One forward, backward and update on a batch; returns the batch's loss."""
        ### BEGIN SOLUTION
        self.forward(X)
        loss = self.softmax.loss(y)
        dh_last = self.fc.backward(self.softmax.backward(y))  # (N, H); also updates the FC
        dH = np.zeros_like(self.states)
        dH[:, -1] = dh_last  # only h_T reaches the loss
        self.rnn.backward(dH)
        norm = np.sqrt(sum(np.sum(g ** 2) for g in (self.rnn.dW_x, self.rnn.dW_h, self.rnn.dB)))
        if norm > self.clip_norm:
            for g in (self.rnn.dW_x, self.rnn.dW_h, self.rnn.dB):
                g *= self.clip_norm / norm
        self.optimizer.update(self.rnn)
        return loss
        ### END SOLUTION

    def fit(self, X, y, epochs=1, batch_size=100):
        ### BEGIN SOLUTION
        history = {"batch_loss": [], "loss": []}
        for epoch in range(epochs):
            order = self.rng.permutation(len(X))
            starts = range(0, len(X), batch_size)
            bar = tqdm(starts, desc=f"epoch {epoch + 1}/{epochs}", unit="batch")
            for start in bar:
                batch = order[start:start + batch_size]
                history["batch_loss"].append(self.train_step(X[batch], y[batch]))
                bar.set_postfix(loss=f"{np.mean(history['batch_loss'][-20:]):.4f}", refresh=False)
            history["loss"].append(float(np.mean(history["batch_loss"][-len(starts):])))
        self.history = history
        return history
        ### END SOLUTION

    def predict(self, X, batch_size=1000):
        ### BEGIN SOLUTION
        return np.concatenate([self.forward(X[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(X), batch_size)])
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "p4_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
from sprintlib.data import load_mnist
from sprintlib.grading import check_array, check_bounds

(X_check, y_check), _ = load_mnist(flatten=False, dtype=np.float32)
# a copy of the 600 images: a slice is a view, which would keep all 60,000 (188 MB) in memory
X_check, y_check = X_check[:600].reshape(-1, 28, 28).copy(), y_check[:600].copy()

# history["loss"], the mean of each epoch's batch losses (not the last batch's): fit's batches go
# to a LossRecorder (sprintlib's FC and softmax, which notes every batch's loss), on copies of
# one image, whose batches give the same losses however fit shuffles: the trusted run's values
from sprintlib.grading import LossRecorder, check_history


def recorded_fit(n_images, epochs, batch_size, image=0, seed=0):
    """Your fit, its train_step replaced by a LossRecorder's: (history, the recorder)."""
    recorder = LossRecorder(n_features=28 * 28, seed=seed)
    clf = ScratchRNNClassifier(n_nodes=4, random_state=0)
    clf.train_step = lambda X, y: (recorder.loss(X, y), recorder.backward(y))[0]
    history = clf.fit(X_check[image:image + 1].repeat(n_images, axis=0), y_check[image:image + 1].repeat(n_images),
                      epochs=epochs, batch_size=batch_size)
    return history, recorder


same, recorder = recorded_fit(120, epochs=3, batch_size=40)
check_history('history["loss"] (3 epochs of 3 batches)', same["loss"], recorder, 3)

# a short run: 600 images, 2 epochs
clf = ScratchRNNClassifier(n_nodes=32, lr=3e-3, random_state=0)
fitted = clf.fit(X_check, y_check, epochs=2, batch_size=30)
print(f"mean loss per epoch: {np.round(fitted['loss'], 4)} (chance level: ln 10 = {np.log(10):.4f}; "
      f"the last epoch's must be below ln 10 - 0.2 = {np.log(10) - 0.2:.4f})")
check_array("predict(X) shape", np.array(np.shape(clf.predict(X_check[:7]))), np.array([7]))
# after 2 epochs the loss is clearly below chance (ln 10 = 2.3026): if not, does train_step
# update the weights of both the RNN and the FC layer?
check_bounds("mean loss of the last epoch", fitted["loss"][-1], below=np.log(10) - 0.2)
### BEGIN HIDDEN TESTS
# history["loss"] with sizes drawn for the course, every batch full
from sprintlib.grading import hidden_rng
rng = hidden_rng("p4_test")
n_epochs, batch_size, n_batches = int(rng.integers(2, 5)), int(rng.integers(10, 50)), int(rng.integers(2, 6))
same, recorder = recorded_fit(batch_size * n_batches, n_epochs, batch_size, image=int(rng.integers(600)),
                              seed=int(rng.integers(1000)))
check_history('history["loss"] (hidden sizes)', same["loss"], recorder, n_epochs)
### END HIDDEN TESTS

# %% [markdown]
# ### Training run
#
# 60,000 training images, 64 nodes, Adam (lr 3e-3), batches of 100, 2 epochs, about 30 s on
# one core (sprintlib's float32 `ScratchSimpleRNNClassifier` reaches 97% in 10 epochs of
# 128 nodes). When the notebook is graded, it trains on 1,000 images for one epoch instead.
#
# **How long the graded cells take**, measured on one core of the course's 2-core machine
# (seconds of CPU; each graded cell has 30 s):
#
# | cell | `ScratchSimpleRNN` with one loop over time (as the document) | with a loop over the samples too |
# | --- | --- | --- |
# | Problem 4's test (2 epochs on 600 images) | 0.4 | 1.4 |
# | the training run below (1,000 images, 10,000 predictions) | 1.2 | 4.0 |
# | the loss curve and confusion matrix (10,000 predictions) | 0.6 | 2.4 |
#
# So either fits, with a wide margin, even with the machine's other core busy. Without
# grading, the full run takes about 30 s with one loop over time, and some 2-3 minutes with a loop
# over the samples as well: keep the batch in NumPy (`X[:, t] @ W_x` for all N sequences at once).

# %%
(X_train, y_train), (X_test, y_test) = load_mnist(flatten=False, dtype=np.float32)
X_train, X_test = X_train.reshape(-1, 28, 28), X_test.reshape(-1, 28, 28)
n_train, epochs = (1000, 1) if autograding() else (60000, 2)

model = ScratchRNNClassifier(n_nodes=64, lr=3e-3, random_state=0)
history = model.fit(X_train[:n_train], y_train[:n_train], epochs=epochs, batch_size=100)
accuracy = np.mean(model.predict(X_test) == y_test)
print(f"test accuracy: {accuracy:.2%}")

# %%
from sprintlib.plotting import plot_confusion_matrix

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(history["batch_loss"], alpha=0.4, label="each batch")
window = 20
if len(history["batch_loss"]) >= window:
    smooth = np.convolve(history["batch_loss"], np.ones(window) / window, mode="valid")
    ax.plot(np.arange(window - 1, len(history["batch_loss"])), smooth, label=f"mean of {window} batches")
ax.axhline(np.log(10), color="gray", linestyle=":", label="chance level, ln 10")
ax.set_xlabel("batch")
ax.set_ylabel("cross-entropy loss")
ax.set_title("the RNN's training loss")
ax.legend()
plt.show()
plot_confusion_matrix(y_test, model.predict(X_test), 10, title="RNN on MNIST rows")
plt.show()

# %% [markdown]
# ## Written question: the fading gradient
#
# In the second backward case of Problem 3 (the gradient only on $h_3$), the gradient that
# reaches the inputs is, by time step:
#
# ```
# dx_1 = [0.00034631, 0.0004778 ]
# dx_2 = [0.0034907 , 0.00490377]
# dx_3 = [0.04708592, 0.06963563]
# ```
#
# It shrinks about tenfold for each step back in time. Explain **why** from the backward
# formulas, say **what that means** for an RNN that has to remember something from the start of
# a long sequence (like the top rows of an MNIST digit), and name **one remedy**.

# %% [markdown] nbgrader={"grade": true, "grade_id": "q1_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# **Rubric (2 points).** 1 point: the gradient is multiplied at each step back by
# $\mathrm{diag}(1 - h_t^2)\,W_h^\top$; here $1 - h_t^2 \approx 0.3$ (the states are near 0.8,
# where tanh is flat) and $W_h$'s entries are a few hundredths, so each factor is well below 1
# and the product shrinks geometrically (vanishing gradient; with large weights it could grow
# instead: exploding gradient). 1 point: consequence (early steps barely change the weights,
# so long-range dependencies are learned slowly or not at all) **and** one sensible remedy:
# gated cells (LSTM, GRU), keeping tanh out of saturation (initialisation, normalisation),
# an orthogonal or identity-like $W_h$, shorter or truncated sequences; gradient clipping
# counts only if the answer says it is the remedy for *exploding* gradients.
#
# **Model answer.** Going back one step, $\partial L/\partial h_{t-1} =
# (\partial L/\partial h_t \odot (1 - h_t^2))\,W_h^\top$. Both factors are small here: the
# states are about 0.8, so $1 - h_t^2 \approx 0.35$, and $W_h$ has entries of 0.01-0.1, so the
# gradient loses roughly a factor of ten per step, and $dx_1$ is a hundred times smaller
# than $dx_3$. Over 28 rows of an image the signal from the first rows would be
# ~$10^{-27}$ of that of the last: the weights hardly learn from the beginning of a sequence
# (vanishing gradients). LSTM and GRU cells fix this with an additive, gated memory path whose
# gradient is not multiplied by $W_h$ and tanh' at every step.
