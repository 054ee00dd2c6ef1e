"""The second trial of the course (issue 24): mistakes students make in these layers and
that no earlier test injected, and right answers written other ways, each one change of the
model answers, graded as tests/test_graded_mistakes.py grades them (the notebook's own test
cell, visible part then hidden part, in the trusted run and in the student's; the engine's
judge and feedback words). Every mistake loses its test cell's points and its feedback is
either the named mistake (a hint whose hypothesis gives the student's values) or no hint at
all; every right answer keeps every point, with no hint.

The cases of one test cell are graded in one test (the trusted run once), to keep the file
under two minutes. ``python tests/test_graded_trial.py`` prints the table of the trial.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from course_cells import cells, graded_environment
from graded import judge, judged
from engine.submission import END_RECORD  # noqa: E402  (graded put autograder/ on the path)
from test_graded_mistakes import _namespace

from engine.course import ASSIGNMENTS  # noqa: E402

S1, S2, S3, S4 = ASSIGNMENTS
ONE_SAMPLE = "sample of the batch alone: each sample adds its share"


class Case(NamedTuple):
    """One student: ``edits`` [(grade_id, old, new)] of the model answers (``old`` once in
    the cell); graded on the test cells ``tests``. ``named``: the words every hint of a
    failing part must hold (None: no hint may show, "" : any hint, not checked); a right
    answer (``right``) passes every part with no hint."""
    name: str
    assignment: str
    tests: tuple
    edits: tuple
    named: str | None = None
    right: bool = False


def _points(assignment) -> dict:
    from course_cells import build, ROOT

    nb = build.render(ROOT / "autograder" / "percent" / f"{assignment}.py")
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points", 0) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


# -- sprint 1 -------------------------------------------------------------------------------
CONV1D_AS_STRIDED = '''        X = np.asarray(X, dtype=float)
        self.batched = X.ndim == 3
        if not self.batched:
            X = X[np.newaxis]
        F, S, P = self.W.shape[2], self.stride, self.pad
        X = np.pad(X, ((0, 0), (0, 0), (P, P)))
        L_out = (X.shape[2] - F) // S + 1
        n, c, _ = X.strides
        # a view (N, C_in, L_out, F) of the windows: no copy
        self.cols = np.lib.stride_tricks.as_strided(X, (X.shape[0], X.shape[1], L_out, F), (n, c, S * X.strides[2], X.strides[2]))
        self.windows = np.arange(L_out)[:, np.newaxis] * S + np.arange(F)
        self.padded_shape = X.shape
        A = np.tensordot(self.cols, self.W, axes=([1, 3], [1, 2])).transpose(0, 2, 1) + self.B[:, np.newaxis]
        if not self.batched:
            A = A[0]
'''

SPRINT1 = [
    Case("SimpleConv1d: L - F outputs (the + 1 left out)", S1, ("p1_test_forward",),
         (("p1_solution", "L_out = len(self.X) - F + 1", "L_out = len(self.X) - F"),), "the + 1 is missing"),
    Case("Conv1d: padding on the left only", S1, ("p5_test",),
         (("p4_solution", "X = np.pad(X, ((0, 0), (0, 0), (P, P)))", "X = np.pad(X, ((0, 0), (0, 0), (P, 0)))"),), "is the padding counted on both sides"),
    Case("Conv1d: the stride applied to the input (every S-th entry, then stride 1)", S1, ("p7_test",),
         (("p4_solution", "L_out = (X.shape[2] - F) // S + 1\n        # windows[i, s] = i * S + s: the positions output "
           "i reads (its window)\n        self.windows = np.arange(L_out)[:, np.newaxis] * S + np.arange(F)",
           "X = X[:, :, ::S]  # the stride: every S-th entry\n        L_out = X.shape[2] - F + 1\n"
           "        self.windows = np.arange(L_out)[:, np.newaxis] + np.arange(F)"),), None),
    Case("Conv1d: dW of the last sample of the batch only", S1, ("p6_test",),
         (("p4_solution", 'self.dW = np.einsum("noi,ncis->ocs", dA, self.cols)',
           'self.dW = np.einsum("oi,cis->ocs", dA[-1], self.cols[-1])'),), ONE_SAMPLE),
    Case("Conv1d: W read as (C_in, C_out, F)", S1, ("p4_test_random",),
         (("p4_solution", 'A = np.einsum("ncis,ocs->noi", self.cols, self.W)',
           'A = np.einsum("ncis,cos->noi", self.cols, self.W)'),), None),
    Case("output_size: / where // is meant", S1, ("p2_test",),
         (("p2_solution", "return (n_in + 2 * pad - filter_size) // stride + 1",
           "return (n_in + 2 * pad - filter_size) / stride + 1"),), None),
    # right answers written other ways
    Case("output_size: int() of a true division (right)", S1, ("p2_test",),
         (("p2_solution", "return (n_in + 2 * pad - filter_size) // stride + 1",
           "return int((n_in + 2 * pad - filter_size) / stride) + 1"),), right=True),
    Case("Conv1d: as_strided windows and tensordot (right)", S1, ("p4_test_random", "p5_test", "p6_test", "p7_test"),
         (("p4_solution", None, CONV1D_AS_STRIDED),), right=True),
]

# -- sprint 2 -------------------------------------------------------------------------------
POOL_TIES = (("p4_solution", "self.argmax = windows.argmax(axis=2)  # which entry of each window held its maximum "
              "(the first)", "self.windows = windows  # (N, C, P * P, OH, OW)"),
             ("p4_solution", "np.where(self.argmax == k, dA, 0.0)",
              "np.where(self.windows[:, :, k] == self.windows.max(axis=2), dA, 0.0)"))

POOL_LOOPS = '''    def forward(self, X):
        """X (N, C, H, W) -> A (N, C, OH, OW)"""
        X = np.asarray(X, dtype=float)
        p, s = self.pool_size, self.stride
        n, c, h, w = X.shape
        out = np.zeros((n, c, (h - p) // s + 1, (w - p) // s + 1))
        self.where_max = {}  # (n, c, i, j) -> (row, column) of the window's first maximum
        for a in range(n):
            for b in range(c):
                for i in range(out.shape[2]):
                    for j in range(out.shape[3]):
                        window = X[a, b, i * s:i * s + p, j * s:j * s + p]
                        r, q = np.unravel_index(np.argmax(window), window.shape)
                        self.where_max[a, b, i, j] = (i * s + r, j * s + q)
                        out[a, b, i, j] = window[r, q]
        self.input_shape = X.shape
        return out

    def backward(self, dA):
        """dA (N, C, OH, OW) -> dX (N, C, H, W)"""
        grad = np.zeros(self.input_shape)
        for (a, b, i, j), (r, q) in self.where_max.items():
            grad[a, b, r, q] += dA[a, b, i, j]
        return grad
'''

CONV2D_LOOPS = '''    def forward(self, X):
        """X (N, C_in, H, W) -> A (N, C_out, OH, OW)"""
        X = np.asarray(X, dtype=float)
        C_out, _, FH, FW = self.W.shape
        S, P = self.stride, self.pad
        self.Xp = np.pad(X, ((0, 0), (0, 0), (P, P), (P, P)))
        OH, OW = (self.Xp.shape[2] - FH) // S + 1, (self.Xp.shape[3] - FW) // S + 1
        A = np.zeros((X.shape[0], C_out, OH, OW))
        for i in range(OH):
            for j in range(OW):
                patch = self.Xp[:, :, i * S:i * S + FH, j * S:j * S + FW]  # (N, C_in, FH, FW)
                A[:, :, i, j] = np.einsum("nchw,ochw->no", patch, self.W) + self.B
        return A

    def backward(self, dA):
        """dA (N, C_out, OH, OW) -> dX (N, C_in, H, W); sets self.dW and self.dB"""
        dA = np.asarray(dA, dtype=float)
        _, _, FH, FW = self.W.shape
        S, P = self.stride, self.pad
        self.dW, self.dB = np.zeros_like(self.W), dA.sum(axis=(0, 2, 3))
        dXp = np.zeros_like(self.Xp)
        for i in range(dA.shape[2]):
            for j in range(dA.shape[3]):
                patch = self.Xp[:, :, i * S:i * S + FH, j * S:j * S + FW]
                self.dW += np.einsum("no,nchw->ochw", dA[:, :, i, j], patch)
                dXp[:, :, i * S:i * S + FH, j * S:j * S + FW] += np.einsum("no,ochw->nchw", dA[:, :, i, j], self.W)
        dX = dXp[:, :, P:dXp.shape[2] - P, P:dXp.shape[3] - P]
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX
'''

SPRINT2 = [
    Case("MaxPool2D backward: the gradient to every maximum of a window (ties)", S2, ("p4_test_backward",), POOL_TIES,
         "your dX gives a window's gradient to every entry equal to its maximum"),
    Case("Flatten: channels last, (N, H, W, C) flattened", S2, ("p6_test",),
         (("p6_solution", "A = X.reshape(X.shape[0], -1)", "A = X.transpose(0, 2, 3, 1).reshape(X.shape[0], -1)"),
          ("p6_solution", "dX = np.asarray(dA).reshape(self.x_shape)",
           "N, C, H, W = self.x_shape\n        dX = np.asarray(dA).reshape(N, H, W, C).transpose(0, 3, 1, 2)")), None),
    Case("Conv2d: dW of the first image only", S2, ("p1_test_backward",),
         (("p1_solution", "self.dW = (dA.T @ self.cols).reshape(self.W.shape)",
           "n = len(dA) // self.x_shape[0]  # rows of one image\n"
           "        self.dW = (dA[:n].T @ self.cols[:n]).reshape(self.W.shape)"),), ONE_SAMPLE),
    Case("AveragePool2D backward: dA not divided by the window's size", S2, ("p5_test",),
         (("p5_solution", "dX[:, :, s:s + S * OH:S, t:t + S * OW:S] += dA / (P * P)",
           "dX[:, :, s:s + S * OH:S, t:t + S * OW:S] += dA"),), None),
    Case("AveragePool2D forward: divided by P, not P * P", S2, ("p5_test",),
         (("p5_solution", "A /= P * P", "A /= P"),), None),
    Case("im2col: padding on the top and left only", S2, ("p1_test_forward",),
         (("p1_solution", "X = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
           "X = np.pad(X, ((0, 0), (0, 0), (pad, 0), (pad, 0)))"),), None),
    Case("output_size_2d: FH for both axes", S2, ("p3_test",),
         (("p3_solution", "(W + 2 * pad - FW) // stride + 1", "(W + 2 * pad - FH) // stride + 1"),), None),
    # right answers written other ways
    Case("MaxPool2D: loops, argmax of each window, other attribute names (right)", S2,
         ("p4_test_forward", "p4_test_backward"), (("p4_solution", None, POOL_LOOPS),), right=True),
    Case("Conv2d: loops over the output positions, einsum, no im2col (right)", S2,
         ("p1_test_forward", "p1_test_backward"), (("p1_solution", None, CONV2D_LOOPS),), right=True),
]

# -- sprint 3 -------------------------------------------------------------------------------
SPRINT3 = [
    Case("LeNet: 'same' as a padding of 1", S3, ("p1_test_shapes",),
         (("p1_solution", 'pad = {"same": 2, "valid": 0}[padding]', 'pad = {"same": 1, "valid": 0}[padding]'),), None),
    Case("LeNet: the ReLU after the first FC left out", S3, ("p1_test_shapes",),
         (("p1_solution", "FC(n_flat, 120, init, opt, dtype), ReLU(dtype=dtype),", "FC(n_flat, 120, init, opt, dtype),"),),
         None),
    Case("LeNet loss: the mean over the classes too", S3, ("p1_test_backward",),
         (("p1_solution", "self.softmax.forward(self.forward(X))\n        return self.softmax.loss(y)",
           "Z = self.softmax.forward(self.forward(X))\n"
           "        return float(-np.mean(np.eye(Z.shape[1])[y] * np.log(Z + 1e-7)))"),), None),
    Case("LeNet backward: the layers in forward order", S3, ("p1_test_backward",),
         (("p1_solution", "for layer in reversed(self.layers):\n            dA = layer.backward(dA)\n        return dA",
           "for layer in self.layers:\n            dA = layer.backward(dA)\n        return dA"),), None),
    Case("layer_summary: shapes with the batch axis", S3, ("p2_test",),
         (("p2_solution", "shapes.append(tuple(A.shape[1:]))", "shapes.append(tuple(A.shape))"),), None),
    # right answers written other ways
    Case("LeNet loss: the document's cross-entropy, log(Z + 1e-7) (right)", S3, ("p1_test_backward",),
         (("p1_solution", "self.softmax.forward(self.forward(X))\n        return self.softmax.loss(y)",
           "Z = self.softmax.forward(self.forward(X))\n"
           "        return float(-np.sum(np.log(Z[np.arange(len(y)), y] + 1e-7)) / len(y))"),), right=True),
]

# -- sprint 4 -------------------------------------------------------------------------------
RNN_FLOAT32 = '''        N, T, _ = X.shape
        X = np.asarray(X, dtype=np.float32)
        W_x, W_h, B = (np.asarray(w, dtype=np.float32) for w in (self.W_x, self.W_h, self.B))
        self.X = X
        self.states = np.zeros((N, T + 1, self.n_nodes), dtype=np.float32)
        for t in range(T):
            self.states[:, t + 1] = np.tanh(X[:, t] @ W_x + self.states[:, t] @ W_h + B)
        return self.states[:, 1:].copy()
'''

RNN_EINSUM = '''        self.inputs = np.asarray(X, dtype=float)
        self.hs = [np.zeros((X.shape[0], self.n_nodes))]  # h_0, h_1, ..., h_T
        for x_t in np.moveaxis(self.inputs, 1, 0):  # (N, F) each
            self.hs.append(np.tanh(np.einsum("nf,fh->nh", x_t, self.W_x) + np.einsum("nk,kh->nh", self.hs[-1], self.W_h)
                                   + self.B))
        return np.stack(self.hs[1:], axis=1)
'''

RNN_EINSUM_BACKWARD = '''        grad_next = np.zeros_like(self.hs[0])
        dX = np.zeros_like(self.inputs)
        self.dW_x, self.dW_h, self.dB = np.zeros_like(self.W_x), np.zeros_like(self.W_h), np.zeros_like(self.B)
        for t in range(dH.shape[1] - 1, -1, -1):
            da = (dH[:, t] + grad_next) * (1 - self.hs[t + 1] ** 2)
            self.dW_x += np.einsum("nf,nh->fh", self.inputs[:, t], da)
            self.dW_h += np.einsum("nk,nh->kh", self.hs[t], da)
            self.dB += da.sum(0)
            dX[:, t] = np.einsum("nh,fh->nf", da, self.W_x)
            grad_next = np.einsum("nh,kh->nk", da, self.W_h)
        if self.optimizer is not None:
            self.optimizer.update(self)
        return dX
'''

SPRINT4 = [
    Case("SimpleRNN backward: tanh' as 1 - a_t^2, a_t the pre-activation", S4, ("p3_test_random",),
         (("rnn_solution", "self.states[:, t + 1] = np.tanh(A)",
           "self.pre = getattr(self, 'pre', {})\n            self.pre[t] = A\n            self.states[:, t + 1] = np.tanh(A)"),
          ("rnn_solution", "dA = dh * (1 - h_t ** 2)  # through tanh", "dA = dh * (1 - self.pre[t] ** 2)")),
         "your backward takes tanh's derivative as 1 - a_t^2, with a_t the pre-activation"),
    Case("SimpleRNN forward: the bias left out", S4, ("p1_test_random",),
         (("rnn_solution", "A = X[:, t] @ self.W_x + self.states[:, t] @ self.W_h + self.B",
           "A = X[:, t] @ self.W_x + self.states[:, t] @ self.W_h"),), "without the bias"),
    Case("SimpleRNN backward: dW_h with h_t, the state the step made", S4, ("p3_test_random",),
         (("rnn_solution", "self.dW_h += h_prev.T @ dA", "self.dW_h += h_t.T @ dA"),), "your dW_h uses h_t, the state step t made"),
    Case("SimpleRNN backward: dX through W_x untransposed", S4, ("p3_test_random",),
         (("rnn_solution", "dX[:, t] = dA @ self.W_x.T", "dX[:, t] = dA @ self.W_x"),), None),
    Case("SimpleRNN forward: the last state h_T only", S4, ("p1_test_random",),
         (("rnn_solution", "return self.states[:, 1:].copy()", "return self.states[:, -1].copy()"),), "your output is the last state h_T alone"),
    Case("Tanh backward: 1 - tanh(Z)^2, the output put through tanh again", S4, ("p0_test_tanh",),
         (("p0_solution", "return dZ * (1 - self.Z ** 2)", "return dZ * (1 - np.tanh(self.Z) ** 2)"),), None),
    # right answers written other ways
    Case("Sigmoid as exp(A) / (1 + exp(A)), Tanh through exp (right)", S4, ("p0_test_sigmoid", "p0_test_tanh"),
         (("p0_solution", "self.Z = 1 / (1 + np.exp(-A))", "self.Z = np.exp(A) / (1 + np.exp(A))"),
          ("p0_solution", "self.Z = np.tanh(A)", "self.Z = (np.exp(A) - np.exp(-A)) / (np.exp(A) + np.exp(-A))")),
         right=True),
    Case("SimpleRNN: einsum, a list of states, other attribute names (right)", S4,
         ("p1_test_random", "p3_test_random"),
         (("rnn_solution", "forward", RNN_EINSUM), ("rnn_solution", "backward", RNN_EINSUM_BACKWARD)), right=True),
    Case("SimpleRNN forward in float32 everywhere (right)", S4, ("p1_test_random",),
         (("rnn_solution", "forward", RNN_FLOAT32),), right=True),
]

CASES = SPRINT1 + SPRINT2 + SPRINT3 + SPRINT4


# -- applying a case ---------------------------------------------------------------------------
SOLUTION = re.compile(r"(        ### BEGIN SOLUTION\n)(.*?)(        ### END SOLUTION)", re.S)


def _method_body(source: str, method: str, body: str) -> str:
    """``source`` with the solution block of ``method`` (def forward / def backward) replaced by ``body``."""
    start = source.index(f"    def {method}(")
    m = SOLUTION.search(source, start)
    return source[:m.start(2)] + body + source[m.end(2):]


def _class_methods(source: str, methods: str) -> str:
    """``source`` with its class's forward and backward replaced by ``methods`` (their defs)."""
    start = source.index("    def forward(")
    end_m = SOLUTION.search(source, source.index("    def backward(", start))
    end = source.index("\n\n", end_m.end()) if "\n\n" in source[end_m.end():] else len(source)
    return source[:start] + methods + source[end:]


def answers(case: Case) -> dict:
    """{grade_id: source} of the case's answer cells."""
    out = {}
    for grade_id, old, new in case.edits:
        source = out.get(grade_id) or next(c.source for c in cells(case.assignment) if c.grade_id == grade_id)
        if old is None:
            source = _replace_class(source, grade_id, new)
        elif old in ("forward", "backward"):
            source = _method_body(source, old, new)
        else:
            assert source.count(old) == 1, (case.name, grade_id, old)
            source = source.replace(old, new)
        out[grade_id] = source
    return out


def _replace_class(source, grade_id, new):
    """A whole body of methods (a def forward ... ) for the layer of the cell, or the solution
    block of Conv1d's forward (a body: it does not start with a def)."""
    if new.lstrip().startswith("def "):
        if grade_id == "p1_solution" and "class Conv2d" in source:
            head, conv = source.split("class Conv2d", 1)
            return head + "class Conv2d" + _class_methods(conv, new)
        return _class_methods(source, new)
    return _method_body(source, "forward", new)


def grade_cell(monkeypatch, tmp_path, assignment, test_id, given: list[dict]) -> list[dict]:
    """For each answers dict of ``given``: {"visible"/"hidden": (passed, lines)} of test
    cell ``test_id``, the trusted run made once."""
    test = next(c for c in cells(assignment) if c.grade_id == test_id)
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    parts = [src for src in (test.visible, test.hidden) if src.strip()]

    def run(mode, answers):
        ns = _namespace(assignment, test_id, answers)
        return [_record(monkeypatch, mode, lambda src=src: exec(compile(src, f"<{test_id}>", "exec"), ns))
                for src in parts]

    results = []
    with graded_environment(monkeypatch):
        expected = run("expected", {})
        for answers_ in given:
            got = run("got", answers_)
            results.append({("visible", "hidden")[k]: judged(e, g, hidden=k == 1)
                            for k, (e, g) in enumerate(zip(expected, got))})
    return results


def _record(monkeypatch, mode, part) -> dict:
    """graded_part, where the part may raise, as a student's code does in a kernel: the error
    ends the part (no end record), and the judge reads its type and message."""
    import IPython.display

    from sprintlib import grading

    found, errors = [], []
    monkeypatch.setenv(grading.RECORD_VARIABLE, mode)
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data: found.append(data[grading.RECORD_MIME]))
    try:
        part()
        found.append({"name": END_RECORD})
    except Exception as e:  # noqa: BLE001  (the student's code: any error)
        errors.append({"output_type": "error", "ename": type(e).__name__, "evalue": str(e)})
    finally:
        monkeypatch.delenv(grading.RECORD_VARIABLE)
    cell = {"outputs": [{"output_type": "display_data", "data": {grading.RECORD_MIME: r}} for r in found] + errors}
    return judge.part_summary(cell, "error" if errors else "ok")


def hints(lines) -> list[str]:
    return re.findall(r"hint: (.*)", "\n".join(lines))


def by_cell(cases):
    """{(assignment, test_id): [case, ...]}"""
    groups = {}
    for case in cases:
        for test_id in case.tests:
            groups.setdefault((case.assignment, test_id), []).append(case)
    return groups


GROUPS = by_cell(CASES)


def verdict(case: Case, result: dict) -> str | None:
    """What is wrong with a case's grade and feedback (None: acceptable)."""
    failed = [part for part, (ok, _) in result.items() if not ok]
    said = [h for _, lines in result.values() for h in hints(lines)]
    if case.right:
        return None if not failed and not said else f"a right answer lost points or got hints: {result}"
    if not failed:
        return "full marks for a mistake"
    if case.named is None and said:
        return f"a hint where none fits: {said}"
    if case.named and not all(case.named in h for h in said):
        return f"a hint other than {case.named!r}: {said}"
    if case.named and not said:
        return f"no hint, where {case.named!r} is expected"
    return None


@pytest.mark.parametrize("cell", list(GROUPS), ids=[f"{a}-{t}" for a, t in GROUPS])
def test_each_trial_case_is_graded_right(cell, monkeypatch, tmp_path):
    cases = GROUPS[cell]
    results = grade_cell(monkeypatch, tmp_path, *cell, [answers(c) for c in cases])
    wrong = {c.name: v for c, r in zip(cases, results) if (v := verdict(c, r))}
    assert not wrong, wrong


if __name__ == "__main__":  # the table of the trial
    import sys

    only = sys.argv[1:]
    with pytest.MonkeyPatch.context() as mp:
        import tempfile
        from pathlib import Path

        for (assignment, test_id), cases in GROUPS.items():
            if only and not any(o in f"{assignment}-{test_id}" for o in only):
                continue
            points = _points(assignment)[test_id]
            with tempfile.TemporaryDirectory() as tmp:
                results = grade_cell(mp, Path(tmp), assignment, test_id, [answers(c) for c in cases])
            for case, result in zip(cases, results):
                lost = points if any(not ok for ok, _ in result.values()) else 0
                print(f"### {case.name} | {test_id} | lost {lost}/{points} | {verdict(case, result) or 'acceptable'}")
                for part, (ok, lines) in result.items():
                    print(f"  [{part}] {'pass' if ok else 'FAIL'}")
                    for line in lines:
                        print("    " + line.replace("\n", "\n    "))
