"""Where the course lives: the one place that names the repository and the branch.

Colab badges, the notebooks' setup cells and the book's launch buttons are all derived from
these values (tests/test_notebook_structure.py checks that every badge agrees).
"""

from __future__ import annotations

__all__ = ["BRANCH", "REPOSITORY", "colab_badge", "colab_url", "install_url"]

#: The course's public repository on GitHub, as owner/name.
REPOSITORY = "dicom-in-python/dicom-in-python"
#: The branch that students open and install from.
BRANCH = "main"

_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook_path: str) -> str:
    """The Colab address that opens ``notebook_path`` (relative to the repository root)."""
    path = notebook_path.lstrip("/")
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def colab_badge(notebook_path: str) -> str:
    """The Markdown of the "Open in Colab" badge for ``notebook_path``."""
    return f"[![Open In Colab]({_BADGE_IMAGE})]({colab_url(notebook_path)})"


def install_url() -> str:
    """What ``pip install`` takes to install bootcamp_utils from the repository."""
    return f"git+https://github.com/{REPOSITORY}@{BRANCH}"
