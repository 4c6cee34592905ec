"""bootcamp_utils installs from a git URL (as Colab will) and works outside a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO


def test_install_from_git_url_and_use_the_user_cache(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    target, home = tmp_path / "site", tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "BOOTCAMP_DATA_DIR"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PIP_NO_INDEX="1")
    # No build isolation and no dependencies: nothing is downloaded.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            f"git+file://{REPO}",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    installed = target / "bootcamp_utils"
    assert (installed / "data" / "_phantom.py").is_file()
    script = (
        "import bootcamp_utils as b, bootcamp_utils.data as d; "
        "print(b.__file__); print(d.data_dir()); print(b.sample_path('head_mr'))"
    )
    env["PYTHONPATH"] = str(target)
    out = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(installed))
    assert out[1] == str(home / ".cache" / "bootcamp_utils")
    assert len(list((home / ".cache" / "bootcamp_utils" / "head_mr").glob("*.dcm"))) == 36
