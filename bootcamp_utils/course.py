"""Where the course lives: the one place that names the repository and the branch.

Colab badges, the notebooks' setup cells and the book's launch buttons are all derived from
these values (tests/test_notebook_structure.py checks that every badge agrees).

>>> from bootcamp_utils.course import repository_url
>>> repository_url()
'https://github.com/dicom-in-python/dicom-in-python'
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
    """The Colab address that opens ``notebook_path`` from the course's GitHub repository.

    Parameters
    ----------
    notebook_path : str
        The notebook's path relative to the repository root (a leading ``/`` is ignored).

    Returns
    -------
    str
        The address Colab opens the notebook at, on :data:`BRANCH`.

    Examples
    --------
    >>> from bootcamp_utils.course import colab_url
    >>> colab_url("notebooks/01_dicom_basics.ipynb")
    'https://colab.research.google.com/github/dicom-in-python/dicom-in-python/blob/main/notebooks/01_dicom_basics.ipynb'
    """
    path = notebook_path.lstrip("/")
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def colab_badge(notebook_path: str) -> str:
    """The Markdown of the "Open in Colab" badge for ``notebook_path``.

    Cell 0 of every notebook and the README's table carry it (tests check both).

    Parameters
    ----------
    notebook_path : str
        The notebook's path relative to the repository root.

    Returns
    -------
    str
        ``[![Open In Colab](badge image)](Colab address)``.

    Examples
    --------
    >>> from bootcamp_utils.course import colab_badge
    >>> colab_badge("notebooks/01_dicom_basics.ipynb")  # doctest: +ELLIPSIS
    '[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://.../notebooks/01_dicom_basics.ipynb)'
    """
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook_path)})"


def install_url() -> str:
    """What ``pip install`` takes to install bootcamp_utils from the repository.

    Returns
    -------
    str
        A ``git+https`` requirement for :data:`BRANCH` of :data:`REPOSITORY`.

    Examples
    --------
    >>> from bootcamp_utils.course import install_url
    >>> install_url()
    'git+https://github.com/dicom-in-python/dicom-in-python@main'
    """
    return f"git+https://github.com/{REPOSITORY}@{BRANCH}"


def repository_url() -> str:
    """The repository's web address (the book's repository and launch buttons use it).

    Returns
    -------
    str
        ``https://github.com/`` followed by :data:`REPOSITORY`.

    Examples
    --------
    >>> from bootcamp_utils.course import repository_url
    >>> repository_url().endswith("/dicom-in-python/dicom-in-python")
    True
    """
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

    Returns
    -------
    str
        The cell's source, to paste as the first code cell of a notebook (the lesson
        template has it already).

    Examples
    --------
    >>> from bootcamp_utils.course import setup_cell
    >>> print(setup_cell().splitlines()[0])
    # Setup: on Colab, install the course helpers (a few seconds); elsewhere nothing to do.
    >>> "enable_custom_widget_manager()" in setup_cell()
    True
    """
    return _SETUP_CELL.format(install_url=install_url(), variable=INSTALL_SOURCE_VARIABLE)
