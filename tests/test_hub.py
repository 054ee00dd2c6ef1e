"""A class on one machine, end to end (make hub-test; make test runs it too): JupyterHub and
its configurable-http-proxy on 127.0.0.1, an instructor and three students, nbgrader's
exchange in a temporary folder. hub/classroom.py runs the term once for the whole file (the
``classroom`` fixture): the instructor releases sprint 1, each student fetches, answers
(correctly, blank, with the course documents' code) and submits through their own server behind the
Hub, the instructor collects, autogrades and releases feedback, each student fetches it.
The tests read what that left: the exchange's folders, the students' homes, the grades in
the formgrader (also in headless Chromium, screenshot output/screenshots/formgrader.png), and
that the grades are the grading engine's (autograder/engine/: the instructor's course is a
whole copy of the course, its nbgrader_config.py routes nbgrader's autograde through the
engine): its verdict lines under each test cell, its kept results, its words in the feedback.
Last, the instructor clicks the formgrader's Autograde button of one student in Chromium
(screenshot output/screenshots/formgrader_autograde.png): the engine grades that submission
again, in the instructor's server, with the same score.

Every process the run starts (the Hub, its proxy, four single-user servers, Chromium) is
stopped at the end of the file, however it ends; the fixture fails if one had to be killed.
"""
import json
import contextlib
import re
import sys
import time
import urllib.error
import urllib.request
from html import unescape

import nbformat
import pytest

from graded import reuse_prepared
from servers import ROOT, chromium, pid_alive, screenshot

sys.path.insert(0, str(ROOT / "hub"))
import classroom  # noqa: E402
from classroom import ASSIGNMENT, COURSE_ID, INSTRUCTOR, STUDENTS  # noqa: E402

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    if not (ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        pytest.fail("configurable-http-proxy is missing: run `make hub-deps` (npm ci in hub/)")
    folder = tmp_path_factory.mktemp("class")
    room = classroom.Classroom(folder)
    start = time.perf_counter()
    try:
        room.prepare()
        # the trusted run's records of sprint 1, if another course copy of this session made them
        # (tests/graded.py): the term's autograde then grades at once, as a term's second week does
        reuse_prepared(room.course, tmp_path_factory, ASSIGNMENT)
        room.start()
        room.result = room.run_term()
        room.seconds = time.perf_counter() - start
        yield room
    finally:
        leftovers = room.stop()
        assert not leftovers, f"processes still running after the Hub stopped (killed): {leftovers}"


def _text(html):
    return unescape(re.sub(r"<[^>]+>", " ", html))


#: the engine's verdict under a test cell (engine/feedback.py's render), its last line
VERDICT = re.compile(r"^(PASSED|FAILED): ([0-9.]+) of ([0-9.]+) points$", re.M)
VERDICT_WORDS = re.compile(r"\b(PASSED|FAILED): ([0-9.]+) of ([0-9.]+) points\b")  # in the feedback's text


def _kept(room, user):
    """The engine's kept result of a student's submission: (its .json, its autograded .ipynb)."""
    folder = room.course / "results" / ASSIGNMENT / "graded"
    return folder / f"{user}.json", folder / f"{user}.ipynb"


def _engine_scores(room, user) -> dict:
    """{grade_id: (score, points)} of the engine's kept result (a verdict.Result as JSON)."""
    result = json.loads(_kept(room, user)[0].read_text())["result"]
    return {t["grade_id"]: (t["score"], t["points"]) for t in result["tests"]}


def _verdict_lines(room, user) -> dict:
    """{grade_id: (PASSED|FAILED, score, points)}: the verdict line under each test cell of the
    student's autograded notebook in the instructor's course."""
    path = room.course / "autograded" / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    verdicts = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        found = VERDICT.findall(text)
        assert len(found) == 1, (user, meta["grade_id"], cell.get("outputs"))
        word, score, points = found[0]
        verdicts[meta["grade_id"]] = (word, float(score), float(points))
    return verdicts


def _login(page, room):
    """The instructor logs in to the Hub (any password): their server's pages are theirs."""
    page.goto(f"{room.url}/hub/login")
    page.fill("#username_input", INSTRUCTOR)
    page.fill("#password_input", "any password")
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{INSTRUCTOR}/.*"), timeout=60_000)


@contextlib.contextmanager
def _submissions_page(room, height: int, failed: str):
    """Chromium, the instructor logged in, on the formgrader's Manage Submissions page of the
    assignment; a screenshot named ``failed`` if the block fails."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": height})
        page = context.new_page()
        try:
            _login(page, room)
            page.goto(f"{room.url}/user/{INSTRUCTOR}/formgrader/manage_submissions/{ASSIGNMENT}")
            yield page
        except Exception:
            screenshot(page, failed)
            raise
        finally:
            context.close()


def test_the_hub_its_proxy_and_a_server_per_user_ran(room):
    assert room.hub.alive()
    proxy = int((room.folder / "jupyterhub-proxy.pid").read_text())
    assert pid_alive(proxy)
    assert sorted(room.server_pids) == sorted([INSTRUCTOR, *STUDENTS])
    assert len(set(room.server_pids.values())) == 4 and all(pid_alive(p) for p in room.server_pids.values())
    info = room.api("GET", "info")  # the Hub's own view: its version and spawner
    assert "SimpleLocalProcessSpawner" in info["spawner"]["class"]


def test_a_student_reaches_only_their_own_server(room):
    def status(path, user):
        request = urllib.request.Request(f"{room.url}/{path}", headers={"Authorization": f"token {room.user_tokens[user]}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert status("user/alice/api/status", "alice") == 200
    assert status("user/bob/api/status", "alice") == 403
    assert status(f"user/{INSTRUCTOR}/api/status", "alice") == 403
    # and a student's own server has no formgrader (configured as the Binder image is)
    assert status("user/alice/formgrader", "alice") == 404
    assert status(f"user/{INSTRUCTOR}/formgrader", INSTRUCTOR) == 200


def test_the_exchange_carried_the_files_between_the_users(room):
    course = room.exchange / COURSE_ID
    assert (course / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    inbound = sorted(p.name.split("+")[0] for p in (course / "inbound").iterdir())
    assert inbound == sorted(STUDENTS)
    assert len(list((course / "feedback").glob("*.html"))) == 3
    for user in STUDENTS:
        home = room.home(user)
        assert (home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()  # fetched
        assert list((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))  # feedback fetched
        submitted = room.course / "submitted" / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"  # collected
        assert submitted.exists()
    # what each student handed in is what they wrote: the sample builder's answer
    correct = nbformat.read(str(room.course / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    blank = nbformat.read(str(room.course / "submitted" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    solution = next(c for c in correct.cells if c.get("id") == "p2_solution").source
    assert "//" in solution and "NotImplementedError" not in solution
    assert "NotImplementedError" in next(c for c in blank.cells if c.get("id") == "p2_solution").source


def test_the_grades(room):
    grades = room.result
    assert set(grades) == set(STUDENTS)
    full = grades["alice"]["max_score"]
    assert full > 0
    assert grades["alice"]["score"] == full
    assert grades["bob"]["score"] == 0
    assert 0 < grades["carol"]["score"] < full
    assert all(g["autograded"] and not g["needs_manual_grade"] for g in grades.values()), grades


def test_the_term_was_graded_by_the_engine(room):
    """The instructor's `nbgrader autograde` went through the engine (the course's
    nbgrader_config.py): each student's result is kept in results/, the autograded notebook
    shows the engine's verdict under each test cell, and the gradebook's score is its sum."""
    assert (room.course / "engine" / "nbgrader_door.py").exists()  # a whole course, engine included
    assert "Traceback" not in room.autograde_log, room.autograde_log
    for user in STUDENTS:
        kept, notebook = _kept(room, user)
        assert kept.exists() and notebook.exists(), user
        scores = _engine_scores(room, user)
        verdicts = _verdict_lines(room, user)
        assert verdicts == {gid: ("PASSED" if score == points else "FAILED", score, points)
                            for gid, (score, points) in scores.items()}, user
        assert sum(score for score, _ in scores.values()) == pytest.approx(room.result[user]["score"]), user
        assert sum(points for _, points in scores.values()) == pytest.approx(room.result[user]["max_score"]), user
    assert {word for word, _, _ in _verdict_lines(room, "alice").values()} == {"PASSED"}
    assert {word for word, _, _ in _verdict_lines(room, "bob").values()} == {"FAILED"}
    assert {word for word, _, _ in _verdict_lines(room, "carol").values()} == {"PASSED", "FAILED"}


def test_each_student_fetched_their_own_feedback(room):
    pages = {user: _text(room.feedback(user)) for user in STUDENTS}
    for user, text in pages.items():
        assert ASSIGNMENT in text
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_rng" not in text, user  # the course's HideHiddenTests
    full = f"{room.result['alice']['max_score']:g}"
    assert re.search(rf"Score:\s*{full}(\.0)?\s*/\s*{full}", pages["alice"]), pages["alice"][:400]
    assert re.search(r"Score:\s*0(\.0)?\s*/", pages["bob"])
    assert "does the function or method end with a return?" in pages["carol"]  # the documents' code's hint
    # the engine's verdicts, one under each test cell, as in the autograded notebook
    for user, text in pages.items():
        expected = sorted(_verdict_lines(room, user).values())
        shown = sorted((word, float(score), float(points))
                       for word, score, points in VERDICT_WORDS.findall(text))
        assert shown == expected, user


def test_the_formgrader_shows_the_grades_in_a_browser(room):
    """The instructor logs in to the Hub and opens the formgrader's submissions of sprint 1."""
    with _submissions_page(room, 540, "failed-formgrader") as page:
        for user in STUDENTS:
            page.locator("td", has_text=user).first.wait_for(timeout=60_000)
        rows = {user: page.locator("tr", has_text=user).first.inner_text() for user in STUDENTS}
        shot = screenshot(page, "formgrader")
    full = f"{room.result['alice']['max_score']:g}"
    for user in STUDENTS:
        first, last = classroom.ROSTER[user]
        assert f"{last}, {first}" in rows[user] and "graded" in rows[user], rows[user]
    assert f"{full} / {full}" in rows["alice"]
    assert f"0 / {full}" in rows["bob"]
    assert f"{room.result['carol']['score']:g} / {full}" in rows["carol"]
    assert shot.stat().st_size > 10_000


def test_the_formgraders_autograde_button_grades_with_the_engine(room):
    """In the formgrader's Manage Submissions page, the instructor clicks a student's Autograde
    button (⚡): nbgrader's NbGraderAPI.autograde runs in the instructor's server, through the
    course's config, so the engine grades the submission again (its kept result, removed
    first, is written again) and its scores replace those in the gradebook (set to full marks
    first): the formgrader shows the engine's score."""
    from nbgrader.api import Gradebook

    user = "carol"  # some points, not all: a score that could not come out right by chance
    kept, kept_notebook = _kept(room, user)
    before = _engine_scores(room, user)
    kept.unlink()
    kept_notebook.unlink()
    with Gradebook(f"sqlite:///{room.course / 'gradebook.db'}", COURSE_ID) as gb:  # a wrong grade to replace
        for grade in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, user).grades:
            grade.auto_score = grade.max_score
        gb.db.commit()
    assert room.grades()[user]["score"] == room.grades()[user]["max_score"] != room.result[user]["score"]
    autograded = room.course / "autograded" / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    autograded_before = autograded.stat().st_mtime_ns
    with _submissions_page(room, 720, "failed-formgrader-autograde") as page:
        row = page.locator("#main-table tr", has_text=user)
        row.locator("td.autograde a").click()  # the ⚡ of the student's row
        # the page reports in a modal (Bootstrap's, faded in: class "in"), once the POST returns
        modal = page.locator("#success-modal.in, #error-modal.in")
        modal.wait_for(state="visible", timeout=600_000)  # the engine grades while the page waits
        message = modal.inner_text()
        shot = screenshot(page, "formgrader_autograde")
        assert modal.get_attribute("id") == "success-modal", message
        page.locator(".modal-footer button").click()  # OK
        modal.wait_for(state="detached", timeout=10_000)
        score_cell = page.locator("#main-table tr", has_text=user).locator("td.score")
        score_cell.filter(has_text="/").wait_for(timeout=60_000)  # the row, fetched again
        shown = page.locator("#main-table tr", has_text=user).inner_text()
    assert f"Successfully autograded '{ASSIGNMENT}' for student '{user}'" in message, message
    # the engine graded it again: its kept result written anew, the same verdicts
    assert kept.exists() and kept_notebook.exists()
    after = _engine_scores(room, user)
    assert after == before
    score = sum(s for s, _ in after.values())
    full = sum(p for _, p in after.values())
    # the autograded notebook, written again, with the engine's verdict under each test cell
    assert autograded.stat().st_mtime_ns > autograded_before
    assert _verdict_lines(room, user) == {gid: ("PASSED" if s == p else "FAILED", s, p)
                                          for gid, (s, p) in after.items()}
    # what the formgrader shows and what the gradebook holds: the engine's score
    assert f"{score:g} / {full:g}" in shown and "graded" in shown, shown
    grades = room.grades()
    assert grades[user]["score"] == pytest.approx(score) and grades[user]["max_score"] == pytest.approx(full)
    assert grades[user]["autograded"] and not grades[user]["needs_manual_grade"]
    assert grades[user]["score"] == room.result[user]["score"]  # as the term's autograde had it
    assert {u: grades[u]["score"] for u in STUDENTS if u != user} == \
        {u: room.result[u]["score"] for u in STUDENTS if u != user}  # the others untouched
    assert shot.stat().st_size > 10_000


def test_the_class_took(room):
    """Not a limit: the wall time of the whole run, for the report (pytest -s prints it)."""
    print(f"\nclass on one machine: {room.seconds:.0f} s")
    for step in room.steps:
        print(f"  {step.who:<10} {step.what} ({step.seconds:.1f} s) {step.detail}")
    assert room.seconds > 0
