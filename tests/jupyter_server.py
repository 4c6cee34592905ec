"""A JupyterLab 4 or Notebook 7 server on 127.0.0.1 for the browser tests that need a kernel.

``jupyter_server`` is a pytest fixture (parametrized over both front ends), offered to every
test by tests/conftest.py: take it as an argument.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .browser import require_browser

TOKEN = "bootcamp-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# front end -> (module to run, its extra options, the notebook's URL path)
FRONT_ENDS = {
    "jupyterlab": (
        "jupyterlab",
        ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        "lab/tree",
    ),
    "notebook7": ("notebook", [], "notebooks"),
}


@pytest.fixture(params=sorted(FRONT_ENDS))
def jupyter_server(request, tmp_path):
    """A JupyterLab 4 or Notebook 7 server on 127.0.0.1 serving tmp_path.

    Yields (base URL, URL path of notebooks)."""
    require_browser()
    module, options, tree = FRONT_ENDS[request.param]
    pytest.importorskip(
        module, reason=f"{module} not installed: pip install -r requirements-dev.txt"
    )
    port = _free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / ".config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"),
        MPLBACKEND="Agg",
    )
    env.update(getattr(request.module, "SERVER_ENV", {}))  # a test module's own additions
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={tmp_path}",
            *options,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    pytest.fail(
                        f"{module} did not start:\n" + (tmp_path / "server.log").read_text()[-3000:]
                    )
                time.sleep(0.3)
        yield base, tree
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _start_session(base: str, path: str) -> None:
    """Start the notebook's kernel through the REST API: the page then attaches to it
    (instead of JupyterLab sometimes asking which kernel to start)."""
    body = json.dumps(
        {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/sessions?token={TOKEN}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()


def _one_settled_kernel(base: str, seconds: float = 3, limit: float = 60) -> None:
    """Wait until the server has had the same single kernel for ``seconds``.

    JupyterLab sometimes starts a second kernel for a notebook it has just opened and drops
    the first; cells Run All sent to the first then never report back.
    """
    deadline, seen, since = time.monotonic() + limit, None, time.monotonic()
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=5) as answer:
            ids = sorted(k["id"] for k in json.load(answer))
        if ids != seen:
            seen, since = ids, time.monotonic()
        elif len(ids) == 1 and time.monotonic() - since >= seconds:
            return
        time.sleep(0.3)
    raise AssertionError(f"no single settled kernel after {limit} s: {seen}")
