"""sprintlib.fast: everything in sprintlib that is there for speed alone, fenced here.

The model answer is elsewhere: ``sprintlib.functional`` and ``sprintlib.layers`` hold the
plain vectorised algorithms the sprints teach (pad, im2col, one product, col2im; the loop
over time and the BPTT loop). This package computes the same numbers faster (within float
rounding: tests/test_*.py run every layer test on both paths), and the layers and models
reach it through one call each:

* ``conv2d_forward``, ``conv2d_backward``, ``rnn_forward``, ``rnn_backward``, and the
  poolings' forward and backward: the functions of ``sprintlib.functional`` of the same
  names and arguments (``avg_pool2d_backward`` is the model answer's own); a layer calls
  ``(fast if fast.enabled() else functional).conv2d_forward(...)`` and its backward takes
  the path its forward took (what forward keeps differs). Conv1d, FC and the activations
  have no fast copy;
* ``train_batch(model, X, y)``: ``fit``'s step (``ScratchClassifier._train_batch``);
* ``layer_threads()``: the BLAS threads around a layer's maths and around ``fit``'s loop.

One setting switches it all off: ``SPRINTLIB_FAST=0`` in the environment (read when
sprintlib is imported), or ``sprintlib.fast.disable()`` (``enable()`` turns it back on,
``with sprintlib.fast.use(False):`` for a block). Off, sprintlib runs the model answer
as written, and touches no thread setting.

Importing sprintlib changes nothing in the process: the thread policy is worked out at the
first layer call, and the BLAS's thread count is set only inside the calls (and put back).

What each trick buys, measured on 2026-12-06 on the 2-core course machine while other
sessions kept it busy (load average 5-9), float32, forward + backward of one layer or a
training step, median of 5 interleaved rounds (``python -m benchmarks.paths tricks``, with
OPENBLAS_NUM_THREADS=1 so that both paths multiply on one thread and the pool stays off;
then without, the default):

==========================  ==============================================================
``conv.py``                 im2col in two steps on images in the (H, C, W, N) order: the
                            width windows copied once (FW times the input instead of
                            FH*FW times), the height windows a view, one small product
                            per output row; backward without col2im's FH*FW passes.
                            Conv2d 6 -> 16, 5x5, pad 2, N = 128: 21 ms against 84 (4x)
``pool.py``                 pooling by a loop over the PH*PW entries of a window, each a
                            whole-array operation in the memory order of X, instead of
                            a reduction over a strided view and an argmax scatter.
                            MaxPool2D 2x2 on (128, 6, 28, 28): 2.7 ms against 22 (8x)
``rnn.py``                  SimpleRNN time-major, B in x_t's product, the batch's slices
                            on both cores, a vanished gradient flushed to zero (subnormal
                            numbers are ~100x slower to multiply). SimpleRNN(128) on
                            (128, 28, 28): 18 ms against 21 on one thread (1.15x);
                            its loops on the pool against one thread, a training step:
                            28.8 against 31.6 ms with a core free, 42.1 against 38.6
                            with both taken (kept: the pool only runs while a CPU is idle,
                            and never in a graded or 1-CPU run such as Binder's)
``halves.py``               ``fit``'s batch in two halves on replicas of the layers, on
                            two cores while one is idle: a LeNet step 105 ms against
                            130 whole (1.2x, default threads, loaded); on one thread the
                            halves cost 2-9% (kept: the halves depend on N alone, so a
                            training gives the same numbers on every machine)
``parallel.py``             the small thread pool the above share (threads that block
                            instead of spinning, only while a CPU is idle)
``threads.py``              one BLAS thread inside the layers: their products are too
                            small to share, OpenBLAS's threads spin, and a busy core makes
                            every product wait. With NumPy's default (a thread per core)
                            on the loaded machine the plain path's Conv2d above took
                            1,222 ms and its LeNet step 985 ms, against 52 ms for the fast
                            path's step
==========================  ==============================================================

Dropped: Conv1d through the (H, C, W, N) convolution on images of height 1 (a
Scratch1dCNNClassifier step on 100 MNIST rows of 784: 40.5 against 41.1 ms quiet, 53.8
against 51.4 busy, on one thread): Conv1d runs the model answer on both paths.
Keeping freed memory in glibc's heap (``mallopt``, process-wide): 1-39 page
faults a LeNet step fewer, but the CPU time a step within noise (17.3-19.1 ms against
16.1-17.7 ms float32, 29.3 against 28.4 ms float64).
The LeNet step of the fast path and of the code before this package was fenced (main,
run in the same rounds): 55 against 52 ms float32, 85 against 93 ms float64, SimpleRNN
16.7 against 19.1 ms: the same, within the machine's noise.
"""
from __future__ import annotations

import contextlib
import os

from . import threads
from .conv import conv2d_backward, conv2d_forward
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
           "train_batch", "conv2d_forward", "conv2d_backward",
           "rnn_forward", "rnn_backward", "max_pool2d_forward", "max_pool2d_backward",
           "avg_pool2d_forward", "avg_pool2d_backward"]
