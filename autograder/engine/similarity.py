"""Similar answers: pairs of students whose answer cells are alike once names, comments and
layout are set aside.

copydetect (a maintained implementation of winnowing, the fingerprinting MOSS uses) does the
comparison: pygments tokenizes each answer, every name becomes one token (``V`` for a
variable, ``F`` for a function), comments and whitespace go; the fingerprints of k-token runs
shared by two students' answers, outside the boilerplate (the release's starter code and the
model answers, which everyone may share), give each answer's share of copied tokens. A pair
is listed when both answers are mostly shared (the smaller share at least ``threshold``, so
that a short answer inside a long one is not a copy of it) and the shared runs hold at least
``MIN_SHARED`` tokens. Each student's answer cells are compared together.
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from copydetect import CodeFingerprint, compare_files
from copydetect.utils import filter_code, get_document_fingerprints

#: copydetect's noise threshold (tokens) and window: a shared run shorter than K tokens is chance
K, WINDOW = 20, 1
THRESHOLD = 0.8
#: fewer shared tokens than this is not a pair, whatever the share: the model answers handed in
#: twice share 152 tokens outside the boilerplate (where cells join), a copied sprint 1 1,704
MIN_SHARED = 400


@dataclass
class Pair:
    assignment: str
    a: str
    b: str
    score: float          # the smaller of the two answers' shares of shared code
    code_a: str
    code_b: str
    tokens: int = 0       # the shared tokens, outside the boilerplate


def _fingerprint(code: str, boilerplate) -> CodeFingerprint:
    return CodeFingerprint("answer.py", K, WINDOW, boilerplate, fp=io.StringIO(code))


def boilerplate_hashes(codes: list[str]):
    """Fingerprints everyone may share: the starter code and the model answers."""
    import numpy as np

    hashes = [np.fromiter(get_document_fingerprints(filter_code(c, "answer.py")[0], K, WINDOW)[0], dtype=np.int64)
              for c in codes if c.strip()]
    return np.unique(np.concatenate(hashes)) if hashes else np.array([], dtype=np.int64)


def pairs(assignment: str, answers: dict[str, str], boilerplate: list[str],
          threshold: float = THRESHOLD) -> list[Pair]:
    """The pairs of students (``answers``: student -> their answer cells, joined) whose answers
    share at least ``threshold`` of their code, most similar first."""
    shared = boilerplate_hashes(boilerplate)
    prints = {s: _fingerprint(code, shared) for s, code in answers.items() if code.strip()}
    found = []
    for a, b in combinations(sorted(prints), 2):
        score, tokens = _score(prints[a], prints[b])
        if score >= threshold and tokens >= MIN_SHARED:
            found.append(Pair(assignment, a, b, score, answers[a], answers[b], tokens))
    return sorted(found, key=lambda p: -p.score)


def score(code_a: str, code_b: str, boilerplate: list[str]) -> tuple[float, int]:
    """(the smaller of the two answers' shares held by the other, the shared tokens)."""
    shared = boilerplate_hashes(boilerplate)
    return _score(_fingerprint(code_a, shared), _fingerprint(code_b, shared))


def _score(a: CodeFingerprint, b: CodeFingerprint) -> tuple[float, int]:
    # each answer's share of its own code (outside the boilerplate) that the other holds too;
    # a floor on the shared tokens (MIN_SHARED) keeps the model answer plus one line from a pair
    tokens, (share_a, share_b), _ = compare_files(a, b)
    return float(min(share_a, share_b)), int(tokens)


def page(found: list[Pair], assignment: str) -> str:
    """An HTML page: each pair's score and the two answers side by side."""
    rows = "".join(
        f"<h3>{html.escape(p.a)} and {html.escape(p.b)}: {p.score:.0%} of their answers shared</h3>"
        f"<table class='pair'><tr><th>{html.escape(p.a)}</th><th>{html.escape(p.b)}</th></tr>"
        f"<tr><td><pre>{html.escape(p.code_a)}</pre></td><td><pre>{html.escape(p.code_b)}</pre></td></tr></table>"
        for p in found) or "<p>No pair of answers is alike beyond the starter code and the model answers.</p>"
    return (f"<!doctype html><meta charset='utf-8'><title>Similar answers: {html.escape(assignment)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table.pair{width:100%;border-collapse:collapse}"
            "td{vertical-align:top;width:50%;border:1px solid #ccc}pre{white-space:pre-wrap;font-size:12px}</style>"
            f"<h1>Similar answers: {html.escape(assignment)}</h1><p>Names, comments and layout set aside "
            f"(copydetect's winnowing); pairs whose answers share at least {THRESHOLD:.0%} of their code, the "
            "starter code and the model answers left out. A pair is a question for a person, not a verdict.</p>"
            + rows)


def boilerplate_of(source, release) -> list[str]:
    """What everyone may share: the release's answer cells (the starter code) and the source's
    (the model answers), solution markers left out."""
    from .submission import is_answer

    cells = [c.source for nb in (source, release) for c in nb.cells if is_answer(c) and c.cell_type == "code"]
    return ["\n".join(line for line in text.split("\n") if "### BEGIN SOLUTION" not in line
                      and "### END SOLUTION" not in line) for text in cells]


def answers_of(notebook: Path, grade_ids: list[str], limits: dict) -> str:
    """A submission's answer cells (code ones), in the source notebook's order, joined."""
    from .submission import read_answers

    found, _ = read_answers(notebook, limits)
    return "\n\n".join(found[g][1] for g in grade_ids if g in found and found[g][0] == "code")


def write_for(course: Path, assignment: str, folders: dict[str, Path], limits: dict, out: Path) -> tuple[Path, int]:
    """The similar answers of one assignment's submissions (student -> submission folder), the
    source and release notebooks of ``course`` giving the answer cells and the boilerplate:
    (the page written, the number of pairs)."""
    import nbformat

    from .submission import is_answer, nbgrader_meta, pick_notebook

    source = nbformat.read(str(course / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    release = nbformat.read(str(course / "release" / assignment / f"{assignment}.ipynb"), as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in source.cells if is_answer(c) and c.cell_type == "code"]
    answers = {}
    for student, folder in folders.items():
        notebook, _ = pick_notebook(folder, assignment)
        if notebook is not None:
            answers[student] = answers_of(notebook, ids, limits)
    found = pairs(assignment, answers, boilerplate_of(source, release))
    return write(out, assignment, found), len(found)


def write(out: Path, assignment: str, found: list[Pair]) -> Path:
    """The page (similar-<assignment>.html) and its pairs as data (similar-<assignment>.json,
    which the report, engine/report.py, reads into report.json and its assignment's page)."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"similar-{assignment}.html"
    path.write_text(page(found, assignment))
    data = {"threshold": THRESHOLD, "min_shared_tokens": MIN_SHARED,
            "pairs": [{"students": [p.a, p.b], "score": round(p.score, 4), "tokens": p.tokens} for p in found]}
    data_path(out, assignment).write_text(json.dumps(data, indent=1))
    return path


def data_path(out: Path, assignment: str) -> Path:
    return out / f"similar-{assignment}.json"
