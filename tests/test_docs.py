"""The documentation names only what exists: every relative link resolves, every repository
path it names exists, every `make <target>` is a target of the Makefile; the README's first
screen holds the two commands and sends each reader to their page; the course documents are
named by their titles, never by file numbers.

A path is a word with a slash or a file extension whose first part is a file or folder of
the repository, or of the document's own folder (autograder/README.md names `engine/...`):
`sprintlib/layers/conv2d.py`, `autograder/percent/<assignment>.py` (a placeholder in angle
brackets stands for one name: some file must match). Paths of what a run makes (output/,
results/, feedback/, .venv/...) and absolute paths of other machines are not checked.
"""
import re
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "autograder" / "README.md",
        ROOT / "benchmarks" / "README.md", ROOT / "notebooks" / "README.md"]
#: made by a run, not committed: named by the docs, never present in a fresh clone
MADE = {"output", "results", "autograded", "feedback", ".venv", "node_modules", "gradebook.db", ".work",
        "submitted/<student>", ".pytest_cache", "__pycache__",
        "sprintlib/grading/shipped"}  # made in the students' copy by make student-repo
#: the README's first screen
FIRST_SCREEN = 40
#: the pages each reader is sent to from the first screen
READERS = {"students": ["docs/students.md"], "instructors": ["autograder/README.md"],
           "maintainers": ["docs/architecture.md", "docs/testing.md", "benchmarks/README.md"]}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
WORD = re.compile(r"[A-Za-z0-9_.<>*{}/~-]+")
EXTENSIONS = {".py", ".md", ".toml", ".json", ".yml", ".yaml", ".lock", ".txt", ".ipynb", ".png", ".cfg", ".sh",
              ".npz", ".html", ".csv", ".db", ".key"}
MAKE = re.compile(r"`make ([a-z][\w-]*)")
#: in a fenced code block, a line that runs make
MAKE_LINE = re.compile(r"^\s*(?:\$\s*)?make ([a-z][\w-]*)")


def makefile_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    text = makefile.read_text()
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))
    for phony in re.findall(r"^\.PHONY:(.*)$", text, re.M):
        targets |= set(phony.split())
    return targets


def _exists(path: str, base: Path, root: Path) -> bool:
    """The path, from the document's folder or the repository's root; a <placeholder> or a *
    matches any one name."""
    pattern = re.sub(r"<[^>]*>|\{[^}]*\}", "*", path.rstrip("/"))
    while pattern.startswith("../"):
        base, pattern = base.parent, pattern[3:]
    for start in (base, root):
        if "*" in pattern:
            if any(start.glob(pattern)):
                return True
        elif (start / pattern).exists():
            return True
    return False


def _is_repository_path(word: str, base: Path, root: Path) -> bool:
    """Whether a word names a path of the repository (its first part exists there)."""
    if "://" in word or word.startswith(("/", "~", "$")) or "/" not in word and Path(word).suffix not in EXTENSIONS:
        return False
    first = word.split("/")[0]
    if first in ("", ".", "..") or re.search(r"[<>*{}]", first):
        return first == ".." and (base / word).resolve().is_relative_to(root)
    if "/" not in word:  # a bare file name (`limits.toml`) may be anywhere: not checked
        return False
    return (base / first).exists() or (root / first).exists()


def _made_by_a_run(word: str) -> bool:
    parts = word.strip("./").split("/")
    return any(p in MADE for p in parts) or any(m in word for m in MADE if "/" in m)


def problems(doc: Path, root: Path = ROOT, targets: set[str] | None = None) -> list[str]:
    """What ``doc`` names that does not exist: ``doc:line: what``."""
    targets = makefile_targets(root / "Makefile") if targets is None else targets
    base = doc.parent
    name = doc.relative_to(root) if doc.is_relative_to(root) else doc.name
    found, fenced = [], False
    for number, line in enumerate(doc.read_text(encoding="utf-8").split("\n"), 1):
        where = f"{name}:{number}"
        if line.lstrip().startswith("```"):
            fenced = not fenced
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#")[0]
            if path and not (base / path).exists():
                found.append(f"{where}: link {target!r} does not resolve")
        for target in MAKE.findall(line) + (MAKE_LINE.findall(line) if fenced else []):
            if target not in targets:
                found.append(f"{where}: `make {target}`: no such target in the Makefile")
        text = LINK.sub(" ", line)  # a link's target was checked above
        text = re.sub(r"\{[^}\s]*,[^}\s]*\}", "*", text)  # {correct,blank,seeds}: any one of them
        for word in WORD.findall(text):
            word = word.rstrip(".,:;)")
            if not _is_repository_path(word, base, root) or _made_by_a_run(word):
                continue
            if not _exists(word, base, root):
                found.append(f"{where}: path {word!r} does not exist")
    return found


#: the course documents are named by their titles (notebooks, the book), never by file numbers
NUMBERS = re.compile(r"\bseeds? ?0\d\d\b|\bREFERENCE\.md\b|/seeds/|\bseed 00\d", re.I)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_link_path_and_target_exists(doc):
    assert doc.is_file()
    found = problems(doc)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_the_documents_are_named_by_title(doc):
    found = [f"{doc.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
             for n, line in enumerate(doc.read_text(encoding="utf-8").split("\n"), 1) if NUMBERS.search(line)]
    assert not found, "name the course document by its title:\n" + "\n".join(found)


def test_the_first_screen():
    """What the course is, its screenshot, the two commands, a page for each reader."""
    screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").split("\n")[:FIRST_SCREEN])
    for command in ("make demo", "make test"):
        assert re.search(rf"^{command}\b", screen, re.M), f"{command} is not in the README's first screen"
    assert re.search(r"!\[[^\]]+\]\(docs/screenshots/\w+\.png\)", screen), "no screenshot on the first screen"
    links = set(LINK.findall(screen))
    for reader, pages in READERS.items():
        assert re.search(reader, screen, re.I), f"the first screen does not address the {reader}"
        for page in pages:
            assert page in links, f"the first screen does not link {page} (for the {reader})"
            assert (ROOT / page).is_file()


def test_the_check_finds_what_is_broken(tmp_path):
    """The checker's own test: a broken link, path and make target in a document of a copy
    of the repository's top level are each reported; what exists is not."""
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "sprintlib").mkdir()
    (root / "sprintlib" / "data.py").write_text("")
    (root / "Makefile").write_text(".PHONY: demo test\ndemo: grade\ngrade:\n\techo\ntest:\n\techo\n")
    doc = root / "docs" / "page.md"
    doc.write_text("\n".join([
        "Run `make demo`, then `make tset`.",
        "See [the data](../sprintlib/data.py) and [gone](../sprintlib/gone.py), [up](#top).",
        "The loader is `sprintlib/data.py`; the layers are in `sprintlib/layers/conv2d.py`.",
        "Output goes to `output/report/index.html`; https://example.org/a/b.py is a web page.",
        "make grade",
        "```",
        "make grade SUBMISSIONS=dir",
        "make nothing",
        "```",
        "Then make the hub's users (prose, not a command).",
    ]))
    assert problems(doc, root) == [
        "docs/page.md:1: `make tset`: no such target in the Makefile",
        "docs/page.md:2: link '../sprintlib/gone.py' does not resolve",
        "docs/page.md:3: path 'sprintlib/layers/conv2d.py' does not exist",
        "docs/page.md:8: `make nothing`: no such target in the Makefile",
    ]
    (root / "sprintlib" / "layers").mkdir()
    (root / "sprintlib" / "layers" / "conv2d.py").write_text("")
    assert len(problems(doc, root)) == 3


def test_a_broken_path_in_a_real_document_fails(tmp_path):
    """The same check on a copy of the README with one path broken (read from elsewhere, its
    repository paths still resolve against the repository)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    broken = tmp_path / "README.md"
    broken.write_text(text + "\nThe engine starts `autograder/engine/no_such_module.py`.\n")
    assert [p for p in problems(broken, ROOT) if "path 'autograder/" in p] == [
        f"README.md:{len(text.split(chr(10))) + 1}: path 'autograder/engine/no_such_module.py' does not exist"]
