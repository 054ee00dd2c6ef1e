"""The fast path's thread policy (sprintlib/fast/threads.py): the CPUs a process may use (affinity, cgroup
v1 and v2 quotas, read from fake cgroup files), the rules of the decision, and that the
layers run their maths with the layers' thread count."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sprintlib import FC
from sprintlib.fast import threads as _threads
from sprintlib.fast.threads import Policy, cgroup_cpu_quota, decide, usable_cpus


# -- cgroup quotas ------------------------------------------------------------------------
def fake_cgroups(tmp_path, proc_lines, files):
    """A /proc/self/cgroup with ``proc_lines`` and a cgroup root holding ``files``
    ({relative path: content}); returns (proc_cgroup, root)."""
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text("\n".join(proc_lines) + "\n")
    root = tmp_path / "cgroup"
    root.mkdir()
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return proc, root


def test_cgroup_v2_quota(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["0::/user.slice/kernel"],
                              {"user.slice/kernel/cpu.max": "150000 100000\n", "cpu.max": "max 100000\n"})
    assert cgroup_cpu_quota(proc, root) == 1.5


def test_cgroup_v2_without_quota(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["0::/"], {"cpu.max": "max 100000\n"})
    assert cgroup_cpu_quota(proc, root) is None


def test_cgroup_v2_the_smallest_quota_on_the_way_up_applies(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["0::/a/b"],
                              {"a/b/cpu.max": "max 100000", "a/cpu.max": "100000 100000"})
    assert cgroup_cpu_quota(proc, root) == 1.0


def test_cgroup_v2_beside_v1_under_unified(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["0::/"], {"unified/cpu.max": "50000 100000"})
    assert cgroup_cpu_quota(proc, root) == 0.5


def test_cgroup_v1_quota(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["5:memory:/x", "4:cpu,cpuacct:/kernel"],
                              {"cpu,cpuacct/kernel/cpu.cfs_quota_us": "200000",
                               "cpu,cpuacct/kernel/cpu.cfs_period_us": "100000"})
    assert cgroup_cpu_quota(proc, root) == 2.0


def test_cgroup_v1_inside_a_container_reads_the_mount_itself(tmp_path):
    # the path names the container's cgroup on the host; inside, that cgroup is the mount
    proc, root = fake_cgroups(tmp_path, ["3:cpu:/docker/0123abcd"],
                              {"cpu/cpu.cfs_quota_us": "100000", "cpu/cpu.cfs_period_us": "100000"})
    assert cgroup_cpu_quota(proc, root) == 1.0


def test_cgroup_v1_without_quota(tmp_path):
    proc, root = fake_cgroups(tmp_path, ["3:cpu:/"],
                              {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"})
    assert cgroup_cpu_quota(proc, root) is None


def test_no_cgroup_files_no_quota(tmp_path):
    assert cgroup_cpu_quota(tmp_path / "missing", tmp_path) is None


def test_usable_cpus_follow_affinity_and_quota():
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus() == affinity
    assert usable_cpus(quota=1.5) == 1  # never more than the quota: 1.5 CPUs give 1 thread
    assert usable_cpus(quota=0.2) == 1  # at least one
    assert usable_cpus(quota=64.0) == affinity


# -- the decision ----------------------------------------------------------------------------
def test_by_default_the_usable_cpus_and_one_thread_in_the_layers():
    assert decide({}, cpus=4, blas_threads=4) == Policy(4, 1, "4 usable CPUs")


def test_never_more_than_the_blas_was_started_with():
    policy = decide({}, cpus=4, blas_threads=1)  # OPENBLAS_NUM_THREADS=1, say
    assert policy.threads == 1 and "started with 1" in policy.reason


@pytest.mark.parametrize("name", ["NBGRADER_EXECUTION", "PYTEST_XDIST_WORKER"])
def test_a_graded_or_parallel_run_gets_one_thread_per_kernel(name):
    policy = decide({name: "autograde"}, cpus=8, blas_threads=8)
    assert (policy.threads, policy.layer_threads) == (1, 1) and name in policy.reason


def test_the_environment_variable_overrides_everything():
    env = {"SPRINTLIB_NUM_THREADS": "3", "NBGRADER_EXECUTION": "autograde"}
    assert decide(env, cpus=2, blas_threads=2) == Policy(3, 3, "SPRINTLIB_NUM_THREADS=3")


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_override_is_named(value):
    with pytest.raises(ValueError, match=f"SPRINTLIB_NUM_THREADS expects a whole number >= 1, got '{value}'"):
        decide({"SPRINTLIB_NUM_THREADS": value}, cpus=2, blas_threads=2)


def test_decided_from_the_environment_at_the_first_use():
    code = "import sprintlib.fast.threads as t; print(t.policy().threads, t.policy().layer_threads)"
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    env.pop("SPRINTLIB_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]
    assert out.stderr == ""  # nbgrader fails a cell that writes to stderr


# -- applying it -----------------------------------------------------------------------------
class FakeBLAS:
    """Stands for a threadpoolctl LibController; records the thread counts it was given."""

    def __init__(self, n):
        self.n, self.seen = n, []

    def get_num_threads(self):
        return self.n

    def set_num_threads(self, n):
        self.n = n
        self.seen.append(n)


class Probe(FC):
    """An FC that notes the BLAS threads its maths ran with."""

    def _forward(self, X):
        self.threads_forward = _threads._get()
        return super()._forward(X)

    def _backward(self, dA):
        self.threads_backward = _threads._get()
        return super()._backward(dA)


def test_layers_run_their_maths_with_the_layer_threads_and_restore(monkeypatch):
    blas = FakeBLAS(4)
    monkeypatch.setattr(_threads, "_BLAS", [blas])
    monkeypatch.setattr(_threads, "POLICY", Policy(4, 1, "test"))
    layer = Probe(3, 2)
    layer.backward(np.ones((5, 2)) if layer.forward(np.ones((5, 3))) is not None else None)
    assert (layer.threads_forward, layer.threads_backward) == (1, 1)
    assert blas.n == 4 and blas.seen == [1, 4, 1, 4]


def test_blas_threads_is_a_no_op_when_the_count_is_already_right(monkeypatch):
    blas = FakeBLAS(1)
    monkeypatch.setattr(_threads, "_BLAS", [blas])
    with _threads.blas_threads(1):
        pass
    assert blas.seen == []


# -- importing sprintlib changes nothing process-wide ------------------------------------------
IMPORT_PROBE = r"""
import ctypes, json, os
called = []

class CDLL(ctypes.CDLL):  # notes every C function looked up (mallopt, ...)
    def __getattr__(self, name):
        called.append(name)
        return super().__getattr__(name)

ctypes.CDLL = CDLL
import numpy as np
from threadpoolctl import threadpool_info

def state():
    return {"threads": [(i["internal_api"], i["num_threads"]) for i in threadpool_info()],
            "environ": dict(os.environ)}

before = state()
import sprintlib
imported = state()
# a layer's maths and fit, on the fast path: their thread setting ends with the call
sprintlib.Conv2d(1, 2, 3).forward(np.ones((2, 1, 5, 5)))
sprintlib.LeNet(epochs=1, batch_size=64, verbose=False).fit(np.ones((64, 1, 28, 28)), np.arange(64) % 10)
print(json.dumps({"before": before, "imported": imported, "after": state(), "called": called,
                  "fast": sprintlib.fast.enabled()}))
"""


def test_importing_sprintlib_changes_nothing_process_wide():
    """No BLAS thread count set and no malloc setting at import (a student's own NumPy code
    keeps NumPy's defaults); the fast path sets the threads inside its calls only."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "SPRINTLIB_FAST")}
    # a BLAS with 2 threads in a graded kernel: the old import-time policy set it to 1
    env.update(OPENBLAS_NUM_THREADS="2", NBGRADER_EXECUTION="autograde")
    out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], env=env, capture_output=True, text=True,
                         check=True, timeout=300)
    got = json.loads(out.stdout)
    assert got["fast"] is True
    assert got["before"]["threads"] and ["openblas", 2] in got["before"]["threads"]
    assert got["imported"] == got["before"]  # threads and environment alike
    assert got["after"] == got["before"]
    assert "mallopt" not in got["called"]
