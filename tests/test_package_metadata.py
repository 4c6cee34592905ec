"""The package's metadata: the version written once, and the licence the LICENSE file states.

``pyproject.toml`` reads the version from ``bootcamp_utils.__version__``
(``[tool.setuptools.dynamic]``) and names the licence of ``LICENSE``. A wheel is built, offline
and without build isolation (as tests/test_packaging.py installs), from a copy of the files a
build reads, so the checkout gets no ``build/`` or ``*.egg-info``.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import bootcamp_utils

from .conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _wheel_metadata(tmp_path: Path, edit_init=None) -> tuple[email.message.Message, dict]:
    """Build a wheel from a copy of the sources: (its METADATA, {dist-info file: text})."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "bootcamp_utils",
        src / "bootcamp_utils",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if edit_init is not None:
        init = src / "bootcamp_utils" / "__init__.py"
        init.write_text(edit_init(init.read_text()))
    env = dict(os.environ, PIP_NO_INDEX="1")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "out"),
            str(src),
        ],
        check=True,
        env=env,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        info = {Path(n).name: z.read(n).decode() for n in z.namelist() if ".dist-info/" in n}
    return email.message_from_string(info["METADATA"]), info


def test_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "bootcamp_utils.__version__"
    }


def test_wheel_has_the_package_version_and_the_license(tmp_path):
    metadata, files = _wheel_metadata(tmp_path)
    assert metadata["Version"] == bootcamp_utils.__version__
    assert metadata["License"] == "MIT"
    assert files["LICENSE"] == (REPO / "LICENSE").read_text()


def test_the_build_reads_the_version_without_importing_the_package(tmp_path):
    def edit(text: str) -> str:
        text = text.replace(
            f'__version__ = "{bootcamp_utils.__version__}"', '__version__ = "9.8.7"'
        )
        assert "9.8.7" in text
        return 'raise RuntimeError("the build imported the package")\n' + text

    metadata, _ = _wheel_metadata(tmp_path, edit)
    assert metadata["Version"] == "9.8.7"


def test_license_file_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["license"] == {"text": "MIT"}
    assert project["tool"]["setuptools"]["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The DICOM in Python course authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
