"""One code style, enforced by the test command: ``ruff check`` and ``ruff format --check``.

Notebooks are linted but not formatted: their code is laid out for teaching and for the
slides (``[tool.ruff.format] exclude`` in pyproject.toml). The test command itself is strict:
an unknown marker or an unexpectedly passing ``xfail`` fails, and the package's doctests run
with the same protection as the tests (generated samples never land in the checkout).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IN_CI, REPO


def _ruff(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    ruff = shutil.which("ruff")
    if ruff is None:
        if IN_CI:
            pytest.fail("ruff not installed: pip install -r requirements-dev.txt")
        pytest.skip("ruff not installed: pip install -r requirements-dev.txt")
    return subprocess.run([ruff, *args], capture_output=True, text=True, cwd=cwd)


def test_ruff_check_passes():
    run = _ruff("check", ".")
    assert run.returncode == 0, f"ruff check . (fix: ruff check --fix .):\n{run.stdout}"


def test_ruff_format_leaves_everything_as_it_is():
    run = _ruff("format", "--check", ".")
    assert run.returncode == 0, f"ruff format --check . (fix: ruff format .):\n{run.stdout}"


def test_notebooks_are_linted():
    listed = _ruff("check", "--show-files", ".").stdout
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks and all(str(nb) in listed for nb in notebooks)


def test_notebooks_are_not_formatted(tmp_path):
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c",
        "metadata": {},
        "outputs": [],
        "source": ["x=[1,2]"],
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "99_lesson.ipynb"
    path.write_text(json.dumps(nb))
    # ruff would reformat this cell (so the check below is not vacuous) ...
    assert _ruff("format", "--check", "--isolated", str(path), cwd=tmp_path).returncode == 1
    # ... but the course's settings leave notebooks alone, as `ruff format .` does
    run = _ruff(
        "format",
        "--check",
        "--force-exclude",
        "--config",
        str(REPO / "pyproject.toml"),
        str(path),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _pytest(tmp_path, test_source: str) -> subprocess.CompletedProcess:
    """Run pytest with the course's configuration on one test file in ``tmp_path``."""
    (tmp_path / "test_probe.py").write_text(test_source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_probe.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_unknown_markers_fail(tmp_path):
    run = _pytest(tmp_path, "import pytest\n\n@pytest.mark.externl\ndef test_x():\n    pass\n")
    assert run.returncode != 0
    assert "'externl' not found in `markers`" in run.stdout + run.stderr


def test_an_xfail_that_passes_fails(tmp_path):
    run = _pytest(
        tmp_path,
        "import pytest\n\n@pytest.mark.xfail(reason='known bug')\ndef test_x():\n    pass\n",
    )
    assert run.returncode == 1
    assert "XPASS(strict)" in run.stdout


_PROBE = """
import os


def pytest_runtest_call(item):
    print("\\nPROBE", item.nodeid, os.environ.get("BOOTCAMP_DATA_DIR"))
"""


def test_doctests_run_with_their_own_data_folder(tmp_path):
    """The root conftest.py gives every doctest a temporary BOOTCAMP_DATA_DIR."""
    (tmp_path / "doctest_probe.py").write_text(_PROBE)
    env = {k: v for k, v in os.environ.items() if k != "BOOTCAMP_DATA_DIR"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-s",
            "-q",
            "-n",
            "0",  # in this process: the probe prints where -s shows it (xdist workers don't)
            "-p",
            "doctest_probe",
            "-p",
            "no:cacheprovider",
            "bootcamp_utils/course.py",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    seen = re.findall(r"^PROBE (\S+) (\S+)$", run.stdout, re.M)
    assert len(seen) >= 5, run.stdout  # the module and each public function
    for nodeid, folder in seen:
        assert nodeid.startswith("bootcamp_utils/course.py::"), nodeid
        assert folder != "None" and REPO not in Path(folder).parents, (nodeid, folder)
