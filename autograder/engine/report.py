"""Phase "report": what the class got wrong, at a glance (the instructors' grading report).

``write_report(course, out)`` reads every kept result of a course folder
(``results/<assignment>/graded/<student>.json``, engine/cache.py) and writes a static report,
no server needed: ``out/index.html`` (every assignment in one table), one page an assignment
(``out/<assignment>.html``), their figures (``out/figures/*.png``, matplotlib's Agg) and the
same numbers as data (``out/report.json``). For each assignment:

- the scores: per problem (a grade_id's prefix, "p3" of "p3_test_backward") the distribution
  (a histogram), the mean and the share of the class at full marks, who gave no answer (the
  answer missing from the file, or the release's stub ran in the problem's tests);
- the misconception map: per problem, each known mistake (a check's hint) with the students
  whose submission shows it and one example of the feedback it gave, without the student's
  name; the wrong checks no hint explains, grouped by check and kind of problem (wrong shape,
  wrong values, not finite...); the tests that stopped, grouped by why (the exception's type;
  not those of a problem without an answer);
- the answers that fit the visible cases only: a test whose visible part passed and whose
  hidden part failed, per problem and student;
- the submissions that hit a limit (time, memory, output), could not be graded (a file that
  is not a notebook; a grading process that failed, ``failed``) or were graded with a note;
- the grading time, in total and per submission (the kept results' seconds).
- the similar answers (the pairs engine/similarity.py found, from its similar-<assignment>.json
  beside the report; the two answers side by side on its similar-<assignment>.html);
- the regrade: the scores this run changed, whose, on which test, from what to what and why
  (engine/regrade.py's differences, given by the grading run).

Students' names are in the tables (the report is the instructor's), never in the examples.
``make grade`` (autograder/grade.py) writes it to output/report/ after every run.
"""
from __future__ import annotations

import html
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path

# how sprintlib words a hint that names several mistakes, each giving the student's values
from sprintlib.grading.mistakes import EITHER, OR

from .course import ASSIGNMENTS
from .verdict import NOT_CHECKED, NOT_NUMBERS, OK, Result

#: a check's kind of problem, by the words of its verdict (sprintlib.grading.comparison's)
KINDS = [("wrong shape", (": wrong shape", ": expected shape", "expected labels of shape")),
         ("not finite", ("not finite", "expected finite")),
         ("not integers", ("expected integers",)),
         ("accuracy too low", ("- too low",)),
         ("out of bounds", ("expected every value below", "expected each value below"))]
#: what a note or a stopped part says when a limit was hit, or the file could not be graded
NOTE_KINDS = [("time limit", ("ran longer than", "ran out of its", "stopped answering", "did not answer after the interrupt",
                              "ran past the time limit")),
              ("memory limit", ("MemoryError",)),
              ("output limit", ("printed more than", "check records past")),
              ("kernel died", ("kernel died",)),
              ("not graded", ("not a notebook", "in the submission", "allowed: not graded", "another assignment's"))]
#: what a test says when the release's stub ran (nbgrader_config.py's ClearSolutions.code_stub)
STUB = "NotImplementedError: not answered yet"
#: the examples shown at most a group, and the students listed before "and N more" (the rest folded)
SHOWN_STUDENTS = 12
SLOWEST = 10


# -- reading ----------------------------------------------------------------------------------------
def kept_results(course: Path, assignments: list[str] | None = None) -> tuple[dict, list[str]]:
    """({assignment: {student: (Result, seconds)}}, the kept files that could not be read)."""
    results = Path(course) / "results"
    if assignments is None:
        found = {p.parent.name for p in results.glob("*/graded")} if results.is_dir() else set()
        assignments = [a for a in ASSIGNMENTS if a in found] + sorted(found - set(ASSIGNMENTS))
    kept, unreadable = {}, []
    for a in assignments:
        kept[a] = {}
        for path in sorted((results / a / "graded").glob("*.json")):
            try:
                data = json.loads(path.read_text())
                result = Result.from_json(data["result"])
                kept[a][path.stem] = (result, float(data.get("seconds", result.seconds)))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                unreadable.append(str(path.relative_to(course)))
    return kept, unreadable


# -- what the results say -----------------------------------------------------------------------------
def check_kind(check) -> str:
    """What is wrong with a check: "not numbers", "wrong shape", "wrong values", "not finite"..."""
    if check.status == NOT_NUMBERS:
        return "not numbers"
    if check.expected_shape is not None and check.got_shape is not None and check.expected_shape != check.got_shape:
        return "wrong shape"
    return next((kind for kind, marks in KINDS if any(m in check.words for m in marks)), "wrong values")


def stop_kind(stopped: str) -> str:
    """Why a part stopped, in a few words: the exception's type, the time limit, a dead kernel..."""
    m = re.match(r"an exception was raised: ([A-Za-z_][\w.]*)", stopped)
    if m:
        return m.group(1)
    if "time limit" in stopped:
        return "time limit"
    if "kernel died" in stopped:
        return "kernel died"
    if "did not run" in stopped:
        return "did not run (an earlier cell stopped the notebook)"
    return "an exception was raised" if stopped.startswith("an exception") else stopped[:60]


def note_kinds(text: str) -> list[str]:
    return [kind for kind, marks in NOTE_KINDS if any(m in text for m in marks)]


class Scrub:
    """An example's text without any student's name (the ids of the class, as whole words)."""

    def __init__(self, students):
        names = sorted((s for s in students if s.strip()), key=len, reverse=True)
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)", re.I) if names else None

    def __call__(self, text: str) -> str:
        return self.pattern.sub("[a student]", text) if self.pattern else text


class Groups:
    """Students by a key, with where it was seen and the first example (in student order)."""

    def __init__(self):
        self.students, self.where, self.example = defaultdict(set), defaultdict(set), {}

    def add(self, key, student: str, where: str, example: str) -> None:
        self.students[key].add(student)
        self.where[key].add(where)
        self.example.setdefault(key, example)

    def rows(self, fields) -> list[dict]:
        rows = [{**dict(zip(fields, key if isinstance(key, tuple) else (key,))),
                 "count": len(self.students[key]), "students": sorted(self.students[key]),
                 "where": sorted(self.where[key]), "example": self.example[key]}
                for key in self.students]
        return sorted(rows, key=lambda r: (-r["count"], [r[f] for f in fields]))


_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?")
#: what may stand where another wording of the mistake has a number (within one clause)
_FILLER = r"[^:;()]+?"


def alternatives(hint: str) -> list[str]:
    """The mistakes a hint names: one, or those of "one of these mistakes ...: A; or: B"."""
    return hint[len(EITHER):].split(OR) if hint.startswith(EITHER) else [hint]


def same_mistake(a: str, b: str) -> bool:
    """Two wordings of one known mistake: the same words, but where one has a number the other
    has another number or words (a visible test's hint says "divided by 5", another's "by 3",
    the hidden tests' "by a count of the inputs": the hidden inputs' numbers never show)."""
    if a == b:
        return True
    return any(_NUMBER.search(x) and re.fullmatch(_FILLER.join(map(re.escape, _NUMBER.split(x))), y)
               for x, y in ((a, b), (b, a)))


class Mistakes:
    """The known mistakes of each problem, a student counted once a mistake however many checks
    (and wordings) show it. A hint naming several mistakes that could each give the student's
    values counts under those of them the student shows elsewhere in the problem; when the
    student shows none of them, it is a row of its own (the students' values cannot tell)."""

    def __init__(self):
        self.seen = defaultdict(list)  # problem -> [(student, alternatives, where, example, hidden)]

    def add(self, problem: str, hint: str, student: str, where: str, example: str, hidden: bool) -> None:
        self.seen[problem].append((student, alternatives(hint), where, example, hidden))

    def rows(self) -> list[dict]:
        rows = []
        for problem, seen in self.seen.items():
            wordings = list(dict.fromkeys(w for _, alts, *_ in seen for w in alts))
            root = {w: w for w in wordings}

            def find(w):
                while root[w] != w:
                    w = root[w]
                return w

            for i, a in enumerate(wordings):
                for b in wordings[i + 1:]:
                    if find(a) != find(b) and same_mistake(a, b):
                        root[find(b)] = find(a)
            shown = defaultdict(set)  # student -> the mistakes (roots) a hint names alone
            for student, alts, *_ in seen:
                if len(alts) == 1:
                    shown[student].add(find(alts[0]))
            groups = {}
            for student, alts, where, example, hidden in seen:
                roots = {find(w) for w in alts}
                keys = [(r,) for r in sorted(roots & shown[student])] or [tuple(sorted(roots))]
                for key in keys:
                    g = groups.setdefault(key, {"students": set(), "where": set(), "wordings": {}, "examples": []})
                    g["students"].add(student)
                    g["where"].add(where)
                    for w in alts if len(key) > 1 else [w for w in alts if find(w) == key[0]]:
                        g["wordings"][w] = g["wordings"].get(w, False) or hidden
                    g["examples"].append((len(alts) > len(key), hidden, example))
            for key, g in groups.items():
                # a mistake's row says it as the hidden tests do (no number of theirs), else as first seen
                words = [w for w, hidden in g["wordings"].items() if hidden] + list(g["wordings"])
                rows.append({"problem": problem, "hint": words[0] if len(key) == 1 else EITHER + OR.join(key),
                             "wordings": sorted(g["wordings"]), "count": len(g["students"]),
                             "students": sorted(g["students"]), "where": sorted(g["where"]),
                             # the first example that names the mistake alone, a visible test's first
                             "example": min(g["examples"], key=lambda e: e[:2])[2]})
        return sorted(rows, key=lambda r: (-r["count"], r["problem"], r["hint"]))


def example_text(check, hidden: bool) -> str:
    """A check's feedback as the student read it (engine/feedback.py's check_line): words, then hint."""
    return ("hidden test: " if hidden else "") + check.words + (f"\n  hint: {check.hint}" if check.hint else "")


def analyse(kept: dict, failed: dict | None = None) -> dict:
    """One assignment's kept results ({student: (Result, seconds)}) as the report's numbers;
    ``failed``: {student: error} of the submissions the grading process could not grade."""
    failed = failed or {}
    students = sorted(kept)
    scrub = Scrub(set(students) | set(failed))
    problems, points = [], {}
    for result, _ in kept.values():
        for t in result.tests:
            if t.problem not in points:
                problems.append(t.problem)
            points.setdefault(t.problem, {})[t.grade_id] = t.points
    problems.sort(key=lambda p: (len(p), p))  # p2 before p10
    named, unexplained, stopped = Mistakes(), Groups(), Groups()
    visible_only = defaultdict(lambda: defaultdict(set))
    scores = {p: {} for p in problems}
    no_answer = defaultdict(set)
    limits = []
    for student in students:
        result, _ = kept[student]
        # no answer: missing from the file, or the release's stub ran in the problem's tests
        unanswered = {a.split("_")[0] for a in result.missing_answers} | \
            {t.problem for t in result.tests for part in t.parts if STUB in part.stopped}
        for p in unanswered:
            no_answer[p].add(student)
        for p in problems:
            scores[p][student] = sum(t.score for t in result.tests if t.problem == p)
        why = []
        for t in result.tests:
            for part in t.parts:
                where = f"{t.grade_id} ({part.part})"
                for c in part.checks:
                    if c.status in (OK, NOT_CHECKED):
                        continue
                    text = scrub(example_text(c, part.hidden))
                    if c.hint:
                        named.add(t.problem, c.hint, student, where, text, part.hidden)
                    else:
                        unexplained.add((t.problem, c.name, check_kind(c)), student, where, text)
                if part.extra:
                    unexplained.add((t.problem, "(more checks than the test makes)", "extra checks"), student, where,
                                    f"{part.extra} more check(s) than the test makes: something else ran them")
                if part.stopped:
                    if note_kinds(part.stopped):
                        why.append(f"{where}: {part.stopped}")
                    if t.problem not in unanswered:
                        stopped.add((t.problem, stop_kind(part.stopped)), student, where,
                                    scrub(("hidden test: " if part.hidden else "") + f"the test did not finish: {part.stopped}"))
            hidden = [p for p in t.parts if p.hidden]
            if hidden and all(p.passed for p in t.parts if not p.hidden) and not all(p.passed for p in hidden):
                visible_only[t.problem][t.grade_id].add(student)
        why = result.notes + why
        if why:
            kinds = sorted({k for w in why for k in note_kinds(w)}) or ["note"]
            limits.append({"student": student, "what": kinds, "why": why})
    for student, error in sorted(failed.items()):
        limits.append({"student": student, "what": ["grading failed"], "why": [error]})
    limits.sort(key=lambda r: r["student"])
    by_problem = lambda rows: {p: [r for r in rows if r["problem"] == p] for p in problems}  # noqa: E731
    named_rows = by_problem(named.rows())
    unexplained_rows = by_problem(unexplained.rows(["problem", "check", "kind"]))
    stopped_rows = by_problem(stopped.rows(["problem", "why"]))
    seconds = {s: kept[s][1] for s in students}
    totals = {s: sum(scores[p][s] for p in problems) for s in students}
    total_points = sum(sum(points[p].values()) for p in problems)
    return {
        "submissions": len(students), "students": students, "points": total_points,
        **_stats(list(totals.values()), total_points),
        "problems": [{"problem": p, "points": sum(points[p].values()),
                      **_stats(list(scores[p].values()), sum(points[p].values())), "scores": scores[p],
                      "no_answer": sorted(no_answer[p]),
                      "mistakes": named_rows[p], "unexplained": unexplained_rows[p], "stopped": stopped_rows[p],
                      "visible_only": [{"test": g, "count": len(s), "students": sorted(s)}
                                       for g, s in sorted(visible_only[p].items())],
                      "visible_only_students": sorted(set().union(*visible_only[p].values()))}
                     for p in problems],
        "limits": limits, "failed": sorted(failed),
        "time": {"total": sum(seconds.values()), "mean": statistics.fmean(seconds.values()) if seconds else 0.0,
                 "median": statistics.median(seconds.values()) if seconds else 0.0,
                 "max": max(seconds.values(), default=0.0), "per_submission": seconds},
        "scores": totals,
    }


def _stats(scores: list[float], points: float) -> dict:
    full = sum(1 for s in scores if s >= points)
    return {"mean": statistics.fmean(scores) if scores else 0.0, "full_marks": full,
            "full_marks_share": full / len(scores) if scores else 0.0}


# -- figures ---------------------------------------------------------------------------------------
def histogram(path: Path, values: list[float], top: float, xlabel: str, title: str, small: bool = False) -> None:
    """A histogram PNG (matplotlib's Agg, no pyplot: no global state, safe in any thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.6, 1.1) if small else (5.2, 2.6), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    whole = all(float(v).is_integer() for v in values) and top <= 40
    bins = [k - 0.5 for k in range(int(top) + 2)] if whole else 20
    ax.hist(values, bins=bins, range=None if whole else (0, max(top, 1e-9)), color="#3b6ea8", edgecolor="white")
    ax.set_xlim(-0.5 if whole else 0, top + (0.5 if whole else 0))
    if not small:
        ax.set_xlabel(xlabel)
        ax.set_ylabel("submissions")
        ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7 if small else 8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if whole:
        ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout(pad=0.3)
    fig.savefig(path)


# -- pages ----------------------------------------------------------------------------------------------
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 1.5em auto;
       max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 2px solid #dfe4ec; }
h3 { margin: 1.2em 0 .3em; }
.summary { color: #4a5568; } .muted { color: #718096; font-size: .9em; }
table { border-collapse: collapse; margin: .4em 0 1em; width: 100%; }
th, td { border: 1px solid #dfe4ec; padding: .3em .55em; text-align: left; vertical-align: top; }
th { background: #f3f6fa; } td.n { text-align: right; white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfd; }
pre { margin: 0; white-space: pre-wrap; font-size: .85em; background: #f7f7f2; padding: .3em .4em; }
.who { font-size: .85em; } .tag { display: inline-block; background: #fde8e8; color: #9b1c1c; border-radius: 3px;
  padding: 0 .4em; margin-right: .3em; font-size: .85em; }
nav a { margin-right: 1em; } img.thumb { width: 210px; } details summary { cursor: pointer; color: #2b5797; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
            f"<body>\n{body}\n</body></html>\n")


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """Cells are HTML already."""
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def _who(students: list[str]) -> str:
    shown = ", ".join(map(_e, students[:SHOWN_STUDENTS]))
    if len(students) <= SHOWN_STUDENTS:
        return f'<span class="who">{shown}</span>'
    return (f'<details class="who"><summary>{shown} and {len(students) - SHOWN_STUDENTS} more</summary>'
            f'{", ".join(map(_e, students[SHOWN_STUDENTS:]))}</details>')


def _wordings(row: dict) -> str:
    """The other wordings of a known mistake's hint (a visible test's names its numbers), folded."""
    other = [w for w in row["wordings"] if w != row["hint"]]
    return (f'<details class="who"><summary>also worded</summary>{"<br>".join(map(_e, other))}</details>'
            if other else "")


def _share(k: int, n: int) -> str:
    return f"{k} ({k / n:.0%})" if n else "0"


def _pts(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def assignment_page(a: str, d: dict) -> str:
    n = d["submissions"]
    t = d["time"]
    parts = [f'<p><a href="index.html">&larr; all assignments</a></p><h1>{_e(a)}</h1>',
             f'<p class="summary">{n} submissions &middot; mean {_pts(d["mean"])} of {_pts(d["points"])} points'
             f' &middot; {_share(d["full_marks"], n)} at full marks &middot; graded in {t["total"]:.0f} s'
             f' ({t["mean"]:.1f} s a submission)</p>',
             '<nav><a href="#scores">Scores</a><a href="#mistakes">What the class got wrong</a>'
             '<a href="#visible-only">Visible passed, hidden failed</a><a href="#limits">Limits and notes</a>'
             '<a href="#similar">Similar answers</a><a href="#regrade">Regrade</a><a href="#time">Grading time</a></nav>',
             '<h2 id="scores">Scores</h2>', f'<img src="{_e(d["figure"])}" alt="{_e(a)}: total scores">']
    rows = [[f'<a href="#{_e(p["problem"])}">{_e(p["problem"])}</a>', _pts(p["points"]), _pts(p["mean"]),
             _share(p["full_marks"], n), _share(len(p["no_answer"]), n),
             _share(len(p["visible_only_students"]), n),
             f'<img class="thumb" src="{_e(p["figure"])}" alt="{_e(p["problem"])}: scores">']
            for p in d["problems"]]
    parts.append(_table(["problem", "points", "mean", "at full marks", "no answer", "visible passed, hidden failed",
                         "distribution"], rows, {1, 2, 3, 4, 5}))

    parts.append('<h2 id="mistakes">What the class got wrong</h2><p class="muted">Per problem: the known mistakes '
                 "(a check's hint), the wrong checks no hint explains (by check and what is wrong), the tests that "
                 "stopped (by why). A student counts once a row; the examples are feedback as a student read it, "
                 "with no name.</p>")
    for p in d["problems"]:
        if not (p["mistakes"] or p["unexplained"] or p["stopped"]):
            continue
        parts.append(f'<h3 id="{_e(p["problem"])}">{_e(p["problem"])} <span class="muted">'
                     f'({_share(p["full_marks"], n)} at full marks)</span></h3>')
        if p["mistakes"]:
            parts.append(_table(["known mistake (hint)", "students", "who", "where", "example feedback"],
                                [[_e(r["hint"]) + _wordings(r), str(r["count"]), _who(r["students"]),
                                  _e(", ".join(r["where"])),
                                  f"<pre>{_e(r['example'])}</pre>"] for r in p["mistakes"]], {1}))
        if p["unexplained"]:
            parts.append(_table(["no hint explains it: check", "what is wrong", "students", "who", "where",
                                 "example feedback"],
                                [[_e(r["check"]), _e(r["kind"]), str(r["count"]), _who(r["students"]),
                                  _e(", ".join(r["where"])), f"<pre>{_e(r['example'])}</pre>"]
                                 for r in p["unexplained"]], {2}))
        if p["stopped"]:
            parts.append(_table(["the test stopped: why", "students", "who", "where", "example feedback"],
                                [[_e(r["why"]), str(r["count"]), _who(r["students"]), _e(", ".join(r["where"])),
                                  f"<pre>{_e(r['example'])}</pre>"] for r in p["stopped"]], {1}))

    parts.append('<h2 id="visible-only">Visible tests passed, hidden tests failed</h2><p class="muted">Answers that '
                 "fit the visible cases only: the visible part of a test passed, its hidden part did not.</p>")
    rows = [[_e(p["problem"]), _e(v["test"]), str(v["count"]), _who(v["students"])]
            for p in d["problems"] for v in p["visible_only"]]
    parts.append(_table(["problem", "test", "students", "who"], rows, {2}) if rows else "<p>None.</p>")

    parts.append('<h2 id="limits">Limits, ungraded submissions and notes</h2><p class="muted">Submissions that hit '
                 "a limit (time, memory, output), could not be graded, or were graded with a note, and why.</p>")
    rows = [[_e(r["student"]), "".join(f'<span class="tag">{_e(k)}</span>' for k in r["what"]),
             "<br>".join(_e(w) for w in r["why"])] for r in d["limits"]]
    parts.append(_table(["student", "what", "why"], rows) if rows else "<p>None.</p>")

    parts.append(f'<h2 id="similar">Similar answers</h2><p class="muted">Pairs of students whose answer cells are '
                 "alike once names, comments and layout are set aside, the starter code and the model answers left "
                 f'out (copydetect); <a href="similar-{_e(a)}.html">the two answers side by side</a>. A pair is a '
                 "question for a person, not a verdict.</p>")
    if d["similar"] is None:
        parts.append("<p>Not compared in this run.</p>")
    else:
        rows = [[_e(" and ".join(x["students"])), f'{x["score"]:.0%}', str(x["tokens"])] for x in d["similar"]]
        parts.append(_table(["students", "share of their answers alike", "tokens alike"], rows, {1, 2})
                     if rows else "<p>None.</p>")
    parts.append('<h2 id="regrade">Regrade: the scores this run changed</h2><p class="muted">A submission graded '
                 "again (the submission, a test, a hint, a limit or the engine changed, or a regrade was asked "
                 "for): whose score changed, on which test, from what to what, and why.</p>")
    if d["regrade"] is None:
        parts.append("<p>Not known: this report was written without grading.</p>")
    else:
        show = lambda x: "-" if x is None else _pts(x)  # noqa: E731
        rows = [[_e(x["student"]), _e(x["test"]), show(x["before"]), show(x["after"]), _e(x["why"])]
                for x in d["regrade"]]
        parts.append(_table(["student", "test", "before", "after", "why"], rows, {2, 3}) if rows else
                     "<p>No score changed.</p>")

    per = sorted(t["per_submission"].items(), key=lambda kv: (-kv[1], kv[0]))
    parts.append(f'<h2 id="time">Grading time</h2><p>{t["total"]:.0f} s in total for {n} submissions: '
                 f'mean {t["mean"]:.1f} s, median {t["median"]:.1f} s, longest {t["max"]:.1f} s a submission '
                 '(the grading process, kernel included, as kept with each result).</p>'
                 f'<img src="{_e(d["time_figure"])}" alt="{_e(a)}: grading time">')
    parts.append(_table(["slowest submissions", "seconds"], [[_e(s), f"{v:.1f}"] for s, v in per[:SLOWEST]], {1}))
    parts.append("<details><summary>every submission</summary>"
                 + _table(["student", "seconds"], [[_e(s), f"{v:.1f}"] for s, v in sorted(per)], {1}) + "</details>")
    return _page(f"{a}: grading report", "\n".join(parts))


def index_page(data: dict) -> str:
    rows = []
    for a in data["assignments"]:
        d = data["by_assignment"][a]
        top = max((r for p in d["problems"] for r in p["mistakes"]), key=lambda r: r["count"], default=None)
        visible_only = set().union(*(p["visible_only_students"] for p in d["problems"])) if d["problems"] else set()
        rows.append([f'<a href="{_e(a)}.html">{_e(a)}</a>', str(d["submissions"]),
                     f'{_pts(d["mean"])} / {_pts(d["points"])}', _share(d["full_marks"], d["submissions"]),
                     (f'{_e(top["problem"])}: {_e(top["hint"])} ({top["count"]})' if top else "-"),
                     str(len(visible_only)), str(len(d["limits"])),
                     "-" if d["similar"] is None else f'<a href="{_e(a)}.html#similar">{len(d["similar"])}</a>',
                     "-" if d["regrade"] is None else f'<a href="{_e(a)}.html#regrade">{len(d["regrade"])}</a>',
                     f'{d["time"]["total"]:.0f} s'])
    body = ["<h1>Grading report</h1>",
            f'<p class="summary">{data["submissions"]} kept results of {len(data["assignments"])} assignment(s); '
            f'grading time {data["seconds"]:.0f} s in total.</p>',
            _table(["assignment", "submissions", "mean", "at full marks", "most frequent known mistake",
                    "visible passed, hidden failed", "limits, notes, failures", "similar pairs",
                    "scores this run changed", "grading time"], rows, {1, 2, 3, 5, 6, 7, 8, 9})]
    if data["unreadable"]:
        body.append("<p>Kept results that could not be read: " + ", ".join(map(_e, data["unreadable"])) + "</p>")
    return _page("Grading report", "\n".join(body))


# -- the report ---------------------------------------------------------------------------------------------
def write_report(course: Path, out: Path | None = None, assignments: list[str] | None = None,
                 failed: list[tuple[str, str, str]] | None = None, differences: list | None = None) -> Path:
    """The report of every kept result of ``course`` (or of ``assignments``) into ``out``
    (default: <course>/../output/report); ``failed``: (student, assignment, error) of the
    submissions a grading run could not grade (no result is kept for them); ``differences``:
    the scores this run changed (engine/regrade.py's Difference; None: not known, a report
    written without grading). The similar answers are those engine/similarity.py wrote into
    ``out`` (similar-<assignment>.json), when it did. Returns out/index.html."""
    course = Path(course)
    out = Path(out) if out is not None else course.parent / "output" / "report"
    kept, unreadable = kept_results(course, assignments)
    errors = defaultdict(dict)
    for student, a, error in failed or []:
        errors[a][student] = error
        kept.setdefault(a, {})
    figures = out / "figures"
    _clear(out)
    figures.mkdir(parents=True, exist_ok=True)
    data = {"assignments": list(kept), "by_assignment": {}, "unreadable": unreadable}
    for a, results in kept.items():
        d = analyse(results, errors.get(a))
        d["figure"] = f"figures/{a}.png"
        histogram(out / d["figure"], list(d["scores"].values()), d["points"], "points", f"{a}: total scores")
        for p in d["problems"]:
            p["figure"] = f"figures/{a}-{p['problem']}.png"
            histogram(out / p["figure"], list(p["scores"].values()), p["points"], "points", p["problem"], small=True)
        d["similar"] = similar_pairs(out, a)
        d["regrade"] = None if differences is None else [
            {"student": x.student, "test": x.grade_id, "before": x.before, "after": x.after, "why": x.why}
            for x in sorted(differences, key=lambda x: (x.student, x.grade_id)) if x.assignment == a]
        d["time_figure"] = f"figures/{a}-time.png"
        histogram(out / d["time_figure"], list(d["time"]["per_submission"].values()),
                  max(d["time"]["max"], 1.0), "seconds a submission", f"{a}: grading time")
        data["by_assignment"][a] = d
        (out / f"{a}.html").write_text(assignment_page(a, d))
    data["submissions"] = sum(d["submissions"] for d in data["by_assignment"].values())
    data["seconds"] = sum(d["time"]["total"] for d in data["by_assignment"].values())
    (out / "report.json").write_text(json.dumps(data, indent=1))
    (out / "index.html").write_text(index_page(data))
    return out / "index.html"


def similar_pairs(out: Path, assignment: str) -> list[dict] | None:
    """The pairs of similar answers engine/similarity.py found (None: it did not look)."""
    from .similarity import data_path

    try:
        return json.loads(data_path(out, assignment).read_text())["pairs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _clear(out: Path) -> None:
    """What an earlier report wrote into ``out`` (its pages, figures and data), nothing else."""
    old = out / "report.json"
    try:
        pages = [f"{a}.html" for a in json.loads(old.read_text())["assignments"]]
    except (OSError, ValueError, KeyError, TypeError):
        pages = []
    for name in pages + ["index.html", "report.json"]:
        (out / name).unlink(missing_ok=True)
    figures = out / "figures"
    if figures.is_dir():
        for png in figures.glob("*.png"):
            png.unlink()


def main(argv=None) -> None:
    """``python -m engine.report [COURSE] [OUT]`` in autograder/: the report again, without grading."""
    import argparse

    from .course import COURSE

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("course", nargs="?", type=Path, default=COURSE)
    parser.add_argument("out", nargs="?", type=Path, help="default: <course>/../output/report")
    args = parser.parse_args(argv)
    print(write_report(args.course, args.out))


if __name__ == "__main__":
    main()
