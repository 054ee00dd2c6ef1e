"""The notebooks' visible checks without the model answers: expected values shipped with the
students' copy of sprintlib.

The students' copy withholds the model answers of the sprints not released yet (see
sprintlib/_withheld.py): their maths raise ``ModelAnswerWithheld``, so check_layer and
check_function cannot run the reference there. The instructor's build runs each notebook
with the whole sprintlib and ``SPRINTLIB_GRADING_SHIP`` set (mode.ship_file): every
check_layer and check_function that runs with the reference then appends to that file, under
a key computed from the check's inputs (``layer_key``, ``function_key``), what judging the
student's values takes: each part's expected array, its tolerance and the values of the known
mistakes with their hints (as the "expected" records of a graded run carry them; check_layer
adds the shape of A, from which it draws the default dA, check_function the length of a tuple
result). In the students' copy, when the reference raises ``ModelAnswerWithheld`` (its forward,
its backward, a known mistake's prediction), the check takes the entry shipped under its key
and judges the student's values against it: the same verdicts, hints and AssertionError. A
check whose inputs are not those of a notebook (a changed test cell) has no entry: it fails,
saying so and which model answer is withheld.

The file: JSON lines, one a check (several notebooks write one file each), each
``{"key", "check", "parts": [{"name", "npy", "tol": [rtol, floor], "hints": [{"hint",
"hidden_hint", "npy"}...]}...], "shape"}`` (check_layer) or ``..., "length"}`` (check_function;
null when the result is no tuple); arrays as records.py's ``_npy``. The students' copy holds
them as FOLDER/<anything>.jsonl, read once, when a reference first turns out withheld.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
from pathlib import Path

import numpy as np

from .._withheld import ModelAnswerWithheld
from . import mode
from .comparison import _tolerance
from .mistakes import Mistake, _Explainer, _hint_records
from .records import _answer_code, _from_npy, _npy
from .values import _attributes

#: where the students' copy holds the shipped expected values (any number of .jsonl files)
FOLDER = Path(__file__).resolve().parent / "shipped"


# -- the key: what the instructor's run and the student's kernel both have before the reference runs
def layer_key(reference, X, dA, seed, backward, rtol) -> str:
    """check_layer's key: the reference's class name, X, dA (None: drawn), seed, backward,
    rtol, and the reference's state once given the grading weights: its parameters and the
    plain attributes its constructor was given (``_settings``)."""
    state = {n: getattr(reference, n) for n in reference.param_names} | _settings(reference)
    return _key("check_layer", type(reference).__name__, X, None if dA is None else np.asarray(dA), seed,
                backward, rtol, state)


def function_key(name, reference_fn, args, kwargs, rtol) -> str:
    """check_function's key: the part's name, the reference function's qualified name, its
    arguments and rtol."""
    fn = getattr(reference_fn, "__qualname__", None) or getattr(reference_fn, "__name__", type(reference_fn).__name__)
    return _key("check_function", name, fn, tuple(args), dict(kwargs), rtol)


def _key(*inputs) -> str:
    """SHA-256 of the inputs' description (``_described``) as canonical JSON: keys sorted,
    so that no dict's order (kwargs, a layer's attributes) changes it."""
    text = json.dumps(_described(inputs), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _described(value):
    """An array by dtype, shape and the SHA-256 of its bytes; a tuple, list or dict entry by
    entry; a dtype by name; anything else by repr (exact for ints, floats, strs, None)."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value).tobytes()
        return ["ndarray", value.dtype.str, list(value.shape), hashlib.sha256(data).hexdigest()]
    if type(value) in (tuple, list):
        return [type(value).__name__, [_described(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", {str(k): _described(v) for k, v in value.items()}]
    return ["dtype", value.str] if isinstance(value, np.dtype) else repr(value)


def _settings(layer) -> dict:
    """The layer's plain attributes (numbers, strs, bools, None, dtypes, tuples of them) named as
    parameters of its class's ``__init__``: in_channels, stride, pad, return_sequences... What
    forward and backward set (dW, grad_norm, _x_order) is never read: a reference that an
    earlier check ran has it in the instructor's run, never in a students' copy, where it
    cannot run."""
    try:
        given = inspect.signature(type(layer).__init__).parameters
    except (TypeError, ValueError):  # no signature to read
        given = {}
    return {n: v for n, v in _attributes(layer).items() if n in given and _plain(v)}


def _plain(value) -> bool:
    if type(value) is tuple:
        return all(map(_plain, value))
    return value is None or type(value) in (bool, int, float, str) or isinstance(value, (np.generic, np.dtype))


# -- one check's expected values: the reference's, or the shipped ones -------------------
class _Expected:
    """Where one check's expected values come from: the reference, run as the check goes;
    once it raises ModelAnswerWithheld, the entry shipped under the check's key (``entry``)."""

    def __init__(self, key: str):
        self.key, self.entry = key, None

    def run(self, part, fn, /, *args, **kwargs):
        """``fn(*args, **kwargs)``, the reference's maths (noted as the answer's code in a
        trusted run); the shipped value of ``part`` once the reference turned out withheld."""
        if self.entry is None:
            try:
                with _answer_code():
                    return fn(*args, **kwargs)
            except ModelAnswerWithheld as exc:
                self.withheld(exc)
        return self.entry.value(part)

    def withheld(self, exc: ModelAnswerWithheld) -> None:
        """The reference raised ``exc``: the shipped entry from now on (AssertionError if none)."""
        self.entry = _lookup(self.key, exc)

    def ship(self, check, parts, rtol, explain, **extra) -> None:
        """In the instructor's build (mode.ship_file), append this check's entry: each
        (part, expected) with its tolerance and the known mistakes' values, and ``extra``."""
        path = mode.ship_file()
        if path is None or self.entry is not None:
            return
        entry = {"key": self.key, "check": check, **extra, "parts": [
            {"name": name, "npy": _npy(np.asarray(e)), "tol": list(_tolerance(np.asarray(e), rtol)),
             "hints": _hint_records(explain, name) if explain else []} for name, e in parts]}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


class _Entry:
    """A shipped entry: the expected value of each part, and the hints of the known mistakes."""

    def __init__(self, entry: dict):
        self.expected = {p["name"]: _from_npy(p["npy"]) for p in entry["parts"]}
        self.hints = {p["name"]: p["hints"] for p in entry["parts"]}
        self.length = entry.get("length")

    def value(self, part):
        """The expected value of ``part``; of a function's tuple result, the tuple."""
        if part in self.expected or self.length is None:
            return self.expected[part]
        return tuple(self.expected[f"{part}[{i}]"] for i in range(self.length))

    def explainer(self) -> _Explainer:
        return _ShippedHints(self.hints)


class _ShippedHints(_Explainer):
    """An _Explainer whose candidates are the shipped values of the known mistakes."""

    def __init__(self, hints: dict):
        self.shipped = hints
        self.fitted, self.got = [], {}

    def candidates(self, part):
        for h in self.shipped.get(part, []):
            yield Mistake("", None, h["hint"], h["hidden_hint"]), _from_npy(h["npy"]).astype(np.float64)


def _lookup(key: str, exc: ModelAnswerWithheld) -> _Entry:
    """The entry shipped under ``key``; an AssertionError that says why there is none."""
    entries = _entries(str(FOLDER))
    if key in entries:
        return _Entry(entries[key])
    why = ("this check's inputs differ from those of the notebooks' test cells (was the test cell changed? "
           "run it as it was given)" if entries else
           f"no expected values are shipped with it at all ({FOLDER} holds no .jsonl file)")
    raise AssertionError(f"this check's expected values are not shipped with this copy of sprintlib: {why}; and "
                         f"the reference cannot compute them here: {exc}") from None


@functools.lru_cache(maxsize=None)
def _entries(folder: str) -> dict:
    """{key: entry} of every ``*.jsonl`` file in ``folder``, read once (the first entry of a key)."""
    found = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                found.setdefault(entry["key"], entry)
    return found
