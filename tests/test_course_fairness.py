"""No hidden test grades what nothing visible shows, and no grade depends on a name the student
chose (issue 24, items 3 and 4).

Item 3. Each test cell's hidden part may draw layer configurations (strides, paddings, pool
sizes, batch sizes, channel counts, filter and input shapes, LeNet's padding and batch size,
a summary's input) and function arguments. The hidden part is run here with several course
seeds (``SPRINTLIB_GRADING_SEED``), sprintlib.grading's checks replaced by a recorder
(tests/course_cells.py), and so is the visible part: every feature the hidden part can draw
(a stride > 1, a padding, overlapping pooling windows, a batch of one...) must be shown by a
check of the visible part of the same cell, and every parameter the hidden part varies must
take more than one value in the visible part too. What the problem text says is read by a
person; these tests check what the visible checks show.

Item 4. The names of the checks a test cell emits are what the grading engine compares
between the trusted run and the student's kernel: a check named after something the student
chose (a class's name) is a check the student's run does not emit. Every sprint runs here
twice, once with the model answers and once with every class they define (and in sprint 3
the sprint-2 layers its LeNet is built from) renamed: each test cell must ask for the same
checks, by the same names. Then a LeNet built from layers named as the course documents
name them (``Convolution``...) passes every test cell in the notebook (and gets every point
from grade.py: tests/test_graded_later_sprints.py); and sprintlib.plotting's plot_feature_maps draws a student's own
layers.
"""
from __future__ import annotations

import sys

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course_cells import ASSIGNMENTS, Call, Recorder, cells, graded_environment, run_notebook, run_part

sys.path.insert(0, str(ROOT / "autograder"))
import build  # noqa: E402

#: the course seeds the hidden parts are drawn with: what each can draw, seen over these
SEEDS = [f"fairness-{k}" for k in range(12)]


# -- what a check shows ----------------------------------------------------------------------
def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def layer_features(name: str, c: dict) -> tuple[set[str], dict]:
    """(the features a check_layer call shows, the values of the parameters it varies)."""
    shape, feats, values = c["input_shape"], set(), {}
    if c.get("backward"):
        feats.add("backward")
    if name == "SimpleConv1d":
        F, L = c["W_shape"][0], shape[0]
        values = {"filter size": F, "input length": L}
        feats |= {"a filter of size 1"} if F == 1 else set()
        feats |= {"one output (an input as long as the filter)"} if L == F else set()
    elif name in ("Conv1d", "Conv2d"):
        axes = 1 if name == "Conv1d" else 2
        batched = len(shape) == axes + 2
        N = shape[0] if batched else None
        C_out, C_in, *F = c["W_shape"]
        S = [c["stride"]] if axes == 1 else list(_pair(c["stride"]))
        P = [c["pad"]] if axes == 1 else list(_pair(c["pad"]))
        size = list(shape[-axes:])
        out = [(n + 2 * p - f) // s + 1 for n, f, s, p in zip(size, F, S, P)]
        values = {"C_in": C_in, "C_out": C_out, "filter": tuple(F), "stride": tuple(S), "pad": tuple(P),
                  "input size": tuple(size), "batch size": N}
        feats |= {"stride > 1"} if max(S) > 1 else set()
        feats |= {"padding"} if max(P) > 0 else set()
        feats |= {"stride > 1 with padding"} if max(S) > 1 and max(P) > 0 else set()
        feats |= {"a padding as wide as the filter (windows of zeros only)"} if any(p >= f for p, f in zip(P, F)) else set()
        feats |= {"an input shorter than the filter"} if any(n < f for n, f in zip(size, F)) else set()
        feats |= {"a filter of size 1"} if min(F) == 1 else set()
        feats |= {"a single output position"} if min(out) == 1 else set()
        feats.add("one input channel" if C_in == 1 else "several input channels")
        feats.add("one output channel" if C_out == 1 else "several output channels")
        if axes == 1:
            feats.add("a batch (N, C, L)" if batched else "one sample (C, L)")
        if batched:
            feats.add("a batch of one" if N == 1 else "a batch of several")
        if axes == 2:
            feats |= {"a filter that is not square"} if F[0] != F[1] else set()
            feats |= {"an input that is not square"} if size[0] != size[1] else set()
    elif name in ("MaxPool2D", "AveragePool2D"):
        P, S = _pair(c["pool_size"]), _pair(c["stride"])
        N, C, H, W = shape
        out = [(n - p) // s + 1 for n, p, s in zip((H, W), P, S)]
        values = {"pool size": P, "stride": S, "input size": (H, W), "batch size": N, "channels": C}
        feats |= {"overlapping windows (stride < pool size)"} if any(s < p for s, p in zip(S, P)) else set()
        feats |= {"windows with gaps (stride > pool size)"} if any(s > p for s, p in zip(S, P)) else set()
        feats |= {"a stride other than the pool size"} if S != P else set()
        feats |= {"a single output position"} if min(out) == 1 else set()
        feats |= {"an input that is not square"} if H != W else set()
        feats.add("a batch of one" if N == 1 else "a batch of several")
        feats.add("one channel" if C == 1 else "several channels")
    elif name == "Flatten":
        values = {"input shape": shape}
        feats |= {"an axis of size 1"} if 1 in shape else set()
        feats.add("a batch of one" if shape[0] == 1 else "a batch of several")
    elif name == "SimpleRNN":
        N, T, F = shape
        H = c["W_x_shape"][1]
        values = {"N": N, "T": T, "F": F, "H": H}
        feats.add("one sequence" if N == 1 else "several sequences")
        feats |= {"one time step"} if T == 1 else set()
        feats |= {"one feature"} if F == 1 else set()
        feats |= {"one node"} if H == 1 else set()
        feats |= {"more features than nodes"} if F > H else {"fewer features than nodes"} if F < H else set()
        feats.add(f"return_sequences={c.get('return_sequences')}")
        feats |= {"a given upstream gradient"} if c["dA_given"] else {"a random upstream gradient"}
    else:  # element-wise layers (activations)
        values = {"input shape": shape}
        feats.add(f"a {len(shape)}-D input")
        feats |= {"an axis of size 1"} if 1 in shape else set()
        feats |= {"a given upstream gradient"} if c["dA_given"] else {"a random upstream gradient"}
    return {f"{name}: {f}" for f in feats}, {f"{name} {k}": v for k, v in values.items()}


def function_features(name: str, c: dict) -> tuple[set[str], dict]:
    args, feats = c["args"], set()
    if name == "output_size":
        n, F, S, P = (list(args) + [1, 0])[:4]
        values = {"input": n, "filter": F, "stride": S, "pad": P}
        feats |= {"stride > 1"} if S > 1 else set()
        feats |= {"padding"} if P > 0 else set()
        feats |= {"stride > 1 with padding"} if S > 1 and P > 0 else set()
        feats |= {"a last window that does not fit (rounded down)"} if (n + 2 * P - F) % S else set()
        feats |= {"an input shorter than the filter"} if n < F else set()
    elif name == "output_size_2d":
        (H, W), (FH, FW), S, P = (list(args) + [1, 0])[:4]
        values = {"input": (H, W), "filter": (FH, FW), "stride": S, "pad": P}
        feats |= {"stride > 1"} if S > 1 else set()
        feats |= {"padding"} if P > 0 else set()
        feats |= {"stride > 1 with padding"} if S > 1 and P > 0 else set()
        feats |= {"a last window that does not fit (rounded down)"} if any(
            (n + 2 * P - f) % S for n, f in ((H, FH), (W, FW))) else set()
        feats |= {"an input shorter than the filter"} if H < FH or W < FW else set()
        feats |= {"a filter that is not square"} if FH != FW else set()
        feats |= {"an input that is not square"} if H != W else set()
    elif name == "param_count":
        C_in, C_out, (FH, FW) = args
        values = {"C_in": C_in, "C_out": C_out, "filter": (FH, FW)}
        feats |= {"a filter that is not square"} if FH != FW else set()
        feats |= {"a filter of size 1 on an axis"} if min(FH, FW) == 1 else set()
    elif any(isinstance(a, list) and a and all(hasattr(v, "forward") for v in a) for a in args):
        values = {}  # a summary of layers (sprint 3's counts): its features are those of layer_summary's calls
    else:
        values = {f"argument {i}": repr(a) for i, a in enumerate(args)}
    return {f"{name}: {f}" for f in feats}, {f"{name} {k}": v for k, v in values.items()}


def lenet_features(kind: str, c: dict) -> tuple[set[str], dict]:
    """Sprint 3: a LeNet built (padding), run (batch size), a reference (its weights), a
    summary's input."""
    if kind == "lenet":
        return {f"LeNet: padding={c['padding']!r}"}, {}
    if kind == "lenet forward":
        return {"LeNet: forward on a batch of one" if c["N"] == 1 else "LeNet: forward on a batch of several"}, \
            {"LeNet batch size": c["N"]}
    if kind == "reference":
        return {f"reference LeNet: padding={c['padding']!r}, "
                f"{'trained' if c['trained'] else 'random'} weights"}, {}
    if kind == "summary":
        C, H, W = c["input_shape"]
        feats = {"layer_summary: an input of several channels" if C > 1 else "layer_summary: one channel"}
        feats |= {"layer_summary: an input other than 28x28"} if (H, W) != (28, 28) else set()
        feats |= {"layer_summary: a list of layers other than LeNet's"} if c["n_layers"] != 12 else set()
        return feats, {"layer_summary input": c["input_shape"]}
    raise AssertionError(kind)


def features(calls) -> tuple[set[str], dict]:
    """What the calls of one part show: its features, and the values of each parameter."""
    feats, values = set(), {}
    for call in calls:
        if call.check == "layer":
            f, v = layer_features(call.name, call.config)
        elif call.check == "function":
            f, v = function_features(call.name, call.config)
        elif call.check in ("lenet", "lenet forward", "reference", "summary"):
            f, v = lenet_features(call.check, call.config)
        else:
            continue
        feats |= f
        for k, x in v.items():
            values.setdefault(k, set()).add(x)
    return feats, values


# -- sprint 3: what a LeNet test runs ----------------------------------------------------------
def _watch_lenet(recorder, namespace):
    """ScratchLeNet, reference_lenet and layer_summary of the notebook, noting how they are used."""
    Model, reference, summary = namespace["ScratchLeNet"], namespace["reference_lenet"], namespace["layer_summary"]

    class Watched(Model):
        def __init__(self, padding="same", *args, **kwargs):
            recorder.calls.append(_call("lenet", padding=padding))
            super().__init__(padding, *args, **kwargs)

        def forward(self, X):
            recorder.calls.append(_call("lenet forward", N=len(X)))
            return super().forward(X)

    def watched_reference(padding="same", random_state=0, weights=None):
        recorder.calls.append(_call("reference", padding=padding, trained=weights is not None))
        return reference(padding, random_state, weights)

    def watched_summary(layers, input_shape):
        recorder.calls.append(_call("summary", input_shape=tuple(input_shape), n_layers=len(layers)))
        return summary(layers, input_shape)

    namespace.update(ScratchLeNet=Watched, reference_lenet=watched_reference, layer_summary=watched_summary)


def _call(kind, **config):
    return Call(kind, kind, config)


@pytest.fixture(scope="module")
def drawn():
    """assignment -> grade_id -> (the visible part's calls, the hidden part's calls under each seed)."""
    out = {}
    with pytest.MonkeyPatch.context() as mp, graded_environment(mp):
        recorder = Recorder()
        with recorder.installed(mp):
            for assignment in ASSIGNMENTS:
                namespace = {"__name__": "__main__"}
                code_cells = run_notebook(assignment, namespace)
                if "ScratchLeNet" in namespace:
                    _watch_lenet(recorder, namespace)
                out[assignment] = {}
                for cell in code_cells:
                    if cell.kind != "test":
                        continue
                    visible = run_part(cell.visible, namespace, recorder, mp, label=f"{cell.grade_id} visible")
                    hidden = []
                    for seed in SEEDS if cell.hidden else []:  # the hidden part may read the visible part's names
                        run_part(cell.visible, namespace, recorder, mp, seed, f"{cell.grade_id} visible")
                        hidden.append(run_part(cell.hidden, namespace, recorder, mp, seed, f"{cell.grade_id} hidden"))
                    out[assignment][cell.grade_id] = (visible, hidden)
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_visible_part_shows_every_feature_the_hidden_part_draws(drawn, assignment):
    """E.g. a hidden Conv2d case with stride 2 needs a visible one with stride 2; hidden
    overlapping pooling windows need visible ones."""
    missing = []
    for grade_id, (visible, hidden) in drawn[assignment].items():
        shown, _ = features(visible)
        drawable = set().union(*(features(calls)[0] for calls in hidden)) if hidden else set()
        missing += [f"{grade_id}: {f}" for f in sorted(drawable - shown)]
    assert not missing, "hidden tests draw what no visible check of their cell shows:\n" + "\n".join(missing)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_visible_part_varies_what_the_hidden_part_varies(drawn, assignment):
    """A parameter that takes several values in the hidden part (filter sizes, channel
    counts, batch sizes...) takes several in the visible part too."""
    missing = []
    for grade_id, (visible, hidden) in drawn[assignment].items():
        _, shown = features(visible)
        drawable = {}
        for calls in hidden:
            for k, v in features(calls)[1].items():
                drawable.setdefault(k, set()).update(v)
        missing += [f"{grade_id}: {k} takes {len(v)} values hidden, {len(shown.get(k, ()))} visible"
                    for k, v in sorted(drawable.items(), key=lambda kv: kv[0])
                    if len(v) > 1 and len(shown.get(k, ())) < 2]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_hidden_accuracy_test_has_a_visible_twin_on_moved_images(drawn, assignment):
    """The hidden accuracy tests predict on other test images, every pixel moved by up to 0.02
    (sprintlib.grading.hidden_images): the visible part predicts on moved images too."""
    for grade_id, (visible, hidden) in drawn[assignment].items():
        if any(c.check == "accuracy" for calls in hidden for c in calls):
            assert any(c.check == "accuracy" and "moved by up to 0.02" in c.name for c in visible), grade_id


def test_the_recorder_sees_the_hidden_features():
    """The features above are found: sprint 2's hidden max-pool cases draw overlapping windows,
    its hidden convolutions strides of 2 (a recorder that saw nothing would pass every test)."""
    conv = Call("layer", "Conv2d", {"input_shape": (2, 3, 5, 6), "backward": False, "dA_given": False,
                                    "stride": (2, 2), "pad": (1, 1), "W_shape": (4, 3, 3, 2)})
    pool = Call("layer", "MaxPool2D", {"input_shape": (1, 2, 4, 4), "backward": True, "dA_given": False,
                                       "stride": (1, 1), "pool_size": (2, 2)})
    feats, values = features([conv, pool])
    assert {"Conv2d: stride > 1", "Conv2d: padding", "Conv2d: a filter that is not square",
            "Conv2d: an input that is not square", "MaxPool2D: overlapping windows (stride < pool size)",
            "MaxPool2D: a batch of one"} <= feats
    assert values["Conv2d stride"] == {(2, 2)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_parts_draw_layers_and_the_visible_parts_check_them(drawn, assignment):
    """The recording works on every sprint: each hidden part that draws anything is seen to."""
    for grade_id, (visible, hidden) in drawn[assignment].items():
        assert visible, f"{grade_id}: its visible part checks nothing"
        for calls in hidden:
            assert calls, f"{grade_id}: its hidden part checks nothing"


# -- item 4: check names ------------------------------------------------------------------------
#: sprint 3's LeNet as "lenet構成のCNN" names its layers (the course documents' names)
DOCUMENT_NAMES = {"Conv2d": "Convolution", "MaxPool2D": "Pooling", "Flatten": "Flat", "FC": "Affine",
                  "ReLU": "Relu"}


def _document_names(namespace):
    """Sprint 3: once its setup imported sprint 2's layers, the same layers by the documents' names."""
    import sprintlib

    if namespace.get("Conv2d") is sprintlib.Conv2d:
        for old, new in DOCUMENT_NAMES.items():
            namespace[old] = type(new, (namespace[old],), {"__module__": "__main__"})


def _rename_classes(namespace, before):
    """Every class the cell just defined gets another name (the namespace keeps its binding)."""
    for key, value in list(namespace.items()):
        if isinstance(value, type) and before.get(key) is not value and value.__module__ == "__main__":
            value.__name__ = value.__qualname__ = "Students" + value.__name__


def _check_names(assignment, monkeypatch, renamed: bool) -> dict:
    recorder = Recorder()
    namespace = {"__name__": "__main__"}
    snapshot = {}

    def after(cell, ns):
        if renamed:
            _document_names(ns)
        if renamed and cell.kind == "answer":
            _rename_classes(ns, snapshot)
        snapshot.clear()
        snapshot.update(ns)

    names = {}
    with recorder.installed(monkeypatch):
        code_cells = run_notebook(assignment, namespace, after)
        for cell in code_cells:
            if cell.kind == "test":
                calls = run_part(cell.visible, namespace, recorder, monkeypatch, SEEDS[0], cell.grade_id)
                calls += run_part(cell.hidden, namespace, recorder, monkeypatch, SEEDS[0], cell.grade_id)
                names[cell.grade_id] = [(c.check, c.name) for c in calls]
    return names


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_check_names_do_not_depend_on_the_students_class_names(assignment, monkeypatch):
    with graded_environment(monkeypatch):
        plain = _check_names(assignment, monkeypatch, renamed=False)
        renamed = _check_names(assignment, monkeypatch, renamed=True)
    differ = {g: [n for n in renamed[g] if n not in plain[g]] for g in plain if plain[g] != renamed[g]}
    assert not differ, f"check names that follow the student's class names: {differ}"


def test_renaming_reaches_the_lenet_layers(monkeypatch):
    """The renamed run above builds sprint 3's LeNet from the documents' class names."""
    namespace = {"__name__": "__main__"}
    with graded_environment(monkeypatch), Recorder().installed(monkeypatch):
        def after(cell, ns):
            _document_names(ns)
            if cell.grade_id == "p1_solution":
                raise _Stop
        with pytest.raises(_Stop):
            run_notebook("sprint3_lenet", namespace, after)
    names = {type(layer).__name__ for layer in namespace["ScratchLeNet"]().layers}
    assert names == set(DOCUMENT_NAMES.values())


class _Stop(Exception):
    pass


# -- item 4: a LeNet of the documents' class names, graded ---------------------------------------
A3 = "sprint3_lenet"

#: problem 1's answer written with layers of the students' own names: sprint 2's layers
#: renamed as "lenet構成のCNN" names them, and its own ReLU and Flatten, plain classes (no dtype, no
#: param_names, no __repr__): what a student who writes them gets graded on
OWN_LAYERS = '''
class Convolution(Conv2d):
    """sprint 2's Conv2d, by the LeNet document's name"""


class Pooling(MaxPool2D):
    """sprint 2's MaxPool2D, by the LeNet document's name"""


class Affine(FC):
    """the fully connected layer, by the book's name"""


class Relu:
    def forward(self, X):
        self.mask = X > 0
        return X * self.mask

    def backward(self, dA):
        return dA * self.mask


class Flat:
    def forward(self, X):
        self.shape = X.shape
        return X.reshape(len(X), -1)

    def backward(self, dA):
        return dA.reshape(self.shape)

'''


def renamed_lenet_answer() -> str:
    source = nbformat.read(str(ROOT / "autograder" / "source" / A3 / f"{A3}.ipynb"), 4)
    cell = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "p1_solution")
    code = build.strip_markers(cell.source)
    for old, new in [("Conv2d(", "Convolution("), ("MaxPool2D(2, dtype=dtype)", "Pooling(2, dtype=dtype)"),
                     ("FC(", "Affine("), ("ReLU(dtype=dtype)", "Relu()"), ("Flatten(dtype=dtype)", "Flat()")]:
        assert old in code, old
        code = code.replace(old, new)
    return OWN_LAYERS + code


def test_the_renamed_lenet_runs_in_the_notebook(monkeypatch):
    """The answer above is a correct LeNet in the notebook too: every test cell passes."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    answer = renamed_lenet_answer()
    with graded_environment(monkeypatch):
        for cell in cells(A3):
            source = answer if cell.grade_id == "p1_solution" else cell.source
            exec(compile(source, f"<{cell.grade_id}>", "exec"), namespace)
            plt.close("all")
    names = {type(layer).__name__ for layer in namespace["ScratchLeNet"]().layers}
    assert names == {"Convolution", "Relu", "Pooling", "Flat", "Affine"}


# -- item 4: the plots the notebooks draw from a student's layers ---------------------------------
class StudentConv:
    """A student's convolution as the problem fixes it (W, B, forward), nothing of sprintlib's:
    no dtype, no param_names, no __repr__ of its own."""

    def __init__(self):
        self.W = np.random.default_rng(0).standard_normal((3, 1, 3, 3))
        self.B = np.zeros(3)

    def forward(self, X):
        N, _, H, W = X.shape
        A = np.zeros((N, 3, H - 2, W - 2))
        for i in range(H - 2):
            for j in range(W - 2):
                A[:, :, i, j] = np.einsum("ncst,ocst->no", X[:, :, i:i + 3, j:j + 3], self.W) + self.B
        return A


class StudentRelu:
    def forward(self, X):
        return np.maximum(X, 0)


class StudentFlatten:
    def forward(self, X):
        return X.reshape(len(X), -1)


def test_plot_feature_maps_draws_a_students_own_layers():
    import matplotlib.pyplot as plt

    from sprintlib.plotting import plot_feature_maps

    image = np.random.default_rng(1).random((1, 8, 8)).astype(np.float32)
    fig = plot_feature_maps([StudentConv(), StudentRelu(), StudentFlatten()], image)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(fig.axes) == 2 * 4  # two layers keep an image shape: input + 3 channels each
    assert any(t.startswith("StudentConv") for t in titles), titles
    assert not any("object at 0x" in t for t in titles), titles
    plt.close(fig)


def test_plot_feature_maps_takes_the_float32_of_the_first_layer_with_weights():
    """sprintlib's layers keep their dtype; a student's with float32 weights gets float32 maps."""
    import matplotlib.pyplot as plt

    from sprintlib import Conv2d, ReLU
    from sprintlib.plotting import plot_feature_maps

    layers = [Conv2d(1, 2, 3, dtype=np.float32), ReLU(dtype=np.float32)]
    fig = plot_feature_maps(layers, np.zeros((1, 6, 6)))
    assert len(fig.axes) == 2 * 3
    plt.close(fig)

