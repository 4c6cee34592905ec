"""Lesson 06's claims, measured on the executed notebook against the archive's own plan.

The truths come from ``archive_truth()`` and ``archive_problems()`` (the plan the archive is
written from, no file read) and from the files the lesson wrote: the index finds every
series and every problem, the header selection is the plan's, the SEG frames are not in
slice order, the split by series leaks and the split by patient does not, the manifest holds
no source identifier, and the scaling table measured three runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from bootcamp_utils.data._archive import archive_problems, archive_truth

from .notebook_harness import run_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_dicom_for_ml.ipynb"


def _cell(cells, *words):
    """The one code cell whose source holds all ``words``."""
    found = [c for c in cells if c.cell_type == "code" and all(w in c.source for w in words)]
    assert len(found) == 1, f"{len(found)} cells hold {words}"
    return found[0]


def _text(cell) -> str:
    return "".join(
        o.get("text", "") if o.get("output_type") == "stream" else ""
        for o in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lesson06")
    result = run_notebook(NOTEBOOK, workdir, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.ok, result.failures
    return result.notebook.cells, workdir


def test_the_index_finds_every_series_and_every_problem(run):
    cells, _ = run
    text = _text(_cell(cells, "index = index_archive(ARCHIVE)"))
    series, _, problems = re.search(r"(\d+) series, (\d+) files, (\d+) problems", text).groups()
    assert int(series) == len(archive_truth())
    visible = [p for p in archive_problems() if not Path(p).name.startswith(".")]  # .DS_Store
    assert int(problems) == len(visible)


def test_the_header_selection_is_the_plans(run):
    cells, _ = run
    text = _text(_cell(cells, "chosen = s["))
    kinds = {"axial CT", "missing slice", "corrupt file", "duplicates"}
    by_header = [r for r in archive_truth() if r["kind"] in kinds]
    assert f"{len(by_header)} of {len(archive_truth())} series" in text


def test_seg_frames_are_not_in_slice_order(run):
    cells, _ = run
    text = _text(_cell(cells, "PlanePositionSequence"))
    ks = [int(k) for k in re.findall(r"slice k = (-?\d+)", text)]
    assert len(ks) >= 3 and ks != sorted(ks) and ks != sorted(ks, reverse=True)


def test_split_by_series_leaks_and_by_patient_does_not(run):
    cells, _ = run
    leaky = _text(_cell(cells, "by_series = ShuffleSplit"))
    assert ast.literal_eval(leaky.split("both sides:")[1].strip())  # some patients named
    grouped = _text(_cell(cells, "by_patient = GroupShuffleSplit"))
    assert ast.literal_eval(grouped.split("both sides:")[1].splitlines()[0].strip()) == []


def test_the_manifest_holds_no_source_identifier(run):
    _, workdir = run
    manifest = (workdir / "output" / "06" / "dataset" / "manifest.csv").read_text()
    for row in archive_truth():
        assert row["series_uid"] not in manifest and row["study_uid"] not in manifest
        assert row["patient_id"] not in manifest
    table = pd.read_csv(workdir / "output" / "06" / "dataset" / "manifest.csv")
    assert set(table["split"]) == {"train", "test"}
    assert all((workdir / "output" / "06" / "dataset" / name).is_file() for name in table["image"])


def test_the_scaling_table_measured_three_runs(run):
    cells, _ = run
    text = _text(_cell(cells, "series/s"))
    rows = [line.split() for line in text.splitlines()[1:] if line.strip()]
    assert len(rows) == 3 and all(float(r[-1]) > 0 for r in rows)
    assert "dashboard:" in _text(_cell(cells, "LocalCluster(")) and "127.0.0.1" in _text(
        _cell(cells, "LocalCluster(")
    )


def test_qa_lists_every_ct_series_excluded_after_the_kind_checks(run):
    """The Notice says: the CT series that pass Modality and Image Type and still fail are
    listed with their reason; they are the archive's four broken CTs, no more, no fewer."""
    cells, _ = run
    text = _text(_cell(cells, "first_failed = "))
    listed = re.findall(r"^(ML\d{3}) ", text, re.MULTILINE)
    broken = {"missing slice", "corrupt file", "mixed orientation", "duplicates"}
    truth = sorted(r["patient_id"] for r in archive_truth() if r["kind"] in broken)
    assert sorted(listed) == truth and len(truth) == 4
    notice = next(c for c in cells if c.cell_type == "markdown" and "first two checks" in c.source)
    assert "four CT series" in notice.source
