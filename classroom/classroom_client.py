"""Drive the classroom hub as students would, over HTTP (tests and benchmark use it).

A student logs in through the hub's login form (:func:`login`); a script with an admin API
token starts their server (:func:`start_server`), gets a token for them (:func:`user_token`)
and runs a lesson in their server through the Jupyter server's REST API and the kernel's
websocket (:func:`run_notebook`): each code cell, in order, as "Run All" does.

Also a command: ``python classroom/classroom_client.py URL`` says whether a hub answers there.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

CLASSROOM = Path(__file__).resolve().parent
CONFIG = CLASSROOM / "jupyterhub_config.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def start_hub(course: Path, env: dict[str, str], log: Path, wait: float = 90) -> subprocess.Popen:
    """``course/bin/jupyterhub -f classroom/jupyterhub_config.py``, once its API answers."""
    out = log.open("ab")
    hub = subprocess.Popen(
        [str(course / "bin" / "jupyterhub"), "-f", str(CONFIG)],
        env=env, cwd=env["CLASSROOM_STATE"], stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{env['CLASSROOM_PORT']}/hub/api"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise RuntimeError(f"the hub exited ({hub.returncode}): see {log}")
        try:
            if requests.get(url, timeout=2).ok:
                return hub
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    stop_hub(hub)
    raise RuntimeError(f"the hub did not answer at {url} within {wait} s: see {log}")


def stop_hub(hub: subprocess.Popen, wait: float = 60) -> int:
    """SIGTERM, as Ctrl-C would: the hub stops every server, the proxy, the culler."""
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
            hub.wait(10)
    return hub.returncode


def login(base: str, name: str, password: str) -> tuple[requests.Session, requests.Response]:
    """Fill the hub's login form; the response is the page the browser would end on."""
    session = requests.Session()
    session.get(f"{base}/hub/login", timeout=30)
    answer = session.post(
        f"{base}/hub/login?next=",
        data={"username": name, "password": password, "_xsrf": session.cookies.get("_xsrf")},
        allow_redirects=False,
        timeout=60,
    )
    return session, answer


def api(base: str, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method, f"{base}/hub/api{path}", headers={"Authorization": f"token {token}"},
        timeout=kwargs.pop("timeout", 60), **kwargs,
    )  # fmt: skip


def start_server(base: str, admin_token: str, name: str, wait: float = 180) -> dict:
    """Start ``name``'s server through the hub's REST API; its model once it is ready."""
    answer = api(base, admin_token, "POST", f"/users/{name}/server")
    if answer.status_code not in (201, 202, 400):  # 400: already running
        raise RuntimeError(f"starting {name}'s server: {answer.status_code} {answer.text}")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        server = api(base, admin_token, "GET", f"/users/{name}").json()["servers"].get("")
        if server and server.get("ready"):
            return server
        time.sleep(1)
    raise RuntimeError(f"{name}'s server was not ready within {wait} s")


def user_token(base: str, admin_token: str, name: str) -> str:
    answer = api(base, admin_token, "POST", f"/users/{name}/tokens", json={"note": "classroom"})
    answer.raise_for_status()
    return answer.json()["token"]


def _message(code: str, session: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "session": session,
            "username": "classroom",
            "version": "5.3",
        },  # fmt: skip
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },  # fmt: skip
        "channel": "shell",
        "buffers": [],
    }


def execute(ws, code: str, timeout: float = 600) -> tuple[str, list[dict]]:
    """Run ``code`` in the kernel behind websocket ``ws``: (status, iopub error contents)."""
    request = _message(code, uuid.uuid4().hex)
    ws.send(json.dumps(request))
    errors, status, idle = [], None, False
    deadline = time.monotonic() + timeout
    while status is None or not idle:
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        frame = ws.recv()
        if isinstance(frame, bytes):  # a message with binary buffers (a widget's): not ours
            continue
        reply = json.loads(frame)
        if reply.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
            continue
        kind = reply["msg_type"]
        if kind == "error":
            errors.append(reply["content"])
        elif kind == "execute_reply":
            status = reply["content"]["status"]
        elif kind == "status" and reply["content"]["execution_state"] == "idle":
            idle = True
    return status, errors


def open_kernel(base: str, name: str, token: str, notebook: str):
    """A kernel for ``notebook`` (a path in the student's home) and its websocket."""
    import websocket

    root = f"{base}/user/{name}/api"
    headers = {"Authorization": f"token {token}"}
    session = requests.post(
        f"{root}/sessions", headers=headers, timeout=120,
        json={"path": notebook, "type": "notebook", "kernel": {"name": "python3"}},
    )  # fmt: skip
    session.raise_for_status()
    kernel = session.json()["kernel"]["id"]
    ws_url = root.replace("http", "ws", 1) + f"/kernels/{kernel}/channels"
    ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=120)
    return session.json()["id"], kernel, ws


def run_notebook(base: str, name: str, token: str, notebook: str, local_copy: Path) -> dict:
    """Every code cell of ``local_copy`` (the lesson) run in ``name``'s server, as ``notebook``.

    Returns ``{"cells": n, "failures": [...], "seconds": s, "kernel": id}``: a failure is a
    cell that raised without the tag ``raises-exception``, or one with the tag that did not.
    """
    cells = [c for c in json.loads(local_copy.read_text())["cells"] if c["cell_type"] == "code"]
    started = time.monotonic()
    session, kernel, ws = open_kernel(base, name, token, notebook)
    failures = []
    try:
        for number, cell in enumerate(cells):
            status, errors = execute(ws, "".join(cell["source"]))
            meant = "raises-exception" in cell.get("metadata", {}).get("tags", [])
            if (status == "error") != meant:
                what = errors[0]["ename"] + ": " + errors[0]["evalue"] if errors else status
                failures.append(f"code cell {number}: {what}")
    finally:
        ws.close()
    return {"cells": len(cells), "failures": failures, "seconds": time.monotonic() - started,
            "kernel": kernel, "session": session}  # fmt: skip


class LoopbackHub:
    """A hub on free ports of 127.0.0.1, its state and homes in a temporary folder.

    For tests and benchmarks: student accounts get ``prefix`` and are deleted on exit, with
    their homes; ``env`` holds the settings (``CLASSROOM_*``) the hub was started with.
    """

    def __init__(self, course: Path, class_password: str, prefix: str, **settings: str):
        self.course, self.prefix, self.token = course, prefix, secrets.token_hex(32)
        self.root = Path(tempfile.mkdtemp(prefix="classroom-"))
        self.root.chmod(0o755)  # the students' homes are under it (each one 0700)
        (self.root / "state").mkdir(mode=0o700)
        (self.root / "home").mkdir()
        self.ports = {k: free_port() for k in ("public", "hub", "proxy")}
        self.env = dict(
            os.environ, CLASSROOM_ENV=str(course), CLASSROOM_STATE=str(self.root / "state"),
            CLASSROOM_IP="127.0.0.1", CLASSROOM_PORT=str(self.ports["public"]),
            CLASSROOM_HUB_PORT=str(self.ports["hub"]),
            CLASSROOM_PROXY_API_PORT=str(self.ports["proxy"]),
            CLASSROOM_HOME_BASE=str(self.root / "home"), CLASSROOM_USER_PREFIX=prefix,
            CLASSROOM_API_TOKEN=self.token, CLASSROOM_PASSWORD=class_password,
            CLASSROOM_ADMIN_PASSWORD=secrets.token_hex(20), **settings,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.ports['public']}"
        self.log = self.root / "hub.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LoopbackHub:
        try:
            self.process = start_hub(self.course, self.env, self.log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            stop_hub(self.process)
        for entry in pwd.getpwall():
            if entry.pw_name.startswith(self.prefix):
                subprocess.run(["pkill", "-KILL", "-u", entry.pw_name], check=False)
                subprocess.run(["userdel", "-r", entry.pw_name], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def account(self, student: str) -> pwd.struct_passwd:
        return pwd.getpwnam(self.prefix + student)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str]) -> int:
    url = argv[0] if argv else "http://127.0.0.1:8000"
    try:
        version = requests.get(f"{url}/hub/api", timeout=5).json()["version"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        print(f"no hub at {url}: {exc}")
        return 1
    print(f"JupyterHub {version} answers at {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
