"""sprintlib.fast: everything in sprintlib that is there for speed alone, fenced here.

The model answer is elsewhere: ``sprintlib.functional`` and ``sprintlib.layers`` hold the
plain vectorised algorithms the sprints teach (pad, im2col, one product, col2im; the loop
over time and the BPTT loop). This package computes the same numbers faster (within float
rounding: tests/test_*.py run every layer test on both paths), and the layers and models
reach it through one call each:

* ``conv2d_forward``, ``conv2d_backward``, ``conv1d_forward``, ``conv1d_backward``,
  ``rnn_forward``, ``rnn_backward``, the poolings' forward and backward: the functions of ``sprintlib.functional`` of the same
  names and arguments; a layer calls ``(fast if fast.enabled() else functional).conv2d_forward``
  and its backward takes the path its forward took (what forward keeps differs);
* ``train_batch(model, X, y)``: ``fit``'s step (``ScratchClassifier._train_batch``);
* ``layer_threads()``: the BLAS threads around a layer's maths and around ``fit``'s loop.

One setting switches it all off: ``SPRINTLIB_FAST=0`` in the environment (read when
sprintlib is imported), or ``sprintlib.fast.disable()`` (``enable()`` turns it back on,
``with sprintlib.fast.use(False):`` for a block). Off, sprintlib runs the model answer
as written, and touches no thread setting.

Importing sprintlib changes nothing in the process: the thread policy is worked out at the
first layer call, and the BLAS's thread count is set only inside the calls (and put back).

What each trick buys (a LeNet 'same' training step on a batch of 128, Adam, and a
SimpleRNN(128) step on MNIST rows, N = 128, T = 28, ``python -m benchmarks.bench_paths``,
plain path against fast path in the same rounds, on the 2-core course machine; the figures
of the last measurement are in benchmarks/README.md):

==========================  ==============================================================
``pool.py``                 pooling by a loop over the PH*PW entries of a window, each a
                            whole-array operation in the memory order of X
``conv.py``                 im2col in two steps on images in the (H, C, W, N) order: the
                            width windows copied once (FW times the input instead of
                            FH*FW times), the height windows a view, one small product
                            per output row; backward without col2im's FH*FW passes
``rnn.py``                  SimpleRNN time-major, B in x_t's product, the batch's slices
                            on both cores, a vanished gradient flushed to zero (subnormal
                            numbers are ~100x slower to multiply)
``halves.py``               ``fit``'s batch in two halves on replicas of the layers, on
                            two cores while one is idle
``parallel.py``             the small thread pool the three above share (threads that
                            block instead of spinning, only while a CPU is idle)
``threads.py``              one BLAS thread inside the layers (their products are too small
                            to share: OpenBLAS's threads spin, and a busy core makes every
                            product wait), the policy of how many threads the pool uses
==========================  ==============================================================
"""
from __future__ import annotations

import contextlib
import os

from . import threads
from .conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward
from .halves import train_batch
from .pool import avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from ..functional.pool import avg_pool2d_backward  # the model answer's: nothing faster
from .rnn import rnn_backward, rnn_forward

ENV = "SPRINTLIB_FAST"
_on = os.environ.get(ENV, "1").strip() not in ("0", "off", "false", "no")


def enabled() -> bool:
    """True while the fast path is on (the default; ``SPRINTLIB_FAST=0`` or ``disable()``: off)."""
    return _on


def enable() -> None:
    global _on
    _on = True


def disable() -> None:
    global _on
    _on = False


@contextlib.contextmanager
def use(on: bool):
    """``with use(False):`` the plain path inside the block, and the setting as it was after."""
    global _on
    before, _on = _on, bool(on)
    try:
        yield
    finally:
        _on = before


def layer_threads():
    """``with layer_threads():`` around a layer's maths or ``fit``'s loop: one BLAS thread
    (``threads.py``) when the fast path is on; nothing at all when it is off."""
    return threads.layer_threads() if _on else contextlib.nullcontext()


def thread_policy() -> threads.Policy:
    """How many threads the fast path uses, and why (``threads.py``)."""
    return threads.policy()


__all__ = ["enabled", "enable", "disable", "use", "layer_threads", "thread_policy",
           "train_batch", "conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward",
           "rnn_forward", "rnn_backward", "max_pool2d_forward", "max_pool2d_backward",
           "avg_pool2d_forward", "avg_pool2d_backward"]
