"""Where a training step's time goes: CPU time per layer, forward and backward, of a LeNet
step (batch 128, fit's ``_train_batch``) and the SimpleRNN(128) step of bench_rnn.py, all on
one thread (``parallel.one_thread()``; the layers' BLAS runs on one thread): CPU time, which
other processes' load moves much less than wall time. Not part of make bench;
benchmarks/README.md summarises what it showed.

    python -m benchmarks.profile_step [float32|float64]
"""
from __future__ import annotations

import resource
import sys
import time

import numpy as np

from sprintlib import LeNet, SGD, SimpleRNN, XavierInitializer
from sprintlib.data import load_mnist
from sprintlib.fast import parallel
from sprintlib.fast import threads as _threads


def lenet_breakdown(dtype, steps: int = 40) -> tuple[dict, float, dict]:
    """({(layer index, "forward"/"backward", name): CPU ms per step}, total ms, page faults and
    kernel ms per step), for fit's step (``_train_batch``: the batch's two halves, inside the
    model's chain) on one thread."""
    (X, y), _ = load_mnist(flatten=False, dtype=np.float32)
    model = LeNet("same", lr=1e-3, batch_size=128, dtype=dtype, random_state=0, verbose=False).build((1, 28, 28), 10)
    Xb, yb = X[:128].astype(dtype), y[:128]
    spent = {}

    def timed(key, fn):
        def call(arg):
            start = time.process_time()
            out = fn(arg)
            spent[key] = spent.get(key, 0.0) + time.process_time() - start
            return out
        return call

    model._train_batch(Xb, yb)  # makes the replicas that run the halves; time their layers
    for twin in model._replica_models:
        for i, layer in enumerate(twin.layers):
            for what in ("forward", "backward"):
                setattr(layer, what, timed((i, what, layer.name), getattr(layer, what)))
    with _threads.layer_threads(), parallel.one_thread():
        for _ in range(5):
            model._train_batch(Xb, yb)
        spent.clear()
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
        for _ in range(steps):
            model._train_batch(Xb, yb)
        total = time.process_time() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
    system = {"page faults": (after.ru_minflt - before.ru_minflt) / steps,
              "kernel ms": 1e3 * (after.ru_stime - before.ru_stime) / steps}
    return {k: 1e3 * v / steps for k, v in spent.items()}, 1e3 * total / steps, system


def rnn_step_ms(dtype, steps: int = 40) -> tuple[float, float]:
    """(forward, backward) CPU ms of bench_rnn.py's step."""
    rng = np.random.default_rng(0)
    X, dh = rng.random((128, 28, 28)).astype(dtype), rng.standard_normal((128, 128)).astype(dtype)
    rnn = SimpleRNN(28, 128, initializer=XavierInitializer(random_state=0, dtype=dtype), optimizer=SGD(0.01),
                    dtype=dtype)
    rnn.needs_input_grad = False  # as in bench_rnn.py: a first layer
    fwd = bwd = 0.0
    with _threads.layer_threads(), parallel.one_thread():
        for i in range(steps + 5):
            start = time.process_time()
            rnn.forward(X)
            middle = time.process_time()
            rnn.backward(dh)
            if i >= 5:
                fwd, bwd = fwd + middle - start, bwd + time.process_time() - middle
    return 1e3 * fwd / steps, 1e3 * bwd / steps


def main(dtype_name: str = "float32"):
    dtype = np.dtype(dtype_name).type
    layers, total, system = lenet_breakdown(dtype)
    print(f"LeNet step, batch 128, {dtype_name}: {total:.1f} ms CPU "
          f"({system['page faults']:.0f} page faults, {system['kernel ms']:.2f} ms in the kernel)")
    for (i, what, name), ms in sorted(layers.items(), key=lambda kv: -kv[1]):
        print(f"  {ms:6.2f} ms  {100 * ms / total:4.1f}%  {i:2d} {name} {what}")
    fwd, bwd = rnn_step_ms(dtype)
    print(f"SimpleRNN(128) step on (128, 28, 28), {dtype_name}: forward {fwd:.2f} ms, backward {bwd:.2f} ms CPU")


if __name__ == "__main__":
    main(*sys.argv[1:])
