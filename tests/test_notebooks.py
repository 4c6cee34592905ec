"""Every course notebook (notebooks/*.ipynb) is committed clean and runs top to bottom.

Each notebook runs in a fresh kernel with a temporary working directory; the checkout's
``bootcamp_utils`` is importable through PYTHONPATH (nothing is copied next to the notebook),
and BOOTCAMP_DATA_DIR points into pytest's temporary folder (see conftest.py). A run must not
write anything into the repository.
"""

from __future__ import annotations

import os

import pytest

from .conftest import REPO
from .notebook_harness import run_notebook, snapshot_changes, stored_outputs, tree_snapshot

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _kernel_env() -> dict[str, str]:
    pythonpath = [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        "PYTHONPATH": os.pathsep.join(pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ in the checkout from the kernel
    }


if not NOTEBOOKS:

    def test_notebooks_no_notebooks_yet():
        pytest.skip("no notebooks yet: notebooks/*.ipynb matches nothing")

else:

    @pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
    def test_notebook_committed_without_outputs(nb_path):
        cells = stored_outputs(nb_path)
        assert not cells, (
            f"{nb_path.name}: code cells {cells} have stored outputs or execution counts; "
            "clear them before committing"
        )

    @pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
    def test_notebook_executes(nb_path, tmp_path):
        before = tree_snapshot(REPO)
        run = run_notebook(nb_path, tmp_path, env=_kernel_env())
        changes = snapshot_changes(before, tree_snapshot(REPO))
        assert not run.failures, f"{nb_path.name} ({run.seconds:.1f} s):\n" + "\n".join(
            run.failures
        )
        assert not changes, f"{nb_path.name} wrote into the repository:\n" + "\n".join(changes)
