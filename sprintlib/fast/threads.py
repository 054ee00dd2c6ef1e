"""How many threads the fast path's numerical work uses (part of sprintlib.fast).

Nothing here runs at import: the policy is worked out at the first call of ``policy()``
(the first layer call or ``fit`` with the fast path on), and the BLAS's thread count is only
changed inside ``with blas_threads(n):`` blocks, and put back after them. A student's own
NumPy code, outside sprintlib's calls, keeps the BLAS as NumPy started it.

Why a policy: NumPy's BLAS (OpenBLAS) starts one thread per core it sees and splits each
large enough matrix product among them. Where other processes share the cores (a Binder
container with a CPU quota on a busy node, several grading kernels at once, a laptop
running something else), a product waits for its slowest thread, and a thread waiting for
a core that another process holds makes every product wait: with one core of two held
busy, ``make demo`` took 41 s instead of 11.8 s, and a SimpleRNN epoch 5x longer.

The number of threads, ``POLICY.threads``: the first rule that applies.

1. ``SPRINTLIB_NUM_THREADS=n`` in the environment (n >= 1): n, cut to the machine's CPUs
   and the most threads its BLAS takes (``thread_limit``; the policy's reason says so).
2. A graded or parallel run, several kernels on one machine: one thread per kernel.
   nbgrader sets ``NBGRADER_EXECUTION`` in the kernels it runs, pytest-xdist sets
   ``PYTEST_XDIST_WORKER`` in each worker; any other runner says so with
   ``SPRINTLIB_NUM_THREADS=1``.
3. Otherwise the CPUs this process may really use: those of its affinity mask
   (``os.sched_getaffinity``: taskset, a batch system), cut to its container's CPU quota
   (cgroup v2 ``cpu.max``, cgroup v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``; 1.5 CPUs
   gives 1), at least 1; and never more than the BLAS was started with
   (``OPENBLAS_NUM_THREADS`` and the like keep their say).

``fit``, ``predict_proba`` and ``evaluate`` hold ``POLICY.layer_threads`` for their whole
loop (threadpoolctl sets it on every BLAS that NumPy loaded, and sets the count back at
the end of the call).

Why one BLAS thread inside the layers: a training step is hundreds of products of a
few MFLOP each, each over in well under a millisecond, far shorter than the time slice a
busy core makes a thread wait (benchmarks/README.md has the measurements: 28 products of
128x128 matrices took 4 ms on one thread and 103 ms on two on a loaded machine). So
``Layer.forward`` and ``Layer.backward`` run their maths with ``layer_threads()``: one
BLAS thread, unless ``SPRINTLIB_NUM_THREADS`` asks for more.

The layers can still use both cores, more coarsely: ``POLICY.workers`` threads (the
process's CPUs when the layers' BLAS has one thread; one in a graded or parallel run and
under ``SPRINTLIB_NUM_THREADS``) share the slices of the work, none of them spinning
(``fast/parallel.py``), while the machine has an idle CPU: the two halves of a
model's training batch (``ScratchClassifier._train_batch``), a stack of a convolution's
products, SimpleRNN's forward on half the batch each, its backward's loop on one thread
and the products of the steps the loop has finished on the other. The BLAS's thread count
is the process's, not a thread's: the pool holds it at one while its threads work.
"""
from __future__ import annotations

import importlib
import math
import os
from pathlib import Path
from typing import NamedTuple

import threading

ENV = "SPRINTLIB_NUM_THREADS"
#: environment variables that mark a kernel as one of several running at once
PARALLEL_RUNS = ("NBGRADER_EXECUTION", "PYTEST_XDIST_WORKER")


class Policy(NamedTuple):
    threads: int  # BLAS threads for the process
    layer_threads: int  # BLAS threads inside Layer.forward / backward
    reason: str  # which rule decided, for benchmarks and bug reports

    @property
    def workers(self) -> int:
        """Threads that share a layer's maths (``functional.parallel``), each with one BLAS
        thread: the process's CPUs when the layers' BLAS runs on one thread, else one."""
        return self.threads if self.layer_threads == 1 else 1


# -- what the machine allows ------------------------------------------------------------
def cgroup_cpu_quota(proc_cgroup="/proc/self/cgroup", root="/sys/fs/cgroup") -> float | None:
    """The CPUs this process's cgroups allow, e.g. 1.5 for a quota of 150 ms per 100 ms
    period; None without a quota. The smallest quota on the way up to the root applies.

    ``proc_cgroup`` lines are ``hierarchy:controllers:path`` (``0::/path`` for cgroup v2).
    Inside a container the path often names a cgroup that is mounted as ``root`` itself,
    so the mount's top directory is read too.
    """
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    root = Path(root)
    quotas = []
    for line in lines:
        hierarchy, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if hierarchy == "0":  # cgroup v2 (alone at root, or beside v1 under root/unified)
            quotas += [_v2_quota(d / "cpu.max") for mount in (root, root / "unified")
                       for d in _up_from(mount, path)]
        elif "cpu" in controllers.split(","):  # cgroup v1, mounted as cpu or cpu,cpuacct
            quotas += [_v1_quota(d) for mount in {root / controllers, root / "cpu", root / "cpu,cpuacct"}
                       for d in _up_from(mount, path)]
    quotas = [q for q in quotas if q is not None]
    return min(quotas) if quotas else None


def _up_from(mount: Path, path: str):
    """mount/path and each parent up to mount, the ones that exist."""
    d = mount / path.strip("/")
    while True:
        if d.is_dir():
            yield d
        if d == mount or mount not in d.parents:
            return
        d = d.parent


def _v2_quota(cpu_max: Path) -> float | None:
    """cpu.max holds "<quota> <period>" in microseconds, or "max <period>" (no quota)."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return None


def _v1_quota(d: Path) -> float | None:
    """cpu.cfs_quota_us / cpu.cfs_period_us; a quota of -1 means none."""
    try:
        quota = int((d / "cpu.cfs_quota_us").read_text())
        period = int((d / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


def usable_cpus(quota: float | None = None) -> int:
    """The CPUs this process may run on (affinity), no more than its quota allows, >= 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if quota is not None:
        cpus = min(cpus, math.floor(quota))
    return max(cpus, 1)


# -- the decision -----------------------------------------------------------------------
def decide(environ, cpus: int, blas_threads: int | None, limit: int | None = None) -> Policy:
    """The rules of the module's docstring, for the environment ``environ`` (a mapping),
    ``cpus`` usable CPUs and a BLAS started with ``blas_threads`` threads (None: no BLAS
    threadpoolctl knows). ``limit``: the most threads this machine can run at all (its CPUs,
    and the most its BLAS takes, ``thread_limit``); a larger ``SPRINTLIB_NUM_THREADS`` is cut
    to it, and the policy says so (the BLAS would cut it silently: 99999 gives OpenBLAS's 64)."""
    given = environ.get(ENV, "").strip()
    if given:
        if not given.isdigit() or int(given) < 1:
            raise ValueError(f"{ENV} expects a whole number >= 1, got {given!r}")
        n = int(given)
        if limit is not None and n > limit:
            return Policy(limit, limit, f"{ENV}={n}, cut to {limit}: the most threads this machine and its BLAS run")
        return Policy(n, n, f"{ENV}={n}")
    parallel = [name for name in PARALLEL_RUNS if environ.get(name)]
    if parallel:
        return Policy(1, 1, f"one thread per kernel ({parallel[0]} is set)")
    n, reason = cpus, f"{cpus} usable CPU{'s' if cpus > 1 else ''}"
    if blas_threads is not None and blas_threads < n:
        n, reason = blas_threads, f"the BLAS was started with {blas_threads} (of {reason})"
    return Policy(n, 1, reason)


# -- applying it ------------------------------------------------------------------------
#: threadpoolctl's handle on the BLAS libraries NumPy loaded (OpenBLAS, MKL, BLIS...), found
#: at the first use (``_blas()``); a test may set it to stand-ins
_BLAS = None
_lock = threading.Lock()


def _blas() -> list:
    global _BLAS
    with _lock:
        if _BLAS is None:
            importlib.import_module("numpy")  # loads NumPy's BLAS, which threadpoolctl looks for
            from threadpoolctl import ThreadpoolController
            _BLAS = ThreadpoolController().select(user_api="blas").lib_controllers
        return _BLAS


def _get() -> int | None:
    return max((lib.get_num_threads() for lib in _blas()), default=None)


def _set(n: int) -> None:
    for lib in _blas():
        lib.set_num_threads(n)


class blas_threads:
    """``with blas_threads(n):`` the BLAS uses n threads inside the block, and what it had
    after it. Costs a microsecond when it already has n (the usual case inside ``fit``)."""

    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        self.before = _get()
        if self.before is not None and self.before != self.n:
            _set(self.n)
        return self

    def __exit__(self, *exc):
        if self.before is not None and self.before != self.n:
            _set(self.before)
        return False


def layer_threads() -> blas_threads:
    """The BLAS threads for a layer's maths (``Layer.forward`` / ``backward``, ``fit``)."""
    return blas_threads(policy().layer_threads)


def thread_limit() -> int:
    """The most threads worth asking for: the machine's CPUs (all of them, affinity and quota
    aside: SPRINTLIB_NUM_THREADS may ask past those), and no more than the BLAS takes
    (OpenBLAS is built with a maximum, 64 in NumPy's wheels, and quietly uses that instead)."""
    limit = os.cpu_count() or 1
    before = _get()
    if before is not None:
        _set(limit)
        limit = min(limit, _get() or limit)  # what the BLAS really took
        _set(before)
    return max(limit, 1)


#: the policy, once worked out (``policy()``); a test may set it
POLICY: Policy | None = None


def policy() -> Policy:
    """The policy of this process, worked out at the first call from the environment and
    the machine (the BLAS's count is read, and set back as it was)."""
    global POLICY
    if POLICY is None:
        POLICY = decide(os.environ, usable_cpus(cgroup_cpu_quota()), _get(), thread_limit())
    return POLICY
