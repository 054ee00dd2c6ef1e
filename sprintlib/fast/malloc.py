"""Keep freed memory for the next array instead of handing it back to the system (glibc only).

Why: a training step allocates and frees the same large arrays on every batch (a
convolution's windows and output, each 1-4 MB). glibc's malloc serves blocks above its
threshold (128 KB at first, raised as it sees them freed) with fresh pages from the
kernel and hands them back when they are freed, or trims them off the top of its heap;
the next array of that size then takes a page fault on each of its 4 KB pages. Measured
on the course machine: LeNet's first convolution forward took 3.7 ms of which 2 ms was
the kernel's, 1,241 page faults a call; with the settings below, 1.1 ms and none.

So, once at import: blocks up to 32 MB (glibc's largest threshold) come from the heap,
and up to 256 MB of free memory stays at its top. Peak memory does not grow (the same
arrays are reused); what a training freed at the end stays with the process until it exits,
as it would with most other allocators. ``SPRINTLIB_MALLOC=system`` leaves malloc as it is.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt's parameter numbers, from glibc's malloc.h
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum (on 64-bit)
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Set the two thresholds; False where there is no glibc (macOS, Windows, musl)."""
    if os.environ.get("SPRINTLIB_MALLOC") == "system":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


