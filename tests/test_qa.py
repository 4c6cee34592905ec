"""qa_table and qa_series: each check fails on the damage it is for, and says where.

Every case writes one good axial CT series (12 slices of 16 x 16, 4 mm apart), breaks it
one way, and expects that check (and the reason) to name what the test itself reads from
the files with pydicom. A kept series must load with load_series.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydicom import dcmread

from bootcamp_utils import load_series, sample_path
from bootcamp_utils.archive import index_archive
from bootcamp_utils.data._samples import write_ct_series
from bootcamp_utils.qa import CHECKS, qa_series, qa_table

N = 12


def _series(folder: Path, name: str = "qa", **kwargs) -> list[Path]:
    written = write_ct_series(folder, shape=(N, 16, 16), name=name, **kwargs)
    return [folder.parent / p for p in written]


def _table(root: Path, **kwargs):
    index = index_archive(root, progress=False)
    return index, qa_table(index, **kwargs)


def _edit(path: Path, **values) -> None:
    ds = dcmread(path)
    for keyword, value in values.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    ds.save_as(path)


def _z(path: Path) -> float:
    return float(dcmread(path).ImagePositionPatient[2])


def _failed(row) -> list[str]:
    return [c for c in CHECKS if row[c] is not pd.NA and not row[c]]


def _only_failure(table, check: str, also: tuple[str, ...] = ()) -> str:
    row = table.iloc[0]
    assert not row["keep"]
    assert _failed(row) == [check, *also], row["failures"]
    return row["reason"]


def test_a_good_series_is_kept_and_loads(tmp_path):
    files = _series(tmp_path / "s")
    index, table = _table(tmp_path)
    row = table.iloc[0]
    assert row["keep"] and all(row[c] for c in CHECKS)
    ds = dcmread(files[0])
    step = abs(_z(files[1]) - _z(files[0]))
    spacing = " x ".join(f"{float(v):g}" for v in ds.PixelSpacing)
    assert row["reason"] == f"kept: axial CT, {N} slices, spacing {spacing} x {step:g} mm"
    image = load_series(tmp_path / "s", progress=False)
    assert image.shape[2] == N == row["n_files"]


def test_missing_slice(tmp_path):
    files = _series(tmp_path / "s")
    files[5].unlink()
    _, table = _table(tmp_path)
    reason = _only_failure(table, "no_gaps")
    below, above = sorted([_z(files[4]), _z(files[6])])
    assert reason == (
        f"excluded: 1 missing slice between z={below:g} and z={above:g} "
        f"(CT0005.dcm, CT0007.dcm: {above - below:g} mm apart, the series steps 4 mm)"
    )


def test_two_missing_slices_are_counted(tmp_path):
    files = _series(tmp_path / "s")
    files[5].unlink()
    files[6].unlink()
    _, table = _table(tmp_path)
    assert "2 missing slices between" in _only_failure(table, "no_gaps")


def test_copy_under_another_name(tmp_path):
    files = _series(tmp_path / "s")
    shutil.copy(files[3], files[3].with_name("copy.dcm"))
    _, table = _table(tmp_path)
    reason = _only_failure(table, "no_duplicates")
    uid = dcmread(files[3]).SOPInstanceUID
    assert f"SOP Instance UID {uid} in 2 files: CT0004.dcm, copy.dcm" in reason


def test_two_images_at_one_position(tmp_path):
    files = _series(tmp_path / "s")
    _edit(files[7], ImagePositionPatient=dcmread(files[6]).ImagePositionPatient)
    _, table = _table(tmp_path)
    reason = _only_failure(table, "no_duplicates", also=("no_gaps",))  # CT0008's z is free
    assert f"2 files at one position (z={_z(files[6]):g}): CT0007.dcm, CT0008.dcm" in reason


def test_uneven_spacing(tmp_path):
    files = _series(tmp_path / "s")
    position = [float(v) for v in dcmread(files[6]).ImagePositionPatient]
    position[2] += 1.0
    _edit(files[6], ImagePositionPatient=position)
    _, table = _table(tmp_path)
    assert "uneven spacing: CT0006.dcm, CT0007.dcm are 5 mm apart" in _only_failure(
        table, "even_spacing"
    )
    with pytest.raises(ValueError, match="uneven"):  # and load_series agrees
        load_series(tmp_path / "s", progress=False)


def test_mixed_orientation(tmp_path):
    files = _series(tmp_path / "s")
    _edit(files[2], ImageOrientationPatient=[0, 1, 0, 0, 0, -1])
    _, table = _table(tmp_path)
    row = table.iloc[0]
    assert _failed(row) == ["one_orientation"] and not row["keep"]
    assert "CT0003.dcm differ from CT0001.dcm" in row["reason"]
    assert row["axial"] is pd.NA and row["no_gaps"] is pd.NA  # not checked


@pytest.mark.parametrize("degrees, check", [(0.3, None), (10.0, "axial")])
def test_oblique(tmp_path, degrees, check):
    t = np.radians(degrees)
    col = (0.0, float(np.cos(t)), float(np.sin(t)))
    _series(tmp_path / "s", col_dir=col, slice_step=tuple(4.0 * np.cross((1, 0, 0), col)))
    _, table = _table(tmp_path)
    if check is None:
        assert table.iloc[0]["keep"]
    else:
        assert _only_failure(table, check) == (
            f"excluded: oblique: the slice normal is {degrees:.1f} degrees from z"
        )


def test_sagittal(tmp_path):
    _series(tmp_path / "s", row_dir=(0, 1, 0), col_dir=(0, 0, -1), slice_step=(4.0, 0, 0))
    _, table = _table(tmp_path)
    assert _only_failure(table, "axial").startswith("excluded: sagittal")


def test_one_file_with_another_pixel_spacing(tmp_path):
    files = _series(tmp_path / "s")
    _edit(files[4], PixelSpacing=[1.0, 1.0])
    _, table = _table(tmp_path)
    reason = _only_failure(table, "same_grid")
    spacing = " x ".join(f"{float(v):g}" for v in dcmread(files[0]).PixelSpacing)
    assert (
        reason
        == f"excluded: Pixel Spacing differs: {spacing} mm in {N - 1} files, 1 x 1 mm in CT0005.dcm"
    )


def test_missing_rescale(tmp_path):
    files = _series(tmp_path / "s")
    _edit(files[0], RescaleSlope=None)
    _, table = _table(tmp_path)
    assert f"in 1 of {N} file(s) (CT0001.dcm)" in _only_failure(table, "rescale")


def test_no_geometry(tmp_path):
    files = _series(tmp_path / "s")
    _edit(files[1], ImagePositionPatient=None)
    _, table = _table(tmp_path)
    row = table.iloc[0]
    assert "geometry" in _failed(row) and "CT0002.dcm" in row["reason"]
    assert "position" in row["reason"]


@pytest.mark.parametrize(
    "image_type, words",
    [
        (["DERIVED", "SECONDARY", "AXIAL"], "not ORIGINAL\\PRIMARY"),
        (["ORIGINAL", "PRIMARY", "LOCALIZER"], "a localizer"),
    ],
)
def test_image_type(tmp_path, image_type, words):
    files = _series(tmp_path / "s")
    for f in files:
        _edit(f, ImageType=image_type)
    _, table = _table(tmp_path)
    assert words in _only_failure(table, "image_type")


def test_wrong_modality(tmp_path):
    _series(tmp_path / "s")
    index, table = _table(tmp_path, modality="MR")
    assert "not MR, MR Image Storage" in _only_failure(table, "modality")


def test_too_few_slices(tmp_path):
    _series(tmp_path / "s")
    _, table = _table(tmp_path, min_slices=N + 1)
    assert _only_failure(table, "enough_slices") == f"excluded: {N} slices, fewer than {N + 1}"


def test_truncated_file_excludes_its_series(tmp_path):
    files = _series(tmp_path / "s")
    data = files[5].read_bytes()
    files[5].write_bytes(data[:-200])  # cut in the pixel data
    index, table = _table(tmp_path)
    row = table.iloc[0]
    assert not row["keep"] and _failed(row) == ["not_damaged", "no_gaps"]
    assert row["reason"].startswith("excluded: 1 damaged file(s): CT0006.dcm is truncated")
    checks = qa_series(index.instances)  # without the problems: only the gap shows
    assert checks["not_damaged"][0] and not checks["no_gaps"][0]


def test_a_series_whose_files_are_all_damaged_has_a_row(tmp_path):
    files = _series(tmp_path / "s")
    for f in files:
        f.write_bytes(f.read_bytes()[:-10])
    _series(tmp_path / "t", name="other")
    index, table = _table(tmp_path)
    assert len(table) == 2 and list(table["series_uid"]) == list(index.series["series_uid"])
    broken = table[table["n_files"] == 0].iloc[0]
    assert not broken["keep"] and f"{N} damaged file(s)" in broken["reason"]
    assert table[table["n_files"] == N].iloc[0]["keep"]


def test_identified_study_rows():
    index = index_archive(sample_path("identified_study"), progress=False)
    table = qa_table(index, min_slices=4)
    assert list(table["series_uid"]) == list(index.series["series_uid"])
    assert list(table["keep"]) == [False, True]
    assert "localizer" in table["reason"].iloc[0]
    assert str(table.dtypes["keep"]) == "bool"


#: The check that must give the reason, for each kind of series of the ml_archive sample.
FIRST_FAILURE = {
    "localizer": "image_type",
    "derived": "image_type",
    "secondary capture": "modality",
    "sagittal MR": "modality",
    "SEG": "modality",
    "RTSTRUCT": "modality",
    "missing slice": "no_gaps",
    "corrupt file": "not_damaged",
    "mixed orientation": "one_orientation",
    "duplicates": "no_duplicates",
}


@pytest.fixture(scope="module")
def ml_archive():
    from bootcamp_utils.data import DataError

    try:
        root = sample_path("ml_archive")
    except DataError as error:  # the sample is written by bootcamp_utils.data._archive
        pytest.skip(f"no ml_archive sample: {error}")
    from bootcamp_utils.data._archive import archive_truth

    return root, index_archive(root, progress=False), archive_truth()


def test_ml_archive_verdicts_equal_the_truth(ml_archive):
    root, index, truth = ml_archive
    table = qa_table(index).set_index("series_uid")
    assert sorted(table.index) == sorted(row["series_uid"] for row in truth)
    for row in truth:
        qa = table.loc[row["series_uid"]]
        assert qa["keep"] == row["keep"], (row["kind"], qa["reason"], row["reason"])
        if row["keep"]:
            assert qa["reason"].startswith("kept: axial CT"), qa["reason"]
            assert f"{row['n_slices']} slices" in qa["reason"]
        else:
            first = next(c for c in CHECKS if qa[c] is not pd.NA and not qa[c])
            assert first == FIRST_FAILURE[row["kind"]], (row["kind"], qa["reason"])


def test_ml_archive_damaged_files_are_attributed(ml_archive):
    root, index, truth = ml_archive
    attributed = index.problems.dropna(subset=["series_uid"])
    found = {
        (uid, p.relative_to(root).as_posix())
        for uid, p in zip(attributed["series_uid"], attributed["path"], strict=True)
    }
    expected = {(row["series_uid"], f) for row in truth for f in row["damaged_files"]}
    assert found == expected


def test_a_grid_column_missing_in_most_files_is_no_crash(tmp_path):
    """Rows missing (pd.NA) in most files: the most common value was NA, comparing with it
    gave NA, no file was 'odd' and qa_table raised IndexError (pydicom's test files, found
    by the real-file sweep). The check now fails, naming a file with Rows."""
    _series(tmp_path / "s")
    index = index_archive(tmp_path, progress=False)
    instances = index.instances.copy()
    instances["rows"] = instances["rows"].astype("Int64")
    instances.loc[instances.index[2:], "rows"] = pd.NA
    passed, detail = qa_series(instances)["same_grid"]
    assert passed is False
    assert detail.startswith("Rows differs:") and "CT0001.dcm" in detail, detail
