"""A class on one machine, end to end (make hub-test; make test runs it too): JupyterHub and
its configurable-http-proxy on 127.0.0.1, an instructor and three students, nbgrader's
exchange in a temporary folder. hub/classroom.py runs the term once for the whole file (the
``classroom`` fixture): the instructor releases sprint 1, each student fetches, answers
(correctly, blank, with the seeds' code) and submits through their own server behind the
Hub, the instructor collects, autogrades and releases feedback, each student fetches it.
The tests read what that left: the exchange's folders, the students' homes, the grades in
the formgrader (also in headless Chromium, screenshot output/screenshots/formgrader.png).

Every process the run starts (the Hub, its proxy, four single-user servers, Chromium) is
stopped at the end of the file, however it ends; the fixture fails if one had to be killed.
"""
import re
import sys
import time
import urllib.error
import urllib.request
from html import unescape

import nbformat
import pytest

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
        room.start()
        room.result = room.run_term()
        room.seconds = time.perf_counter() - start
        yield room
    finally:
        leftovers = room.stop()
        assert not leftovers, f"processes still running after the Hub stopped (killed): {leftovers}"


def _text(html):
    return unescape(re.sub(r"<[^>]+>", " ", html))


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


def test_each_student_fetched_their_own_feedback(room):
    pages = {user: _text(room.feedback(user)) for user in STUDENTS}
    for user, text in pages.items():
        assert ASSIGNMENT in text
        assert "BEGIN HIDDEN TESTS" not in text and "hidden_rng" not in text, user  # the course's HideHiddenTests
    full = f"{room.result['alice']['max_score']:g}"
    assert re.search(rf"Score:\s*{full}(\.0)?\s*/\s*{full}", pages["alice"]), pages["alice"][:400]
    assert re.search(r"Score:\s*0(\.0)?\s*/", pages["bob"])
    assert "does the function or method end with a return?" in pages["carol"]  # the seeds' hint


def test_the_formgrader_shows_the_grades_in_a_browser(room):
    """The instructor logs in to the Hub and opens the formgrader's submissions of sprint 1."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 540})
        page = context.new_page()
        try:
            page.goto(f"{room.url}/hub/login")
            page.fill("#username_input", INSTRUCTOR)
            page.fill("#password_input", "any password")
            page.click("#login_submit")
            page.wait_for_url(re.compile(rf".*/user/{INSTRUCTOR}/.*"), timeout=60_000)
            page.goto(f"{room.url}/user/{INSTRUCTOR}/formgrader/manage_submissions/{ASSIGNMENT}")
            for user in STUDENTS:
                page.locator("td", has_text=user).first.wait_for(timeout=60_000)
            rows = {user: page.locator("tr", has_text=user).first.inner_text() for user in STUDENTS}
            shot = screenshot(page, "formgrader")
        except Exception:
            screenshot(page, "failed-formgrader")
            raise
        finally:
            context.close()
    full = f"{room.result['alice']['max_score']:g}"
    for user in STUDENTS:
        first, last = classroom.ROSTER[user]
        assert f"{last}, {first}" in rows[user] and "graded" in rows[user], rows[user]
    assert f"{full} / {full}" in rows["alice"]
    assert f"0 / {full}" in rows["bob"]
    assert f"{room.result['carol']['score']:g} / {full}" in rows["carol"]
    assert shot.stat().st_size > 10_000


def test_the_class_took(room):
    """Not a limit: the wall time of the whole run, for the report (pytest -s prints it)."""
    print(f"\nclass on one machine: {room.seconds:.0f} s")
    for step in room.steps:
        print(f"  {step.who:<10} {step.what} ({step.seconds:.1f} s) {step.detail}")
    assert room.seconds > 0
