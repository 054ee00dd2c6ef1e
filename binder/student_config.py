"""A student's Jupyter: nbgrader's instructor pages off.

    python binder/student_config.py --sys-prefix   the environment's configuration (binder/postBuild)
    python binder/student_config.py --user         $JUPYTER_CONFIG_DIR (~/.jupyter): a student's laptop
    python binder/student_config.py DIR            a configuration folder of its own (the tests)

Off: nbgrader's formgrader (create, release, collect and grade assignments, the gradebook)
and its course list, as server extensions (their URLs answer 404) and as JupyterLab plugins
(no Formgrader, Course List or Create Assignment in the menus; locked, so that the plugin
manager cannot turn them back on). A student keeps the Assignments list (fetch, submit and
fetch feedback through nbgrader's exchange, when the course has one) and Validate.

Two files, merged into what is there: jupyter_server_config.json (the server reads its
jpserver_extensions before the jupyter_server_config.d/ files where nbgrader enables itself,
and an extension set there stays as set) and labconfig/page_config.json (what `jupyter
labextension disable` and `lock` write). `jupyter server extension disable` is not used: it
refuses to disable at --user level an extension enabled for the environment.
"""
import json
import sys
from pathlib import Path

SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
LAB_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment"]


def config_dir(arg: str) -> Path:
    if arg == "--sys-prefix":
        return Path(sys.prefix) / "etc" / "jupyter"
    if arg == "--user":
        from jupyter_core.paths import jupyter_config_dir
        return Path(jupyter_config_dir())
    return Path(arg)


def merge(path: Path, update: dict) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    for key, values in update.items():
        data.setdefault(key, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write(folder: Path) -> None:
    merge(folder / "jupyter_server_config.json",
          {"ServerApp": {"jpserver_extensions": dict.fromkeys(SERVER_EXTENSIONS, False)}})
    off = dict.fromkeys(LAB_PLUGINS, True)
    merge(folder / "labconfig" / "page_config.json", {"disabledExtensions": off, "lockedExtensions": off})


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit(__doc__.split("\n\n")[1])
    folder = config_dir(argv[0])
    write(folder)
    print(f"instructor pages off for this Jupyter: {folder}")


if __name__ == "__main__":
    main()
