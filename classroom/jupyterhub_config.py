"""JupyterHub for a class on one machine, offline (see classroom/README.md).

Start it as root from the course's environment (``classroom/setup.sh`` makes it):

    sudo /opt/dicom-in-python/bin/jupyterhub -f classroom/jupyterhub_config.py

Settings come from environment variables (defaults in brackets), so that the file itself
never needs editing:

CLASSROOM_ENV [/opt/dicom-in-python]   the course's environment, made by setup.sh
CLASSROOM_STATE [/srv/classroom]       database, cookie secret, passwords (root only)
CLASSROOM_IP [all interfaces]          where students connect; CLASSROOM_PORT [8000]
CLASSROOM_HUB_PORT [8081], CLASSROOM_PROXY_API_PORT [8001]   internal, on 127.0.0.1
CLASSROOM_HOME_BASE [/home], CLASSROOM_USER_PREFIX [student-]   the students' accounts
CLASSROOM_TEACHER [teacher]            the admin's login name
CLASSROOM_MEM_LIMIT [4G]               address-space limit of each student process (0: none)
CLASSROOM_IDLE_TIMEOUT [3600]          seconds without activity before a server is stopped
CLASSROOM_API_TOKEN [unset]            an admin API token for scripts (the tests use one)

The class password and the admin password are read from CLASSROOM_STATE/class-password and
CLASSROOM_STATE/admin-password (setup.sh writes them), or from CLASSROOM_PASSWORD and
CLASSROOM_ADMIN_PASSWORD.
"""

import os
import socket
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from classroom_hub import ClassroomAuthenticator, ClassroomSpawner  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub provides it)
env = os.environ.get
COURSE = Path(env("CLASSROOM_ENV", "/opt/dicom-in-python"))
STATE = Path(env("CLASSROOM_STATE", "/srv/classroom"))
IP, PORT = env("CLASSROOM_IP", ""), int(env("CLASSROOM_PORT", "8000"))


def _refuse(message: str) -> None:
    print(f"classroom/jupyterhub_config.py: {message}", file=sys.stderr)
    raise SystemExit(1)


def _port_free(ip: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def _secret(name: str, variable: str) -> str:
    value = env(variable) or ""
    path = STATE / name
    if not value and path.is_file():
        value = path.read_text().strip()
    if not value:
        _refuse(f"no {name.replace('-', ' ')}: run classroom/setup.sh, or set {variable}.")
    return value


if not (COURSE / "bin" / "jupyterhub-singleuser").is_file():
    _refuse(f"no course environment in {COURSE}: run sudo bash classroom/setup.sh first.")
if not STATE.is_dir():
    _refuse(f"no state folder {STATE}: run sudo bash classroom/setup.sh first.")
HUB_PORT = int(env("CLASSROOM_HUB_PORT", "8081"))
PROXY_API_PORT = int(env("CLASSROOM_PROXY_API_PORT", "8001"))
for ip, port, what in (
    (IP, PORT, "CLASSROOM_PORT"),
    ("127.0.0.1", HUB_PORT, "CLASSROOM_HUB_PORT"),
    ("127.0.0.1", PROXY_API_PORT, "CLASSROOM_PROXY_API_PORT"),
):
    if not _port_free(ip, port):
        _refuse(
            f"port {port} is already in use (a hub already running? `ss -ltnp | grep :{port}` "
            f"names the program). Stop it first, or choose another port with {what}."
        )

# --- the hub, its proxy, its state ------------------------------------------------------------
c.JupyterHub.ip, c.JupyterHub.port = IP, PORT
c.JupyterHub.hub_ip, c.JupyterHub.hub_port = "127.0.0.1", HUB_PORT
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
_proxy = HERE.parent / "node_modules" / ".bin" / "configurable-http-proxy"
if _proxy.is_file():  # `npm ci` in the clone installs it; else it must be on PATH
    c.ConfigurableHTTPProxy.command = [str(_proxy)]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server
c.JupyterHub.cleanup_proxy = True

# --- who logs in --------------------------------------------------------------------------------
TEACHER = env("CLASSROOM_TEACHER", "teacher")
c.JupyterHub.authenticator_class = ClassroomAuthenticator
c.ClassroomAuthenticator.user_password = _secret("class-password", "CLASSROOM_PASSWORD")
c.ClassroomAuthenticator.admin_password = _secret("admin-password", "CLASSROOM_ADMIN_PASSWORD")
c.ClassroomAuthenticator.admin_users = {TEACHER}
c.ClassroomAuthenticator.passwords_file = str(STATE / "student-passwords.json")
c.ClassroomAuthenticator.username_pattern = r"^[a-z][a-z0-9]{0,19}$"
c.ClassroomAuthenticator.allow_all = True  # anyone with the class password

# --- each student's server ---------------------------------------------------------------------
c.JupyterHub.spawner_class = ClassroomSpawner
c.ClassroomSpawner.cmd = [str(COURSE / "bin" / "jupyterhub-singleuser")]
c.ClassroomSpawner.default_url = "/lab/tree/notebooks"
c.ClassroomSpawner.home_base = env("CLASSROOM_HOME_BASE", "/home")
c.ClassroomSpawner.user_prefix = env("CLASSROOM_USER_PREFIX", "student-")
c.ClassroomSpawner.lessons_dir = str(COURSE / "share" / "dicom-in-python" / "notebooks")
_limit = env("CLASSROOM_MEM_LIMIT", "4G").upper()
_unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(_limit[-1:], 1)
c.ClassroomSpawner.address_space_limit = int(float(_limit.rstrip("KMG") or 0) * _unit)
c.ClassroomSpawner.environment = {
    # the sample data, generated once by setup.sh, read-only for students
    "BOOTCAMP_DATA_DIR": str(COURSE / "share" / "dicom-in-python" / "data"),
    "PATH": f"{COURSE / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    # one thread per kernel for numpy's libraries: 30 kernels share 2-8 cores anyway
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
c.ClassroomSpawner.start_timeout = 120  # a loaded machine with 30 students logging in at once
c.ClassroomSpawner.http_timeout = 120

# --- idle culling: stop servers nobody used for a while (their files stay) ----------------------
IDLE = int(env("CLASSROOM_IDLE_TIMEOUT", "3600"))
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={IDLE}",
            f"--cull-every={max(10, min(300, IDLE // 4))}",
        ],  # fmt: skip
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
if env("CLASSROOM_API_TOKEN"):
    c.JupyterHub.services.append(
        {"name": "classroom-admin", "api_token": env("CLASSROOM_API_TOKEN")}
    )
    c.JupyterHub.load_roles.append(
        {
            "name": "classroom-admin",
            "scopes": [
                "admin:users",
                "admin:servers",
                "tokens",
                "list:users",
                "read:users",
                "list:services",
            ],
            "services": ["classroom-admin"],
        }
    )
