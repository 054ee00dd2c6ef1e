"""A class on one machine: JupyterHub, an instructor, three students and nbgrader's exchange.

    python hub/classroom.py [--keep]      (make class; make hub-test runs tests/test_hub.py)

1. A class folder (a temporary one): homes/<user>/ for the instructor and each student,
   exchange/ (nbgrader's exchange root, shared by all), the instructor's course in
   homes/instructor/course/ (a whole copy of the course, engine.course.copy_course: the files
   course.toml names, its nbgrader_config.py, the grading engine beside it, limits.toml, the
   percent scripts..., course.toml, and the source notebooks; the engine writes results/ there), and
   each user's ~/.jupyter/nbgrader_config.py: the exchange root and the course for everyone
   (for the instructor, the course's root: the formgrader then reads the course's own
   nbgrader_config.py, so its Autograde button grades through the engine as `nbgrader
   autograde` does), and for a student their own student id (every server here runs as one
   unix user, so nbgrader cannot tell the students apart by the unix name; on a hub whose
   servers run as `jovyan`, nbgrader takes JUPYTERHUB_USER instead). A student's Jupyter is
   configured as the Binder image's (binder/student_config.py: no formgrader).
2. JupyterHub on 127.0.0.1 (a free port), its proxy (configurable-http-proxy from npm,
   hub/node_modules), DummyAuthenticator, one single-user server per user started through
   the Hub's REST API, each user driven with a token of their own.
3. The term: the instructor imports the roster (`nbgrader db student import`), generates and
   releases sprint 1 (`nbgrader generate_assignment`,
   `release_assignment`, run as the instructor: their home, their course folder); each student,
   through their own server behind the Hub, fetches it (nbgrader's assignment list API, what
   the Assignments tab calls), answers it (the contents API: the notebook they fetched,
   answered as the course's sample submissions are, by autograder/build.py's sample builder:
   one correctly, one blank, one with the seeds' code) and submits it; the instructor collects,
   autogrades (through the grading engine: the course's nbgrader_config.py), generates and
   releases feedback (`collect`, `autograde`, `generate_feedback`, `release_feedback`); each
   student fetches their feedback; the grades are read from the instructor's formgrader (its
   REST API, through the Hub). The students' servers start while the instructor releases.

With --keep the Hub stays up afterwards (log in as any of the users, any password; the
instructor's formgrader is at /user/instructor/formgrader) until Ctrl+C. Every process
started here is stopped at the end, however the run ends.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "autograder"))
sys.path.insert(0, str(ROOT / "tests"))
import build  # noqa: E402  (the course's sample builder)
from engine.course import COURSE_ID, copy_course  # noqa: E402  (course.toml's)
sys.path.insert(0, str(ROOT / "binder"))
import student_config  # noqa: E402  (the Binder image's: nbgrader's instructor pages off)
from servers import Process, free_port, kill_group, pid_alive, wait_for_http  # noqa: E402

ASSIGNMENT = "sprint1_conv1d"
INSTRUCTOR = "instructor"
#: each student and how they answer (the course's three sample submissions)
STUDENTS = {"alice": "correct", "bob": "blank", "carol": "seeds"}
ROSTER = {"alice": ("Alice", "Correct"), "bob": ("Bob", "Blank"), "carol": ("Carol", "Seeds")}
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: a config file that raises stops the command: traitlets otherwise logs the error and goes on
#: without it, and nbgrader, without the course's nbgrader_config.py, autogrades by executing the
#: notebooks itself, never through the engine (hub/jupyterhub_config.py: the instructor's server too)
RAISE_CONFIG_ERRORS = {"TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR": "1"}


@dataclass
class Step:
    who: str
    what: str
    seconds: float
    detail: str = ""


@dataclass
class Classroom:
    folder: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    hub: Process | None = None
    steps: list[Step] = field(default_factory=list)
    user_tokens: dict = field(default_factory=dict)
    server_pids: dict = field(default_factory=dict)

    # -- the class folder ------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exchange(self) -> Path:
        return self.folder / "exchange"

    def home(self, user: str) -> Path:
        return self.folder / "homes" / user

    @property
    def course(self) -> Path:
        return self.home(INSTRUCTOR) / "course"

    def prepare(self) -> None:
        self.exchange.mkdir(parents=True)
        os.chmod(self.exchange, 0o777)  # every user writes into it (nbgrader's requirement)
        for user in [INSTRUCTOR, *STUDENTS]:
            jupyter = self.home(user) / ".jupyter"
            jupyter.mkdir(parents=True)
            lines = ["c = get_config()  # noqa: F821",
                     f"c.Exchange.root = {str(self.exchange)!r}",
                     f"c.CourseDirectory.course_id = {COURSE_ID!r}"]
            if user == INSTRUCTOR:
                # the formgrader's course: nbgrader also reads the nbgrader_config.py found there
                # (NbGrader.initialize), so the formgrader's Autograde button grades with the engine
                lines.append(f"c.CourseDirectory.root = {str(self.course)!r}")
            else:
                lines.append(f"c.CourseDirectory.student_id = {user!r}  # one unix user for all servers")
                student_config.write(jupyter)  # a student's server: no instructor pages
            (jupyter / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
        self.course.mkdir()
        copy_course(self.course, extra=["source"])  # a whole course: its config imports the engine beside it

    # -- the Hub -----------------------------------------------------------------------
    def start(self) -> None:
        env = dict(os.environ, SPRINTLIB_CLASS_DIR=str(self.folder), SPRINTLIB_HUB_PORT=str(self.port),
                   SPRINTLIB_HUB_API_PORT=str(free_port()), SPRINTLIB_PROXY_API_PORT=str(free_port()),
                   SPRINTLIB_SERVICE_TOKEN=self.token, SPRINTLIB_USERS=",".join([INSTRUCTOR, *STUDENTS]),
                   CONFIGPROXY_AUTH_TOKEN=secrets.token_hex(24),
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        self.hub = Process([str(BIN / "jupyterhub"), "-f", str(HERE / "jupyterhub_config.py")],
                           self.folder / "jupyterhub.log", env=env, cwd=self.folder)
        wait_for_http(f"{self.url}/hub/api/", self.hub, timeout=180)

    def api(self, method: str, path: str, data=None, token: str | None = None, hub: bool = True,
            form: bool = False):
        """A request to the Hub's REST API (hub=True) or through the proxy to a user's server."""
        url = f"{self.url}/hub/api/{path}" if hub else f"{self.url}/{path}"
        headers = {"Authorization": f"token {token or self.token}"}
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=300) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {url}: {e.code} {e.read().decode(errors='replace')[:2000]}") from None
        return json.loads(text) if text.strip() else None

    def spawn_servers(self) -> None:
        """Ask the Hub to start every user's single-user server (they start in the background)."""
        self.spawned = time.perf_counter()
        for user in [INSTRUCTOR, *STUDENTS]:
            self.api("POST", f"users/{user}/server")

    def wait_for_servers(self) -> None:
        """Until every user's server is ready; then a token for each user."""
        users = [INSTRUCTOR, *STUDENTS]
        with self.timed("hub", f"{len(users)} single-user servers ready"):
            deadline = time.monotonic() + 300
            waiting = set(users)
            while waiting and time.monotonic() < deadline:
                for user in sorted(waiting):
                    model = self.api("GET", f"users/{user}")
                    server = model.get("servers", {}).get("", {})
                    if server.get("state", {}).get("pid"):
                        self.server_pids[user] = server["state"]["pid"]
                    if server.get("ready"):
                        waiting.discard(user)
                if not self.hub.alive():
                    raise RuntimeError(f"the Hub exited:\n{self.hub.tail()}")
                time.sleep(0.5)
            if waiting:
                raise RuntimeError(f"servers not ready in 300 s: {sorted(waiting)}\n{self.hub.tail()}")
        self.steps[-1].detail = f"{time.perf_counter() - self.spawned:.1f} s after they were asked for"
        for user in users:
            self.user_tokens[user] = self.api("POST", f"users/{user}/tokens",
                                              {"note": "classroom", "expires_in": 3600})["token"]

    def stop(self) -> list[int]:
        """Stop the Hub (it stops the users' servers and its proxy), then anything of ours
        still running; returns the ids of the processes that had to be killed."""
        leftovers = []
        if self.hub is not None:
            for user in list(self.server_pids):
                try:
                    self.api("DELETE", f"users/{user}/server")
                except Exception:
                    pass
            self.hub.stop(timeout=20)
        pids = list(self.server_pids.values())
        proxy_pid_file = self.folder / "jupyterhub-proxy.pid"
        if proxy_pid_file.exists():
            try:
                pids.append(int(proxy_pid_file.read_text().strip()))
            except ValueError:
                pass
        deadline = time.monotonic() + 15
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in pids:
            if pid_alive(pid):
                leftovers.append(pid)
                kill_group(pid, timeout=5)  # each was started in a session of its own
        return leftovers

    # -- the term ------------------------------------------------------------------------
    class _Timer:
        def __init__(self, room, who, what):
            self.room, self.who, self.what = room, who, what

        def __enter__(self):
            self.start = time.perf_counter()
            return self

        def __exit__(self, *exc):
            self.room.steps.append(Step(self.who, self.what, time.perf_counter() - self.start))
            print(f"  {self.who:<10} {self.what} ({self.room.steps[-1].seconds:.1f} s)", flush=True)

    def timed(self, who: str, what: str):
        return self._Timer(self, who, what)

    def instructor(self, *args: str) -> str:
        """An nbgrader command run as the instructor: their home, their course folder."""
        env = dict(os.environ, HOME=str(self.home(INSTRUCTOR)), USER=INSTRUCTOR, JUPYTERHUB_USER=INSTRUCTOR,
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg", **ONE_THREAD,
                   **RAISE_CONFIG_ERRORS)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH"):
            env.pop(var, None)
        with self.timed(INSTRUCTOR, "nbgrader " + " ".join(args)):
            run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=self.course, env=env,
                                 capture_output=True, text=True, timeout=900)
        if run.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{run.stdout}{run.stderr}")
        return run.stdout + run.stderr

    def student(self, user: str, action: str) -> dict:
        """What the Assignments tab asks the student's server: fetch, submit, fetch_feedback."""
        with self.timed(user, f"{action} {ASSIGNMENT} (assignment list, through the Hub)"):
            result = self.api("POST", f"user/{user}/assignments/{action}",
                              {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID},
                              token=self.user_tokens[user], hub=False, form=True)
        if isinstance(result, dict) and result.get("success") is False:
            raise RuntimeError(f"{user}: {action} failed:\n{result.get('value')}")
        return result

    def assignments(self, user: str) -> list[dict]:
        listed = self.api("GET", f"user/{user}/assignments?course_id={COURSE_ID}",
                          token=self.user_tokens[user], hub=False)
        assert listed["success"], listed
        return [a for a in listed["value"] if a["assignment_id"] == ASSIGNMENT]

    def contents(self, user: str, path: str, model: dict | None = None) -> dict:
        """The user's Jupyter contents API (GET, or PUT ``model``)."""
        return self.api("PUT" if model else "GET", f"user/{user}/api/contents/{urllib.parse.quote(path)}", model,
                        token=self.user_tokens[user], hub=False)

    def answer(self, user: str, kind: str) -> None:
        """The student opens the notebook they fetched, answers it as `kind`, saves it."""
        path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        with self.timed(user, f"answer {path} ({kind})"):
            fetched = nbformat.from_dict(self.contents(user, path)["content"])
            source = nbformat.read(str(self.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
            buggy_path = ROOT / "autograder" / "samples" / "buggy" / f"{ASSIGNMENT}.py"
            buggy = build.read_buggy(buggy_path) if buggy_path.exists() else {}
            answered = build.samples(fetched, source, buggy, ASSIGNMENT)[kind]
            self.contents(user, path, {"type": "notebook", "format": "json", "content": answered})

    def run_term(self) -> dict:
        """The whole term, the Hub running; returns {student: submission} as the formgrader has them."""
        self.spawn_servers()  # they start while the instructor releases
        roster = self.course / "students.csv"
        roster.write_text("id,first_name,last_name\n" + "".join(f"{u},{f},{l}\n" for u, (f, l) in ROSTER.items()))
        self.instructor("db", "student", "import", str(roster))
        self.instructor("generate_assignment", ASSIGNMENT, "--force")
        self.instructor("release_assignment", ASSIGNMENT, "--force")
        self.wait_for_servers()
        for user, kind in STUDENTS.items():
            self.student(user, "fetch")
            self.answer(user, kind)
            self.student(user, "submit")
        self.instructor("collect", ASSIGNMENT)
        self.autograde_log = self.instructor("autograde", ASSIGNMENT, "--force")  # the engine's
        self.instructor("generate_feedback", ASSIGNMENT, "--force")
        self.instructor("release_feedback", ASSIGNMENT)
        for user in STUDENTS:
            self.student(user, "fetch_feedback")
        return self.grades()

    def grades(self) -> dict:
        """{student: submission} from the instructor's formgrader (its REST API, through the Hub)."""
        submissions = self.api("GET", f"user/{INSTRUCTOR}/formgrader/api/submissions/{ASSIGNMENT}",
                               token=self.user_tokens[INSTRUCTOR], hub=False)
        return {s["student"]: s for s in submissions}

    def feedback(self, user: str) -> str:
        """The feedback page the student fetched, read through their server."""
        folder = self.contents(user, f"{ASSIGNMENT}/feedback")
        stamps = sorted(item["name"] for item in folder["content"] if item["type"] == "directory")
        page = self.contents(user, f"{ASSIGNMENT}/feedback/{stamps[-1]}/{ASSIGNMENT}.html")
        return page["content"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave the Hub up until Ctrl+C")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="sprintlib-class-"))
    room = Classroom(folder)
    start = time.perf_counter()
    try:
        room.prepare()
        with room.timed("hub", f"JupyterHub up at {room.url}"):
            room.start()
        grades = room.run_term()
        print(f"\n{'student':<8} {'answers':<8} score (of {next(iter(grades.values()))['max_score']:g})")
        for user, kind in STUDENTS.items():
            print(f"{user:<8} {kind:<8} {grades[user]['score']:g}")
        print(f"\nclass folder: {folder}; total {time.perf_counter() - start:.0f} s")
        if args.keep:
            print(f"the Hub: {room.url} (users {INSTRUCTOR}, {', '.join(STUDENTS)}; any password); Ctrl+C stops it")
            while room.hub.alive():
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        room.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
