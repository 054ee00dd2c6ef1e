"""Both cores for a training step: independent pieces of work, shared by a few threads.

Why not the BLAS's own threads: a layer's products take a few MFLOP each, and OpenBLAS's
threads spin while they wait for each other, so one core held by another process makes
every product wait (benchmarks/README.md). Here the split is coarser, and no thread spins:

* ``for_slices(n, fn)`` cuts range(n) into a few more slices than there are threads and
  calls ``fn(start, stop)`` on each; the calling thread works through the slices itself,
  and the pool's threads take the ones it has not reached yet. A thread that another
  process keeps off its core only delays the slice it already took: the others go to
  whichever thread runs. NumPy releases the GIL in matmul and in the ufuncs, so the
  threads really run side by side.
* ``for_each(bounds, fn)`` calls ``fn(start, stop)`` for given pieces, one a thread: a
  model's two halves of a batch (``batch_halves``, fixed by the batch size alone), its
  layers' updates in two groups, SimpleRNN's backward (its loop, and the products of the
  steps the loop has finished). A job started inside a piece runs on its thread alone.
* The BLAS stays on one thread while they run (``threads.layer_threads()``, held by
  the caller for the whole job: the setting is the process's, not a thread's).
* How many threads: ``threads.policy().workers``, the CPUs the process may use, but one
  (everything on the calling thread, no pool at all) in a graded or parallel run, under
  ``SPRINTLIB_NUM_THREADS``, or with a CPU quota below 2.
* And only while the machine has an idle CPU (``idle_cpu()``: fewer threads running, this
  one included, than CPUs, read from /proc/loadavg at each call, 2 us): when every core is
  taken, a second thread only adds handovers and waits (benchmarks/README.md measured it:
  a LeNet step 2-16% and a SimpleRNN step 10-30% slower on two threads than on one when
  other processes kept both cores busy).

Every slice writes its own part of the result, and what is summed over pieces is summed
in one order whichever thread computed them, so the results are the same to the bit
whatever the number of threads (tests/test_fast_paths.py checks a LeNet step, a model's
halves and SimpleRNN's forward and backward).
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import os
import queue
import threading

import numpy as np

from . import threads as _threads

#: below this many values an operation is not worth waking a thread for (about 50 us of work)
MIN_SIZE = 50_000
#: below this many multiply-adds a stack of products is not worth sharing: handing a share to
#: the other thread and waiting for it cost about 0.45 ms a layer on the course machine (a
#: Conv2d 1 -> 6 forward and backward at N = 2, 1.9 million: 1.03 ms shared, 0.58 ms on one
#: thread; at N = 64, 7.5 million: alike; from 15 million on, sharing gained 5-20%)
MIN_PRODUCT = 10_000_000


class _Job:
    """One call of ``for_slices`` or ``for_each``: its slices, handed out one at a time, and
    who finished. Every slice runs in the caller's context (a copy for each thread): numpy's
    error state (``np.errstate``, which ``fit`` sets) is a context variable, and a pool
    thread's own would print the warnings the caller silenced."""

    def __init__(self, fn, bounds):
        self.fn, self.bounds = fn, bounds
        self.context = contextvars.copy_context()
        self.next = itertools.count()  # next() on it is atomic under the GIL
        self.done = 0
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.error = None

    def work(self):
        """Take slices until none is left; the thread that ends the last one says so. After
        an error (or Ctrl-C) in a slice, the slices nobody has taken yet are skipped."""
        context = self.context.copy()  # a context is entered by one thread at a time
        for k in iter(self.next.__next__, None):
            if k >= len(self.bounds):
                return
            if self.error is None:
                try:
                    context.run(self.fn, *self.bounds[k])
                except BaseException as exc:  # handed to the calling thread
                    self.error = exc
            with self.lock:
                self.done += 1
                if self.done == len(self.bounds):
                    self.finished.set()


class _Pool:
    """``n - 1`` daemon threads (the caller is the n-th), each waiting on its queue."""

    def __init__(self, n: int):
        self.n = n
        self.inbox = queue.SimpleQueue()
        for i in range(n - 1):
            threading.Thread(target=self._serve, name=f"sprintlib-{i + 1}", daemon=True).start()

    def _serve(self):
        _inside.active = True  # this thread only ever runs shares: a job inside one stays here
        while True:
            self.inbox.get().work()

    def run(self, fn, bounds):
        job = _Job(fn, bounds)
        for _ in range(min(self.n - 1, len(bounds) - 1)):
            self.inbox.put(job)
        job.work()
        try:
            job.finished.wait()  # only slices already taken by a thread are left
        except BaseException:  # Ctrl-C in a notebook, while another thread ends its slice:
            job.finished.wait()  # it ends first (a few ms), or the next step would share its arrays
            raise
        if job.error is not None:
            raise job.error


_pool = None
_pool_lock = threading.Lock()


try:
    _LOADAVG = os.open("/proc/loadavg", os.O_RDONLY)  # kept open: a pread is then 2 us
except OSError:  # not Linux: no way to tell, the policy alone decides
    _LOADAVG = None
_CPUS = os.cpu_count() or 1


def idle_cpu() -> bool:
    """True when fewer threads are running on the machine, this one included, than it has
    CPUs (the fourth field of /proc/loadavg, "running/total", counts them now)."""
    if _LOADAVG is None:
        return True
    try:
        running = int(os.pread(_LOADAVG, 128, 0).split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running < _CPUS


def workers() -> int:
    """The threads ``for_slices`` uses (the caller's included)."""
    return _threads.policy().workers


def _get_pool(n: int) -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.n != n:
            _pool = _Pool(n)
        return _pool


class _Inside(threading.local):
    active = False  # True while this thread runs a share of a job (always, in the pool's own
    # threads) or inside ``one_thread()``: no job inside a job


_inside = _Inside()


@contextlib.contextmanager
def one_thread():
    """``with one_thread():`` every job inside the block runs on this thread alone (profiles,
    which time one thread's work; the numbers are the same either way)."""
    before, _inside.active = _inside.active, True
    try:
        yield
    finally:
        _inside.active = before


def _share_out(fn, bounds) -> None:
    """``fn(*b)`` for every b of ``bounds``, on the pool's threads and this one.

    The BLAS's thread count is one setting for the whole process: it is held at one here,
    from before the first share starts until the last one has ended, so that no thread's
    ``layer_threads()`` block can end and hand the others' products two BLAS threads,
    which would then spin for 0.1 s after each product (and hold the core the pool needs)."""
    with _threads.layer_threads(), one_thread():
        _get_pool(workers()).run(fn, bounds)


def _one_thread(size: int, minimum: int | None = None) -> bool:
    """True when a job of ``size`` values runs on this thread alone (see ``for_slices``)."""
    minimum = MIN_SIZE if minimum is None else minimum
    return workers() == 1 or size < minimum or _inside.active or not idle_cpu()


def for_slices(n: int, fn, size: int = MIN_SIZE, per_thread: int = 2, minimum: int | None = None) -> None:
    """Call ``fn(start, stop)`` for slices that cover range(n), on ``workers()`` threads.

    ``size``: how many values the whole operation touches; below ``minimum`` (MIN_SIZE by
    default), with one worker or without an idle CPU, it is one call ``fn(0, n)`` on this thread.
    ``per_thread`` slices a thread. ``fn`` must write only its own slice of the result.
    """
    parts = min(n, workers() * per_thread)
    if parts < 2 or _one_thread(size, minimum):
        fn(0, n)
        return
    cuts = [round(n * k / parts) for k in range(parts + 1)]
    _share_out(fn, list(zip(cuts[:-1], cuts[1:])))


#: a batch of at least twice this many samples is trained in two halves (``batch_halves``)
MIN_HALF = 32


def batch_halves(n: int) -> list[tuple[int, int]]:
    """The slices a model trains a batch of ``n`` samples in: two halves from 2 * MIN_HALF
    samples on, else the whole batch. Fixed by ``n`` alone, never by the threads or the
    load, so that a training run gives the same numbers on every machine."""
    if n < 2 * MIN_HALF:
        return [(0, n)]
    return [(0, n // 2), (n // 2, n)]


def for_each(bounds, fn, size: int = MIN_SIZE) -> None:
    """Call ``fn(start, stop)`` for each pair of ``bounds``: on ``workers()`` threads when
    the rule of ``for_slices`` allows (``size`` values in all), else one after the other.
    Inside a share, ``for_slices`` and ``for_each`` run on their caller's thread alone."""
    if len(bounds) < 2 or _one_thread(size):
        for b in bounds:
            fn(*b)
        return
    _share_out(fn, list(bounds))


def matmul(A, B, out=None):
    """``np.matmul(A, B, out=out)`` for a stack of products (B (S, K, M), A (L, K) or a stack
    too): the S products shared by the threads, each writing its own part of ``out``."""
    if out is None:
        shape = np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + (A.shape[-2], B.shape[-1])
        out = np.empty(shape, dtype=np.result_type(A, B))
    S = out.shape[0]

    def part(a, b):
        np.matmul(A if A.ndim == 2 else A[a:b], B if B.ndim == 2 else B[a:b], out=out[a:b])

    for_slices(S, part, size=out.size * A.shape[-1], minimum=MIN_PRODUCT)  # size: multiply-adds
    return out
