"""Fixtures for everything pytest collects, the package's doctests included.

The doctests in ``bootcamp_utils/`` do not see ``tests/conftest.py``; this file gives them the
same rule: nothing is written into the checkout's ``data/`` or the user's cache. (Inside
``tests/`` the fixture of the same name in ``tests/conftest.py`` takes over.)
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Generated samples go to this session's temporary folder, never into the checkout."""
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data_dir"))
