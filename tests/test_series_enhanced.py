"""Issue 17, point 2, in load_series: a folder of single-frame *enhanced* images keeps its
geometry (and its rescaling) in functional groups (PS3.3 C.7.6.16), not at the top level.
Before the fix, load_series said "no position in space"; now it loads them, equal to the same
slices written as classic single-frame files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from bootcamp_utils import load_series, sample_path
from bootcamp_utils.series import SeriesError

from .test_series_errors import expect_error
from .test_viewer_enhanced import enhanced_mr

ENHANCED = {"MR": "1.2.840.10008.5.1.4.1.1.4.1", "CT": "1.2.840.10008.5.1.4.1.1.2.1"}


def _group(**values) -> list[Dataset]:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return [item]


def _as_enhanced(classic: Path, folder: Path, modality: str) -> Path:
    """Each classic file rewritten as a one-frame enhanced image: Pixel Spacing, Slice
    Thickness, Image Orientation/Position and Rescale Slope/Intercept moved from the top level
    into the functional groups (shared, and per-frame for the position). A stray top-level
    Pixel Spacing of 1 mm is left behind: the functional group must win."""
    folder.mkdir()
    for path in sorted(classic.iterdir()):
        ds = dcmread(path)
        shared = Dataset()
        shared.PixelMeasuresSequence = _group(
            PixelSpacing=ds.PixelSpacing, SliceThickness=ds.SliceThickness
        )
        shared.PlaneOrientationSequence = _group(ImageOrientationPatient=ds.ImageOrientationPatient)
        if "RescaleSlope" in ds:
            shared.PixelValueTransformationSequence = _group(
                RescaleSlope=ds.RescaleSlope,
                RescaleIntercept=ds.RescaleIntercept,
                RescaleType=ds.get("RescaleType", "US"),
            )
        frame = Dataset()
        frame.PlanePositionSequence = _group(ImagePositionPatient=ds.ImagePositionPatient)
        ds.SharedFunctionalGroupsSequence = [shared]
        ds.PerFrameFunctionalGroupsSequence = [frame]
        for keyword in (
            "ImagePositionPatient",
            "ImageOrientationPatient",
            "SliceThickness",
            "RescaleSlope",
            "RescaleIntercept",
            "RescaleType",
        ):
            if keyword in ds:
                delattr(ds, keyword)
        ds.PixelSpacing = [1, 1]
        ds.NumberOfFrames = 1
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = ENHANCED[modality]
        ds.save_as(folder / path.name)
    return folder


@pytest.mark.parametrize(("sample", "modality"), [("head_mr", "MR"), ("head_ct", "CT")])
def test_single_frame_enhanced_files_load_like_classic_ones(tmp_path, sample, modality):
    classic = sample_path(sample)
    enhanced = _as_enhanced(classic, tmp_path / "enhanced", modality)
    assert "ImagePositionPatient" not in dcmread(next(enhanced.iterdir()))
    expected, image = load_series(classic), load_series(enhanced)
    assert image.shape == expected.shape
    np.testing.assert_array_equal(image.affine, expected.affine)
    np.testing.assert_array_equal(image.header.get_zooms(), expected.header.get_zooms())
    # CT: the Hounsfield units come from the shared Pixel Value Transformation (-1024)
    np.testing.assert_array_equal(image.get_fdata(), expected.get_fdata())


def test_a_single_enhanced_slice_takes_its_thickness_from_the_groups(tmp_path):
    classic, folder = tmp_path / "classic", tmp_path / "enhanced"
    classic.mkdir()
    first = sorted(sample_path("head_mr").iterdir())[0]
    shutil.copy(first, classic / first.name)
    _as_enhanced(classic, folder, "MR")
    zooms = load_series(folder).header.get_zooms()
    assert zooms[2] == pytest.approx(float(dcmread(first).SliceThickness))


def test_multi_frame_enhanced_file_is_refused_clearly(tmp_path):
    folder = tmp_path / "multi"
    folder.mkdir()
    enhanced_mr(frames=6).save_as(folder / "enhanced.dcm", enforce_file_format=True)
    with pytest.raises(SeriesError) as caught:
        load_series(folder)
    message = str(caught.value)
    for words in ("6 frames", "enhanced image", "functional groups", "frame_geometry", "dcm2niix"):
        assert words in message, message
    expect_error(lambda: load_series(folder), words=["several frames"], names=["enhanced.dcm"])
