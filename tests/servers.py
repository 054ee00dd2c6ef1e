"""Servers and a browser for the tests that work as students and instructors do: JupyterLab,
JupyterHub and headless Chromium, all on loopback, each stopped however its test ends.

- ``Process``: a server started in a process group (session) of its own, its output in a log
  file; ``stop()`` sends SIGTERM to that group, waits, then SIGKILL. Only processes this
  module started are signalled, by their own ids.
- ``chromium()``: Debian's Chromium driven by Playwright (pip's ``playwright``; never
  ``playwright install``: it downloads a browser build, which this project does not use).
  ``CHROMIUM`` in the environment names another executable.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "output" / "screenshots"
BIN = ROOT / ".venv" / "bin"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A port nobody listens on now (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (exited, not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _group_gone(pgid: int) -> bool:
    """True when no process of group ``pgid`` is left but zombies (exited, not reaped yet)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            return False
    return True


def kill_group(pgid: int, timeout: float = 10.0, popen: subprocess.Popen | None = None) -> None:
    """SIGTERM the process group ``pgid`` (led by a process started with a session of its
    own), then SIGKILL what is left after ``timeout`` seconds. ``popen``, the leader when it
    is our child, is reaped on the way."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if popen is not None:
                popen.poll()
            if _group_gone(pgid):
                break
            time.sleep(0.1)
        else:
            continue
        break
    if popen is not None:
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


class Process:
    """A server in a session of its own, its output in ``log``."""

    def __init__(self, cmd: list[str], log: Path, env: dict | None = None, cwd: Path | None = None):
        self.cmd, self.log = cmd, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "wb")
        self.popen = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        kill_group(self.pid, timeout, self.popen)
        self._log.close()


def wait_for_http(url: str, process: Process | None = None, timeout: float = 120.0, ok=(200,),
                  headers: dict | None = None) -> None:
    """Poll ``url`` until it answers with a status in ``ok`` (the server is up)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.cmd[0]} exited ({process.popen.returncode}):\n{process.tail()}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
                if r.status in ok:
                    return
                last = r.status
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return
            last = e.code
        except (urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer in {timeout:.0f} s (last: {last})"
                       + (f"\n{process.tail()}" if process else ""))


def chromium_path() -> str:
    """Debian's chromium (make test installs it as root), or $CHROMIUM."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("the browser tests need Chromium: install Debian's package `chromium` "
                           "(apt-get install chromium; `make test` does it when run as root), "
                           "or set CHROMIUM=/path/to/chromium")
    return path


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Playwright's Browser), closed with everything it started."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot of ``page`` as output/screenshots/<name>.png."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path))
    return path
