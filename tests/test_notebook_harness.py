"""The notebook harness itself, on tiny fixture notebooks (tests/fixtures/notebooks)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .notebook_harness import run_notebook, snapshot_changes, stored_outputs, tree_snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
EXECUTED = ("ok", "error", "tagged_error", "tagged_no_error")
CLEAN = EXECUTED


def _stream_text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


@pytest.fixture(scope="module")
def fixture_files() -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every fixture, taken before any of them is executed."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in FIXTURES.glob("*.ipynb")}


@pytest.fixture(scope="module")
def runs(fixture_files, tmp_path_factory):
    """Each executable fixture run once, each in its own fresh working directory."""
    fixtures_before = tree_snapshot(FIXTURES)
    results = {}
    for name in EXECUTED:
        workdir = tmp_path_factory.mktemp(name)
        results[name] = (run_notebook(FIXTURES / f"{name}.ipynb", workdir, timeout=60), workdir)
    results["fixtures_changes"] = snapshot_changes(fixtures_before, tree_snapshot(FIXTURES))
    return results


def test_ok_passes_and_writes_into_its_workdir(runs):
    run, workdir = runs["ok"]
    assert run.ok, run.failures
    assert run.failures == []
    written = workdir / "written_by_ok.txt"
    assert written.is_file(), sorted(p.name for p in workdir.iterdir())
    assert written.read_text() == "Agg"  # MPLBACKEND reached the kernel
    assert not (FIXTURES / "written_by_ok.txt").exists()
    assert runs["fixtures_changes"] == []
    assert run.seconds > 0


def test_kernel_is_fresh(runs):
    run, _ = runs["ok"]
    assert [c.execution_count for c in run.notebook.cells] == [1, 2]


def test_untagged_error_fails_and_later_cells_still_run(runs):
    run, _ = runs["error"]
    assert not run.ok
    assert len(run.failures) == 1, run.failures
    failure = run.failures[0]
    assert failure.startswith("cell 1 ")  # index in notebook.cells, the markdown cell is 0
    assert 'raise ValueError("untagged boom")' in failure
    assert failure.endswith("ValueError: untagged boom")
    after = run.notebook.cells[2]
    assert after.execution_count == 2
    assert _stream_text(after) == "after the error\n"


def test_tagged_error_passes(runs):
    run, _ = runs["tagged_error"]
    assert run.ok, run.failures
    raising, after = run.notebook.cells
    assert [out.ename for out in raising.outputs if out.output_type == "error"] == [
        "ZeroDivisionError"
    ]
    assert _stream_text(after) == "after the tagged error\n"


def test_tagged_cell_without_error_fails(runs):
    run, _ = runs["tagged_no_error"]
    assert len(run.failures) == 1, run.failures
    assert run.failures[0].startswith("cell 0 ('x = 1')")
    assert "raises-exception" in run.failures[0]
    assert "raised no exception" in run.failures[0]


def test_stored_outputs_detects_outputs_and_execution_counts():
    # cell 1 has an output and a count, cell 2 only a count, cell 0 is clean
    assert stored_outputs(FIXTURES / "with_outputs.ipynb") == [1, 2]


@pytest.mark.parametrize("name", CLEAN)
def test_stored_outputs_accepts_clean_fixtures(name):
    assert stored_outputs(FIXTURES / f"{name}.ipynb") == []


def test_fixture_files_unchanged_by_execution(runs, fixture_files):
    assert set(fixture_files) == {p.name for p in FIXTURES.glob("*.ipynb")}
    for name, (data, mtime) in fixture_files.items():
        path = FIXTURES / name
        assert path.read_bytes() == data, name
        assert path.stat().st_mtime_ns == mtime, name
    # and the executed copies did get outputs, so the check above is not vacuous
    assert runs["tagged_error"][0].notebook.cells[0].outputs


def test_timeout_is_a_failure_not_an_exception(tmp_path):
    nb_path = tmp_path / "slow.ipynb"
    nbformat.write(
        new_notebook(cells=[new_code_cell("import time\ntime.sleep(30)"), new_code_cell("1")]),
        nb_path,
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    run = run_notebook(nb_path, workdir, timeout=2)
    assert len(run.failures) == 1, run.failures
    assert run.failures[0].startswith("cell 0 ('import time'): CellTimeoutError: ")
    assert "1 later code cell(s) did not run" in run.failures[0]
    assert run.notebook.cells[1].execution_count is None
    assert run.seconds < 30


def test_tree_snapshot_reports_changes_and_honours_excludes(tmp_path):
    (tmp_path / "keep.txt").write_text("a")
    (tmp_path / "gone.txt").write_text("b")
    (tmp_path / "data" / "generated").mkdir(parents=True)
    (tmp_path / "sub" / "__pycache__").mkdir(parents=True)
    before = tree_snapshot(tmp_path)
    assert set(before) == {"keep.txt", "gone.txt"}

    (tmp_path / "keep.txt").write_text("changed")
    (tmp_path / "gone.txt").unlink()
    (tmp_path / "sub" / "new.txt").write_text("c")
    (tmp_path / "data" / "generated" / "ignored.dcm").write_text("d")
    (tmp_path / "sub" / "__pycache__" / "ignored.pyc").write_text("e")
    assert snapshot_changes(before, tree_snapshot(tmp_path)) == [
        "added sub/new.txt",
        "removed gone.txt",
        "modified keep.txt",
    ]
