"""Phase "run it sandboxed": a rebuilt notebook executed cell by cell in a kernel the sandbox
launches (engine/sandbox.py), within the limits of limits.toml.

The kernel's outputs are capped (``LimitedClient``); a cell that runs past its time is
interrupted and the kernel made to forget the error; a dead or silent kernel stops the
notebook. What ran is reported per cell as a status; what the kernel printed is not used by
the judge (only its records are: engine/judge.py reads them).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from sprintlib import grading

from .course import grading_seed

ENGINE = Path(__file__).resolve().parent
KERNEL_NAME = "sprintlib-sandbox"


class LimitedClient(NotebookClient):
    """nbclient with a cap on what a cell may output: past it, outputs are dropped (one note
    says so). Records (sprintlib's MIME type) have their own caps: count and size."""

    def __init__(self, nb, limits: dict, **kw):
        super().__init__(nb, store_widget_state=False, **kw)
        self.limits = limits
        self.sizes = {}

    def handle_comm_msg(self, outs, msg, cell_index):
        """Comm messages are dropped: nbclient would keep every widget's state (no cap: a kernel
        opening comms without end fills this process's memory) and let an output widget take
        a cell's outputs. No test uses a widget."""
        return None

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") or {}
        used = self.sizes.setdefault(cell_index, {"bytes": 0, "records": 0, "noted": False})
        if grading.RECORD_MIME in data:
            size = len(json.dumps(data[grading.RECORD_MIME]))
            used["records"] += 1
            if size > self.limits["record_bytes"] or used["records"] > self.limits["records_per_cell"]:
                used["dropped"] = True
                return None
            return super().output(outs, {**msg, "content": {**content, "data": {grading.RECORD_MIME: data[grading.RECORD_MIME]}}},
                                  None, cell_index)
        size = len(content.get("text", "")) + len(json.dumps(data)) + len(json.dumps(content.get("traceback", [])))
        used["bytes"] += size
        if used["bytes"] > self.limits["output_bytes_per_cell"]:
            if not used["noted"]:
                used["noted"] = True
                outs.append(nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"\n[output cut: more than {self.limits['output_bytes_per_cell']} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def execute(run_nb, limits: dict, kernel_name: str, env: dict, cwd: Path) -> dict:
    """Run every cell in order within the per-cell and per-notebook time limits. Returns
    {"status": per cell "ok" | "error" | "timeout" | "not run", "notes": [...]}."""
    os.environ.update(env)
    # on a timeout nbclient interrupts the kernel (SIGINT) and reports an error at once; the
    # kernel's late output is dropped (it waits iopub_timeout for it, then stops listening)
    client = LimitedClient(run_nb, limits, timeout=limits["cell_seconds"], kernel_name=kernel_name,
                           allow_errors=True, interrupt_on_timeout=True, startup_timeout=limits["startup_seconds"],
                           error_on_timeout={"ename": "CellTimeout", "evalue": "the cell ran past its time limit",
                                             "traceback": []}, iopub_timeout=4,
                           record_timing=False, resources={"metadata": {"path": str(cwd)}},
                           shutdown_kernel="immediate")  # killed: no atexit of the student's runs
    status = ["not run"] * len(run_nb.cells)
    notes = []
    deadline = time.monotonic() + limits["notebook_seconds"]
    with client.setup_kernel():
        for i, cell in enumerate(run_nb.cells):
            left = deadline - time.monotonic()
            if left <= 1:
                notes.append(f"the notebook ran out of its {limits['notebook_seconds']} s: the cells after this point did not run")
                break
            client.timeout = int(min(limits["cell_seconds"], left))
            began = time.monotonic()
            try:
                client.execute_cell(cell, i)
                status[i] = "error" if any(o.get("output_type") == "error" for o in cell.outputs) else "ok"
                if time.monotonic() - began >= client.timeout:
                    status[i] = "timeout"
                    notes.append(f"a cell ran longer than {client.timeout} s and was interrupted")
                if status[i] != "ok" and not _forget_error(client):
                    notes.append("the kernel did not answer after the interrupt: the cells after this point did not run")
                    break
            except CellTimeoutError:  # waiting for the kernel's output after the reply
                status[i] = "timeout"
                notes.append("the kernel stopped answering: the cells after this point did not run")
                break
            except DeadKernelError:
                status[i] = "dead"
                notes.append("the kernel died (the process exited or crashed): the cells after this point did not run")
                break
    notes += limit_notes(client.sizes.values(), limits)
    return {"status": status, "notes": notes}


def limit_notes(used, limits: dict) -> list[str]:
    """What the output caps dropped, as notes (the grading report lists them)."""
    used = list(used)
    cut = sum(1 for u in used if u["noted"])
    notes = [f"{cut} cell(s) printed more than {limits['output_bytes_per_cell']} bytes: the rest of their output "
             f"was dropped"] if cut else []
    if any(u.get("dropped") for u in used):
        notes.append(f"check records past the output limits ({limits['records_per_cell']} a test part, "
                     f"{limits['record_bytes']} bytes each) were dropped")
    return notes


#: run after a cell that failed: the traceback IPython keeps (sys.last_traceback) holds the
#: failed call's frames and whatever they allocated (a memory bomb's gigabytes)
FORGET = "import sys as _s\n_s.last_type = _s.last_value = _s.last_traceback = _s.last_exc = None\ndel _s\nprint('alive')"


def _forget_error(client) -> bool:
    """Make the kernel forget the last error; False when it does not answer within 10 s."""
    probe = nbformat.v4.new_code_cell(FORGET)
    try:
        client.timeout = 10
        client.execute_cell(probe, 0, store_history=False)
    except Exception:
        return False
    return any("alive" in o.get("text", "") for o in probe.outputs)


def kernelspec(folder: Path, python: str, env: dict) -> Path:
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, str(ENGINE / "sandbox.py"), "kernel", "-f", "{connection_file}"],
        "display_name": "sprintlib grading sandbox", "language": "python", "env": env}))
    return folder


def base_env() -> dict:
    return {"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            grading.SEED_VARIABLE: grading_seed()}
