"""Where the course lives: the one place that names the repository and the git ref.

Colab badges (the README's), Colab links (the notebooks'), the notebooks' setup cells and the
book's launch buttons are all derived from these values (tests/test_notebook_structure.py checks
that every notebook agrees).

:data:`REF` is the branch ``main`` between releases. On a release commit it is the release's
tag (``v1.0.0``): ``python tools/release.py 1.0.0`` writes it here and rewrites every badge,
Colab link and setup cell to match, so that a class given that release's README opens the
notebooks at the tag, and their setup cell installs the helpers of the same tag
(CHANGELOG.md lists the releases; ``python tools/release.py --reopen`` brings main back).

>>> from bootcamp_utils.course import repository_url
>>> repository_url()
'https://github.com/dicom-in-python/dicom-in-python'
"""

from __future__ import annotations

import re

__all__ = [
    "BADGE_IMAGE",
    "BRANCH",
    "INSTALL_SOURCE_VARIABLE",
    "REF",
    "REPOSITORY",
    "SETUP_FOLDED",
    "colab_badge",
    "colab_link",
    "colab_url",
    "install_url",
    "is_release",
    "readme_url",
    "repository_url",
    "setup_cell",
]

#: The course's public repository on GitHub, as owner/name.
REPOSITORY = "dicom-in-python/dicom-in-python"
#: The git ref students open and install from: the branch ``main``, or on a release commit the
#: release's tag (``tools/release.py`` rewrites this line; nothing else should).
REF = "main"
#: The same as :data:`REF` (the book's extension passes it on as ``repository_branch``).
BRANCH = REF
#: Environment variable that makes the setup cell install from somewhere else (a local
#: checkout, a fork, a branch): the Colab-like test installs the checkout through it.
INSTALL_SOURCE_VARIABLE = "BOOTCAMP_INSTALL_SOURCE"

#: The "Open in Colab" badge image (on Colab's server: the README shows it; the notebooks, opened
#: offline too, carry a text link instead, :func:`colab_link`).
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
        The address Colab opens the notebook at, at :data:`REF`.

    Examples
    --------
    >>> from bootcamp_utils.course import colab_url
    >>> colab_url("notebooks/01_dicom_basics.ipynb")
    'https://colab.research.google.com/github/dicom-in-python/dicom-in-python/blob/main/notebooks/01_dicom_basics.ipynb'
    """
    path = notebook_path.lstrip("/")
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{REF}/{path}"


def colab_badge(notebook_path: str) -> str:
    """The Markdown of the "Open in Colab" badge for ``notebook_path``.

    The README's table carries it (tests/test_readme.py checks). The notebooks carry
    :func:`colab_link`, which needs no image from Colab's server.

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


def colab_link(notebook_path: str) -> str:
    """The "Open in Colab" text link of cell 0 of the notebook at ``notebook_path``.

    Plain text, so it reads the same offline (a badge image from Colab's server would show as
    a broken image); HTML, so that the book can tell it from other links by its class
    ``colab-link``, the class book/_ext/course_book.py gives a badge image it turns into text.

    Parameters
    ----------
    notebook_path : str
        The notebook's path relative to the repository root.

    Returns
    -------
    str
        ``<a href="(Colab address)"><span class="colab-link">Open in Colab</span></a>``.

    Examples
    --------
    >>> from bootcamp_utils.course import colab_link
    >>> print(colab_link("notebooks/01_dicom_basics.ipynb"))  # doctest: +ELLIPSIS
    <a href="https://...01_dicom_basics.ipynb"><span class="colab-link">Open in Colab</span></a>
    """
    return f'<a href="{colab_url(notebook_path)}"><span class="colab-link">Open in Colab</span></a>'


def install_url() -> str:
    """What ``pip install`` takes to install bootcamp_utils from the repository.

    Returns
    -------
    str
        A ``git+https`` requirement for :data:`REF` of :data:`REPOSITORY`.

    Examples
    --------
    >>> from bootcamp_utils.course import install_url
    >>> install_url()
    'git+https://github.com/dicom-in-python/dicom-in-python@main'
    """
    return f"git+https://github.com/{REPOSITORY}@{REF}"


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


def is_release() -> bool:
    """Whether :data:`REF` is a release's tag (``v`` and a version) rather than a branch.

    Returns
    -------
    bool
        True on a release commit, False on ``main`` (and on any other branch).

    Examples
    --------
    >>> from bootcamp_utils.course import REF, is_release
    >>> is_release() == (REF != "main")
    True
    """
    return re.fullmatch(r"v\d+\.\d+\.\d+", REF) is not None


def readme_url(ref: str | None = None) -> str:
    """The web address of the README at ``ref``: its badges open the notebooks at that ref.

    A teacher pins a class to a release by giving students this address for the release's
    tag: every badge there opens the notebook at the tag, whose setup cell installs the
    helpers of the same tag.

    Parameters
    ----------
    ref : str, optional
        A tag such as ``"v1.0.0"`` or a branch; default :data:`REF`.

    Returns
    -------
    str
        ``https://github.com/<repository>/blob/<ref>/README.md``.

    Examples
    --------
    >>> from bootcamp_utils.course import readme_url
    >>> readme_url("v1.0.0")
    'https://github.com/dicom-in-python/dicom-in-python/blob/v1.0.0/README.md'
    """
    return f"{repository_url()}/blob/{ref or REF}/README.md"


_SETUP_CELL = """\
# @title Setup: installs the course helpers on Colab (a few seconds); elsewhere, nothing
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("bootcamp_utils") is None:  # pip adds only what is missing
    course = "{install_url}"
    source = os.environ.get("{variable}", course)  # a fork, a branch, a local copy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    importlib.invalidate_caches()
if "google.colab" in sys.modules:  # the viewer is a widget: Colab shows it only after this
    from google.colab import output

    output.enable_custom_widget_manager()"""

#: The setup cell's metadata that folds it to its first line: JupyterLab and Notebook 7 collapse
#: the source (``jupyter.source_hidden``), Colab shows a form with the ``@title`` line and a
#: "Show code" toggle (``cellView``). The book folds it by its ``hide-input`` tag; the slides
#: skip it.
SETUP_FOLDED = {"jupyter": {"source_hidden": True}, "cellView": "form"}


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
    # @title Setup: installs the course helpers on Colab (a few seconds); elsewhere, nothing
    >>> "enable_custom_widget_manager()" in setup_cell()
    True
    >>> len(setup_cell().splitlines())
    15
    """
    return _SETUP_CELL.format(install_url=install_url(), variable=INSTALL_SOURCE_VARIABLE)
