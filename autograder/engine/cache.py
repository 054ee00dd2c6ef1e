"""Kept results: a submission graded once is not graded again while nothing that decides its
grade has changed.

A key is a digest of everything that decides a grade: the submission's files, the expected
records (which hold the source notebook, the grading seed and the hidden images' key), the
engine's code and sprintlib's (the judge, the hints' wording, the checks), the limits, and
the sandbox's state on this machine (a result graded without part of the sandbox is graded
again once the machine allows the whole of it).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import sprintlib

from .verdict import Result

ENGINE = Path(__file__).resolve().parent
SPRINTLIB = Path(sprintlib.__file__).resolve().parent


def digest(*parts) -> str:
    """A short hash of files, folders (every file in them, by relative name) and JSON values.
    A symbolic link counts as the path it holds, never followed (a submission's link could
    point anywhere); a file is read in blocks, its size first (two files are not one file
    holding both)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            for name, path in _entries(part):
                h.update(name.encode() + b"\0")
                if path.is_symlink():
                    h.update(b"link\0" + os.readlink(path).encode(errors="surrogateescape"))
                    continue
                h.update(str(path.stat().st_size).encode() + b"\0")
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\1")
    return h.hexdigest()[:24]


def _entries(part: Path) -> list[tuple[str, Path]]:
    """(name, path) of a file, or of every file and link in a folder (sorted, __pycache__ left out)."""
    if not part.is_dir() or part.is_symlink():
        return [(part.name, part)] if part.exists() or part.is_symlink() else []
    found = []
    for dirpath, dirs, files in os.walk(part):  # links to folders stay in dirs, not descended
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in dirs + files:
            path = Path(dirpath) / name
            if path.is_symlink() or path.is_file():
                found.append((str(path.relative_to(part)), path))
    return sorted(found)


_CODE: str | None = None


def code_digest() -> str:
    """The engine's and sprintlib's code, hashed once a process."""
    global _CODE
    if _CODE is None:
        _CODE = digest(ENGINE, SPRINTLIB)
    return _CODE


def result_key(submission: Path, expected: Path, limits: dict, missing: list[str]) -> str:
    return digest(submission, digest(expected), code_digest(), limits, missing)


def key_parts(submission: Path, expected: Path, limits: dict, missing: list[str]) -> dict[str, str]:
    """What went into a key, part by part (kept with the result): a regrade says which changed."""
    return {"submission": digest(submission), "expected records": digest(expected),
            "engine and sprintlib": code_digest(), "limits": digest(limits), "sandbox": digest(missing)}


def kept_paths(results: Path, assignment: str, student: str) -> tuple[Path, Path]:
    """(the kept result, the kept autograded notebook), in a folder of their own (a student may
    be called "expected")."""
    folder = results / assignment / "graded"
    return folder / f"{student}.json", folder / f"{student}.ipynb"


def load(results: Path, assignment: str, student: str, key: str) -> tuple[Result, float] | None:
    """(result, seconds it took) of a kept result whose key still holds; None otherwise."""
    kept, notebook = kept_paths(results, assignment, student)
    if not (kept.exists() and notebook.exists()):
        return None
    try:
        data = json.loads(kept.read_text())
        if data.get("key") != key:
            return None
        return Result.from_json(data["result"]), float(data["seconds"])
    except (ValueError, KeyError, TypeError, AttributeError):  # (AttributeError: JSON that is not an object)
        return None


def previous(results: Path, assignment: str, student: str) -> tuple[Result, dict] | None:
    """(result, its key's parts) of the kept result of a submission, whatever its key: what a
    regrade is compared with. None when there is none (or it cannot be read)."""
    kept, _ = kept_paths(results, assignment, student)
    try:
        data = json.loads(kept.read_text())
        return Result.from_json(data["result"]), data.get("parts") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(results: Path, assignment: str, student: str, key: str, result: Result, seconds: float,
         autograded: Path, parts: dict | None = None) -> None:
    kept, notebook = kept_paths(results, assignment, student)
    kept.parent.mkdir(parents=True, exist_ok=True)
    notebook.write_bytes(autograded.read_bytes())
    kept.write_text(json.dumps({"key": key, "parts": parts or {}, "seconds": seconds, "result": result.to_json()},
                               indent=1))
