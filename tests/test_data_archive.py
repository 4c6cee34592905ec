"""The ``ml_archive`` sample (bootcamp_utils/data/_archive.py): what lesson 06 builds a dataset
from. The truth (archive_truth) is checked against the written files, read independently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom import dcmread

from bootcamp_utils import data
from bootcamp_utils.data import _archive
from bootcamp_utils.data._archive import archive_problems, archive_truth, rtstruct_dataset
from bootcamp_utils.data._archive_labels import seg_dataset
from bootcamp_utils.data._samples import write_ct_series

from .conftest import dciodvfy_errors, require_tool


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The sample, written once into a temporary BOOTCAMP_DATA_DIR."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOTCAMP_DATA_DIR", str(tmp_path_factory.mktemp("archive")))
        return data.sample_path("ml_archive")


@pytest.fixture(scope="module")
def headers(archive) -> dict[str, pydicom.Dataset | Exception]:
    """Every file's header (or the exception reading it), by path relative to the archive."""
    found: dict[str, pydicom.Dataset | Exception] = {}
    for path in sorted(p for p in archive.rglob("*") if p.is_file()):
        try:
            found[path.relative_to(archive).as_posix()] = dcmread(path, stop_before_pixels=True)
        except Exception as exc:
            found[path.relative_to(archive).as_posix()] = exc
    return found


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    return archive_truth()


def _series_files(headers) -> dict[str, list[str]]:
    by_series = defaultdict(list)
    for rel, ds in headers.items():
        if isinstance(ds, pydicom.Dataset) and "SOPClassUID" in ds:
            by_series[str(ds.SeriesInstanceUID)].append(rel)
    return by_series


def _kind_from_headers(archive: Path, files: list[str], headers) -> str:
    """A reference classification of one series from its headers (not from the truth)."""
    dss = [headers[f] for f in files]
    first = dss[0]
    sop = first.SOPClassUID
    simple = {
        pydicom.uid.SegmentationStorage: "SEG",
        pydicom.uid.RTStructureSetStorage: "RTSTRUCT",
        pydicom.uid.SecondaryCaptureImageStorage: "secondary capture",
    }
    if sop in simple:
        return simple[sop]
    if first.Modality == "MR":
        return "sagittal MR"
    image_type = list(first.ImageType)
    if "LOCALIZER" in image_type:
        return "localizer"
    if image_type[0] == "DERIVED":
        return "derived"
    if len({ds.SOPInstanceUID for ds in dss}) < len(dss):
        return "duplicates"
    if len({tuple(map(float, ds.ImageOrientationPatient)) for ds in dss}) > 1:
        return "mixed orientation"
    for f in files:  # a header that reads may still hold truncated pixels
        try:
            _ = dcmread(archive / f).pixel_array
        except ValueError:
            return "corrupt file"
    z = np.sort([float(ds.ImagePositionPatient[2]) for ds in dss])
    steps = np.diff(z)
    return "missing slice" if steps.max() > 1.5 * np.median(steps) else "axial CT"


# --- the truth matches the files ------------------------------------------------------------


def test_every_series_of_the_truth_is_on_disk_with_its_files(archive, headers, truth):
    on_disk = _series_files(headers)
    assert {row["series_uid"] for row in truth} == set(on_disk)
    for row in truth:
        readable = sorted(set(row["files"]) - set(row["damaged_files"]))
        header_only = [f for f in row["damaged_files"] if isinstance(headers[f], pydicom.Dataset)]
        assert sorted(on_disk[row["series_uid"]]) == sorted(readable + header_only), row["kind"]
        ds = headers[readable[0]]
        assert ds.PatientID == row["patient_id"] and ds.StudyInstanceUID == row["study_uid"]
        assert ds.StudyDate == row["study_date"] and ds.Modality == row["modality"]
        assert ds.SOPClassUID == row["sop_class"]
        if ds.Modality in ("CT", "MR"):
            assert ds.Manufacturer == row["manufacturer"]


def test_the_kind_of_every_series_follows_from_its_headers(archive, headers, truth):
    on_disk = _series_files(headers)
    kinds = {
        row["series_uid"]: _kind_from_headers(archive, sorted(on_disk[row["series_uid"]]), headers)
        for row in truth
    }
    assert {row["series_uid"]: row["kind"] for row in truth} == kinds
    counts = Counter(kinds.values())
    assert counts["axial CT"] >= 20 and counts["SEG"] >= 5 and counts["RTSTRUCT"] == 1
    for kind in ("localizer", "derived", "secondary capture", "sagittal MR"):
        assert counts[kind] >= 2, kind
    for kind in ("missing slice", "corrupt file", "mixed orientation", "duplicates"):
        assert counts[kind] == 1, kind


def test_patients_studies_and_manufacturers(headers, truth):
    dss = [ds for ds in headers.values() if isinstance(ds, pydicom.Dataset) and "PatientID" in ds]
    patients = {ds.PatientID for ds in dss}
    assert patients == {row["patient_id"] for row in truth} and len(patients) == 20
    assert {ds.StudyInstanceUID for ds in dss} == {row["study_uid"] for row in truth}
    dates = defaultdict(set)
    for ds in dss:
        if ds.Modality == "CT":
            dates[ds.PatientID].add(ds.StudyDate)
    assert sum(len(d) > 1 for d in dates.values()) >= 5  # repeat CT studies on other dates
    assert all(ds.PatientName.family_name == "Phantom" for ds in dss)
    kept = [row for row in truth if row["keep"]]
    assert all(row["kind"] == "axial CT" and row["reason"].startswith("kept") for row in kept)
    assert all(r["reason"].startswith("excluded") for r in truth if not r["keep"])
    assert len({row["manufacturer"] for row in kept}) == 2
    assert len({row["patient_id"] for row in kept}) == 20  # everyone has a CT to train on


def test_ct_geometry_and_size_bounds(archive, headers, truth):
    files = [p for p in archive.rglob("*") if p.is_file()]
    assert 1000 <= len(files) <= 1500
    assert sum(p.stat().st_size for p in files) < 25e6
    assert not any(p.suffix for p in files if p.name != "README.TXT")  # meaningless names
    for row in truth:
        if row["kind"] == "axial CT":
            dss = [headers[f] for f in row["files"]]
            assert 15 <= len(dss) <= 40
            assert {(ds.Rows, ds.Columns) for ds in dss} == {(64, 64)}
            spacing = {float(ds.PixelSpacing[0]) for ds in dss}
            assert spacing == {row["pixel_spacing"]}
            z = np.sort([float(ds.ImagePositionPatient[2]) for ds in dss])
            assert np.allclose(np.diff(z), row["slice_spacing"], atol=1e-4)
    kept = [row for row in truth if row["keep"]]
    assert len({row["slice_spacing"] for row in kept}) == 3
    assert len({row["pixel_spacing"] for row in kept}) == 3


def test_files_are_mixed_across_export_batches(headers, truth):
    folders = {rel.split("/")[0] for rel in headers}
    assert len(folders) >= 3
    for row in truth:
        if len(row["files"]) >= 10:  # a series is spread over batches, never a folder of its own
            assert len({f.split("/")[0] for f in row["files"]}) >= 2, row["kind"]
    series_per_folder = Counter(f.split("/")[0] for row in truth for f in set(row["files"]))
    assert min(series_per_folder.values()) > 100


def test_lesion_is_in_the_ct_pixels(archive, truth):
    """For patients with a lesion, the CT shows a brighter sphere at the planned place."""
    patients = {p.id: p for p in _archive._patients()}
    checked = 0
    for row in truth:
        if row["kind"] != "axial CT":
            continue
        dss = sorted(
            (dcmread(archive / f) for f in row["files"]),
            key=lambda ds: float(ds.ImagePositionPatient[2]),
        )
        lesion = patients[row["patient_id"]].lesion
        (cx, cy, cz), radius, hu = lesion or ((10.0, 10.0, 35.0), 0.0, 27.0)
        z = np.array([float(ds.ImagePositionPatient[2]) for ds in dss])
        ds = dss[int(np.argmin(abs(z - cz)))]
        x0, y0 = map(float, ds.ImagePositionPatient[:2])
        step = float(ds.PixelSpacing[0])
        col, line = round((cx - x0) / step), round((cy - y0) / step)
        values = ds.pixel_array.astype(float) + float(ds.RescaleIntercept)
        inside = values[line, col]
        assert row["lesion"] == (lesion is not None)
        if lesion is None:
            assert inside < 50  # brain, no lesion: white or grey matter
        else:
            beside = cx - np.sign(cx) * (radius + 6)  # brain tissue towards the midline
            outside = values[line, round((beside - x0) / step)]
            assert abs(inside - hu) < 30 and inside - outside > 15, row["patient_id"]
            checked += 1
    assert checked >= 8


def test_truth_is_not_in_the_archive(archive):
    for path in archive.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert b"excluded" not in text and b"kept:" not in text


# --- damaged and non-DICOM files -------------------------------------------------------------


def test_damaged_and_non_dicom_files(archive):
    problems = archive_problems()
    assert len(problems) == 5
    for rel, problem in problems.items():
        path = archive / rel
        assert path.is_file()
        if "dcmread raises" in problem:
            with pytest.raises(Exception):  # noqa: B017, PT011 - pydicom raises struct.error
                dcmread(path)
            with pytest.raises(Exception):  # noqa: B017, PT011
                dcmread(path, stop_before_pixels=True)
        elif "pixel_array raises" in problem:
            with pytest.raises(ValueError, match="less than expected"):
                _ = dcmread(path).pixel_array
        elif "0 bytes" in problem:
            assert path.stat().st_size == 0
        else:
            with pytest.raises(pydicom.errors.InvalidDicomError):
                dcmread(path)


# --- the label objects ----------------------------------------------------------------------


def _referenced_ct(archive, truth, row) -> list[pydicom.Dataset]:
    ct = next(r for r in truth if r["series_uid"] == row["referenced_series_uid"])
    return [dcmread(archive / f) for f in ct["files"]]


def test_seg_references_archive_instances_in_shuffled_frame_order(archive, truth):
    import highdicom as hd

    patients = {p.id: p for p in _archive._patients()}
    segs = [row for row in truth if row["kind"] == "SEG"]
    assert len(segs) >= 5
    for row in segs:
        seg = hd.seg.segread(archive / row["files"][0])
        cts = {ds.SOPInstanceUID: ds for ds in _referenced_ct(archive, truth, row)}
        frames = seg.PerFrameFunctionalGroupsSequence
        refs = [f.DerivationImageSequence[0].SourceImageSequence[0] for f in frames]
        assert all(ref.ReferencedSOPInstanceUID in cts for ref in refs)
        z = [float(f.PlanePositionSequence[0].ImagePositionPatient[2]) for f in frames]
        assert z != sorted(z) and z != sorted(z, reverse=True)  # frame order != slice order
        for ref, zf in zip(refs, z, strict=True):  # each frame's position is its image's
            assert float(cts[ref.ReferencedSOPInstanceUID].ImagePositionPatient[2]) == zf
        # highdicom (the reference reader) places frames by reference: compare with the sphere
        (cx, cy, cz), radius, _ = patients[row["patient_id"]].lesion
        uids = list(cts)
        pixels = seg.get_pixels_by_source_instance(uids, segment_numbers=[1])[..., 0]
        for uid, labelled in zip(uids, pixels, strict=True):
            ds = cts[uid]
            x0, y0, zs = map(float, ds.ImagePositionPatient)
            step = float(ds.PixelSpacing[0])
            yy, xx = np.mgrid[:64, :64] * step
            sphere = (xx + x0 - cx) ** 2 + (yy + y0 - cy) ** 2 + (zs - cz) ** 2 <= radius**2
            assert np.array_equal(labelled.astype(bool), sphere), row["patient_id"]


def test_rtstruct_contours_lie_inside_the_referenced_ct(archive, truth):
    (row,) = [row for row in truth if row["kind"] == "RTSTRUCT"]
    rt = dcmread(archive / row["files"][0])
    cts = {ds.SOPInstanceUID: ds for ds in _referenced_ct(archive, truth, row)}
    first = next(iter(cts.values()))
    assert rt.StructureSetROISequence[0].ReferencedFrameOfReferenceUID == first.FrameOfReferenceUID
    assert rt.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID == first.FrameOfReferenceUID
    contours = rt.ROIContourSequence[0].ContourSequence
    assert len(contours) >= 3
    positions = np.array([list(map(float, ds.ImagePositionPatient)) for ds in cts.values()])
    extent = float(first.PixelSpacing[0]) * 63
    for contour in contours:
        points = np.array(contour.ContourData, float).reshape(-1, 3)
        assert (
            len(points) == contour.NumberOfContourPoints
            and contour.ContourGeometricType == "CLOSED_PLANAR"
        )
        image = cts[contour.ContourImageSequence[0].ReferencedSOPInstanceUID]
        assert np.allclose(points[:, 2], float(image.ImagePositionPatient[2]))
        low, high = positions.min(axis=0), positions.max(axis=0) + [extent, extent, 0]
        assert (points >= low).all() and (points <= high).all()


def _small_ct(tmp_path, name="t", **kwargs) -> list[pydicom.Dataset]:
    files = write_ct_series(tmp_path / name, shape=(5, 12, 12), name=name, **kwargs)
    return [dcmread(tmp_path / f) for f in files]


def test_seg_dataset_refuses_bad_input(tmp_path):
    cts = _small_ct(tmp_path)
    mask = np.zeros((5, 12, 12), bool)
    with pytest.raises(ValueError, match="empty"):
        seg_dataset(cts, mask)
    with pytest.raises(ValueError, match=r"shape \(5, 12, 12\)"):
        seg_dataset(cts, mask[:4])
    with pytest.raises(ValueError, match="2 series"):
        seg_dataset(cts[:3] + _small_ct(tmp_path, "u")[:2], mask)
    mask[2, 3:6, 3:6] = True
    seg = seg_dataset(cts, mask)
    assert seg.SOPInstanceUID == seg_dataset(cts, mask).SOPInstanceUID  # deterministic
    assert int(seg.NumberOfFrames) == 1


def test_rtstruct_dataset_refuses_bad_contours_and_references_only_planes(tmp_path):
    cts = _small_ct(tmp_path)
    z = float(cts[2].ImagePositionPatient[2])
    square = np.array([[-100, -100, z], [-90, -100, z], [-90, -90, z]], float)
    with pytest.raises(ValueError, match="along the slice normal"):
        rtstruct_dataset(cts, "x", [square + [[0, 0, 0], [0, 0, 1], [0, 0, 0]]])
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        rtstruct_dataset(cts, "x", [square[:2]])
    between = square + [0, 0, 1.0]  # between two slices (4 mm apart): references no image
    rt = rtstruct_dataset(cts, "x", [square, between])
    first, second = rt.ROIContourSequence[0].ContourSequence
    assert first.ContourImageSequence[0].ReferencedSOPInstanceUID == cts[2].SOPInstanceUID
    assert "ContourImageSequence" not in second


# --- determinism and validity ---------------------------------------------------------------


def test_same_bytes_in_another_process(archive, tmp_path):
    code = "from bootcamp_utils.data import sample_path; sample_path('ml_archive')"
    env = os.environ | {"BOOTCAMP_DATA_DIR": str(tmp_path), "PYTHONHASHSEED": "123"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    manifest = "ml_archive.manifest.json"
    ours = json.loads((archive.parent / manifest).read_text())["files"]
    theirs = json.loads((tmp_path / manifest).read_text())["files"]
    in_series = {f for row in archive_truth() for f in row["files"]}
    assert set(ours) == {f"ml_archive/{f}" for f in in_series | set(archive_problems())}
    assert ours == theirs


@pytest.mark.external
def test_files_of_every_kind_pass_dciodvfy(archive, truth):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    chosen, seen = [], Counter()
    for row in truth:
        readable = [f for f in row["files"] if f not in row["damaged_files"]]
        if seen[row["kind"]] < 2:  # two series of each kind, first and last file
            chosen += sorted({readable[0], readable[-1]})
        seen[row["kind"]] += 1
    assert len(seen) == 11
    failures = {f: errors for f in chosen if (errors := dciodvfy_errors(dciodvfy, archive / f))}
    assert not failures, json.dumps(failures, indent=1)
