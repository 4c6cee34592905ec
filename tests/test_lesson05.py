"""Lesson 05 runs against Orthanc and, with Orthanc hidden from PATH, against the fallback
(pynetdicom's qrscp), from a fresh kernel; after each run no server process and no port of
the lesson remain, and the lesson's own last code cell has closed them (issue 16).

test_notebooks.py runs every lesson with the PATH as it is; this file adds the fallback run
and the teardown checks (by /proc and by connecting, so no psutil is needed).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from .conftest import REPO, path_without, require_tool
from .notebook_harness import run_notebook
from .test_notebooks import _kernel_env

NOTEBOOK = REPO / "notebooks" / "05_networking.ipynb"
_PORT = re.compile(r"127\.0\.0\.1(?::| port )(\d+)")


def _text(cell) -> str:
    return "".join(
        output.get("text", "") or "".join(output.get("data", {}).get("text/plain", ""))
        for output in cell.get("outputs", [])
    )


def _processes_mentioning(folder: Path) -> list[str]:
    """Command lines of live processes that name ``folder`` (the servers' configurations)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if str(folder) in cmdline:
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("server", ["orthanc", "fallback"])
def test_lesson_runs_and_leaves_nothing_behind(server, tmp_path):
    env = _kernel_env()
    if server == "orthanc":
        require_tool("Orthanc", "orthanc orthanc-dicomweb")
    else:
        env["PATH"] = path_without("Orthanc")
    run = run_notebook(NOTEBOOK, tmp_path, env=env)
    assert not run.failures, f"{server} ({run.seconds:.1f} s):\n" + "\n".join(run.failures)

    code = [c for c in run.notebook.cells if c.cell_type == "code"]
    everything = "\n".join(_text(c) for c in code)
    if server == "fallback":
        assert "qrscp" in everything and "Orthanc" in everything  # said plainly, not silently
        assert "DICOMweb needs Orthanc" in everything
    else:
        assert "orthanc: AE title ORTHANC" in everything
        assert "largest difference WADO-RS - C-GET: 0" in everything

    last = _text(code[-1])
    assert last.count("closed") == 2 and "still open" not in last, last
    ports = {int(p) for p in _PORT.findall(everything)}
    assert len(ports) >= 2, everything[:2000]
    assert [p for p in ports if _listening(p)] == []
    assert _processes_mentioning(tmp_path) == []
