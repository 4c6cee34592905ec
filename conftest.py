"""Fixtures for everything pytest collects, the package's doctests included.

The doctests in ``bootcamp_utils/`` do not see ``tests/conftest.py``; this file gives them the
same rule: nothing is written into the checkout's ``data/`` or the user's cache. (Inside
``tests/`` the fixture of the same name in ``tests/conftest.py`` takes over.) Nor into the
user's exercise progress (``bootcamp_utils.progress``): every "Correct" a test gets, in this
process or in a kernel, notebook server or book build it starts, goes to a file of the session.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Generated samples go to this session's temporary folder, never into the checkout."""
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data_dir"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_progress_file(tmp_path_factory):
    """Passed exercises go to this session's progress file, never to the user's.

    Session-wide and in ``os.environ`` itself, so that servers and kernels started by session
    fixtures (before any function's monkeypatch) inherit it too.
    """
    file = tmp_path_factory.getbasetemp() / "progress" / "progress.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(os.environ, "BOOTCAMP_PROGRESS_FILE", str(file))
        yield file
