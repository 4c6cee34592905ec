"""The processes behind :func:`bootcamp_utils.pacs.start_pacs`: start, wait for, and stop them.

A server started for a lesson must never outlive it. Each one runs in its own process group
(``start_new_session``), so that stopping it stops whatever it started too; on Linux the kernel
sends it SIGTERM when the Python that started it dies (``prctl(PR_SET_PDEATHSIG)``), so a
killed kernel leaves no PACS behind; and the servers still running when Python exits are
stopped (``atexit``). It is ready when it answers a C-ECHO (PS3.4 Annex A, Verification): an
open port alone does not mean the server accepts associations yet.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
#: Servers started by this interpreter and not stopped yet: stopped at exit.
RUNNING: dict[int, subprocess.Popen] = {}
#: The folder of each server in ``RUNNING`` (pid -> folder): one server per folder.
FOLDERS: dict[int, Path] = {}
#: The DICOMweb server next to each qrscp in ``RUNNING`` (pid -> server): stopped with it.
WEB: dict[int, Any] = {}


def free_ports(n: int) -> list[int]:
    """``n`` different free ports (the sockets stay open until all are chosen)."""
    sockets = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def stop_servers_in(folder: Path) -> None:
    """Stop the servers this interpreter runs in ``folder`` (one server per storage)."""
    for pid, where in list(FOLDERS.items()):
        process = RUNNING.get(pid)
        if where == folder and process is not None:
            print(f"Stopping the PACS already running in {folder} (pid {pid}) first")
            terminate(process)


def die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the kernel sends SIGTERM to this process when its parent dies."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], folder: Path, log_file: Path) -> subprocess.Popen:
    """Start ``command`` in ``folder``, output to ``log_file``, in its own process group."""
    options: dict[str, Any] = {}
    if os.name == "posix":
        options["start_new_session"] = True  # own process group: stop() ends all of it
        if sys.platform.startswith("linux"):
            options["preexec_fn"] = die_with_parent
    else:  # pragma: no cover - Windows
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **options,
        )
    RUNNING[process.pid] = process
    FOLDERS[process.pid] = folder
    return process


def log_tail(log_file: Path, lines: int = 5) -> str:
    try:
        text = log_file.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return "\n    ".join(text[-lines:]) or "(empty)"


def wait_until_ready(
    process: subprocess.Popen,
    name: str,
    port: int,
    ae_title: str,
    client_ae: str,
    http_url: str | None,
    log_file: Path,
    timeout: float,
) -> str | None:
    """Poll until REST ``/system`` answers (Orthanc) and a C-ECHO succeeds: None, else why not."""
    deadline = time.monotonic() + timeout
    http_ok = http_url is None
    while True:
        code = process.poll()
        if code is not None:
            return (
                f"{name} exited with code {code} before answering; its log {log_file} ends "
                f"with:\n    {log_tail(log_file)}"
            )
        if not http_ok:
            http_ok = http_answers(f"{http_url}/system")
        if http_ok and echo(port, ae_title, client_ae) == 0:
            return None
        if time.monotonic() > deadline:
            return (
                f"{name} did not answer a C-ECHO on {HOST}:{port} within {timeout:g} s: read "
                f"its log {log_file}, or give start_pacs a longer timeout. The log ends "
                f"with:\n    {log_tail(log_file)}"
            )
        time.sleep(0.05)


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def echo(port: int, ae_title: str, client_ae: str) -> int | None:
    """The C-ECHO status from the PACS, or None when no association was made."""
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    ae = AE(client_ae)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.network_timeout = ae.connection_timeout = 2
    assoc = ae.associate(HOST, port, ae_title=ae_title)
    if not assoc.is_established:
        return None
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    return int(status.Status) if "Status" in status else None


def terminate(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s; reap it."""
    RUNNING.pop(process.pid, None)
    FOLDERS.pop(process.pid, None)
    web = WEB.pop(process.pid, None)
    if web is not None:
        web.stop()
    if process.poll() is not None:
        return
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    else:  # pragma: no cover
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover
            process.kill()
        process.wait()


@atexit.register
def stop_all() -> None:
    for process in list(RUNNING.values()):
        terminate(process)
