"""A class of sprint 1 submissions with known traits, for tests/test_class_report.py.

Each submission is sprint 1's release with answer cells filled in: the model answers
(build.samples' "correct") with one known mistake put in, or answers written another way
(three students' own code, two copies of two of them), or an output_size that knows the
visible cases only. ``CLASS`` says, student by student, what each was given; the test grades
them through `make grade` and checks the report against it.
"""
from __future__ import annotations

import re
import sys

import nbformat

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402

A = "sprint1_conv1d"
SOURCE = nbformat.read(str(ROOT / "autograder" / "source" / A / f"{A}.ipynb"), as_version=4)
RELEASE = nbformat.read(str(ROOT / "autograder" / "release" / A / f"{A}.ipynb"), as_version=4)
TESTS = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in SOURCE.cells
         if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def answer_cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


MODEL = {g: answer_cell(build.samples(RELEASE, SOURCE, {}, A)["correct"], g).source
         for g in ("p1_solution", "p2_solution", "p3_solution", "p4_solution", "p8_solution")}


def _head(grade_id: str) -> str:
    """The model answer's class up to its first method that is not __init__ (the starter
    code's docstring, param_names and __init__, which everyone hands in)."""
    return MODEL[grade_id].split("\n    def forward")[0]


def _replaced(grade_id: str, old: str, new: str) -> str:
    code = MODEL[grade_id]
    assert code.count(old) == 1, f"{grade_id}: {old!r} is not once in the model answer"
    return code.replace(old, new)


_OPTIMIZER = """        if self.optimizer is not None:
            self.optimizer.update(self)
"""

# -- the known mistakes, each one change of the model answer ---------------------------------------
#: dB averaged over the batch (the mean where the gradient is the sum): Conv1d, problems 4-8
DB_MEAN = {"p4_solution": _replaced(
    "p4_solution", "self.dB = dA.sum(axis=(0, 2))  # summed over the batch and the positions",
    "self.dB = dA.sum(axis=2).mean(axis=0)  # averaged over the batch")}
#: np.convolve in SimpleConv1d's forward: it flips the kernel (problems 1 and 3)
FLIPPED = {"p1_solution": _replaced(
    "p1_solution", """        A = np.zeros(L_out)
        for i in range(L_out):
            # output i looks at x[i], ..., x[i + F - 1]
            A[i] = np.sum(self.X[i:i + F] * self.W) + self.B[0]
""", """        A = np.convolve(self.X, self.W, mode="valid") + self.B[0]
""")}
#: the output size without its + 1 (problem 2)
NO_PLUS_ONE = {"p2_solution": _replaced("p2_solution", "// stride + 1", "// stride")}

# -- answers that fit the visible cases only --------------------------------------------------------
VISIBLE_IFS = {"p2_solution": '''def output_size(n_in, filter_size, stride=1, pad=0):
    """Number of outputs of a 1-D convolution"""
    if n_in == 4 and filter_size == 3:
        return 2
    if n_in == 28 and filter_size == 5:
        return 28
    if n_in == 20:
        return 9
    if n_in == 4 and filter_size == 5:
        return 1
'''}
VISIBLE_TABLE = {"p2_solution": '''KNOWN_SIZES = {(4, 3, 1, 0): 2, (28, 5, 1, 2): 28, (20, 3, 2, 0): 9, (4, 5, 2, 1): 1}


def output_size(n_in, filter_size, stride=1, pad=0):
    """Number of outputs of a 1-D convolution"""
    return KNOWN_SIZES[(n_in, filter_size, stride, pad)]
'''}

# -- three students' own answers, right ---------------------------------------------------------------
OWN_A = {
    "p1_solution": _head("p1_solution") + '''
    def forward(self, X):
        """X (L,) -> A (L - F + 1,)"""
        self.X = np.asarray(X, dtype=float)
        n_out = self.X.size - self.W.size + 1
        idx = np.arange(n_out)[:, None] + np.arange(self.W.size)[None, :]
        self.patches = self.X[idx]  # row i is the window of output i
        return self.patches @ self.W + self.B

    def backward(self, dA):
        """dA (L_out,) -> dX (L,); sets self.dW (F,) and self.dB (1,)"""
        dA = np.asarray(dA, dtype=float)
        n_out, k = dA.size, self.W.size
        idx = np.arange(n_out)[:, None] + np.arange(k)[None, :]
        self.dW = self.patches.T @ dA
        self.dB = np.array([dA.sum()])
        dX = np.zeros_like(self.X)
        np.add.at(dX, idx, np.outer(dA, self.W))  # add.at adds where windows overlap
''' + _OPTIMIZER + "        return dX\n",
    "p2_solution": '''import math


def output_size(n_in, filter_size, stride=1, pad=0):
    """Number of outputs of a 1-D convolution"""
    return math.floor((n_in + 2 * pad - filter_size) / stride) + 1
''',
    "p4_solution": _head("p4_solution") + '''
    def forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)"""
        X = np.asarray(X, dtype=float)
        self.single = X.ndim == 2
        if self.single:
            X = X[None]
        k, st, p = self.W.shape[-1], self.stride, self.pad
        self.xpad = np.pad(X, ((0, 0), (0, 0), (p, p)))
        n_out = (self.xpad.shape[-1] - k) // st + 1
        out = np.zeros((X.shape[0], self.W.shape[0], n_out))
        for j in range(k):
            piece = self.xpad[:, :, j:j + st * (n_out - 1) + 1:st]  # what tap j meets, (N, C_in, n_out)
            out += np.tensordot(piece, self.W[:, :, j], axes=([1], [1])).transpose(0, 2, 1)
        out += self.B[None, :, None]
        return out[0] if self.single else out

    def backward(self, dA):
        """dA shaped as A -> dX shaped as X; sets self.dW (C_out, C_in, F) and self.dB (C_out,)"""
        dA = np.asarray(dA, dtype=float)
        if self.single:
            dA = dA[None]
        k, st, p = self.W.shape[-1], self.stride, self.pad
        n_out = dA.shape[-1]
        self.dB = dA.sum(axis=2).sum(axis=0)
        self.dW = np.zeros_like(self.W)
        grad = np.zeros_like(self.xpad)
        for j in range(k):
            sl = slice(j, j + st * (n_out - 1) + 1, st)
            self.dW[:, :, j] = np.tensordot(dA, self.xpad[:, :, sl], axes=([0, 2], [0, 2]))
            grad[:, :, sl] += np.tensordot(dA, self.W[:, :, j], axes=([1], [0])).transpose(0, 2, 1)
        grad = grad[:, :, p:grad.shape[-1] - p]
''' + _OPTIMIZER + "        return grad[0] if self.single else grad\n",
}

OWN_B = {
    "p1_solution": _head("p1_solution") + '''
    def forward(self, X):
        """X (L,) -> A (L - F + 1,)"""
        self.X = np.asarray(X, dtype=float)
        # np.convolve flips its second argument: flip W first, so that it slides as it is
        return np.convolve(self.X, self.W[::-1], mode="valid") + self.B

    def backward(self, dA):
        """dA (L_out,) -> dX (L,); sets self.dW (F,) and self.dB (1,)"""
        dA = np.asarray(dA, dtype=float)
        self.dB = np.array([np.sum(dA)])
        self.dW = np.correlate(self.X, dA, mode="valid")
        dX = np.convolve(dA, self.W, mode="full")
''' + _OPTIMIZER + "        return dX\n",
    "p2_solution": '''def output_size(n_in, filter_size, stride=1, pad=0):
    """Number of outputs of a 1-D convolution"""
    span = n_in + 2 * pad - filter_size
    return int(span / stride) + 1
''',
    "p4_solution": _head("p4_solution") + '''
    def forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)"""
        X = np.asarray(X, dtype=float)
        self.was_2d = X.ndim == 2
        X = X[np.newaxis] if self.was_2d else X
        X = np.pad(X, [(0, 0), (0, 0), (self.pad, self.pad)])
        self.Xp = X
        n_filters, _, width = self.W.shape
        count = (X.shape[2] - width) // self.stride + 1
        A = np.empty((X.shape[0], n_filters, count))
        for i in range(count):
            start = i * self.stride
            window = X[:, :, start:start + width]
            A[:, :, i] = np.einsum("ncf,ocf->no", window, self.W) + self.B
        return A[0] if self.was_2d else A

    def backward(self, dA):
        """dA shaped as A -> dX shaped as X; sets self.dW (C_out, C_in, F) and self.dB (C_out,)"""
        dA = np.asarray(dA, dtype=float)
        dA = dA[np.newaxis] if self.was_2d else dA
        width = self.W.shape[2]
        self.dW = np.zeros(self.W.shape)
        dXp = np.zeros(self.Xp.shape)
        for i in range(dA.shape[2]):
            start = i * self.stride
            window = self.Xp[:, :, start:start + width]
            self.dW += np.einsum("no,ncf->ocf", dA[:, :, i], window)
            dXp[:, :, start:start + width] += np.einsum("no,ocf->ncf", dA[:, :, i], self.W)
        self.dB = dA.sum(axis=(0, 2))
        dX = dXp[:, :, self.pad:self.Xp.shape[2] - self.pad]
''' + _OPTIMIZER + "        return dX[0] if self.was_2d else dX\n",
}

#: written apart from OWN_A, the same ideas (the windows by fancy indexing; a loop over the taps)
OWN_C = {
    "p1_solution": _head("p1_solution") + '''
    def forward(self, X):
        """X (L,) -> A (L - F + 1,)"""
        self.X = np.asarray(X, dtype=float)
        F = self.W.shape[0]
        positions = len(self.X) - F + 1
        rows = np.arange(F) + np.arange(positions).reshape(-1, 1)
        self.windows = self.X[rows]
        return np.dot(self.windows, self.W) + self.B[0]

    def backward(self, dA):
        """dA (L_out,) -> dX (L,); sets self.dW (F,) and self.dB (1,)"""
        dA = np.asarray(dA, dtype=float)
        F = self.W.shape[0]
        self.dW = np.dot(dA, self.windows)
        self.dB = np.array([dA.sum()])
        dX = np.zeros(len(self.X))
        for i, g in enumerate(dA):
            dX[i:i + F] += g * self.W
''' + _OPTIMIZER + "        return dX\n",
    "p4_solution": _head("p4_solution") + '''
    def forward(self, X):
        """X (C_in, L) or (N, C_in, L) -> A (C_out, L_out) or (N, C_out, L_out)"""
        X = np.asarray(X, dtype=float)
        self.squeeze = X.ndim == 2
        if self.squeeze:
            X = X.reshape(1, *X.shape)
        P, S, F = self.pad, self.stride, self.W.shape[2]
        zeros = np.zeros(X.shape[:2] + (P,))
        self.Xp = np.concatenate([zeros, X, zeros], axis=2)
        L_out = (self.Xp.shape[2] - F) // S + 1
        A = np.zeros((X.shape[0], self.W.shape[0], L_out)) + self.B.reshape(1, -1, 1)
        for f in range(F):
            A += np.einsum("ncl,oc->nol", self.Xp[:, :, f:f + S * L_out:S], self.W[:, :, f])
        return A[0] if self.squeeze else A

    def backward(self, dA):
        """dA shaped as A -> dX shaped as X; sets self.dW (C_out, C_in, F) and self.dB (C_out,)"""
        dA = np.asarray(dA, dtype=float)
        if self.squeeze:
            dA = dA.reshape(1, *dA.shape)
        P, S, F = self.pad, self.stride, self.W.shape[2]
        L_out = dA.shape[2]
        self.dB = np.sum(dA, axis=(0, 2))
        self.dW = np.stack([np.einsum("nol,ncl->oc", dA, self.Xp[:, :, f:f + S * L_out:S]) for f in range(F)], axis=2)
        dXp = np.zeros_like(self.Xp)
        for f in range(F):
            dXp[:, :, f:f + S * L_out:S] += np.einsum("nol,oc->ncl", dA, self.W[:, :, f])
        dX = dXp[:, :, P:P + dXp.shape[2] - 2 * P]
''' + _OPTIMIZER + "        return dX[0] if self.squeeze else dX\n",
}


# -- copies: names changed, methods in another order, other comments ----------------------------------
def renamed(code: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        code = re.sub(rf"\b{re.escape(old)}\b", new, code)
    return code


def recommented(code: str) -> str:
    """Every comment gone from the methods; a comment of the copier's above each method."""
    code = re.sub(r"  # [^\n]*", "", code)
    return re.sub(r"\n    def (\w+)", r"\n    # my \1\n    def \1", code)


def reordered(code: str) -> str:
    """A class's methods after __init__ in the opposite order (backward before forward)."""
    head, *methods = re.split(r"\n(?=    def (?!__init__))", code)
    return "\n".join([head, *reversed([m.rstrip("\n") + "\n" for m in methods])])


COPY_A = {g: recommented(reordered(renamed(code, {
    "patches": "win", "idx": "ix", "n_out": "m", "piece": "chunk", "xpad": "padded", "single": "one_sample",
    "out": "res", "grad": "g_in", "st": "step", "sl": "cut"}))) for g, code in OWN_A.items()}
COPY_B = {g: recommented(renamed(code, {"was_2d": "flat", "Xp": "X_padded", "count": "n_pos", "width": "f",
                                         "start": "s0", "window": "part", "dXp": "d_padded", "span": "room"}))
          for g, code in OWN_B.items()}

#: student -> (their answers, what they are: "right", "db mean", "flipped", "no +1", "visible only");
#: the copies' originals are own_a and own_b; own_c is honest, and merely similar to own_a
CLASS = {
    "model_ans": ({}, "right"),
    "own_a": (OWN_A, "right"), "own_b": (OWN_B, "right"), "own_c": (OWN_C, "right"),
    "copy_a": (COPY_A, "right"), "copy_b": (COPY_B, "right"),
    "dbmean1": (DB_MEAN, "db mean"), "dbmean2": (DB_MEAN, "db mean"), "dbmean3": (DB_MEAN, "db mean"),
    "flip1": (FLIPPED, "flipped"), "flip2": (FLIPPED, "flipped"),
    "noplus1": (NO_PLUS_ONE, "no +1"), "noplus2": (NO_PLUS_ONE, "no +1"),
    "visible1": (VISIBLE_IFS, "visible only"), "visible2": (VISIBLE_TABLE, "visible only"),
}


def notebook(answers: dict[str, str]):
    """Sprint 1's release, the model answers in its answer cells but for ``answers``."""
    nb = build.samples(RELEASE, SOURCE, {}, A)["correct"]
    for grade_id, code in answers.items():
        answer_cell(nb, grade_id).source = code
    return nb


def write_class(submissions, students=CLASS) -> None:
    """Every student's notebook into ``submissions``/<student>/sprint1_conv1d/."""
    for student, (answers, _) in students.items():
        folder = submissions / student / A
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(answers), str(folder / f"{A}.ipynb"))
