"""What students read names the course documents by their titles (issue 24, item 12; issue 26,
item 1). Students have neither the documents' files nor the page of their reference values, so
no student-facing text may send them to "REFERENCE.md", "seed 002", "seeds/" or a file number
such as 003_b874...: the notebooks quote the value and its correction instead, and call a
document by its title ("Sprint13", "lenet構成のCNN", ...).

Scanned: the percent scripts (markdown, code and printed strings alike), the generated release
and student notebooks (sources and outputs), every module of sprintlib (its messages, hints and
docstrings), the grading engine (its feedback texts), the students' README template,
notebooks/README.md and the READMEs of data/ (shipped to students).
"""
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT

#: what a student cannot follow, and why
UNFOLLOWABLE = {
    re.compile(r"REFERENCE\.md"): "the course's page of reference values, which students do not have",
    re.compile(r"\bseeds? 00\d", re.IGNORECASE): "a document's file number: name it by its title",
    re.compile(r"seeds/"): "the documents' folder, which students do not have",
    re.compile(r"\b00[0-4]_[0-9a-f]{8}"): "a document's file name: name it by its title",
}


def student_facing() -> list[Path]:
    files = [*sorted((ROOT / "autograder" / "percent").glob("*.py")),
             *sorted((ROOT / "autograder" / "release").glob("*/*.ipynb")),
             *sorted((ROOT / "notebooks").glob("*.ipynb")),
             ROOT / "notebooks" / "README.md",
             *sorted((ROOT / "data").rglob("README.md")),
             *sorted((ROOT / "autograder" / "student").iterdir()),
             *sorted((ROOT / "sprintlib").rglob("*.py")),
             *sorted((ROOT / "autograder" / "engine").glob("*.py"))]
    return [f for f in files if f.is_file()]


def lines_of(path: Path) -> list[tuple[str, str]]:
    """(where, text) of every line a reader may see: a notebook's cell sources and outputs
    (where = "cell N" or "cell N output"), any other file's lines (where = "line N")."""
    if path.suffix != ".ipynb":
        return [(f"line {n}", line) for n, line in enumerate(path.read_text().splitlines(), 1)]
    out = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out += [(f"cell {i} line {n}", line) for n, line in enumerate(source.splitlines(), 1)]
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = text if isinstance(text, str) else "".join(text)
            out += [(f"cell {i} output", line) for line in text.splitlines()]
    return out


def unfollowable(paths) -> list[str]:
    """'file, where: why: the line' for every line that names a document the way students cannot follow."""
    found = []
    for path in paths:
        for where, line in lines_of(path):
            for pattern, why in UNFOLLOWABLE.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}, {where}: "
                                 f"{why}: {line.strip()[:160]}")
    return found


def test_the_scan_covers_the_student_facing_files():
    files = {p.relative_to(ROOT).as_posix() for p in student_facing()}
    for expected in ("autograder/percent/sprint3_lenet.py", "autograder/release/sprint4_rnn/sprint4_rnn.ipynb",
                     "notebooks/sprint2_conv2d.ipynb", "notebooks/README.md", "autograder/student/README.md",
                     "data/keras/README.md", "sprintlib/grading/mistakes.py", "sprintlib/_checks.py", "autograder/engine/feedback.py"):
        assert expected in files, expected


def test_no_student_facing_text_names_a_document_by_its_file():
    found = unfollowable(student_facing())
    assert not found, "name the course documents by their titles and quote their values:\n" + "\n".join(found)


@pytest.mark.parametrize("line", ["# (Seed 002 shows only 2095)", "expected (REFERENCE.md, Sprint 3)",
                                  "see ../shared/seeds/003_b874b2205fb6cc13.txt", "as seeds 000 and 001 do"])
def test_the_scan_finds_each_kind_and_names_file_and_line(tmp_path, line):
    script = tmp_path / "sprint9.py"
    script.write_text(f"# %% [markdown]\n# fine\n{line}\n")
    notebook = tmp_path / "sprint9.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["fine\n"]},
        {"cell_type": "code", "source": "print(1)", "outputs": [{"output_type": "stream", "text": [line + "\n"]}]}]}))
    found = unfollowable([script, notebook])
    assert len(found) >= 2, found
    assert found[0].startswith(f"{script}, line 3: ") and line.strip() in found[0]
    assert any(f.startswith(f"{notebook}, cell 1 output: ") for f in found), found


def test_titles_pass():
    """The titles themselves, and the word seed in its other sense, are fine."""
    ok = ['the notebook "Sprint13" averages dB', '"lenet構成のCNN" counted 107,786', "seed=int(rng.integers(1000))",
          "the course seed 12345678", "MIN_PRODUCT = 10_000_000"]
    assert not [s for s in ok for p in UNFOLLOWABLE if p.search(s)]
