"""Every course notebook (notebooks/*.ipynb) is committed clean and runs top to bottom.

Each notebook runs in a fresh kernel with a temporary working directory; the checkout's
``bootcamp_utils`` is importable through PYTHONPATH (nothing is copied next to the notebook),
and BOOTCAMP_DATA_DIR points into pytest's temporary folder (see conftest.py). A run must not
write anything into the repository.
"""

from __future__ import annotations

import os
import re

import pytest

from .conftest import REPO, dciodvfy_errors, require_tool
from .notebook_harness import run_notebook, snapshot_changes, stored_outputs, tree_snapshot
from .notebook_structure import with_solutions_as_code

_CHECK_CALL = re.compile(r"\bcheck\(\s*['\"]([\w-]+)['\"]")
_FEEDBACK = re.compile(r"^\[([\w-]+)\] (Correct|Not yet):", re.M)


def exercise_verdicts(nb) -> list[str]:
    """What is wrong with the exercises' feedback in an executed notebook ([] if nothing).

    A cell tagged ``solution`` must show "Correct" for its exercise, and the starter cell
    (the other cell that calls ``check``) must show "Not yet": a solution that stopped
    solving, or a starter that already passes, is a broken exercise even though no cell
    raised.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        called = _CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
        if not called:
            continue
        text = "".join(
            out.get("text", "")
            if out.output_type == "stream"
            else out.get("data", {}).get("text/plain", "")
            for out in cell.get("outputs", [])
        )
        shown = dict(_FEEDBACK.findall(text))
        expected = "Correct" if "solution" in cell.metadata.get("tags", []) else "Not yet"
        for name in called:
            if shown.get(name) != expected:
                found.append(
                    f"cell {index} ({name}): expected {expected!r}, "
                    f"shown {shown.get(name, 'no feedback')!r}"
                )
    return found


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
        verdicts = exercise_verdicts(run.notebook)
        assert not verdicts, f"{nb_path.name}:\n" + "\n".join(verdicts)

    @pytest.fixture(scope="module")
    def solved(tmp_path_factory):
        """Run a notebook with its solutions as code, once per module: (run, its work folder)."""
        import nbformat

        runs = {}

        def run_solved(nb_path):
            if nb_path not in runs:
                folder = tmp_path_factory.mktemp(f"solved-{nb_path.stem}")
                variant = folder / nb_path.name
                notebook = with_solutions_as_code(nbformat.read(nb_path, as_version=4))
                nbformat.write(notebook, variant)
                work = folder / "work"
                work.mkdir()
                runs[nb_path] = (run_notebook(variant, work, env=_kernel_env()), work)
            return runs[nb_path]

        return run_solved

    @pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
    def test_every_solution_solves_its_exercise(nb_path, solved):
        """The solutions are markdown (never run by Run All): run their code where they stand."""
        run, _ = solved(nb_path)
        assert not run.failures, f"{nb_path.name} with its solutions run:\n" + "\n".join(
            run.failures
        )
        solved_cells = [c for c in run.notebook.cells if "solution" in c.metadata.get("tags", [])]
        assert solved_cells and all(c.cell_type == "code" for c in solved_cells)
        verdicts = exercise_verdicts(run.notebook)
        assert not verdicts, f"{nb_path.name} with its solutions run:\n" + "\n".join(verdicts)

    @pytest.mark.external
    @pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
    def test_every_dicom_file_a_lesson_writes_passes_dciodvfy(nb_path, solved):
        """What a lesson (with its solutions) writes is valid DICOM: 0 dciodvfy errors.

        The exception is a folder named ``broken``, where a lesson keeps files it breaks on
        purpose to show what a validator reports.
        """
        from pydicom import dcmread
        from pydicom.errors import InvalidDicomError

        run, work = solved(nb_path)
        assert not run.failures, "\n".join(run.failures)
        dciodvfy = require_tool("dciodvfy", "dicom3tools")
        failures, checked = {}, 0
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            if "broken" in path.relative_to(work).parts:
                continue
            try:
                dcmread(path, stop_before_pixels=True)
            except (InvalidDicomError, OSError, ValueError):
                continue  # not DICOM: NIfTI, PNG...
            checked += 1
            if errors := dciodvfy_errors(dciodvfy, path):
                failures[path.relative_to(work).as_posix()] = errors
        assert not failures, f"{nb_path.name}, {checked} DICOM files written:\n" + "\n".join(
            f"{name}: {errors}" for name, errors in failures.items()
        )


def _executed(source: str, shown: str, tags=()):
    import nbformat

    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})
    cell.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": shown}, execution_count=1)
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    return nb


@pytest.mark.parametrize(
    ("tags", "shown", "problem"),
    [
        (["solution"], "[01-vr] Correct: fine", False),
        ([], "[01-vr] Not yet: missing", False),
        (["solution"], "[01-vr] Not yet: missing", True),  # a solution that no longer solves
        ([], "[01-vr] Correct: fine", True),  # a starter that already passes
        (["solution"], "", True),  # no feedback shown at all
    ],
)
def test_exercise_verdicts_catch_broken_exercises(tags, shown, problem):
    nb = _executed("answer = {}\ncheck('01-vr', answer)", shown, tags)
    assert bool(exercise_verdicts(nb)) is problem
