"""JupyterHub for a class on one machine (hub/classroom.py starts it; make hub-test, make class).

Everything is read from the environment classroom.py sets, so that two runs never share a
port, a folder or a secret:

    SPRINTLIB_CLASS_DIR     the class's folder: homes/<user>/, exchange/, the Hub's database
    SPRINTLIB_HUB_PORT      the public port (the proxy), on 127.0.0.1
    SPRINTLIB_HUB_API_PORT  the Hub's own port; SPRINTLIB_PROXY_API_PORT the proxy's API
    SPRINTLIB_SERVICE_TOKEN the token classroom.py drives the Hub's REST API with
    SPRINTLIB_USERS         the instructor first, then the students (comma-separated)
    CONFIGPROXY_AUTH_TOKEN  the proxy's API token

Only for one machine and a test: DummyAuthenticator (any password for the listed users) and
SimpleLocalProcessSpawner (each user's server runs as the Hub's own unix user, in a home
folder of its own: no isolation between users). A real class uses the Hub of its cluster
(docs/deploy.md).
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"
CLASS = Path(os.environ["SPRINTLIB_CLASS_DIR"])
USERS = os.environ["SPRINTLIB_USERS"].split(",")

c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['SPRINTLIB_HUB_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['SPRINTLIB_HUB_API_PORT']}"
c.JupyterHub.db_url = f"sqlite:///{CLASS / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(CLASS / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(CLASS / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # the users' servers stop with the Hub
c.JupyterHub.cleanup_proxy = True

# configurable-http-proxy from npm, installed in hub/node_modules (make hub-deps)
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['SPRINTLIB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = str(CLASS / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.should_start = True

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = {USERS[0]}  # the instructor

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(CLASS / "homes" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--ServerApp.ip=127.0.0.1"] + (["--allow-root"] if os.geteuid() == 0 else [])
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180  # a loaded 2-core machine starts four servers at once
c.Spawner.http_timeout = 180
c.Spawner.environment = {
    # nbgrader runs `alembic` from PATH; the users' kernels are the project's Python
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
}
# The instructor's server stops at a config file that raises (the course's nbgrader_config.py
# importing the engine), rather than run the formgrader without it: nbgrader's own execution
# would then autograde (hub/classroom.py's RAISE_CONFIG_ERRORS; "" is traitlets' default).
c.Spawner.environment["TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR"] = \
    lambda spawner: "1" if spawner.user.name == USERS[0] else ""
# The grading secrets (autograder/README.md), when the Hub was started with them: the
# instructor's server grades (the formgrader's Autograde button) with the same seed and
# hidden images as the instructor's `nbgrader autograde`; a student's server never sees them.
for _name in ("SPRINTLIB_GRADING_SEED", "SPRINTLIB_HIDDEN_IMAGES_KEY"):
    if os.environ.get(_name):
        c.Spawner.environment[_name] = (lambda spawner, value=os.environ[_name]:
                                        value if spawner.user.name == USERS[0] else "")

c.JupyterHub.services = [{"name": "classroom", "api_token": os.environ["SPRINTLIB_SERVICE_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "classroom",
    "scopes": ["read:hub", "list:users", "read:users", "admin:servers", "admin:server_state", "tokens"],
    "services": ["classroom"],
}]
