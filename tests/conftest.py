"""Shared test fixtures.

External tools (dcm2niix, dciodvfy, a browser) are optional on a developer's machine: a test
that needs one is skipped with a reason when it is missing, but fails when the environment
variable ``CI`` is set, because CI must install everything (see .ci/run).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

IN_CI = bool(os.environ.get("CI"))
REPO = Path(__file__).resolve().parents[1]
#: The real-file sweep's report (tests/test_real_files_sweep.py); its table is printed at
#: the end of the run (pytest_terminal_summary), where xdist's workers cannot print.
SWEEP_REPORT = Path(os.environ.get("TEST_ARTIFACTS", REPO / "test-artifacts")) / "sweep-report.txt"
_SESSION_STARTED: list[float] = []


def pytest_sessionstart(session) -> None:
    import time

    _SESSION_STARTED.append(time.time())


def pytest_terminal_summary(terminalreporter) -> None:
    """The sweep's table by helper, when this run wrote it (CI logs then show it)."""
    fresh = _SESSION_STARTED and SWEEP_REPORT.is_file()
    if not fresh or SWEEP_REPORT.stat().st_mtime < _SESSION_STARTED[0]:
        return
    table = SWEEP_REPORT.read_text().split("\nFailures (")[0]
    terminalreporter.write_sep("=", "real-file sweep (tests/test_real_files_sweep.py)")
    terminalreporter.write_line(table.rstrip())
    terminalreporter.write_line(f"(full report: {SWEEP_REPORT})")


def require_tool(name: str, debian_package: str) -> str:
    """Path of the command ``name``; skip (locally) or fail (under CI) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: apt-get install {debian_package}"
        if IN_CI:
            pytest.fail(message + " (CI must install it in .ci/run)")
        pytest.skip(message)
    return path


def path_without(executable: str) -> str:
    """This PATH without the folders holding ``executable`` (e.g. "Orthanc": /usr/sbin)."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    kept = [f for f in folders if f and not (Path(f) / executable).exists()]
    path = os.pathsep.join(kept)
    assert shutil.which(executable, path=path) is None
    return path


def inflated(path: Path):
    """A deflated file read without pydicom's inflater: the meta group, then raw zlib."""
    import pydicom
    from pydicom.filereader import read_dataset

    raw = Path(path).read_bytes()
    assert raw[128:132] == b"DICM"
    assert raw[132:140] == b"\x02\x00\x00\x00UL\x04\x00"  # (0002,0000) group length
    end = 144 + struct.unpack("<I", raw[140:144])[0]
    meta = pydicom.dcmread(path, stop_before_pixels=True).file_meta
    ds = read_dataset(io.BytesIO(zlib.decompress(raw[end:], -15)), False, True)
    ds.file_meta = meta
    return ds


def _is_deflated(path: Path) -> bool:
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    raw = Path(path).read_bytes()
    return raw[128:132] == b"DICM" and DeflatedExplicitVRLittleEndian.encode() in raw[132:1024]


def dciodvfy_errors(dciodvfy: str, path: Path) -> list[str]:
    """The error lines ``dciodvfy`` reports for one file (warnings are not counted).

    dciodvfy cannot read Deflated Explicit VR Little Endian ("Dicom dataset read failed"): such
    a file is checked as the data set zlib inflates from it, written explicit VR little endian.
    """
    with tempfile.TemporaryDirectory() as tmp:
        output = dciodvfy_output(dciodvfy, path, Path(tmp))
    return dciodvfy_error_lines(output.decode("utf-8", "replace"))  # it echoes raw bytes


def dciodvfy_output(dciodvfy: str, path: Path, tmp: Path, timeout: float | None = None) -> bytes:
    """What ``dciodvfy`` prints for one file (stdout, then stderr), as bytes.

    A deflated file is checked as the data set zlib inflates from it, written explicit VR
    little endian into the folder ``tmp``; ``timeout`` as :func:`subprocess.run` takes it.
    """
    from pydicom.uid import ExplicitVRLittleEndian

    if _is_deflated(path):
        plain = inflated(path)
        plain.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = Path(tmp) / "inflated.dcm"
        plain.save_as(path)
    result = subprocess.run([dciodvfy, str(path)], capture_output=True, timeout=timeout)
    return result.stdout + result.stderr


def dciodvfy_error_lines(output: str) -> list[str]:
    """The lines of dciodvfy's decoded output that are errors, not warnings."""
    return [
        line for line in output.splitlines() if line.startswith("Error") or " - Error - " in line
    ]


@pytest.fixture(scope="session")
def samples_root(tmp_path_factory) -> Path:
    """Every generated sample, written once per test session into a temporary folder."""
    from bootcamp_utils.data import write_samples

    return write_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Tests never write into the checkout's data/ or the user's cache."""
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data_dir"))


# The JupyterLab / Notebook 7 server fixture, for every browser test that needs a kernel
# (imported last: it imports .browser, which reads the names above).
from .jupyter_server import jupyter_server  # noqa: E402, F401
