"""Where the course lives: the one place that names the repository and the branch.

Colab badges, the notebooks' setup cells and the book's launch buttons are all derived from
these values (tests/test_notebook_structure.py checks that every badge agrees).
"""

from __future__ import annotations

__all__ = [
    "BADGE_IMAGE",
    "BRANCH",
    "INSTALL_SOURCE_VARIABLE",
    "REPOSITORY",
    "colab_badge",
    "colab_url",
    "install_url",
    "repository_url",
    "setup_cell",
]

#: The course's public repository on GitHub, as owner/name.
REPOSITORY = "dicom-in-python/dicom-in-python"
#: The branch that students open and install from.
BRANCH = "main"
#: Environment variable that makes the setup cell install from somewhere else (a local
#: checkout, a fork, a branch): the Colab-like test installs the checkout through it.
INSTALL_SOURCE_VARIABLE = "BOOTCAMP_INSTALL_SOURCE"

#: The "Open in Colab" badge image (on Colab's server).
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook_path: str) -> str:
    """The Colab address that opens ``notebook_path`` (relative to the repository root)."""
    path = notebook_path.lstrip("/")
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def colab_badge(notebook_path: str) -> str:
    """The Markdown of the "Open in Colab" badge for ``notebook_path``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook_path)})"


def install_url() -> str:
    """What ``pip install`` takes to install bootcamp_utils from the repository."""
    return f"git+https://github.com/{REPOSITORY}@{BRANCH}"


def repository_url() -> str:
    """The repository's web address (the book's repository and launch buttons use it)."""
    return f"https://github.com/{REPOSITORY}"


_SETUP_CELL = """\
# Setup: on Colab, install the course helpers (a few seconds); elsewhere nothing to do.
import importlib.util
import os
import subprocess
import sys

COURSE = "{install_url}"
if importlib.util.find_spec("bootcamp_utils") is None:
    # pip installs bootcamp_utils and only the packages that are missing; nothing is upgraded.
    source = os.environ.get("{variable}", COURSE)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    importlib.invalidate_caches()
if "google.colab" in sys.modules:
    # The window/level viewer is a third-party widget: Colab shows those only with this.
    from google.colab import output

    output.enable_custom_widget_manager()"""


def setup_cell() -> str:
    """The source of every notebook's setup cell (the first code cell, tagged ``setup``).

    Idempotent: where bootcamp_utils can be imported it installs nothing, so re-running it, or
    running it outside Colab, takes milliseconds. ``BOOTCAMP_INSTALL_SOURCE`` overrides what
    ``pip install`` takes (tests/test_colab_like.py installs the local checkout this way).
    """
    return _SETUP_CELL.format(install_url=install_url(), variable=INSTALL_SOURCE_VARIABLE)
