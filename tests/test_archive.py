"""index_archive: every file once (an instance or a problem), values as pydicom reads them.

The expected values are worked out independently: each file read whole with pydicom, its
geometry from :func:`bootcamp_utils.geometry.frame_geometry`, the series grouped by hand.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pydicom.data
import pytest
from pydicom import dcmread

from bootcamp_utils import sample_path
from bootcamp_utils.archive import index_archive, orientation_label, slice_spacing
from bootcamp_utils.data._samples import write_ct_series
from bootcamp_utils.geometry import frame_geometry

SHAPE = (12, 16, 16)
SAGITTAL = {"row_dir": (0.0, 1.0, 0.0), "col_dir": (0.0, 0.0, -1.0), "slice_step": (3.0, 0, 0)}
CORONAL = {"row_dir": (1.0, 0.0, 0.0), "col_dir": (0.0, 0.0, -1.0), "slice_step": (0, 3.0, 0)}
TILT = math.radians(12)
OBLIQUE = {"col_dir": (0.0, math.cos(TILT), -math.sin(TILT))}
OBLIQUE["slice_step"] = tuple(3.0 * v for v in np.cross((1.0, 0, 0), OBLIQUE["col_dir"]))


def _write(folder: Path, name: str, **kwargs) -> list[Path]:
    written = write_ct_series(folder, shape=SHAPE, name=name, **kwargs)
    return [folder.parent / p for p in written]  # paths relative to the folder's parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A small archive: four orientations, a mixed series, a truncated file, junk."""
    root = tmp_path_factory.mktemp("archive")
    _write(root / "p1" / "axial", "axial")
    _write(root / "p1" / "sagittal", "sagittal", **SAGITTAL)
    _write(root / "p2" / "coronal", "coronal", **CORONAL)
    _write(root / "p2" / "oblique", "oblique", **OBLIQUE)
    mixed = _write(root / "p3" / "mixed", "mixed")
    ds = dcmread(mixed[3])
    ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    ds.save_as(mixed[3])
    cut = _write(root / "p3" / "cut", "cut")[5]
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) - 100])  # inside the pixel data: the header is whole
    (root / "p3" / "cut" / "empty.dcm").write_bytes(b"")
    (root / "README.txt").write_text("not DICOM")
    (root / ".hidden").write_text("skipped")
    return root


@pytest.fixture(scope="module")
def index(archive):
    return index_archive(archive, progress=False)


def _all_files(root: Path) -> list[Path]:
    found = []
    for top, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(top, n) for n in names if not n.startswith(".")]
    return sorted(found)


def test_every_file_is_an_instance_or_a_problem(archive, index):
    listed = list(index.instances["path"]) + list(index.problems["path"])
    assert sorted(listed) == _all_files(archive)
    assert len(index.problems) == 3  # README, empty, truncated
    assert index.problems["problem"].str.contains("\n").sum() == 0  # one line each


def test_series_grouped_as_pydicom_reads_them(archive, index):
    groups = defaultdict(list)
    for path in _all_files(archive):
        broken = path.parent.name == "cut" and path.name in ("empty.dcm", "CT0006.dcm")
        if path.suffix == ".dcm" and not broken:
            groups[str(dcmread(path).SeriesInstanceUID)].append(path)
    counts = dict(zip(index.series["series_uid"], index.series["n_files"], strict=True))
    assert counts == {uid: len(files) for uid, files in groups.items()}
    for uid, files in groups.items():
        assert index.files(uid) == sorted(files)


def test_instance_values_equal_pydicom(index):
    for row in index.instances.itertuples():
        ds = dcmread(row.path)
        geometry = frame_geometry(ds)
        assert row.position == geometry.position
        assert row.orientation == geometry.orientation
        assert row.pixel_spacing == geometry.pixel_spacing
        assert (row.rows, row.columns) == (ds.Rows, ds.Columns)
        assert row.sop_uid == ds.SOPInstanceUID and row.series_uid == ds.SeriesInstanceUID
        assert row.image_type == "\\".join(ds.ImageType)
        assert row.rescale_intercept == float(ds.RescaleIntercept)
        assert row.instance_number == ds.InstanceNumber


def test_orientation_labels(index):
    labels = dict(zip(index.series["folder"], index.series["orientation"], strict=True))
    assert labels == {
        "p1/axial": "axial",
        "p1/sagittal": "sagittal",
        "p2/coronal": "coronal",
        "p2/oblique": "oblique",
        "p3/mixed": "mixed",
        "p3/cut": "axial",
    }


@pytest.mark.parametrize("degrees, label", [(0.5, "axial"), (2.0, "oblique"), (45.0, "oblique")])
def test_orientation_tolerance(degrees, label):
    t = math.radians(degrees)
    assert orientation_label((1, 0, 0, 0, math.cos(t), math.sin(t))) == label


def test_slice_spacing_is_the_median_step(archive, index):
    for row in index.series.itertuples():
        if row.orientation in ("mixed", None):
            assert math.isnan(row.slice_spacing)
            continue
        files = index.files(row.series_uid)
        ds = [dcmread(f) for f in files]
        o = np.array(ds[0].ImageOrientationPatient, float)
        normal = np.cross(o[:3], o[3:])
        along = sorted(np.array(d.ImagePositionPatient, float) @ normal for d in ds)
        assert row.slice_spacing == pytest.approx(np.median(np.diff(along)))
        written = 4.0 if row.orientation == "axial" else 3.0  # as the fixture wrote them
        assert row.slice_spacing == pytest.approx(written, 1e-6)


def test_slice_spacing_ignores_duplicates_and_mixed():
    axial = (1, 0, 0, 0, 1, 0)
    assert slice_spacing([(0, 0, z) for z in (0, 2, 2, 4, 8)], [axial] * 5) == 2.0
    assert math.isnan(slice_spacing([(0, 0, 0), (0, 0, 2)], [axial, (0, 1, 0, 0, 0, -1)]))


def test_truncated_file_is_attributed_to_its_series(archive, index):
    cut = archive / "p3" / "cut" / "CT0006.dcm"
    problem = index.problems[index.problems["path"] == cut].iloc[0]
    assert "truncated" in problem["problem"] and "CT0006.dcm" in problem["problem"]
    uid = dcmread(archive / "p3" / "cut" / "CT0001.dcm").SeriesInstanceUID
    assert problem["series_uid"] == uid
    row = index.series[index.series["series_uid"] == uid].iloc[0]
    assert (row.n_files, row.n_problems) == (SHAPE[0] - 1, 2)  # CT0006.dcm and empty.dcm
    assert problem["attributed_by"] == "header"
    empty = index.problems[index.problems["path"].map(lambda p: p.name) == "empty.dcm"].iloc[0]
    assert (empty["series_uid"], empty["attributed_by"]) == (uid, "folder")
    assert "empty" in empty["problem"]


def test_pydicom_test_files_never_raise():
    root = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
    index = index_archive(root, progress=False)
    listed = list(index.instances["path"]) + list(index.problems["path"])
    assert sorted(listed) == _all_files(root)
    for name in ("MR_truncated.dcm", "rtplan_truncated.dcm"):
        row = index.problems[index.problems["path"] == root / name].iloc[0]
        assert "truncated" in row["problem"]
        header = dcmread(root / name, stop_before_pixels=True, force=True)
        assert row["series_uid"] == header.SeriesInstanceUID
    for row in index.instances.itertuples():  # enhanced files too: functional groups
        geometry = frame_geometry(dcmread(row.path, stop_before_pixels=True), strict=False)
        assert (row.position, row.orientation) == (geometry.position, geometry.orientation)


def test_identified_study():
    index = index_archive(sample_path("identified_study"), progress=False)
    assert list(index.series["image_type"]) == [
        "ORIGINAL\\PRIMARY\\LOCALIZER",
        "ORIGINAL\\PRIMARY\\AXIAL",
    ]
    assert list(index.series["n_files"]) == [1, 4]


def test_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        index_archive(tmp_path / "nowhere")
    with pytest.raises(KeyError, match="series_uid"):
        index_archive(tmp_path).files("1.2.3")


def test_progress_bar(archive, capsys):
    index_archive(archive, progress=True)
    assert "Indexing DICOM headers" in capsys.readouterr().err
    index_archive(archive / "p1" / "axial")  # fewer than 50 files: no bar by default
    assert "Indexing" not in capsys.readouterr().err


def test_header_cut_before_the_series_uid_is_attributed_by_folder(tmp_path):
    files = _write(tmp_path / "s", "early")
    for cut, path in zip([150, 400], files[:2], strict=True):  # the end slices
        path.write_bytes(path.read_bytes()[:cut])
    _write(tmp_path / "two" / "a", "a")
    files_b = _write(tmp_path / "two" / "b", "b")
    shutil.copy(files_b[0], tmp_path / "two" / "a" / "b_copy.dcm")  # a folder of 2 series
    (tmp_path / "two" / "a" / "cut.dcm").write_bytes(files[5].read_bytes()[:300])
    (tmp_path / "s" / "notes.txt").write_text("not DICOM")
    index = index_archive(tmp_path, progress=False)
    problems = index.problems.set_index(index.problems["path"].map(lambda p: p.name))
    uid = dcmread(files[5]).SeriesInstanceUID
    assert list(problems.loc[["CT0001.dcm", "CT0002.dcm"], "series_uid"]) == [uid, uid]
    assert set(problems.loc[["CT0001.dcm", "CT0002.dcm"], "attributed_by"]) == {"folder"}
    assert problems["series_uid"].isna()[["notes.txt", "cut.dcm"]].all()


def test_files_of_a_series_whose_every_file_is_damaged_is_empty_not_an_error():
    """pydicom's test files hold a series listed by the index (n_files 0, 2 problems): files()
    raised 'No readable file of series ... Pick a series_uid from index.series' for it."""
    import pydicom

    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    index = index_archive(folder, progress=False)
    empty = index.series.loc[index.series["n_files"] == 0, "series_uid"]
    assert len(empty) >= 1
    for uid in empty:
        assert index.files(uid) == []
    with pytest.raises(KeyError, match="not-a-series"):
        index.files("not-a-series")
