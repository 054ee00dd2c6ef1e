"""Hints: the mistakes students make, known by what they give.

MISTAKES lists, for each layer the sprints teach, the known mistakes (a flipped kernel, an
uncropped padding, BPTT with the final state...), each as a function that computes with the
reference's own maths what a layer with that mistake returns; a gradient averaged over the
batch is known for every layer (``_averaged``). SIZE_MISTAKES are the wrong formulas of an
output size. An ``_Explainer`` gives the hint of the first mistake whose value the student's
equals; in a graded run the values travel in the expected records (``_hint_records``), and
the grading process gives the same hints (autograder/runner.py).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import itertools
import warnings
from typing import Callable, NamedTuple

import numpy as np

from .._withheld import ModelAnswerWithheld
from ..layers.activations import Sigmoid
from ..layers.conv1d import Conv1d
from ..layers.conv2d import Conv2d
from ..layers.max_pool2d import MaxPool2D
from ..layers.rnn import SimpleRNN
from ..layers.simple_conv1d import SimpleConv1d
from ..testing import keep_weights
from .comparison import _SIZE_RULE, _matches
from .records import _npy
from .values import _numbers


# -- the mistakes of a layer -------------------------------------------------------------
class Mistake(NamedTuple):
    """A known mistake: ``predict(reference, X, dA)`` gives {part: the value a layer with
    this mistake returns} (computed with the reference's own maths; SIZE_MISTAKES' take the
    sizes a check_function passes, see _size_mistake), ``hint`` what to say
    when the student's part equals it; ``hidden_hint`` what to say in a hidden test's
    feedback, where no number of the hidden inputs may show (default: ``hint``)."""
    name: str
    predict: Callable
    hint: str
    hidden_hint: str | None = None


def _run(layer, X, dA, after_forward=None, **changes) -> dict:
    """Forward and backward of a copy of ``layer`` with attributes ``changes``:
    {"forward A": ..., "backward dX": ..., "backward d<name>": ...}."""
    v = copy.deepcopy(layer)
    for name, value in changes.items():
        setattr(v, name, value)
    with keep_weights(v):
        A = v.forward(X.copy())
        if after_forward:
            after_forward(v)
        dX = v.backward(dA.copy())
    return {"forward A": A, "backward dX": dX, **{f"backward d{n}": getattr(v, "d" + n) for n in v.param_names}}


def _flipped_kernel(ref, X, dA, axes):
    """A convolution with W flipped along its spatial axes (np.convolve's, a true convolution)."""
    out = _run(ref, X, dA, W=np.flip(ref.W, axes))
    return {"forward A": out["forward A"], "backward dX": out["backward dX"],
            "backward dW": np.flip(out["backward dW"], axes)}


def _transposed_kernel(ref, X, dA):
    """A 2-D convolution with W's height and width axes swapped (square filters)."""
    out = _run(ref, X, dA, W=np.swapaxes(ref.W, -1, -2))
    return {"forward A": out["forward A"], "backward dX": out["backward dX"],
            "backward dW": np.swapaxes(out["backward dW"], -1, -2)}


def _uncropped_padding(ref, X, dA):
    """dX of the padded input: what a backward that does not cut the padding off returns."""
    pads = ref.pad if isinstance(ref.pad, tuple) else (ref.pad,)
    widths = [(0, 0)] * (X.ndim - len(pads)) + [(p, p) for p in pads]
    no_pad = (0,) * len(pads) if isinstance(ref.pad, tuple) else 0
    return {"backward dX": _run(ref, np.pad(X, widths), dA, pad=no_pad)["backward dX"]} if any(pads) else {}


def _pool_backward_transposed(ref, X, dA):
    """Sprint 2's max-pool backward, transposed: each gradient spread over its window, the
    (H, W) plane transposed, kept where the maxima are; and the right dX with the positions
    inside each window transposed. Square inputs and windows side by side only."""
    (H, W), (OH, OW) = X.shape[-2:], dA.shape[-2:]
    if H != W or tuple(ref.stride) != tuple(ref.pool_size) or ref.pool_size != (H // OH, W // OW) or H % OH:
        return {}
    maxima = _run(ref, X, np.ones_like(dA))["backward dX"] != 0
    spread = np.repeat(np.repeat(dA, H // OH, axis=-2), W // OW, axis=-1)
    dX = _run(ref, X, dA)["backward dX"]
    windows = dX.reshape(dX.shape[:-2] + (OH, H // OH, OW, W // OW))
    in_windows = np.swapaxes(windows, -3, -1).reshape(dX.shape) if H // OH == W // OW else None
    return {"backward dX": [np.swapaxes(spread, -1, -2) * maxima, in_windows]}


def _scrambled_reshape(ref, X, dA):
    """Seed 003's Convolution: the im2col product, whose rows run over (n, oh, ow) and whose
    columns over the output channels, reshaped straight to (N, C, OH, OW)."""
    A = _run(ref, X, dA)["forward A"]
    product = np.moveaxis(A, -3, -1).reshape(-1, A.shape[-3])  # (N * OH * OW, C)
    return {"forward A": product.reshape(A.shape)}


def _rnn_final_state(ref, X, dA):
    """dW_h computed with the final state h_T at every step: sum_t h_T^T da_t."""
    A = _run(ref, X, dA)["forward A"]
    h_T = A[:, -1] if A.ndim == 3 else A
    per_sample = [_run(ref, X[n:n + 1], dA[n:n + 1])["backward dB"] for n in range(len(X))]  # sum_t da_t
    return {"backward dW_h": sum(np.outer(h, s) for h, s in zip(h_T, per_sample))}


def _rnn_without_w_h(ref, X, dA):
    """Forward with a_t = x_t W_x + B, the h_{t-1} W_h term left out."""
    return {"forward A": _run(ref, X, dA, W_h=np.zeros_like(ref.W_h))["forward A"]}


def _rnn_no_carry(ref, X, dA):
    """Backward that does not pass the gradient from step t back to h_{t-1} through W_h."""
    def forget_w_h(v):  # after forward: backward then carries nothing through W_h
        v.W_h = np.zeros_like(v.W_h)
    out = _run(ref, X, dA, after_forward=forget_w_h)
    return {k: v for k, v in out.items() if k != "forward A"}


def _one_plus_exp(ref, X, dA):
    """``1/1+np.exp(-A)``: that is 1 + exp(-A); backward then uses it as Z."""
    Z = 1 / 1 + np.exp(-X.astype(np.float64))
    return {"forward A": Z, "backward dX": Z * (1 - Z) * dA}


_FLIPPED = "the convolution with W flipped along its spatial axes (np.convolve, scipy.signal.convolve and " \
    "the textbook convolution flip the filter): this layer slides W as it is, A[i] = sum_s X[i + s] W[s]"
_UNCROPPED = "your dX has the shape of the padded input (H + 2P, W + 2P): cut the padding off " \
    "(dX[..., P:-P, P:-P]); the zeros added around X are not inputs of the layer"
#: known mistakes of each layer the sprints teach (a gradient averaged over the batch is
#: known for every layer: see _averaged)
MISTAKES = {
    Conv2d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-2, -1)), _FLIPPED),
             Mistake("transposed kernel", _transposed_kernel,
                     "the convolution with W's height and width axes swapped: W[o, c, i, j] multiplies "
                     "X[n, c, y + i, x + j] (i along the height, j along the width)"),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED),
             Mistake("im2col product reshaped to NCHW", _scrambled_reshape,
                     "your A is in the order of the im2col product reshaped straight to (N, C, OH, OW): "
                     "the product's rows run over (n, oh, ow) and its columns over the channels, so "
                     "reshape it to (N, OH, OW, C), then .transpose(0, 3, 1, 2)")],
    Conv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED),
             Mistake("padding not cropped", _uncropped_padding, _UNCROPPED.replace("(H + 2P, W + 2P)", "(L + 2P)")
                     .replace("dX[..., P:-P, P:-P]", "dX[..., P:-P]"))],
    SimpleConv1d: [Mistake("flipped kernel", functools.partial(_flipped_kernel, axes=(-1,)), _FLIPPED)],
    MaxPool2D: [Mistake("transposed backward", _pool_backward_transposed,
                        "your dX holds the right values at transposed positions (what belongs to row i "
                        "went to column i): when you put the gradient back into the input's shape, keep "
                        "the height and width axes in order (a .T or an unravel_index shape too many?)")],
    SimpleRNN: [Mistake("final state in BPTT", _rnn_final_state,
                        "your dW_h uses the final state h_T at every step: step t needs the state before "
                        "it, dW_h = sum over t of h_{t-1}^T da_t (keep every state from forward)"),
                Mistake("no W_h in forward", _rnn_without_w_h,
                        "your states ignore the previous state: a_t = x_t W_x + h_{t-1} W_h + B, "
                        "with h_0 = 0 and then the state of the step before"),
                Mistake("no gradient through W_h", _rnn_no_carry,
                        "your backward does not carry the gradient back in time: dL/dh_{t-1} is the "
                        "gradient from the output at t-1 plus da_t W_h^T from the step after it")],
    Sigmoid: [Mistake("1/1+np.exp(-A)", _one_plus_exp,
                      "your output is 1 + exp(-A): 1/1+np.exp(-A) divides 1 by 1 first; write "
                      "1 / (1 + np.exp(-A))")],
}


def _averaged(expected: dict, dA) -> list:
    """A gradient divided by a count of dA's entries (the batch, positions, time steps):
    the mean where the gradient is the sum. One Mistake for each divisor."""
    sizes = [n for n in np.shape(dA) if n > 1]
    divisors = sorted({int(np.prod(c)) for r in range(1, len(sizes) + 1) for c in itertools.combinations(sizes, r)})
    grads = {part: value for part, value in expected.items() if part.startswith("backward d") and part != "backward dX"}
    why = ("a mean over the batch (or the positions, or the time steps) where the gradient is their sum; "
           "the mean over the batch is taken once, in the loss")
    return [Mistake(f"{part} averaged over {k}", lambda ref, X, dA, part=part, k=k: {part: grads[part] / k},
                    f"your {part.split()[1]} is the expected one divided by {k}: {why}",
                    f"your {part.split()[1]} is the expected one divided by a count of the inputs: {why}")
            for part in grads for k in divisors]


class _Explainer:
    """``explain(part, got, tolerance)`` -> the hint of the first known mistake whose
    prediction for ``part`` the student's value equals ("" if none). ``mistakes`` are
    Mistakes whose ``predict(*inputs)`` gives {part: value}. Predictions are computed
    when first asked for, once each; a mistake that cannot be computed for these inputs is
    skipped. ``candidates(part)`` lists (mistake, predicted array) in that order: what a
    graded run records, so that the grader can give the same hints outside the kernel."""

    def __init__(self, mistakes, *inputs):
        self.mistakes, self.inputs = list(mistakes), inputs
        self.predictions = {}

    def candidates(self, part):
        for m in self.mistakes:
            if m.name not in self.predictions:
                self.predictions[m.name] = _predict(m, *self.inputs)
            found = self.predictions[m.name].get(part)
            for c in found if isinstance(found, list) else [found]:
                if c is not None:
                    yield m, np.asarray(c, np.float64)

    def __call__(self, part, got, tol):
        arr, _ = _numbers(got)
        if arr is None or arr.dtype.kind not in "biuf":
            return ""
        return next((m.hint for m, c in self.candidates(part) if _matches(arr.astype(np.float64), c, tol)), "")


def _layer_explainer(reference, X, dA, expected: dict) -> _Explainer:
    """The known mistakes of the reference's class and its bases, then the averaged gradients."""
    mistakes = [m for cls in type(reference).__mro__ for m in MISTAKES.get(cls, [])]
    return _Explainer(mistakes + _averaged(expected, dA), reference, X, dA)


def _hint_records(explain, part) -> list:
    """The known mistakes' predictions for ``part``, as a record carries them."""
    return [{"hint": m.hint, "hidden_hint": m.hidden_hint or m.hint, "npy": _npy(c)}
            for m, c in explain.candidates(part)]


def _predict(mistake, *inputs) -> dict:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return mistake.predict(*inputs)
    except ModelAnswerWithheld:  # the students' copy: the check takes the shipped hints (shipped.py)
        raise
    except Exception:  # not defined for these inputs (a pad of 0, an odd shape): no hint
        return {}


# -- the wrong formulas of an output size ------------------------------------------------
#: the parameters of an output size (sprintlib's output_size and output_size_2d, the notebooks'
#: reference_output_size...): their names in the reference function's signature, by role
_SIZE_PARAMETERS = {"n": ("n_in", "in_size"), "f": ("filter_size",), "s": ("stride",), "p": ("pad",)}


def _size_mistake(name, formula, hint):
    """A Mistake whose ``predict(sizes, parts)`` evaluates ``formula(n, f, s, p)`` on the
    check's arguments (ints, or pairs for both axes) and gives each part its value."""
    def predict(sizes, parts):
        value = np.asarray(formula(**sizes))
        if len(parts) == 1:
            return {parts[0]: value}
        return dict(zip(parts, np.broadcast_to(value, (len(parts),))))  # a tuple: (OH, OW)
    return Mistake(name, predict, hint)


#: what a wrong output-size formula gives, on the same arguments as the check's (the hints
#: name the formula, never the arguments: a hidden test's feedback shows them too)
SIZE_MISTAKES = [
    _size_mistake("padding on one side", lambda n, f, s, p: (n + p - f) // s + 1,
                  f"your size is what (N_in + P - F) // S + 1 gives: {_SIZE_RULE}, is the padding "
                  f"counted on both sides?"),
    _size_mistake("no padding", lambda n, f, s, p: (n - f) // s + 1,
                  f"your size is what (N_in - F) // S + 1 gives: the padding is left out; {_SIZE_RULE} "
                  f"(P zeros at each end)"),
    _size_mistake("stride not divided", lambda n, f, s, p: n + 2 * p - f + 1,
                  f"your size is what N_in + 2P - F + 1 gives: {_SIZE_RULE}, the windows move S at a time"),
    _size_mistake("F // S without parentheses", lambda n, f, s, p: n + 2 * p - f // s + 1,
                  f"your size is what N_in + 2P - F // S + 1 gives (// divides F alone): {_SIZE_RULE}, "
                  f"with the parentheses"),
]


def _function_explainer(reference_fn, name, args, kwargs, expected) -> _Explainer | None:
    """The known wrong formulas, when the reference computes an output size: its signature
    names an input size, a filter size, a stride and a padding; None otherwise."""
    sizes = _size_arguments(reference_fn, args, kwargs)
    if sizes is None:
        return None
    parts = [f"{name}[{i}]" for i in range(len(expected))] if isinstance(expected, tuple) else [name]
    return _Explainer(SIZE_MISTAKES, sizes, parts)


def _size_arguments(reference_fn, args, kwargs) -> dict | None:
    """{"n", "f", "s", "p": int arrays} of the check's arguments, or None."""
    try:
        bound = inspect.signature(reference_fn).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or arguments it does not take
        return None
    bound.apply_defaults()
    found = {role: next((bound.arguments[n] for n in names if n in bound.arguments), None)
             for role, names in _SIZE_PARAMETERS.items()}
    try:
        sizes = {role: np.asarray(v) for role, v in found.items()}
    except Exception:  # a ragged argument
        return None
    if not all(a.dtype.kind in "iu" and a.ndim <= 1 for a in sizes.values()):
        return None  # not an output size (or None where a role is missing)
    return sizes
