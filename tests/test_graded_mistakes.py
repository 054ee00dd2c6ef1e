"""Known mistakes injected into a sprint's answer cells and graded (issue 24, item 6): the
notebook's own test cell runs twice in this process, as autograder/grade.py runs it, once with
the model answers (the trusted run, "expected") and once with the injected answer (a student's
kernel, "got"), each part (the visible tests, then the hidden ones) on its own; the engine
(autograder/engine/judge.py) judges the records and words the feedback (engine/feedback.py).
Each mistake must be named in the feedback of the visible part and of the hidden one; the model
answer gets no hint and passes."""
from __future__ import annotations

import re
import sys

import pytest

from conftest import ROOT
from course_cells import cells, graded_environment
from graded import graded_part, judged


def _answer(assignment, grade_id, old, new) -> str:
    """The model answer of cell ``grade_id`` with ``old`` replaced by ``new`` (once, and it must be there)."""
    source = next(c.source for c in cells(assignment) if c.grade_id == grade_id)
    assert source.count(old) == 1, (grade_id, old)
    return source.replace(old, new)


def _namespace(assignment, test_id, answers: dict) -> dict:
    """The notebook's setup and answer cells, up to the test cell ``test_id``, run in a fresh
    namespace (the answer cells in ``answers`` replaced); the test cells before it do not run."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    for cell in cells(assignment):
        if cell.grade_id == test_id:
            return namespace
        if cell.kind != "test":
            exec(compile(answers.get(cell.grade_id, cell.source), f"<{cell.grade_id or 'setup'}>", "exec"), namespace)
            plt.close("all")
    raise AssertionError(f"{assignment} has no test cell {test_id}")


def graded(monkeypatch, tmp_path, assignment, test_id, answers: dict) -> dict:
    """{"visible": lines, "hidden": lines} of test cell ``test_id``'s feedback, the answers
    ``answers`` ({grade_id: source}) against the model answers; and whether each part passed."""
    test = next(c for c in cells(assignment) if c.grade_id == test_id)
    monkeypatch.setenv("SPRINTLIB_HIDDEN_IMAGES", str(tmp_path))
    out = {}
    with graded_environment(monkeypatch):
        runs = {}
        for mode, given in (("expected", {}), ("got", answers)):
            ns = _namespace(assignment, test_id, given)
            runs[mode] = [graded_part(monkeypatch, mode, lambda src=src: exec(compile(src, f"<{test_id}>", "exec"), ns))
                          for src in (test.visible, test.hidden) if src.strip()]
    for k, (expected, got) in enumerate(zip(runs["expected"], runs["got"])):
        ok, lines = judged(expected, got, hidden=k == 1)
        out["visible" if k == 0 else "hidden"] = (ok, lines)
    return out


def hints(lines) -> list[str]:
    return re.findall(r"hint: (.*)", "\n".join(lines))


# -- sprint 3: a summary that counts W but not B ------------------------------------------------
S3 = "sprint3_lenet"
W_ONLY = "your counts are those of the weights alone"


def test_a_summary_that_counts_w_but_not_b_is_named_when_graded(monkeypatch, tmp_path):
    wrong = _answer(S3, "p2_solution", 'for name in ("W", "B")', 'for name in ("W",)')
    result = graded(monkeypatch, tmp_path, S3, "p2_test", {"p2_solution": wrong})
    for part, (ok, lines) in result.items():
        assert not ok, lines
        rows = [line for line in lines if "parameters per layer" in line.split("\n")[0]]
        assert rows and all(f"hint: {W_ONLY}" in row for row in rows), (part, lines)
        assert all(h.startswith(W_ONLY) for h in hints(lines)), (part, lines)  # the shapes are right: no other hint
    assert len(result) == 2


def test_a_summary_wrong_otherwise_gets_no_w_only_hint(monkeypatch, tmp_path):
    """Counts one too many for every layer with weights: W + B + 1 is no known mistake."""
    wrong = _answer(S3, "p2_solution", "for name in (\"W\", \"B\") if hasattr(layer, name)))",
                    "for name in (\"W\", \"B\") if hasattr(layer, name)) + hasattr(layer, \"W\"))")
    result = graded(monkeypatch, tmp_path, S3, "p2_test", {"p2_solution": wrong})
    for part, (ok, lines) in result.items():
        assert not ok and not hints(lines), (part, lines)


def test_the_model_summary_passes_when_graded(monkeypatch, tmp_path):
    result = graded(monkeypatch, tmp_path, S3, "p2_test", {})
    assert all(ok and not hints(lines) for ok, lines in result.values()), result


# -- sprint 4: an h_0 that is not zero -----------------------------------------------------------
S4 = "sprint4_rnn"
H0 = "your states start from an h_0 that is not zero"
ZERO_H0 = "self.states = np.zeros((N, T + 1, self.n_nodes))  # states[:, t] = h_t, from h_0 = 0\n"


@pytest.mark.parametrize("test_id", ["p1_test_random", "p3_test_random"])
def test_a_random_h0_is_named_when_graded(test_id, monkeypatch, tmp_path):
    wrong = _answer(S4, "rnn_solution", ZERO_H0, ZERO_H0 + "        self.states[:, 0] = "
                    "0.5 * np.random.default_rng().standard_normal((N, self.n_nodes))\n")
    result = graded(monkeypatch, tmp_path, S4, test_id, {"rnn_solution": wrong})
    for part, (ok, lines) in result.items():
        assert not ok, lines
        named = [line for line in lines if f"hint: {H0}" in line]
        # each check of several time steps names it (any h_0 gives a single first state; the
        # visible part has two such checks of its three, the hidden one draws its own)
        assert len(named) >= 2, (part, lines)
        assert all(h.startswith(H0) for h in hints(lines)), (part, lines)
    assert len(result) == 2


def test_the_model_rnn_passes_when_graded(monkeypatch, tmp_path):
    result = graded(monkeypatch, tmp_path, S4, "p3_test_random", {})
    assert all(ok and not hints(lines) for ok, lines in result.values()), result


# -- the other common mistakes (issue 24, item 6) -------------------------------------------------
def _named_everywhere_wrong(result, words, at_least=1):
    """Each part fails and names the mistake ``words`` on at least ``at_least`` of its checks,
    and every hint it gives is that one."""
    for part, (ok, lines) in result.items():
        assert not ok, (part, lines)
        named = [line for line in lines if "hint: " in line and words in line]
        assert len(named) >= at_least, (part, lines)
        # (where the values cannot tell it from another, both are named: "one of these mistakes")
        assert all(words in h for h in hints(lines)), (part, lines)


@pytest.mark.parametrize("test_id, old, new", [
    ("p0_test_sigmoid", "return dZ * self.Z * (1 - self.Z)", "return dZ * self.A * (1 - self.A)"),
    ("p0_test_tanh", "return dZ * (1 - self.Z ** 2)", "return dZ * (1 - self.A ** 2)"),
], ids=["sigmoid", "tanh"])
def test_an_activation_s_derivative_at_its_input_is_named_when_graded(test_id, old, new, monkeypatch, tmp_path):
    """The derivative written through the output (A (1 - A), 1 - A^2) taken at the input."""
    wrong = _answer(S4, "p0_solution", old, new)
    for forward in ("self.Z = 1 / (1 + np.exp(-A))", "self.Z = np.tanh(A)"):
        wrong = wrong.replace(forward, "self.A = A\n        " + forward)
    result = graded(monkeypatch, tmp_path, S4, test_id, {"p0_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, "your backward takes the derivative at the input X", at_least=2)


@pytest.mark.parametrize("old, new, words", [
    ("dh_later = dA @ self.W_h.T", "dh_later = dA @ self.W_h",
     "your backward carries the gradient back to h_{t-1} through W_h as it is"),
    ("dh = dH[:, t] + dh_later", "dh = (dH[:, t] if t == T - 1 else 0) + dh_later",
     "your backward uses only the gradient of the last state"),
], ids=["carry through W_h untransposed", "last step's gradient only"])
def test_a_bptt_mistake_is_named_when_graded(old, new, words, monkeypatch, tmp_path):
    wrong = _answer(S4, "rnn_solution", old, new)
    result = graded(monkeypatch, tmp_path, S4, "p3_test_random", {"rnn_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, words)


S2 = "sprint2_conv2d"


def test_a_max_pool_that_ignores_its_stride_is_named_when_graded(monkeypatch, tmp_path):
    """Windows side by side whatever the stride: named where the stride is smaller than the
    window (the checks of windows side by side pass)."""
    wrong = _answer(S2, "p4_solution", "self.stride = pool_size if stride is None else stride",
                    "self.stride = pool_size")
    result = graded(monkeypatch, tmp_path, S2, "p4_test_forward", {"p4_solution": wrong})
    ok, lines = result["visible"]
    assert not ok
    side_by_side = "your output is that of windows side by side"
    # POOL_CASES' three of overlapping windows; on 3x3 windows 2 apart over 7 rows, a missing + 1
    # gives the same 2 rows, and the hint names both (each reproduces the values)
    assert len([h for h in hints(lines) if h.startswith(side_by_side)]) == 2, "\n".join(lines)
    assert len([h for h in hints(lines) if h.startswith("one of these mistakes") and side_by_side in h]) == 1, \
        "\n".join(lines)
    assert len(hints(lines)) == 3, "\n".join(lines)


def test_the_seeds_global_b_is_named_when_graded(monkeypatch, tmp_path):
    """The students' SimpleRNN notebook's own forward (the seeds' sample submission) adds its
    global b = np.array([1]) where self.B belongs: on the document's single sequence (where its
    reshape of the states from time-major changes nothing) the feedback names it."""
    sys.path.insert(0, str(ROOT / "autograder"))
    import build

    seeds = build.read_buggy(ROOT / "autograder" / "samples" / "buggy" / f"{S4}.py")
    result = graded(monkeypatch, tmp_path, S4, "p1_test_document",
                    {k: seeds[k] for k in ("p0_solution", "rnn_solution")})
    ok, lines = result["visible"]
    assert not ok
    verdict = next(line for line in lines if line.startswith("forward A: "))
    assert "hint: your states are those of a bias that is one number" in verdict, lines


def test_a_convolution_s_db_summed_over_the_batch_only_is_named_when_graded(monkeypatch, tmp_path):
    """An FC layer's np.sum(dA, axis=0) in a convolution: dB of shape (C_out, OH, OW)."""
    wrong = _answer(S2, "p1_solution", "        self.dB = dA.sum(axis=0)  # summed over images and positions\n",
                    "        self.dB = np.sum(self.dA_given, axis=0)  # (C_out, OH, OW)\n")
    wrong = wrong.replace('        """dA (N, C_out, OH, OW) -> dX (N, C_in, H, W); sets self.dW and self.dB"""\n',
                          '        """dA (N, C_out, OH, OW) -> dX (N, C_in, H, W); sets self.dW and self.dB"""\n'
                          '        self.dA_given = dA  # (N, C_out, OH, OW)\n')
    result = graded(monkeypatch, tmp_path, S2, "p1_test_backward", {"p1_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, "your dB is dA summed over axis 0 only", at_least=2)
    for _, lines in result.values():
        assert all("backward dB: " in line for line in lines if "hint:" in line), lines


def test_im2col_s_product_with_w_reshaped_wrongly_is_named_when_graded(monkeypatch, tmp_path):
    wrong = _answer(S2, "p1_solution", "A = self.cols @ self.W.reshape(C_out, -1).T + self.B",
                    "A = self.cols @ self.W.reshape(-1, C_out) + self.B")
    result = graded(monkeypatch, tmp_path, S2, "p1_test_forward", {"p1_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    # named on every check of several filters (with one, both reshapes give the same matrix)
    _named_everywhere_wrong(result, "your A is what im2col's columns give multiplied by W.reshape(-1, C_out)")


def test_rnn_states_with_h0_are_named_when_graded(monkeypatch, tmp_path):
    wrong = _answer(S4, "rnn_solution", "return self.states[:, 1:].copy()", "return self.states.copy()")
    result = graded(monkeypatch, tmp_path, S4, "p1_test_random", {"rnn_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, "your output starts with h_0 (zeros)", at_least=3)


S1 = "sprint1_conv1d"


def test_dw_by_np_convolve_without_reversing_da_is_named_when_graded(monkeypatch, tmp_path):
    """np.convolve(X, dA, 'valid') for dW: np.convolve reverses dA (dW is the correlation)."""
    wrong = _answer(S1, "p1_solution", "self.dW[s] = np.sum(dA * self.X[s:s + L_out])",
                    "self.dW[s] = np.sum(dA[::-1] * self.X[s:s + L_out])")
    result = graded(monkeypatch, tmp_path, S1, "p1_test_backward", {"p1_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, "your dW is what dA reversed along its positions gives")
    for _, lines in result.values():
        assert all(line.startswith("backward dW: ") for line in lines if "hint:" in line), lines


def test_bptt_s_carry_added_after_the_derivative_is_named_when_graded(monkeypatch, tmp_path):
    wrong = _answer(S4, "rnn_solution", "dh = dH[:, t] + dh_later  # h_t feeds the output and the next step: add both "
                    "paths\n", "dh = dH[:, t]\n")
    wrong = wrong.replace("dA = dh * (1 - h_t ** 2)  # through tanh", "dA = dh * (1 - h_t ** 2) + dh_later")
    result = graded(monkeypatch, tmp_path, S4, "p3_test_random", {"rnn_solution": wrong})
    assert set(result) == {"visible", "hidden"}
    _named_everywhere_wrong(result, "your backward adds the gradient carried back from step t + 1 after tanh's")
