"""Hints: the mistakes students make, known by what they give.

MISTAKES lists, for each layer the sprints teach, the known mistakes (a flipped kernel, an
uncropped padding, BPTT with the final state...), each as a function that computes with the
reference's own maths what a layer with that mistake returns on the check's inputs; some
are known for every layer that can have them (``_general``: a bias left out or added twice,
a gradient averaged over the batch, dB summed to one number or over some of its axes only,
an output size from a wrong formula, windows that ignore the stride, dW with dA reversed,
dX assigned where overlapping windows should add). Two mistakes of one layer that
change the same part are known together too (``_pairs``): a student makes several, and
each must be named. A hint is given only when the mistake's values are the student's,
within the check's tolerance: a hint whose mistake does not give the student's values
would point the wrong way.

SIZE_MISTAKES are the wrong formulas of an output size, PARAM_MISTAKES those of a parameter
count, LAYER_COUNT_MISTAKES those of a summary of layers. An ``_Explainer`` gives the hint of
the first mistake whose value the student's equals; in a graded run the values travel in the
expected records (``_hint_records``), and the grading process gives the same hints
(autograder/engine/judge.py). A few mistakes have a free quantity read off the student's own
values (an RNN's h_0 that is not zero, its bias one number in place of B: ``FITTED``); the
notebook's checks have the student's values at hand, and in a graded run the trusted run's
records carry the check's inputs (``_fitted_records``), from which the grading process
computes the same prediction on the student's values (``_fitted_prediction``), and names the
mistake when it reproduces them.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import itertools
import json
import math
import warnings
from typing import Callable, NamedTuple

import numpy as np

from .._withheld import ModelAnswerWithheld
from ..layers.activations import Activation, Sigmoid
from ..layers.conv1d import Conv1d
from ..layers.conv2d import Conv2d
from ..layers.max_pool2d import MaxPool2D
from ..layers.rnn import SimpleRNN
from ..layers.simple_conv1d import SimpleConv1d
from ..testing import keep_weights
from .comparison import _SIZE_RULE, _axes_words, _matches, _tolerance
from .records import _from_npy, _npy
from .values import _numbers


# -- the mistakes of a layer -------------------------------------------------------------
class Mistake(NamedTuple):
    """A known mistake: ``predict(reference, X, dA, run)`` gives {part: the value a layer
    with this mistake returns} (computed with the reference's own maths, through ``run``,
    which is _run or, for two mistakes at once, the other mistake; SIZE_MISTAKES' take the
    sizes a check_function passes, see _size_mistake); a value may be a list of the values
    of its variants. ``hint`` is what to say when the student's part equals it;
    ``hidden_hint`` what to say in a hidden test's feedback, where no number of the hidden
    inputs may show (default: ``hint``). ``family``: mistakes of one family do not pair
    (one bias cannot be both left out and added twice); "" for a mistake that pairs with
    none (its predict gives a list of variants, or not every part)."""
    name: str
    predict: Callable
    hint: str
    hidden_hint: str | None = None
    family: str = ""


def _run(layer, X, dA, **changes) -> dict:
    """Forward and backward of a copy of ``layer`` with attributes ``changes``:
    {"forward A": ..., "backward dX": ..., "backward d<name>": ...}. A change ``_bptt``
    (a dict) makes an RNN's backward that of _bptt with those settings (a known mistake of
    backpropagation through time), merged with the layer's own."""
    v = _changed(layer, changes)
    with keep_weights(v):
        A = v.forward(X.copy())
        if getattr(v, "_bptt", None):
            dX, grads = _bptt(v, X, np.asarray(dA, np.float64), **v._bptt)
        else:
            dX = v.backward(dA.copy())
            grads = {n: getattr(v, "d" + n) for n in v.param_names}
    return {"forward A": A, "backward dX": dX, **{f"backward d{n}": g for n, g in grads.items()}}


def _changed(layer, changes: dict):
    """A copy of ``layer`` with the attributes ``changes`` (``_bptt`` merged with its own)."""
    v = copy.deepcopy(layer)
    for name, value in changes.items():
        if name == "_bptt":
            value = {**(getattr(v, "_bptt", None) or {}), **value}
        setattr(v, name, value)
    return v


class _Runs:
    """_run, with the reference's own run (no change) computed once for these inputs: the
    predictions of many mistakes start from it."""

    def __init__(self):
        self.done = []

    def __call__(self, layer, X, dA, **changes):
        if changes:
            return _run(layer, X, dA, **changes)
        for key, out in self.done:
            if key[0] is layer and key[1] is X and key[2] is dA:
                return out
        out = _run(layer, X, dA)
        self.done.append(((layer, X, dA), out))
        return out


def _flipped_kernel(ref, X, dA, run=_run, axes=(-1,)):
    """A convolution with W flipped along its spatial axes (np.convolve's, a true convolution)."""
    out = dict(run(ref, X, dA, W=np.flip(ref.W, axes)))
    out["backward dW"] = np.flip(out["backward dW"], axes)
    return out


def _transposed_kernel(ref, X, dA, run=_run):
    """A 2-D convolution with W's height and width axes swapped (square filters)."""
    out = dict(run(ref, X, dA, W=np.swapaxes(ref.W, -1, -2)))
    out["backward dW"] = np.swapaxes(out["backward dW"], -1, -2)
    return out


def _uncropped_padding(ref, X, dA, run=_run):
    """dX of the padded input: what a backward that does not cut the padding off returns."""
    pads = ref.pad if isinstance(ref.pad, tuple) else (ref.pad,)
    if not any(pads):
        return {}
    widths = [(0, 0)] * (X.ndim - len(pads)) + [(p, p) for p in pads]
    no_pad = (0,) * len(pads) if isinstance(ref.pad, tuple) else 0
    out = dict(run(ref, X, dA))
    out["backward dX"] = run(ref, np.pad(X, widths), dA, pad=no_pad)["backward dX"]
    return out


def _pool_backward_transposed(ref, X, dA, run=_run):
    """Sprint 2's max-pool backward, transposed: each gradient spread over its window, the
    (H, W) plane transposed, kept where the maxima are; and the right dX with the positions
    inside each window transposed. Square inputs and windows side by side only."""
    (H, W), (OH, OW) = X.shape[-2:], dA.shape[-2:]
    if H != W or tuple(ref.stride) != tuple(ref.pool_size) or ref.pool_size != (H // OH, W // OW) or H % OH:
        return {}
    maxima = run(ref, X, np.ones_like(dA))["backward dX"] != 0
    spread = np.repeat(np.repeat(dA, H // OH, axis=-2), W // OW, axis=-1)
    dX = run(ref, X, dA)["backward dX"]
    windows = dX.reshape(dX.shape[:-2] + (OH, H // OH, OW, W // OW))
    in_windows = np.swapaxes(windows, -3, -1).reshape(dX.shape) if H // OH == W // OW else None
    return {"backward dX": [np.swapaxes(spread, -1, -2) * maxima, in_windows]}


def _pool_mask_forgotten(ref, X, dA, run=_run):
    """Max-pool backward without the mask of the maxima: every entry of a window gets the
    window's gradient (summed where windows overlap), as np.repeat spreads it."""
    out = dict(run(ref, X, dA))
    ones = np.ones_like(X)
    geometry = _geometry(ref, X)
    if geometry is None:
        return {}
    total = np.zeros_like(X, dtype=np.float64)
    for position, where in _windows(geometry, dA.shape):
        total[where] += dA[(Ellipsis,) + position + (None,) * len(position)] * ones[where]
    out["backward dX"] = total
    return out


def _pool_every_maximum(ref, X, dA, run=_run):
    """Max-pool backward that gives a window's gradient to every entry equal to its maximum
    (a mask X == max), where the first of them alone, in row-major order, gets it: it differs
    only where a maximum appears more than once (the zeros a ReLU leaves)."""
    geometry = _geometry(ref, X)
    if geometry is None or any(geometry.p) or math.prod(np.shape(dA)[-len(geometry.f):]) > _MAX_WINDOWS:
        return {}
    k, X = len(geometry.f), np.asarray(X, np.float64)
    total = np.zeros_like(X)
    for position, where in _windows(geometry, dA.shape):
        window = X[where]
        total[where] += dA[(Ellipsis,) + position + (None,) * k] * (
            window == window.max(axis=tuple(range(-k, 0)), keepdims=True))
    return {"backward dX": total}


def _scrambled_reshape(ref, X, dA, run=_run):
    """The Convolution of "lenet構成のCNN" (a student's LeNet notebook): the im2col product,
    whose rows run over (n, oh, ow) and whose columns over the output channels, reshaped
    straight to (N, C, OH, OW)."""
    out = dict(run(ref, X, dA))
    A = out["forward A"]
    product = np.moveaxis(A, -3, -1).reshape(-1, A.shape[-3])  # (N * OH * OW, C)
    out["forward A"] = product.reshape(A.shape)
    return out


def _accumulator_not_reset(ref, X, dA, run=_run):
    """The Conv2d backward of "Sprint13" (a student's notebook on 2-D convolution): the
    variable that sums one entry's terms is set to 0 once per channel, not once per entry, so
    each entry of dX holds the running total of the entries before it (row by row): the
    cumulative sum of the right dX over the positions."""
    out = dict(run(ref, X, dA))
    geometry = _geometry(ref, X)
    if geometry is None:
        return {}
    k = len(geometry.f)
    dX = out["backward dX"]
    flat = dX.reshape(dX.shape[:dX.ndim - k] + (-1,))
    out["backward dX"] = np.cumsum(flat, axis=-1).reshape(dX.shape)
    return out


def _rnn_final_state(ref, X, dA, run=_run):
    """dW_h computed with the final state h_T at every step: sum_t h_T^T da_t."""
    return run(ref, X, dA, _bptt={"dW_h_with": "final"})


def _rnn_current_state(ref, X, dA, run=_run):
    """dW_h computed with h_t, the state step t made, where step t read h_{t-1}: sum_t h_t^T da_t."""
    return run(ref, X, dA, _bptt={"dW_h_with": "current"})


def _rnn_derivative_at_pre_activation(ref, X, dA, run=_run):
    """tanh's derivative written through its output, 1 - h^2, evaluated at the pre-activation
    a_t (1 - a_t^2) where h_t = tanh(a_t) belongs."""
    return run(ref, X, dA, _bptt={"derivative_at": "pre-activation"})


def _rnn_last_state_only(ref, X, dA, run=_run):
    """A layer that returns every state (return_sequences), whose forward returns h_T alone, (N, H)."""
    if not ref.return_sequences:
        return {}
    return {"forward A": run(ref, X, dA)["forward A"][:, -1]}


def _rnn_without_w_h(ref, X, dA, run=_run):
    """Forward with a_t = x_t W_x + B, the h_{t-1} W_h term left out (and so nothing
    carried back through it)."""
    out = dict(run(ref, X, dA, W_h=np.zeros_like(ref.W_h)))
    out.pop("backward dW_h", None)  # a layer without W_h in forward: its dW_h is anyone's guess
    return out


def _rnn_no_carry(ref, X, dA, run=_run):
    """Backward that does not pass the gradient from step t back to h_{t-1} through W_h."""
    return run(ref, X, dA, _bptt={"carry": 0.0})


def _rnn_carry_averaged(ref, X, dA, run=_run):
    """The backward of "リカレントニューラルネットワーク" (a student's SimpleRNN notebook):
    the gradient carried back to h_{t-1} divided by the batch size."""
    return run(ref, X, dA, _bptt={"carry": 1.0 / len(X)}) if len(X) > 1 else {}


def _rnn_derivative_at_previous(ref, X, dA, run=_run):
    """tanh's derivative taken at h_{t-1} (1 - h_{t-1}^2) where a_t's is 1 - h_t^2."""
    return run(ref, X, dA, _bptt={"derivative_at": "previous"})


def _rnn_assigned_per_step(ref, X, dA, run=_run):
    """The backward of "リカレントニューラルネットワーク": dW_x, dW_h and dB assigned (=) at
    each step of the loop over time instead of added (+=): what is left is the last step the
    loop runs, t = 1."""
    return run(ref, X, dA, _bptt={"accumulate": False})


def _rnn_carry_untransposed(ref, X, dA, run=_run):
    """The gradient carried back to h_{t-1} through W_h as it is, da_t W_h, where it is
    da_t W_h^T (W_h is square: no shape error tells)."""
    return run(ref, X, dA, _bptt={"carry_transposed": False})


def _rnn_last_gradient_only(ref, X, dA, run=_run):
    """A layer that returns every state, whose backward takes only the last step's upstream
    gradient dA[:, -1] (as if only h_T reached the loss) and leaves out those of the others."""
    if not ref.return_sequences or np.shape(dA)[1] < 2:
        return {}
    last = np.zeros_like(dA)
    last[:, -1] = dA[:, -1]
    return run(ref, X, last)


def _rnn_carry_after_derivative(ref, X, dA, run=_run):
    """The gradient carried back from step t + 1 added after tanh's derivative, da_t =
    dA_t (1 - h_t^2) + da_{t+1} W_h^T, where both reach h_t before it."""
    return run(ref, X, dA, _bptt={"carry_through_derivative": False})


def _bptt(v, X, dA, derivative_at="state", dW_h_with="previous", carry=1.0, accumulate=True,
          carry_transposed=True, carry_through_derivative=True):
    """Backpropagation through time of the SimpleRNN ``v`` after its forward on ``X``, from
    its states, with a known mistake: the activation's derivative at h_{t-1} instead of h_t
    (``derivative_at="previous"``) or at the pre-activation a_t (``"pre-activation"``), dW_h
    with h_T or h_t instead of h_{t-1} (``dW_h_with="final"``, ``"current"``),
    the gradient carried back to h_{t-1} multiplied by ``carry`` (0: not carried), or through
    W_h untransposed (``carry_transposed=False``), or added after the activation's derivative
    (``carry_through_derivative=False``), the weights' gradients assigned at each step instead
    of added (``accumulate=False``).
    With the defaults, the reference's own backward. Returns (dX, {name: gradient})."""
    states = np.asarray(v._states, np.float64)  # (T + 1, N, H): h_0 .. h_T
    T, N = states.shape[0] - 1, states.shape[1]
    W_x, W_h = np.asarray(v.W_x, np.float64), np.asarray(v.W_h, np.float64)
    X = np.asarray(X, np.float64)
    if v.return_sequences:
        upstream = dA.transpose(1, 0, 2)
    else:
        upstream = np.zeros((T,) + dA.shape)
        upstream[-1] = dA
    derivative = v._activation.derivative
    dW_x, dW_h, dB = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(W_h.shape[0])
    dX, dh = np.zeros((T, N, X.shape[-1])), np.zeros((N, W_h.shape[0]))
    for t in reversed(range(1, T + 1)):
        if derivative_at == "pre-activation":  # the output's formula, 1 - h^2, applied to a_t
            slope = derivative(X[:, t - 1] @ W_x + states[t - 1] @ W_h + np.asarray(v.B, np.float64))
        else:
            slope = derivative(states[t] if derivative_at == "state" else states[t - 1])
        da = (upstream[t - 1] + dh) * slope if carry_through_derivative else upstream[t - 1] * slope + dh
        before = {"previous": states[t - 1], "current": states[t], "final": states[T]}[dW_h_with]
        terms = (X[:, t - 1].T @ da, before.T @ da, da.sum(axis=0))
        if accumulate:
            dW_x, dW_h, dB = dW_x + terms[0], dW_h + terms[1], dB + terms[2]
        else:
            dW_x, dW_h, dB = terms
        dX[t - 1] = da @ W_x.T
        dh = carry * (da @ (W_h.T if carry_transposed else W_h))
    return dX.transpose(1, 0, 2), {"W_x": dW_x, "W_h": dW_h, "B": dB}


def _one_plus_exp(ref, X, dA, run=_run):
    """``1/1+np.exp(-A)``: that is 1 + exp(-A); backward then uses it as Z."""
    Z = 1 / 1 + np.exp(-X.astype(np.float64))
    return {"forward A": Z, "backward dX": Z * (1 - Z) * dA}


def _w_reshaped_for_im2col(ref, X, dA, run=_run):
    """A convolution by im2col whose columns are multiplied by W.reshape(-1, C_out), where
    W.reshape(C_out, -1).T gives each column one filter's entries: the forward of the layer
    whose W is that matrix read back as filters."""
    W = np.asarray(ref.W)
    if W.ndim < 3 or W.shape[0] < 2:
        return {}
    scrambled = W.reshape(-1, W.shape[0]).T.reshape(W.shape)
    return {"forward A": run(ref, X, dA, W=scrambled)["forward A"]}


def _rnn_states_off_by_one(ref, X, dA, run=_run, which="with h0"):
    """A forward that returns the states it kept, h_0 included (h_0 .. h_T), or the state each
    step read (h_0 .. h_{T-1}), where the layer returns h_1 .. h_T."""
    if not ref.return_sequences or (which != "with h0" and np.shape(X)[1] < 2):
        return {}  # (one step read h_0 alone: its zeros would fit any answer of zeros)
    A = run(ref, X, dA)["forward A"]
    h0 = np.zeros_like(A[:, :1])
    return {"forward A": np.concatenate([h0, A], axis=1) if which == "with h0"
            else np.concatenate([h0, A[:, :-1]], axis=1)}


def _derivative_at_input(ref, X, dA, run=_run):
    """An activation's backward with its derivative, written through its output A (Sigmoid's
    A (1 - A), Tanh's 1 - A^2), evaluated at the input X instead: dA * X (1 - X)."""
    return {"backward dX": np.asarray(dA, np.float64) * ref.derivative(np.asarray(X, np.float64))}


def _stride_ignored(ref, X, dA, run=_run, step=None):
    """A forward whose windows move ``step`` (1, or a whole window) at a time, whatever the
    stride: the output of the same layer with that stride."""
    geometry = _geometry(ref, X)
    if geometry is None:
        return {}
    s = tuple(1 for _ in geometry.f) if step == 1 else geometry.f
    if s == geometry.s:
        return {}
    changes = {"stride": s if isinstance(ref.stride, tuple) else s[0]}
    if hasattr(ref, "allow_remainder"):  # windows a whole window apart need not tile the input
        changes["allow_remainder"] = True
    v = _changed(ref, changes)
    with keep_weights(v):
        return {"forward A": v.forward(X.copy())}


def _rnn_time_major_reshape(ref, X, dA, run=_run):
    """The forward of "リカレントニューラルネットワーク": the states of a list over time, an
    array (T, N, H), reshaped straight to (N, T, H), which scrambles them when N > 1."""
    if not ref.return_sequences:
        return {}
    out = dict(run(ref, X, dA))
    A = out["forward A"]
    out["forward A"] = np.ascontiguousarray(A.transpose(1, 0, 2)).reshape(A.shape)
    return out


_FLIPPED = "the convolution with W flipped along its spatial axes (np.convolve, scipy.signal.convolve and " \
    "the textbook convolution flip the filter): this layer slides W as it is, A[i] = sum_s X[i + s] W[s]"
_UNCROPPED = "your dX has the shape of the padded input (H + 2P, W + 2P): cut the padding off " \
    "(dX[..., P:-P, P:-P]); the zeros added around X are not inputs of the layer"
_RNN_ASSIGNED = ("your dW_x, dW_h and dB are those of the first time step only: in the loop over time they are "
                 "assigned (=) at each step, so the last step the backward loop runs (t = 1) is all that is left; "
                 "add each step's (+=)")
#: known mistakes of each layer the sprints teach (more, for every layer that can have them,
#: in _general; pairs of them in _pairs)
MISTAKES = {
    Conv2d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-2, -1)), _FLIPPED,
                     family="kernel"),
             Mistake("transposed kernel", _transposed_kernel,
                     "the convolution with W's height and width axes swapped: W[o, c, i, j] multiplies "
                     "X[n, c, y + i, x + j] (i along the height, j along the width)", family="kernel"),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED, family="dX shape"),
             Mistake("im2col product reshaped to NCHW", _scrambled_reshape,
                     "your A is in the order of the im2col product reshaped straight to (N, C, OH, OW): "
                     "the product's rows run over (n, oh, ow) and its columns over the channels, so "
                     "reshape it to (N, OH, OW, C), then .transpose(0, 3, 1, 2)", family="A order"),
             Mistake("W reshaped for im2col", _w_reshaped_for_im2col,
                     "your A is what im2col's columns give multiplied by W.reshape(-1, C_out): that matrix's columns "
                     "are not the filters; W.reshape(C_out, -1).T has one filter's C_in * FH * FW entries a column, "
                     "in im2col's order"),
             Mistake("dX accumulator not reset", _accumulator_not_reset,
                     "each entry of your dX is the running total of the right dX up to it, row by row (seed "
                     "002's backward): the variable that adds up one entry's terms must start again at 0 for "
                     "every entry of dX, not once per channel", family="dX sum")],
    Conv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED, family="kernel"),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED.replace("(H + 2P, W + 2P)", "(L + 2P)")
                     .replace("dX[..., P:-P, P:-P]", "dX[..., P:-P]"), family="dX shape")],
    SimpleConv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED,
                           family="kernel")],
    MaxPool2D: [Mistake("transposed backward", _pool_backward_transposed,
                        "your dX holds the right values at transposed positions (what belongs to row i "
                        "went to column i): when you put the gradient back into the input's shape, keep "
                        "the height and width axes in order (a .T or an unravel_index shape too many?)"),
                Mistake("mask of the maxima forgotten", _pool_mask_forgotten,
                        "your dX gives each window's gradient to every entry of the window: only the "
                        "entry that was the window's maximum in forward gets it, the others 0 (keep "
                        "where the maxima were, e.g. the argmax of each window)", family="pool mask"),
                Mistake("every maximum", _pool_every_maximum,
                        "your dX gives a window's gradient to every entry equal to its maximum: where the maximum "
                        "appears more than once (the zeros a ReLU leaves), only the first of them in row-major "
                        "order gets it (np.argmax gives that one), the others 0", family="pool mask")],
    SimpleRNN: [Mistake("final state in BPTT", _rnn_final_state,
                        "your dW_h uses the final state h_T at every step: step t needs the state before "
                        "it, dW_h = sum over t of h_{t-1}^T da_t (keep every state from forward)", family="dW_h"),
                Mistake("current state in BPTT", _rnn_current_state,
                        "your dW_h uses h_t, the state step t made: step t read h_{t-1}, so dW_h = sum over t "
                        "of h_{t-1}^T da_t (h_0 = 0 for the first step)", family="dW_h"),
                Mistake("derivative at the pre-activation", _rnn_derivative_at_pre_activation,
                        "your backward takes tanh's derivative as 1 - a_t^2, with a_t the pre-activation: "
                        "1 - h^2 is written through tanh's output, so it is 1 - h_t^2 with h_t = tanh(a_t)",
                        family="derivative"),
                Mistake("last state only", _rnn_last_state_only,
                        "your output is the last state h_T alone, (N, n_nodes): this layer returns every "
                        "state, h_1 .. h_T, (N, T, n_nodes)"),
                Mistake("no W_h in forward", _rnn_without_w_h,
                        "your states ignore the previous state: a_t = x_t W_x + h_{t-1} W_h + B, "
                        "with h_0 = 0 and then the state of the step before", family="W_h"),
                Mistake("no gradient through W_h", _rnn_no_carry,
                        "your backward does not carry the gradient back in time: dL/dh_{t-1} is the "
                        "gradient from the output at t-1 plus da_t W_h^T from the step after it", family="carry"),
                Mistake("carried gradient averaged over the batch", _rnn_carry_averaged,
                        "the gradient your backward carries back to h_{t-1} (da_t W_h^T) is divided by the "
                        "batch size: it is a sum, each sample's own; the mean over the batch is taken once, "
                        "in the loss", family="carry"),
                Mistake("derivative at h_{t-1}", _rnn_derivative_at_previous,
                        "your backward takes tanh's derivative at the previous state, 1 - h_{t-1}^2: "
                        "h_t = tanh(a_t), so dL/da_t = dL/dh_t * (1 - h_t^2), with the state step t made",
                        family="derivative"),
                Mistake("gradients assigned per step", _rnn_assigned_per_step, _RNN_ASSIGNED, family="sum"),
                Mistake("gradient carried through W_h untransposed", _rnn_carry_untransposed,
                        "your backward carries the gradient back to h_{t-1} through W_h as it is, da_t W_h: "
                        "h_{t-1} is multiplied by W_h in forward, so its gradient is da_t W_h^T (W_h is square, "
                        "so no shape error shows it)", family="carry"),
                Mistake("carry added after the derivative", _rnn_carry_after_derivative,
                        "your backward adds the gradient carried back from step t + 1 after tanh's derivative: "
                        "both reach h_t, so dL/da_t = (dA_t + da_{t+1} W_h^T) * (1 - h_t^2)", family="carry"),
                Mistake("only the last step's gradient", _rnn_last_gradient_only,
                        "your backward uses only the gradient of the last state, dA[:, -1]: this layer returns "
                        "every state, and each step's dL/dh_t is dA[:, t] plus what comes back from step t + 1",
                        family="upstream"),
                Mistake("states with h_0", functools.partial(_rnn_states_off_by_one, which="with h0"),
                        "your output starts with h_0 (zeros): it holds h_0 .. h_T; the layer returns the states its "
                        "steps made, h_1 .. h_T"),
                Mistake("states shifted", functools.partial(_rnn_states_off_by_one, which="shifted"),
                        "your states are h_0 .. h_{T-1}, the state each step read: the layer returns the state each "
                        "step makes, h_1 .. h_T"),
                Mistake("states reshaped from time-major", _rnn_time_major_reshape,
                        "your states are those of a list over time, an array (T, N, n_nodes), reshaped straight to "
                        "(N, T, n_nodes), which mixes the samples and the steps: stack them along axis 1, "
                        "np.stack(states, axis=1), or transpose(1, 0, 2) first", family="A order")],
    Activation: [Mistake("derivative at the input", _derivative_at_input,
                         "your backward takes the derivative at the input X: written through the output "
                         "(Sigmoid's A (1 - A), Tanh's 1 - A^2) it needs A = f(X), the output forward "
                         "returned (keep it, or compute f(X) again)")],
    Sigmoid: [Mistake("1/1+np.exp(-A)", _one_plus_exp,
                      "your output is 1 + exp(-A): 1/1+np.exp(-A) divides 1 by 1 first; write "
                      "1 / (1 + np.exp(-A))", family="sigmoid")],
}


# -- mistakes any layer that can have them makes ------------------------------------------
class _Geometry(NamedTuple):
    """The sliding windows of a convolution or a pooling, along its k spatial axes (the last
    k of X): filter (pool) sizes, strides, paddings, each a tuple of k ints."""
    f: tuple
    s: tuple
    p: tuple


def _geometry(layer, X) -> _Geometry | None:
    """The layer's windows, read from its settings (filter_size or pool_size, stride, pad);
    None for a layer without windows."""
    f = getattr(layer, "filter_size", None)
    f = getattr(layer, "pool_size", None) if f is None else f
    if f is None:
        return None
    tup = lambda v: tuple(int(n) for n in v) if isinstance(v, (tuple, list)) else (int(v),)  # noqa: E731
    f = tup(f)
    s, p = tup(getattr(layer, "stride", 1)), tup(getattr(layer, "pad", 0))
    s, p = s * len(f) if len(s) == 1 else s, p * len(f) if len(p) == 1 else p
    if not (len(f) == len(s) == len(p)) or np.ndim(X) < len(f):
        return None
    return _Geometry(f, s, p)


def _windows(geometry, a_shape):
    """(index of an output position along the spatial axes, the slices of its window in
    the (padded) input) for every output position, in the order of nested loops over them."""
    k = len(geometry.f)
    for position in itertools.product(*(range(n) for n in a_shape[len(a_shape) - k:])):
        where = (Ellipsis,) + tuple(slice(i * s, i * s + f) for i, s, f in zip(position, geometry.s, geometry.f))
        yield position, where


#: more windows than this: the loops of a prediction would cost more than a hint is worth
_MAX_WINDOWS = 4096


def _assigned_per_window(ref, X, dA, run=_run, only_nonzero=False):
    """dX with each window's share assigned (=) where overlapping windows' shares add up:
    a loop over the output positions, in order, in which the last window to reach an entry
    of the (padded) input leaves its share there alone. ``only_nonzero``: each window writes
    only where its share is not 0 (the entry of a max-pool window's maximum); otherwise its
    whole window (a max-pool's zeros included)."""
    geometry = _geometry(ref, X)
    if geometry is None or all(s >= f for s, f in zip(geometry.s, geometry.f)):
        return {}  # windows side by side: assigning is adding
    k = len(geometry.f)
    n_windows = math.prod(dA.shape[dA.ndim - k:])
    if n_windows > _MAX_WINDOWS:
        return {}
    out = dict(run(ref, X, dA))
    pads = geometry.p
    widths = [(0, 0)] * (X.ndim - k) + [(p, p) for p in pads]
    padded = np.pad(X, widths)
    no_pad = {} if not any(pads) else {"pad": (0,) * k if isinstance(ref.pad, tuple) else 0}
    windows = list(_windows(geometry, dA.shape))
    shares = _window_shares(ref, padded, dA, [position for position, _ in windows], no_pad, run)
    dXp = np.zeros(padded.shape)
    for (position, where), share in zip(windows, shares):
        if only_nonzero:
            mask = share[where] != 0
            dXp[where] = np.where(mask, share[where], dXp[where])
        else:
            dXp[where] = share[where]
    crop = (Ellipsis,) + tuple(slice(p, n - p) for p, n in zip(pads, padded.shape[X.ndim - k:]))
    out["backward dX"] = dXp[crop]
    return out


def _window_shares(ref, padded, dA, positions, no_pad, run):
    """For each output position, dX of the padded input when dA is kept at that position
    alone (its window's share): one run of the layer on a batch of copies of the input, one
    copy a position, where the layer has a batch axis and the batch is small; a run a
    position otherwise."""
    def alone(position):
        one = np.zeros_like(dA)
        one[(Ellipsis,) + position] = dA[(Ellipsis,) + position]
        return one
    k = len(positions[0])
    if padded.ndim == k + 2 and len(positions) * padded.size <= 4_000_000:
        n = len(padded)
        big = run(ref, np.concatenate([padded] * len(positions)), np.concatenate([alone(p) for p in positions]),
                  **no_pad)["backward dX"]
        return [big[i * n:(i + 1) * n] for i in range(len(positions))]
    return [run(ref, padded, alone(position), **no_pad)["backward dX"] for position in positions]


def _bias_changed(ref, X, dA, run=_run, factor=0.0):
    """A forward with B times ``factor``: 0, the bias left out; 2, added twice."""
    return run(ref, X, dA, B=np.asarray(ref.B) * factor)


def _bias_one_number(ref, X, dA, run=_run, divisor=None):
    """dB as one number: the sum of dA over every axis (np.sum(dA), which the sum of the
    right dB gives); or, with ``divisor`` (a function of dA's shape), its mean over them
    (np.average(dA)), or over all but one (an RNN's np.average(da_t), at one time step)."""
    out = dict(run(ref, X, dA))
    total = float(np.sum(out["backward dB"]))
    out["backward dB"] = np.asarray(total if divisor is None else total / divisor(np.shape(dA)))
    return out


def _stride_left_out_of_dx(ref, X, dA, run=_run):
    """The Conv1d backward of "Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1" (the
    course's 1-D notebook): each window's share put at i, not at i * S, in a dX of
    F + N_out - 1 entries along each axis (the dX of the same windows with a stride of 1),
    the padding not cut off."""
    geometry = _geometry(ref, X)
    if geometry is None or all(s == 1 for s in geometry.s) or not isinstance(getattr(ref, "W", None), np.ndarray):
        return {}
    k = len(geometry.f)
    lengths = tuple(f + n - 1 for f, n in zip(geometry.f, dA.shape[dA.ndim - k:]))
    ones = (1,) * k if isinstance(ref.stride, tuple) else 1
    zeros = (0,) * k if isinstance(getattr(ref, "pad", 0), tuple) else 0
    out = dict(run(ref, X, dA))
    out["backward dX"] = run(ref, np.zeros(X.shape[:X.ndim - k] + lengths), dA, stride=ones, pad=zeros)["backward dX"]
    return out


def _bias_summed_over(ref, X, dA, run=_run, axes=()):
    """dB as dA summed over ``axes`` only (e.g. the batch axis alone, as an FC layer's
    np.sum(dA, axis=0)), where a layer with windows sums it over the batch and every position."""
    return {"backward dB": np.sum(np.asarray(dA, np.float64), axis=axes)}


def _bias_sums(reference, X, dA) -> list:
    """The mistakes of a windowed layer's dB summed over some of the axes it sums over (the
    batch and the positions, every axis of dA but the channels'), one a subset."""
    geometry = _geometry(reference, X)
    B = getattr(reference, "B", None)
    if geometry is None or not isinstance(B, np.ndarray) or B.ndim != 1 or np.ndim(dA) < 2:
        return []
    channel = np.ndim(dA) - len(geometry.f) - 1
    summed = [a for a in range(np.ndim(dA)) if a != channel]
    found = []
    for r in range(1, len(summed)):
        for axes in itertools.combinations(summed, r):
            which = "axis " + str(axes[0]) if len(axes) == 1 else _axes_words(list(axes))
            found.append(Mistake(f"dB summed over {axes}", functools.partial(_bias_summed_over, axes=axes),
                                 f"your dB is dA summed over {which} only: dB has B's shape, one value per output "
                                 f"channel; sum dA over the batch and every position, every axis but the channels' "
                                 f"(axis={tuple(summed)})"))
    return found


def _dw_with_da_reversed(ref, X, dA, run=_run):
    """dW computed with dA reversed along its positions: np.convolve(X, dA, 'valid') (or a
    2-D convolution) where the correlation np.convolve(X, dA[::-1], 'valid') is dW."""
    geometry = _geometry(ref, X)
    if geometry is None or not isinstance(getattr(ref, "W", None), np.ndarray) or np.ndim(dA) < len(geometry.f):
        return {}
    k = len(geometry.f)
    return {"backward dW": run(ref, X, np.flip(dA, axis=tuple(range(np.ndim(dA) - k, np.ndim(dA)))))["backward dW"]}


def _output_cropped(ref, X, dA, run=_run, formula=None, interior=False):
    """A forward whose output size along the spatial axes is ``formula(n, f, s, p)`` (smaller
    than the right one) with the right values there: the loop over the output positions
    stops early. ``interior``: the windows of the input without its padding (a forward
    that leaves the padding out), where they are output positions of the padded one."""
    geometry = _geometry(ref, X)
    if geometry is None:
        return {}
    out = dict(run(ref, X, dA))
    A = out["forward A"]
    k = len(geometry.f)
    sizes = [formula(n, f, s, p) for n, f, s, p in zip(X.shape[X.ndim - k:], *geometry)]
    right = A.shape[A.ndim - k:]
    if any(not 0 < m <= r for m, r in zip(sizes, right)) or tuple(sizes) == tuple(right):
        return {}
    if interior:
        if any(p % s for s, p in zip(geometry.s, geometry.p)):
            return {}
        starts = [p // s for s, p in zip(geometry.s, geometry.p)]
    else:
        starts = [0] * k
    if any(a + m > r for a, m, r in zip(starts, sizes, right)):
        return {}
    out["forward A"] = A[(Ellipsis,) + tuple(slice(a, a + m) for a, m in zip(starts, sizes))]
    return out


def _averaged(expected: dict, dA) -> list:
    """A gradient divided by a count of dA's entries (the batch, positions, time steps):
    the mean where the gradient is the sum. One Mistake for each divisor; the family of a
    gradient's division by the batch size pairs with other mistakes."""
    sizes = [n for n in np.shape(dA) if n > 1]
    divisors = sorted({int(np.prod(c)) for r in range(1, len(sizes) + 1) for c in itertools.combinations(sizes, r)})
    batch = np.shape(dA)[0] if np.ndim(dA) > 1 else None
    grads = [part for part in expected if part.startswith("backward d") and part != "backward dX"]
    why = ("a mean over the batch (or the positions, or the time steps) where the gradient is their sum; "
           "the mean over the batch is taken once, in the loss")

    def divided(ref, X, dA, run=_run, part=None, k=1):
        out = dict(run(ref, X, dA))
        out[part] = out[part] / k
        return out

    return [Mistake(f"{part} averaged over {k}", functools.partial(divided, part=part, k=k),
                    f"your {part.split()[1]} is the expected one divided by {k}: {why}",
                    f"your {part.split()[1]} is the expected one divided by a count of the inputs: {why}",
                    family=f"{part} averaged" if k == batch else "")
            for part in grads for k in divisors]


#: the wrong formulas of an output size, (name, formula(n, f, s, p), what it is)
_SIZE_FORMULAS = [
    ("padding on one side", lambda n, f, s, p: (n + p - f) // s + 1,
     f"(N_in + P - F) // S + 1 gives: {_SIZE_RULE}, is the padding counted on both sides?"),
    ("no padding", lambda n, f, s, p: (n - f) // s + 1,
     f"(N_in - F) // S + 1 gives: the padding is left out; {_SIZE_RULE} (P zeros at each end)"),
    ("stride not divided", lambda n, f, s, p: n + 2 * p - f + 1,
     f"N_in + 2P - F + 1 gives: {_SIZE_RULE}, the windows move S at a time"),
    ("F // S without parentheses", lambda n, f, s, p: n + 2 * p - f // s + 1,
     f"N_in + 2P - F // S + 1 gives (// divides F alone): {_SIZE_RULE}, with the parentheses"),
    ("no + 1", lambda n, f, s, p: (n + 2 * p - f) // s,
     f"(N_in + 2P - F) // S gives: the + 1 is missing; {_SIZE_RULE} (the first window counts too)"),
    ("rounded up", lambda n, f, s, p: -((n + 2 * p - f) // -s) + 1,
     f"(N_in + 2P - F) / S + 1 rounded up gives: {_SIZE_RULE}, rounded down (a window that does not fit "
     f"is no output)"),
]


def _one_sample(ref, X, dA, run=_run, which="first"):
    """The weights' gradients of one sample of the batch alone, the first or the last: a loop
    over the samples that assigns (=) each one's where they add up, or a product that takes
    one sample. Only where axis 0 of X is a batch of several (a layer that takes X[:1] too)."""
    X, dA = np.asarray(X), np.asarray(dA)
    if X.ndim < 2 or len(X) < 2 or dA.ndim < 1 or len(dA) != len(X):
        return {}
    k = slice(0, 1) if which == "first" else slice(len(X) - 1, None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = run(ref, X[k], dA[k])
    except Exception:  # axis 0 is no batch here (a Conv1d's channels of one sample): no such mistake
        return {}
    return {p: v for p, v in out.items() if p.startswith("backward d") and p != "backward dX"}


def _general(reference, X, dA, expected: dict) -> list:
    """The mistakes any layer can make that has what they need: a bias (left out, added
    twice, its gradient one number), windows (an output size from a wrong formula, dX
    assigned where overlapping windows add), gradients (averaged)."""
    found = []
    names = getattr(reference, "param_names", ())
    if "B" in names:
        found += [Mistake("bias left out", functools.partial(_bias_changed, factor=0.0),
                          "your output is the expected one without the bias: add B (one value per output "
                          "channel or node, the same at every position and for every sample)", family="bias"),
                  Mistake("bias added twice", functools.partial(_bias_changed, factor=2.0),
                          "your output has the bias B added twice: add it once", family="bias")]
        if np.shape(expected.get("backward dB", ())) != ():
            one = ("your dB is a single number (a sum or mean over every axis): dB has B's shape, one value for "
                   "each entry of B; sum dA over the batch (and the positions) only, e.g. np.sum(dA, axis=0) for an "
                   "FC layer")
            found.append(Mistake("dB one number", _bias_one_number, one, family="dB shape"))
            found.append(Mistake("dB one number: the mean", functools.partial(_bias_one_number, divisor=math.prod),
                                 one, family="dB shape"))
            if np.ndim(dA) == 3:  # (N, T, H): the mean at one time step
                found.append(Mistake("dB one number: the mean of a step", functools.partial(
                    _bias_one_number, divisor=lambda shape: shape[0] * shape[2]), one, family="dB shape"))
            found += _bias_sums(reference, X, dA)
    if _geometry(reference, X) is not None:
        found += [Mistake(f"output size: {name}", functools.partial(_output_cropped, formula=formula),
                          f"your output is the expected one cut to the size that {what}", family="output size")
                  for name, formula, what in _SIZE_FORMULAS]
        found.append(Mistake("output size: padding left out of forward",
                             functools.partial(_output_cropped, formula=_SIZE_FORMULAS[1][1], interior=True),
                             "your forward leaves the padding out: its windows are those of the input without "
                             f"the P zeros on each side; pad X first, then {_SIZE_RULE}", family="output size"))
        assign = ("where windows overlap (a stride smaller than the window), your dX keeps the share of one window "
                  "(the last one written) where the shares of all the windows that cover an entry add up: "
                  "dX[window] += ..., not dX[window] = ...")
        found.append(Mistake("stride left out of dX", _stride_left_out_of_dx,
                             "your dX is laid out as if the windows moved 1 entry at a time (F + N_out - 1 entries "
                             "along each axis): window i starts at i * S in the (padded) input, so its share goes to "
                             "dX[..., i*S : i*S + F], over the input's length (then cut the padding off)",
                             family="dX shape"))
        if isinstance(getattr(reference, "W", None), np.ndarray):
            found.append(Mistake("dW with dA reversed", _dw_with_da_reversed,
                                 "your dW is what dA reversed along its positions gives (np.convolve(X, dA) reverses "
                                 "dA): dW is the correlation of X with dA, dW[s] = sum over i of dA[i] X[i*S + s], "
                                 "e.g. np.convolve(X, dA[::-1], mode='valid') for one channel and a stride of 1"))
        found += [Mistake("stride ignored: 1", functools.partial(_stride_ignored, step=1),
                          "your output is that of windows moving 1 entry at a time: the stride is ignored; "
                          "window i starts at i * S"),
                  Mistake("stride ignored: a window", functools.partial(_stride_ignored, step="window"),
                          "your output is that of windows side by side (moving a whole window at a time): the "
                          "stride is ignored; window i starts at i * S, and windows overlap where S is smaller "
                          "than the window")]
        found += [Mistake("dX assigned per window", _assigned_per_window, assign, family="dX sum"),
                  Mistake("dX assigned per window, at the maxima",
                          functools.partial(_assigned_per_window, only_nonzero=True), assign, family="dX sum")]
    if names:
        found += [Mistake(f"gradients of the {which} sample", functools.partial(_one_sample, which=which),
                          f"your gradients of the weights are those of the {which} sample of the batch alone: "
                          f"each sample adds its share, so dW and dB sum over the batch (in a loop over the "
                          f"samples, += where the loop has =)") for which in ("first", "last")]
    return found + _averaged(expected, dA)


def _pairs(mistakes) -> list:
    """Two mistakes of other families at once, as one Mistake: the second's changes made
    to the layer the first computes with (its ``run``). Named only where the pair's value
    differs from each mistake's alone (see _Explainer.candidates)."""
    pairs = []
    for a, b in itertools.combinations([m for m in mistakes if m.family], 2):
        if a.family == b.family:
            continue
        pairs.append(Mistake(f"{a.name} + {b.name}", functools.partial(_composed, a.predict, b.predict),
                             f"two mistakes at once: {a.hint}; and {b.hint}",
                             f"two mistakes at once: {a.hidden_hint or a.hint}; and {b.hidden_hint or b.hint}",
                             family=PAIR))
    return pairs


def _composed(outer, inner, ref, X, dA, run=_run):
    """``outer``'s prediction computed on layers that make ``inner``'s mistake."""
    def with_inner(layer, x, d, **changes):
        got = inner(_changed(layer, changes) if changes else layer, x, d, run=run)
        if not got or any(isinstance(v, list) for v in got.values()):
            raise _NotComposable
        return got
    return outer(ref, X, dA, run=with_inner)


#: the family of the pairs of mistakes (which pair with nothing more)
PAIR = "pair"


class _NotComposable(Exception):
    """A mistake that gives no value, or variants, where a pair needs its values."""


# -- mistakes whose free quantity is read off the student's values ------------------------
def _rnn_nonzero_h0(ref, X, dA, got: dict, run=_run):
    """A forward from an h_0 that is not zero (random, ones, the state a previous forward
    left): h_0 read off the student's first state (h_1 = f(x_1 W_x + h_0 W_h + B), solved
    for h_0), then every state and gradient computed from it. A hypothesis only where it can
    fail: with return_sequences and T >= 2 the later states test it (h_1 alone fits any
    h_0); the gradients test it always."""
    A = got.get("forward A")
    if not isinstance(A, np.ndarray) or ref.activation != "tanh":
        return {}
    N, T = X.shape[0], X.shape[1]
    H = ref.W_h.shape[0]
    if A.shape != ((N, T, H) if ref.return_sequences else (N, H)) or not np.isfinite(A).all():
        return {}
    W_x, W_h, B = (np.asarray(a, np.float64) for a in (ref.W_x, ref.W_h, ref.B))
    if np.abs(A).max() >= 1:
        return {}
    if ref.return_sequences:
        first, steps_back = A[:, 0], 1
    else:
        first, steps_back = A, T
    h = np.asarray(first, np.float64)
    for t in reversed(range(steps_back)):  # h_{t} -> h_{t-1}: invert a_t = x_t W_x + h_{t-1} W_h + B
        if np.abs(h).max() >= 1:
            return {}
        h = np.linalg.lstsq(W_h.T, (np.arctanh(h) - X[:, t] @ W_x - B).T, rcond=None)[0].T
    if np.allclose(h, 0):
        return {}
    v = copy.deepcopy(ref)
    with keep_weights(v):
        A_h0 = v.forward(X.copy(), h0=h)
        dX = v.backward(np.asarray(dA).copy())
        out = {"backward dX": dX, **{f"backward d{n}": getattr(v, "d" + n) for n in v.param_names}}
    if ref.return_sequences and T >= 2:
        out["forward A"] = A_h0
    return out


def _rnn_bias_one_number(ref, X, dA, got: dict, run=_run):
    """A forward whose bias is one number b, the same for every node, in place of the layer's
    B (a global ``b = np.array([1])``, as the students' SimpleRNN notebook reads): b read off
    the student's first states (h_1 = tanh(x_1 W_x + b), h_0 = 0: one b for all N * H of
    them, which tests it), then every state and gradient computed with B = b."""
    A = got.get("forward A")
    if not isinstance(A, np.ndarray) or ref.activation != "tanh" or not ref.return_sequences:
        return {}
    N, T = X.shape[0], X.shape[1]
    H = ref.W_h.shape[0]
    if A.shape != (N, T, H) or N * H < 2 or not np.isfinite(A).all() or np.abs(A[:, 0]).max() >= 1:
        return {}
    first = np.arctanh(np.asarray(A[:, 0], np.float64)) - np.asarray(X[:, 0], np.float64) @ np.asarray(ref.W_x,
                                                                                                      np.float64)
    b = float(first.mean())
    return run(ref, X, dA, B=np.full(np.shape(ref.B), b, dtype=np.asarray(ref.B).dtype))


#: mistakes with a quantity read off the student's own values: (layer class, Mistake whose
#: predict(reference, X, dA, got) takes the student's parts too)
FITTED = {
    SimpleRNN: [Mistake("h_0 not zero", _rnn_nonzero_h0,
                        "your states start from an h_0 that is not zero (random, or the state a previous "
                        "forward left): every forward starts from h_0 = np.zeros((batch, n_nodes)), then "
                        "a_t = x_t W_x + h_{t-1} W_h + B"),
                Mistake("bias one number", _rnn_bias_one_number,
                        "your states are those of a bias that is one number, the same for every node, in place of "
                        "the layer's B: does forward read a global b (the students' SimpleRNN notebook has "
                        "b = np.array([1])) where it should read self.B?")],
}


class _Explainer:
    """``explain(part, got, tolerance)`` -> the hint of the first known mistake whose
    prediction for ``part`` the student's value equals ("" if none). ``mistakes`` are
    Mistakes whose ``predict(*inputs)`` gives {part: value}. Predictions are computed
    when first asked for, once each; a mistake that cannot be computed for these inputs is
    skipped. ``candidates(part)`` lists (mistake, predicted array) in that order, without a
    value equal to the expected one or to an earlier candidate: what a graded run records,
    so that the grader can give the same hints outside the kernel. ``fitted``: mistakes
    whose ``predict(*inputs, got)`` also takes the student's parts ({part: value}, given by
    ``observe``), asked only here (no record can carry them)."""

    def __init__(self, mistakes, *inputs, expected: dict | None = None, fitted=()):
        self.mistakes, self.inputs = list(mistakes), inputs
        self.expected, self.fitted = expected or {}, list(fitted)
        self.predictions, self.got, self.merged = {}, {}, {}

    def observe(self, got: dict) -> None:
        """The student's values of every part, for the fitted mistakes."""
        self.got = got

    def candidates(self, part):
        """(Mistake, predicted array) for ``part``, each value once: the mistakes that give
        one value are one Mistake, whose hint names each (the student's values cannot tell
        which it is); a pair giving a value that a mistake alone gives is left out."""
        if part not in self.merged:
            self.merged[part] = self._merge(part)
        return iter(self.merged[part])

    def _merge(self, part):
        expected, found = self._expected(part), []
        for m in self.mistakes:
            if m.name not in self.predictions:
                self.predictions[m.name] = _predict(m, *self.inputs)
            value = self.predictions[m.name].get(part)
            for c in value if isinstance(value, list) else [value]:
                arr = _array(c)
                if arr is None or _same(arr, expected):
                    continue
                same = next((i for i, (_, other) in enumerate(found) if _same(arr, other)), None)
                if same is None:
                    found.append((m, arr))
                elif (m.family == PAIR) == (found[same][0].family == PAIR):  # a pair only with pairs
                    found[same] = (_either(found[same][0], m), found[same][1])
        return found

    def _expected(self, part):
        return _array(self.expected.get(part))

    def __call__(self, part, got, tol):
        arr = _array(got)
        if arr is None:
            return ""
        hint = next((m.hint for m, c in self.candidates(part) if _matches(arr, c, tol)), "")
        if hint or not self.fitted or not self.got:
            return hint
        for m in self.fitted:
            c = _array(_predict(m, *self.inputs, self.got).get(part))
            if c is not None and _matches(arr, c, tol) and not _same(c, self._expected(part)):
                return m.hint
        return ""


#: how a hint names several mistakes that each give the student's values (the instructors'
#: report, autograder/engine/report.py, reads the mistakes back from these words)
EITHER, OR = "one of these mistakes (each gives your values): ", "; or: "


def either_hint(hints: list[str]) -> str:
    """One hint for mistakes that each give the student's values: "one of these mistakes ...:
    A; or: B" (a single hint as it is, none as "")."""
    return EITHER + OR.join(hints) if len(hints) > 1 else "".join(hints)


def _either(a: Mistake, b: Mistake) -> Mistake:
    """One Mistake for two that give the same value: its hint names both."""
    def words(m, hidden):
        text = (m.hidden_hint or m.hint) if hidden else m.hint
        return text if text.startswith(EITHER) else EITHER + text
    if b.hint in a.hint:
        return a
    return Mistake(f"{a.name} | {b.name}", a.predict, f"{words(a, False)}{OR}{b.hint}",
                   f"{words(a, True)}{OR}{b.hidden_hint or b.hint}", a.family)


def _array(value):
    """``value`` as a float64 array of numbers, or None."""
    if value is None:
        return None
    arr, _ = _numbers(value) if not isinstance(value, np.ndarray) else (value, None)
    if arr is None or arr.dtype.kind not in "biuf":
        return None
    return np.asarray(arr, np.float64)


def _same(a, b) -> bool:
    """Two predictions no student's value could tell apart (None is no prediction)."""
    return b is not None and a.shape == b.shape and _matches(a, b, _tolerance(a))


def _layer_explainer(reference, X, dA, expected: dict) -> _Explainer:
    """The known mistakes of the reference's class and its bases, those of every layer
    (_general), then the pairs of them, computed through one _Runs."""
    own = [m for cls in type(reference).__mro__ for m in MISTAKES.get(cls, [])]
    mistakes = own + _general(reference, X, dA, expected)
    runs = _Runs()
    bound = [m._replace(predict=functools.partial(m.predict, run=runs)) for m in mistakes + _pairs(mistakes)]
    fitted = [m._replace(predict=functools.partial(_with_got, m.predict, runs))
              for cls in type(reference).__mro__ for m in FITTED.get(cls, [])]
    return _Explainer(bound, reference, X, dA, expected=expected, fitted=fitted)


def _with_got(predict, run, ref, X, dA, got):
    return predict(ref, X, dA, got, run=run)


# -- the fitted mistakes in a graded run: the check's inputs travel in the trusted run's records --
def _fitted_records(explain, parts: list, at: int) -> dict:
    """What the trusted run's record of part ``at`` of a check (``parts``: the names of its
    parts, in order) carries for the fitted mistakes of its layer: their names and hints on
    every part, and on the first the check's inputs (``_layer_spec``), from which the grading
    process predicts each on the student's values ({} when the layer has none)."""
    fitted = getattr(explain, "fitted", None)
    if not fitted or len(getattr(explain, "inputs", ())) != 3:
        return {}
    out = {"fitted": [{"mistake": m.name, "hint": m.hint, "hidden_hint": m.hidden_hint or m.hint} for m in fitted],
           "check_at": at}
    if at == 0:
        reference, X, dA = explain.inputs
        out["fitted_inputs"] = {"parts": list(parts), "layer": _layer_spec(reference), "X": _npy(np.asarray(X)),
                                "dA": _npy(np.asarray(dA))}
    return out


def _layer_spec(layer) -> dict:
    """A layer as a record carries it: its class's name, the settings its constructor was
    given (JSON: numbers, strs, None, lists; a dtype by name) and its parameters (.npy)."""
    from .shipped import _settings

    settings = {}
    for name, value in _settings(layer).items():
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
            settings[name] = {"dtype": np.dtype(value).str}
        elif isinstance(value, np.generic):
            settings[name] = value.item()
        else:
            settings[name] = value
    json.dumps(settings)  # (a setting that JSON cannot carry fails here, in the trusted run)
    return {"class": type(layer).__name__, "settings": settings,
            "params": {n: _npy(np.asarray(getattr(layer, n))) for n in layer.param_names}}


def _layer_from_spec(spec: dict):
    """The layer of ``_layer_spec``: only a class that has fitted mistakes (FITTED)."""
    classes = {cls.__name__: cls for cls in FITTED}
    cls = classes.get(spec.get("class"))
    if cls is None:
        raise ValueError(f"no fitted mistakes are known for a layer of class {spec.get('class')!r}")
    settings = {k: (np.dtype(v["dtype"]) if isinstance(v, dict) else tuple(v) if isinstance(v, list) else v)
                for k, v in spec["settings"].items()}
    layer = cls(**settings)
    for name in layer.param_names:
        setattr(layer, name, _from_npy(spec["params"][name]))
    return layer


def _fitted_prediction(name: str, inputs: dict, got: dict) -> dict:
    """{part: value} the fitted mistake ``name`` predicts, on the check's ``inputs`` (as
    _fitted_records carries them) and the student's values ``got`` ({part: array}); {} when
    it cannot be computed (another layer, inputs it does not fit)."""
    try:
        reference = _layer_from_spec(inputs["layer"])
        X, dA = _from_npy(inputs["X"]), _from_npy(inputs["dA"])
    except Exception:  # not a record of the trusted run's making: no hint
        return {}
    mistake = next((m for cls in type(reference).__mro__ for m in FITTED.get(cls, []) if m.name == name), None)
    return {} if mistake is None else _predict(mistake, reference, X, dA, got)


def _hint_records(explain, part) -> list:
    """The known mistakes' predictions for ``part``, as a record carries them; for an entry of
    a tuple (_WholeExplainer), with what the mistake gives the other entries (``together``:
    each by its place relative to this one), which the student's must be too."""
    whole = isinstance(explain, _WholeExplainer)
    return [{"hint": m.hint, "hidden_hint": m.hidden_hint or m.hint, "npy": _npy(c),
             **({"together": [{"offset": off, "npy": _npy(p)} for off, p in explain.together(m, part)]}
                if whole else {})}
            for m, c in explain.candidates(part)]


class _WholeExplainer(_Explainer):
    """The explainer of a function that returns a tuple of numbers (an output size (OH, OW)):
    a wrong formula gives every entry, so its mistake is named on one entry only when it also
    gives the student's other entries. One number alone matches some wrong formula by chance:
    a width computed with the filter's height, (15 + 2 - 3) // 2 + 1 = 8, is also what
    (15 + 2 - 4) / 2 + 1 rounded up gives. Mistakes are merged (one hint naming each) only
    where they give the same whole tuple."""

    def __init__(self, mistakes, *inputs, parts, expected):
        super().__init__(mistakes, *inputs, expected=expected)
        self.parts = list(parts)

    def _whole(self, m):
        """[predicted array of each part] of mistake ``m`` (merged: its first), or None."""
        name = m.name.split(" | ")[0]
        if name not in self.predictions:
            self.predictions[name] = _predict(next(k for k in self.mistakes if k.name == name), *self.inputs)
        values = [_array(self.predictions[name].get(p)) for p in self.parts]
        return None if any(v is None for v in values) else values

    def _merge(self, part):
        expected, i, found = self._expected(part), self.parts.index(part), []
        for m in self.mistakes:
            whole = self._whole(m)
            if whole is None or _same(whole[i], expected):
                continue
            same = next((k for k, (other, _) in enumerate(found)
                         if all(_same(a, b) for a, b in zip(whole, self._whole(other)))), None)
            if same is None:
                found.append((m, whole[i]))
            else:
                found[same] = (_either(found[same][0], m), found[same][1])
        return found

    def together(self, m, part) -> list:
        """[(offset, predicted array)] of the entries other than ``part``, by their place relative to it."""
        i, whole = self.parts.index(part), self._whole(m)
        return [(j - i, v) for j, v in enumerate(whole) if j != i]

    def __call__(self, part, got, tol):
        arr = _array(got)
        if arr is None:
            return ""
        i = self.parts.index(part)
        for m, c in self.candidates(part):
            others = [_array(self.got.get(self.parts[i + off])) for off, _ in self.together(m, part)]
            if _matches(arr, c, tol) and all(o is not None and _matches(o, p, tol) for o, (_, p) in
                                             zip(others, self.together(m, part))):
                return m.hint
        return ""


def _predict(mistake, *inputs) -> dict:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return mistake.predict(*inputs) or {}
    except ModelAnswerWithheld:  # the students' copy: the check takes the shipped hints (shipped.py)
        raise
    except Exception:  # not defined for these inputs (a pad of 0, an odd shape): no hint
        return {}


# -- the wrong formulas of an output size, a parameter count, a summary --------------------
#: the parameters of an output size (sprintlib's output_size and output_size_2d, the notebooks'
#: reference_output_size...): their names in the reference function's signature, by role
_SIZE_PARAMETERS = {"n": ("n_in", "in_size"), "f": ("filter_size",), "s": ("stride",), "p": ("pad",)}
#: those of a convolution's parameter count (sprintlib's conv_param_count, the notebooks' param_count)
_PARAM_PARAMETERS = {"c_in": ("in_channels",), "c_out": ("out_channels",), "f": ("filter_size",)}


def _formula_mistake(name, formula, hint, hidden_hint=None):
    """A Mistake whose ``predict(arguments, parts)`` evaluates ``formula(**arguments)`` on the
    check's arguments (ints, or pairs for both axes) and gives each part its value."""
    def predict(arguments, parts):
        value = np.asarray(formula(**arguments))
        if len(parts) == 1:
            return {parts[0]: value}
        return dict(zip(parts, np.broadcast_to(value, (len(parts),))))  # a tuple: (OH, OW)
    return Mistake(name, predict, hint, hidden_hint)


_size_mistake = _formula_mistake  # (its former name)

#: what a wrong output-size formula gives, on the same arguments as the check's (the hints
#: name the formula, never the arguments: a hidden test's feedback shows them too)
SIZE_MISTAKES = [_formula_mistake(name, formula, f"your size is what {what}") for name, formula, what in _SIZE_FORMULAS]


def _taps(f):
    return np.prod(f, axis=-1) if np.ndim(f) else f


#: what a wrong parameter count of a convolution gives ("Sprint13" counted 55, 433 and 181:
#: the input channels forgotten and one bias in all)
PARAM_MISTAKES = [
    _formula_mistake("W but not B", lambda c_in, c_out, f: c_out * c_in * _taps(f),
                     "your count is that of W alone: a convolution has C_out * C_in * FH * FW weights and one "
                     "bias per filter, C_out more"),
    _formula_mistake("one bias in all", lambda c_in, c_out, f: c_out * c_in * _taps(f) + 1,
                     "your count has one bias in all: each of the C_out filters has its own, "
                     "C_out * C_in * FH * FW + C_out"),
    _formula_mistake("input channels forgotten", lambda c_in, c_out, f: c_out * _taps(f) + c_out,
                     "your count leaves the input channels out: a filter covers all C_in channels, "
                     "C_out * C_in * FH * FW + C_out"),
    _formula_mistake("input channels forgotten, one bias in all", lambda c_in, c_out, f: c_out * _taps(f) + 1,
                     "your count leaves the input channels out and has one bias in all (as the course's notebook "
                     '"Sprint13" counted: 55, 433, 181): C_out * C_in * FH * FW weights, and one bias per filter, '
                     "C_out",
                     "your count leaves the input channels out and has one bias in all (as the course's notebook "
                     '"Sprint13" counted): C_out * C_in * FH * FW weights, and one bias per filter, C_out'),
    _formula_mistake("one filter", lambda c_in, c_out, f: c_in * _taps(f) + 1,
                     "your count is that of one filter: there are C_out of them, C_out * (C_in * FH * FW + 1)"),
]


def _function_explainer(reference_fn, name, args, kwargs, expected) -> _Explainer | None:
    """The known wrong formulas, when the reference computes an output size (its signature
    names an input size, a filter size, a stride and a padding) or a convolution's
    parameter count (input and output channels, a filter size); the counts of W alone when
    an argument is a list of layers (a summary); None otherwise."""
    parts = [f"{name}[{i}]" for i in range(len(expected))] if isinstance(expected, tuple) else [name]
    expected = dict(zip(parts, expected if isinstance(expected, tuple) else [expected]))
    sizes = _arguments(reference_fn, args, kwargs, _SIZE_PARAMETERS)
    if sizes is not None:
        # a formula that gives the right size on these arguments explains nothing (a float 28.0
        # of true division is wrong by its type, not by a formula that also gives 28)
        if len(parts) > 1:
            return _WholeExplainer(SIZE_MISTAKES, sizes, parts, parts=parts, expected=expected)
        return _Explainer(SIZE_MISTAKES, sizes, parts, expected=expected)
    counts = _arguments(reference_fn, args, kwargs, _PARAM_PARAMETERS)
    if counts is not None:
        return _Explainer(PARAM_MISTAKES, counts, parts, expected=expected)
    layers = [a for a in list(args) + list(kwargs.values()) if _is_layer_list(a)]
    if layers:
        return _Explainer(LAYER_COUNT_MISTAKES, layers[0], parts, expected=expected)
    return None


def _arguments(reference_fn, args, kwargs, roles) -> dict | None:
    """{role: int array} of the check's arguments that the reference's signature names by
    ``roles``, or None when one is missing or is no integer (or pair of integers)."""
    try:
        bound = inspect.signature(reference_fn).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or arguments it does not take
        return None
    bound.apply_defaults()
    found = {role: next((bound.arguments[n] for n in names if n in bound.arguments), None)
             for role, names in roles.items()}
    try:
        values = {role: np.asarray(v) for role, v in found.items()}
    except Exception:  # a ragged argument
        return None
    if not all(a.dtype.kind in "iu" and a.ndim <= 1 for a in values.values()):
        return None  # not this kind of function (or None where a role is missing)
    return values


def _size_arguments(reference_fn, args, kwargs) -> dict | None:
    """{"n", "f", "s", "p": int arrays} of the check's arguments, or None."""
    return _arguments(reference_fn, args, kwargs, _SIZE_PARAMETERS)


# -- a summary of layers: the parameters counted without B ---------------------------------
def _is_layer_list(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        callable(getattr(v, "forward", None)) for v in value) and any(_params(v) for v in value)


def _params(layer) -> dict:
    """{name: array} of a layer's parameters: param_names, or the documents' W, W_x, W_h, B."""
    names = getattr(layer, "param_names", None)
    names = names if isinstance(names, tuple) else ("W", "W_x", "W_h", "B")
    return {n: getattr(layer, n) for n in names if isinstance(getattr(layer, n, None), np.ndarray)}


def _counts(layers, leave_out) -> np.ndarray:
    return np.array([sum(int(np.size(v)) for n, v in _params(la).items() if n not in leave_out) for la in layers])


def _count_mistake(name, leave_out, hint):
    """A Mistake whose prediction is the parameters of each layer counted without the
    parameters ``leave_out``, given to every part (a list of counts, or their total)."""
    def predict(layers, parts):
        counts = _counts(layers, leave_out)
        return {part: [counts, np.asarray(counts.sum())] for part in parts}
    return Mistake(name, predict, hint)


#: what a summary of layers that counts their parameters wrongly gives
LAYER_COUNT_MISTAKES = [
    _count_mistake("W but not B", ("B",), "your counts are those of the weights alone: a layer's parameters "
                                          "are the entries of W and those of B (W.size + B.size)"),
    _count_mistake("B but not W", ("W", "W_x", "W_h"), "your counts are those of the biases alone: a layer's "
                                                       "parameters are the entries of W and those of B"),
]
