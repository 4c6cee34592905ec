"""Lesson 04's checks and claims, measured: lossy copies as dciodvfy judges them, both forms of
an RT Dose Grid Frame Offset Vector, feedback that never prints the value asked for, and the
SEG cell's mask built from the slices' geometry (not from z order and Slice Thickness).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread

from bootcamp_utils import read_example, sample_path
from bootcamp_utils.checks import check, lesson04

from . import checks_lesson04_cases as cases
from .conftest import dciodvfy_errors, require_tool

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_other_formats.ipynb"

#: The wrong 04-lossy answers (file names in checks_lesson04_cases) that dciodvfy rejects too.
REJECTED_BY_DCIODVFY = (
    "no_class.dcm",
    "two_values.dcm",
    "one_value.dcm",
    "same_as_study.dcm",
    "meta.dcm",
    "digit.dcm",
)


@pytest.mark.external
def test_lossy_answers_are_judged_as_dciodvfy_judges_them(tmp_path):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    (tmp_path / "right").mkdir()
    right = [Path(a) for a in cases.right_answers("04-lossy", tmp_path / "right")]
    for path in right:
        assert dciodvfy_errors(dciodvfy, path) == [], path.name
        assert check("04-lossy", path), path.name
    (tmp_path / "wrong").mkdir()
    wrong = {
        Path(answer).name: answer
        for answer, *_ in cases.wrong_answers("04-lossy", tmp_path / "wrong")
        if isinstance(answer, Path)
    }
    for name in REJECTED_BY_DCIODVFY:
        assert dciodvfy_errors(dciodvfy, wrong[name]), f"dciodvfy accepts {name}"
        assert not check("04-lossy", wrong[name]), name
    # an ORIGINAL lossy copy is valid as a lone file (a sensor may compress); only the
    # check, knowing the source, sees that a copy must be DERIVED (PS3.3 C.7.6.1.1.5)
    assert dciodvfy_errors(dciodvfy, wrong["original.dcm"]) == []
    assert "DERIVED" in check("04-lossy", wrong["original.dcm"]).message


def _absolute(ds):
    """The same grid with Grid Frame Offset Vector written as z values (PS3.3 C.8.8.3.2 b)."""
    z0 = float(ds.ImagePositionPatient[2])
    ds.GridFrameOffsetVector = [round(z0 + float(v), 4) for v in ds.GridFrameOffsetVector]
    return ds


def test_dose_frames_from_either_form_of_the_grid_frame_offset_vector():
    relative = read_example("rt_dose")
    assert float(relative.GridFrameOffsetVector[0]) == 0  # the sample: form (a)
    absolute = _absolute(read_example("rt_dose"))
    assert float(absolute.GridFrameOffsetVector[0]) == float(absolute.ImagePositionPatient[2])
    z = float(relative.ImagePositionPatient[2]) + np.array(
        relative.GridFrameOffsetVector, dtype=float
    )
    for ds in (relative, absolute):
        assert np.allclose(lesson04.frame_positions(ds)[:, 2], z)
        assert lesson04.dose_index(ds, lesson04.DOSE_POINT) == (6, 2, 5)


def test_dose_check_truth_for_an_absolute_offset_vector(monkeypatch):
    absolute = _absolute(read_example("rt_dose"))
    truth = float(absolute.pixel_array[6, 2, 5] * float(absolute.DoseGridScaling))
    monkeypatch.setattr(lesson04, "_dose_sample", lambda: absolute)
    assert check("04-dose", truth)
    # read naively, z0 + offsets puts every frame 762 mm away: frame 0 would be chosen
    assert not check("04-dose", float(absolute.pixel_array[0, 2, 5] * 1e-6))


def test_relative_offsets_run_along_the_normal():
    ds = read_example("rt_dose")
    ds.ImageOrientationPatient = [1, 0, 0, 0, -1, 0]  # normal (0, 0, -1): frames go to -z
    positions = lesson04.frame_positions(ds)
    assert np.allclose(np.diff(positions[:, 2]), -5.0)
    ds.GridFrameOffsetVector = [5.0 * k + 1 for k in range(int(ds.NumberOfFrames))]
    with pytest.raises(ValueError, match="C.8.8.3.2"):
        lesson04.frame_positions(ds)


def _truths():
    ds = read_example("rt_dose")
    dose = float(ds.pixel_array[6, 2, 5] * float(ds.DoseGridScaling))
    names, _, microvolts = lesson04.ecg_leads()
    ecg = float(np.ptp(microvolts[:, names.index("Lead II")])) / 1000
    return {"04-dose": dose, "04-ecg": ecg}


@pytest.mark.parametrize("name", ["04-dose", "04-ecg"])
def test_rounded_feedback_does_not_print_the_answer(name):
    truth = _truths()[name]
    for digits in (1, 2, 3):
        if round(truth, digits) == truth:
            continue
        feedback = check(name, round(truth, digits))
        assert "rounded" in feedback.message
        text = f"{feedback.message} {feedback.hint}"
        assert f"{truth:g}" not in text and repr(truth) not in text, text


def test_lossy_ratio_feedback_does_not_print_the_ratio(tmp_path):
    answers = {
        Path(a).name: a
        for a, *_ in cases.wrong_answers("04-lossy", tmp_path)
        if isinstance(a, Path)
    }
    ds = dcmread(answers["inverse.dcm"])
    truth = lesson04._ratio(ds)
    for name in ("inverse.dcm", "by_file.dcm"):
        feedback = check("04-lossy", answers[name])
        text = f"{feedback.message} {feedback.hint}"
        assert f"{truth:.2f}" not in text and f"{truth:.1f}" not in text, text


def test_export_feedback_names_the_window_it_measured(tmp_path):
    plane, rows = cases._sagittal()
    for center, width in [(40, 120), (40, 70), (30, 80)]:
        path = cases._png(
            tmp_path, f"w{center}_{width}.png", cases._grey(plane, center, width), rows
        )
        feedback = check("04-export", path)
        assert not feedback and f"{center}/{width}" in feedback.message, feedback
    right = check("04-export", cases._png(tmp_path, "right.png", cases._grey(plane), rows))
    assert right and "40/80" in right.message


def test_export_inverted_is_not_called_upside_down(tmp_path):
    """255 - grey is inverted, a flipped picture upside down: each named, never the other."""
    plane, rows = cases._sagittal()
    grey = cases._grey(plane)
    inverted = check("04-export", cases._png(tmp_path, "inverted.png", 255 - grey, rows))
    flipped = check("04-export", cases._png(tmp_path, "flipped.png", grey[::-1], rows))
    assert "inverted" in inverted.message and "upside down" not in inverted.message, inverted
    assert "upside down" in flipped.message and "inverted" not in flipped.message, flipped


def test_export_feedback_never_gives_the_window_or_the_plane_away(tmp_path):
    """No refusal prints the brain window or the index of the plane through the bleed."""
    i = cases._plane_index()
    for answer, *_ in cases.wrong_answers("04-export", tmp_path):
        feedback = check("04-export", answer)
        text = f"{feedback.message} {feedback.hint}".lower()
        assert not feedback, answer
        for given_away in ("40/80", "40 / 80", "centre 40", "width 80", str(i)):
            assert given_away not in text, (answer, text)


def test_lossy_copy_in_a_new_series_passes(tmp_path):
    answers = [Path(a) for a in cases.right_answers("04-lossy", tmp_path)]
    copy = next(p for p in answers if p.name == "new_series.dcm")
    source = dcmread(sample_path("head_ct") / "CT0020.dcm")
    assert dcmread(copy).SeriesInstanceUID != source.SeriesInstanceUID
    assert check("04-lossy", copy)


def _seg_cell_on(folder: Path) -> dict:
    """Run the lesson's SEG-mask cell on the CT series in ``folder``; its variables."""
    import nbformat

    import bootcamp_utils as bc

    cell = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.id == "cell-067")
    namespace = {"np": np, "dcmread": dcmread, "bc": bc, "CT": folder}
    exec(cell.source, namespace)  # noqa: S102 - the lesson's own code
    return namespace


def test_seg_mask_follows_the_geometry_not_z_order_and_slice_thickness(tmp_path):
    """The bleed's mask is the same whatever the slice thickness or the row direction says."""
    reference = _seg_cell_on(sample_path("head_ct"))
    thick, mirrored = tmp_path / "thick", tmp_path / "mirrored"
    thick.mkdir(), mirrored.mkdir()
    for path in sample_path("head_ct").glob("*.dcm"):
        ds = dcmread(path)
        ds.SliceThickness = 5  # thicker than the 4 mm spacing: overlapping slices
        ds.save_as(thick / path.name)
        ds = dcmread(path)  # the same image, stored with its rows running to the right
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [x + (ds.Columns - 1) * float(ds.PixelSpacing[1]), y, z]
        ds.ImageOrientationPatient = [-1, 0, 0, 0, 1, 0]
        ds.PixelData = np.ascontiguousarray(ds.pixel_array[:, ::-1]).tobytes()
        ds.save_as(mirrored / path.name)
    for folder in (thick, mirrored):
        run = _seg_cell_on(folder)
        assert run["mask"].sum() == reference["mask"].sum() > 500, folder.name
        assert np.isclose(run["voxel_ml"], reference["voxel_ml"]), folder.name


# --- issue 25.9: MINC2 (HDF5) is read, not skipped ------------------------------------------


def test_h5py_is_a_course_requirement():
    """nibabel reads MINC2 through h5py: the course declares it (Colab ships it already)."""
    import tomllib

    repo = NOTEBOOK.parents[1]
    dependencies = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(spec.split(">")[0].strip() == "h5py" for spec in dependencies)
    lines = (repo / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("h5py>=") for line in lines)


def test_the_minc_cell_reads_minc1_and_minc2(tmp_path, capsys):
    """The lesson's MINC cell loads both samples (no "skipped here" without h5py)."""
    import nbformat
    import nibabel as nib

    cell = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.id == "cell-017")
    exec(cell.source, {"nib": nib, "Path": Path, "OUT": tmp_path})  # noqa: S102
    shown = capsys.readouterr().out.splitlines()
    assert shown == [
        "Minc1Image (10, 20, 20) ('S', 'A', 'R')",
        "Minc2Image (10, 20, 20) ('S', 'A', 'R')",
        "cannot write MINC: NotImplementedError",
    ]
    assert "skipped" not in cell.source
