"""Where a student's code runs while `make grade` grades it: a kernel that sees almost nothing.

Two pieces, both plain Python (ctypes on libc), nothing to install:

- ``enter_network_namespace()``: the grading process of one submission (engine/runner.py)
  moves into a network namespace of its own whose only interface is the loopback, brought up
  here: nbclient and the kernel talk over 127.0.0.1 (ZMQ), nothing else is reachable.
- ``python sandbox.py kernel -f CONNECTION_FILE`` (the argv of the kernelspec the runner
  writes): the kernel's launcher. As root it enters a mount namespace of its own, builds a
  root of its own (a tmpfs holding read-only binds of /usr, /lib*, /bin, /etc, /dev, /proc,
  the Python installation and the virtualenv, MNIST, and the grading copy of sprintlib in
  place of sprintlib/ — the copy whose model answers are removed), chroots into it, sets its
  resource limits (address space, CPU seconds, file size, processes, open files), drops to a
  throwaway uid with no groups, and execs ipykernel. The course folder, the gradebook, the
  source notebooks (hidden tests), the release and the other submissions are not in that
  root: there is no path to them.

On a machine that does not allow a mechanism (not root, no namespaces in a container), the
kernel still runs, with what is allowed, and grade.py prints a WARNING naming what is off:
see ``probe()`` and autograder/README.md.
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import shutil
import socket
import struct
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
CONFIG_VARIABLE = "SPRINTLIB_SANDBOX"  # the kernel launcher's settings (JSON), set by the runner

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source, target, fstype, flags=0, data=None) -> None:
    enc = lambda v: None if v is None else str(v).encode()  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def enter_network_namespace() -> str | None:
    """A network namespace of this process's own with the loopback up; None, or why not."""
    try:
        unshare(CLONE_NEWNET)
    except OSError as e:
        return f"no network namespace ({e}): the kernels can reach the network"
    try:  # SIOCGIFFLAGS / SIOCSIFFLAGS on "lo": IFF_UP
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            req = struct.pack("16sh", b"lo", 0)
            flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, req))[1]
            fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
    except OSError as e:
        return f"loopback could not be brought up ({e})"
    return None


#: the sandbox's three privileged mechanisms, and what grading loses without each
MECHANISMS = {
    "network": "the kernels can reach the network (a submission could fetch an answer or send out what it reads)",
    "files": ("the kernels see the whole file system as the user they run as: the course folder, the source "
              "notebooks (model answers, hidden tests), the gradebook, the other submissions and sprintlib's "
              "model answers can be read, so a submission that looks for them can get points it did not earn"),
    "uid": ("the kernels run as the grading user, not a throwaway uid: they can write what that user can (the "
            "gradebook, the results, other submissions); the processes a kernel leaves are killed through the "
            "grading process (a subreaper), not by uid"),
}
#: mechanisms to treat as unavailable ("network,files,uid" or "all"): to grade without them on
#: purpose, and for the tests of the fallback
OFF_VARIABLE = "SPRINTLIB_SANDBOX_OFF"


def switched_off() -> set[str]:
    names = {n.strip() for n in os.environ.get(OFF_VARIABLE, "").split(",") if n.strip()}
    return set(MECHANISMS) if "all" in names else names & set(MECHANISMS)


def probe() -> list[str]:
    """What the sandbox cannot do on this machine, one line each, ``<mechanism>: why, and what
    that means`` (empty when everything is in place); tried in a child process so that this
    one is left as it is."""
    off = switched_off()
    code = ("import sys, os; sys.path.insert(0, %r); import sandbox as s\n"
            "e = s.enter_network_namespace(); print('network', e or '')\n"
            "try: s.unshare(s.CLONE_NEWNS | s.CLONE_NEWIPC); s.mount(None, '/', None, s.MS_REC | s.MS_PRIVATE); print('files')\n"
            "except OSError as x: print('files', f'no mount namespace ({x})')\n"
            "print('uid', '' if os.geteuid() == 0 else 'not root')\n") % str(Path(__file__).resolve().parent)
    import subprocess
    found = {}
    try:
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        for line in run.stdout.splitlines():
            name, _, why = line.partition(" ")
            found[name] = why.strip()
        failed = "" if run.returncode == 0 else run.stderr.strip()[-300:]
    except (OSError, subprocess.SubprocessError) as e:
        failed = str(e)
    problems = []
    for name, loss in MECHANISMS.items():
        if name in off:
            why = f"switched off ({OFF_VARIABLE})"
        elif name not in found:
            why = f"the sandbox probe failed: {failed}"
        else:
            why = found[name]
        if why:
            problems.append(f"{name}: {why}: {loss}")
    return problems


def become_subreaper() -> None:
    """Orphaned descendants (a kernel's children that outlive it, daemonised or not) become
    this process's children, so that kill_descendants finds them. Needs no privilege."""
    _libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _descendants(pid: int) -> list[int]:
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants() -> int:
    """Kill every process below this one (with become_subreaper: also the orphans of a dead
    kernel), until none is left; the number killed. Where no throwaway uid can be used."""
    killed = 0
    for _ in range(100):
        pids = _descendants(os.getpid())
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, 9)
                killed += 1
            except OSError:
                pass
        while True:  # reap
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
    return killed


def tasks_of_uid(uid: int) -> int:
    """Processes and threads of ``uid`` now (what RLIMIT_NPROC counts)."""
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    fields = dict(line.split(":", 1) for line in f if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    n += int(fields["Threads"])
            except (OSError, KeyError, ValueError):
                continue
    return n


# -- the kernel's launcher ---------------------------------------------------------------
def _bind(src: str, root: Path, dst: str | None = None, writable=False) -> None:
    src_path = Path(src)
    if not src_path.exists():
        return
    target = root / (dst or src).lstrip("/")
    if src_path.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
    mount(src, target, None, MS_BIND | MS_REC)
    if not writable:
        mount(None, target, None, MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY | MS_NOSUID)


def _limits(cfg: dict) -> None:
    if cfg.get("uid") is None and cfg.get("processes") is not None:
        # RLIMIT_NPROC counts every process of the uid: without a throwaway one, the grading
        # user's own processes count too, so the kernel gets its allowance on top of them
        cfg = {**cfg, "processes": int(cfg["processes"]) + tasks_of_uid(os.getuid())}
    for name, value in (("RLIMIT_AS", cfg.get("memory_bytes")), ("RLIMIT_CPU", cfg.get("cpu_seconds")),
                        ("RLIMIT_FSIZE", cfg.get("file_bytes")), ("RLIMIT_NPROC", cfg.get("processes")),
                        ("RLIMIT_NOFILE", cfg.get("open_files")), ("RLIMIT_CORE", 0)):
        if value is not None:
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))


def kernel_main(argv: list[str]) -> None:
    """Build the kernel's world, then become the kernel (ipykernel, same argv)."""
    cfg = json.loads(os.environ.pop(CONFIG_VARIABLE, "{}"))
    connection = argv[argv.index("-f") + 1]
    info = Path(connection).read_text()
    home = "/tmp/home"
    root = Path(cfg.get("root", ""))
    env = {k: v for k, v in os.environ.items() if k in cfg.get("keep_env", [])}
    env.update(TMPDIR="/tmp", PYTHONDONTWRITEBYTECODE="1", LANG="C.UTF-8", PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    # matplotlib's font list, made once by grade.py (trusted): read now, written into the
    # kernel's home below, so that each kernel does not scan the system's fonts again
    mpl_cache = {}
    if cfg.get("mpl_cache") and Path(cfg["mpl_cache"]).is_dir():
        mpl_cache = {p.name: p.read_bytes() for p in Path(cfg["mpl_cache"]).glob("fontlist-*.json") if p.is_file()}
    isolated = bool(cfg.get("isolate_files") and root.is_dir())
    if isolated:
        # an IPC namespace too: System V segments and POSIX queues of the machine's are shared
        # by every process and outlive the kernel (the uid's processes die, its segments stay)
        unshare(CLONE_NEWNS | CLONE_NEWIPC)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
        # /tmp first: a repository or a venv that lives under /tmp is bound inside it, not hidden by it
        (root / "tmp").mkdir()
        mount("tmpfs", root / "tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={cfg.get('tmp_bytes', 1 << 28)},mode=1777")
        for src, dst in cfg.get("binds", []):
            _bind(src, root, dst)
        _bind("/dev", root, writable=True)
        # the machine's /dev/shm and /dev/mqueue are writable by every uid, hold what is written
        # after the kernel is gone and are not held to tmp_bytes: small private ones instead
        for shared in ("shm", "mqueue"):
            if (root / "dev" / shared).is_dir():
                mount("tmpfs", root / "dev" / shared, "tmpfs", MS_NOSUID | MS_NODEV,
                      f"size={cfg.get('shm_bytes', 1 << 24)},mode=1777")
        _bind("/proc", root, writable=True)
        os.chroot(root)
        os.chdir("/")
    else:
        # no private root: the home (and IPython's and matplotlib's folders in it) is this
        # submission's own folder, never one that another submission's kernel wrote to
        home = cfg.get("home") or home
        env["TMPDIR"] = f"{home}/tmp"  # not the machine's /tmp, which the next kernel would see
        Path(home, "tmp").mkdir(parents=True, exist_ok=True)
        if cfg.get("pythonpath"):  # the answer-less sprintlib, ahead of the installed one
            env["PYTHONPATH"] = cfg["pythonpath"]
    env.update(HOME=home, IPYTHONDIR=f"{home}/.ipython", MPLCONFIGDIR=f"{home}/.mpl",
               JUPYTER_RUNTIME_DIR=f"{home}/.runtime")
    Path(home).mkdir(parents=True, exist_ok=True)
    if mpl_cache:
        Path(home, ".mpl").mkdir(exist_ok=True)
        for name, data in mpl_cache.items():
            Path(home, ".mpl", name).write_bytes(data)
    mine = f"{home}/kernel.json"
    Path(mine).write_text(info)
    uid = cfg.get("uid")
    if uid is not None and os.geteuid() == 0:
        for dirpath, _, files in os.walk(home):
            os.chown(dirpath, uid, uid)
            for f in files:
                os.chown(os.path.join(dirpath, f), uid, uid)
        os.chmod(home, 0o700)
    os.chdir(home)
    _limits(cfg)
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    args = list(argv)
    args[argv.index("-f") + 1] = mine
    # no history database: nothing reads it, and it is a file and a thread less to start
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args, "--HistoryManager.enabled=False"],
              env)


def kill_user(uid: int) -> None:
    """Every process of the throwaway uid, gone (a kernel's children that outlived it)."""
    if os.geteuid() != 0:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, 9)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["kernel"]:
        kernel_main(sys.argv[2:])
    else:
        print("\n".join(probe()) or "sandbox: everything available")
